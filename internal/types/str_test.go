// str_test.go checks the string value: the encodings Redis would report,
// in-place updates, and GETRANGE/SETRANGE index rules.
package types

import (
	"strings"
	"testing"
)

func TestNewStringEncoding(t *testing.T) {
	cases := []struct {
		in, enc string
	}{
		{"0", "int"},
		{"123", "int"},
		{"-123", "int"},
		{"9223372036854775807", "int"},
		{"-9223372036854775808", "int"},
		{"9223372036854775808", "embstr"},
		{"-9223372036854775809", "embstr"},
		{"007", "embstr"},
		{"-0", "embstr"},
		{"+1", "embstr"},
		{" 1", "embstr"},
		{"1.5", "embstr"},
		{"", "embstr"},
		{"hello", "embstr"},
		{strings.Repeat("x", 44), "embstr"},
		{strings.Repeat("x", 45), "raw"},
		{strings.Repeat("1", 45), "raw"},
		{strings.Repeat("x", 1000), "raw"},
	}
	for _, c := range cases {
		v := NewString([]byte(c.in))
		if got := v.Encoding(); got != c.enc {
			t.Errorf("NewString(%q).Encoding() = %s, want %s", c.in, got, c.enc)
		}
		if string(v.B) != c.in {
			t.Errorf("NewString(%q) holds %q", c.in, v.B)
		}
	}
}

func TestNewStringCopies(t *testing.T) {
	for _, n := range []int{0, 1, 16, 17, 32, 33, 48, 49, 200} {
		src := []byte(strings.Repeat("a", n))
		v := NewString(src)
		if n > 0 {
			src[0] = 'z'
			if v.B[0] != 'a' {
				t.Fatalf("len %d: value aliases its source", n)
			}
		}
		// appending must never write past the value into a neighbour
		v.Append([]byte("tail"))
		if string(v.B) != strings.Repeat("a", n)+"tail" {
			t.Fatalf("len %d: append gave %q", n, v.B)
		}
	}
}

func TestOtherConstructorsEncoding(t *testing.T) {
	if e := NewStringFromInt(-42).Encoding(); e != "int" {
		t.Errorf("NewStringFromInt encoding %s", e)
	}
	if s := string(NewStringFromInt(-9223372036854775808).B); s != "-9223372036854775808" {
		t.Errorf("NewStringFromInt text %q", s)
	}
	// values Redis formats itself are never int-encoded
	if e := NewStringNoIntEncoding([]byte("11")).Encoding(); e != "embstr" {
		t.Errorf("NewStringNoIntEncoding(11) encoding %s", e)
	}
	if e := NewStringNoIntEncoding([]byte(strings.Repeat("1", 45))).Encoding(); e != "raw" {
		t.Errorf("NewStringNoIntEncoding(long) encoding %s", e)
	}
	if e := NewRawString([]byte("1")).Encoding(); e != "raw" {
		t.Errorf("NewRawString encoding %s", e)
	}
	d := NewString([]byte("12")).Dup().(*String)
	if d.Encoding() != "int" || string(d.B) != "12" {
		t.Errorf("Dup lost value or encoding: %q %s", d.B, d.Encoding())
	}
}

func TestMutationsMakeRawOrInt(t *testing.T) {
	v := NewString([]byte("12"))
	v.Append(nil)
	if v.Encoding() != "raw" {
		t.Errorf("after APPEND encoding %s, want raw", v.Encoding())
	}
	v.SetInt(99)
	if v.Encoding() != "int" || string(v.B) != "99" {
		t.Errorf("after SetInt: %q %s", v.B, v.Encoding())
	}
	v.SetRange(0, []byte("1"))
	if v.Encoding() != "raw" || string(v.B) != "19" {
		t.Errorf("after SetRange: %q %s", v.B, v.Encoding())
	}
	if !v.Overwrite([]byte("77")) || v.Encoding() != "int" {
		t.Errorf("Overwrite(77): %q %s", v.B, v.Encoding())
	}
	big := NewString([]byte(strings.Repeat("x", 1000)))
	if big.Overwrite([]byte("a")) {
		t.Errorf("Overwrite kept a 1000-byte buffer for a 1-byte value")
	}
	if n, ok := NewString([]byte("-5")).Int(); !ok || n != -5 {
		t.Errorf("Int() = %d %v", n, ok)
	}
	if _, ok := NewString([]byte("05")).Int(); ok {
		t.Errorf("Int() accepted a leading zero")
	}
}

func TestSetRange(t *testing.T) {
	v := NewString([]byte("Hello World"))
	v.SetRange(6, []byte("Redis"))
	if string(v.B) != "Hello Redis" {
		t.Fatalf("got %q", v.B)
	}
	v.SetRange(14, []byte("!"))
	if string(v.B) != "Hello Redis\x00\x00\x00!" {
		t.Fatalf("got %q", v.B)
	}
	// growing within capacity must zero the gap even if old bytes were there
	w := NewRawString(nil)
	w.SetRange(0, []byte("abcdef"))
	w.B = w.B[:2]
	w.SetRange(4, []byte("x"))
	if string(w.B) != "ab\x00\x00x" {
		t.Fatalf("got %q", w.B)
	}
}

func TestRange(t *testing.T) {
	v := NewString([]byte("Hello World"))
	cases := []struct {
		start, end int64
		want       string
	}{
		{0, 4, "Hello"}, {0, -1, "Hello World"}, {-5, -1, "World"}, {-1, -5, ""},
		{5, 3, ""}, {0, 100, "Hello World"}, {100, 200, ""}, {-100, 2, "Hel"},
		{-100, -100, "H"}, {0, -100, "H"}, {10, 10, "d"},
		{-9223372036854775808, 9223372036854775807, "Hello World"},
	}
	for _, c := range cases {
		if got := string(v.Range(c.start, c.end)); got != c.want {
			t.Errorf("Range(%d,%d) = %q, want %q", c.start, c.end, got, c.want)
		}
	}
	if got := NewString(nil).Range(0, -1); len(got) != 0 {
		t.Errorf("empty Range = %q", got)
	}
}

var allocSink *String

// Setting a short value is the hot path of SET: one allocation for a new
// value, none when an existing buffer is reused.
func TestStringAllocations(t *testing.T) {
	val := []byte("a typical 30-byte cache value!")
	if n := testing.AllocsPerRun(100, func() { allocSink = NewString(val) }); n != 1 {
		t.Errorf("NewString: %v allocations, want 1", n)
	}
	v := NewString(val)
	if n := testing.AllocsPerRun(100, func() { v.Overwrite(val) }); n != 0 {
		t.Errorf("Overwrite: %v allocations, want 0", n)
	}
}
