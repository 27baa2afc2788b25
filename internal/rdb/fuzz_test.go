package rdb

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzLZFDecompress(f *testing.F) {
	f.Add(LZFCompress(nil, bytes.Repeat([]byte("abc"), 40)), 120)
	f.Add([]byte{0, 'a', 0x20, 0}, 4)
	f.Add([]byte{0, 'a', 0xe0, 5, 0}, 15)
	f.Fuzz(func(t *testing.T, src []byte, n int) {
		if n > 1<<20 {
			n %= 1 << 20
		}
		out, err := LZFDecompress(src, n)
		if err == nil && len(out) != n {
			t.Fatalf("got %d bytes, want %d", len(out), n)
		}
	})
}

func FuzzLZFRoundTrip(f *testing.F) {
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"))
	f.Add([]byte("hello hello hello hello world"))
	f.Fuzz(func(t *testing.T, src []byte) {
		comp := LZFCompress(nil, src)
		out, err := LZFDecompress(comp, len(src))
		if err != nil || !bytes.Equal(out, src) {
			t.Fatalf("round trip: %v", err)
		}
		s := AppendString(nil, src, true)
		dec, err := NewReader(s).ReadString()
		if err != nil || !bytes.Equal(dec, src) {
			t.Fatalf("string round trip: %v", err)
		}
	})
}

func FuzzReadString(f *testing.F) {
	f.Add(AppendString(nil, bytes.Repeat([]byte("xy"), 30), true))
	f.Add(AppendString(nil, []byte("-1234"), true))
	f.Add(AppendString(nil, []byte("hello"), true))
	f.Add([]byte{0xc3, 0x80, 0, 0, 0, 5, 10, 0})
	f.Add([]byte{0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(b)
		s, err := r.ReadString()
		if r.Pos() > len(b) || r.Remaining() < 0 {
			t.Fatalf("position %d out of range", r.Pos())
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset > len(b) {
				t.Fatalf("error without a valid offset: %v", err)
			}
			return
		}
		// what decodes re-encodes to something that decodes the same
		again, err := NewReader(AppendString(nil, s, true)).ReadString()
		if err != nil || !bytes.Equal(again, s) {
			t.Fatalf("re-encode: %v", err)
		}
	})
}
