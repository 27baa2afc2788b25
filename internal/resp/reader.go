// Package resp reads client requests (RESP multibulk and inline commands)
// and writes replies in RESP2 or RESP3.
//
// The Reader keeps one growing buffer per connection. Parsed arguments are
// sub-slices of that buffer: no copy per argument, and they stay valid until
// the next call to Fill. Partial-parse state survives across reads as
// offsets, so a huge pipelined command arriving in many small reads is parsed
// once. The parser follows Redis's processMultibulkBuffer and
// processInlineBuffer byte for byte where a client could tell the
// difference: the same error texts, the same order of checks, a count line
// ending at the first '\r' (a NUL before it means "not yet", as strchr), the
// two bytes after a bulk skipped unchecked. Limits (proto-max-bulk-len,
// client-query-buffer-limit, 64 KiB inline) are checked before the buffer
// grows, so memory stays bounded by the limits whatever a client sends.
package resp

import (
	"bytes"
	"errors"
	"io"
)

// InlineMax is the longest inline request (and the longest '*' or '$' count
// line) accepted, as PROTO_INLINE_MAX_SIZE in Redis.
const InlineMax = 64 * 1024

const (
	initialBufSize = 16 * 1024
	// minFree is the least free space a read is offered; below it the
	// buffer is compacted, then grown.
	minFree = 4 * 1024
	// shrinkAbove: an idle buffer larger than this (left by one big
	// request) is dropped back to the initial size, as clientsCron shrinks
	// Redis's query buffers.
	shrinkAbove = 64 * 1024
	// bigArg is the size from which a bulk argument is read on its own,
	// into a buffer sized exactly for it (PROTO_MBULK_BIG_ARG in Redis).
	bigArg = 32 * 1024
	// unauthMultibulk and unauthBulk bound what a client may send before it
	// has authenticated, as Redis 7 does.
	unauthMultibulk = 10
	unauthBulk      = 16384
)

// ProtocolError is a malformed request. The connection answers
// "-ERR Protocol error: <Msg>" and is then closed.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "ERR Protocol error: " + e.Msg }

// ErrQueryBufferLimit means the request being received grew beyond
// client-query-buffer-limit; the connection is closed without a reply.
// What counts is the whole request still incomplete, arguments already
// parsed included (Redis 7.0 counts only the unparsed tail, so it lets a
// many-argument request grow past the limit); complete pipelined requests
// never count, however many arrive in one read.
var ErrQueryBufferLimit = errors.New("client reached max query buffer length")

type span struct{ start, end int }

// Reader parses requests from one connection.
type Reader struct {
	buf  []byte
	r, w int // buf[r:w] is unparsed input

	// partial multibulk state, as offsets into buf
	inMultibulk bool
	cmdStart    int    // offset of the '*' of the multibulk being read
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

// Fill reads more input from src with one Read call. It invalidates the
// arguments returned by Next.
func (p *Reader) Fill(src io.Reader) (int, error) {
	clear(p.argArena)
	p.argArena = p.argArena[:0]
	if p.r == p.w && !p.inMultibulk {
		p.r, p.w = 0, 0
		if len(p.buf) > shrinkAbove {
			p.buf = make([]byte, initialBufSize)
		}
	}
	known := 0 // bytes still missing from the bulk being read
	if p.inMultibulk && p.bulkLen >= 0 {
		known = p.bulkLen + 2 - (p.w - p.r)
	}
	p.makeRoom(known)
	end := len(p.buf)
	if known >= bigArg && p.w+known < end {
		// read a big argument alone, as Redis does, so what follows it
		// does not count against the query buffer limit
		end = p.w + known
	}
	n, err := src.Read(p.buf[p.w:end])
	p.w += n
	return n, err
}

// start is where the request being parsed begins: nothing before it is
// needed any more.
func (p *Reader) start() int {
	if p.inMultibulk {
		return p.cmdStart
	}
	return p.r
}

// makeRoom makes at least minFree bytes free after w: it compacts first,
// then doubles the buffer, never beyond what the bulk being read needs.
func (p *Reader) makeRoom(known int) {
	if len(p.buf)-p.w >= minFree {
		return
	}
	if start := p.start(); start > 0 {
		copy(p.buf, p.buf[start:p.w])
		p.w -= start
		p.r -= start
		p.cmdStart -= start
		for i := range p.pending {
			p.pending[i].start -= start
			p.pending[i].end -= start
		}
	}
	if len(p.buf)-p.w >= minFree {
		return
	}
	size := max(2*len(p.buf), p.w+minFree)
	if known > 0 && size > p.w+max(known, minFree) {
		size = p.w + max(known, minFree)
	}
	nb := make([]byte, size)
	copy(nb, p.buf[:p.w])
	p.buf = nb
}

func (p *Reader) needsAuth() bool { return p.NeedsAuth != nil && p.NeedsAuth() }

// Next parses one complete command from the buffered input. It returns
// (nil, nil) when more input is needed. Commands that parse to no arguments
// (empty inline lines, "*0", "*-1") are skipped, as Redis skips them.
// A *ProtocolError or ErrQueryBufferLimit ends the connection.
func (p *Reader) Next() ([][]byte, error) {
	for {
		if !p.inMultibulk && p.r >= p.w {
			return nil, nil
		}
		var args [][]byte
		var err error
		if p.inMultibulk || p.buf[p.r] == '*' {
			args, err = p.parseMultibulk()
		} else {
			args, err = p.parseInline()
		}
		if err != nil {
			return nil, err
		}
		if args == nil {
			return p.incomplete()
		}
		if len(args) > 0 {
			return args, nil
		}
	}
}

// incomplete is Next's answer when the request in progress needs more
// input: wait for it, unless it is already over client-query-buffer-limit.
func (p *Reader) incomplete() ([][]byte, error) {
	if p.QueryBufferLimit > 0 && int64(p.w-p.start()) > p.QueryBufferLimit {
		return nil, ErrQueryBufferLimit
	}
	return nil, nil
}

// empty is what a request with no arguments parses to; Next skips it.
var empty = [][]byte{}

// indexLineEnd finds c in buf[from:w] as strchr would: a NUL byte before
// it ends the search unsuccessfully.
func (p *Reader) indexLineEnd(from int, c byte) int {
	b := p.buf[from:p.w]
	i := bytes.IndexByte(b, c)
	if i < 0 || bytes.IndexByte(b[:i], 0) >= 0 {
		return -1
	}
	return i
}

func (p *Reader) parseInline() ([][]byte, error) {
	nl := p.indexLineEnd(p.r, '\n')
	if nl < 0 {
		if p.w-p.r > InlineMax {
			return nil, &ProtocolError{"too big inline request"}
		}
		return nil, nil
	}
	line := p.buf[p.r : p.r+nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	words, ok := SplitArgs(line)
	if !ok {
		return nil, &ProtocolError{"unbalanced quotes in request"}
	}
	p.r += nl + 1
	if len(words) == 0 {
		return empty, nil
	}
	base := len(p.argArena)
	p.argArena = append(p.argArena, words...)
	return p.argArena[base:len(p.argArena):len(p.argArena)], nil
}

func (p *Reader) parseMultibulk() ([][]byte, error) {
	if !p.inMultibulk {
		nl := p.indexLineEnd(p.r, '\r')
		if nl < 0 {
			if p.w-p.r > InlineMax {
				return nil, &ProtocolError{"too big mbulk count string"}
			}
			return nil, nil
		}
		if nl > p.w-p.r-2 {
			return nil, nil // the byte after '\r' has not arrived
		}
		n, ok := parseInt(p.buf[p.r+1 : p.r+nl])
		if !ok || n > 1<<31-1 {
			return nil, &ProtocolError{"invalid multibulk length"}
		}
		if n > unauthMultibulk && p.needsAuth() {
			return nil, &ProtocolError{"unauthenticated multibulk length"}
		}
		p.cmdStart = p.r
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
			nl := p.indexLineEnd(p.r, '\r')
			if nl < 0 {
				if p.w-p.r > InlineMax {
					return nil, &ProtocolError{"too big bulk count string"}
				}
				return nil, nil
			}
			if nl > p.w-p.r-2 {
				return nil, nil
			}
			if p.buf[p.r] != '$' {
				return nil, &ProtocolError{"expected '$', got '" + string(p.buf[p.r:p.r+1]) + "'"}
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

// parseInt parses a strict decimal int64 as Redis's string2ll: optional
// '-', no '+', no spaces, no leading zeros, at most 20 bytes.
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
		if v > (1<<64-1)/10 {
			return 0, false
		}
		v *= 10
		if v > 1<<64-1-uint64(c-'0') {
			return 0, false
		}
		v += uint64(c - '0')
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
