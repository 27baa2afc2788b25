// access.go keeps Entry.Access, the per-key access record Redis keeps in
// robj.lru: a 24-bit LRU clock in seconds (OBJECT IDLETIME, LRU eviction),
// or, under an LFU maxmemory-policy, a 16-bit minutes timestamp and an 8-bit
// logarithmic access counter (OBJECT FREQ, LFU eviction). Both are derived
// from Keyspace.Now so tests control them with the same clock as expiry.
package keyspace

import "math/rand/v2"

const (
	// LRUClockMax is the largest LRU clock value (24 bits, as robj.lru).
	LRUClockMax = 1<<24 - 1
	// lruResolution is the LRU clock's tick in milliseconds.
	lruResolution = 1000
	// lfuInitVal is the counter of a new key, so it is not evicted at once.
	lfuInitVal = 5
)

// LRUClock is the current LRU clock: seconds, wrapping at 24 bits.
func (ks *Keyspace) LRUClock() uint32 {
	return uint32(ks.Now()/lruResolution) & LRUClockMax
}

// lfuMinutes is the LFU access timestamp: minutes, wrapping at 16 bits.
func (ks *Keyspace) lfuMinutes() uint32 {
	return uint32(ks.Now()/1000/60) & 0xffff
}

// newAccess is the access record of a key created now.
func (ks *Keyspace) newAccess() uint32 {
	if ks.UseLFU {
		return ks.lfuMinutes()<<8 | lfuInitVal
	}
	return ks.LRUClock()
}

// touch records an access to e.
func (ks *Keyspace) touch(e *Entry) {
	if !ks.UseLFU {
		e.Access = ks.LRUClock()
		return
	}
	counter := ks.LFUFreq(e)
	counter = ks.lfuLogIncr(counter)
	e.Access = ks.lfuMinutes()<<8 | counter
}

// IdleMillis is how long ago e was last accessed, with the LRU clock's
// one-second resolution (OBJECT IDLETIME divides it by 1000).
func (ks *Keyspace) IdleMillis(e *Entry) int64 {
	now := int64(ks.LRUClock())
	last := int64(e.Access & LRUClockMax)
	if now >= last {
		return (now - last) * lruResolution
	}
	// the clock wrapped once since the access
	return (now + (LRUClockMax - last)) * lruResolution
}

// LFUFreq is e's access counter after the decay of the periods elapsed
// since its last access, without storing it (OBJECT FREQ).
func (ks *Keyspace) LFUFreq(e *Entry) uint32 {
	last := e.Access >> 8
	counter := e.Access & 0xff
	if ks.LFUDecayTime <= 0 {
		return counter
	}
	now := ks.lfuMinutes()
	var elapsed uint32
	if now >= last {
		elapsed = now - last
	} else {
		elapsed = 0xffff - last + now
	}
	periods := elapsed / uint32(ks.LFUDecayTime)
	if periods > counter {
		return 0
	}
	return counter - periods
}

// lfuLogIncr increments counter with a probability that falls as the
// counter grows, so 255 stands for a very large number of accesses.
func (ks *Keyspace) lfuLogIncr(counter uint32) uint32 {
	if counter == 255 {
		return 255
	}
	base := float64(counter) - lfuInitVal
	if base < 0 {
		base = 0
	}
	p := 1.0 / (base*float64(ks.LFULogFactor) + 1)
	if rand.Float64() < p {
		counter++
	}
	return counter
}

// SetAccess sets e's access record as RESTORE's IDLETIME (seconds) or FREQ
// give it, for the policy in use; a negative value leaves it alone.
func (ks *Keyspace) SetAccess(e *Entry, idleSeconds, freq int64) {
	if ks.UseLFU {
		if freq >= 0 {
			e.Access = ks.lfuMinutes()<<8 | uint32(freq)
		}
		return
	}
	if idleSeconds >= 0 {
		ticks := idleSeconds * 1000 / lruResolution
		now := int64(ks.LRUClock())
		if ticks > now {
			now += LRUClockMax
		}
		e.Access = uint32((now - ticks) % (LRUClockMax + 1))
	}
}
