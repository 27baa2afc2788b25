// runtime_tuning.go sizes the Go runtime for a server whose commands run
// one at a time under Server.mu. Only parsing, reply encoding and socket
// I/O run in parallel, so extra Ps mostly add cross-thread wake-ups
// (futex, work stealing) and take CPU from the clients sharing the host.
// Measured on a 2-core host with redis-benchmark -c 50 (bench/compare.sh):
// GOMAXPROCS=1 gave +20-25% rps at pipeline 1 and 16 over GOMAXPROCS=2.
package server

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// TuneRuntime sets GOMAXPROCS to half the CPUs (at least one) unless the
// GOMAXPROCS environment variable chose a value. It is called once by the
// server role at start-up, never by tests or other roles.
func TuneRuntime() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	tunedProcs = max(1, runtime.NumCPU()/2)
	runtime.GOMAXPROCS(tunedProcs)
}

// tunedProcs is what TuneRuntime set GOMAXPROCS to (0: not tuned).
var tunedProcs int

var snapshotWalks struct {
	sync.Mutex
	n int
}

// snapshotProcs gives a background snapshot walk (BGSAVE, BGREWRITEAOF)
// a P of its own while it runs, and returns the function that takes it
// back. With GOMAXPROCS=1 the walker, always runnable, kept the only P:
// the scheduler only polls the network when it finds nothing to run, so
// a client's GET waited for sysmon's poll, every 10 ms (seen in a runtime
// trace as client goroutines made runnable only by the P-less sysmon M),
// and a GC's fractional mark worker ran 10-60 ms at a time on that P. The
// walker's pause between steps (writeRDBBackground) now lets one P poll
// too, and with it 1 or 2 Ps measured alike on a GET-only load; the spare
// P is kept for the collector and for clients while the walker writes.
// Redis's fork does the same: the child saves on a CPU of its own.
func snapshotProcs() (restore func()) {
	if tunedProcs == 0 {
		return func() {} // not tuned (tests, GOMAXPROCS set): left alone
	}
	w := &snapshotWalks
	w.Lock()
	if w.n++; w.n == 1 {
		runtime.GOMAXPROCS(tunedProcs + 1)
	}
	w.Unlock()
	return func() {
		w.Lock()
		if w.n--; w.n == 0 {
			runtime.GOMAXPROCS(tunedProcs)
		}
		w.Unlock()
	}
}

// gcLimitHeadroom is how far above maxmemory the collector lets the heap
// grow (as a fraction of maxmemory, plus gcLimitBase for the runtime and
// connections) before it collects harder.
const (
	gcLimitHeadroom = 0.5
	gcLimitBase     = 32 << 20
)

// syncGCLimit bounds the Go heap while maxmemory is set. The collector
// otherwise lets the heap reach twice the live data before collecting, so
// a server evicting at maxmemory 100mb ran at 240 MB RSS (Redis: 112 MB);
// with the limit it collects sooner instead: 185 MB, at the price of
// about a quarter of the throughput of a SET flood that evicts all the
// time (measured 0.77x Redis with the limit, 1.05x without). A memory
// bound is what maxmemory is set for (containers are killed for RSS), so
// the limit is on; GOMEMLIMIT in the environment, when set, wins (e.g.
// GOMEMLIMIT=off).
func (s *Server) syncGCLimit() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := int64(math.MaxInt64)
	if m := s.cfg.MaxMemory; m != 0 {
		limit = int64(float64(m)*(1+gcLimitHeadroom)) + gcLimitBase
	}
	debug.SetMemoryLimit(limit)
}

// idleRelease hands freed heap back to the OS once the server has been
// idle for a second after doing work. A garbage-collected heap keeps up to
// GOGC% of dead objects resident after a burst of writes, and after a
// FLUSHALL keeps the whole old dataset until the next collection, which an
// idle server never reaches; Redis, with no collector, frees at once, and
// operators compare RSS. The collection runs off the executor lock, once per
// busy-then-idle cycle, so it never competes with traffic.
type idleRelease struct {
	lastCommands      int64
	idleTicks         int
	commandsAtRelease int64
	running           atomic.Bool
}

// idleReleaseMin is the retained heap below which releasing is not worth a
// forced collection.
const idleReleaseMin = 64 << 20

var retainedSamples = []metrics.Sample{
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

// retainedHeap is the memory the runtime holds from the OS, less what it
// has already released.
func retainedHeap() uint64 {
	s := make([]metrics.Sample, len(retainedSamples))
	copy(s, retainedSamples)
	metrics.Read(s)
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}

// idleReleaseCron is called by the cron hz times per second with the
// executor lock held.
func (s *Server) idleReleaseCron(hz int) {
	r := &s.idleRelease
	if s.stats.commands != r.lastCommands {
		r.lastCommands = s.stats.commands
		r.idleTicks = 0
		return
	}
	r.idleTicks++
	if r.idleTicks != hz || r.running.Load() || s.stats.commands == r.commandsAtRelease {
		return
	}
	if retainedHeap() < idleReleaseMin {
		return
	}
	r.commandsAtRelease = s.stats.commands
	r.running.Store(true)
	go func() {
		debug.FreeOSMemory()
		r.running.Store(false)
	}()
}
