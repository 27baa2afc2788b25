package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"testing"
)

// checkDecodeErr fails unless err is nil or an *Error inside the input.
func checkDecodeErr(t *testing.T, err error, n int) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Offset < 0 || e.Offset > n {
		t.Fatalf("error %v (input %d bytes)", err, n)
	}
}

// fixHeaderSize makes a listpack's or ziplist's total-size header match
// its length, so that fuzzing reaches the entry checks.
func fixHeaderSize(b []byte, fix bool) {
	if fix && len(b) >= 4 {
		binary.LittleEndian.PutUint32(b, uint32(len(b)))
	}
}

// splitSeed turns fuzz bytes into a few elements.
func splitSeed(b []byte) [][]byte {
	return bytes.Split(b, []byte{','})
}

func FuzzListpack(f *testing.F) {
	f.Add(BuildListpack(bs(edgeValues()[:30])), false)
	f.Add(BuildListpack(bs([]string{"a", "1000", "hello", "-5", "99999999999"})), true)
	f.Add(BuildListpack(nil), false)
	f.Fuzz(func(t *testing.T, lp []byte, fixSize bool) {
		fixHeaderSize(lp, fixSize)
		_, perr := ListpackPairs(lp)
		checkDecodeErr(t, perr, len(lp))
		es, err := ListpackEntries(lp)
		checkDecodeErr(t, err, len(lp))
		if err != nil && perr == nil {
			t.Fatal("pairs accepted an invalid listpack")
		}
		if err != nil {
			return
		}
		// re-encoding the elements gives a listpack with the same elements
		again, err := ListpackEntries(BuildListpack(bs(entryStrings(es))))
		if err != nil || !slices.Equal(entryStrings(again), entryStrings(es)) {
			t.Fatalf("re-encode: %v", err)
		}
	})
}

func FuzzListpackRoundTrip(f *testing.F) {
	f.Add([]byte("a,1,-1,128,4096,,012,-0,9223372036854775808"))
	f.Fuzz(func(t *testing.T, b []byte) {
		elems := splitSeed(b)
		es, err := ListpackEntries(BuildListpack(elems))
		if err != nil {
			t.Fatal(err)
		}
		zes, err := ZiplistEntries(BuildZiplist(elems))
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range elems {
			if es[i].String() != string(e) || zes[i].String() != string(e) {
				t.Fatalf("element %d %q: listpack %q ziplist %q", i, e, es[i].String(), zes[i].String())
			}
		}
	})
}

func FuzzZiplist(f *testing.F) {
	f.Add(BuildZiplist(bs(edgeValues()[:30])), false)
	f.Add(BuildZiplist(bs([]string{"f1", "v1", "f2", "v2"})), true)
	f.Add(BuildZiplist(nil), false)
	f.Fuzz(func(t *testing.T, zl []byte, fixSize bool) {
		fixHeaderSize(zl, fixSize)
		_, perr := ZiplistPairs(zl)
		checkDecodeErr(t, perr, len(zl))
		es, err := ZiplistEntries(zl)
		checkDecodeErr(t, err, len(zl))
		if err != nil && perr == nil {
			t.Fatal("pairs accepted an invalid ziplist")
		}
		if err != nil {
			return
		}
		again, err := ZiplistEntries(BuildZiplist(bs(entryStrings(es))))
		if err != nil || !slices.Equal(entryStrings(again), entryStrings(es)) {
			t.Fatalf("re-encode: %v", err)
		}
	})
}

func FuzzIntset(f *testing.F) {
	f.Add(AppendIntset(nil, []int64{1, 2, 3}))
	f.Add(AppendIntset(nil, []int64{-1 << 40, 5}))
	f.Add(AppendIntset(nil, []int64{70000}))
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, err := IntsetValues(b)
		checkDecodeErr(t, err, len(b))
		if err != nil {
			return
		}
		again, err := IntsetValues(AppendIntset(nil, vs))
		if err != nil || !slices.Equal(again, vs) {
			t.Fatalf("re-encode: %v", err)
		}
	})
}

func FuzzZipmap(f *testing.F) {
	f.Add([]byte{2, 2, 'f', '1', 2, 0, 'v', '1', 2, 'f', '2', 2, 0, 'v', '2', 0xff})
	f.Add([]byte{254, 254, 1, 0, 0, 0, 'k', 3, 2, 'v', 'a', 'l', 'x', 'x', 0xff})
	f.Fuzz(func(t *testing.T, zm []byte) {
		pairs, err := ZipmapPairs(zm)
		checkDecodeErr(t, err, len(zm))
		if err == nil && (len(pairs) == 0 || len(pairs)%2 != 0) {
			t.Fatalf("%d strings", len(pairs))
		}
	})
}

func FuzzQuicklist(f *testing.F) {
	f.Add(AppendQuicklist2(nil, QuicklistNodes(bs(edgeValues()[:20]), -1, 20), true), true)
	f.Add(AppendQuicklist2(nil, QuicklistNodes(bs([]string{"a", "b", "1"}), 2, 1<<30), false), true)
	f.Add(AppendQuicklist(nil, bs([]string{"a", "b", "1", "hello"}), 2, true), false)
	f.Fuzz(func(t *testing.T, b []byte, v2 bool) {
		r := NewReader(b)
		var err error
		if v2 {
			_, err = r.ReadQuicklist2()
		} else {
			_, err = r.ReadQuicklist()
		}
		checkDecodeErr(t, err, len(b))
	})
}
