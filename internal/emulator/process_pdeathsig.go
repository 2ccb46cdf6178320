//go:build linux || freebsd

package emulator

import "syscall"

// parentDeathSignalAvailable: the kernel sends the child SIGKILL when the
// thread that started it exits (Pdeathsig).
const parentDeathSignalAvailable = true

func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
