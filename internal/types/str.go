// Package types implements the values keys hold, one file per data type.
// Each type implements keyspace.Value and knows its Redis encoding name.
package types

import (
	"strconv"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/resp"
)

// String encodings as OBJECT ENCODING reports them.
const (
	EncRaw uint8 = iota
	EncEmbstr
	EncInt
)

// embstrMax is the longest string Redis stores as embstr.
const embstrMax = 44

// String is a string value. B always holds the bytes (also for int-encoded
// values, as their decimal text), so readers never need to decode; Enc only
// records which encoding Redis would have picked, for OBJECT ENCODING and
// memory reporting.
type String struct {
	B   []byte
	Enc uint8
}

func (*String) Kind() keyspace.Kind { return keyspace.KindString }

func (s *String) Encoding() string {
	switch s.Enc {
	case EncInt:
		return "int"
	case EncEmbstr:
		return "embstr"
	}
	return "raw"
}

// Dup returns an independent copy.
func (s *String) Dup() keyspace.Value { return &String{B: append([]byte(nil), s.B...), Enc: s.Enc} }

// Small values are allocated together with their String header, so that
// setting a new short value costs one allocation instead of two. The size
// classes cover every embstr length.
type (
	string16 struct {
		s   String
		buf [16]byte
	}
	string32 struct {
		s   String
		buf [32]byte
	}
	string48 struct {
		s   String
		buf [48]byte
	}
)

// newStringCopy returns a String holding a copy of b, with no encoding set.
func newStringCopy(b []byte) *String {
	var v *String
	switch n := len(b); {
	case n <= 16:
		x := &string16{}
		x.s.B = x.buf[:n:n]
		v = &x.s
	case n <= 32:
		x := &string32{}
		x.s.B = x.buf[:n:n]
		v = &x.s
	case n <= 48:
		x := &string48{}
		x.s.B = x.buf[:n:n]
		v = &x.s
	default:
		return &String{B: append([]byte(nil), b...)}
	}
	copy(v.B, b)
	return v
}

// NewString copies b into a new string value with the encoding Redis picks
// for a freshly set value (tryObjectEncoding): int when b is the canonical
// text of a 64-bit integer, embstr up to 44 bytes, raw beyond.
func NewString(b []byte) *String {
	v := newStringCopy(b)
	v.Enc = encodingFor(b)
	return v
}

// NewRawString copies b into a raw-encoded value, as Redis creates values
// that are built up rather than set (SETRANGE on a new key).
func NewRawString(b []byte) *String {
	v := newStringCopy(b)
	v.Enc = EncRaw
	return v
}

// NewStringFromInt returns an int-encoded value holding n, as INCR creates.
func NewStringFromInt(n int64) *String {
	var tmp [20]byte
	v := newStringCopy(strconv.AppendInt(tmp[:0], n, 10))
	v.Enc = EncInt
	return v
}

// NewStringNoIntEncoding copies b choosing embstr or raw only, as Redis's
// createStringObject does for values it formats itself (INCRBYFLOAT).
func NewStringNoIntEncoding(b []byte) *String {
	v := newStringCopy(b)
	v.Enc = EncRaw
	if len(b) <= embstrMax {
		v.Enc = EncEmbstr
	}
	return v
}

func encodingFor(b []byte) uint8 {
	switch {
	case len(b) <= 20 && isInt(b):
		return EncInt
	case len(b) <= embstrMax:
		return EncEmbstr
	}
	return EncRaw
}

func isInt(b []byte) bool {
	_, ok := resp.ParseInt(b)
	return ok
}

// Int returns the value as a 64-bit integer when it is the canonical text
// of one (Redis's string2ll rules: no spaces, no '+', no leading zeros).
func (s *String) Int() (int64, bool) {
	if len(s.B) > 20 {
		return 0, false
	}
	return resp.ParseInt(s.B)
}

// Overwrite replaces the value with a copy of b encoded as a freshly set
// value, in place when the current buffer fits b without keeping much
// unused memory alive; it reports false (and changes nothing) otherwise.
func (s *String) Overwrite(b []byte) bool {
	if len(b) > cap(s.B) || cap(s.B) > max(48, 2*len(b)) {
		return false
	}
	s.B = append(s.B[:0], b...)
	s.Enc = encodingFor(b)
	return true
}

// SetInt replaces the value with n, int-encoded, reusing the buffer.
func (s *String) SetInt(n int64) {
	s.B = strconv.AppendInt(s.B[:0], n, 10)
	s.Enc = EncInt
}

// Append adds b at the end; the value becomes raw as in Redis, where an
// appended string is always unshared into a plain sds.
func (s *String) Append(b []byte) {
	s.B = append(s.B, b...)
	s.Enc = EncRaw
}

// SetRange overwrites the bytes at offset with b, zero-padding the value
// when it is shorter than offset. The value becomes raw.
func (s *String) SetRange(offset int, b []byte) {
	if end := offset + len(b); end > len(s.B) {
		if cap(s.B) == 0 {
			s.B = make([]byte, end)
		} else if end <= cap(s.B) {
			old := len(s.B)
			s.B = s.B[:end]
			clear(s.B[old:end])
		} else {
			grown := make([]byte, end, growCap(len(s.B), end))
			copy(grown, s.B)
			s.B = grown
		}
	}
	copy(s.B[offset:], b)
	s.Enc = EncRaw
}

// growCap picks the capacity for a string grown to n bytes: doubling while
// small so repeated SETRANGE/APPEND stay amortised, exact when huge.
func growCap(old, n int) int {
	const greedyLimit = 1 << 20
	if n < greedyLimit {
		return max(n*2, old)
	}
	return n + greedyLimit
}

// Range returns the bytes between start and end inclusive, with GETRANGE's
// index rules: negative indexes count from the end, and the range is
// clamped to the value. The result aliases the value.
func (s *String) Range(start, end int64) []byte {
	n := int64(len(s.B))
	if start < 0 && end < 0 && start > end {
		return nil
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start = max(start, 0)
	end = max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return nil
	}
	return s.B[start : end+1]
}
