//go:build linux

package acl_test

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time of the calling OS thread (user + system),
// so that benchmarks on a busy machine can report time spent computing
// rather than time spent waiting for a CPU.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
