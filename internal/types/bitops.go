// bitops.go holds the bit-level primitives of the bitmap commands (bit 0
// is the most significant bit of the first byte, as in Redis): counting,
// searching, BITOP's byte-wise combination, and BITFIELD's integers of 1
// to 64 bits with Redis's overflow rules. They work on plain byte slices
// so the handlers decide lookups, growth and replies.
package types

import "math/bits"

// PopCount returns the number of set bits in b.
func PopCount(b []byte) int64 {
	var n int
	for len(b) >= 8 {
		n += bits.OnesCount64(uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56)
		b = b[8:]
	}
	for _, c := range b {
		n += bits.OnesCount8(c)
	}
	return int64(n)
}

// BitPos returns the position of the first bit equal to bit in b. When
// there is none it returns -1 looking for a 1, and len(b)*8 looking for a
// 0 (the bits right of a string count as zeroes).
func BitPos(b []byte, bit int) int64 {
	skip := byte(0)
	if bit == 0 {
		skip = 0xff
	}
	for i, c := range b {
		if c == skip {
			continue
		}
		if bit == 0 {
			c = ^c
		}
		return int64(i)*8 + int64(bits.LeadingZeros8(c))
	}
	if bit == 1 {
		return -1
	}
	return int64(len(b)) * 8
}

// BITOP operations.
const (
	BitAnd = iota
	BitOr
	BitXor
	BitNot
)

// BitOp combines the sources byte by byte, missing bytes of shorter
// sources counting as zeroes; the result is as long as the longest
// source (nil when all are empty).
func BitOp(op int, srcs [][]byte) []byte {
	maxLen := 0
	for _, s := range srcs {
		maxLen = max(maxLen, len(s))
	}
	if maxLen == 0 {
		return nil
	}
	res := make([]byte, maxLen)
	at := func(s []byte, j int) byte {
		if j < len(s) {
			return s[j]
		}
		return 0
	}
	for j := range res {
		out := at(srcs[0], j)
		switch op {
		case BitNot:
			out = ^out
		case BitAnd:
			for _, s := range srcs[1:] {
				out &= at(s, j)
			}
		case BitOr:
			for _, s := range srcs[1:] {
				out |= at(s, j)
			}
		case BitXor:
			for _, s := range srcs[1:] {
				out ^= at(s, j)
			}
		}
		res[j] = out
	}
	return res
}

// GetUnsignedBits reads the n-bit unsigned integer at bit offset off; p
// must cover those bits.
func GetUnsignedBits(p []byte, off uint64, n int) uint64 {
	var v uint64
	for range n {
		bit := (p[off>>3] >> (7 - off&7)) & 1
		v = v<<1 | uint64(bit)
		off++
	}
	return v
}

// GetSignedBits reads an n-bit two's complement integer.
func GetSignedBits(p []byte, off uint64, n int) int64 {
	v := GetUnsignedBits(p, off, n)
	if n < 64 && v&(1<<(n-1)) != 0 {
		v |= ^uint64(0) << n
	}
	return int64(v)
}

// SetBits writes the low n bits of v at bit offset off.
func SetBits(p []byte, off uint64, n int, v uint64) {
	for j := range n {
		bit := byte(v>>(n-1-j)) & 1
		shift := 7 - off&7
		p[off>>3] = p[off>>3]&^(1<<shift) | bit<<shift
		off++
	}
}

// BITFIELD overflow behaviours.
const (
	OverflowWrap = iota
	OverflowSat
	OverflowFail
)

// UnsignedFieldOverflow checks value+incr against an n-bit unsigned
// field: it returns 0 when it fits, 1 on overflow and -1 on underflow,
// with the value to store under WRAP or SAT.
func UnsignedFieldOverflow(value uint64, incr int64, n int, how int) (int, uint64) {
	maxv := uint64(1)<<n - 1
	if n == 64 {
		maxv = ^uint64(0)
	}
	maxIncr := int64(maxv - value)
	minIncr := -int64(value)
	wrap := func() uint64 { return (value + uint64(incr)) &^ (^uint64(0) << n) }
	if value > maxv || (incr > 0 && incr > maxIncr) {
		switch how {
		case OverflowWrap:
			return 1, wrap()
		case OverflowSat:
			return 1, maxv
		}
		return 1, 0
	}
	if incr < 0 && incr < minIncr {
		switch how {
		case OverflowWrap:
			return 1, wrap()
		case OverflowSat:
			return -1, 0
		}
		return -1, 0
	}
	return 0, 0
}

// SignedFieldOverflow is UnsignedFieldOverflow for n-bit signed fields.
func SignedFieldOverflow(value, incr int64, n int, how int) (int, int64) {
	maxv := int64(1)<<(n-1) - 1
	if n == 64 {
		maxv = 1<<63 - 1
	}
	minv := -maxv - 1
	maxIncr := int64(uint64(maxv) - uint64(value))
	minIncr := minv - value
	wrap := func() int64 {
		c := uint64(value) + uint64(incr)
		if n < 64 {
			mask := ^uint64(0) << n
			if c&(1<<(n-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c)
	}
	if value > maxv || (n != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr) {
		switch how {
		case OverflowWrap:
			return 1, wrap()
		case OverflowSat:
			return 1, maxv
		}
		return 1, 0
	}
	if value < minv || (n != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr) {
		switch how {
		case OverflowWrap:
			return 1, wrap()
		case OverflowSat:
			return -1, minv
		}
		return -1, 0
	}
	return 0, 0
}

// GrowZero makes the value at least n bytes long, zero-padding it, and
// reports whether it grew. The value becomes raw, as Redis unshares a
// string before writing bits into it.
func (s *String) GrowZero(n int) bool {
	s.Enc = EncRaw
	if len(s.B) >= n {
		return false
	}
	s.SetRange(n-1, []byte{0})
	return true
}
