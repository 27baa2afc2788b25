// hash_test.go checks the hash type: listpack order under updates and
// deletes, the conversion thresholds, deep copies, random picks and a full
// HSCAN-style iteration of a hashtable while it grows.
package types

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func hashFields(h *Hash) (fields, values []string) {
	h.ForEach(func(f, v []byte) bool {
		fields = append(fields, string(f))
		values = append(values, string(v))
		return true
	})
	return fields, values
}

func TestHashListpackOrder(t *testing.T) {
	h := NewHash()
	for _, f := range []string{"a", "b", "c", "d"} {
		if h.Set([]byte(f), []byte("v"+f), 512, 64) {
			t.Fatalf("new field %s reported as update", f)
		}
	}
	if !h.Set([]byte("b"), []byte("B"), 512, 64) {
		t.Fatal("update of b reported as new")
	}
	if !h.Delete([]byte("a")) || h.Delete([]byte("a")) {
		t.Fatal("delete a: once true, then false")
	}
	h.Set([]byte("a"), []byte("again"), 512, 64)
	fields, values := hashFields(h)
	if !reflect.DeepEqual(fields, []string{"b", "c", "d", "a"}) || !reflect.DeepEqual(values, []string{"B", "vc", "vd", "again"}) {
		t.Fatalf("order %v %v", fields, values)
	}
	if h.Encoding() != "listpack" || h.Len() != 4 {
		t.Fatalf("%s %d", h.Encoding(), h.Len())
	}
	if v, ok := h.Get([]byte("c")); !ok || string(v) != "vc" {
		t.Fatalf("get c: %q %v", v, ok)
	}
	if _, ok := h.Get([]byte("zz")); ok {
		t.Fatal("missing field found")
	}
}

func TestHashSetCopiesArguments(t *testing.T) {
	for _, maxEntries := range []int64{512, 0} {
		h := NewHash()
		f, v := []byte("field"), []byte("value")
		h.Set(f, v, maxEntries, 64)
		copy(f, "XXXXX")
		copy(v, "YYYYY")
		if got, ok := h.Get([]byte("field")); !ok || string(got) != "value" {
			t.Fatalf("%s: stored pair aliases the arguments: %q %v", h.Encoding(), got, ok)
		}
	}
}

func TestHashConversion(t *testing.T) {
	h := NewHash()
	for i := 0; i < 3; i++ {
		h.Set([]byte(fmt.Sprint("f", i)), []byte("x"), 3, 8)
	}
	if h.Encoding() != "listpack" {
		t.Fatal("3 entries with limit 3 must stay listpack")
	}
	h.Set([]byte("f3"), []byte("x"), 3, 8)
	if h.Encoding() != "hashtable" || h.Len() != 4 {
		t.Fatalf("after 4th entry: %s %d", h.Encoding(), h.Len())
	}
	for i := 0; i < 4; i++ {
		h.Delete([]byte(fmt.Sprint("f", i)))
	}
	h.Set([]byte("x"), []byte("y"), 3, 8)
	if h.Encoding() != "hashtable" {
		t.Fatal("a hashtable never converts back")
	}

	v := NewHash()
	v.Set([]byte("f"), []byte("12345678"), 512, 8)
	if v.Encoding() != "listpack" {
		t.Fatal("value at the limit must stay listpack")
	}
	v.Set([]byte("f"), []byte("123456789"), 512, 8)
	if v.Encoding() != "hashtable" {
		t.Fatal("value over the limit must convert")
	}
	if got, _ := v.Get([]byte("f")); string(got) != "123456789" {
		t.Fatalf("value after conversion %q", got)
	}

	a := NewHash()
	a.Set([]byte("a"), []byte("1"), 512, 8)
	a.ConvertIfTooLong([][]byte{[]byte("short"), []byte("123456789")}, 8)
	if a.Encoding() != "hashtable" || a.Len() != 1 {
		t.Fatalf("ConvertIfTooLong: %s %d", a.Encoding(), a.Len())
	}
}

func TestHashDup(t *testing.T) {
	for _, maxEntries := range []int64{512, 2} {
		h := NewHash()
		for i := 0; i < 5; i++ {
			h.Set([]byte(fmt.Sprint("f", i)), []byte(fmt.Sprint("v", i)), maxEntries, 64)
		}
		d := h.Dup().(*Hash)
		if d.Encoding() != h.Encoding() {
			t.Fatalf("dup encoding %s, original %s", d.Encoding(), h.Encoding())
		}
		h.Set([]byte("f0"), []byte("changed"), maxEntries, 64)
		h.Delete([]byte("f1"))
		if got, _ := d.Get([]byte("f0")); string(got) != "v0" {
			t.Fatalf("%s: dup shares values: %q", d.Encoding(), got)
		}
		if !d.Exists([]byte("f1")) || d.Len() != 5 {
			t.Fatalf("%s: dup shares fields", d.Encoding())
		}
	}
}

func TestHashRandomUnique(t *testing.T) {
	for _, maxEntries := range []int64{512, 2} {
		h := NewHash()
		for i := 0; i < 30; i++ {
			h.Set([]byte(fmt.Sprint("f", i)), []byte(fmt.Sprint("v", i)), maxEntries, 64)
		}
		for _, count := range []int{1, 5, 10, 11, 29} {
			fields, values := h.RandomUnique(count)
			if len(fields) != count || len(values) != count {
				t.Fatalf("%s count %d: got %d", h.Encoding(), count, len(fields))
			}
			seen := map[string]bool{}
			for i, f := range fields {
				if seen[string(f)] {
					t.Fatalf("%s count %d: %s twice", h.Encoding(), count, f)
				}
				seen[string(f)] = true
				if want, _ := h.Get(f); string(want) != string(values[i]) {
					t.Fatalf("%s: value %q paired with %s", h.Encoding(), values[i], f)
				}
			}
		}
		// every field can come out of Random
		seen := map[string]bool{}
		for i := 0; i < 3000 && len(seen) < 30; i++ {
			f, v := h.Random()
			if want, _ := h.Get(f); string(want) != string(v) {
				t.Fatalf("random pair %s=%s", f, v)
			}
			seen[string(f)] = true
		}
		if len(seen) != 30 {
			t.Fatalf("%s: Random reached only %d of 30 fields", h.Encoding(), len(seen))
		}
	}
}

// A scan of a hashtable that grows between calls still returns every field
// that was present for the whole iteration.
func TestHashScanGuarantee(t *testing.T) {
	h := NewHash()
	for i := 0; i < 100; i++ {
		h.Set([]byte(fmt.Sprint("f", i)), []byte("v"), 0, 64)
	}
	seen := map[string]int{}
	cursor, next := uint64(0), 100
	for calls := 0; ; calls++ {
		cursor = h.Scan(cursor, func(f, v []byte) { seen[string(f)]++ })
		if cursor == 0 {
			break
		}
		// grow (and rehash) during the first calls only, so the scan ends
		for j := 0; j < 20 && calls < 20; j++ {
			h.Set([]byte(fmt.Sprint("f", next)), []byte("v"), 0, 64)
			next++
		}
	}
	for i := 0; i < 100; i++ {
		if seen[fmt.Sprint("f", i)] == 0 {
			t.Fatalf("f%d missed by the scan", i)
		}
	}
}

func TestHashMemoryUsage(t *testing.T) {
	small, large := NewHash(), NewHash()
	for i := 0; i < 100; i++ {
		small.Set([]byte(fmt.Sprint("f", i)), []byte("v"), 512, 64)
		large.Set([]byte(fmt.Sprint("f", i)), []byte("v"), 0, 64)
	}
	if s, l := small.MemoryUsage(0), large.MemoryUsage(0); s <= 0 || l <= s {
		t.Fatalf("listpack %d, hashtable %d: the hashtable must cost more", s, l)
	}
}

// Hashtable fields keep field and value in the entry's allocation up to
// maxEmbedded bytes and beyond it in a second one; values change length in
// place or move out. Every size class, the uvarint length boundaries and
// empty fields and values must read back intact.
func TestHashFieldStorage(t *testing.T) {
	lengths := []int{0, 1, 13, 14, 15, 16, 17, 100, 127, 128, 129, 190, 191, 192, 193, 206, 207, 208, 209, 300, 16383, 16384, 70000}
	h := NewHash()
	want := map[string]string{}
	for i, fl := range []int{0, 1, 9, 50, 200, 300} {
		for j, vl := range lengths {
			f := fmt.Sprintf("%d.%d:", i, j) + string(bytes.Repeat([]byte{'f'}, fl))
			v := string(bytes.Repeat([]byte{byte('a' + j%26)}, vl))
			h.Set([]byte(f), []byte(v), 0, 64)
			want[f] = v
		}
	}
	h.Set(nil, nil, 0, 64)
	want[""] = ""
	check := func(what string) {
		t.Helper()
		if h.Len() != len(want) {
			t.Fatalf("%s: %d fields, want %d", what, h.Len(), len(want))
		}
		for f, v := range want {
			got, ok := h.Get([]byte(f))
			if !ok || string(got) != v || got == nil {
				t.Fatalf("%s: field %.20q: %v, %d bytes, want %d", what, f, ok, len(got), len(v))
			}
		}
		n := 0
		h.ForEach(func(f, v []byte) bool {
			n++
			if want[string(f)] != string(v) {
				t.Fatalf("%s: ForEach %.20q has %d bytes", what, f, len(v))
			}
			return true
		})
		if n != len(want) {
			t.Fatalf("%s: ForEach saw %d", what, n)
		}
	}
	check("set")
	d := h.Dup().(*Hash)
	// same length (in place), longer, shorter, emptied
	k := 0
	for f, v := range want {
		var nv string
		switch k % 4 {
		case 0:
			nv = string(bytes.Repeat([]byte{'Z'}, len(v)))
		case 1:
			nv = v + string(bytes.Repeat([]byte{'L'}, 200))
		case 2:
			nv = v[:len(v)/2]
		}
		if !h.Set([]byte(f), []byte(nv), 0, 64) {
			t.Fatalf("update of %.20q reported as new", f)
		}
		want[f] = nv
		k++
	}
	check("updated")
	for f := range want {
		if _, ok := d.Get([]byte(f)); !ok {
			t.Fatalf("dup lost %.20q", f)
		}
	}
	// a same-length update writes in place: the copy must not see it
	f := []byte("2.5:" + strings.Repeat("f", 9))
	h.Set(f, bytes.Repeat([]byte{'Q'}, len(want[string(f)])), 0, 64)
	if got, _ := d.Get(f); string(got) != strings.Repeat("f", 16) {
		t.Fatalf("dup shares a value updated in place: %q", got)
	}
}

// A new hashtable field is one allocation, and a value replaced by one of
// the same length (a counter, a fixed-size record) none.
func TestHashFieldAllocs(t *testing.T) {
	h := NewHash()
	h.Set([]byte("x"), []byte("y"), 0, 64)
	for i := 0; i < 1<<16; i++ {
		h.Set([]byte(fmt.Sprint("pre", i)), []byte("v"), 0, 64)
	}
	fields := make([][]byte, 1000)
	for i := range fields {
		fields[i] = []byte(fmt.Sprint("element:", i))
	}
	value := []byte("0123456789abcdef")
	i := 0
	if n := testing.AllocsPerRun(len(fields)-1, func() {
		h.Set(fields[i], value, 0, 64)
		i++
	}); n > 1 {
		t.Fatalf("new field: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { h.Set(fields[3], []byte("fedcba9876543210"), 0, 64) }); n != 0 {
		t.Fatalf("same-length update: %v allocations", n)
	}
}
