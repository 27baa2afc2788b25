// writer.go encodes replies. One Writer per connection appends to a byte
// buffer that is flushed once per batch of commands; it knows whether the
// client speaks RESP2 or RESP3 and picks the encoding of nulls, maps, sets,
// doubles, booleans and pushes accordingly.
package resp

import (
	"math"
	"strconv"
)

// Writer appends RESP replies to Buf.
type Writer struct {
	Buf   []byte
	Proto int // 2 or 3
}

// NewWriter returns a RESP2 writer.
func NewWriter() *Writer { return &Writer{Buf: make([]byte, 0, 16*1024), Proto: 2} }

func (w *Writer) header(prefix byte, n int64) {
	if n >= 0 && n < 100 {
		// most bulk and array lengths are short: skip strconv
		if n < 10 {
			w.Buf = append(w.Buf, prefix, byte('0'+n), '\r', '\n')
		} else {
			w.Buf = append(w.Buf, prefix, byte('0'+n/10), byte('0'+n%10), '\r', '\n')
		}
		return
	}
	w.Buf = append(w.Buf, prefix)
	w.Buf = strconv.AppendInt(w.Buf, n, 10)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Simple writes a status reply: +s.
func (w *Writer) Simple(s string) {
	w.Buf = append(w.Buf, '+')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// OK writes +OK.
func (w *Writer) OK() { w.Buf = append(w.Buf, "+OK\r\n"...) }

// Error writes an error reply. msg carries its own code ("ERR ...",
// "WRONGTYPE ..."); newlines are replaced by spaces as Redis does.
func (w *Writer) Error(msg string) {
	w.Buf = append(w.Buf, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.Buf = append(w.Buf, c)
	}
	w.Buf = append(w.Buf, '\r', '\n')
}

// Int writes an integer reply.
func (w *Writer) Int(n int64) { w.header(':', n) }

// Bulk writes a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.header('$', int64(len(b)))
	w.Buf = append(w.Buf, b...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkString writes a bulk string from a Go string.
func (w *Writer) BulkString(s string) {
	w.header('$', int64(len(s)))
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkInt writes an integer as a bulk string.
func (w *Writer) BulkInt(n int64) {
	var tmp [24]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null writes a null bulk ($-1 in RESP2, _ in RESP3).
func (w *Writer) Null() {
	if w.Proto == 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
	} else {
		w.Buf = append(w.Buf, "$-1\r\n"...)
	}
}

// NullArray writes a null array (*-1 in RESP2, _ in RESP3).
func (w *Writer) NullArray() {
	if w.Proto == 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
	} else {
		w.Buf = append(w.Buf, "*-1\r\n"...)
	}
}

// ArrayLen starts an array of n elements.
func (w *Writer) ArrayLen(n int) { w.header('*', int64(n)) }

// MapLen starts a map of n pairs (a flat array of 2n in RESP2).
func (w *Writer) MapLen(n int) {
	if w.Proto == 3 {
		w.header('%', int64(n))
	} else {
		w.header('*', int64(2*n))
	}
}

// SetLen starts a set of n elements (an array in RESP2).
func (w *Writer) SetLen(n int) {
	if w.Proto == 3 {
		w.header('~', int64(n))
	} else {
		w.header('*', int64(n))
	}
}

// PushLen starts an out-of-band push of n elements (an array in RESP2).
func (w *Writer) PushLen(n int) {
	if w.Proto == 3 {
		w.header('>', int64(n))
	} else {
		w.header('*', int64(n))
	}
}

// AttributeLen starts an attribute map (RESP3 only; callers skip it in RESP2).
func (w *Writer) AttributeLen(n int) { w.header('|', int64(n)) }

// Bool writes a boolean (:1/:0 in RESP2).
func (w *Writer) Bool(b bool) {
	switch {
	case w.Proto == 3 && b:
		w.Buf = append(w.Buf, "#t\r\n"...)
	case w.Proto == 3:
		w.Buf = append(w.Buf, "#f\r\n"...)
	case b:
		w.Buf = append(w.Buf, ":1\r\n"...)
	default:
		w.Buf = append(w.Buf, ":0\r\n"...)
	}
}

// AppendDouble formats f as Redis 7.0 does in replies: %.17g, inf, -inf, nan.
func AppendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

// Double writes a double (a bulk string in RESP2, ",<d>" in RESP3).
func (w *Writer) Double(f float64) {
	if w.Proto == 3 {
		w.Buf = append(w.Buf, ',')
		w.Buf = AppendDouble(w.Buf, f)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	var tmp [32]byte
	w.Bulk(AppendDouble(tmp[:0], f))
}

// Verbatim writes a verbatim string of format fmt ("txt", "mkd"); a bulk in RESP2.
func (w *Writer) Verbatim(format, s string) {
	if w.Proto != 3 {
		w.BulkString(s)
		return
	}
	w.header('=', int64(len(s)+4))
	w.Buf = append(w.Buf, format...)
	w.Buf = append(w.Buf, ':')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BigNumber writes a big number (a bulk string in RESP2).
func (w *Writer) BigNumber(s string) {
	if w.Proto != 3 {
		w.BulkString(s)
		return
	}
	w.Buf = append(w.Buf, '(')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Raw appends pre-encoded RESP.
func (w *Writer) Raw(b []byte) { w.Buf = append(w.Buf, b...) }

// Deferred marks where a length header will be inserted once the number of
// elements is known.
type Deferred struct{ pos int }

// Defer reserves the position of an aggregate header.
func (w *Writer) Defer() Deferred { return Deferred{len(w.Buf)} }

func (w *Writer) insertHeader(d Deferred, prefix byte, n int) {
	var tmp [24]byte
	h := append(tmp[:0], prefix)
	h = strconv.AppendInt(h, int64(n), 10)
	h = append(h, '\r', '\n')
	w.Buf = append(w.Buf, h...)
	copy(w.Buf[d.pos+len(h):], w.Buf[d.pos:len(w.Buf)-len(h)])
	copy(w.Buf[d.pos:], h)
}

// SetArrayLen fills a deferred array header.
func (w *Writer) SetArrayLen(d Deferred, n int) { w.insertHeader(d, '*', n) }

// SetMapLen fills a deferred map header (n pairs).
func (w *Writer) SetMapLen(d Deferred, n int) {
	if w.Proto == 3 {
		w.insertHeader(d, '%', n)
	} else {
		w.insertHeader(d, '*', 2*n)
	}
}

// SetSetLen fills a deferred set header.
func (w *Writer) SetSetLen(d Deferred, n int) {
	if w.Proto == 3 {
		w.insertHeader(d, '~', n)
	} else {
		w.insertHeader(d, '*', n)
	}
}

// Reset empties the buffer, keeping its capacity.
func (w *Writer) Reset() { w.Buf = w.Buf[:0] }
