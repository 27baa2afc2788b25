// hll.go holds HyperLogLog values in Redis 7.0's exact byte layout: a
// 16-byte header ("HYLL", encoding, 3 unused bytes, cached cardinality
// little endian with the top bit meaning "stale"), followed by either the
// sparse opcodes (ZERO, XZERO, VAL) or 16384 packed 6-bit registers. An
// HLL is an ordinary string value, so GET, DUMP-like readers and clients
// see the same bytes Redis would produce after the same commands; every
// operation here is therefore deterministic down to opcode splitting and
// merging order.
package types

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"strings"
)

// Layout constants of Redis's HyperLogLog.
const (
	hllP          = 14
	hllQ          = 64 - hllP
	HLLRegisters  = 1 << hllP
	hllPMask      = HLLRegisters - 1
	hllBits       = 6
	hllRegMax     = 1<<hllBits - 1
	hllHdrSize    = 16
	hllDenseSize  = hllHdrSize + (HLLRegisters*hllBits+7)/8
	hllEncDense   = 0
	hllEncSparse  = 1
	hllMaxEnc     = 1
	hllSeed       = 0xadc83b19
	hllAlphaInf   = 0.721347520444481703680
	sparseValMax  = 32
	sparseValLen  = 4
	sparseZeroLen = 64
	sparseXZLen   = 16384
)

// Sparse opcode layout: 00xxxxxx ZERO, 01xxxxxx xxxxxxxx XZERO, 1vvvvvxx VAL.
func spIsZero(op byte) bool  { return op&0xc0 == 0 }
func spIsXZero(op byte) bool { return op&0xc0 == 0x40 }
func spIsVal(op byte) bool   { return op&0x80 != 0 }
func spZeroLen(op byte) int  { return int(op&0x3f) + 1 }
func spValValue(op byte) int { return int(op>>2&0x1f) + 1 }
func spValLen(op byte) int   { return int(op&3) + 1 }
func spValOp(val, n int) byte {
	return byte((val-1)<<2|(n-1)) | 0x80
}

// spXZeroLen reads a two-byte XZERO at p; a truncated opcode reads the
// missing byte as zero, as Redis reads the string's terminator.
func spXZeroLen(b []byte, p int) int {
	var lo byte
	if p+1 < len(b) {
		lo = b[p+1]
	}
	return (int(b[p]&0x3f)<<8 | int(lo)) + 1
}

// appendZeros appends the ZERO or XZERO opcode covering n registers.
func appendZeros(seq []byte, n int) []byte {
	if n > sparseZeroLen {
		n--
		return append(seq, byte(n>>8)|0x40, byte(n))
	}
	return append(seq, byte(n-1))
}

// MurmurHash64A is the 64-bit MurmurHash2 Redis hashes HLL elements with
// (little-endian word reads, whatever the host).
func MurmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ (uint64(len(key)) * m)
	n := len(key) &^ 7
	for i := 0; i < n; i += 8 {
		k := binary.LittleEndian.Uint64(key[i:])
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	tail := key[n:]
	if len(tail) > 0 {
		for i := len(tail) - 1; i >= 0; i-- {
			h ^= uint64(tail[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen returns the register an element maps to and the length of
// the run of zeroes (plus one) in the remaining hash bits.
func hllPatLen(ele []byte) (int, uint8) {
	hash := MurmurHash64A(ele, hllSeed)
	index := int(hash & hllPMask)
	hash >>= hllP
	hash |= 1 << hllQ
	return index, uint8(bits.TrailingZeros64(hash) + 1)
}

// denseGet and denseSet address the 6-bit registers packed LSB first.
// The last register's second byte lies past the array: Redis reads and
// writes the string terminator there, which is always zero for it.
func denseGet(regs []byte, i int) uint8 {
	byteIdx := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	b0 := uint(regs[byteIdx])
	var b1 uint
	if byteIdx+1 < len(regs) {
		b1 = uint(regs[byteIdx+1])
	}
	return uint8((b0>>fb | b1<<(8-fb)) & hllRegMax)
}

func denseSet(regs []byte, i int, val uint8) {
	byteIdx := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	v := uint(val)
	regs[byteIdx] &^= byte(hllRegMax << fb)
	regs[byteIdx] |= byte(v << fb)
	if byteIdx+1 < len(regs) {
		regs[byteIdx+1] &^= byte(hllRegMax >> (8 - fb))
		regs[byteIdx+1] |= byte(v >> (8 - fb))
	}
}

// denseSetMax raises register i to count, reporting whether it changed.
func denseSetMax(regs []byte, i int, count uint8) bool {
	if count > denseGet(regs, i) {
		denseSet(regs, i, count)
		return true
	}
	return false
}

// NewHLL returns an empty sparse HyperLogLog, raw-encoded like every
// string Redis builds rather than sets.
func NewHLL() *String {
	b := make([]byte, hllHdrSize, hllHdrSize+16)
	copy(b, "HYLL")
	b[4] = hllEncSparse
	for left := HLLRegisters; left > 0; left -= sparseXZLen {
		b = appendZeros(b, min(left, sparseXZLen))
	}
	return &String{B: b, Enc: EncRaw}
}

// IsHLL tells whether b has a valid HyperLogLog header (the body of a
// sparse one is only checked when it is used).
func IsHLL(b []byte) bool {
	if len(b) < hllHdrSize || string(b[:4]) != "HYLL" || b[4] > hllMaxEnc {
		return false
	}
	return b[4] != hllEncDense || len(b) == hllDenseSize
}

// HLLIsSparse tells whether a valid HLL uses the sparse encoding.
func HLLIsSparse(b []byte) bool { return b[4] == hllEncSparse }

// HLLInvalidateCache marks the cached cardinality as stale.
func HLLInvalidateCache(s *String) { s.B[15] |= 0x80 }

// HLLCachedCount returns the cached cardinality when it is valid.
func HLLCachedCount(b []byte) (uint64, bool) {
	if b[15]&0x80 != 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[8:16]), true
}

// HLLSetCachedCount stores card as the cached cardinality.
func HLLSetCachedCount(s *String, card uint64) {
	binary.LittleEndian.PutUint64(s.B[8:16], card)
}

// HLLToDense converts a sparse HLL to the dense encoding in place (a
// dense one is left alone). It reports false, changing nothing, when the
// sparse opcodes do not cover exactly 16384 registers.
func HLLToDense(s *String) bool {
	if s.B[4] == hllEncDense {
		return true
	}
	dense := make([]byte, hllDenseSize)
	copy(dense, s.B[:hllHdrSize])
	dense[4] = hllEncDense
	regs := dense[hllHdrSize:]
	b := s.B
	idx := 0
	for p := hllHdrSize; p < len(b); {
		switch op := b[p]; {
		case spIsZero(op):
			idx += spZeroLen(op)
			p++
		case spIsXZero(op):
			idx += spXZeroLen(b, p)
			p += 2
		default:
			n, val := spValLen(op), uint8(spValValue(op))
			if idx+n > HLLRegisters {
				return false
			}
			for ; n > 0; n-- {
				denseSet(regs, idx, val)
				idx++
			}
			p++
		}
	}
	if idx != HLLRegisters {
		return false
	}
	s.B = dense
	return true
}

// HLLAdd adds ele, returning 1 when a register changed, 0 when none did
// and -1 when the HLL is corrupted. A sparse HLL that would grow beyond
// sparseMax bytes, or needs a register value VAL cannot hold, becomes
// dense.
func HLLAdd(s *String, ele []byte, sparseMax int64) int {
	index, count := hllPatLen(ele)
	return HLLSetRegister(s, index, count, sparseMax)
}

// HLLSetRegister raises register index to count (if lower), in whichever
// encoding the HLL has, with HLLAdd's results.
func HLLSetRegister(s *String, index int, count uint8, sparseMax int64) int {
	switch s.B[4] {
	case hllEncDense:
		if denseSetMax(s.B[hllHdrSize:], index, count) {
			return 1
		}
		return 0
	case hllEncSparse:
		return sparseSet(s, index, count, sparseMax)
	}
	return -1
}

// sparseSet is the sparse-encoding register update. It edits the opcode
// covering index in place: a VAL already >= count needs nothing, single
// register opcodes are rewritten, and longer runs are split into up to
// three opcodes; then equal adjacent VALs near the edit are merged.
func sparseSet(s *String, index int, count uint8, sparseMax int64) int {
	if count > sparseValMax {
		return sparsePromote(s, index, count)
	}
	b := s.B
	end := len(b)
	p, first, span, prev := hllHdrSize, 0, 0, -1
	for p < end {
		oplen := 1
		switch op := b[p]; {
		case spIsZero(op):
			span = spZeroLen(op)
		case spIsVal(op):
			span = spValLen(op)
		default:
			span = spXZeroLen(b, p)
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return -1
	}
	op := b[p]
	isZero, isXZero, isVal := spIsZero(op), spIsXZero(op), spIsVal(op)
	var runlen int
	switch {
	case isZero:
		runlen = spZeroLen(op)
	case isXZero:
		runlen = spXZeroLen(b, p)
	default:
		runlen = spValLen(op)
	}

	switch {
	case isVal && spValValue(op) >= int(count):
		return 0
	case (isVal || isZero) && runlen == 1:
		b[p] = spValOp(int(count), 1)
	default:
		last := first + span - 1
		seq := make([]byte, 0, 5)
		if isVal {
			cur := spValValue(op)
			if index != first {
				seq = append(seq, spValOp(cur, index-first))
			}
			seq = append(seq, spValOp(int(count), 1))
			if index != last {
				seq = append(seq, spValOp(cur, last-index))
			}
		} else {
			if index != first {
				seq = appendZeros(seq, index-first)
			}
			seq = append(seq, spValOp(int(count), 1))
			if index != last {
				seq = appendZeros(seq, last-index)
			}
		}
		oldlen := 1
		if isXZero {
			oldlen = 2
		}
		delta := len(seq) - oldlen
		if delta > 0 && int64(len(b)+delta) > sparseMax {
			return sparsePromote(s, index, count)
		}
		newLen := len(b) + delta
		grown := make([]byte, 0, newLen+3)
		grown = append(grown, b[:p]...)
		grown = append(grown, seq...)
		if p+oldlen <= len(b) {
			grown = append(grown, b[p+oldlen:]...)
		}
		b = grown[:newLen]
		end = newLen
	}

	// Merge adjacent VALs of equal value around the edit.
	if prev < 0 {
		p = hllHdrSize
	} else {
		p = prev
	}
	for scan := 5; p < end && scan > 0; {
		scan--
		if spIsXZero(b[p]) {
			p += 2
			continue
		}
		if spIsZero(b[p]) {
			p++
			continue
		}
		if p+1 < end && spIsVal(b[p+1]) {
			v1, v2 := spValValue(b[p]), spValValue(b[p+1])
			if v1 == v2 {
				if n := spValLen(b[p]) + spValLen(b[p+1]); n <= sparseValLen {
					b[p+1] = spValOp(v1, n)
					copy(b[p:], b[p+1:end])
					end--
					b = b[:end]
					continue
				}
			}
		}
		p++
	}
	s.B = b
	HLLInvalidateCache(s)
	return 1
}

func sparsePromote(s *String, index int, count uint8) int {
	if !HLLToDense(s) {
		return -1
	}
	denseSetMax(s.B[hllHdrSize:], index, count)
	return 1
}

// HLLMergeInto raises each max[i] to register i of the HLL b; false when
// a sparse body is corrupted.
func HLLMergeInto(max *[HLLRegisters]uint8, b []byte) bool {
	if b[4] == hllEncDense {
		regs := b[hllHdrSize:]
		for i := range max {
			if v := denseGet(regs, i); v > max[i] {
				max[i] = v
			}
		}
		return true
	}
	i := 0
	for p := hllHdrSize; p < len(b); {
		switch op := b[p]; {
		case spIsZero(op):
			i += spZeroLen(op)
			p++
		case spIsXZero(op):
			i += spXZeroLen(b, p)
			p += 2
		default:
			n, val := spValLen(op), uint8(spValValue(op))
			if i+n > HLLRegisters {
				return false
			}
			for ; n > 0; n-- {
				if val > max[i] {
					max[i] = val
				}
				i++
			}
			p++
		}
	}
	return i == HLLRegisters
}

// HLLCount estimates the cardinality of the HLL b; valid is false when a
// sparse body does not cover exactly the registers.
func HLLCount(b []byte) (card uint64, valid bool) {
	var histo [64]int
	valid = true
	if b[4] == hllEncDense {
		regs := b[hllHdrSize:]
		for i := range HLLRegisters {
			histo[denseGet(regs, i)]++
		}
	} else {
		idx := 0
		for p := hllHdrSize; p < len(b); {
			switch op := b[p]; {
			case spIsZero(op):
				n := spZeroLen(op)
				idx += n
				histo[0] += n
				p++
			case spIsXZero(op):
				n := spXZeroLen(b, p)
				idx += n
				histo[0] += n
				p += 2
			default:
				n := spValLen(op)
				idx += n
				histo[spValValue(op)] += n
				p++
			}
		}
		valid = idx == HLLRegisters
	}
	return countFromHisto(&histo), valid
}

// HLLCountRegisters estimates the cardinality of plain registers (the
// union PFCOUNT computes over several keys).
func HLLCountRegisters(regs *[HLLRegisters]uint8) uint64 {
	var histo [64]int
	for _, v := range regs {
		histo[v&63]++
	}
	return countFromHisto(&histo)
}

// countFromHisto is Ertl's improved estimator over the register
// histogram. Products are wrapped in float64() so that Go never fuses
// them into FMAs, which would round differently from Redis.
func countFromHisto(histo *[64]int) uint64 {
	const m = float64(HLLRegisters)
	z := m * hllTau((m-float64(histo[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += float64(m * hllSigma(float64(histo[0])/m))
	return uint64(math.Round(float64(float64(hllAlphaInf*m)*m) / z))
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += float64(x * y)
		y += y
		if prev == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if prev == z {
			return z / 3
		}
	}
}

// HLLRegisterValues returns every register of a dense HLL.
func HLLRegisterValues(b []byte) []uint8 {
	out := make([]uint8, HLLRegisters)
	regs := b[hllHdrSize:]
	for i := range out {
		out[i] = denseGet(regs, i)
	}
	return out
}

// HLLDecode renders a sparse body as PFDEBUG DECODE does: "z:len" for
// ZERO, "Z:len" for XZERO, "v:value,len" for VAL.
func HLLDecode(b []byte) string {
	var sb strings.Builder
	for p := hllHdrSize; p < len(b); {
		switch op := b[p]; {
		case spIsZero(op):
			fmt.Fprintf(&sb, "z:%d ", spZeroLen(op))
			p++
		case spIsXZero(op):
			fmt.Fprintf(&sb, "Z:%d ", spXZeroLen(b, p))
			p += 2
		default:
			fmt.Fprintf(&sb, "v:%d,%d ", spValValue(op), spValLen(op))
			p++
		}
	}
	return strings.Trim(sb.String(), " ")
}

// HLLSelfTest checks the register packing with random values and the
// estimator's error at every power of ten up to ten million elements,
// with a dense and a sparse HLL fed the same elements, as PFSELFTEST.
// It returns the TESTFAILED message of the first failure, or "".
func HLLSelfTest(sparseMax int64, rng *rand.Rand) string {
	dense := make([]byte, hllDenseSize)
	regs := dense[hllHdrSize:]
	var want [HLLRegisters]uint8
	for range 1000 {
		for i := range want {
			want[i] = uint8(rng.Uint32() & hllRegMax)
			denseSet(regs, i, want[i])
		}
		for i := range want {
			if got := denseGet(regs, i); got != want[i] {
				return fmt.Sprintf("TESTFAILED Register %d should be %d but is %d", i, want[i], got)
			}
		}
	}

	clear(regs)
	copy(dense, "HYLL")
	sparse := NewHLL()
	relerr := 1.04 / math.Sqrt(HLLRegisters)
	seed := rng.Uint64()
	var ele [8]byte
	checkpoint := uint64(1)
	for j := uint64(1); j <= 10_000_000; j++ {
		binary.LittleEndian.PutUint64(ele[:], j^seed)
		index, count := hllPatLen(ele[:])
		denseSetMax(regs, index, count)
		HLLSetRegister(sparse, index, count, sparseMax)
		if j != checkpoint {
			continue
		}
		if int64(j) < sparseMax/2 && sparse.B[4] != hllEncSparse {
			return "TESTFAILED sparse encoding not used"
		}
		dc, _ := HLLCount(dense)
		if sc, _ := HLLCount(sparse.B); dc != sc {
			return "TESTFAILED dense/sparse disagree"
		}
		abserr := int64(checkpoint) - int64(dc)
		maxerr := uint64(math.Ceil(relerr * 6 * float64(checkpoint)))
		if j == 10 {
			maxerr = 1
		}
		if abserr < 0 {
			abserr = -abserr
		}
		if abserr > int64(maxerr) {
			return fmt.Sprintf("TESTFAILED Too big error. card:%d abserr:%d", checkpoint, abserr)
		}
		checkpoint *= 10
	}
	return ""
}
