package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
)

// HeaderLen is the size of the "REDIS0010" magic that starts an RDB file.
const HeaderLen = 9

// AppendHeader appends the RDB file magic for Version ("REDIS0010").
func AppendHeader(dst []byte) []byte {
	return append(dst, "REDIS00"+strconv.Itoa(Version)...)
}

// ReadHeader reads the 9-byte magic and returns the RDB version, accepting
// what Redis 7.0's loader accepts: "REDIS" and then a version (read with C's
// atoi) from 1 to Version.
func (r *Reader) ReadHeader() (int, error) {
	start := r.pos
	p, err := r.ReadN(HeaderLen)
	if err != nil {
		return 0, err
	}
	if string(p[:5]) != "REDIS" {
		return 0, r.Errorf(start, "wrong signature %q", p[:5])
	}
	v := atoi(string(p[5:]))
	if v < 1 || v > Version {
		return v, r.Errorf(start+5, "can't handle RDB format version %d", v)
	}
	return v, nil
}

// atoi is C's atoi for short strings: leading white space, an optional
// sign, then as many digits as there are.
func atoi(s string) int {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

// AppendAux appends an AUX field (rdbSaveAuxField): opcode, key, value, with
// both strings encoded by AppendString.
func AppendAux(dst []byte, key, val string, compress bool) []byte {
	dst = append(dst, OpAux)
	dst = AppendString(dst, []byte(key), compress)
	return AppendString(dst, []byte(val), compress)
}

// AppendMillisecondTime appends a unix time in ms as 8 bytes little-endian
// (rdbSaveMillisecondTime), as used after OpExpireTimeMS.
func AppendMillisecondTime(dst []byte, ms int64) []byte {
	return binary.LittleEndian.AppendUint64(dst, uint64(ms))
}

// ReadMillisecondTime reads what AppendMillisecondTime writes. (RDB files
// before version 9 wrote host byte order; on little-endian hosts, which is
// all Redis ever wrote them on in practice, that is the same.)
func (r *Reader) ReadMillisecondTime() (int64, error) {
	p, err := r.ReadN(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(p)), nil
}

// ReadTime32 reads the old OpExpireTime seconds value (int32).
func (r *Reader) ReadTime32() (int64, error) {
	p, err := r.ReadN(4)
	if err != nil {
		return 0, err
	}
	return int64(int32(binary.LittleEndian.Uint32(p))), nil
}

// AppendBinaryDouble appends v as IEEE 754 binary64 little-endian
// (rdbSaveBinaryDoubleValue).
func AppendBinaryDouble(dst []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
}

// ReadBinaryDouble reads what AppendBinaryDouble writes.
func (r *Reader) ReadBinaryDouble() (float64, error) {
	p, err := r.ReadN(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(p)), nil
}

// AppendBinaryFloat appends v as IEEE 754 binary32 little-endian.
func AppendBinaryFloat(dst []byte, v float32) []byte {
	return binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
}

// ReadBinaryFloat reads what AppendBinaryFloat writes.
func (r *Reader) ReadBinaryFloat() (float32, error) {
	p, err := r.ReadN(4)
	if err != nil {
		return 0, err
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(p)), nil
}

// Special length bytes of the old text double format.
const (
	doubleNaN    = 253
	doublePosInf = 254
	doubleNegInf = 255
)

// AppendDoubleString appends v in the old text double format
// (rdbSaveDoubleValue, used by RDB_TYPE_ZSET): one length byte, or 253/254/
// 255 for NaN/+inf/-inf, then the decimal text (integers exactly, others as
// %.17g).
func AppendDoubleString(dst []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, doubleNaN)
	case math.IsInf(v, 1):
		return append(dst, doublePosInf)
	case math.IsInf(v, -1):
		return append(dst, doubleNegInf)
	}
	var buf [32]byte
	var s []byte
	// Redis prints integral values in the long long range as integers
	// (double2ll), which also turns -0.0 into "0"
	if v == math.Trunc(v) && v >= -(1<<62) && v <= 1<<62 {
		s = strconv.AppendInt(buf[:0], int64(v), 10)
	} else {
		s = strconv.AppendFloat(buf[:0], v, 'g', 17, 64)
	}
	dst = append(dst, byte(len(s)))
	return append(dst, s...)
}

// ReadDoubleString reads the old text double format.
func (r *Reader) ReadDoubleString() (float64, error) {
	start := r.pos
	n, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	switch n {
	case doubleNaN:
		return math.NaN(), nil
	case doublePosInf:
		return math.Inf(1), nil
	case doubleNegInf:
		return math.Inf(-1), nil
	}
	p, err := r.ReadN(int(n))
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(p)), 64)
	if err != nil && !isRangeErr(err) {
		return 0, r.Errorf(start, "invalid double %q", p)
	}
	return v, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// AppendFileEnd finishes an RDB file held whole in b: it appends OpEOF and
// the 8-byte little-endian CRC64 of everything before the checksum, or zero
// when checksum is false (rdbchecksum no), which loaders take as "not
// checked".
func AppendFileEnd(b []byte, checksum bool) []byte {
	b = append(b, OpEOF)
	var crc uint64
	if checksum {
		crc = CRC64(0, b)
	}
	return binary.LittleEndian.AppendUint64(b, crc)
}

// ReadChecksum reads the 8-byte checksum that follows OpEOF (RDB version 5
// and later) and, if verify is set, checks it as Redis's loader does: a
// stored zero is accepted unchecked, anything else must equal the CRC64 of
// all bytes before it. The Reader must span the file from its first byte.
func (r *Reader) ReadChecksum(verify bool) (stored uint64, err error) {
	start := r.pos
	p, err := r.ReadN(8)
	if err != nil {
		return 0, err
	}
	stored = binary.LittleEndian.Uint64(p)
	if verify && stored != 0 {
		if want := CRC64(0, r.b[:start]); stored != want {
			return stored, r.Errorf(start, "wrong RDB checksum %016x, computed %016x", stored, want)
		}
	}
	return stored, nil
}
