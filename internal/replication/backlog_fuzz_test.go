package replication

import (
	"bytes"
	"testing"
)

// FuzzBacklog reads ops from the fuzz input and checks the ring against the
// slice model: each op byte picks append (with the following bytes as data),
// resize, or a copy at an offset near the backlog.
func FuzzBacklog(f *testing.F) {
	f.Add(uint8(4), []byte{0, 3, 'a', 'b', 'c', 1, 2, 2, 5, 0, 9, 'x'})
	f.Add(uint8(1), []byte{0, 7, 1, 2, 3, 4, 5, 6, 7, 2, 0, 1, 200})
	f.Fuzz(func(t *testing.T, size8 uint8, ops []byte) {
		size := int(size8%64) + 1
		b := NewBacklog(size, 1<<33)
		m := &sliceModel{size: size, offset: 1 << 33}
		for len(ops) >= 2 {
			op, arg := ops[0]%3, int(ops[1])
			ops = ops[2:]
			switch op {
			case 0:
				n := min(arg, len(ops))
				p := ops[:n]
				ops = ops[n:]
				b.Append(p)
				m.append(p)
			case 1:
				size = arg%64 + 1
				b.Resize(size)
				m.size = size
				m.trim()
			case 2:
				off := m.first() + int64(arg) - 4
				got, ok := b.CopyFrom(off)
				want, wantOK := m.copyFrom(off)
				if ok != wantOK || !bytes.Equal(got, want) {
					t.Fatalf("CopyFrom(%d) = %v, %v; model %v, %v", off, got, ok, want, wantOK)
				}
			}
			if b.MasterReplOffset() != m.offset || b.Histlen() != int64(len(m.data)) || b.FirstByteOffset() != m.first() {
				t.Fatalf("offset %d histlen %d first %d; model %d %d %d",
					b.MasterReplOffset(), b.Histlen(), b.FirstByteOffset(), m.offset, len(m.data), m.first())
			}
		}
	})
}
