// set_test.go checks the set type against a map model: membership through
// both encodings, the conversion rules (non-integer member, size beyond
// set-max-intset-entries, never back), intset order, Dup independence,
// random picks and a full SSCAN-style iteration across resizes.
package types

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"testing"
)

func TestSetIntsetStaysSortedAndConverts(t *testing.T) {
	s := NewSetFor([]byte("5"))
	if !s.IsIntset() || s.Encoding() != "intset" {
		t.Fatalf("set for an integer starts as %s", s.Encoding())
	}
	for _, m := range []string{"5", "-3", "9223372036854775807", "-9223372036854775808", "0", "12"} {
		if !s.Add([]byte(m), 6) {
			t.Fatalf("Add(%s) reported existing", m)
		}
	}
	if s.Add([]byte("12"), 6) {
		t.Fatal("duplicate added")
	}
	want := []string{"-9223372036854775808", "-3", "0", "5", "12", "9223372036854775807"}
	if got := s.Members(); !slices.Equal(got, want) {
		t.Fatalf("intset members %v, want %v", got, want)
	}
	if !s.IsIntset() {
		t.Fatal("converted at exactly the limit")
	}
	s.Add([]byte("7"), 6)
	if s.IsIntset() {
		t.Fatal("not converted beyond the limit")
	}
	for range 7 {
		s.Remove([]byte(s.Members()[0]))
	}
	if s.Len() != 0 || s.Encoding() != "hashtable" {
		t.Fatalf("after removing everything: len %d encoding %s", s.Len(), s.Encoding())
	}
	s.Add([]byte("1"), 6)
	if s.IsIntset() {
		t.Fatal("a hashtable converted back to an intset")
	}
}

func TestSetNonCanonicalIntegersAreStrings(t *testing.T) {
	for _, m := range []string{"01", "+1", " 1", "1.0", "-0", "9223372036854775808", "", "abc"} {
		s := NewIntset()
		s.Add([]byte("1"), 512)
		s.Add([]byte(m), 512)
		if s.IsIntset() {
			t.Errorf("%q kept the intset encoding", m)
		}
		if s.Len() != 2 || !s.Has([]byte(m)) || !s.Has([]byte("1")) {
			t.Errorf("%q: len %d, members %v", m, s.Len(), s.Members())
		}
	}
	if NewSetFor([]byte("01")).IsIntset() {
		t.Error("NewSetFor(01) is an intset")
	}
	s := NewIntset()
	s.Add([]byte("1"), 512)
	if s.Has([]byte("01")) || s.Remove([]byte("01")) || s.Remove([]byte("x")) {
		t.Error("01 or x found in an intset holding 1")
	}
}

func TestSetMaxEntriesZero(t *testing.T) {
	s := NewSetFor([]byte("1"))
	s.Add([]byte("1"), 0)
	if s.IsIntset() || !s.Has([]byte("1")) {
		t.Fatalf("with set-max-intset-entries 0: %s %v", s.Encoding(), s.Members())
	}
}

func TestSetModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	s := NewIntset()
	model := map[string]bool{}
	for i := range 20000 {
		var m string
		if r.IntN(50) == 0 {
			m = "s" + strconv.Itoa(r.IntN(100))
		} else {
			m = strconv.Itoa(r.IntN(2000) - 1000)
		}
		if r.IntN(3) == 0 {
			if s.Remove([]byte(m)) != model[m] {
				t.Fatalf("step %d: Remove(%s) disagrees with model", i, m)
			}
			delete(model, m)
		} else {
			if s.Add([]byte(m), 512) == model[m] {
				t.Fatalf("step %d: Add(%s) disagrees with model", i, m)
			}
			model[m] = true
		}
		if s.Len() != len(model) {
			t.Fatalf("step %d: len %d, model %d", i, s.Len(), len(model))
		}
	}
	got := s.Members()
	sort.Strings(got)
	var want []string
	for m := range model {
		want = append(want, m)
	}
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatal("members differ from the model")
	}
}

func TestSetDupIsIndependent(t *testing.T) {
	for _, first := range []string{"1", "a"} {
		s := NewSetFor([]byte(first))
		s.Add([]byte(first), 512)
		s.Add([]byte("2"), 512)
		d := s.Dup().(*Set)
		if d.Encoding() != s.Encoding() {
			t.Fatalf("Dup changed encoding %s -> %s", s.Encoding(), d.Encoding())
		}
		d.Add([]byte("3"), 512)
		d.Remove([]byte(first))
		if s.Has([]byte("3")) || !s.Has([]byte(first)) || s.Len() != 2 {
			t.Fatalf("changing the copy changed the original: %v", s.Members())
		}
	}
}

func TestSetRandomAndPop(t *testing.T) {
	for _, prefix := range []string{"", "m"} {
		s := NewIntset()
		for i := range 50 {
			s.Add([]byte(prefix+strconv.Itoa(i)), 512)
		}
		seen := map[string]bool{}
		for range 5000 {
			m := s.Random()
			if !s.Has([]byte(m)) {
				t.Fatalf("Random returned non-member %q", m)
			}
			seen[m] = true
		}
		if len(seen) != 50 {
			t.Fatalf("%q: Random reached %d of 50 members", prefix, len(seen))
		}
		popped := map[string]bool{}
		for s.Len() > 0 {
			m := s.Pop()
			if popped[m] || s.Has([]byte(m)) {
				t.Fatalf("Pop returned %q twice or left it in the set", m)
			}
			popped[m] = true
		}
		if len(popped) != 50 {
			t.Fatalf("popped %d members", len(popped))
		}
	}
}

// A full scan returns every member present for the whole iteration, also
// when the table grows and shrinks between calls.
func TestSetScanGuarantee(t *testing.T) {
	s := NewSetFor([]byte("x"))
	for i := range 300 {
		s.Add([]byte("k"+strconv.Itoa(i)), 512)
	}
	seen := map[string]bool{}
	cursor := uint64(0)
	step := 0
	for {
		cursor = s.Scan(cursor, func(m string) { seen[m] = true })
		step++
		switch step {
		case 3:
			for i := 300; i < 2000; i++ {
				s.Add([]byte("k"+strconv.Itoa(i)), 512)
			}
		case 6:
			for i := 150; i < 2000; i++ {
				s.Remove([]byte("k" + strconv.Itoa(i)))
			}
		}
		if cursor == 0 {
			break
		}
	}
	for i := range 150 {
		if !seen["k"+strconv.Itoa(i)] {
			t.Fatalf("k%d, present throughout, was not returned", i)
		}
	}
}
