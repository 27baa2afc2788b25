package rdb

import (
	"encoding/binary"
	"slices"
)

// Intset layout (intset.c): a 4-byte little-endian encoding (the element
// size: 2, 4 or 8), a 4-byte little-endian count, then the elements sorted
// ascending, little-endian, all in that size.

// AppendIntset appends the intset holding vals (sorted and deduplicated
// here) in the smallest encoding that fits every element, as intsetAdd
// upgrades to.
func AppendIntset(dst []byte, vals []int64) []byte {
	s := slices.Clone(vals)
	slices.Sort(s)
	s = slices.Compact(s)
	enc := 2
	for _, v := range s {
		switch {
		case v < -1<<31 || v > 1<<31-1:
			enc = 8
		case (v < -1<<15 || v > 1<<15-1) && enc < 4:
			enc = 4
		}
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(enc))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s)))
	for _, v := range s {
		dst = appendIntsetValue(dst, enc, v)
	}
	return dst
}

// appendIntsetValue appends one intset member in the set's width.
func appendIntsetValue(dst []byte, width int, v int64) []byte {
	switch width {
	case 2:
		return binary.LittleEndian.AppendUint16(dst, uint16(v))
	case 4:
		return binary.LittleEndian.AppendUint32(dst, uint32(v))
	}
	return binary.LittleEndian.AppendUint64(dst, uint64(v))
}

// IntsetValues validates b as intsetValidateIntegrity(deep=1) does
// (encoding 2/4/8, size exactly header + count*encoding, not empty,
// strictly ascending) and returns its elements. Errors are *Error with
// offsets into b.
func IntsetValues(b []byte) ([]int64, error) {
	if len(b) < 8 {
		return nil, (&Reader{}).Errorf(0, "intset: %d bytes is too short", len(b))
	}
	enc := binary.LittleEndian.Uint32(b)
	if enc != 2 && enc != 4 && enc != 8 {
		return nil, (&Reader{}).Errorf(0, "intset: invalid encoding %d", enc)
	}
	count := uint64(binary.LittleEndian.Uint32(b[4:]))
	if 8+count*uint64(enc) != uint64(len(b)) {
		return nil, (&Reader{}).Errorf(4, "intset: %d elements of %d bytes do not fill %d bytes", count, enc, len(b))
	}
	if count == 0 {
		return nil, (&Reader{}).Errorf(4, "intset: empty")
	}
	out := make([]int64, count)
	for i := range out {
		p := b[8+i*int(enc):]
		switch enc {
		case 2:
			out[i] = int64(int16(binary.LittleEndian.Uint16(p)))
		case 4:
			out[i] = int64(int32(binary.LittleEndian.Uint32(p)))
		default:
			out[i] = int64(binary.LittleEndian.Uint64(p))
		}
		if i > 0 && out[i] <= out[i-1] {
			return nil, (&Reader{}).Errorf(8+i*int(enc), "intset: element %d not above the previous one", i)
		}
	}
	return out, nil
}
