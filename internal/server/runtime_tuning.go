// runtime_tuning.go sizes the Go runtime for a server whose commands run
// one at a time under Server.mu. Only parsing, reply encoding and socket
// I/O run in parallel, so extra Ps mostly add cross-thread wake-ups
// (futex, work stealing) and take CPU from the clients sharing the host.
// Measured on a 2-core host with redis-benchmark -c 50 (bench/compare.sh):
// GOMAXPROCS=1 gave +20-25% rps at pipeline 1 and 16 over GOMAXPROCS=2.
package server

import (
	"os"
	"runtime"
)

// TuneRuntime sets GOMAXPROCS to half the CPUs (at least one) unless the
// GOMAXPROCS environment variable chose a value. It is called once by the
// server role at start-up, never by tests or other roles.
func TuneRuntime() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	runtime.GOMAXPROCS(max(1, runtime.NumCPU()/2))
}
