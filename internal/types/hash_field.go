// hash_field.go stores the fields of a hashtable-encoded hash compactly.
// Each field is a keyspace.Entry followed, in the same allocation, by
//
//	field bytes | value length (uvarint) | value bytes
//
// Entry.Key aliases the field bytes and Entry.Value is a *fieldValue
// pointing at the length, so a field costs one allocation and its value
// needs no boxing: a pointer fits an interface without one. Entries with
// more bytes than the largest embedded buffer keep those bytes in a second
// (pointer-free) allocation. A value replaced by one of the same length is
// overwritten in place; one of another length gets a new entry, which
// takes the old one's place in the dict.
package types

import (
	"unsafe"

	"github.com/redoubt/redoubt/internal/keyspace"
)

// fieldValue is the first byte of a stored value's length prefix.
type fieldValue byte

// A fieldValue is only ever an entry of a hash's own dict: these methods
// satisfy keyspace.Value but the keyspace never calls them.
func (*fieldValue) Kind() keyspace.Kind { return keyspace.KindString }
func (*fieldValue) Encoding() string    { return "raw" }

func (p *fieldValue) Dup() keyspace.Value {
	b := p.bytes()
	return putValue(make([]byte, uvarintLen(len(b))+len(b)), b)
}

// emptyValue is what an empty value reads as: non-nil, as callers (SORT
// GET) tell a missing value by nil.
var emptyValue = []byte{}

// bytes returns the value; the slice aliases the hash.
func (p *fieldValue) bytes() []byte {
	base := unsafe.Pointer(p)
	var n uint64
	i := 0
	for shift := uint(0); ; shift += 7 {
		b := *(*byte)(unsafe.Add(base, i))
		i++
		n |= uint64(b&0x7f) << shift
		if b < 0x80 {
			break
		}
	}
	if n == 0 {
		// base+i may be one past the allocation: never form that pointer
		return emptyValue
	}
	return unsafe.Slice((*byte)(unsafe.Add(base, i)), n)
}

func uvarintLen(n int) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}

// putValue writes value's length and bytes at buf, which has room for
// them, and returns the fieldValue that reads them.
func putValue(buf []byte, value []byte) *fieldValue {
	i := 0
	n := uint64(len(value))
	for ; n >= 0x80; n >>= 7 {
		buf[i] = byte(n) | 0x80
		i++
	}
	buf[i] = byte(n)
	copy(buf[i+1:], value)
	return (*fieldValue)(unsafe.Pointer(&buf[0]))
}

// fieldEntry is an Entry with room for a field and value after it; B is
// a byte array sized so the whole lands exactly in one of Go's size classes
// (64 to 256 bytes in steps of 16).
type fieldEntry[B any] struct {
	keyspace.Entry
	buf B
}

func allocFieldEntry[B any]() (*keyspace.Entry, []byte) {
	x := new(fieldEntry[B])
	return &x.Entry, unsafe.Slice((*byte)(unsafe.Pointer(&x.buf)), unsafe.Sizeof(x.buf))
}

// maxEmbedded is the most field and value bytes kept in the entry's own
// allocation.
const maxEmbedded = 208

// newFieldEntry returns an entry holding copies of field and value.
func newFieldEntry(field, value []byte) *keyspace.Entry {
	n := len(field) + uvarintLen(len(value)) + len(value)
	var e *keyspace.Entry
	var buf []byte
	switch (n + 15) >> 4 {
	case 1:
		e, buf = allocFieldEntry[[16]byte]()
	case 2:
		e, buf = allocFieldEntry[[32]byte]()
	case 3:
		e, buf = allocFieldEntry[[48]byte]()
	case 4:
		e, buf = allocFieldEntry[[64]byte]()
	case 5:
		e, buf = allocFieldEntry[[80]byte]()
	case 6:
		e, buf = allocFieldEntry[[96]byte]()
	case 7:
		e, buf = allocFieldEntry[[112]byte]()
	case 8:
		e, buf = allocFieldEntry[[128]byte]()
	case 9:
		e, buf = allocFieldEntry[[144]byte]()
	case 10:
		e, buf = allocFieldEntry[[160]byte]()
	case 11:
		e, buf = allocFieldEntry[[176]byte]()
	case 12:
		e, buf = allocFieldEntry[[192]byte]()
	case 13:
		e, buf = allocFieldEntry[[maxEmbedded]byte]()
	default:
		e, buf = new(keyspace.Entry), make([]byte, n)
	}
	copy(buf, field)
	e.Key = unsafe.String(&buf[0], len(field))
	e.Value = putValue(buf[len(field):], value)
	return e
}

// entryValue is the value of a field entry; the slice aliases the hash.
func entryValue(e *keyspace.Entry) []byte { return e.Value.(*fieldValue).bytes() }

// setEntryValue replaces the value of field entry e, whose field hashes to
// h, in d with a copy of value: in place when the length is the same
// (counters, fixed-size values), else in a new entry, so no dead bytes stay
// behind.
func setEntryValue(d *keyspace.Dict, e *keyspace.Entry, h uint64, value []byte) {
	if old := entryValue(e); len(old) == len(value) {
		copy(old, value)
		return
	}
	d.Replace(e, newFieldEntry(keyBytes(e), value), h)
}
