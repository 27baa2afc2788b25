// The command stream that follows a sync: RESP arrays, each counted to the
// byte, because the replica's offset (and so its PSYNC after a reconnect and
// its REPLCONF ACKs) advances by exactly what it read.

package link

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// maxBulkLen mirrors proto-max-bulk-len's default (512 MB); a larger bulk in
// the stream is corruption, not data.
const maxBulkLen = 512 << 20

// ReadCommand reads the next command of the stream and returns its argv and
// the number of bytes it took. REPLCONF GETACK, PING and SELECT come through
// like any other command; answering GETACK is the caller's job. An empty
// array ("*0") yields an empty argv whose bytes still count. After an error
// the stream is unusable and n is not meaningful.
//
// The arguments live in the link's arena until ResetArena: a replica
// applies a batch of commands and then resets, so a steady stream reuses
// the same memory instead of allocating every argument (that garbage set
// the pace of the replica's GC cycles, whose mark phases delayed the
// stream by tens of ms). Commands never keep their argv (MULTI copies),
// as with a client's read buffer.
func (l *Link) ReadCommand() (argv [][]byte, n int64, err error) {
	argv, n, err = l.arena.readArray(l.r)
	if err != nil {
		if _, ok := err.(*Error); !ok {
			err = streamIOError(err)
		}
	}
	return argv, n, err
}

// ResetArena makes the memory of every argv read so far reusable.
func (l *Link) ResetArena() { l.arena.reset() }

// arena hands out argument bytes and argv slices from reusable chunks; a
// chunk is never grown in place, so earlier arguments stay valid until
// reset.
type arena struct {
	bytes  [][]byte // chunks of arenaChunk bytes; bytes[cur] is filling
	argvs  [][][]byte
	cur    int
	curV   int
	usedB  int
	usedV  int
	active bool // false: plain allocation (readArray without a Link)
}

const (
	arenaChunk = 64 << 10
	argvChunk  = 1024
)

func (a *arena) reset() {
	a.cur, a.curV, a.usedB, a.usedV = 0, 0, 0, 0
	// a batch with a huge argument may have left many chunks: keep a few
	if len(a.bytes) > 16 {
		clear(a.bytes[16:])
		a.bytes = a.bytes[:16]
	}
	if len(a.argvs) > 16 {
		clear(a.argvs[16:])
		a.argvs = a.argvs[:16]
	}
}

// alloc returns n bytes valid until reset.
func (a *arena) alloc(n int) []byte {
	if !a.active || n > arenaChunk/4 {
		return make([]byte, n)
	}
	if len(a.bytes) == 0 || a.usedB+n > arenaChunk {
		if len(a.bytes) > 0 {
			a.cur++
		}
		if a.cur == len(a.bytes) {
			a.bytes = append(a.bytes, make([]byte, arenaChunk))
		}
		a.usedB = 0
	}
	b := a.bytes[a.cur][a.usedB : a.usedB+n : a.usedB+n]
	a.usedB += n
	return b
}

// argv returns an empty argv with room for n arguments.
func (a *arena) argv(n int) [][]byte {
	if !a.active || n > argvChunk/4 {
		return make([][]byte, 0, n)
	}
	if len(a.argvs) == 0 || a.usedV+n > argvChunk {
		if len(a.argvs) > 0 {
			a.curV++
		}
		if a.curV == len(a.argvs) {
			a.argvs = append(a.argvs, make([][]byte, argvChunk))
		}
		a.usedV = 0
	}
	v := a.argvs[a.curV][a.usedV : a.usedV : a.usedV+n]
	a.usedV += n
	return v
}

func readArray(r *bufio.Reader) ([][]byte, int64, error) {
	var a arena
	return a.readArray(r)
}

func (a *arena) readArray(r *bufio.Reader) ([][]byte, int64, error) {
	line, err := readHeaderLine(r)
	if err != nil {
		return nil, 0, err
	}
	n := int64(len(line))
	count, err := header(line, '*')
	if err != nil {
		return nil, n, err
	}
	argv := a.argv(min(count, 64)) // a corrupt count must not allocate
	for range count {
		line, err := readHeaderLine(r)
		if err != nil {
			return nil, n, err
		}
		n += int64(len(line))
		size, err := header(line, '$')
		if err != nil {
			return nil, n, err
		}
		if size > maxBulkLen {
			return nil, n, protoError("invalid bulk length")
		}
		arg := a.alloc(int(size) + 2)
		if _, err := io.ReadFull(r, arg); err != nil {
			return nil, n, err
		}
		n += int64(len(arg))
		if arg[size] != '\r' || arg[size+1] != '\n' {
			return nil, n, protoError("bulk not terminated by CRLF")
		}
		argv = append(argv, arg[:size])
	}
	return argv, n, nil
}

// readHeaderLine reads a "*<n>" or "$<n>" line; one that does not fit the
// buffer cannot be a length and is a protocol error, not an I/O one.
func readHeaderLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, protoError("too big header line")
	}
	return line, err
}

// header parses "<prefix><int>\r\n".
func header(line []byte, prefix byte) (int, error) {
	if len(line) < 4 || line[0] != prefix || line[len(line)-2] != '\r' {
		return 0, protoError(fmt.Sprintf("expected '%c', got %q", prefix, line))
	}
	digits := line[1 : len(line)-2]
	// like Redis's string2ll: digits only, no sign, no leading zero
	if len(digits) > 10 || (len(digits) > 1 && digits[0] == '0') {
		return 0, protoError(fmt.Sprintf("invalid length %q", line))
	}
	v := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, protoError(fmt.Sprintf("invalid length %q", line))
		}
		v = v*10 + int(c-'0')
	}
	return v, nil
}

func protoError(msg string) *Error {
	return newError(ErrProtocol, "Protocol error from MASTER: "+msg)
}

// streamIOError carries what Redis logs when the master's connection fails:
// the read error (unless the master simply closed it), then the loss.
func streamIOError(err error) *Error {
	e := &Error{Kind: ErrIO, Err: err}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		e.Logs = append(e.Logs, "Reading from client: "+sockErrText(err))
	}
	e.Logs = append(e.Logs, "Connection with master lost.")
	return e
}

// Buffered is how many stream bytes were read from the socket and not yet
// returned: while it is not zero the next ReadCommand likely returns at
// once, so a caller can take a batch of commands under one lock.
func (l *Link) Buffered() int { return l.r.Buffered() }
