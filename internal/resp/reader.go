// Package resp reads client requests (RESP multibulk and inline commands)
// and writes replies in RESP2 or RESP3.
//
// The Reader keeps one growing buffer per connection. Parsed arguments are
// sub-slices of that buffer: no copy per argument, and they stay valid until
// the next call to Fill. Partial-parse state survives across reads as
// offsets, so a huge pipelined command arriving in many small reads is parsed
// once. Limits (proto-max-bulk-len, client-query-buffer-limit, 64 KiB inline)
// are checked before the buffer grows, as Redis does.
package resp

import (
	"errors"
	"io"
)

// InlineMax is the longest inline request (and the longest '*' or '$' count
// line) accepted, as PROTO_INLINE_MAX_SIZE in Redis.
const InlineMax = 64 * 1024

const (
	initialBufSize = 16 * 1024
	// bigArg is the size from which a bulk argument gets a buffer sized
	// exactly for it, instead of doubling (PROTO_MBULK_BIG_ARG in Redis).
	bigArg = 32 * 1024
	// unauthMultibulk and unauthBulk bound what a client may send before it
	// has authenticated, as Redis 7 does.
	unauthMultibulk = 10
	unauthBulk      = 16384
)

// ProtocolError is a malformed request. The connection answers
// "-ERR Protocol error: <Msg>" and is then closed.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

// ErrQueryBufferLimit means the client's unparsed input grew beyond
// client-query-buffer-limit; the connection is closed without a reply.
var ErrQueryBufferLimit = errors.New("client reached max query buffer length")

type span struct{ start, end int }

// Reader parses requests from one connection.
type Reader struct {
	buf  []byte
	r, w int // buf[r:w] is unparsed input

	// partial multibulk state, as offsets relative to buf
	inMultibulk bool
	remaining   int    // bulks still to read in the current multibulk
	bulkLen     int    // length of the bulk being read, -1 before its '$' line
	pending     []span // arguments already parsed for the current command

	argArena [][]byte // backing storage for the arguments returned in one batch

	// MaxBulkLen is proto-max-bulk-len; QueryBufferLimit is
	// client-query-buffer-limit. Zero means no limit.
	MaxBulkLen       int64
	QueryBufferLimit int64
	// NeedsAuth reports whether the client has not yet authenticated, which
	// tightens the multibulk and bulk limits.
	NeedsAuth func() bool
}

// NewReader returns a Reader with Redis's default limits.
func NewReader() *Reader {
	return &Reader{
		buf:              make([]byte, initialBufSize),
		bulkLen:          -1,
		MaxBulkLen:       512 * 1024 * 1024,
		QueryBufferLimit: 1024 * 1024 * 1024,
	}
}

// Buffered is the number of unparsed bytes held.
func (p *Reader) Buffered() int { return p.w - p.r }

// BufferCap is the size of the query buffer (for CLIENT LIST qbuf).
func (p *Reader) BufferCap() int { return len(p.buf) }

// Fill reads more input from src. It invalidates arguments returned by Next.
func (p *Reader) Fill(src io.Reader) (int, error) {
	p.argArena = p.argArena[:0]
	if p.r == p.w && !p.inMultibulk {
		p.r, p.w = 0, 0
	}
	need := 1
	if p.inMultibulk && p.bulkLen >= 0 {
		// room for the whole bulk plus its CRLF, from the command start
		need = p.bulkLen + 2 - (p.w - p.r)
	}
	if err := p.makeRoom(need); err != nil {
		return 0, err
	}
	n, err := src.Read(p.buf[p.w:])
	p.w += n
	return n, err
}

// makeRoom ensures at least need free bytes after w, compacting or growing.
func (p *Reader) makeRoom(need int) error {
	if need < 1 {
		need = 1
	}
	if len(p.buf)-p.w >= need && len(p.buf)-p.w >= 512 {
		return nil
	}
	// compact: everything before the start of the current command is done
	start := p.r
	if p.inMultibulk && len(p.pending) > 0 {
		start = p.pending[0].start
	}
	if start > 0 {
		copy(p.buf, p.buf[start:p.w])
		p.w -= start
		p.r -= start
		for i := range p.pending {
			p.pending[i].start -= start
			p.pending[i].end -= start
		}
	}
	if len(p.buf)-p.w >= need && len(p.buf)-p.w >= 512 {
		return nil
	}
	if p.QueryBufferLimit > 0 && int64(p.w) >= p.QueryBufferLimit {
		return ErrQueryBufferLimit
	}
	size := len(p.buf) * 2
	if need >= bigArg || p.w+need > size {
		size = p.w + need
		if size < len(p.buf)*2 && need < bigArg {
			size = len(p.buf) * 2
		}
	}
	nb := make([]byte, size)
	copy(nb, p.buf[:p.w])
	p.buf = nb
	return nil
}

func (p *Reader) needsAuth() bool { return p.NeedsAuth != nil && p.NeedsAuth() }

// Next parses one complete command from the buffered input. It returns
// (nil, nil) when more input is needed. Commands that parse to no arguments
// (empty inline lines, "*0") are skipped.
func (p *Reader) Next() ([][]byte, error) {
	for {
		if p.r >= p.w && !p.inMultibulk {
			return nil, nil
		}
		var args [][]byte
		var err error
		if p.inMultibulk || p.buf[p.r] == '*' {
			args, err = p.parseMultibulk()
		} else {
			args, err = p.parseInline()
		}
		if err != nil || args == nil {
			return nil, err
		}
		if len(args) > 0 {
			return args, nil
		}
	}
}

// empty is what a request with no arguments parses to; Next skips it.
var empty = [][]byte{}

func (p *Reader) parseInline() ([][]byte, error) {
	nl := indexByte(p.buf[p.r:p.w], '\n')
	if nl < 0 {
		if p.w-p.r > InlineMax {
			return nil, &ProtocolError{"too big inline request"}
		}
		return nil, nil
	}
	line := p.buf[p.r : p.r+nl]
	p.r += nl + 1
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	words, ok := SplitArgs(line)
	if !ok {
		return nil, &ProtocolError{"unbalanced quotes in request"}
	}
	if len(words) == 0 {
		return empty, nil
	}
	base := len(p.argArena)
	p.argArena = append(p.argArena, words...)
	return p.argArena[base:len(p.argArena):len(p.argArena)], nil
}

func (p *Reader) parseMultibulk() ([][]byte, error) {
	if !p.inMultibulk {
		nl := indexCRLF(p.buf[p.r:p.w])
		if nl < 0 {
			if p.w-p.r > InlineMax {
				return nil, &ProtocolError{"too big mbulk count string"}
			}
			return nil, nil
		}
		n, ok := parseInt(p.buf[p.r+1 : p.r+nl])
		if !ok || n > 1<<31-1 {
			return nil, &ProtocolError{"invalid multibulk length"}
		}
		if n > unauthMultibulk && p.needsAuth() {
			return nil, &ProtocolError{"unauthenticated multibulk length"}
		}
		p.r += nl + 2
		if n <= 0 {
			return empty, nil
		}
		p.inMultibulk = true
		p.remaining = int(n)
		p.bulkLen = -1
		p.pending = p.pending[:0]
	}
	for p.remaining > 0 {
		if p.bulkLen < 0 {
			if p.r >= p.w {
				return nil, nil
			}
			nl := indexCRLF(p.buf[p.r:p.w])
			if nl < 0 {
				if p.w-p.r > InlineMax {
					return nil, &ProtocolError{"too big bulk count string"}
				}
				return nil, nil
			}
			if p.buf[p.r] != '$' {
				return nil, &ProtocolError{"expected '$', got '" + string(p.buf[p.r]) + "'"}
			}
			n, ok := parseInt(p.buf[p.r+1 : p.r+nl])
			if !ok || n < 0 || (p.MaxBulkLen > 0 && n > p.MaxBulkLen) {
				return nil, &ProtocolError{"invalid bulk length"}
			}
			if n > unauthBulk && p.needsAuth() {
				return nil, &ProtocolError{"unauthenticated bulk length"}
			}
			p.r += nl + 2
			p.bulkLen = int(n)
		}
		if p.w-p.r < p.bulkLen+2 {
			return nil, nil
		}
		p.pending = append(p.pending, span{p.r, p.r + p.bulkLen})
		p.r += p.bulkLen + 2
		p.bulkLen = -1
		p.remaining--
	}
	p.inMultibulk = false
	base := len(p.argArena)
	for _, s := range p.pending {
		p.argArena = append(p.argArena, p.buf[s.start:s.end:s.end])
	}
	p.pending = p.pending[:0]
	return p.argArena[base:len(p.argArena):len(p.argArena)], nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// indexCRLF finds the '\r' of the first "\r\n" in b.
func indexCRLF(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return -1
}

// parseInt parses a strict decimal int64 as Redis's string2ll: optional
// '-', no '+', no spaces, no leading zeros.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		nv := v*10 + uint64(c-'0')
		if nv/10 != v {
			return 0, false
		}
		v = nv
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// ParseInt exposes the strict integer parser for callers parsing arguments.
func ParseInt(b []byte) (int64, bool) { return parseInt(b) }
