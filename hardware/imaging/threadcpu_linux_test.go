package imaging

import (
	"syscall"
	"time"
	"unsafe"
)

// threadCPU returns the CPU time of the calling OS thread (CLOCK_THREAD_CPUTIME_ID). With the
// goroutine locked to its thread (runtime.LockOSThread), the difference around a Decode is the
// CPU the decode itself took, which the other work on a shared machine does not inflate the way
// it inflates wall time. The garbage collector's background workers run on other threads and are
// not counted.
func threadCPU() (time.Duration, bool) {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
