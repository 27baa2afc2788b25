// list.go is the list value: a growable ring buffer of elements, so pushes
// and pops at both ends are O(1) (amortized) and index access is O(1) for
// LINDEX/LSET/LRANGE. It shrinks when mostly empty, so a drained queue does
// not keep its peak memory. Redis 7.0 stores every list as a quicklist,
// which is the encoding reported.
package types

import "github.com/redoubt/redoubt/internal/keyspace"

// List is a list value. Elements are owned by the list (callers pass copies).
type List struct {
	buf  [][]byte // len(buf) is zero or a power of two
	head int      // index in buf of element 0
	n    int
}

// NewList returns an empty list.
func NewList() *List { return &List{} }

func (*List) Kind() keyspace.Kind { return keyspace.KindList }

// Encoding is "quicklist": Redis 7.0 uses it for every list.
func (*List) Encoding() string { return "quicklist" }

// Dup returns a deep copy.
func (l *List) Dup() keyspace.Value {
	d := &List{}
	d.grow(l.n)
	for i := 0; i < l.n; i++ {
		d.buf[i] = append([]byte(nil), l.At(i)...)
	}
	d.n = l.n
	return d
}

// Len is the number of elements.
func (l *List) Len() int { return l.n }

func (l *List) slot(i int) int { return (l.head + i) & (len(l.buf) - 1) }

// At returns element i (0 <= i < Len).
func (l *List) At(i int) []byte { return l.buf[l.slot(i)] }

// Set replaces element i (0 <= i < Len).
func (l *List) Set(i int, v []byte) { l.buf[l.slot(i)] = v }

// grow makes room for at least need elements, keeping their order and
// moving element 0 to slot 0.
func (l *List) grow(need int) {
	if need <= len(l.buf) {
		return
	}
	size := max(len(l.buf), 8)
	for size < need {
		size *= 2
	}
	l.resize(size)
}

func (l *List) resize(size int) {
	nb := make([][]byte, size)
	for i := 0; i < l.n; i++ {
		nb[i] = l.buf[l.slot(i)]
	}
	l.buf, l.head = nb, 0
}

// shrink gives memory back when the list uses under a quarter of it.
func (l *List) shrink() {
	if len(l.buf) > 64 && l.n < len(l.buf)/4 {
		l.resize(len(l.buf) / 2)
	}
}

// PushHead inserts v before element 0.
func (l *List) PushHead(v []byte) {
	l.grow(l.n + 1)
	l.head = (l.head - 1) & (len(l.buf) - 1)
	l.buf[l.head] = v
	l.n++
}

// PushTail appends v.
func (l *List) PushTail(v []byte) {
	l.grow(l.n + 1)
	l.buf[l.slot(l.n)] = v
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

// PopHead removes and returns element 0; nil when empty.
func (l *List) PopHead() []byte {
	if l.n == 0 {
		return nil
	}
	v := l.buf[l.head]
	l.buf[l.head] = nil
	l.head = (l.head + 1) & (len(l.buf) - 1)
	l.n--
	l.shrink()
	return v
}

// PopTail removes and returns the last element; nil when empty.
func (l *List) PopTail() []byte {
	if l.n == 0 {
		return nil
	}
	s := l.slot(l.n - 1)
	v := l.buf[s]
	l.buf[s] = nil
	l.n--
	l.shrink()
	return v
}

// Pop removes an element from the head or the tail.
func (l *List) Pop(head bool) []byte {
	if head {
		return l.PopHead()
	}
	return l.PopTail()
}

// Insert puts v at position i (0 <= i <= Len), shifting the shorter side.
func (l *List) Insert(i int, v []byte) {
	if i == 0 {
		l.PushHead(v)
		return
	}
	if i == l.n {
		l.PushTail(v)
		return
	}
	l.grow(l.n + 1)
	if i < l.n/2 {
		l.head = (l.head - 1) & (len(l.buf) - 1)
		for j := 0; j < i; j++ {
			l.buf[l.slot(j)] = l.buf[l.slot(j+1)]
		}
	} else {
		for j := l.n; j > i; j-- {
			l.buf[l.slot(j)] = l.buf[l.slot(j-1)]
		}
	}
	l.buf[l.slot(i)] = v
	l.n++
}

// Remove deletes element i (0 <= i < Len), shifting the shorter side.
func (l *List) Remove(i int) {
	if i < l.n/2 {
		for j := i; j > 0; j-- {
			l.buf[l.slot(j)] = l.buf[l.slot(j-1)]
		}
		l.buf[l.head] = nil
		l.head = (l.head + 1) & (len(l.buf) - 1)
	} else {
		for j := i; j < l.n-1; j++ {
			l.buf[l.slot(j)] = l.buf[l.slot(j+1)]
		}
		l.buf[l.slot(l.n-1)] = nil
	}
	l.n--
	l.shrink()
}

// Trim keeps only elements [start, start+count) (in range).
func (l *List) Trim(start, count int) {
	for i := 0; i < start; i++ {
		l.buf[l.slot(i)] = nil
	}
	for i := start + count; i < l.n; i++ {
		l.buf[l.slot(i)] = nil
	}
	l.head = l.slot(start)
	l.n = count
	for len(l.buf) > 64 && l.n < len(l.buf)/4 {
		l.resize(len(l.buf) / 2)
	}
}

// RemoveMatching deletes elements equal to v, at most limit of them (0: all),
// scanning from the head, or from the tail when fromTail. It compacts in
// one pass and returns how many were removed.
func (l *List) RemoveMatching(v []byte, limit int, fromTail bool) int {
	removed := 0
	if !fromTail {
		w := 0
		for r := 0; r < l.n; r++ {
			e := l.At(r)
			if (limit == 0 || removed < limit) && string(e) == string(v) {
				removed++
				continue
			}
			l.buf[l.slot(w)] = e
			w++
		}
		for i := w; i < l.n; i++ {
			l.buf[l.slot(i)] = nil
		}
	} else {
		w := l.n - 1
		for r := l.n - 1; r >= 0; r-- {
			e := l.At(r)
			if (limit == 0 || removed < limit) && string(e) == string(v) {
				removed++
				continue
			}
			l.buf[l.slot(w)] = e
			w--
		}
		for i := 0; i <= w; i++ {
			l.buf[l.slot(i)] = nil
		}
		l.head = l.slot(w + 1)
	}
	l.n -= removed
	for len(l.buf) > 64 && l.n < len(l.buf)/4 {
		l.resize(len(l.buf) / 2)
	}
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
