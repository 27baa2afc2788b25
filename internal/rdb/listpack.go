package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Listpack layout (listpack.c): a 4-byte little-endian total size, a 2-byte
// little-endian element count (65535 meaning "count by scanning"), the
// entries, and a 0xFF terminator. Each entry is an encoding byte (plus
// length or integer bytes), the data, and a "backlen" holding the size of
// encoding+data so the list can be walked backwards.
const (
	lpHeaderSize    = 6
	lpEOF           = 0xFF
	lpNumeleUnknown = 65535
	lpEnc7BitUint   = 0x00 // 0xxxxxxx
	lpEnc6BitStr    = 0x80 // 10xxxxxx
	lpEnc13BitInt   = 0xC0 // 110xxxxx yyyyyyyy
	lpEnc12BitStr   = 0xE0 // 1110xxxx yyyyyyyy
	lpEnc32BitStr   = 0xF0
	lpEnc16BitInt   = 0xF1
	lpEnc24BitInt   = 0xF2
	lpEnc32BitInt   = 0xF3
	lpEnc64BitInt   = 0xF4
)

// Entry is one element of a listpack, ziplist or intset: either a string
// (a slice of the input, not a copy) or an integer.
type Entry struct {
	Str   []byte
	Int   int64
	IsInt bool
}

// StrEntry and IntEntry build Entries.
func StrEntry(s []byte) Entry { return Entry{Str: s} }
func IntEntry(v int64) Entry  { return Entry{Int: v, IsInt: true} }

// String returns the entry as Redis would reply with it: integers as decimal.
func (e Entry) String() string {
	if e.IsInt {
		return strconv.FormatInt(e.Int, 10)
	}
	return string(e.Str)
}

// Bytes is String as a byte slice.
func (e Entry) Bytes() []byte {
	if e.IsInt {
		return strconv.AppendInt(nil, e.Int, 10)
	}
	return e.Str
}

// ListpackWriter builds a listpack the way repeated lpAppend calls do.
// The zero value is an empty listpack.
type ListpackWriter struct {
	body []byte // the entries, without header and terminator
	n    int
}

// Append adds s as lpAppend does: strings that lpStringToInt64 accepts (the
// canonical decimal text of an int64) are stored as integers.
func (w *ListpackWriter) Append(s []byte) {
	if v, ok := parseCanonicalInt(s); ok {
		w.AppendInt(v)
		return
	}
	w.AppendString(s)
}

// AppendString adds s as a string entry without the integer check
// (lpAppend's string path).
func (w *ListpackWriter) AppendString(s []byte) {
	start := len(w.body)
	switch n := len(s); {
	case n < 64:
		w.body = append(w.body, lpEnc6BitStr|byte(n))
	case n < 4096:
		w.body = append(w.body, lpEnc12BitStr|byte(n>>8), byte(n))
	default:
		w.body = append(w.body, lpEnc32BitStr)
		w.body = binary.LittleEndian.AppendUint32(w.body, uint32(n))
	}
	w.body = append(w.body, s...)
	w.body = appendBacklen(w.body, len(w.body)-start)
	w.n++
}

// AppendInt adds v in the smallest integer encoding (lpEncodeIntegerGetType).
func (w *ListpackWriter) AppendInt(v int64) {
	start := len(w.body)
	w.body = appendLpInt(w.body, v)
	w.body = appendBacklen(w.body, len(w.body)-start)
	w.n++
}

func appendLpInt(b []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 127:
		return append(b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & (1<<13 - 1)
		return append(b, lpEnc13BitInt|byte(u>>8), byte(u))
	case v >= -32768 && v <= 32767:
		return append(b, lpEnc16BitInt, byte(v), byte(v>>8))
	case v >= -8388608 && v <= 8388607:
		return append(b, lpEnc24BitInt, byte(v), byte(v>>8), byte(v>>16))
	case v >= -1<<31 && v <= 1<<31-1:
		b = append(b, lpEnc32BitInt)
		return binary.LittleEndian.AppendUint32(b, uint32(v))
	default:
		b = append(b, lpEnc64BitInt)
		return binary.LittleEndian.AppendUint64(b, uint64(v))
	}
}

// appendBacklen appends l in lpEncodeBacklen's form: 7 bits per byte, most
// significant group first, every byte but the first flagged with 0x80, so
// that reading right to left stops at the unflagged byte.
func appendBacklen(b []byte, l int) []byte {
	switch {
	case l <= 127:
		return append(b, byte(l))
	case l < 16383:
		return append(b, byte(l>>7), byte(l&127)|128)
	case l < 2097151:
		return append(b, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case l < 268435455:
		return append(b, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	default:
		return append(b, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	}
}

func backlenSize(l uint64) uint64 {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// Len returns the number of entries.
func (w *ListpackWriter) Len() int { return w.n }

// Size returns the size in bytes of the listpack Bytes would return.
func (w *ListpackWriter) Size() int { return lpHeaderSize + len(w.body) + 1 }

// Bytes returns the complete listpack. The count saturates at 65535, which
// Redis reads as "unknown" and which lpInsert never leaves.
func (w *ListpackWriter) Bytes() []byte {
	return w.AppendTo(nil)
}

// AppendTo appends the complete listpack to dst.
func (w *ListpackWriter) AppendTo(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(w.Size()))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(min(w.n, lpNumeleUnknown)))
	dst = append(dst, w.body...)
	return append(dst, lpEOF)
}

// Reset empties the writer, keeping its buffer.
func (w *ListpackWriter) Reset() { w.body, w.n = w.body[:0], 0 }

// BuildListpack returns the listpack lpAppend produces for elems in order.
func BuildListpack(elems [][]byte) []byte {
	var w ListpackWriter
	for _, e := range elems {
		w.Append(e)
	}
	return w.Bytes()
}

func lpErr(off int, msg string, args ...any) error {
	return (&Reader{}).Errorf(off, "listpack: "+msg, args...)
}

// lpEntrySize returns the size of the encoding+data part of the entry at
// p (lpCurrentEncodedSizeUnsafe), checking that its encoding bytes lie
// before end and that the encoding is known.
func lpEntrySize(lp []byte, p, end int) (size uint64, err error) {
	c := lp[p]
	need := func(n int) error {
		if p+n > end {
			return lpErr(p, "entry encoding runs past the end")
		}
		return nil
	}
	switch {
	case c&0x80 == 0:
		return 1, nil
	case c&0xC0 == lpEnc6BitStr:
		return 1 + uint64(c&0x3F), nil
	case c&0xE0 == lpEnc13BitInt:
		return 2, nil
	case c&0xF0 == lpEnc12BitStr:
		if err := need(2); err != nil {
			return 0, err
		}
		return 2 + (uint64(c&0x0F)<<8 | uint64(lp[p+1])), nil
	}
	switch c {
	case lpEnc16BitInt:
		return 3, nil
	case lpEnc24BitInt:
		return 4, nil
	case lpEnc32BitInt:
		return 5, nil
	case lpEnc64BitInt:
		return 9, nil
	case lpEnc32BitStr:
		if err := need(5); err != nil {
			return 0, err
		}
		return 5 + uint64(binary.LittleEndian.Uint32(lp[p+1:])), nil
	}
	return 0, lpErr(p, "invalid entry encoding 0x%02x", c)
}

// lpDecodeBacklen reads the backlen that ends just before p, walking left
// at most 5 bytes and not before lo (lpDecodeBacklen).
func lpDecodeBacklen(lp []byte, p, lo int) (uint64, bool) {
	var v uint64
	shift := 0
	for i := 0; i < 5; i++ {
		q := p - 1 - i
		if q < lo {
			return 0, false
		}
		v |= uint64(lp[q]&127) << shift
		if lp[q]&128 == 0 {
			return v, true
		}
		shift += 7
	}
	return 0, false
}

// lpDecodeEntry decodes the entry at p whose encoding+data size is size.
func lpDecodeEntry(lp []byte, p int, size uint64) Entry {
	c := lp[p]
	switch {
	case c&0x80 == 0:
		return IntEntry(int64(c))
	case c&0xC0 == lpEnc6BitStr:
		return StrEntry(lp[p+1 : p+int(size)])
	case c&0xE0 == lpEnc13BitInt:
		u := uint64(c&0x1F)<<8 | uint64(lp[p+1])
		return IntEntry(int64(u<<51) >> 51)
	case c&0xF0 == lpEnc12BitStr:
		return StrEntry(lp[p+2 : p+int(size)])
	}
	switch c {
	case lpEnc16BitInt:
		return IntEntry(int64(int16(binary.LittleEndian.Uint16(lp[p+1:]))))
	case lpEnc24BitInt:
		u := uint64(lp[p+1]) | uint64(lp[p+2])<<8 | uint64(lp[p+3])<<16
		return IntEntry(int64(u<<40) >> 40)
	case lpEnc32BitInt:
		return IntEntry(int64(int32(binary.LittleEndian.Uint32(lp[p+1:]))))
	case lpEnc64BitInt:
		return IntEntry(int64(binary.LittleEndian.Uint64(lp[p+1:])))
	}
	// lpEnc32BitStr
	return StrEntry(lp[p+5 : p+int(size)])
}

// WalkListpack validates lp as lpValidateIntegrity(deep=1) does (header
// size equal to len(lp), every entry's encoding inside the listpack and its
// backlen matching, the terminator right at the end, the header count equal
// to the entries unless 65535) and calls fn for each entry in order. fn is
// called before later entries are checked, so on error it may have seen a
// prefix; it may be nil. Errors are *Error with offsets into lp. It returns
// the number of entries.
func WalkListpack(lp []byte, fn func(Entry) error) (int, error) {
	if fn == nil {
		return walkListpack(lp, nil)
	}
	return walkListpack(lp, func(_ int, e Entry) error { return fn(e) })
}

// walkListpack is WalkListpack with each entry's offset passed to fn.
func walkListpack(lp []byte, fn func(off int, e Entry) error) (int, error) {
	if len(lp) < lpHeaderSize+1 {
		return 0, lpErr(0, "%d bytes is too short", len(lp))
	}
	if total := binary.LittleEndian.Uint32(lp); uint64(total) != uint64(len(lp)) {
		return 0, lpErr(0, "header says %d bytes, have %d", total, len(lp))
	}
	if lp[len(lp)-1] != lpEOF {
		return 0, lpErr(len(lp)-1, "missing terminator")
	}
	numele := int(binary.LittleEndian.Uint16(lp[4:]))
	last := len(lp) - 1 // entries may reach up to, not including, the terminator
	count := 0
	p := lpHeaderSize
	for lp[p] != lpEOF {
		size, err := lpEntrySize(lp, p, last)
		if err != nil {
			return count, err
		}
		bl := backlenSize(size)
		if size+bl > uint64(last-p) {
			return count, lpErr(p, "entry of %d bytes runs past the end", size+bl)
		}
		next := p + int(size+bl)
		if v, ok := lpDecodeBacklen(lp, next, p); !ok || v != size {
			return count, lpErr(next-1, "backlen does not match entry size %d", size)
		}
		if fn != nil {
			if err := fn(p, lpDecodeEntry(lp, p, size)); err != nil {
				return count, err
			}
		}
		count++
		p = next
	}
	if p != last {
		return count, lpErr(p, "terminator before the end")
	}
	if numele != lpNumeleUnknown && numele != count {
		return count, lpErr(4, "header count %d, found %d entries", numele, count)
	}
	return count, nil
}

// ListpackEntries validates lp (see WalkListpack) and returns its entries.
// Strings are slices of lp.
func ListpackEntries(lp []byte) ([]Entry, error) {
	var out []Entry
	_, err := WalkListpack(lp, func(e Entry) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AppendScore adds a sorted-set score as zzlInsertAt stores it: as an
// integer when double2ll accepts it (integral and within ±LLONG_MAX/2),
// otherwise as d2string's text (%.17g, "inf", "-inf").
func (w *ListpackWriter) AppendScore(v float64) {
	const lim = float64(math.MaxInt64 / 2)
	if v >= -lim && v <= lim {
		if ll := int64(v); float64(ll) == v {
			w.AppendInt(ll)
			return
		}
	}
	var text string
	switch {
	case math.IsNaN(v):
		text = "nan"
	case math.IsInf(v, 1):
		text = "inf"
	case math.IsInf(v, -1):
		text = "-inf"
	default:
		text = strconv.FormatFloat(v, 'g', 17, 64)
	}
	w.Append([]byte(text))
}
