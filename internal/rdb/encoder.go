package rdb

import "encoding/binary"

// Encoder builds an RDB file as a stream: records are appended to a buffer
// that the caller drains with Take (to a file, a replica socket) while the
// running CRC64 covers everything taken. One Encoder writes one file.
type Encoder struct {
	buf      []byte
	crc      uint64
	Compress bool // rdbcompression
	Checksum bool // rdbchecksum
	// db is the database the records now go to; -1 before the first
	// SELECTDB
	db int
}

// NewEncoder starts a file: the magic and nothing else yet.
func NewEncoder(compress, checksum bool) *Encoder {
	e := &Encoder{Compress: compress, Checksum: checksum, db: -1}
	e.buf = AppendHeader(e.buf)
	return e
}

// Len is the number of bytes waiting to be taken.
func (e *Encoder) Len() int { return len(e.buf) }

// Take returns the bytes appended since the last Take; they stay valid
// until the next call on e.
func (e *Encoder) Take() []byte {
	b := e.buf
	if e.Checksum {
		e.crc = CRC64(e.crc, b)
	}
	e.buf = e.buf[:0]
	return b
}

// Account adds bytes the caller writes itself, after those taken so far,
// to the checksum (a big value encoded apart, written as it is).
func (e *Encoder) Account(b []byte) {
	if e.Checksum {
		e.crc = CRC64(e.crc, b)
	}
}

// Aux appends an AUX field.
func (e *Encoder) Aux(key, val string) { e.buf = AppendAux(e.buf, key, val, e.Compress) }

// Function appends a function library's code.
func (e *Encoder) Function(code string) {
	e.buf = append(e.buf, OpFunction2)
	e.buf = AppendString(e.buf, []byte(code), e.Compress)
}

// SelectDB makes the following keys belong to db; the first selection of
// a database may carry its sizes (RESIZEDB), a loader's hint.
func (e *Encoder) SelectDB(db int, keys, expires uint64, resize bool) {
	if db == e.db {
		return
	}
	e.db = db
	e.buf = append(e.buf, OpSelectDB)
	e.buf = AppendLen(e.buf, uint64(db))
	if resize {
		e.buf = append(e.buf, OpResizeDB)
		e.buf = AppendLen(e.buf, keys)
		e.buf = AppendLen(e.buf, expires)
	}
}

// DB is the database the last SelectDB chose (-1 for none).
func (e *Encoder) DB() int { return e.db }

// KeyMeta is what precedes a key: its expiry (unix ms, -1 for none) and,
// when the eviction policy keeps them, its idle time or LFU counter.
type KeyMeta struct {
	ExpireAt int64
	Idle     int64 // seconds, written when >= 0
	Freq     int   // written when >= 0
}

// KeyHeader appends what precedes a key's value: its meta, the value's
// type and the key. The caller appends the value next (AppendValue).
func (e *Encoder) KeyHeader(key []byte, typ byte, m KeyMeta) {
	b := e.buf
	if m.ExpireAt >= 0 {
		b = append(b, OpExpireTimeMS)
		b = AppendMillisecondTime(b, m.ExpireAt)
	}
	if m.Idle >= 0 {
		b = append(b, OpIdle)
		b = AppendLen(b, uint64(m.Idle))
	}
	if m.Freq >= 0 {
		b = append(b, OpFreq, byte(m.Freq))
	}
	b = append(b, typ)
	e.buf = AppendString(b, key, e.Compress)
}

// Buffer gives direct access for encoding a value in place: append to the
// returned slice and hand it back with SetBuffer.
func (e *Encoder) Buffer() []byte { return e.buf }

// SetBuffer puts back the buffer Buffer gave, grown.
func (e *Encoder) SetBuffer(b []byte) { e.buf = b }

// End appends the EOF opcode and the checksum of the whole file (zero
// with rdbchecksum off); Take then returns the final bytes.
func (e *Encoder) End() {
	e.buf = append(e.buf, OpEOF)
	crc := e.crc
	if e.Checksum {
		crc = CRC64(crc, e.buf)
	} else {
		crc = 0
	}
	e.buf = binary.LittleEndian.AppendUint64(e.buf, crc)
	e.Checksum = false // the checksum bytes are not part of the sum
}
