//go:build unix

package emulator

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary plays the processes of these tests, chosen by
// EMULATOR_TEST_ROLE: "leaf" listens on EMULATOR_TEST_PORT until killed;
// "tree" starts a leaf on EMULATOR_TEST_PORT2 (its child, in its process group)
// and is a leaf itself; "parent" starts a leaf with Start, says "ready <its pid>" and
// waits, so that a test can kill it as a crash would.
func TestMain(m *testing.M) {
	switch os.Getenv("EMULATOR_TEST_ROLE") {
	case "":
		os.Exit(m.Run())
	case "leaf":
		serve(os.Getenv("EMULATOR_TEST_PORT"))
	case "tree":
		grandchild := exec.Command(self(), "-test.run=^$")
		grandchild.Env = append(os.Environ(), "EMULATOR_TEST_ROLE=leaf", "EMULATOR_TEST_PORT="+os.Getenv("EMULATOR_TEST_PORT2"))
		if err := grandchild.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		serve(os.Getenv("EMULATOR_TEST_PORT"))
	case "parent":
		parentDeathBySignal = os.Getenv("EMULATOR_TEST_WATCHDOG") == ""
		port, _ := strconv.Atoi(os.Getenv("EMULATOR_TEST_PORT"))
		p, err := Start(context.Background(), leafSpec(port))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println("ready", p.cmd.Process.Pid)
		<-p.Done()
		os.Exit(3)
	}
	os.Exit(2)
}

// serve accepts connections on port until the process is killed.
func serve(port string) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for {
		c, err := l.Accept()
		if err != nil {
			os.Exit(2)
		}
		c.Close()
	}
}

func self() string {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return exe
}

func leafSpec(port int) Spec {
	return Spec{
		Name: "leaf", Path: self(), Args: []string{"-test.run=^$"}, Port: port,
		Env: []string{"EMULATOR_TEST_ROLE=leaf", "EMULATOR_TEST_PORT=" + strconv.Itoa(port)},
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func listening(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// waitListening polls port until it accepts connections (want) or refuses
// them (!want), and reports whether it did within the deadline.
func waitListening(port int, want bool, within time.Duration) bool {
	deadline := time.After(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if listening(port) == want {
			return true
		}
		select {
		case <-deadline:
			return false
		case <-tick.C:
		}
	}
}

// deathModes are the ways a child dies with this process here: the kernel's
// parent-death signal where the system has one (Linux, FreeBSD), and always
// the watchdog, which is what macOS uses.
func deathModes() map[string]bool {
	modes := map[string]bool{"watchdog": false}
	if parentDeathSignalAvailable {
		modes["parent-death signal"] = true
	}
	return modes
}

// TestStopEndsTheWholeTree: Stop ends the process and what it started, and
// Done is closed.
func TestStopEndsTheWholeTree(t *testing.T) {
	for name, bySignal := range deathModes() {
		t.Run(name, func(t *testing.T) {
			defer func(old bool) { parentDeathBySignal = old }(parentDeathBySignal)
			parentDeathBySignal = bySignal
			port, port2 := freePort(t), freePort(t)
			p, err := Start(context.Background(), Spec{
				Name: "tree", Path: self(), Args: []string{"-test.run=^$"}, Port: port,
				Env: []string{"EMULATOR_TEST_ROLE=tree", "EMULATOR_TEST_PORT=" + strconv.Itoa(port), "EMULATOR_TEST_PORT2=" + strconv.Itoa(port2)},
			})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			t.Cleanup(p.Stop)
			if !waitListening(port2, true, 10*time.Second) {
				t.Fatal("the child's own child never listened")
			}
			p.Stop()
			select {
			case <-p.Done():
			default:
				t.Fatal("Stop returned before the process exited")
			}
			if !waitListening(port, false, 10*time.Second) {
				t.Error("the process still listens after Stop")
			}
			if !waitListening(port2, false, 10*time.Second) {
				t.Error("the process's child still listens after Stop")
			}
		})
	}
}

// TestChildDiesWithThisProcess: a process that started an emulator and is then
// killed outright (SIGKILL: no deferred Stop, no signal handler) takes the
// emulator with it, so that it keeps neither its port nor its data folder.
func TestChildDiesWithThisProcess(t *testing.T) {
	for name, bySignal := range deathModes() {
		t.Run(name, func(t *testing.T) {
			port := freePort(t)
			parent := exec.Command(self(), "-test.run=^$")
			parent.Env = append(os.Environ(), "EMULATOR_TEST_ROLE=parent", "EMULATOR_TEST_PORT="+strconv.Itoa(port))
			if !bySignal {
				parent.Env = append(parent.Env, "EMULATOR_TEST_WATCHDOG=1")
			}
			parent.Stderr = os.Stderr
			out, err := parent.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := parent.Start(); err != nil {
				t.Fatal(err)
			}
			ready := make(chan string, 1)
			go func() {
				line, _ := bufio.NewReader(out).ReadString('\n')
				ready <- line
			}()
			select {
			case line := <-ready:
				pid, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(line), "ready "))
				if err != nil {
					_ = parent.Process.Kill()
					t.Fatalf("parent said %q", line)
				}
				// Should the child survive, it must not outlive the test.
				t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
			case <-time.After(30 * time.Second):
				_ = parent.Process.Kill()
				t.Fatal("parent never started its child")
			}
			if !listening(port) {
				t.Fatal("the child does not listen")
			}
			if err := parent.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = parent.Wait()
			if !waitListening(port, false, 10*time.Second) {
				t.Fatal("the child outlived the process that started it")
			}
		})
	}
}
