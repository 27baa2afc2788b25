package types

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func fvOf(kv ...string) [][]byte {
	out := make([][]byte, len(kv))
	for i, x := range kv {
		out[i] = []byte(x)
	}
	return out
}

// checkNodeBytes compares the running node total with a recount.
func checkNodeBytes(t *testing.T, s *Stream, ctx string) {
	t.Helper()
	var want int64
	for _, n := range s.nodes {
		want += n.memBytes()
	}
	if s.nodeBytes != want {
		t.Fatalf("%s: running node bytes %d, recount %d", ctx, s.nodeBytes, want)
	}
}

// TestStreamNodeBytesTracked keeps the O(1) running total of node memory
// equal to a full recount through appends (with entry sizes that outgrow
// the previous node's), deletes, trims and Dup.
func TestStreamNodeBytesTracked(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, lim := range [][2]int{{100, 4096}, {5, 0}, {0, 64}, {0, 0}} {
		s := NewStream()
		id := StreamID{1, 0}
		for op := 0; op < 3000; op++ {
			switch k := r.IntN(20); {
			case k < 15:
				id = StreamID{id.Ms + uint64(r.IntN(2)), id.Seq + 1}
				v := fmt.Sprintf("%0*d", 1+op/100, op)
				if r.IntN(4) == 0 {
					s.Append(id, fvOf("other", v), lim[0], lim[1])
				} else {
					s.Append(id, fvOf("user", v, "action", "x"), lim[0], lim[1])
				}
			case k < 18:
				s.Delete(StreamID{id.Ms - uint64(r.IntN(int(id.Ms))), uint64(r.IntN(int(id.Seq + 1)))})
			default:
				s.Trim(false, int64(s.Len())*3/4, StreamID{}, r.IntN(2) == 0, 0)
			}
			checkNodeBytes(t, s, fmt.Sprintf("limits %v op %d", lim, op))
		}
		checkNodeBytes(t, s.Dup().(*Stream), "dup")
	}
}

// TestStreamMemoryUsageGrows checks the estimate follows what is stored:
// entries, a group, its pending entries and consumers all add bytes, and
// acknowledging and trimming give them back.
func TestStreamMemoryUsageGrows(t *testing.T) {
	s := NewStream()
	empty := s.MemoryUsage(0)
	for i := 1; i <= 1000; i++ {
		s.Append(StreamID{uint64(i), 0}, fvOf("user", fmt.Sprint(i), "action", "element:"+fmt.Sprint(i)), 100, 4096)
	}
	full := s.MemoryUsage(0)
	// Each entry is at least its values' bytes (about 15 here).
	if full-empty < 1000*15 {
		t.Fatalf("1000 entries: %d -> %d bytes", empty, full)
	}
	if full-empty > 1000*60 {
		t.Fatalf("1000 entries counted %d bytes, more than the packed layout takes", full-empty)
	}
	g := s.CreateGroup("g", StreamID{}, 0)
	withGroup := s.MemoryUsage(0)
	if withGroup <= full {
		t.Fatalf("group: %d -> %d", full, withGroup)
	}
	c := g.CreateConsumer("alice", 0)
	withConsumer := s.MemoryUsage(0)
	if withConsumer <= withGroup {
		t.Fatalf("consumer: %d -> %d", withGroup, withConsumer)
	}
	for i := 1; i <= 500; i++ {
		g.Deliver(StreamID{uint64(i), 0}, c, 0)
	}
	pending := s.MemoryUsage(0)
	// A NACK, its ID in two PELs and their pointers.
	if pending-withConsumer < 500*(24+2*(16+8)) {
		t.Fatalf("500 pending: %d -> %d", withConsumer, pending)
	}
	s.Trim(false, 100, StreamID{}, false, 0)
	if trimmed := s.MemoryUsage(0); trimmed >= pending {
		t.Fatalf("trim to 100 entries: %d -> %d", pending, trimmed)
	}
	if !s.DestroyGroup("g") {
		t.Fatal("destroy")
	}
	if s.MemoryUsage(0) >= pending {
		t.Fatal("destroying the group freed nothing")
	}
}

// TestStreamLargeMsDelta covers IDs too far apart for one node's header.
func TestStreamLargeMsDelta(t *testing.T) {
	s := NewStream()
	ids := []StreamID{{0, 1}, {1, 0}, {maxMsDelta, 0}, {maxMsDelta + 1, 5}, {^uint64(0) - 1, 0}, {^uint64(0), ^uint64(0)}}
	for _, id := range ids {
		s.Append(id, fvOf("f", id.String()), 100, 4096)
	}
	var got []StreamID
	s.Range(StreamID{}, MaxStreamID, false, func(id StreamID, fv [][]byte) bool {
		if string(fv[1]) != id.String() {
			t.Fatalf("%v holds %q", id, fv)
		}
		got = append(got, id)
		return true
	})
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Fatalf("got %v want %v", got, ids)
	}
	for _, id := range ids {
		if !s.Delete(id) {
			t.Fatalf("delete %v", id)
		}
	}
	if s.Len() != 0 || len(s.nodes) != 0 {
		t.Fatalf("len %d nodes %d", s.Len(), len(s.nodes))
	}
}

// TestStreamNodeBufferSized checks that a node's buffer is allocated
// about once, sized from the previous full node, instead of growing by
// doubling (about ten allocations per 4 KiB node, all garbage but the
// last), and that full nodes keep little spare capacity.
func TestStreamNodeBufferSized(t *testing.T) {
	s := NewStream()
	// arguments built up front, so only Append's allocations are counted
	var fvs [][][]byte
	for i := range 4000 {
		fvs = append(fvs, fvOf("user", fmt.Sprint(i), "action", "element:"+fmt.Sprint(i)))
	}
	i := 0
	add := func() {
		i++
		s.Append(StreamID{uint64(1000 + i/7), uint64(i % 7)}, fvs[i], 100, 4096)
	}
	for range 1000 {
		add()
	}
	// A node: its struct, its buffer, the master fields' slice and two
	// names, and now and then the node index growing.
	if allocs := testing.AllocsPerRun(20, func() {
		for range 100 {
			add()
		}
	}); allocs > 7 {
		t.Fatalf("%.1f allocations per 100-entry node", allocs)
	}
	for k, n := range s.nodes[:len(s.nodes)-1] {
		if goAllocSize(cap(n.buf))-int64(len(n.buf)) > int64(len(n.buf))/3 {
			t.Fatalf("node %d: %d bytes in a %d-byte buffer", k, len(n.buf), cap(n.buf))
		}
	}
}

// TestStreamHugeNodeLimits checks that large node limits do not make
// large buffers for a node holding a few entries.
func TestStreamHugeNodeLimits(t *testing.T) {
	for _, lim := range [][2]int{{0, 1 << 30}, {1 << 30, 0}, {1 << 30, 1 << 30}} {
		s := NewStream()
		for i := 1; i <= 300; i++ {
			s.Append(StreamID{uint64(i), 0}, fvOf("f", "value"), lim[0], lim[1])
		}
		// 300 entries of about 8 bytes
		if got := s.MemoryUsage(0); got > 300*8*4+1024 {
			t.Fatalf("limits %v: 300 small entries hold %d bytes", lim, got)
		}
	}
	// Limits raised (CONFIG SET) after nodes have filled up at the default.
	s := NewStream()
	for i := 1; i <= 600; i++ {
		lim := [2]int{100, 4096}
		if i > 300 {
			lim = [2]int{1 << 30, 0}
		}
		s.Append(StreamID{uint64(i), 0}, fvOf("f", "value"), lim[0], lim[1])
	}
	if got := s.MemoryUsage(0); got > 600*8*4+1024 {
		t.Fatalf("600 small entries hold %d bytes", got)
	}
}
