// bitops_test.go checks the bitmap primitives against bit-by-bit
// reference implementations, and BITFIELD's overflow rules against exact
// arithmetic with math/big.
package types

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

func naiveBit(b []byte, i int) int { return int(b[i/8]>>(7-i%8)) & 1 }

func TestPopCountAndBitPos(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			switch rng.IntN(3) {
			case 0:
				b[i] = 0
			case 1:
				b[i] = 0xff
			default:
				b[i] = byte(rng.Uint32())
			}
		}
		ones := 0
		first := [2]int64{int64(len(b)) * 8, -1}
		for i := len(b)*8 - 1; i >= 0; i-- {
			v := naiveBit(b, i)
			ones += v
			first[v] = int64(i)
		}
		if got := PopCount(b); got != int64(ones) {
			t.Fatalf("PopCount(%x) = %d, want %d", b, got, ones)
		}
		for bit := range 2 {
			if got := BitPos(b, bit); got != first[bit] {
				t.Fatalf("BitPos(%x, %d) = %d, want %d", b, bit, got, first[bit])
			}
		}
	}
}

func TestBitOp(t *testing.T) {
	a, b := []byte{0xf0, 0x0f, 0xaa}, []byte{0xff, 0x01}
	for _, tc := range []struct {
		op   int
		srcs [][]byte
		want []byte
	}{
		{BitAnd, [][]byte{a, b}, []byte{0xf0, 0x01, 0x00}},
		{BitOr, [][]byte{a, b}, []byte{0xff, 0x0f, 0xaa}},
		{BitXor, [][]byte{a, b}, []byte{0x0f, 0x0e, 0xaa}},
		{BitNot, [][]byte{b}, []byte{0x00, 0xfe}},
		{BitOr, [][]byte{nil, nil}, nil},
		{BitAnd, [][]byte{a, nil}, []byte{0, 0, 0}},
	} {
		if got := BitOp(tc.op, tc.srcs); string(got) != string(tc.want) {
			t.Errorf("op %d: %x, want %x", tc.op, got, tc.want)
		}
	}
}

func TestBitfieldRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	p := make([]byte, 32)
	for range 2000 {
		n := 1 + rng.IntN(64)
		off := uint64(rng.IntN(len(p)*8 - n + 1))
		before := append([]byte(nil), p...)
		v := rng.Uint64()
		SetBits(p, off, n, v)
		mask := ^uint64(0) >> (64 - n)
		if got := GetUnsignedBits(p, off, n); got != v&mask {
			t.Fatalf("u%d at %d: %x, want %x", n, off, got, v&mask)
		}
		want := int64(v<<(64-n)) >> (64 - n)
		if got := GetSignedBits(p, off, n); got != want {
			t.Fatalf("i%d at %d: %d, want %d", n, off, got, want)
		}
		for i := range len(p) * 8 {
			if (uint64(i) < off || uint64(i) >= off+uint64(n)) && naiveBit(p, i) != naiveBit(before, i) {
				t.Fatalf("bit %d outside the field changed", i)
			}
		}
	}
}

// TestFieldOverflow compares the overflow checks with exact sums for
// values that fit the field (INCRBY) and for arbitrary values (SET).
func TestFieldOverflow(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	pick := func() int64 {
		switch rng.IntN(4) {
		case 0:
			return int64(rng.IntN(600)) - 300
		case 1:
			return int64(rng.Uint64())
		case 2:
			return 1<<63 - 1 - int64(rng.IntN(3))
		}
		return -1<<63 + int64(rng.IntN(3))
	}
	for range 20000 {
		n := 1 + rng.IntN(64)
		incr := pick()
		// signed
		lo := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), uint(n-1)))
		hi := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(n-1)), big.NewInt(1))
		value := int64(rng.Uint64()<<(64-n)) >> (64 - n)
		sum := new(big.Int).Add(big.NewInt(value), big.NewInt(incr))
		wantDir := 0
		if sum.Cmp(hi) > 0 {
			wantDir = 1
		} else if sum.Cmp(lo) < 0 {
			wantDir = -1
		}
		dir, sat := SignedFieldOverflow(value, incr, n, OverflowSat)
		if dir != wantDir {
			t.Fatalf("i%d %d+%d: direction %d, want %d", n, value, incr, dir, wantDir)
		}
		if dir == 1 && sat != hi.Int64() || dir == -1 && sat != lo.Int64() {
			t.Fatalf("i%d %d+%d: saturated to %d", n, value, incr, sat)
		}
		if dir != 0 {
			_, wrapped := SignedFieldOverflow(value, incr, n, OverflowWrap)
			want := int64(uint64(value+incr)<<(64-n)) >> (64 - n)
			if wrapped != want {
				t.Fatalf("i%d %d+%d: wrapped to %d, want %d", n, value, incr, wrapped, want)
			}
		}
		// unsigned (u1..u63)
		if n == 64 {
			continue
		}
		uhi := uint64(1)<<n - 1
		uvalue := rng.Uint64() & uhi
		usum := new(big.Int).Add(new(big.Int).SetUint64(uvalue), big.NewInt(incr))
		wantDir = 0
		if usum.Cmp(new(big.Int).SetUint64(uhi)) > 0 {
			wantDir = 1
		} else if usum.Sign() < 0 {
			wantDir = -1
		}
		dir, usat := UnsignedFieldOverflow(uvalue, incr, n, OverflowSat)
		if dir != wantDir {
			t.Fatalf("u%d %d+%d: direction %d, want %d", n, uvalue, incr, dir, wantDir)
		}
		if dir == 1 && usat != uhi || dir == -1 && usat != 0 {
			t.Fatalf("u%d %d+%d: saturated to %d", n, uvalue, incr, usat)
		}
	}
}
