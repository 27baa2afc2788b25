// The full-sync payload: after +FULLRESYNC the master sends the RDB either
// with its length up front ("$<len>", disk-based) or delimited by a random
// 40-byte mark sent before and after it ("$EOF:<mark>", diskless), as
// Redis's readSyncBulkPayload expects.

package link

import (
	"bytes"
	"io"
	"strconv"
	"strings"
)

// eofMarkLen is CONFIG_RUN_ID_SIZE, the length of the diskless delimiter.
const eofMarkLen = 40

// PayloadInfo says how the payload was framed.
type PayloadInfo struct {
	Size     int64 // bytes written to the destination (mark excluded)
	Diskless bool  // framed by an EOF mark rather than a length
}

// PayloadProgress is what a ReadPayload destination may implement to
// follow the transfer as Redis's INFO does: the announced size (0 for an
// EOF-delimited payload) and the bytes taken off the socket so far (mark
// included, whatever is held back from dst meanwhile).
type PayloadProgress interface {
	SetPayloadSize(n int64)
	PayloadRead(n int)
}

// ReadPayload copies the RDB payload to dst and returns its size (dst may
// implement PayloadProgress). Newlines
// the master sends as keepalives while it prepares the RDB are skipped.
// After a diskless payload the caller must send REPLCONF ACK before the
// master starts the command stream.
func (l *Link) ReadPayload(dst io.Writer) (PayloadInfo, error) {
	var header string
	for {
		line, err := l.readLine()
		if err != nil {
			return PayloadInfo{}, &Error{Kind: ErrIO, Err: err, Logs: []string{"I/O error reading bulk count from MASTER: " + sockErrText(err)}}
		}
		if line != "" {
			header = line
			break
		}
	}
	switch {
	case header[0] == '-':
		return PayloadInfo{}, newError(ErrMasterAborted, "MASTER aborted replication with an error: "+header[1:])
	case header[0] != '$':
		return PayloadInfo{}, newError(ErrProtocol, "Bad protocol from MASTER, the first byte is not '$' (we received '"+header+"'), are you sure the host and port are right?")
	case strings.HasPrefix(header, "$EOF:") && len(header) >= 5+eofMarkLen:
		progress(dst).SetPayloadSize(0) // Redis's repl_transfer_size then
		n, err := l.copyUntilMark(dst, []byte(header[5:5+eofMarkLen]))
		return PayloadInfo{Size: n, Diskless: true}, err
	}
	size, err := strconv.ParseInt(header[1:], 10, 64)
	if err != nil || size < 0 {
		return PayloadInfo{}, newError(ErrProtocol, "Bad protocol from MASTER, invalid bulk length '"+header+"'")
	}
	p := progress(dst)
	p.SetPayloadSize(size)
	n, err := io.CopyN(countingWriter{dst, p}, l.r, size)
	if err != nil {
		return PayloadInfo{Size: n}, syncIOError(err)
	}
	return PayloadInfo{Size: n}, nil
}

// progress is dst's PayloadProgress, or one that ignores the calls.
func progress(dst io.Writer) PayloadProgress {
	if p, ok := dst.(PayloadProgress); ok {
		return p
	}
	return noProgress{}
}

type noProgress struct{}

func (noProgress) SetPayloadSize(int64) {}
func (noProgress) PayloadRead(int)      {}

// countingWriter reports each write as bytes read (a length-prefixed
// payload goes to dst as it comes).
type countingWriter struct {
	io.Writer
	p PayloadProgress
}

func (w countingWriter) Write(b []byte) (int, error) {
	w.p.PayloadRead(len(b))
	return w.Writer.Write(b)
}

// syncIOError is Redis's text for a failure while the payload streams in.
func syncIOError(err error) *Error {
	return &Error{Kind: ErrIO, Err: err, Logs: []string{"I/O error trying to sync with MASTER: " + sockErrText(err)}}
}

// copyUntilMark copies bytes to dst until mark, holding back the last
// len(mark)-1 bytes of each read since they may be the start of the mark.
// It consumes exactly through the mark, so whatever follows stays buffered
// for the stream.
func (l *Link) copyUntilMark(dst io.Writer, mark []byte) (int64, error) {
	p := progress(dst)
	var written int64
	var held []byte // a tail of the payload that might begin the mark
	window := make([]byte, 0, 64*1024+len(mark))
	for {
		if _, err := l.r.Peek(1); err != nil {
			return written, syncIOError(err)
		}
		chunk, _ := l.r.Peek(l.r.Buffered())
		window = append(append(window[:0], held...), chunk...)
		if i := bytes.Index(window, mark); i >= 0 {
			// the mark ends inside this chunk: consume through it, no further
			end := i + len(mark) - len(held)
			p.PayloadRead(end)
			if _, err := dst.Write(window[:i]); err != nil {
				return written, err
			}
			l.r.Discard(end)
			return written + int64(i), nil
		}
		p.PayloadRead(len(chunk))
		keep := min(len(mark)-1, len(window))
		out := window[:len(window)-keep]
		if _, err := dst.Write(out); err != nil {
			return written, err
		}
		written += int64(len(out))
		held = append(held[:0], window[len(window)-keep:]...)
		l.r.Discard(len(chunk))
	}
}
