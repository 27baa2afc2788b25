// list.go is the list value, stored like Redis's quicklist: a sequence of
// chunks, each packing up to listChunkElems elements (at most about
// listChunkBytes of them) into one byte buffer with a table of 2-byte start
// offsets. A list of a million short strings then costs about two bytes of
// overhead per element, like a listpack's length and back-length bytes,
// instead of a slice header and a separate allocation each. Pushes and pops
// at both ends are O(1) amortized; index access walks chunks from the
// nearest end or from the last position looked up, so LRANGE's sequential
// reads are O(1) each. Redis 7.0 stores every list as a quicklist, which is
// the encoding reported.
package types

import (
	"slices"

	"github.com/redoubt/redoubt/internal/keyspace"
)

// Chunk limits: like Redis's default 8 KiB listpacks, small enough that
// rebuilding one for a middle insert or delete stays cheap. A chunk's
// offsets stay below 64 KiB: its live bytes are at most listChunkBytes
// plus head room of the same order, except for a chunk holding one element
// longer than listChunkBytes, whose only offset is 0.
const (
	listChunkBytes = 4096
	listChunkElems = 1024
)

// listChunk holds elements lo..len(offs)-1 of its slot range: element j
// starts at buf[offs[j]] and ends where element j+1 starts, the last one at
// len(buf). Slots before lo belong to popped elements; their bytes are
// reused by later head pushes.
type listChunk struct {
	buf  []byte
	offs []uint16
	lo   int
}

func (c *listChunk) count() int { return len(c.offs) - c.lo }

func (c *listChunk) at(k int) []byte {
	j := c.lo + k
	end := len(c.buf)
	if j+1 < len(c.offs) {
		end = int(c.offs[j+1])
	}
	return c.buf[c.offs[j]:end:end]
}

// first is where the live bytes start.
func (c *listChunk) first() int {
	if c.lo == len(c.offs) {
		return len(c.buf)
	}
	return int(c.offs[c.lo])
}

func (c *listChunk) size() int { return len(c.buf) - c.first() }

// fits reports whether v can join the chunk; an empty chunk takes anything.
func (c *listChunk) fits(v []byte) bool {
	n := c.count()
	return n == 0 || (n < listChunkElems && c.size()+len(v) <= listChunkBytes)
}

func (c *listChunk) pushTail(v []byte) {
	if (c.lo > 0 || c.first() > 0) && (len(c.buf)+len(v) > cap(c.buf) || len(c.offs) == cap(c.offs)) {
		// Growing anyway: drop the popped front rather than carry it, so
		// a queue (tail pushes, head pops) stays within one chunk's room.
		c.repack(len(v))
	}
	c.offs = append(c.offs, uint16(len(c.buf)))
	c.buf = append(c.buf, v...)
}

func (c *listChunk) pushHead(v []byte) {
	first := c.first()
	if c.lo == 0 || first < len(v) {
		// Make room in front: as much again as the live part, so a run
		// of head pushes copies each byte O(1) times.
		live, n := len(c.buf)-first, c.count()
		room := len(v) + live
		slots := n + 1
		buf := make([]byte, room+live)
		copy(buf[room:], c.buf[first:])
		offs := make([]uint16, slots+n)
		for k := 0; k < n; k++ {
			offs[slots+k] = c.offs[c.lo+k] - uint16(first) + uint16(room)
		}
		c.buf, c.offs, c.lo = buf, offs, slots
		first = room
	}
	start := first - len(v)
	copy(c.buf[start:], v)
	c.lo--
	c.offs[c.lo] = uint16(start)
}

// repack moves the live elements to fresh buffers with room for about as
// much again plus extra bytes.
func (c *listChunk) repack(extra int) {
	first, n := c.first(), c.count()
	live := len(c.buf) - first
	buf := make([]byte, live, 2*(live+extra))
	copy(buf, c.buf[first:])
	offs := make([]uint16, n, 2*(n+1))
	for k := range n {
		offs[k] = c.offs[c.lo+k] - uint16(first)
	}
	c.buf, c.offs, c.lo = buf, offs, 0
}

// popHead and popTail drop an end element, returning its bytes (aliasing
// the chunk until the next push).
func (c *listChunk) popHead() []byte {
	v := c.at(0)
	c.lo++
	return v
}

func (c *listChunk) popTail() []byte {
	j := len(c.offs) - 1
	v := c.at(j - c.lo)
	c.buf = c.buf[:c.offs[j]]
	c.offs = c.offs[:j]
	return v
}

// newChunk packs elems exactly (no spare capacity).
func newChunk(elems [][]byte) *listChunk {
	total := 0
	for _, e := range elems {
		total += len(e)
	}
	c := &listChunk{buf: make([]byte, 0, total), offs: make([]uint16, 0, len(elems))}
	for _, e := range elems {
		c.pushTail(e)
	}
	return c
}

// newEndChunk starts a chunk at an end of the list with v in it. After a
// well-filled chunk (a long list being built) it gets a full chunk's bytes
// and about as many slots as that chunk used at once, so filling it
// allocates nothing more and it is left without slack worth trimming; a
// short list's chunk grows on demand instead.
func newEndChunk(v []byte, head bool, prev *listChunk) *listChunk {
	if len(v) > listChunkBytes || prev == nil || (prev.size() < listChunkBytes/2 && prev.count() < listChunkElems/2) {
		c := newChunk([][]byte{v})
		return c
	}
	slots := min(listChunkElems, prev.count()+prev.count()/16+1)
	if head {
		c := &listChunk{buf: make([]byte, listChunkBytes), offs: make([]uint16, slots)}
		c.lo = slots
		c.pushHead(v)
		return c
	}
	c := &listChunk{buf: make([]byte, 0, listChunkBytes), offs: make([]uint16, 0, slots)}
	c.pushTail(v)
	return c
}

// elems lists the chunk's elements, aliasing its buffer.
func (c *listChunk) elems() [][]byte {
	out := make([][]byte, c.count())
	for k := range out {
		out[k] = c.at(k)
	}
	return out
}

// compacted returns the chunk without spare room when it has much of it;
// a chunk that stops being an end of the list never grows again.
func (c *listChunk) compacted() *listChunk {
	first, n := c.first(), c.count()
	live := len(c.buf) - first
	if first+cap(c.buf)-len(c.buf) <= live/8 && c.lo+cap(c.offs)-len(c.offs) <= n/8 {
		return c
	}
	d := &listChunk{buf: slices.Clone(c.buf[first:]), offs: make([]uint16, n)}
	for k := range n {
		d.offs[k] = c.offs[c.lo+k] - uint16(first)
	}
	return d
}

// List is a list value. Elements are copied in; returned slices alias the
// list and are valid until it next changes.
type List struct {
	chunks []*listChunk
	n      int
	// The last chunk located and the index of its first element, so
	// sequential access does not walk from an end each time.
	cacheChunk, cacheBase int
	cacheOK               bool
}

// NewList returns an empty list.
func NewList() *List { return &List{} }

func (*List) Kind() keyspace.Kind { return keyspace.KindList }

// Encoding is "quicklist": Redis 7.0 uses it for every list.
func (*List) Encoding() string { return "quicklist" }

// Dup returns a deep copy.
func (l *List) Dup() keyspace.Value {
	d := &List{n: l.n, chunks: make([]*listChunk, len(l.chunks))}
	for i, c := range l.chunks {
		d.chunks[i] = newChunk(c.elems())
	}
	return d
}

// Len is the number of elements.
func (l *List) Len() int { return l.n }

// locate finds element i (0 <= i < Len): its chunk's index and its position
// in the chunk.
func (l *List) locate(i int) (int, int) {
	if l.cacheOK {
		// Sequential reads mostly stay in the chunk found last.
		if k := i - l.cacheBase; k >= 0 && k < l.chunks[l.cacheChunk].count() {
			return l.cacheChunk, k
		}
	}
	ci, base := 0, 0
	if i >= l.n/2 {
		ci = len(l.chunks) - 1
		base = l.n - l.chunks[ci].count()
	}
	if l.cacheOK && abs(i-l.cacheBase) < abs(i-base) {
		ci, base = l.cacheChunk, l.cacheBase
	}
	for i < base {
		ci--
		base -= l.chunks[ci].count()
	}
	for i >= base+l.chunks[ci].count() {
		base += l.chunks[ci].count()
		ci++
	}
	l.cacheChunk, l.cacheBase, l.cacheOK = ci, base, true
	return ci, i - base
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// At returns element i (0 <= i < Len).
func (l *List) At(i int) []byte {
	ci, k := l.locate(i)
	return l.chunks[ci].at(k)
}

// rebuild replaces chunk ci with elems, split when over the limits (in
// halves when they fit, so repeated middle inserts leave half-full chunks),
// or removes it when elems is empty.
func (l *List) rebuild(ci int, elems [][]byte) {
	l.cacheOK = false
	if len(elems) == 0 {
		l.chunks = slices.Delete(l.chunks, ci, ci+1)
		return
	}
	if packable(elems) {
		l.chunks[ci] = newChunk(elems)
		return
	}
	half := len(elems) / 2
	if packable(elems[:half]) && packable(elems[half:]) {
		l.chunks[ci] = newChunk(elems[:half])
		l.chunks = slices.Insert(l.chunks, ci+1, newChunk(elems[half:]))
		return
	}
	// An element longer than a chunk is among them: pack greedily, that
	// element alone.
	var parts []*listChunk
	for start := 0; start < len(elems); {
		end, total := start+1, len(elems[start])
		for end < len(elems) && end-start < listChunkElems && total+len(elems[end]) <= listChunkBytes {
			total += len(elems[end])
			end++
		}
		parts = append(parts, newChunk(elems[start:end]))
		start = end
	}
	l.chunks = slices.Replace(l.chunks, ci, ci+1, parts...)
}

// packable reports whether elems can share one chunk.
func packable(elems [][]byte) bool {
	if len(elems) <= 1 {
		return true
	}
	if len(elems) > listChunkElems {
		return false
	}
	total := 0
	for _, e := range elems {
		total += len(e)
	}
	return total <= listChunkBytes
}

// Set replaces element i (0 <= i < Len).
func (l *List) Set(i int, v []byte) {
	ci, k := l.locate(i)
	elems := l.chunks[ci].elems()
	elems[k] = v
	l.rebuild(ci, elems)
}

// PushHead inserts v before element 0.
func (l *List) PushHead(v []byte) {
	l.cacheOK = false
	if len(l.chunks) == 0 || !l.chunks[0].fits(v) {
		var prev *listChunk
		if len(l.chunks) > 0 {
			prev = l.chunks[0]
			l.chunks[0] = prev.compacted()
		}
		l.chunks = slices.Insert(l.chunks, 0, newEndChunk(v, true, prev))
	} else {
		l.chunks[0].pushHead(v)
	}
	l.n++
}

// PushTail appends v.
func (l *List) PushTail(v []byte) {
	last := len(l.chunks) - 1
	if last < 0 || !l.chunks[last].fits(v) {
		var prev *listChunk
		if last >= 0 {
			prev = l.chunks[last]
			l.chunks[last] = prev.compacted()
		}
		l.chunks = append(l.chunks, newEndChunk(v, false, prev))
	} else {
		l.chunks[last].pushTail(v)
	}
	l.n++
}

// Push inserts v at the head or at the tail.
func (l *List) Push(v []byte, head bool) {
	if head {
		l.PushHead(v)
	} else {
		l.PushTail(v)
	}
}

// dropHead and dropTail remove an end element and return it aliased.
func (l *List) dropHead() []byte {
	l.cacheOK = false
	c := l.chunks[0]
	v := c.popHead()
	l.n--
	if c.count() == 0 {
		l.chunks[0] = nil
		l.chunks = l.chunks[1:]
		if len(l.chunks) == 0 || cap(l.chunks) > 4*len(l.chunks) {
			l.chunks = slices.Clip(slices.Clone(l.chunks))
		}
	}
	return v
}

func (l *List) dropTail() []byte {
	last := len(l.chunks) - 1
	c := l.chunks[last]
	v := c.popTail()
	l.n--
	if c.count() == 0 {
		l.chunks[last] = nil
		l.chunks = l.chunks[:last]
		if l.cacheChunk >= last {
			l.cacheOK = false
		}
	}
	return v
}

// PopHead removes and returns element 0; nil when empty.
func (l *List) PopHead() []byte {
	if l.n == 0 {
		return nil
	}
	return append([]byte{}, l.dropHead()...)
}

// PopTail removes and returns the last element; nil when empty.
func (l *List) PopTail() []byte {
	if l.n == 0 {
		return nil
	}
	return append([]byte{}, l.dropTail()...)
}

// Pop removes an element from the head or the tail.
func (l *List) Pop(head bool) []byte {
	if head {
		return l.PopHead()
	}
	return l.PopTail()
}

// Drop removes an element from the head or the tail and returns it without
// a copy: valid until the list next changes. nil when empty.
func (l *List) Drop(head bool) []byte {
	if l.n == 0 {
		return nil
	}
	if head {
		return l.dropHead()
	}
	return l.dropTail()
}

// Insert puts v at position i (0 <= i <= Len).
func (l *List) Insert(i int, v []byte) {
	if i == 0 {
		l.PushHead(v)
		return
	}
	if i == l.n {
		l.PushTail(v)
		return
	}
	ci, k := l.locate(i)
	l.rebuild(ci, slices.Insert(l.chunks[ci].elems(), k, v))
	l.n++
}

// Remove deletes element i (0 <= i < Len).
func (l *List) Remove(i int) {
	ci, k := l.locate(i)
	l.rebuild(ci, slices.Delete(l.chunks[ci].elems(), k, k+1))
	l.n--
}

// Trim keeps only elements [start, start+count) (in range), in time
// proportional to the elements removed.
func (l *List) Trim(start, count int) {
	for l.n > start+count {
		l.dropTail()
	}
	for range start {
		l.dropHead()
	}
}

// RemoveMatching deletes elements equal to v, at most limit of them (0: all),
// scanning from the head, or from the tail when fromTail. It returns how many
// were removed.
func (l *List) RemoveMatching(v []byte, limit int, fromTail bool) int {
	removed := 0
	drop := func(ci int) {
		c := l.chunks[ci]
		var keep [][]byte
		changed := false
		n := c.count()
		for j := 0; j < n; j++ {
			k := j
			if fromTail {
				k = n - 1 - j
			}
			e := c.at(k)
			if (limit == 0 || removed < limit) && string(e) == string(v) {
				removed++
				changed = true
				continue
			}
			keep = append(keep, e)
		}
		if changed {
			if fromTail {
				slices.Reverse(keep)
			}
			l.rebuild(ci, keep)
		}
	}
	if fromTail {
		for ci := len(l.chunks) - 1; ci >= 0 && (limit == 0 || removed < limit); ci-- {
			drop(ci)
		}
	} else {
		for ci := 0; ci < len(l.chunks) && (limit == 0 || removed < limit); {
			before := len(l.chunks)
			drop(ci)
			ci += 1 + len(l.chunks) - before
		}
	}
	l.n -= removed
	l.cacheOK = false
	return removed
}

// MemoryUsage estimates Redis's footprint: a quicklist header, one node per
// listpack of up to 8 KiB, and the listpack bytes of sampled elements scaled
// to the whole list (samples 0: all).
func (l *List) MemoryUsage(samples int) int64 {
	const robj, quicklistHeader, nodeSize = 16, 40, 32
	if l.n == 0 {
		return robj + quicklistHeader
	}
	k := l.n
	if samples > 0 && samples < k {
		k = samples
	}
	var bytes int64
	for i := 0; i < k; i++ {
		e := int64(len(l.At(i)))
		bytes += e + 2 + e/128
	}
	total := bytes * int64(l.n) / int64(k)
	nodes := total/8192 + 1
	return robj + quicklistHeader + nodes*(nodeSize+7) + total
}
