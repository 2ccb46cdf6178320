//go:build unix && !linux && !freebsd

package emulator

import "syscall"

// parentDeathSignalAvailable: macOS and the other BSDs have no Pdeathsig, so a
// watchdog kills the child when this process dies (see tree).
const parentDeathSignalAvailable = false

func setParentDeathSignal(*syscall.SysProcAttr) {}
