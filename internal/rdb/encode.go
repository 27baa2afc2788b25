package rdb

import (
	"encoding/binary"
	"strconv"

	"github.com/redoubt/redoubt/internal/resp"
)

// AppendLen appends n in RDB length encoding (rdbSaveLen): 6-bit, 14-bit,
// 32-bit or 64-bit big-endian forms, the shortest that fits.
func AppendLen(dst []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(dst, byte(n)|len6Bit<<6)
	case n < 1<<14:
		return append(dst, byte(n>>8)|len14Bit<<6, byte(n))
	case n <= 1<<32-1:
		dst = append(dst, len32Bit)
		return binary.BigEndian.AppendUint32(dst, uint32(n))
	default:
		dst = append(dst, len64Bit)
		return binary.BigEndian.AppendUint64(dst, n)
	}
}

// AppendInt appends v in the integer string encodings (rdbEncodeInteger) if
// it fits in 32 bits, and reports whether it did.
func AppendInt(dst []byte, v int64) ([]byte, bool) {
	switch {
	case v >= -1<<7 && v <= 1<<7-1:
		return append(dst, lenEnc<<6|EncInt8, byte(v)), true
	case v >= -1<<15 && v <= 1<<15-1:
		return append(dst, lenEnc<<6|EncInt16, byte(v), byte(v>>8)), true
	case v >= -1<<31 && v <= 1<<31-1:
		return append(dst, lenEnc<<6|EncInt32, byte(v), byte(v>>8), byte(v>>16), byte(v>>24)), true
	}
	return dst, false
}

// AppendInt64String appends v as a string value the way
// rdbSaveLongLongAsStringObject does: integer-encoded when it fits 32 bits,
// otherwise its decimal text raw. The bytes equal AppendString of the text.
func AppendInt64String(dst []byte, v int64) []byte {
	if out, ok := AppendInt(dst, v); ok {
		return out
	}
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], v, 10)
	dst = AppendLen(dst, uint64(len(s)))
	return append(dst, s...)
}

// parseCanonicalInt reports whether s is exactly the decimal text of an
// int64 (no sign '+', no leading zeros, no "-0", no spaces): the strings
// Redis's string2ll accepts. (resp's parser allocates nothing, which
// matters here: a save tries every short string.)
func parseCanonicalInt(s []byte) (int64, bool) { return resp.ParseInt(s) }

// AppendString appends s in RDB string encoding, choosing the form Redis's
// rdbSaveRawString chooses: strings of up to 11 bytes that are the canonical
// text of an integer fitting 32 bits are integer-encoded; otherwise, when
// compress is set (Redis's rdbcompression) and s is longer than 20 bytes,
// LZF if liblzf fits it into len(s)-4 bytes; otherwise length + raw bytes.
func AppendString(dst []byte, s []byte, compress bool) []byte {
	if len(s) <= 11 {
		if v, ok := parseCanonicalInt(s); ok {
			if out, ok := AppendInt(dst, v); ok {
				return out
			}
		}
	}
	if compress && len(s) > 20 {
		if out, ok := appendLZFString(dst, s); ok {
			return out
		}
	}
	dst = AppendLen(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendLZFString is rdbSaveLzfStringObject: compress s into at most
// len(s)-4 bytes (worth it only if it saves 4 bytes) and write
// [LZF marker][compressed len][original len][data].
func appendLZFString(dst []byte, s []byte) ([]byte, bool) {
	if len(s) <= 4 {
		return dst, false
	}
	// compress into scratch space past the header we have yet to write;
	// the header's size depends on the compressed length
	base := len(dst)
	const maxHeader = 1 + 9 + 9
	tmp := grow(dst, maxHeader)
	tmp, ok := LZFCompressLimit(tmp, s, len(s)-4)
	if !ok {
		return dst[:base], false
	}
	comp := tmp[base+maxHeader:]
	var hdr [maxHeader]byte
	h := append(hdr[:0], lenEnc<<6|EncLZF)
	h = AppendLen(h, uint64(len(comp)))
	h = AppendLen(h, uint64(len(s)))
	// slide the compressed bytes down to sit right after the real header
	n := copy(tmp[base+len(h):], comp)
	copy(tmp[base:], h)
	return tmp[:base+len(h)+n], true
}
