package types

import (
	"math/rand/v2"
	"testing"
)

// TestStreamModel compares appends, deletes, trims and ranges with a
// sorted slice.
func TestStreamModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	type ent struct {
		id StreamID
		fv []string
	}
	for round := 0; round < 50; round++ {
		s := NewStream()
		var model []ent
		next := StreamID{1, 0}
		for op := 0; op < 400; op++ {
			switch k := r.IntN(10); {
			case k < 6:
				next = StreamID{next.Ms + uint64(r.IntN(3)), uint64(r.IntN(4))}
				if len(model) > 0 && !model[len(model)-1].id.Less(next) || !s.LastID.Less(next) {
					next, _ = s.LastID.Incr()
				}
				fv := []string{"a", "1", "b", "2"}
				if r.IntN(3) == 0 {
					fv = []string{"c", string(rune('a' + r.IntN(26)))}
				}
				bs := make([][]byte, len(fv))
				for i, x := range fv {
					bs[i] = []byte(x)
				}
				s.Append(next, bs, 5, 4096)
				model = append(model, ent{next, fv})
			case k < 8 && len(model) > 0:
				i := r.IntN(len(model))
				if !s.Delete(model[i].id) {
					t.Fatal("delete failed")
				}
				model = append(model[:i], model[i+1:]...)
			case k == 8:
				n := r.IntN(len(model) + 1)
				s.Trim(false, int64(n), StreamID{}, false, 0)
				if len(model) > n {
					model = model[len(model)-n:]
				}
			default:
				var got []StreamID
				a := StreamID{uint64(r.IntN(int(next.Ms + 2))), 0}
				b := StreamID{a.Ms + uint64(r.IntN(5)), 2}
				rev := r.IntN(2) == 0
				s.Range(a, b, rev, func(id StreamID, _ [][]byte) bool { got = append(got, id); return true })
				var want []StreamID
				for _, e := range model {
					if !e.id.Less(a) && !b.Less(e.id) {
						want = append(want, e.id)
					}
				}
				if rev {
					for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
						want[i], want[j] = want[j], want[i]
					}
				}
				if len(got) != len(want) {
					t.Fatalf("range %v %v rev=%v: got %v want %v", a, b, rev, got, want)
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("range: got %v want %v", got, want)
					}
				}
			}
			if s.Len() != uint64(len(model)) {
				t.Fatalf("len %d want %d", s.Len(), len(model))
			}
			if len(model) > 0 && s.FirstID != model[0].id {
				t.Fatalf("first %v want %v", s.FirstID, model[0].id)
			}
		}
		for _, e := range model {
			fv, ok := s.Get(e.id)
			if !ok || len(fv) != len(e.fv) {
				t.Fatalf("get %v", e.id)
			}
			for i := range fv {
				if string(fv[i]) != e.fv[i] {
					t.Fatalf("get %v: %q", e.id, fv)
				}
			}
		}
	}
}

// TestStreamFirstStoredID: the first entry a node still holds, deleted or
// not, until its node goes; the maximum ID once the stream holds none.
func TestStreamFirstStoredID(t *testing.T) {
	s := NewStream()
	if got := s.FirstStoredID(); got != MaxStreamID {
		t.Fatalf("empty stream: %v", got)
	}
	for i := uint64(1); i <= 6; i++ {
		s.Append(StreamID{i, 0}, [][]byte{[]byte("f"), []byte("v")}, 3, 4096)
	}
	s.Delete(StreamID{1, 0})
	if got := s.FirstStoredID(); got != (StreamID{1, 0}) {
		t.Errorf("after deleting the first entry: %v, want its tombstone 1-0", got)
	}
	s.Delete(StreamID{2, 0})
	s.Delete(StreamID{3, 0})
	if got := s.FirstStoredID(); got != (StreamID{4, 0}) {
		t.Errorf("after emptying the first node: %v, want 4-0", got)
	}
	s.Trim(false, 0, StreamID{}, false, 0)
	if got := s.FirstStoredID(); got != MaxStreamID {
		t.Errorf("after trimming everything: %v", got)
	}
}
