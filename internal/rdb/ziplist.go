package rdb

import "encoding/binary"

// Ziplist layout (ziplist.c, Redis <= 6.2 small lists/hashes/zsets): zlbytes
// (4 bytes LE), zltail (4 bytes LE, offset of the last entry), zllen (2
// bytes LE, 65535 meaning "count by scanning"), the entries, then 0xFF.
// Each entry is prevlen (1 byte below 254, else 0xFE + 4 bytes LE), an
// encoding (strings: 00pppppp, 01pppppp qqqqqqqq big-endian, 10xxxxxx + 4
// bytes big-endian; integers: 0xC0 int16, 0xD0 int32, 0xE0 int64, 0xF0
// int24, 0xFE int8, 0xF1..0xFD the values 0..12 inline), then the data.
const (
	zlHeaderSize = 10
	zlEnd        = 0xFF
	zlBigPrevlen = 254
	zlStrMask    = 0xC0
	zlStr06B     = 0x00
	zlStr14B     = 0x40
	zlStr32B     = 0x80
	zlInt16      = 0xC0
	zlInt32      = 0xD0
	zlInt64      = 0xE0
	zlInt24      = 0xF0
	zlInt8       = 0xFE
	zlImmMin     = 0xF1
	zlImmMax     = 0xFD
)

func zlErr(off int, msg string, args ...any) error {
	return (&Reader{}).Errorf(off, "ziplist: "+msg, args...)
}

// WalkZiplist validates zl as ziplistValidateIntegrity(deep=1) does
// (zlbytes equal to len(zl), the terminator, zltail inside and pointing at
// the last entry, each entry's encoding valid and inside the ziplist, each
// prevlen equal to the previous entry's size, zllen equal to the entries
// unless 65535) and calls fn (if not nil) on each entry in order, before
// later entries are checked. Errors are *Error with offsets into zl. It
// returns the number of entries.
func WalkZiplist(zl []byte, fn func(Entry) error) (int, error) {
	if fn == nil {
		return walkZiplist(zl, nil)
	}
	return walkZiplist(zl, func(_ int, e Entry) error { return fn(e) })
}

// walkZiplist is WalkZiplist with each entry's offset passed to fn.
func walkZiplist(zl []byte, fn func(off int, e Entry) error) (int, error) {
	if len(zl) < zlHeaderSize+1 {
		return 0, zlErr(0, "%d bytes is too short", len(zl))
	}
	if n := binary.LittleEndian.Uint32(zl); uint64(n) != uint64(len(zl)) {
		return 0, zlErr(0, "header says %d bytes, have %d", n, len(zl))
	}
	last := len(zl) - 1
	if zl[last] != zlEnd {
		return 0, zlErr(last, "missing terminator")
	}
	tail := binary.LittleEndian.Uint32(zl[4:])
	if uint64(tail) > uint64(last) {
		return 0, zlErr(4, "tail offset %d outside the ziplist", tail)
	}
	header := int(binary.LittleEndian.Uint16(zl[8:]))
	p, prev, prevSize, count := zlHeaderSize, -1, 0, 0
	for zl[p] != zlEnd {
		// prevlen
		prevlen, hs := int(zl[p]), 1
		if zl[p] >= zlBigPrevlen {
			if p+5 > last {
				return count, zlErr(p, "prevlen runs past the end")
			}
			prevlen, hs = int(binary.LittleEndian.Uint32(zl[p+1:])), 5
		}
		if prevlen != prevSize {
			return count, zlErr(p, "prevlen %d, previous entry has %d bytes", prevlen, prevSize)
		}
		// encoding
		e := p + hs
		if e >= last {
			return count, zlErr(e, "encoding runs past the end")
		}
		c := zl[e]
		var lensize int
		var dataLen uint64
		switch {
		case c < zlStrMask && c&zlStrMask == zlStr06B:
			lensize, dataLen = 1, uint64(c&0x3F)
		case c < zlStrMask && c&zlStrMask == zlStr14B:
			lensize = 2
			if e+2 > last {
				return count, zlErr(e, "encoding runs past the end")
			}
			dataLen = uint64(c&0x3F)<<8 | uint64(zl[e+1])
		case c < zlStrMask:
			lensize = 5
			if e+5 > last {
				return count, zlErr(e, "encoding runs past the end")
			}
			dataLen = uint64(binary.BigEndian.Uint32(zl[e+1:]))
		default:
			lensize = 1
			switch {
			case c == zlInt8:
				dataLen = 1
			case c == zlInt16:
				dataLen = 2
			case c == zlInt24:
				dataLen = 3
			case c == zlInt32:
				dataLen = 4
			case c == zlInt64:
				dataLen = 8
			case c >= zlImmMin && c <= zlImmMax:
				dataLen = 0
			default:
				return count, zlErr(e, "invalid entry encoding 0x%02x", c)
			}
		}
		d := e + lensize
		if dataLen > uint64(last-d) {
			return count, zlErr(p, "entry of %d bytes runs past the end", dataLen)
		}
		end := d + int(dataLen)
		if fn != nil {
			var ent Entry
			data := zl[d:end]
			switch {
			case c < zlStrMask:
				ent = StrEntry(data)
			case c == zlInt8:
				ent = IntEntry(int64(int8(data[0])))
			case c == zlInt16:
				ent = IntEntry(int64(int16(binary.LittleEndian.Uint16(data))))
			case c == zlInt24:
				u := uint64(data[0]) | uint64(data[1])<<8 | uint64(data[2])<<16
				ent = IntEntry(int64(u<<40) >> 40)
			case c == zlInt32:
				ent = IntEntry(int64(int32(binary.LittleEndian.Uint32(data))))
			case c == zlInt64:
				ent = IntEntry(int64(binary.LittleEndian.Uint64(data)))
			default:
				ent = IntEntry(int64(c&0x0F) - 1)
			}
			if err := fn(p, ent); err != nil {
				return count, err
			}
		}
		prevSize = end - p
		prev = p
		p = end
		count++
	}
	if p != last {
		return count, zlErr(p, "terminator before the end")
	}
	if prev >= 0 && uint64(prev) != uint64(tail) {
		return count, zlErr(4, "tail offset %d, last entry at %d", tail, prev)
	}
	if header != 65535 && header != count {
		return count, zlErr(8, "header count %d, found %d entries", header, count)
	}
	return count, nil
}

// ZiplistEntries validates zl (see WalkZiplist) and returns its entries.
// Strings are slices of zl.
func ZiplistEntries(zl []byte) ([]Entry, error) {
	var out []Entry
	_, err := WalkZiplist(zl, func(e Entry) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ZiplistWriter builds a ziplist as repeated ziplistPush(..., ZIPLIST_TAIL)
// calls do. The zero value is an empty ziplist.
type ZiplistWriter struct {
	body     []byte
	n        int
	lastSize int // size of the last entry, the next one's prevlen
	lastAt   int // offset of the last entry within body
}

// Append adds s, stored as an integer when zipTryEncoding accepts it (the
// canonical decimal text of an int64).
func (w *ZiplistWriter) Append(s []byte) {
	start := len(w.body)
	if w.lastSize < zlBigPrevlen {
		w.body = append(w.body, byte(w.lastSize))
	} else {
		w.body = append(w.body, zlBigPrevlen)
		w.body = binary.LittleEndian.AppendUint32(w.body, uint32(w.lastSize))
	}
	if v, ok := parseCanonicalInt(s); ok {
		w.body = appendZlInt(w.body, v)
	} else {
		switch n := len(s); {
		case n <= 0x3F:
			w.body = append(w.body, zlStr06B|byte(n))
		case n <= 0x3FFF:
			w.body = append(w.body, zlStr14B|byte(n>>8), byte(n))
		default:
			w.body = append(w.body, zlStr32B)
			w.body = binary.BigEndian.AppendUint32(w.body, uint32(n))
		}
		w.body = append(w.body, s...)
	}
	w.lastAt, w.lastSize = start, len(w.body)-start
	w.n++
}

func appendZlInt(b []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 12:
		return append(b, zlImmMin+byte(v))
	case v >= -1<<7 && v <= 1<<7-1:
		return append(b, zlInt8, byte(v))
	case v >= -1<<15 && v <= 1<<15-1:
		return append(b, zlInt16, byte(v), byte(v>>8))
	case v >= -1<<23 && v <= 1<<23-1:
		return append(b, zlInt24, byte(v), byte(v>>8), byte(v>>16))
	case v >= -1<<31 && v <= 1<<31-1:
		b = append(b, zlInt32)
		return binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	b = append(b, zlInt64)
	return binary.LittleEndian.AppendUint64(b, uint64(v))
}

// Len returns the number of entries.
func (w *ZiplistWriter) Len() int { return w.n }

// Bytes returns the complete ziplist.
func (w *ZiplistWriter) Bytes() []byte {
	out := binary.LittleEndian.AppendUint32(nil, uint32(zlHeaderSize+len(w.body)+1))
	tail := zlHeaderSize
	if w.n > 0 {
		tail += w.lastAt
	}
	out = binary.LittleEndian.AppendUint32(out, uint32(tail))
	out = binary.LittleEndian.AppendUint16(out, uint16(min(w.n, 65535)))
	out = append(out, w.body...)
	return append(out, zlEnd)
}

// BuildZiplist returns the ziplist ziplistPush builds for elems in order.
func BuildZiplist(elems [][]byte) []byte {
	var w ZiplistWriter
	for _, e := range elems {
		w.Append(e)
	}
	return w.Bytes()
}
