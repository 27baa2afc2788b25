// evict.go is maxmemory: what redoubt counts as used memory, and the
// eviction Redis's performEvictions runs before commands when over the
// limit.
//
// With maxmemory set, used_memory is an estimate, not a reading of the Go
// heap (without it, see installMemoryAccounting). The heap
// statistics cost too much to read per command and swing with garbage the
// collector has not reclaimed yet (up to twice the live heap with GOGC
// 100), which would make eviction oscillate. So used_memory is:
//
//   - the dataset: every key's footprint in Redis's own layout (object
//     header, sds, jemalloc size classes, encodings; the MEMORY USAGE
//     estimate with 5 samples), kept incrementally by the keyspace
//     (keyspace/memacct.go) as commands write keys;
//   - the hash tables' bucket arrays and expires entries, computed on use;
//   - a runtime overhead sampled by the cron: the heap at start-up plus
//     each client's footprint and queued MULTI arguments.
//
// With maxmemory set the dataset therefore stays near maxmemory in the same
// units Redis uses, and a dataset that fits a Redis with some maxmemory fits
// redoubt with the same setting. The process itself holds more (Go strings
// and pointers are larger than Redis's packed encodings, and the collector
// keeps headroom): mem_fragmentation_ratio (RSS / used_memory) shows by
// how much.
package server

import (
	"math"
	"runtime/metrics"
	"strings"
	"time"

	"github.com/redoubt/redoubt/internal/keyspace"
)

const errOOM = "OOM command not allowed when used memory > 'maxmemory'."

// evictionSamples is how many elements of an aggregate the per-write
// footprint estimate reads, as MEMORY USAGE by default.
const evictionSamples = 5

type evictResult int

const (
	evictOK      evictResult = iota // under the limit
	evictRunning                    // over it, eviction continues in the cron
	evictFail                       // over it and nothing more can be evicted
)

// evictionState is the eviction pool and the sampled overhead.
type evictionState struct {
	pool     keyspace.EvictionPool
	randomDB int
	// overhead is the non-dataset memory, sampled by the cron.
	overhead uint64
	peak     uint64
}

// installMemoryAccounting ties the keyspace's per-key accounting to
// maxmemory and samples the overhead once before the first command.
//
// The per-key accounting costs every write a lookup and an estimate (about
// a quarter of SET throughput at pipeline 16), so it runs only while
// maxmemory is set; without a limit used_memory is the Go heap's live
// objects, like Redis's allocator figure. Setting maxmemory recounts every
// key once.
func (s *Server) installMemoryAccounting() {
	s.syncMemoryAccounting()
	s.syncGCLimit()
	s.cfg.SetApply("maxmemory", func() error {
		s.syncMemoryAccounting()
		s.syncGCLimit()
		return nil
	})
	s.sampleMemoryOverhead()
	s.syncAccessPolicy()
	for _, name := range []string{"maxmemory-policy", "lfu-log-factor", "lfu-decay-time"} {
		s.cfg.SetApply(name, func() error { s.syncAccessPolicy(); return nil })
	}
}

// entrySize is a key's footprint in Redis's layout, for the accounting.
func entrySize(e *keyspace.Entry) uint64 {
	return valueMemoryUsage(e.Value, evictionSamples) + sdsAllocSize(len(e.Key)) + dictEntrySize
}

// syncMemoryAccounting turns the per-key accounting on while maxmemory is
// set and off otherwise.
func (s *Server) syncMemoryAccounting() {
	want := s.cfg.MaxMemory != 0
	if want == s.ks.Accounting() {
		return
	}
	if want {
		s.ks.SetEntrySize(entrySize)
	} else {
		s.ks.SetEntrySize(nil)
	}
}

// sampleMemoryOverhead refreshes the overhead part of used_memory.
func (s *Server) sampleMemoryOverhead() {
	n := s.intro.startupAllocated
	for _, c := range s.clients {
		n += clientFootprint + uint64(c.multiMem())
	}
	s.evict.overhead = n
	s.usedMemory() // keeps used_memory_peak current
}

// tablesMemory is the footprint of the databases' hash tables.
func (s *Server) tablesMemory() uint64 {
	var n int64
	for _, db := range s.ks.DBs {
		n += db.TableBytes(dictEntrySize)
	}
	return uint64(n)
}

// usedMemory is used_memory: see the file comment.
func (s *Server) usedMemory() uint64 {
	var used uint64
	if s.ks.Accounting() {
		s.ks.Settle()
		used = s.evict.overhead + s.tablesMemory() + uint64(max(s.ks.DataBytes(), 0))
	} else {
		used = heapObjectBytes()
	}
	if used > s.evict.peak {
		s.evict.peak = used
	}
	return used
}

// evictionTimeLimit is how long one performEvictions may run before the
// rest is left to the cron (maxmemory-eviction-tenacity, as Redis).
func (s *Server) evictionTimeLimit() time.Duration {
	t := s.cfg.MaxMemoryTenacity
	switch {
	case t <= 10:
		return time.Duration(50*t) * time.Microsecond
	case t < 100:
		return time.Duration(500*math.Pow(1.15, float64(t-10))) * time.Microsecond
	}
	return time.Duration(math.MaxInt64)
}

// performEvictions evicts keys per maxmemory-policy until used memory is
// under maxmemory.
func (s *Server) performEvictions() evictResult {
	limit := s.cfg.MaxMemory
	if limit == 0 {
		return evictOK
	}
	used := s.usedMemory()
	if used <= limit {
		return evictOK
	}
	policy := s.cfg.MaxMemoryPolicy
	if policy == "noeviction" {
		return evictFail
	}
	volatile := strings.HasPrefix(policy, "volatile-")
	score := keyspace.ScoreLRU
	switch {
	case strings.HasSuffix(policy, "-lfu"):
		score = keyspace.ScoreLFU
	case policy == "volatile-ttl":
		score = keyspace.ScoreTTL
	}
	start := time.Now()
	timeLimit := s.evictionTimeLimit()
	// The LRU/LFU scores of one eviction round use one instant: reading
	// the clock per sampled key cost a fifth of a write flood's time.
	if s.cmdTime == 0 {
		s.cmdTime = start.UnixMilli()
		defer func() { s.cmdTime = 0 }()
	}
	for evicted := 1; used > limit; evicted++ {
		var db *keyspace.DB
		var e *keyspace.Entry
		if strings.HasSuffix(policy, "-random") {
			db, e = s.ks.RandomVictim(&s.evict.randomDB, volatile)
		} else {
			db, e = s.ks.EvictionVictim(&s.evict.pool, volatile, score, max(s.cfg.MaxMemorySamples, 1))
		}
		if e == nil {
			return evictFail
		}
		s.evictKey(db, e.Key)
		used = s.usedMemory()
		if evicted%16 == 0 && time.Since(start) > timeLimit {
			return evictRunning
		}
	}
	return evictOK
}

// evictKey deletes one key for eviction with Redis's side effects.
func (s *Server) evictKey(db *keyspace.DB, key string) {
	k := []byte(key)
	db.Delete(k)
	s.propagateDeletion(db.ID, key, s.cfg.LazyfreeEviction)
	s.stats.evictedKeys++
	db.SignalModified(k)
	db.Notify(keyspace.ClassEvicted, "evicted", k)
}

// rejectsOnOOM tells whether sc must be refused when eviction cannot
// bring memory under maxmemory: commands that may grow memory, EXEC of a
// transaction holding one, and anything queued inside MULTI (the queue
// itself grows) except what ends the transaction.
func (c *Client) rejectsOnOOM(sc *serverCommand) bool {
	if sc.has(cmdDenyOOM) {
		return true
	}
	if sc.scriptFlags != nil && len(c.argv) >= 2 {
		if f, ok := sc.scriptFlags(c, c.argv); ok {
			// a script that declares flags is refused unless it may
			// not grow memory (Redis's scriptFlagsToCmdFlags)
			return !f.AllowOOM && !f.NoWrites
		}
	}
	if c.flags&flagMulti == 0 {
		return false
	}
	switch sc.name {
	case "exec":
		for _, q := range c.mstate.queue {
			if q.sc.has(cmdDenyOOM) {
				return true
			}
		}
		return false
	case "discard", "quit", "reset":
		return false
	}
	return true
}

// heapObjectBytes is the Go heap's bytes in objects (live, and dead ones
// not yet swept): used_memory while the accounting is off.
func heapObjectBytes() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}
