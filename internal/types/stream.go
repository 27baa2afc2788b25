// stream.go holds the stream type. Entries live in packed nodes (one byte
// slice each, up to stream-node-max-entries entries / -bytes bytes), kept
// in a slice sorted by ID so a seek is a binary search over nodes and a
// short scan inside one. As in Redis's listpacks, each entry's ID is stored
// as a delta from its node's master ID, and an entry whose fields equal the
// node's master fields stores only its values. Deleted entries are flagged
// in place; a node whose entries are all deleted is dropped.
package types

import (
	"bytes"
	"encoding/binary"
	"sort"
	"strconv"

	"github.com/redoubt/redoubt/internal/keyspace"
)

// StreamID is a stream entry ID (milliseconds-sequence).
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the largest ID ("+").
var MaxStreamID = StreamID{^uint64(0), ^uint64(0)}

// Less orders IDs.
func (a StreamID) Less(b StreamID) bool {
	return a.Ms < b.Ms || (a.Ms == b.Ms && a.Seq < b.Seq)
}

// Cmp returns -1, 0 or 1.
func (a StreamID) Cmp(b StreamID) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}

// IsZero reports whether a is 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Incr returns the next ID and false when a is the maximum.
func (a StreamID) Incr() (StreamID, bool) {
	if a.Seq == ^uint64(0) {
		if a.Ms == ^uint64(0) {
			return a, false
		}
		return StreamID{a.Ms + 1, 0}, true
	}
	return StreamID{a.Ms, a.Seq + 1}, true
}

// Decr returns the previous ID and false when a is 0-0.
func (a StreamID) Decr() (StreamID, bool) {
	if a.Seq == 0 {
		if a.Ms == 0 {
			return a, false
		}
		return StreamID{a.Ms - 1, ^uint64(0)}, true
	}
	return StreamID{a.Ms, a.Seq - 1}, true
}

// AppendTo appends "ms-seq".
func (a StreamID) AppendTo(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

func (a StreamID) String() string { return string(a.AppendTo(nil)) }

// An entry's flags are the low bits of its first uvarint, so the deleted
// flag can be set in place in the first byte.
const (
	entDeleted    = 1
	entSameFields = 2
	entFlagBits   = 2
	// maxMsDelta is the largest ms delta an entry's header can hold; an
	// entry further from its node's master starts a new node.
	maxMsDelta = 1<<(64-entFlagBits) - 1
)

// streamNode is a run of consecutive entries packed into buf. Each entry:
// uvarint ms delta from master shifted left by entFlagBits with the flags
// in the low bits, uvarint seq, then either the values (same fields as
// master) or uvarint count and field/value pairs; every string is a
// uvarint length and its bytes.
type streamNode struct {
	master       StreamID
	last         StreamID // ID of the last entry (live or deleted)
	masterFields [][]byte
	buf          []byte
	count        int // entries in buf, deleted included
	live         int
}

// Stream is a stream value.
type Stream struct {
	nodes        []*streamNode
	length       uint64
	LastID       StreamID
	FirstID      StreamID // valid when length > 0
	MaxDeletedID StreamID
	EntriesAdded uint64
	groups       []*StreamGroup // by name
	nodeBytes    int64          // heap held by nodes (stream_mem.go)
	nodeHint     int            // buffer length of the last node that filled up
}

// NewStream returns an empty stream.
func NewStream() *Stream { return &Stream{} }

func (*Stream) Kind() keyspace.Kind { return keyspace.KindStream }
func (*Stream) Encoding() string    { return "stream" }

// Len is the number of live entries.
func (s *Stream) Len() uint64 { return s.length }

// Dup returns a deep copy.
func (s *Stream) Dup() keyspace.Value {
	d := *s
	d.nodes = make([]*streamNode, len(s.nodes))
	for i, n := range s.nodes {
		nn := *n
		nn.buf = append([]byte(nil), n.buf...)
		nn.masterFields = make([][]byte, len(n.masterFields))
		for j, f := range n.masterFields {
			nn.masterFields[j] = append([]byte(nil), f...)
		}
		d.nodes[i] = &nn
	}
	d.recountNodeBytes()
	d.groups = make([]*StreamGroup, len(s.groups))
	for i, g := range s.groups {
		d.groups[i] = g.dup()
	}
	return &d
}

func putBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func sameFields(master [][]byte, fv [][]byte) bool {
	if len(master)*2 != len(fv) {
		return false
	}
	for i, f := range master {
		if !bytes.Equal(f, fv[2*i]) {
			return false
		}
	}
	return true
}

// Append adds an entry with id (which the caller checked is greater than
// LastID) and field/value pairs fv, with Redis's node limits.
func (s *Stream) Append(id StreamID, fv [][]byte, maxEntries, maxBytes int) {
	var n *streamNode
	if len(s.nodes) > 0 {
		n = s.nodes[len(s.nodes)-1]
		if (maxEntries > 0 && n.count >= maxEntries) || (maxBytes > 0 && len(n.buf) >= maxBytes) ||
			id.Ms-n.master.Ms > maxMsDelta {
			n = nil
		}
	}
	if n == nil {
		if k := len(s.nodes); k > 0 {
			s.sealNode(s.nodes[k-1], maxEntries, maxBytes)
		}
		n = &streamNode{master: id}
		if s.nodeHint > 0 {
			// Size the buffer for a node like the last full one (its
			// size class's spare bytes leave room for slightly longer
			// entries): growing by doubling would make about twice the
			// node's size in garbage, which the collector lets pile up
			// to the heap goal before it frees any.
			n.buf = make([]byte, 0, goAllocSize(s.nodeHint))
		}
		n.masterFields = make([][]byte, len(fv)/2)
		for i := range n.masterFields {
			n.masterFields[i] = append([]byte(nil), fv[2*i]...)
		}
		s.nodes = append(s.nodes, n)
		s.nodeBytes += n.memBytes()
	}
	same := sameFields(n.masterFields, fv)
	flags := uint64(0)
	if same {
		flags = entSameFields
	}
	head := (id.Ms-n.master.Ms)<<entFlagBits | flags
	if need := entryLen(head, id.Seq, fv, same); len(n.buf)+need > cap(n.buf) {
		s.growNode(n, need, maxEntries, maxBytes)
	}
	n.buf = binary.AppendUvarint(n.buf, head)
	n.buf = binary.AppendUvarint(n.buf, id.Seq)
	if same {
		for i := 1; i < len(fv); i += 2 {
			n.buf = putBytes(n.buf, fv[i])
		}
	} else {
		n.buf = binary.AppendUvarint(n.buf, uint64(len(fv)/2))
		for _, x := range fv {
			n.buf = putBytes(n.buf, x)
		}
	}
	n.count++
	n.live++
	n.last = id
	if s.length == 0 {
		s.FirstID = id
	}
	s.length++
	s.LastID = id
	s.EntriesAdded++
}

func uvarint64Len(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// entryLen is the encoded size of an entry.
func entryLen(head, seq uint64, fv [][]byte, same bool) int {
	n := uvarint64Len(head) + uvarint64Len(seq)
	start := 0
	if same {
		start = 1
	} else {
		n += uvarintLen(len(fv) / 2)
	}
	step := 1
	if same {
		step = 2
	}
	for i := start; i < len(fv); i += step {
		n += uvarintLen(len(fv[i])) + len(fv[i])
	}
	return n
}

// growNode makes room for need more bytes in n. With node limits the
// new capacity is the node's projected final size (its average entry
// times the entry limit, or the byte limit), so a node is reallocated
// about once rather than at every doubling.
func (s *Stream) growNode(n *streamNode, need, maxEntries, maxBytes int) {
	want := len(n.buf) + need
	var pred int
	if maxEntries > 0 && n.count > 0 {
		pred = (len(n.buf)/n.count + 1) * maxEntries
	}
	if maxBytes > 0 && (pred == 0 || pred > maxBytes+need) {
		pred = maxBytes + need
	}
	// Grow at most 4x at a time: a young stream (no full node to size
	// from yet) of a few entries stays small, and huge node limits do
	// not turn into huge buffers for a node that may never fill.
	pred = min(pred, 4*cap(n.buf))
	if pred < want {
		pred = max(want, 2*cap(n.buf))
	}
	old := cap(n.buf)
	buf := make([]byte, len(n.buf), goAllocSize(pred))
	copy(buf, n.buf)
	n.buf = buf
	s.nodeBytes += goAllocSize(cap(buf)) - goAllocSize(old)
}

// sealNode is called when the last node n is full and a new one starts:
// n never grows again, so its length is the hint for the next node's
// buffer, and a buffer left with much spare capacity (the first node, or
// entries that outgrew the hint) is copied down to size.
func (s *Stream) sealNode(n *streamNode, maxEntries, maxBytes int) {
	if maxEntries > 0 && n.count >= maxEntries || maxBytes > 0 && len(n.buf) >= maxBytes {
		s.nodeHint = len(n.buf)
	}
	if goAllocSize(cap(n.buf))-goAllocSize(len(n.buf)) > int64(len(n.buf)/8) {
		s.nodeBytes -= goAllocSize(cap(n.buf))
		n.buf = append(make([]byte, 0, len(n.buf)), n.buf...)
		s.nodeBytes += goAllocSize(cap(n.buf))
	}
}

// nodeEntry is one decoded entry position.
type nodeEntry struct {
	off   int // offset of the entry, whose first byte holds the flags
	id    StreamID
	flags byte
}

func getBytes(b []byte, p int) ([]byte, int) {
	l, k := binary.Uvarint(b[p:])
	p += k
	return b[p : p+int(l) : p+int(l)], p + int(l)
}

// decodeHeader reads the entry at p; it returns the entry and the offset
// of its fields/values.
func (n *streamNode) decodeHeader(p int) (nodeEntry, int) {
	h, k := binary.Uvarint(n.buf[p:])
	e := nodeEntry{off: p, flags: byte(h & (1<<entFlagBits - 1))}
	p += k
	seq, k := binary.Uvarint(n.buf[p:])
	p += k
	e.id = StreamID{n.master.Ms + h>>entFlagBits, seq}
	return e, p
}

// decodeBody appends the entry's field/value pairs at p to fv and returns
// the offset past the entry.
func (n *streamNode) decodeBody(flags byte, p int, fv [][]byte) ([][]byte, int) {
	var x []byte
	if flags&entSameFields != 0 {
		for _, f := range n.masterFields {
			x, p = getBytes(n.buf, p)
			fv = append(fv, f, x)
		}
		return fv, p
	}
	cnt, k := binary.Uvarint(n.buf[p:])
	p += k
	for i := uint64(0); i < 2*cnt; i++ {
		x, p = getBytes(n.buf, p)
		fv = append(fv, x)
	}
	return fv, p
}

// entries lists the node's entry positions in order.
func (n *streamNode) entries() []nodeEntry {
	out := make([]nodeEntry, 0, n.count)
	for p := 0; p < len(n.buf); {
		e, q := n.decodeHeader(p)
		_, p = n.decodeBody(e.flags, q, nil)
		out = append(out, e)
	}
	return out
}

// Range calls fn for live entries with start <= id <= end, ascending (or
// descending when rev), until fn returns false. fv aliases the stream and
// is only valid during the call.
func (s *Stream) Range(start, end StreamID, rev bool, fn func(id StreamID, fv [][]byte) bool) {
	if end.Less(start) {
		return
	}
	var fv [][]byte
	if !rev {
		i := sort.Search(len(s.nodes), func(i int) bool { return !s.nodes[i].last.Less(start) })
		for ; i < len(s.nodes); i++ {
			n := s.nodes[i]
			if end.Less(n.master) {
				return
			}
			for p := 0; p < len(n.buf); {
				e, q := n.decodeHeader(p)
				if end.Less(e.id) {
					return
				}
				fv, p = n.decodeBody(e.flags, q, fv[:0])
				if e.flags&entDeleted == 0 && !e.id.Less(start) {
					if !fn(e.id, fv) {
						return
					}
				}
			}
		}
		return
	}
	i := sort.Search(len(s.nodes), func(i int) bool { return end.Less(s.nodes[i].master) }) - 1
	for ; i >= 0; i-- {
		n := s.nodes[i]
		if n.last.Less(start) {
			return
		}
		ents := n.entries()
		for j := len(ents) - 1; j >= 0; j-- {
			e := ents[j]
			if e.id.Less(start) {
				return
			}
			if e.flags&entDeleted != 0 || end.Less(e.id) {
				continue
			}
			_, q := n.decodeHeader(e.off)
			fv, _ = n.decodeBody(e.flags, q, fv[:0])
			if !fn(e.id, fv) {
				return
			}
		}
	}
}

// Get returns the entry's pairs (copied) and whether it exists.
func (s *Stream) Get(id StreamID) ([][]byte, bool) {
	var out [][]byte
	found := false
	s.Range(id, id, false, func(_ StreamID, fv [][]byte) bool {
		for _, x := range fv {
			out = append(out, append([]byte(nil), x...))
		}
		found = true
		return false
	})
	return out, found
}

// Delete removes the entry id and reports whether it existed. Like Redis's
// XDEL it records the max deleted ID and moves the first ID.
func (s *Stream) Delete(id StreamID) bool {
	i := sort.Search(len(s.nodes), func(i int) bool { return !s.nodes[i].last.Less(id) })
	if i == len(s.nodes) || id.Less(s.nodes[i].master) {
		return false
	}
	n := s.nodes[i]
	for p := 0; p < len(n.buf); {
		e, q := n.decodeHeader(p)
		_, p = n.decodeBody(e.flags, q, nil)
		if e.id == id {
			if e.flags&entDeleted != 0 {
				return false
			}
			s.removeAt(i, e.off)
			if s.MaxDeletedID.Less(id) {
				s.MaxDeletedID = id
			}
			if s.length == 0 {
				// as Redis's XDEL: an emptied stream records 0-0
				s.FirstID = StreamID{}
			} else if id == s.FirstID {
				s.FirstID = s.firstLive()
			}
			return true
		}
		if id.Less(e.id) {
			break
		}
	}
	return false
}

// removeAt flags the entry at off of node i deleted, dropping the node
// when it becomes empty.
func (s *Stream) removeAt(i, off int) {
	n := s.nodes[i]
	n.buf[off] |= entDeleted
	n.live--
	s.length--
	if n.live == 0 {
		s.dropNode(i)
	}
}

// dropNode removes node i, clearing the vacated slot so the backing
// array does not keep the node reachable.
func (s *Stream) dropNode(i int) {
	s.nodeBytes -= s.nodes[i].memBytes()
	if i == 0 {
		s.nodes[0] = nil
		s.nodes = s.nodes[1:]
		return
	}
	k := len(s.nodes) - 1
	copy(s.nodes[i:], s.nodes[i+1:])
	s.nodes[k] = nil
	s.nodes = s.nodes[:k]
}

func (s *Stream) firstLive() StreamID {
	var first StreamID
	s.Range(StreamID{}, MaxStreamID, false, func(id StreamID, _ [][]byte) bool {
		first = id
		return false
	})
	return first
}

// LastLive returns the ID of the last live entry (0-0 when empty).
func (s *Stream) LastLive() StreamID {
	var last StreamID
	s.Range(StreamID{}, MaxStreamID, true, func(id StreamID, _ [][]byte) bool {
		last = id
		return false
	})
	return last
}

// Trim removes entries from the head, as Redis's streamTrim: by length
// (maxLen >= 0) or below minID (byID), approx removing only whole nodes,
// and at most limit entries when limit > 0 (approx only). It returns the
// number of entries removed.
func (s *Stream) Trim(byID bool, maxLen int64, minID StreamID, approx bool, limit int64) int64 {
	var removed int64
	for len(s.nodes) > 0 {
		if !byID && int64(s.length) <= maxLen {
			break
		}
		n := s.nodes[0]
		// A whole node goes when all its entries must go.
		whole := false
		if byID {
			whole = n.last.Less(minID)
		} else {
			whole = int64(s.length)-int64(n.live) >= maxLen
		}
		if whole {
			// the work cap counts live entries, as Redis's node header
			if limit > 0 && removed+int64(n.live) > limit {
				break
			}
			removed += int64(n.live)
			s.length -= uint64(n.live)
			s.dropNode(0)
			continue
		}
		if approx {
			break
		}
		// Exact: flag entries one by one in this node.
		for p := 0; p < len(n.buf); {
			e, q := n.decodeHeader(p)
			_, p = n.decodeBody(e.flags, q, nil)
			if e.flags&entDeleted != 0 {
				continue
			}
			if byID && !e.id.Less(minID) || !byID && int64(s.length) <= maxLen {
				break
			}
			n.buf[e.off] |= entDeleted
			n.live--
			s.length--
			removed++
		}
		break
	}
	if len(s.nodes) == 0 {
		s.nodes = nil
	}
	if removed > 0 {
		if s.length > 0 {
			s.FirstID = s.firstLive()
		} else {
			s.FirstID = StreamID{}
		}
	}
	return removed
}

// NodeCount is the number of packed nodes (XINFO's radix-tree-keys).
func (s *Stream) NodeCount() int { return len(s.nodes) }

// RaxNodes is the number of nodes a Redis rax would hold for the nodes'
// master IDs (XINFO's radix-tree-nodes): a compressed radix tree over the
// 16-byte big-endian keys, where each chain without branches is one node.
func (s *Stream) RaxNodes() int {
	if len(s.nodes) == 0 {
		return 1
	}
	keys := make([][16]byte, len(s.nodes))
	for i, n := range s.nodes {
		binary.BigEndian.PutUint64(keys[i][:8], n.master.Ms)
		binary.BigEndian.PutUint64(keys[i][8:], n.master.Seq)
	}
	return raxCount(keys, 0)
}

func raxCount(keys [][16]byte, d int) int {
	if d == 16 {
		return 1
	}
	first, last := &keys[0], &keys[len(keys)-1]
	l := d
	for l < 16 && first[l] == last[l] {
		l++
	}
	if l > d {
		return 1 + raxCount(keys, l)
	}
	total := 1
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j][d] == keys[i][d] {
			j++
		}
		total += raxCount(keys[i:j], d+1)
		i = j
	}
	return total
}

// ForEachStored calls fn for every entry the stream's nodes still hold,
// deleted ones (tombstones) included, in ID order. fv aliases the stream.
func (s *Stream) ForEachStored(fn func(id StreamID, fv [][]byte, deleted bool)) {
	var fv [][]byte
	for _, n := range s.nodes {
		for p := 0; p < len(n.buf); {
			e, q := n.decodeHeader(p)
			fv, p = n.decodeBody(e.flags, q, fv[:0])
			fn(e.id, fv, e.flags&entDeleted != 0)
		}
	}
}

// FirstStoredID is the ID of the first entry the nodes hold, a tombstone
// included, or the maximum ID when there is none: what Redis propagates as
// the MINID an approximate trim amounted to (streamGetEdgeID without
// skipping tombstones).
func (s *Stream) FirstStoredID() StreamID {
	if len(s.nodes) == 0 {
		return MaxStreamID
	}
	n := s.nodes[0]
	e, _ := n.decodeHeader(0)
	return e.id
}
