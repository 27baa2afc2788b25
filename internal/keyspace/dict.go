// dict.go is the hash table behind every database: chained buckets in a
// power-of-two table, grown and shrunk by incremental rehashing into a second
// table, as Redis's dict. Its shape is what gives SCAN its guarantee (a full
// iteration with the reverse-binary cursor returns every key present for the
// whole iteration, even across resizes) and lets active expiry and
// RANDOMKEY sample buckets.
package keyspace

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

var hashSeed = maphash.MakeSeed()

func hashBytes(b []byte) uint64  { return maphash.Bytes(hashSeed, b) }
func hashString(s string) uint64 { return maphash.String(hashSeed, s) }

const (
	initialSize = 4
	// minFill is the percentage below which the table is shrunk
	// (HASHTABLE_MIN_FILL).
	minFill = 10
	// forceRatio forces growth even while resizing is discouraged.
	forceRatio = 5
)

// Entry is one key in a database.
type Entry struct {
	next   *Entry
	Key    string
	Value  Value
	Access uint32 // LRU clock or LFU counter, as maxmemory-policy needs
	// acct is the footprint this key adds to its database's DataBytes,
	// in the compact form of memacct.go.
	acct uint16
	// volatile marks a key with a TTL; the time itself lives in the
	// database's expires table, so keys without one (most keys) do not
	// pay 8 bytes for it.
	volatile bool
	// fp is the top byte of the key's hash: a chain walk skips other keys
	// without reading their bytes.
	fp uint8
	// (Access, acct, volatile and fp fill the last 8 bytes: an Entry stays
	// in the 48-byte size class; TestEntrySize guards it.)
}

// NewEntry returns an entry for key whose bytes share the entry's
// allocation when the key is short (most are): a lookup then reads one
// object instead of chasing a second pointer to the key, which was a
// cache miss per lookup on large tables, and the keyspace makes one
// allocation per key instead of two. Go's size classes make this cost
// nothing for keys of 9 to 48 bytes (48+n rounds to what 48 plus a
// separate n-byte string took) and 8 bytes for shorter ones.
func NewEntry(key []byte) *Entry {
	n := len(key)
	var e *Entry
	var buf []byte
	switch {
	case n == 0:
		return &Entry{}
	case n <= 16:
		p := new(struct {
			e Entry
			b [16]byte
		})
		e, buf = &p.e, p.b[:n]
	case n <= 32:
		p := new(struct {
			e Entry
			b [32]byte
		})
		e, buf = &p.e, p.b[:n]
	case n <= 48:
		p := new(struct {
			e Entry
			b [48]byte
		})
		e, buf = &p.e, p.b[:n]
	default:
		return &Entry{Key: string(key)}
	}
	copy(buf, key)
	e.Key = unsafe.String(&buf[0], n)
	return e
}

type table struct {
	buckets []*Entry
	used    int
}

func (t *table) mask() uint64 { return uint64(len(t.buckets) - 1) }

// Dict maps keys to entries.
type Dict struct {
	ht        [2]table
	rehashIdx int // -1 when not rehashing
	// pauseRehash > 0 stops incremental steps (while a safe iterator runs)
	pauseRehash int
	// NoResize discourages growth (while a snapshot walks the table).
	NoResize bool
	// snap is the snapshot walking this table (snapshot.go): while set,
	// the table keeps its shape (no rehash steps, no resize)
	snap *dictSnap
	// held are keys whose value a snapshot is still encoding, in slices
	// between which the lock is released: a write to one first has the
	// encoding finished (snapshot.go, Hold)
	held map[string]func()
}

// NewDict returns an empty dict.
func NewDict() *Dict { return &Dict{rehashIdx: -1} }

// Len is the number of keys.
func (d *Dict) Len() int { return d.ht[0].used + d.ht[1].used }

// Buckets is the number of buckets in both tables (for INFO/DEBUG).
func (d *Dict) Buckets() int { return len(d.ht[0].buckets) + len(d.ht[1].buckets) }

func (d *Dict) rehashing() bool { return d.rehashIdx != -1 }

// rehashStep moves up to n buckets from table 0 to table 1, visiting at
// most 10*n empty buckets. It reports whether rehashing is still going on.
func (d *Dict) rehashStep(n int) bool {
	emptyVisits := n * 10
	if !d.rehashing() || d.snap != nil {
		return d.rehashing()
	}
	for ; n > 0 && d.ht[0].used != 0; n-- {
		for d.ht[0].buckets[d.rehashIdx] == nil {
			d.rehashIdx++
			emptyVisits--
			if emptyVisits == 0 {
				return true
			}
		}
		e := d.ht[0].buckets[d.rehashIdx]
		for e != nil {
			next := e.next
			h := hashString(e.Key) & d.ht[1].mask()
			e.next = d.ht[1].buckets[h]
			d.ht[1].buckets[h] = e
			d.ht[0].used--
			d.ht[1].used++
			e = next
		}
		d.ht[0].buckets[d.rehashIdx] = nil
		d.rehashIdx++
	}
	if d.ht[0].used == 0 {
		d.ht[0] = d.ht[1]
		d.ht[1] = table{}
		d.rehashIdx = -1
		return false
	}
	return true
}

func (d *Dict) step() {
	if d.pauseRehash == 0 && d.snap == nil {
		d.rehashStep(1)
	}
}

// FinishRehash completes a rehash in progress at once (a loader with no
// clients to keep responsive: moving the whole table in one pass keeps
// the old table's walk sequential, where single steps between inserts
// took their cache misses one at a time).
func (d *Dict) FinishRehash() {
	for d.rehashStep(1 << 16) {
	}
}

// RehashFor spends up to n steps of 100 buckets rehashing (active rehashing
// from the server cron).
func (d *Dict) RehashFor(n int) {
	for i := 0; i < n && d.rehashStep(100); i++ {
	}
}

func nextPower(n int) int {
	if n < initialSize {
		return initialSize
	}
	return 1 << bits.Len(uint(n-1))
}

func (d *Dict) resizeTo(size int) {
	if d.rehashing() || d.snap != nil {
		return
	}
	size = nextPower(size)
	if size == len(d.ht[0].buckets) {
		return
	}
	t := table{buckets: make([]*Entry, size)}
	if d.ht[0].buckets == nil {
		d.ht[0] = t
		return
	}
	d.ht[1] = t
	d.rehashIdx = 0
}

func (d *Dict) expandIfNeeded() {
	if d.rehashing() {
		return
	}
	n := len(d.ht[0].buckets)
	if n == 0 {
		d.resizeTo(initialSize)
		return
	}
	if d.ht[0].used >= n && (!d.NoResize || d.ht[0].used/n > forceRatio) {
		if d.snap != nil {
			if d.ht[0].used/n <= forceRatio {
				return // a snapshot holds the table's shape
			}
			// chains have grown too long to wait: the snapshot takes
			// the rest of the table now, then it may grow
			d.snap.complete()
		}
		d.resizeTo(d.ht[0].used + 1)
	}
}

// Expand presizes the table for n entries (dictExpand), so that a dict
// filled in one go, as a converted hash, skips the rehashing steps.
func (d *Dict) Expand(n int) {
	if n > d.Len() {
		d.resizeTo(n)
	}
}

// ShrinkIfNeeded resizes a sparse table down (called from the cron).
func (d *Dict) ShrinkIfNeeded() {
	n := len(d.ht[0].buckets)
	if d.rehashing() || d.NoResize || n <= initialSize {
		return
	}
	if d.ht[0].used*100/n < minFill {
		d.resizeTo(d.ht[0].used)
	}
}

// Find returns the entry for key, or nil. Like every dict operation it
// spends one incremental rehashing step.
func (d *Dict) Find(key []byte) *Entry {
	if d.Len() == 0 {
		return nil
	}
	d.step()
	return d.findHashed(key, hashBytes(key))
}

// Add inserts a new entry; the caller has checked the key is absent.
func (d *Dict) Add(e *Entry) {
	d.step()
	d.expandIfNeeded()
	d.link(e, hashString(e.Key))
}

func fingerprint(h uint64) uint8 { return uint8(h >> 56) }

// link puts e, whose key hashes to h, at the head of its chain in the
// table that receives new keys.
func (d *Dict) link(e *Entry, h uint64) {
	tb := &d.ht[0]
	if d.rehashing() {
		tb = &d.ht[1]
	}
	e.fp = fingerprint(h)
	idx := h & tb.mask()
	e.next = tb.buckets[idx]
	tb.buckets[idx] = e
	tb.used++
}

// Delete removes key and returns its entry, or nil.
func (d *Dict) Delete(key []byte) *Entry {
	if d.Len() == 0 {
		return nil
	}
	d.step()
	h := hashBytes(key)
	fp := fingerprint(h)
	for t := 0; t < 2; t++ {
		tb := &d.ht[t]
		if tb.buckets == nil {
			break
		}
		var prev *Entry
		idx := h & tb.mask()
		for e := tb.buckets[idx]; e != nil; e = e.next {
			if e.fp == fp && e.Key == string(key) {
				if prev == nil {
					tb.buckets[idx] = e.next
				} else {
					prev.next = e.next
				}
				e.next = nil
				tb.used--
				return e
			}
			prev = e
		}
		if !d.rehashing() {
			break
		}
	}
	return nil
}

// Clear empties the dict.
func (d *Dict) Clear() {
	if d.snap != nil {
		d.snap.complete()
	}
	*d = Dict{rehashIdx: -1, NoResize: d.NoResize}
}

func rev(v uint64) uint64 { return bits.Reverse64(v) }

// Scan visits the buckets at cursor and returns the next cursor (0 when
// the iteration is complete), with Redis's reverse-binary cursor so that
// resizes between calls never skip a key.
func (d *Dict) Scan(cursor uint64, fn func(e *Entry)) uint64 {
	if d.Len() == 0 {
		return 0
	}
	d.pauseRehash++
	defer func() { d.pauseRehash-- }()
	visit := func(tb *table, idx uint64) {
		for e := tb.buckets[idx]; e != nil; {
			next := e.next
			fn(e)
			e = next
		}
	}
	if !d.rehashing() {
		t0 := &d.ht[0]
		m0 := t0.mask()
		visit(t0, cursor&m0)
		cursor |= ^m0
		cursor = rev(cursor)
		cursor++
		cursor = rev(cursor)
		return cursor
	}
	small, large := &d.ht[0], &d.ht[1]
	if len(small.buckets) > len(large.buckets) {
		small, large = large, small
	}
	m0, m1 := small.mask(), large.mask()
	visit(small, cursor&m0)
	for {
		visit(large, cursor&m1)
		cursor |= ^m1
		cursor = rev(cursor)
		cursor++
		cursor = rev(cursor)
		if cursor&(m0^m1) == 0 {
			break
		}
	}
	return cursor
}

// Random returns a random entry, or nil when empty. Like Redis's
// dictGetRandomKey it picks a random non-empty bucket, then a random entry
// in its chain.
func (d *Dict) Random() *Entry {
	if d.Len() == 0 {
		return nil
	}
	d.step()
	var head *Entry
	if d.rehashing() {
		s0, s1 := len(d.ht[0].buckets), len(d.ht[1].buckets)
		for head == nil {
			// buckets below rehashIdx in table 0 are empty
			i := d.rehashIdx + rand.IntN(s0+s1-d.rehashIdx)
			if i >= s0 {
				head = d.ht[1].buckets[i-s0]
			} else {
				head = d.ht[0].buckets[i]
			}
		}
	} else {
		m := d.ht[0].mask()
		for head == nil {
			head = d.ht[0].buckets[rand.Uint64()&m]
		}
	}
	n := 0
	for e := head; e != nil; e = e.next {
		n++
	}
	k := rand.IntN(n)
	e := head
	for ; k > 0; k-- {
		e = e.next
	}
	return e
}

// Sample appends up to count entries from consecutive buckets starting at a
// random position (dictGetSomeKeys), for eviction and expiry sampling.
func (d *Dict) Sample(dst []*Entry, count int) []*Entry {
	if d.Len() == 0 || count <= 0 {
		return dst
	}
	if count > d.Len() {
		count = d.Len()
	}
	for j := 0; j < count; j++ {
		d.step()
	}
	tables := 1
	if d.rehashing() {
		tables = 2
	}
	maxMask := d.ht[0].mask()
	if tables > 1 && d.ht[1].mask() > maxMask {
		maxMask = d.ht[1].mask()
	}
	i := rand.Uint64() & maxMask
	empty := 0
	stored := 0
	for steps := count * 10; stored < count && steps > 0; steps-- {
		for t := 0; t < tables; t++ {
			tb := &d.ht[t]
			if tables == 2 && t == 0 && i < uint64(d.rehashIdx) {
				if i >= uint64(len(d.ht[1].buckets)) {
					i = uint64(d.rehashIdx)
				} else {
					continue
				}
			}
			if i >= uint64(len(tb.buckets)) {
				continue
			}
			e := tb.buckets[i]
			if e == nil {
				empty++
				if empty >= 5 && empty > count {
					i = rand.Uint64() & maxMask
					empty = 0
				}
				continue
			}
			empty = 0
			for ; e != nil && stored < count; e = e.next {
				dst = append(dst, e)
				stored++
			}
		}
		i = (i + 1) & maxMask
	}
	return dst
}

// ForEach calls fn for every entry; fn must not add or delete keys. No
// rehash step moves entries meanwhile, so fn may let lookups run (a
// snapshot encodes a big value in slices, readers served in between).
func (d *Dict) ForEach(fn func(e *Entry) bool) {
	d.pauseRehash++
	defer func() { d.pauseRehash-- }()
	for t := 0; t < 2; t++ {
		for _, e := range d.ht[t].buckets {
			for ; e != nil; e = e.next {
				if !fn(e) {
					return
				}
			}
		}
	}
}

// prefetchMax bounds how many keys one Prefetch call touches: enough to
// overlap a pipelined batch's misses, few enough to stay in L1.
const prefetchMax = 32

// Prefetch reads the bucket, entry and value header each key would reach,
// in passes over all keys, so that the cache misses of a pipelined batch
// overlap (the CPU keeps many independent loads in flight) instead of
// being taken one after another as each command runs. It returns a value
// derived from what it read so that the loads are kept.
func (d *Dict) Prefetch(keys [][]byte) (sink uintptr) {
	tb := &d.ht[0]
	if tb.buckets == nil || d.rehashing() {
		return 0
	}
	var heads [prefetchMax]*Entry
	n := min(len(keys), prefetchMax)
	mask := tb.mask()
	for i := 0; i < n; i++ {
		heads[i] = tb.buckets[hashBytes(keys[i])&mask]
	}
	var vals [prefetchMax]unsafe.Pointer
	for i := 0; i < n; i++ {
		if e := heads[i]; e != nil {
			sink += uintptr(e.fp)
			// the value's data word: the object a read of this key needs
			vals[i] = (*[2]unsafe.Pointer)(unsafe.Pointer(&e.Value))[1]
		}
	}
	for i := 0; i < n; i++ {
		if p := vals[i]; p != nil {
			sink += uintptr(*(*byte)(p))
		}
	}
	return sink
}
