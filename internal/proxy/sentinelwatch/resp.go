// A minimal RESP2 client connection for talking to sentinels: commands are
// written as arrays of bulk strings and replies read into Go values
// (string, int64, []any, nil, or a respError). It is all the watcher needs
// (SUBSCRIBE and a few SENTINEL commands), so the proxy binary does not
// carry a full client library.
package sentinelwatch

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// respError is an error reply (-ERR ...) from the server.
type respError string

func (e respError) Error() string { return string(e) }

// maxBulk bounds one bulk string or array so that a garbled stream cannot
// make us allocate without limit; sentinel replies are tiny.
const maxBulk = 1 << 20

type conn struct {
	nc net.Conn
	r  *bufio.Reader
	w  *bufio.Writer
}

func dial(addr string, timeout time.Duration) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return &conn{nc: nc, r: bufio.NewReader(nc), w: bufio.NewWriter(nc)}, nil
}

func (c *conn) Close() error { return c.nc.Close() }

// send buffers one command; flush writes the buffered commands out, so a
// caller can pipeline several in one round trip.
func (c *conn) send(args ...string) {
	fmt.Fprintf(c.w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c.w, "$%d\r\n%s\r\n", len(a), a)
	}
}

func (c *conn) flush() error { return c.w.Flush() }

// read returns the next reply. An error reply is returned as a respError
// value (not as err), so that one failed command in a pipeline does not
// hide the replies after it; err is for the connection itself.
func (c *conn) read() (any, error) {
	line, err := c.line()
	if err != nil {
		return nil, err
	}
	if len(line) == 0 {
		return nil, errors.New("resp: empty line")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return respError(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxBulk {
			return nil, fmt.Errorf("resp: bad bulk length %q", body)
		}
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxBulk {
			return nil, fmt.Errorf("resp: bad array length %q", body)
		}
		if n < 0 {
			return nil, nil
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = c.read(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("resp: unexpected type byte %q", line[0])
}

// line reads one CRLF-terminated line without the terminator.
func (c *conn) line() (string, error) {
	b, err := c.r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return "", errors.New("resp: line too long")
		}
		return "", err
	}
	if len(b) < 2 || b[len(b)-2] != '\r' {
		return "", errors.New("resp: line not terminated by CRLF")
	}
	return string(b[:len(b)-2]), nil
}
