package rdb

import (
	"strconv"
	"testing"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

// FuzzReadValue: any bytes under any value type decode to a value or an
// error, never a panic or hang; what decodes re-encodes and decodes again.
func FuzzReadValue(f *testing.F) {
	seed := func(v keyspace.Value) {
		typ, _ := TypeOf(v)
		f.Add(typ, AppendValue(nil, v, DefaultSaveOptions))
	}
	l := types.NewList()
	h := types.NewHash()
	z := types.NewZSet(true)
	s := types.NewIntset()
	for i := range 20 {
		l.PushTail([]byte(strconv.Itoa(i * 1000)))
		h.Set([]byte("f"+strconv.Itoa(i)), []byte(strconv.Itoa(i)), 128, 64)
		z.Insert("m"+strconv.Itoa(i), float64(i)/3)
		s.Add([]byte(strconv.Itoa(i*70000)), 512)
	}
	for _, v := range []keyspace.Value{l, h, z, s, testStream(30, true), types.NewString([]byte("x"))} {
		seed(v)
	}
	f.Add(byte(TypeHashZipmap), AppendString(nil, buildZipmap([]string{"a", "b"}), false))
	f.Add(byte(TypeListZiplist), AppendString(nil, BuildZiplist(bs([]string{"a", "1"})), false))
	f.Add(byte(TypeZSetZiplist), AppendString(nil, BuildZiplist(bs([]string{"a", "1"})), false))
	f.Add(byte(TypeListQuicklist), AppendQuicklist(nil, bs([]string{"a", "1", "b"}), 2, false))
	f.Fuzz(func(t *testing.T, typ byte, data []byte) {
		typ %= TypeStreamListpacks2 + 1
		v, err := ReadValue(NewReader(data), typ, DefaultLimits)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		t2, err := TypeOf(v)
		if err != nil {
			t.Fatal(err)
		}
		b := AppendValue(nil, v, DefaultSaveOptions)
		if _, err := ReadValue(NewReader(b), t2, DefaultLimits); err != nil {
			t.Fatalf("re-encoded value (type %d from %d) fails: %v", t2, typ, err)
		}
	})
}
