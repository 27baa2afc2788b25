package rdb

import (
	"bytes"
	"math"
	"testing"
)

func TestHeader(t *testing.T) {
	h := AppendHeader(nil)
	if string(h) != "REDIS0010" {
		t.Fatalf("header %q", h)
	}
	for _, c := range []struct {
		in   string
		ver  int
		fail bool
	}{
		{"REDIS0010", 10, false}, {"REDIS0009", 9, false}, {"REDIS0001", 1, false},
		{"REDIS0011", 11, true}, {"REDIS0000", 0, true}, {"REDIX0010", 0, true},
		{"REDIS 010", 10, false}, {"REDIS+010", 10, false}, {"REDIS10xx", 10, false}, {"REDISabcd", 0, true},
	} {
		r := NewReader([]byte(c.in))
		v, err := r.ReadHeader()
		if (err != nil) != c.fail || (c.ver != 0 && v != c.ver) {
			t.Errorf("ReadHeader(%q) = %d %v", c.in, v, err)
		}
	}
	if _, err := NewReader([]byte("REDIS001")).ReadHeader(); err == nil {
		t.Error("short header accepted")
	}
}

func TestFixedWidth(t *testing.T) {
	b := AppendMillisecondTime(nil, 1700000000123)
	b = AppendBinaryDouble(b, -2.5)
	b = AppendBinaryFloat(b, 0.75)
	b = append(b, 0xff, 0xff, 0xff, 0xff) // int32 -1 seconds
	want := []byte{0x7b, 0x68, 0xe5, 0xcf, 0x8b, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0xc0, 0, 0, 0x40, 0x3f, 0xff, 0xff, 0xff, 0xff}
	if !bytes.Equal(b, want) {
		t.Fatalf("encoded %x, want %x", b, want)
	}
	r := NewReader(b)
	ms, err1 := r.ReadMillisecondTime()
	d, err2 := r.ReadBinaryDouble()
	f, err3 := r.ReadBinaryFloat()
	s, err4 := r.ReadTime32()
	if ms != 1700000000123 || d != -2.5 || f != 0.75 || s != -1 || err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		t.Fatalf("decoded %d %v %v %d", ms, d, f, s)
	}
	if _, err := r.ReadBinaryDouble(); err == nil {
		t.Fatal("read past end")
	}
}

func TestDoubleString(t *testing.T) {
	cases := []struct {
		v    float64
		want string
	}{
		{0.1, "\x130.10000000000000001"},
		{1.5, "\x031.5"},
		{3, "\x013"},
		{-7, "\x02-7"},
		{math.Copysign(0, -1), "\x010"},
		{1e20, "\x051e+20"},
		{1e-5, "\x161.0000000000000001e-05"},
		{math.Inf(1), "\xfe"},
		{math.Inf(-1), "\xff"},
	}
	for _, c := range cases {
		got := AppendDoubleString(nil, c.v)
		if string(got) != c.want {
			t.Errorf("AppendDoubleString(%v) = %q, want %q", c.v, got, c.want)
		}
		v, err := NewReader(got).ReadDoubleString()
		if err != nil || v != c.v {
			t.Errorf("ReadDoubleString(%q) = %v %v", got, v, err)
		}
	}
	if v, err := NewReader(AppendDoubleString(nil, math.NaN())).ReadDoubleString(); err != nil || !math.IsNaN(v) {
		t.Errorf("NaN = %v %v", v, err)
	}
	if _, err := NewReader([]byte("\x03abc")).ReadDoubleString(); err == nil {
		t.Error("garbage double accepted")
	}
	if _, err := NewReader([]byte("\x05ab")).ReadDoubleString(); err == nil {
		t.Error("short double accepted")
	}
}

func TestAppendAux(t *testing.T) {
	b := AppendAux(nil, "redis-bits", "64", true)
	want := []byte("\xfa\x0aredis-bits\xc0\x40")
	if !bytes.Equal(b, want) {
		t.Fatalf("aux = %q, want %q", b, want)
	}
}
