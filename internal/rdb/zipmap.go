package rdb

import "encoding/binary"

// Zipmap layout (zipmap.c, Redis <= 2.4 small hashes): a count byte (254
// meaning "count by scanning"), then per pair: field length, field, value
// length, a "free" byte, value, free unused bytes; then 0xFF. Lengths are
// one byte below 254, else 254 followed by a 4-byte little-endian length.
const (
	zipmapBigLen = 254
	zipmapEnd    = 255
)

// ZipmapPairs validates zm as zipmapValidateIntegrity(deep=1) does (every
// length and field inside the zipmap, not empty, the header count matching
// unless 254) and returns field, value, field, value... as slices of zm.
// Like Redis it does not check for duplicate fields. Errors are *Error with
// offsets into zm.
func ZipmapPairs(zm []byte) ([][]byte, error) {
	errf := func(off int, msg string, args ...any) error {
		return (&Reader{}).Errorf(off, "zipmap: "+msg, args...)
	}
	if len(zm) < 2 {
		return nil, errf(0, "%d bytes is too short", len(zm))
	}
	if zm[len(zm)-1] != zipmapEnd {
		return nil, errf(len(zm)-1, "missing terminator")
	}
	last := len(zm) - 1
	// readLen decodes the length at p whose bytes must lie within the zipmap
	readLen := func(p int) (l uint64, next int, err error) {
		s := 1
		if zm[p] >= zipmapBigLen {
			s = 5
		}
		if p+s > last {
			return 0, 0, errf(p, "length runs past the end")
		}
		if s == 1 {
			return uint64(zm[p]), p + 1, nil
		}
		return uint64(binary.LittleEndian.Uint32(zm[p+1:])), p + 5, nil
	}
	var out [][]byte
	count := 0
	p := 1
	for zm[p] != zipmapEnd {
		at := p
		l, q, err := readLen(p)
		if err != nil {
			return nil, err
		}
		if l > uint64(last-q) {
			return nil, errf(at, "field of %d bytes runs past the end", l)
		}
		field := zm[q : q+int(l)]
		p = q + int(l)
		at = p
		l, q, err = readLen(p)
		if err != nil {
			return nil, err
		}
		free := uint64(zm[q])
		q++
		if q > last || l+free > uint64(last-q) {
			return nil, errf(at, "value of %d bytes (+%d free) runs past the end", l, free)
		}
		out = append(out, field, zm[q:q+int(l)])
		p = q + int(l+free)
		count++
	}
	if count == 0 {
		return nil, errf(0, "empty")
	}
	if zm[0] != zipmapBigLen && int(zm[0]) != count {
		return nil, errf(0, "header count %d, found %d pairs", zm[0], count)
	}
	return out, nil
}
