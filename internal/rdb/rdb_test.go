package rdb

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestCRC64Golden(t *testing.T) {
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64(123456789) = %#x", got)
	}
	// agrees with a bit-at-a-time reflected CRC over random data
	rng := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		b := make([]byte, rng.IntN(3000))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		seed := rng.Uint64()
		if got, want := CRC64(seed, b), bitwiseCRC64(seed, b); got != want {
			t.Fatalf("len %d: %#x, bitwise %#x", len(b), got, want)
		}
	}
	// incremental updates equal one pass
	data := []byte(strings.Repeat("redoubt crc", 100))
	if CRC64(CRC64(0, data[:333]), data[333:]) != CRC64(0, data) {
		t.Fatal("incremental crc differs")
	}
	if CRC64(0, nil) != 0 || CRC64(42, nil) != 42 {
		t.Fatal("empty input must leave crc unchanged")
	}
}

func bitwiseCRC64(crc uint64, p []byte) uint64 {
	const reflected = 0x95ac9329ac4bc9b5 // 0xad93d23594c935a9 bit-reversed
	for _, c := range p {
		crc ^= uint64(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ reflected
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

func TestLenRoundTrip(t *testing.T) {
	cases := []struct {
		n    uint64
		size int
	}{
		{0, 1}, {63, 1}, {64, 2}, {16383, 2}, {16384, 5},
		{math.MaxUint32, 5}, {math.MaxUint32 + 1, 9}, {math.MaxUint64, 9},
	}
	for _, c := range cases {
		b := AppendLen([]byte{0xaa}, c.n)
		if len(b)-1 != c.size {
			t.Errorf("AppendLen(%d) is %d bytes, want %d", c.n, len(b)-1, c.size)
		}
		r := NewReader(b[1:])
		n, enc, err := r.ReadLen()
		if err != nil || enc || n != c.n || r.Remaining() != 0 {
			t.Errorf("ReadLen(%x) = %d %v %v, rem %d", b[1:], n, enc, err, r.Remaining())
		}
	}
	// spot-check the wire forms
	if got := AppendLen(nil, 300); !bytes.Equal(got, []byte{0x41, 0x2c}) {
		t.Errorf("AppendLen(300) = %x", got)
	}
	if got := AppendLen(nil, 70000); !bytes.Equal(got, []byte{0x80, 0, 1, 0x11, 0x70}) {
		t.Errorf("AppendLen(70000) = %x", got)
	}
}

func TestReadLenErrors(t *testing.T) {
	for _, b := range [][]byte{{}, {0x40}, {0x80, 1, 2}, {0x81, 1, 2, 3, 4, 5, 6, 7}} {
		_, _, err := NewReader(b).ReadLen()
		if !errors.Is(err, ErrShort) {
			t.Errorf("ReadLen(%x) err = %v, want short read", b, err)
		}
	}
	_, _, err := NewReader([]byte{0x82}).ReadLen()
	var e *Error
	if !errors.As(err, &e) || e.Offset != 0 || !strings.Contains(err.Error(), "unknown length encoding") {
		t.Errorf("ReadLen(0x82) err = %v", err)
	}
	n, enc, err := NewReader([]byte{0xc3}).ReadLen()
	if err != nil || !enc || n != EncLZF {
		t.Errorf("ReadLen(0xc3) = %d %v %v", n, enc, err)
	}
}

func TestAppendStringIntegers(t *testing.T) {
	cases := []struct {
		s    string
		want []byte
	}{
		{"0", []byte{0xc0, 0}},
		{"-1", []byte{0xc0, 0xff}},
		{"127", []byte{0xc0, 0x7f}},
		{"-128", []byte{0xc0, 0x80}},
		{"128", []byte{0xc1, 0x80, 0}},
		{"-32768", []byte{0xc1, 0, 0x80}},
		{"32768", []byte{0xc2, 0, 0x80, 0, 0}},
		{"2147483647", []byte{0xc2, 0xff, 0xff, 0xff, 0x7f}},
		{"-2147483648", []byte{0xc2, 0, 0, 0, 0x80}},
		// not canonical or too big: raw
		{"2147483648", append([]byte{10}, "2147483648"...)},
		{"-0", append([]byte{2}, "-0"...)},
		{"007", append([]byte{3}, "007"...)},
		{"+1", append([]byte{2}, "+1"...)},
		{" 1", append([]byte{2}, " 1"...)},
		{"1 ", append([]byte{2}, "1 "...)},
		{"", []byte{0}},
	}
	for _, c := range cases {
		got := AppendString(nil, []byte(c.s), true)
		if !bytes.Equal(got, c.want) {
			t.Errorf("AppendString(%q) = %x, want %x", c.s, got, c.want)
		}
		r := NewReader(got)
		s, err := r.ReadString()
		if err != nil || string(s) != c.s || r.Remaining() != 0 {
			t.Errorf("ReadString(%x) = %q, %v", got, s, err)
		}
	}
	for _, v := range []int64{0, -1, 1 << 40, math.MinInt64, math.MaxInt64, 32767, -32769} {
		want := AppendString(nil, strconv.AppendInt(nil, v, 10), true)
		if got := AppendInt64String(nil, v); !bytes.Equal(got, want) {
			t.Errorf("AppendInt64String(%d) = %x, want %x", v, got, want)
		}
	}
	_, v, isInt, err := NewReader([]byte{0xc1, 0x80, 0}).ReadStringInt()
	if err != nil || !isInt || v != 128 {
		t.Errorf("ReadStringInt = %d %v %v", v, isInt, err)
	}
}

func TestAppendStringLZF(t *testing.T) {
	s := []byte(strings.Repeat("a", 50))
	got := AppendString([]byte("x"), s, true)
	// captured from redis-server 7.0.15: SET k <50 a's>; DUMP k
	want := []byte{0xc3, 0x09, 0x32, 0x01, 0x61, 0x61, 0xe0, 0x25, 0x00, 0x01, 0x61, 0x61}
	if !bytes.Equal(got[1:], want) || got[0] != 'x' {
		t.Fatalf("AppendString(50 a's) = %x, want %x", got[1:], want)
	}
	if raw := AppendString(nil, s, false); raw[0] != 50 || len(raw) != 51 {
		t.Fatalf("uncompressed form = %x", raw)
	}
	// 20 bytes is never compressed, 21 may be
	if got := AppendString(nil, []byte(strings.Repeat("a", 20)), true); got[0] != 20 {
		t.Fatalf("20 bytes compressed: %x", got)
	}
	if got := AppendString(nil, []byte(strings.Repeat("a", 21)), true); got[0] != 0xc3 {
		t.Fatalf("21 a's not compressed: %x", got)
	}
	r := NewReader(got[1:])
	dec, err := r.ReadString()
	if err != nil || !bytes.Equal(dec, s) || r.Remaining() != 0 {
		t.Fatalf("ReadString = %q %v", dec, err)
	}
}

func TestLZFRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		src := genData(rng, rng.IntN(1<<uint(rng.IntN(18))))
		comp := LZFCompress([]byte("pre"), src)
		if string(comp[:3]) != "pre" {
			t.Fatal("prefix clobbered")
		}
		out, err := LZFDecompress(comp[3:], len(src))
		if err != nil || !bytes.Equal(out, src) {
			t.Fatalf("case %d (len %d): round trip failed: %v", i, len(src), err)
		}
		// the budgeted form agrees whenever it succeeds
		if lim, ok := LZFCompressLimit(nil, src, len(src)-4); ok && !bytes.Equal(lim, comp[3:]) {
			t.Fatalf("case %d: limited output differs", i)
		}
		s := AppendString(nil, src, true)
		r := NewReader(s)
		dec, err := r.ReadString()
		if err != nil || !bytes.Equal(dec, src) || r.Remaining() != 0 {
			t.Fatalf("case %d: string round trip failed: %v", i, err)
		}
	}
}

// genData mixes random bytes with repeats of earlier data, near and far.
func genData(rng *rand.Rand, n int) []byte {
	alpha := 1 + rng.IntN(256)
	b := make([]byte, 0, n)
	for len(b) < n {
		if len(b) > 3 && rng.IntN(3) == 0 {
			start := rng.IntN(len(b))
			l := min(1+rng.IntN(300), len(b)-start, n-len(b))
			b = append(b, b[start:start+l]...)
			continue
		}
		for range min(1+rng.IntN(40), n-len(b)) {
			b = append(b, byte(rng.IntN(alpha)))
		}
	}
	return b
}

func TestLZFDecompressErrors(t *testing.T) {
	cases := []struct {
		name string
		src  []byte
		n    int
	}{
		{"literal truncated", []byte{4, 'a', 'b'}, 5},
		{"literal overflows", []byte{2, 'a', 'b', 'c'}, 2},
		{"backref before start", []byte{0, 'a', 0x20, 0x05}, 4},
		{"backref missing offset", []byte{0, 'a', 0x20}, 4},
		{"long backref missing len", []byte{0, 'a', 0xe0}, 20},
		{"long backref missing offset", []byte{0, 'a', 0xe0, 1}, 20},
		{"backref overflows", []byte{0, 'a', 0x20, 0}, 3},
		{"too short output", []byte{1, 'a', 'b'}, 3},
		{"negative", []byte{0, 'a'}, -1},
		{"absurd length", []byte{0, 'a'}, 1 << 40},
	}
	for _, c := range cases {
		if out, err := LZFDecompress(c.src, c.n); err == nil {
			t.Errorf("%s: accepted, got %q", c.name, out)
		}
	}
	out, err := LZFDecompress([]byte{0, 'a', 0x20, 0}, 4)
	if err != nil || string(out) != "aaaa" {
		t.Errorf("overlapping backref = %q %v", out, err)
	}
	out, err = LZFDecompress(nil, 0)
	if err != nil || len(out) != 0 {
		t.Errorf("empty = %q %v", out, err)
	}
}

func TestReadStringErrors(t *testing.T) {
	cases := []struct {
		name  string
		b     []byte
		short bool
		off   int
	}{
		{"raw truncated", []byte{5, 'a'}, true, 0},
		{"int8 truncated", []byte{0xc0}, true, 1},
		{"int32 truncated", []byte{0xc2, 1, 2}, true, 1},
		{"unknown encoding", []byte{0xc4}, false, 0},
		{"lzf truncated data", []byte{0xc3, 5, 10, 0}, true, 0},
		{"lzf corrupt", []byte{0xc3, 3, 4, 0, 'a', 0x3f}, false, 3},
		{"lzf len truncated", []byte{0xc3, 0x40}, true, 2},
	}
	for _, c := range cases {
		r := NewReader(append([]byte{0xee, 0xee}, c.b...))
		r.ReadByte()
		r.ReadByte()
		_, err := r.ReadString()
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: err = %v", c.name, err)
			continue
		}
		if errors.Is(err, ErrShort) != c.short || e.Offset != c.off+2 {
			t.Errorf("%s: err = %v (offset %d, want %d; short want %v)", c.name, err, e.Offset, c.off+2, c.short)
		}
	}
	if _, err := NewReader([]byte{0xc0}).ReadString(); err == nil || err.Error() != "rdb: short read at offset 1" {
		t.Errorf("message = %v", err)
	}
	// Redis loads an LZF string of length 0 as "" whatever the data
	s, err := NewReader([]byte{0xc3, 2, 0, 0xff, 0xff}).ReadString()
	if err != nil || len(s) != 0 {
		t.Errorf("zero-length LZF = %q %v", s, err)
	}
}

func TestDumpFooter(t *testing.T) {
	body := append([]byte{TypeString}, AppendString(nil, []byte("hello"), true)...)
	p := AppendDumpFooter(append([]byte{}, body...))
	// captured from redis-server 7.0.15: SET k hello; DUMP k
	want := []byte("\x00\x05hello\n\x00cr\xdfve4 \n")
	if !bytes.Equal(p, want) {
		t.Fatalf("payload = %q, want %q", p, want)
	}
	got, ver, err := VerifyDump(p)
	if err != nil || ver != 10 || !bytes.Equal(got, body) {
		t.Fatalf("VerifyDump = %q %d %v", got, ver, err)
	}
	// older versions are accepted, newer rejected, every flipped bit caught
	old := AppendDumpFooterVersion(append([]byte{}, body...), 9)
	if _, ver, err := VerifyDump(old); err != nil || ver != 9 {
		t.Fatalf("version 9 = %d %v", ver, err)
	}
	newer := AppendDumpFooterVersion(append([]byte{}, body...), 11)
	if _, ver, err := VerifyDump(newer); err != ErrDumpVersion || ver != 11 {
		t.Fatalf("version 11 = %d %v", ver, err)
	}
	if _, _, err := VerifyDumpNoChecksum(newer); err != ErrDumpVersion {
		t.Fatalf("no-checksum version 11 = %v", err)
	}
	for i := range len(p) * 8 {
		q := bytes.Clone(p)
		q[i/8] ^= 1 << (i % 8)
		if _, _, err := VerifyDump(q); err == nil {
			t.Fatalf("bit %d flipped: accepted", i)
		}
	}
	q := bytes.Clone(p)
	q[1] = 'x'
	if b, _, err := VerifyDumpNoChecksum(q); err != nil || !bytes.Equal(b, q[:len(body)]) {
		t.Fatalf("no-checksum = %v", err)
	}
	for n := range 10 {
		if _, _, err := VerifyDump(p[:n]); err != ErrDumpShort {
			t.Fatalf("%d bytes: %v", n, err)
		}
	}
	// the smallest payload: a footer alone
	if b, _, err := VerifyDump(AppendDumpFooter(nil)); err != nil || len(b) != 0 {
		t.Fatalf("footer only = %v", err)
	}
}
