package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// ErrShort is wrapped by errors for input that ends too early.
var ErrShort = errors.New("short read")

// Error is a decoding failure at a byte offset of the Reader's input.
type Error struct {
	Offset int
	Msg    string
	Err    error // ErrShort, or nil
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("rdb: %v at offset %d", e.Err, e.Offset)
	}
	return fmt.Sprintf("rdb: %s at offset %d", e.Msg, e.Offset)
}

func (e *Error) Unwrap() error { return e.Err }

// Reader decodes RDB primitives from a byte slice, tracking its position.
// Returned strings are copies or slices of the input as documented; a
// failed read may leave the position anywhere after where it started.
type Reader struct {
	b   []byte
	pos int
}

// NewReader returns a Reader positioned at the start of b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Pos returns the offset of the next unread byte.
func (r *Reader) Pos() int { return r.pos }

// Remaining returns how many bytes are left to read.
func (r *Reader) Remaining() int { return len(r.b) - r.pos }

func (r *Reader) short(at int) error {
	return &Error{Offset: at, Err: ErrShort}
}

// Errorf returns an *Error at offset at, for callers layering their own
// decoding on the Reader.
func (r *Reader) Errorf(at int, format string, args ...any) error {
	return &Error{Offset: at, Msg: fmt.Sprintf(format, args...)}
}

func (r *Reader) shortf(at int, format string, args ...any) error {
	return &Error{Offset: at, Msg: fmt.Sprintf(format, args...), Err: ErrShort}
}

// ReadByte reads one byte.
func (r *Reader) ReadByte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.short(r.pos)
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

// ReadN returns the next n bytes as a slice of the input (not a copy).
func (r *Reader) ReadN(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.pos {
		return nil, r.short(r.pos)
	}
	p := r.b[r.pos : r.pos+n]
	r.pos += n
	return p, nil
}

// ReadType reads a value type or opcode byte.
func (r *Reader) ReadType() (byte, error) { return r.ReadByte() }

// ReadLen reads an RDB length (rdbLoadLenByRef). When the top two bits mark
// a special encoding, encoded is true and n is the encoding (EncInt8 ...
// EncLZF) rather than a length.
func (r *Reader) ReadLen() (n uint64, encoded bool, err error) {
	start := r.pos
	c, err := r.ReadByte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case lenEnc:
		return uint64(c & 0x3f), true, nil
	case len6Bit:
		return uint64(c & 0x3f), false, nil
	case len14Bit:
		c2, err := r.ReadByte()
		if err != nil {
			return 0, false, err
		}
		return uint64(c&0x3f)<<8 | uint64(c2), false, nil
	}
	switch c {
	case len32Bit:
		p, err := r.ReadN(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(p)), false, nil
	case len64Bit:
		p, err := r.ReadN(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(p), false, nil
	}
	return 0, false, r.Errorf(start, "unknown length encoding 0x%02x", c)
}

// ReadPlainLen reads a length where a special encoding is not allowed to
// mean anything else; like Redis's rdbLoadLen(rdb, NULL), an encoded first
// byte yields its low 6 bits as the length.
func (r *Reader) ReadPlainLen() (uint64, error) {
	n, _, err := r.ReadLen()
	return n, err
}

// ReadString reads a string in any RDB string encoding (raw, 8/16/32-bit
// integer, LZF) and returns its bytes. Integer encodings come back as their
// decimal text. Raw strings are returned as a slice of the input; integer
// and LZF strings are freshly allocated.
func (r *Reader) ReadString() ([]byte, error) {
	start := r.pos
	n, encoded, err := r.ReadLen()
	if err != nil {
		return nil, err
	}
	if !encoded {
		if n > uint64(r.Remaining()) {
			return nil, r.shortf(start, "short read: string of %d bytes, %d left", n, r.Remaining())
		}
		return r.ReadN(int(n))
	}
	switch n {
	case EncInt8, EncInt16, EncInt32:
		v, err := r.readIntEnc(n)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, v, 10), nil
	case EncLZF:
		return r.readLZF(start)
	}
	return nil, r.Errorf(start, "unknown string encoding %d", n)
}

// ReadStringInt reads a string like ReadString but, for integer encodings,
// returns the integer itself with isInt true (and a nil string).
func (r *Reader) ReadStringInt() (s []byte, v int64, isInt bool, err error) {
	save := r.pos
	n, encoded, err := r.ReadLen()
	if err != nil {
		return nil, 0, false, err
	}
	if encoded && n <= EncInt32 {
		v, err := r.readIntEnc(n)
		return nil, v, err == nil, err
	}
	r.pos = save
	s, err = r.ReadString()
	return s, 0, false, err
}

func (r *Reader) readIntEnc(enc uint64) (int64, error) {
	size := 1 << enc // 1, 2, 4 bytes, little endian
	p, err := r.ReadN(size)
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return int64(int8(p[0])), nil
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(p))), nil
	default:
		return int64(int32(binary.LittleEndian.Uint32(p))), nil
	}
}

func (r *Reader) readLZF(start int) ([]byte, error) {
	clen, err := r.ReadPlainLen()
	if err != nil {
		return nil, err
	}
	ulen, err := r.ReadPlainLen()
	if err != nil {
		return nil, err
	}
	if clen > uint64(r.Remaining()) {
		return nil, r.shortf(start, "short read: LZF data of %d bytes, %d left", clen, r.Remaining())
	}
	dataAt := r.pos
	comp, _ := r.ReadN(int(clen))
	if ulen == 0 {
		// Redis compares lzf_decompress's result (0 on any error) with the
		// expected length, so a zero-length LZF string loads as "" whatever
		// its data.
		return []byte{}, nil
	}
	if ulen > uint64(len(comp))*lzfMaxRatio {
		return nil, r.Errorf(start, "invalid LZF compressed string: %d bytes cannot expand to %d", clen, ulen)
	}
	out, err := LZFDecompress(comp, int(ulen))
	if err != nil {
		return nil, r.Errorf(dataAt, "invalid LZF compressed string: %v", err)
	}
	return out, nil
}
