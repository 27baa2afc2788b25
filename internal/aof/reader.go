package aof

// reader.go splits a command stream (an incr file, the tail after an RDB
// preamble, a Redis 6 single-file AOF) into commands with the rules of
// loadSingleAppendOnlyFile: lines are read as fgets into a 1024-byte buffer
// reads them, a line starting with '#' is an annotation and skipped, "*N"
// is read with atoi and "$len" with strtol, and the two bytes after a bulk
// are skipped without being checked. Reading the same bytes, redoubt thus
// loads what Redis loads and stops where Redis stops.

import (
	"errors"
	"fmt"
	"io"
)

// ErrTruncated is wrapped by errors for data that ends inside a command,
// ErrFormat by errors for data that is not a command stream.
var (
	ErrTruncated = errors.New("aof: unexpected end of file")
	ErrFormat    = errors.New("aof: bad file format")
)

// The loader's messages (the start of each; Error.Log completes them).
const (
	msgTruncated = "Unexpected end of file reading the append only file"
	msgFormat    = "Bad file format reading the append only file"
)

// Error is a command stream that cannot be read further. Offset is the
// length of the valid prefix: the end of the last whole command, where
// Redis truncates the file (aof-load-truncated, redis-check-aof --fix).
type Error struct {
	Offset int64
	Msg    string
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("%s (valid up to offset %d)", e.Msg, e.Offset) }

func (e *Error) Unwrap() error { return e.Err }

// Log is the line Redis logs for this error while loading filename.
func (e *Error) Log(filename string) string {
	if errors.Is(e.Err, ErrTruncated) {
		return fmt.Sprintf("%s %s. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. "+
			"2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", e.Msg, filename)
	}
	return fmt.Sprintf("%s %s: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", e.Msg, filename)
}

// annotationLineMax is AOF_ANNOTATION_LINE_MAX_LEN, the loader's fgets
// buffer: a line is read in pieces of at most annotationLineMax-1 bytes.
const annotationLineMax = 1024

// Reader reads commands from a command stream held in memory.
type Reader struct {
	data  []byte
	pos   int // read position
	valid int // end of the last whole command
	argv  [][]byte
}

// NewReader reads data from its start.
func NewReader(data []byte) *Reader { return &Reader{data: data} }

// NewReaderAt reads data from offset off (for instance after an RDB
// preamble); offsets stay relative to the start of data.
func NewReaderAt(data []byte, off int64) *Reader {
	return &Reader{data: data, pos: int(off), valid: int(off)}
}

// Offset is the end of the last command Next returned (where the reader
// started, before the first).
func (r *Reader) Offset() int64 { return int64(r.valid) }

// fgets returns the next piece of a line as fgets(buf, 1024) would, or nil
// at the end of the data.
func (r *Reader) fgets() []byte {
	if r.pos >= len(r.data) {
		return nil
	}
	end := min(r.pos+annotationLineMax-1, len(r.data))
	for i := r.pos; i < end; i++ {
		if r.data[i] == '\n' {
			end = i + 1
			break
		}
	}
	line := r.data[r.pos:end]
	r.pos = end
	return line
}

func (r *Reader) fail(sentinel error) error {
	msg := msgFormat
	if sentinel == ErrTruncated {
		msg = msgTruncated
	}
	return &Error{Offset: int64(r.valid), Msg: msg, Err: sentinel}
}

// Next returns the next command. Its arguments are sub-slices of the data,
// and the slice of arguments is reused by the next call. At the end of the
// data it returns io.EOF; data that ends inside a command gives an *Error
// wrapping ErrTruncated, malformed data one wrapping ErrFormat.
func (r *Reader) Next() ([][]byte, error) {
	var line []byte
	for {
		line = r.fgets()
		if line == nil {
			return nil, io.EOF
		}
		if line[0] != '#' {
			break
		}
	}
	if line[0] != '*' {
		return nil, r.fail(ErrFormat)
	}
	if len(line) == 1 {
		// "*" and nothing after it: the file ends in the count
		return nil, r.fail(ErrTruncated)
	}
	if line[1] == 0 {
		return nil, r.fail(ErrFormat)
	}
	// atoi is (int)strtol
	argc := int32(atoll(cString(line[1:])))
	if argc < 1 {
		return nil, r.fail(ErrFormat)
	}
	// every argument takes at least 4 bytes ("$0\r\n"): do not let a
	// huge count allocate more than the data can hold
	argv := r.argv[:0]
	if c := min(int(argc), (len(r.data)-r.pos)/4+1); cap(argv) < c {
		argv = make([][]byte, 0, c)
	}
	for range argc {
		line = r.fgets()
		if line == nil {
			return nil, r.fail(ErrTruncated)
		}
		if line[0] != '$' {
			return nil, r.fail(ErrFormat)
		}
		n := atoll(cString(line[1:]))
		if n < 0 {
			// Redis's sdsnewlen of the length as unsigned: it aborts
			return nil, r.fail(ErrFormat)
		}
		if n > int64(len(r.data)-r.pos) {
			return nil, r.fail(ErrTruncated)
		}
		arg := r.data[r.pos : r.pos+int(n) : r.pos+int(n)]
		r.pos += int(n)
		// the CRLF after the bulk, read and not checked
		if len(r.data)-r.pos < 2 {
			return nil, r.fail(ErrTruncated)
		}
		r.pos += 2
		argv = append(argv, arg)
	}
	r.argv = argv
	r.valid = r.pos
	return argv, nil
}
