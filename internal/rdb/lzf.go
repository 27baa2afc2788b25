package rdb

import (
	"fmt"
	"slices"
	"sync"
)

// LZF parameters as Redis builds liblzf (lzfP.h defaults): HLOG 16,
// VERY_FAST on, ULTRA_FAST off. The compressed format does not depend on
// them, but the exact bytes the compressor picks do, and DUMP payloads are
// only byte-identical to Redis's if we choose the same matches.
const (
	lzfHLog   = 16
	lzfHSize  = 1 << lzfHLog
	lzfMaxLit = 1 << 5
	lzfMaxOff = 1 << 13
	lzfMaxRef = (1 << 8) + (1 << 3)
	// lzfMaxRatio bounds how much one input byte can expand to: a 3-byte
	// long back reference yields at most 264 bytes.
	lzfMaxRatio = 88
)

// lzfIdx is liblzf's VERY_FAST hash slot of the 3 bytes accumulated in h.
// Only the low 24 bits of h (the 3 bytes) affect the result.
func lzfIdx(h uint32) uint32 {
	return ((h >> (3*8 - lzfHLog)) - h*5) & (lzfHSize - 1)
}

// lzfTables recycles the 256 KiB hash tables. A table goes back to the pool
// all zero: liblzf's table starts with no usable entries (Redis's stale
// stack contents aside, see lzfCompress) and zeroing 256 KiB per call would
// dominate the cost of compressing short strings.
var lzfTables = sync.Pool{New: func() any { return new([lzfHSize]uint32) }}

// LZFCompress appends the LZF compressed form of src to dst and returns the
// extended slice. The output is the one Redis's lzf_compress produces for
// the same input. An empty src appends nothing. Incompressible input grows
// by about 1/32.
func LZFCompress(dst, src []byte) []byte {
	if len(src) == 0 {
		return dst
	}
	limit := len(src) + len(src)/32 + 16
	out, ok := LZFCompressLimit(dst, src, limit)
	if !ok {
		// cannot happen: limit exceeds the worst case output size
		panic("rdb: LZF output exceeded its worst-case bound")
	}
	return out
}

// LZFCompressLimit is lzf_compress with an output budget: it appends the
// compressed form of src to dst if liblzf would fit it into maxOut bytes,
// and otherwise returns dst unchanged and false. The budget check mirrors
// liblzf's own (slightly conservative) checks, so it fails exactly when
// Redis's lzf_compress returns 0, which decides whether Redis stores a
// string compressed. An empty src fails, as in liblzf.
func LZFCompressLimit(dst, src []byte, maxOut int) ([]byte, bool) {
	if len(src) == 0 || maxOut <= 0 {
		return dst, false
	}
	base := len(dst)
	dst = grow(dst, maxOut)
	n := lzfCompress(dst[base:base+maxOut], src)
	if n == 0 {
		return dst[:base], false
	}
	return dst[:base+n], true
}

// grow extends b by n bytes, reallocating with append's amortized growth:
// values are encoded by many appends to one buffer, and exact-size
// reallocation would copy it once per compressed string.
func grow(b []byte, n int) []byte {
	return slices.Grow(b, n)[:len(b)+n]
}

// lzfCompress follows liblzf 3.6's lzf_compress step by step (same hash,
// same match search, same budget checks) and returns the number of bytes
// written to out, or 0 when they do not fit in len(out).
//
// One known divergence: Redis builds liblzf with INIT_HTAB 0, so its table
// starts with whatever the stack held, and a stale entry that happens to
// point at matching bytes can yield a different (equally valid) encoding.
// That depends on earlier calls and is not reproducible; we start clean.
func lzfCompress(out, in []byte) int {
	inEnd := len(in)
	outEnd := len(out)
	htab := lzfTables.Get().(*[lzfHSize]uint32)
	defer releaseTable(htab, in)

	ip, op, lit := 0, 1, 0 // op 0 is the header of the first literal run
	var hval uint32
	if inEnd >= 2 {
		hval = uint32(in[0])<<8 | uint32(in[1])
	}
	for ip+2 < inEnd {
		hval = hval<<8 | uint32(in[ip+2])
		slot := &htab[lzfIdx(hval)]
		ref := int(*slot) // 0 is both "empty" and position 0, never a match
		*slot = uint32(ip)

		if ref > 0 && ref < ip && ip-ref-1 < lzfMaxOff &&
			in[ref+2] == in[ip+2] && in[ref] == in[ip] && in[ref+1] == in[ip+1] {
			off := ip - ref - 1
			maxlen := inEnd - ip - 2
			if maxlen > lzfMaxRef {
				maxlen = lzfMaxRef
			}
			noLit := 0
			if lit == 0 {
				noLit = 1
			}
			if op-noLit+3+1 >= outEnd {
				return 0
			}
			out[op-lit-1] = byte(lit - 1) // close the literal run
			op -= noLit                   // or drop its header if empty

			length := lzfMatchLen(in, ref, ip, maxlen) - 2 // encoded as octets-2
			ip++
			if length < 7 {
				out[op] = byte(off>>8 + length<<5)
				op++
			} else {
				out[op] = byte(off>>8 + 7<<5)
				out[op+1] = byte(length - 7)
				op += 2
			}
			out[op] = byte(off)
			op++
			lit = 0
			op++ // header of the next literal run

			ip += length + 1
			if ip >= inEnd-2 {
				break
			}
			// VERY_FAST: hash only the last two positions of the match
			ip -= 2
			hval = uint32(in[ip])<<8 | uint32(in[ip+1])
			hval = hval<<8 | uint32(in[ip+2])
			htab[lzfIdx(hval)] = uint32(ip)
			ip++
			hval = hval<<8 | uint32(in[ip+2])
			htab[lzfIdx(hval)] = uint32(ip)
			ip++
		} else {
			if op >= outEnd {
				return 0
			}
			lit++
			out[op] = in[ip]
			op++
			ip++
			if lit == lzfMaxLit {
				out[op-lit-1] = byte(lit - 1)
				lit = 0
				op++
			}
		}
	}

	if op+3 > outEnd { // at most 3 more bytes follow
		return 0
	}
	for ip < inEnd {
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	out[op-lit-1] = byte(lit - 1)
	if lit == 0 {
		op--
	}
	return op
}

// lzfMatchLen returns how far liblzf's match loop gets comparing in[ref:]
// with in[ip:], the first 3 bytes being known equal. Like liblzf, when more
// than 16 bytes are allowed it first compares 16 bytes without checking
// maxlen, which can make the result exceed maxlen (never the input).
func lzfMatchLen(in []byte, ref, ip, maxlen int) int {
	n := 2
	if maxlen > 16 {
		for range 16 {
			n++
			if in[ref+n] != in[ip+n] {
				return n
			}
		}
	}
	for {
		n++
		if n >= maxlen || in[ref+n] != in[ip+n] {
			return n
		}
	}
}

// releaseTable zeroes the slots compressing in may have written and returns
// the table to the pool. Every write goes to the slot of some 3-byte window
// of the input, so rehashing the windows finds them all.
func releaseTable(htab *[lzfHSize]uint32, in []byte) {
	if len(in) > lzfHSize/4 {
		clear(htab[:])
	} else {
		for p := 0; p+2 < len(in); p++ {
			h := uint32(in[p])<<16 | uint32(in[p+1])<<8 | uint32(in[p+2])
			htab[lzfIdx(h)] = 0
		}
	}
	lzfTables.Put(htab)
}

// LZFDecompress expands LZF data that must decode to exactly outLen bytes.
// Corrupt input (truncated runs, back references before the start, output
// longer or shorter than outLen) yields an error, never a panic.
func LZFDecompress(src []byte, outLen int) ([]byte, error) {
	if outLen < 0 {
		return nil, fmt.Errorf("lzf: negative output length %d", outLen)
	}
	if outLen/lzfMaxRatio > len(src) {
		// cannot expand that far; refuse before allocating outLen bytes
		return nil, fmt.Errorf("lzf: %d bytes cannot expand to %d", len(src), outLen)
	}
	out := make([]byte, outLen)
	ip, op := 0, 0
	for ip < len(src) {
		ctrl := int(src[ip])
		ip++
		if ctrl < 1<<5 { // literal run of ctrl+1 bytes
			ctrl++
			if op+ctrl > outLen {
				return nil, fmt.Errorf("lzf: output exceeds %d bytes at input offset %d", outLen, ip-1)
			}
			if ip+ctrl > len(src) {
				return nil, fmt.Errorf("lzf: literal run truncated at input offset %d", ip-1)
			}
			copy(out[op:], src[ip:ip+ctrl])
			op += ctrl
			ip += ctrl
			continue
		}
		// back reference
		length := ctrl >> 5
		ref := op - (ctrl&0x1f)<<8 - 1
		if ip >= len(src) {
			return nil, fmt.Errorf("lzf: back reference truncated at input offset %d", ip-1)
		}
		if length == 7 {
			length += int(src[ip])
			ip++
			if ip >= len(src) {
				return nil, fmt.Errorf("lzf: back reference truncated at input offset %d", ip-2)
			}
		}
		ref -= int(src[ip])
		ip++
		length += 2
		if op+length > outLen {
			return nil, fmt.Errorf("lzf: output exceeds %d bytes at input offset %d", outLen, ip)
		}
		if ref < 0 {
			return nil, fmt.Errorf("lzf: back reference before start of output at input offset %d", ip)
		}
		if ref+length <= op {
			copy(out[op:op+length], out[ref:])
		} else {
			// overlapping: a run, copied byte by byte on purpose
			for i := range length {
				out[op+i] = out[ref+i]
			}
		}
		op += length
	}
	if op != outLen {
		return nil, fmt.Errorf("lzf: decompressed %d bytes, expected %d", op, outLen)
	}
	return out, nil
}
