package aof

import (
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

// readAll reads every command; it returns them as strings and the final
// error (io.EOF for a clean end).
func readAll(data string) ([]string, *Reader, error) {
	r := NewReader([]byte(data))
	var cmds []string
	for {
		argv, err := r.Next()
		if err != nil {
			return cmds, r, err
		}
		var parts []string
		for _, a := range argv {
			parts = append(parts, string(a))
		}
		cmds = append(cmds, strings.Join(parts, " "))
	}
}

const setAB = "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n" // 27 bytes

func TestReaderGood(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		end  int64
	}{
		{"", nil, 0},
		{setAB, []string{"SET a b"}, 27},
		{"#TS:1700000000\r\n" + setAB + "#TS:1700000001\r\n" + setAB, []string{"SET a b", "SET a b"}, 16 + 27 + 16 + 27},
		// a trailing annotation is not part of the valid prefix
		{setAB + "#TS:1\r\n", []string{"SET a b"}, 27},
		{"*1\r\n$0\r\n\r\n", []string{""}, 10},
		// the loader reads counts with atoi/strtol and does not check the
		// CRLF after a bulk
		{"*2 junk\r\n$4xx\r\nPING\r\n$1\r\nxXY", []string{"PING x"}, 28},
		{"*1\n$4\nPINGab", []string{"PING"}, 12},
		{"*+1\r\n$ 3\r\nGET\r\n", []string{"GET"}, 15},
		// binary data with CR, LF and NUL inside a bulk
		{"*2\r\n$4\r\nECHO\r\n$5\r\n\r\n\x00\n#\r\n", []string{"ECHO \r\n\x00\n#"}, 25},
		// an annotation longer than the loader's 1023-byte read is read
		// in pieces: the rest of it becomes a line of its own
		{"#" + strings.Repeat("x", 1022) + "#y\r\n" + setAB, []string{"SET a b"}, 1027 + 27},
	}
	for _, tc := range tests {
		cmds, r, err := readAll(tc.in)
		if err != io.EOF {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if strings.Join(cmds, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: read %q, want %q", tc.in, cmds, tc.want)
		}
		if r.Offset() != tc.end {
			t.Errorf("%q: offset %d, want %d", tc.in, r.Offset(), tc.end)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		in     string
		kind   error
		cmds   int
		offset int64
	}{
		{"*", ErrTruncated, 0, 0},
		{"*3", ErrTruncated, 0, 0},
		{"*3\r\n", ErrTruncated, 0, 0},
		{setAB + "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n", ErrTruncated, 1, 27},
		{setAB + "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1", ErrTruncated, 1, 27},
		{setAB + "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$5\r\nab", ErrTruncated, 1, 27},
		{setAB + "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r", ErrTruncated, 1, 27},
		{setAB + "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb", ErrTruncated, 1, 27},
		{setAB + "#TS:5\r\n*2\r\n$3\r\nGET", ErrTruncated, 1, 27},
		{"*2000000000\r\n$1\r\na\r\n", ErrTruncated, 0, 0},
		{"*1\r\n$99999999999999999999\r\nab\r\n", ErrTruncated, 0, 0},
		{"x", ErrFormat, 0, 0},
		{"\r\n", ErrFormat, 0, 0},
		{setAB + "GET a\r\n", ErrFormat, 1, 27},
		{"*0\r\n", ErrFormat, 0, 0},
		{"*-1\r\n", ErrFormat, 0, 0},
		{"*\r\n", ErrFormat, 0, 0},
		{"*x\r\n", ErrFormat, 0, 0},
		{"*\x00\r\n", ErrFormat, 0, 0},
		{"*1\r\n+OK\r\n", ErrFormat, 0, 0},
		{setAB + "*2\r\n$3\r\nGET\r\n:1\r\n", ErrFormat, 1, 27},
		{"*1\r\n$-1\r\n", ErrFormat, 0, 0},
		// atoi of 4294967296 is 0 (the int keeps the low 32 bits)
		{"*4294967296\r\n", ErrFormat, 0, 0},
	}
	for _, tc := range tests {
		cmds, r, err := readAll(tc.in)
		var ae *Error
		if !errors.As(err, &ae) || !errors.Is(err, tc.kind) {
			t.Errorf("%q: error %v, want %v", tc.in, err, tc.kind)
			continue
		}
		if len(cmds) != tc.cmds || ae.Offset != tc.offset || r.Offset() != tc.offset {
			t.Errorf("%q: %d commands, error offset %d, reader offset %d; want %d, %d", tc.in, len(cmds), ae.Offset, r.Offset(), tc.cmds, tc.offset)
		}
	}
	_, _, err := readAll("*1\r\n$4\r\nPI")
	if got := err.(*Error).Log("appendonly.aof.1.incr.aof"); !strings.HasPrefix(got, "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof. You can: 1) Make a backup") {
		t.Errorf("log %q", got)
	}
	_, _, err = readAll("x")
	if got := err.(*Error).Log("a.aof"); got != "Bad file format reading the append only file a.aof: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>" {
		t.Errorf("log %q", got)
	}
}

func TestReaderAt(t *testing.T) {
	data := []byte("REDIS0010junk" + setAB + "*1\r\n$4\r\nPI")
	r := NewReaderAt(data, 13)
	if argv, err := r.Next(); err != nil || len(argv) != 3 || r.Offset() != 13+27 {
		t.Fatalf("%q %v %d", argv, err, r.Offset())
	}
	if _, err := r.Next(); !errors.Is(err, ErrTruncated) || err.(*Error).Offset != 40 {
		t.Fatalf("%v", err)
	}
}

func TestAppendCommand(t *testing.T) {
	var b []byte
	b = AppendTimestamp(b, 1700000000)
	b = AppendSelect(b, 3)
	b = AppendCommand(b, []byte("SET"), []byte("k"), []byte(""))
	b = AppendFunctionLoad(b, []byte("#!lua name=l\n"))
	want := "#TS:1700000000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n" +
		"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$13\r\n#!lua name=l\n\r\n"
	if string(b) != want {
		t.Fatalf("%q", b)
	}
	cmds, _, err := readAll(string(b))
	if err != io.EOF || len(cmds) != 3 {
		t.Fatalf("%q %v", cmds, err)
	}
	for _, tc := range []struct {
		f    float64
		want string
	}{{1.5, "1.5"}, {0.1, "0.10000000000000001"}, {math.Copysign(0, -1), "-0"}, {math.Inf(-1), "-inf"}, {math.Inf(1), "inf"}, {1e300, "1.0000000000000001e+300"}, {3, "3"}, {1e17, "1e+17"}, {1e16, "10000000000000000"}} {
		if got := string(AppendBulkDouble(nil, tc.f)); got != "$"+strconv.Itoa(len(tc.want))+"\r\n"+tc.want+"\r\n" {
			t.Errorf("%v: %q", tc.f, got)
		}
	}
}
