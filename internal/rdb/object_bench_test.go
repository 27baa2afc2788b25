package rdb

import (
	"strconv"
	"testing"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

func benchValues() map[string]keyspace.Value {
	l := types.NewList()
	st := types.NewStream()
	for i := range 100000 {
		l.PushTail([]byte("element:" + strconv.Itoa(i)))
		st.Append(types.StreamID{Ms: 1 + uint64(i)}, [][]byte{[]byte("field"), []byte(strconv.Itoa(i)), []byte("other"), []byte("value")}, 100, 4096)
	}
	return map[string]keyspace.Value{"list100k": l, "stream100k": st}
}

// BenchmarkValueCodec: saving and loading big lists and streams.
func BenchmarkValueCodec(b *testing.B) {
	for name, v := range benchValues() {
		typ, _ := TypeOf(v)
		enc := AppendValue(nil, v, DefaultSaveOptions)
		b.Run("save/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				AppendValue(nil, v, DefaultSaveOptions)
			}
		})
		b.Run("load/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := ReadValue(NewReader(enc), typ, DefaultLimits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
