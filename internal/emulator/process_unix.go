//go:build unix

package emulator

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// tree is the child's process group on Unix. The child leads a new group, so
// one signal reaches everything it starts, and a Ctrl-C in the terminal (sent to
// the terminal's foreground group) reaches only this process, which then stops
// the emulators itself.
//
// The group also dies with this process, however this process dies (a crash,
// SIGKILL, a closed terminal): an emulator left behind would keep its port and,
// for dynalite, the lock on DATA_DIR's database, so the next start would fail.
// Linux and FreeBSD do that in the kernel (Pdeathsig); elsewhere (macOS, the
// other BSDs) a watchdog does it.
type tree struct {
	pgid     int
	watchdog *os.File // the write end of the watchdog's pipe; nil without one
}

// parentDeathBySignal says the kernel kills the child when this process dies.
// It is a variable only so that the tests can run, on Linux, the watchdog that
// the other Unix systems use.
var parentDeathBySignal = parentDeathSignalAvailable

func (t *tree) prepare(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if parentDeathBySignal {
		setParentDeathSignal(cmd.SysProcAttr)
	}
}

func (t *tree) attach(cmd *exec.Cmd) error {
	t.pgid = cmd.Process.Pid
	if parentDeathBySignal {
		return nil
	}
	w, err := startWatchdog(t.pgid)
	if err != nil {
		return fmt.Errorf("watchdog: %w", err)
	}
	t.watchdog = w
	return nil
}

func (t *tree) interrupt() error { return syscall.Kill(-t.pgid, syscall.SIGTERM) }

func (t *tree) kill() { _ = syscall.Kill(-t.pgid, syscall.SIGKILL) }

// release tells the watchdog that the child has exited and been waited for,
// so that it leaves without a signal: its process group id may be reused from
// now on.
func (t *tree) release() {
	if t.watchdog == nil {
		return
	}
	_, _ = io.WriteString(t.watchdog, watchdogDone+"\n")
	_ = t.watchdog.Close()
}

// watchdogDone is the line that dismisses a watchdog.
const watchdogDone = "done"

// watchdogScript waits on its standard input, a pipe whose only writer is this
// process. The kernel closes the pipe when this process exits, however it
// exits; the read then ends without watchdogDone and the script kills the
// process group $1.
const watchdogScript = `if read -r line && [ "$line" = ` + watchdogDone + ` ]; then exit 0; fi
kill -s KILL -- -"$1" 2>/dev/null`

// startWatchdog starts a shell that kills process group pgid when this process
// dies, and returns the write end of its pipe. The shell runs in a group of its
// own, so neither a Ctrl-C in the terminal nor a signal to pgid ends it early.
func startWatchdog(pgid int) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "watchdog", strconv.Itoa(pgid))
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	r.Close() // the shell holds its own copy
	if err != nil {
		w.Close()
		return nil, err
	}
	go func() { _ = cmd.Wait() }()
	return w, nil
}
