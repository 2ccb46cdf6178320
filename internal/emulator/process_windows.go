//go:build windows

package emulator

import (
	"fmt"
	"os/exec"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// tree is a job object on Windows, the counterpart of a Unix process group
// that also dies with its owner: every process the child starts joins the job,
// terminating the job ends them all, and the job is set to kill them when its
// last handle closes, which the system does when this process exits, however it
// exits. The child also gets a console process group of its own, so that a
// CTRL_BREAK can ask it (and only it) to stop, as SIGTERM does on Unix.
type tree struct {
	pid uint32
	job windows.Handle
}

func (t *tree) prepare(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
}

// attach puts the started child into a new job. A process the child starts
// before this returns would escape the job; the emulators start theirs later
// than that.
func (t *tree) attach(cmd *exec.Cmd) error {
	t.pid = uint32(cmd.Process.Pid)
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return fmt.Errorf("job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE},
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return fmt.Errorf("job object limits: %w", err)
	}
	proc, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, t.pid)
	if err != nil {
		windows.CloseHandle(job)
		return fmt.Errorf("open process: %w", err)
	}
	defer windows.CloseHandle(proc)
	if err := windows.AssignProcessToJobObject(job, proc); err != nil {
		windows.CloseHandle(job)
		return fmt.Errorf("assign to job object: %w", err)
	}
	t.job = job
	return nil
}

// interrupt fails when this process has no console to share with the child;
// Stop then kills at once.
func (t *tree) interrupt() error {
	return windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, t.pid)
}

func (t *tree) kill() { _ = windows.TerminateJobObject(t.job, 1) }

// release closes the job, which ends whatever the child left running, as
// killing its process group would on Unix.
func (t *tree) release() { _ = windows.CloseHandle(t.job) }
