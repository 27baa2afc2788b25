// rawconn.go is a client-library-free RESP connection for tests that must
// see exactly which bytes a server sends and when it closes.
package testutil

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// RawConn is a plain TCP connection speaking RESP.
type RawConn struct {
	t    testing.TB
	Conn net.Conn
	R    *bufio.Reader
}

// DialRaw connects to addr; the connection is closed when the test ends.
func DialRaw(t testing.TB, addr string) *RawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &RawConn{t: t, Conn: c, R: bufio.NewReader(c)}
}

// EncodeCommand encodes args as a RESP multibulk request.
func EncodeCommand(args ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return []byte(b.String())
}

// Send writes one command without reading its reply.
func (r *RawConn) Send(args ...string) {
	r.t.Helper()
	r.Conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.Conn.Write(EncodeCommand(args...)); err != nil {
		r.t.Fatal(err)
	}
}

// Read returns the next whole reply.
func (r *RawConn) Read() *Reply {
	r.t.Helper()
	r.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	rep, err := ReadReply(r.R)
	if err != nil {
		r.t.Fatalf("read: %v", err)
	}
	return rep
}

// Do sends one command and returns its reply.
func (r *RawConn) Do(args ...string) *Reply {
	r.t.Helper()
	r.Send(args...)
	return r.Read()
}

// DoRaw is Do returning the reply's raw bytes as a string.
func (r *RawConn) DoRaw(args ...string) string {
	r.t.Helper()
	return string(r.Do(args...).Raw)
}

// WaitClosed asserts the server closes the connection (after any replies
// already read).
func (r *RawConn) WaitClosed() {
	r.t.Helper()
	r.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := ReadReply(r.R); err == nil {
		r.t.Fatal("connection still open: got a reply")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		r.t.Fatal("connection still open: read timed out")
	}
}

// Body returns the payload of a bulk or verbatim string reply ("" otherwise).
func (rep *Reply) Body() string {
	if rep.Kind != '$' && rep.Kind != '=' {
		return ""
	}
	_, body, _ := strings.Cut(string(rep.Raw), "\r\n")
	body = strings.TrimSuffix(body, "\r\n")
	if rep.Kind == '=' && len(body) >= 4 {
		body = body[4:]
	}
	return body
}

// ReadRaw is Read returning the reply's raw bytes as a string.
func (r *RawConn) ReadRaw() string {
	r.t.Helper()
	return string(r.Read().Raw)
}
