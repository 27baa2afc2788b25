package replication

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// sliceModel is the obvious backlog: the whole stream, trimmed to size.
type sliceModel struct {
	data   []byte
	size   int
	offset int64 // master_repl_offset
}

func (m *sliceModel) append(p []byte) {
	m.data = append(m.data, p...)
	m.offset += int64(len(p))
	m.trim()
}

func (m *sliceModel) trim() {
	if len(m.data) > m.size {
		m.data = append([]byte(nil), m.data[len(m.data)-m.size:]...)
	}
}

func (m *sliceModel) first() int64 { return m.offset - int64(len(m.data)) + 1 }

func (m *sliceModel) copyFrom(off int64) ([]byte, bool) {
	if off < m.first() || off > m.first()+int64(len(m.data)) {
		return nil, false
	}
	return m.data[off-m.first():], true
}

func TestBacklogEmpty(t *testing.T) {
	b := NewBacklog(DefaultBacklogSize, 100)
	if b.Size() != 1<<20 || b.MasterReplOffset() != 100 || b.Histlen() != 0 || b.FirstByteOffset() != 101 {
		t.Fatalf("empty backlog: size %d offset %d histlen %d first %d", b.Size(), b.MasterReplOffset(), b.Histlen(), b.FirstByteOffset())
	}
	if got, ok := b.CopyFrom(101); !ok || len(got) != 0 {
		t.Fatalf("CopyFrom(next byte) = %q, %v; want empty, true", got, ok)
	}
	for _, off := range []int64{100, 102, -1, 0} {
		if _, ok := b.CopyFrom(off); ok {
			t.Errorf("CopyFrom(%d) on empty backlog at 100: ok, want full resync", off)
		}
	}
}

func TestBacklogAppendAndCopy(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		start     int64
		appends   []string
		wantHist  int64
		wantFirst int64
		wantOff   int64
		copies    map[int64]string // offset -> data; missing "!" means not ok
	}{
		{
			name: "fits", size: 10, start: 0, appends: []string{"abc", "def"},
			wantHist: 6, wantFirst: 1, wantOff: 6,
			copies: map[int64]string{0: "!", 1: "abcdef", 4: "def", 6: "f", 7: "", 8: "!"},
		},
		{
			name: "exactly full", size: 6, start: 0, appends: []string{"abc", "def"},
			wantHist: 6, wantFirst: 1, wantOff: 6,
			copies: map[int64]string{1: "abcdef", 7: "", 0: "!", 8: "!"},
		},
		{
			name: "wraps", size: 4, start: 0, appends: []string{"abc", "def"},
			wantHist: 4, wantFirst: 3, wantOff: 6,
			copies: map[int64]string{2: "!", 3: "cdef", 5: "ef", 7: "", 8: "!"},
		},
		{
			name: "wraps twice", size: 4, start: 1000, appends: []string{"abc", "def", "ghi"},
			wantHist: 4, wantFirst: 1006, wantOff: 1009,
			copies: map[int64]string{1005: "!", 1006: "fghi", 1009: "i", 1010: "", 1011: "!"},
		},
		{
			name: "one append larger than ring", size: 3, start: 5, appends: []string{"x", "abcdefg"},
			wantHist: 3, wantFirst: 11, wantOff: 13,
			copies: map[int64]string{10: "!", 11: "efg", 14: ""},
		},
		{
			name: "append exactly ring size after partial", size: 3, start: 0, appends: []string{"ab", "cde"},
			wantHist: 3, wantFirst: 3, wantOff: 5,
			copies: map[int64]string{3: "cde", 2: "!"},
		},
		{
			name: "empty appends", size: 3, start: 7, appends: []string{"", "a", ""},
			wantHist: 1, wantFirst: 8, wantOff: 8,
			copies: map[int64]string{8: "a", 9: "", 7: "!"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBacklog(tt.size, tt.start)
			for _, a := range tt.appends {
				b.Append([]byte(a))
			}
			if b.Histlen() != tt.wantHist || b.FirstByteOffset() != tt.wantFirst || b.MasterReplOffset() != tt.wantOff {
				t.Fatalf("histlen %d first %d offset %d; want %d %d %d",
					b.Histlen(), b.FirstByteOffset(), b.MasterReplOffset(), tt.wantHist, tt.wantFirst, tt.wantOff)
			}
			for off, want := range tt.copies {
				got, ok := b.CopyFrom(off)
				if want == "!" {
					if ok {
						t.Errorf("CopyFrom(%d) = %q, ok; want full resync", off, got)
					}
					continue
				}
				if !ok || string(got) != want {
					t.Errorf("CopyFrom(%d) = %q, %v; want %q, true", off, got, ok, want)
				}
			}
		})
	}
}

func TestBacklogResize(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		appends   []string
		resize    int
		after     string // appended after the resize
		wantData  string // whole history
		wantFirst int64
	}{
		{name: "grow keeps all", size: 4, appends: []string{"abcdef"}, resize: 8, after: "gh", wantData: "cdefgh", wantFirst: 3},
		{name: "grow then fill and wrap", size: 4, appends: []string{"abcdef"}, resize: 6, after: "ghij", wantData: "efghij", wantFirst: 5},
		{name: "shrink keeps newest", size: 8, appends: []string{"abcdef"}, resize: 3, after: "", wantData: "def", wantFirst: 4},
		{name: "shrink wrapped ring", size: 4, appends: []string{"abc", "def"}, resize: 2, after: "g", wantData: "fg", wantFirst: 6},
		{name: "shrink above histlen", size: 8, appends: []string{"ab"}, resize: 4, after: "cde", wantData: "bcde", wantFirst: 2},
		{name: "same size", size: 4, appends: []string{"abcdef"}, resize: 4, after: "g", wantData: "defg", wantFirst: 4},
		{name: "shrink empty", size: 4, appends: nil, resize: 1, after: "xy", wantData: "y", wantFirst: 2},
		{name: "shrink to histlen exactly", size: 8, appends: []string{"abcde"}, resize: 5, after: "f", wantData: "bcdef", wantFirst: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBacklog(tt.size, 0)
			for _, a := range tt.appends {
				b.Append([]byte(a))
			}
			offBefore := b.MasterReplOffset()
			b.Resize(tt.resize)
			if b.Size() != tt.resize || b.MasterReplOffset() != offBefore {
				t.Fatalf("after Resize: size %d offset %d; want %d %d", b.Size(), b.MasterReplOffset(), tt.resize, offBefore)
			}
			b.Append([]byte(tt.after))
			got, ok := b.CopyFrom(b.FirstByteOffset())
			if !ok || string(got) != tt.wantData || b.FirstByteOffset() != tt.wantFirst || b.Histlen() != int64(len(tt.wantData)) {
				t.Fatalf("history %q (ok %v) first %d histlen %d; want %q first %d", got, ok, b.FirstByteOffset(), b.Histlen(), tt.wantData, tt.wantFirst)
			}
		})
	}
}

func TestBacklogCopyIsACopy(t *testing.T) {
	b := NewBacklog(4, 0)
	b.Append([]byte("abcd"))
	got, _ := b.CopyFrom(1)
	got[0] = 'X'
	again, _ := b.CopyFrom(1)
	if string(again) != "abcd" {
		t.Fatalf("CopyFrom returned the ring itself: %q", again)
	}
}

func TestBacklogBadSizePanics(t *testing.T) {
	for _, f := range []func(){
		func() { NewBacklog(0, 0) },
		func() { NewBacklog(4, 0).Resize(-1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic for size < 1")
				}
			}()
			f()
		}()
	}
}

func TestInfo(t *testing.T) {
	if got := Info(nil, DefaultBacklogSize); got != (BacklogInfo{Size: DefaultBacklogSize}) {
		t.Errorf("Info(nil) = %+v", got)
	}
	b := NewBacklog(4, 10)
	b.Append([]byte("abcdef"))
	want := BacklogInfo{Active: 1, Size: 4, FirstByteOffset: 13, Histlen: 4}
	if got := Info(b, 4); got != want {
		t.Errorf("Info = %+v, want %+v", got, want)
	}
}

// TestBacklogRandomAgainstModel drives the ring and the slice model with the
// same random appends, resizes and copies, and wants identical answers.
func TestBacklogRandomAgainstModel(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		rng := rand.New(rand.NewPCG(seed, seed*7919))
		size := 1 + rng.IntN(64)
		start := rng.Int64N(1 << 40)
		b := NewBacklog(size, start)
		m := &sliceModel{size: size, offset: start}
		var next byte
		for step := 0; step < 300; step++ {
			switch op := rng.IntN(10); {
			case op < 6:
				p := make([]byte, rng.IntN(2*size+2))
				for i := range p {
					p[i] = next
					next++
				}
				b.Append(p)
				m.append(p)
			case op < 7:
				size = 1 + rng.IntN(64)
				b.Resize(size)
				m.size = size
				m.trim()
			default:
				off := m.first() + rng.Int64N(int64(size)+6) - 3
				got, ok := b.CopyFrom(off)
				want, wantOK := m.copyFrom(off)
				if ok != wantOK || !bytes.Equal(got, want) {
					t.Fatalf("seed %d step %d: CopyFrom(%d) = %v, %v; model %v, %v", seed, step, off, got, ok, want, wantOK)
				}
			}
			if b.MasterReplOffset() != m.offset || b.Histlen() != int64(len(m.data)) || b.FirstByteOffset() != m.first() {
				t.Fatalf("seed %d step %d: offset %d histlen %d first %d; model %d %d %d", seed, step,
					b.MasterReplOffset(), b.Histlen(), b.FirstByteOffset(), m.offset, len(m.data), m.first())
			}
		}
		all, ok := b.CopyFrom(b.FirstByteOffset())
		if !ok || !bytes.Equal(all, m.data) {
			t.Fatalf("seed %d: history %v, model %v", seed, all, m.data)
		}
	}
}
