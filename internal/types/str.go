// Package types implements the values keys hold, one file per data type.
// Each type implements keyspace.Value and knows its Redis encoding name.
package types

import (
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

// String is a string value. Values that look like integers are kept as
// int-encoded, as Redis's tryObjectEncoding does.
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

// NewString copies b into a new string value with the encoding Redis picks
// for a freshly set value.
func NewString(b []byte) *String {
	v := &String{B: append([]byte(nil), b...)}
	switch {
	case len(b) <= 20 && isInt(b):
		v.Enc = EncInt
	case len(b) <= embstrMax:
		v.Enc = EncEmbstr
	}
	return v
}

// isInt reports whether b is the canonical decimal form of an int64,
// without allocating (it runs on every SET).
func isInt(b []byte) bool {
	_, ok := resp.ParseInt(b)
	return ok
}
