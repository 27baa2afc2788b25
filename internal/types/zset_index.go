// zset_index.go is a sorted set's member index: a chained hash table whose
// chain links live in the skip list nodes themselves, so a member costs one
// pointer in its node rather than a separate 48-byte keyspace.Entry. It
// keeps keyspace.Dict's shape (power-of-two tables, incremental rehashing
// one bucket per operation, Redis's reverse-binary SCAN cursor, random
// bucket sampling) and so ZSCAN's guarantee and ZRANDMEMBER's sampling.
// It is a separate copy rather than a generic Dict so that the keyspace's
// own table pays no indirection for it.
package types

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
)

var zindexSeed = maphash.MakeSeed()

func zhashBytes(b []byte) uint64  { return maphash.Bytes(zindexSeed, b) }
func zhashString(s string) uint64 { return maphash.String(zindexSeed, s) }

// zfingerprint is the hash byte kept in a node, so that a chain walk skips
// other members without reading their bytes.
func zfingerprint(h uint64) uint8 { return uint8(h >> 56) }

const (
	zindexInitialSize = 4
	zindexMinFill     = 10 // percent below which the table shrinks
)

type ztable struct {
	buckets []*ZNode
	used    int
}

func (t *ztable) mask() uint64 { return uint64(len(t.buckets) - 1) }

type zindex struct {
	ht        [2]ztable
	rehashIdx int // -1 when not rehashing
	// pauseRehash > 0 stops incremental steps while a scan runs
	pauseRehash int
}

func (d *zindex) init() { d.rehashIdx = -1 }

func (d *zindex) len() int { return d.ht[0].used + d.ht[1].used }

func (d *zindex) rehashing() bool { return d.rehashIdx != -1 }

// rehashStep moves up to n buckets from table 0 to table 1, visiting at
// most 10*n empty buckets, as keyspace.Dict does.
func (d *zindex) rehashStep(n int) {
	emptyVisits := n * 10
	for ; n > 0 && d.ht[0].used != 0; n-- {
		for d.ht[0].buckets[d.rehashIdx] == nil {
			d.rehashIdx++
			emptyVisits--
			if emptyVisits == 0 {
				return
			}
		}
		e := d.ht[0].buckets[d.rehashIdx]
		for e != nil {
			next := e.next
			h := zhashString(e.Member) & d.ht[1].mask()
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
		d.ht[1] = ztable{}
		d.rehashIdx = -1
	}
}

func (d *zindex) step() {
	if d.rehashIdx != -1 && d.pauseRehash == 0 {
		d.rehashStep(1)
	}
}

func zindexSize(n int) int {
	if n < zindexInitialSize {
		return zindexInitialSize
	}
	return 1 << bits.Len(uint(n-1))
}

func (d *zindex) resizeTo(size int) {
	if d.rehashing() {
		return
	}
	size = zindexSize(size)
	if size == len(d.ht[0].buckets) {
		return
	}
	t := ztable{buckets: make([]*ZNode, size)}
	if d.ht[0].buckets == nil {
		d.ht[0] = t
		return
	}
	d.ht[1] = t
	d.rehashIdx = 0
}

func (d *zindex) expandIfNeeded() {
	if d.rehashing() {
		return
	}
	n := len(d.ht[0].buckets)
	if n == 0 {
		d.resizeTo(zindexInitialSize)
		return
	}
	if d.ht[0].used >= n {
		d.resizeTo(d.ht[0].used + 1)
	}
}

// expand presizes the table for n members (dictExpand).
func (d *zindex) expand(n int) {
	if n > d.len() {
		d.resizeTo(n)
	}
}

// shrinkIfNeeded resizes a sparse table down.
func (d *zindex) shrinkIfNeeded() {
	n := len(d.ht[0].buckets)
	if d.rehashing() || n <= zindexInitialSize {
		return
	}
	if d.ht[0].used*100/n < zindexMinFill {
		d.resizeTo(d.ht[0].used)
	}
}

// find returns member's node, spending one rehash step.
func (d *zindex) find(member []byte) *ZNode {
	if d.len() == 0 {
		return nil
	}
	d.step()
	return d.findHashed(member, zhashBytes(member))
}

// findHashed looks member, whose hash is h, up without a rehash step.
func (d *zindex) findHashed(member []byte, h uint64) *ZNode {
	fp := zfingerprint(h)
	for t := 0; t < 2; t++ {
		tb := &d.ht[t]
		if tb.buckets == nil {
			break
		}
		for e := tb.buckets[h&tb.mask()]; e != nil; e = e.next {
			if e.fp == fp && e.Member == string(member) {
				return e
			}
		}
		if !d.rehashing() {
			break
		}
	}
	return nil
}

// add links a node whose member is absent, spending one rehash step.
func (d *zindex) add(n *ZNode) { d.addHashed(n, zhashString(n.Member)) }

// addHashed is add for a member whose hash h is known.
func (d *zindex) addHashed(n *ZNode, h uint64) {
	d.step()
	d.expandIfNeeded()
	tb := &d.ht[0]
	if d.rehashing() {
		tb = &d.ht[1]
	}
	n.fp = zfingerprint(h)
	idx := h & tb.mask()
	n.next = tb.buckets[idx]
	tb.buckets[idx] = n
	tb.used++
}

// remove unlinks member's node and returns it, or nil.
func (d *zindex) remove(member []byte) *ZNode {
	if d.len() == 0 {
		return nil
	}
	d.step()
	h := zhashBytes(member)
	fp := zfingerprint(h)
	for t := 0; t < 2; t++ {
		tb := &d.ht[t]
		if tb.buckets == nil {
			break
		}
		var prev *ZNode
		idx := h & tb.mask()
		for e := tb.buckets[idx]; e != nil; e = e.next {
			if e.fp == fp && e.Member == string(member) {
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

// scan visits the buckets at cursor and returns the next cursor (0 when
// done), with the reverse-binary cursor that survives resizes between calls.
func (d *zindex) scan(cursor uint64, fn func(n *ZNode)) uint64 {
	if d.len() == 0 {
		return 0
	}
	d.pauseRehash++
	defer func() { d.pauseRehash-- }()
	visit := func(tb *ztable, idx uint64) {
		for e := tb.buckets[idx]; e != nil; {
			next := e.next
			fn(e)
			e = next
		}
	}
	advance := func(cursor, mask uint64) uint64 {
		cursor |= ^mask
		return bits.Reverse64(bits.Reverse64(cursor) + 1)
	}
	if !d.rehashing() {
		t0 := &d.ht[0]
		m0 := t0.mask()
		visit(t0, cursor&m0)
		return advance(cursor, m0)
	}
	small, large := &d.ht[0], &d.ht[1]
	if len(small.buckets) > len(large.buckets) {
		small, large = large, small
	}
	m0, m1 := small.mask(), large.mask()
	visit(small, cursor&m0)
	for {
		visit(large, cursor&m1)
		cursor = advance(cursor, m1)
		if cursor&(m0^m1) == 0 {
			break
		}
	}
	return cursor
}

// random picks a random non-empty bucket, then a random node of its chain
// (dictGetRandomKey), or returns nil when empty.
func (d *zindex) random() *ZNode {
	if d.len() == 0 {
		return nil
	}
	d.step()
	var head *ZNode
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
	e := head
	for k := rand.IntN(n); k > 0; k-- {
		e = e.next
	}
	return e
}

// buckets is the number of slots in both tables (Redis's dictSlots).
func (d *zindex) buckets() int { return len(d.ht[0].buckets) + len(d.ht[1].buckets) }
