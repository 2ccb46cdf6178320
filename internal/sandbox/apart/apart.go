// Package apart runs a benchmark's sandboxes in a process of their own: the
// test binary started again, told by an environment variable to serve
// instead of testing. A benchmark that measures the sync's memory or CPU then
// holds only the sync; the sandboxes' state and the garbage of rendering
// every page are another process's.
package apart

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Serve is the sandboxes' process: it serves each handler on a loopback port
// of its own, prints "ready" and their URLs on one line, and serves until
// its standard input closes (the parent's end). It answers the process's
// exit code.
func Serve(handlers ...http.Handler) int {
	urls := make([]string, 0, len(handlers))
	for _, h := range handlers {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "sandboxes: listen:", err)
			return 1
		}
		go func() { _ = (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln) }()
		urls = append(urls, "http://"+ln.Addr().String())
	}
	fmt.Println("ready " + strings.Join(urls, " "))
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// Start runs this test binary again, with env added to its environment, as
// the process of Serve, and answers the n URLs it printed, in the order of
// Serve's handlers. The process ends with tb's cleanup: its standard input
// is closed, and it is killed if it has not exited 10 s later.
func Start(tb testing.TB, n int, env ...string) []string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan error, 1)
	tb.Cleanup(func() {
		stdin.Close()
		go func() { exited <- cmd.Wait() }()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		f := strings.Fields(s)
		if len(f) != n+1 || f[0] != "ready" {
			tb.Fatalf("the sandboxes' process said %q", s)
		}
		return f[1:]
	case <-time.After(5 * time.Minute):
		tb.Fatal("the sandboxes' process did not start within 5 minutes")
	}
	return nil
}
