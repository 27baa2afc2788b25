// writer_test.go checks every reply encoding in RESP2 and RESP3, and the
// deferred aggregate lengths filled in after their elements.
package resp

import (
	"math"
	"testing"
)

func TestWriterEncodings(t *testing.T) {
	tests := []struct {
		name  string
		write func(w *Writer)
		resp2 string
		resp3 string
	}{
		{"simple", func(w *Writer) { w.Simple("PONG") }, "+PONG\r\n", "+PONG\r\n"},
		{"ok", func(w *Writer) { w.OK() }, "+OK\r\n", "+OK\r\n"},
		{"error", func(w *Writer) { w.Error("ERR bad") }, "-ERR bad\r\n", "-ERR bad\r\n"},
		{"error newlines", func(w *Writer) { w.Error("ERR a\r\nb\nc") }, "-ERR a  b c\r\n", "-ERR a  b c\r\n"},
		{"int", func(w *Writer) { w.Int(-42) }, ":-42\r\n", ":-42\r\n"},
		{"int min", func(w *Writer) { w.Int(math.MinInt64) }, ":-9223372036854775808\r\n", ":-9223372036854775808\r\n"},
		{"bulk", func(w *Writer) { w.Bulk([]byte("a\r\nb")) }, "$4\r\na\r\nb\r\n", "$4\r\na\r\nb\r\n"},
		{"empty bulk", func(w *Writer) { w.Bulk(nil) }, "$0\r\n\r\n", "$0\r\n\r\n"},
		{"bulk string", func(w *Writer) { w.BulkString("hey") }, "$3\r\nhey\r\n", "$3\r\nhey\r\n"},
		{"bulk int", func(w *Writer) { w.BulkInt(-7) }, "$2\r\n-7\r\n", "$2\r\n-7\r\n"},
		{"null", func(w *Writer) { w.Null() }, "$-1\r\n", "_\r\n"},
		{"null array", func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
		{"array", func(w *Writer) { w.ArrayLen(2); w.Int(1); w.Null() }, "*2\r\n:1\r\n$-1\r\n", "*2\r\n:1\r\n_\r\n"},
		{"empty array", func(w *Writer) { w.ArrayLen(0) }, "*0\r\n", "*0\r\n"},
		{"map", func(w *Writer) { w.MapLen(1); w.BulkString("k"); w.Int(1) }, "*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n"},
		{"set", func(w *Writer) { w.SetLen(1); w.BulkString("m") }, "*1\r\n$1\r\nm\r\n", "~1\r\n$1\r\nm\r\n"},
		{"push", func(w *Writer) { w.PushLen(1); w.BulkString("message") }, "*1\r\n$7\r\nmessage\r\n", ">1\r\n$7\r\nmessage\r\n"},
		{"bool true", func(w *Writer) { w.Bool(true) }, ":1\r\n", "#t\r\n"},
		{"bool false", func(w *Writer) { w.Bool(false) }, ":0\r\n", "#f\r\n"},
		{"double", func(w *Writer) { w.Double(1.5) }, "$3\r\n1.5\r\n", ",1.5\r\n"},
		{"double 17 digits", func(w *Writer) { w.Double(0.1) }, "$19\r\n0.10000000000000001\r\n", ",0.10000000000000001\r\n"},
		{"double integral", func(w *Writer) { w.Double(3) }, "$1\r\n3\r\n", ",3\r\n"},
		{"double exponent", func(w *Writer) { w.Double(1e22) }, "$5\r\n1e+22\r\n", ",1e+22\r\n"},
		{"double inf", func(w *Writer) { w.Double(math.Inf(1)) }, "$3\r\ninf\r\n", ",inf\r\n"},
		{"double -inf", func(w *Writer) { w.Double(math.Inf(-1)) }, "$4\r\n-inf\r\n", ",-inf\r\n"},
		{"double nan", func(w *Writer) { w.Double(math.NaN()) }, "$3\r\nnan\r\n", ",nan\r\n"},
		{"verbatim", func(w *Writer) { w.Verbatim("txt", "hi") }, "$2\r\nhi\r\n", "=6\r\ntxt:hi\r\n"},
		{"big number", func(w *Writer) { w.BigNumber("12345678901234567890") }, "$20\r\n12345678901234567890\r\n", "(12345678901234567890\r\n"},
		{"raw", func(w *Writer) { w.Raw([]byte("+X\r\n")) }, "+X\r\n", "+X\r\n"},
		{"deferred array", func(w *Writer) {
			w.Simple("before")
			d := w.Defer()
			for i := 0; i < 12; i++ {
				w.Int(int64(i % 2))
			}
			w.SetArrayLen(d, 12)
		}, "+before\r\n*12\r\n" + rep(":0\r\n:1\r\n", 6), "+before\r\n*12\r\n" + rep(":0\r\n:1\r\n", 6)},
		{"deferred empty", func(w *Writer) { d := w.Defer(); w.SetArrayLen(d, 0) }, "*0\r\n", "*0\r\n"},
		{"deferred map", func(w *Writer) {
			d := w.Defer()
			w.BulkString("a")
			w.Int(1)
			w.SetMapLen(d, 1)
		}, "*2\r\n$1\r\na\r\n:1\r\n", "%1\r\n$1\r\na\r\n:1\r\n"},
		{"deferred set", func(w *Writer) { d := w.Defer(); w.BulkString("a"); w.SetSetLen(d, 1) }, "*1\r\n$1\r\na\r\n", "~1\r\n$1\r\na\r\n"},
		{"nested deferred", func(w *Writer) {
			outer := w.Defer()
			inner := w.Defer()
			w.Int(1)
			w.SetArrayLen(inner, 1)
			w.Int(2)
			w.SetArrayLen(outer, 2)
		}, "*2\r\n*1\r\n:1\r\n:2\r\n", "*2\r\n*1\r\n:1\r\n:2\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for proto, want := range map[int]string{2: tt.resp2, 3: tt.resp3} {
				w := NewWriter()
				w.Proto = proto
				tt.write(w)
				if string(w.Buf) != want {
					t.Errorf("RESP%d: got %q, want %q", proto, w.Buf, want)
				}
			}
		})
	}
}

func rep(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}

func TestWriterReset(t *testing.T) {
	w := NewWriter()
	w.BulkString("x")
	c := cap(w.Buf)
	w.Reset()
	if len(w.Buf) != 0 || cap(w.Buf) != c {
		t.Fatal("Reset must keep the buffer")
	}
}

// Replies to GET/SET must not allocate once the buffer is warm.
func TestWriterNoAllocs(t *testing.T) {
	w := NewWriter()
	val := []byte("0123456789abcdef")
	allocs := testing.AllocsPerRun(100, func() {
		w.Reset()
		for i := 0; i < 100; i++ {
			w.Bulk(val)
			w.OK()
			w.Null()
			w.Int(int64(i))
		}
	})
	if allocs > 0 {
		t.Fatalf("%v allocations", allocs)
	}
}
