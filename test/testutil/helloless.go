// A client-side workaround for talking to a twemproxy-like proxy with
// go-redis v9: go-redis opens every connection with HELLO, which twemproxy
// (and redoubt proxy, like it) does not know and answers by closing the
// connection, so every command fails with EOF (redis/go-redis#2616). The
// dialer here answers HELLO locally with an error reply, which go-redis
// takes as "RESP2 only" and goes on.
package testutil

import (
	"bytes"
	"context"
	"net"
	"time"
)

// HellolessDialer is a go-redis Options.Dialer for a proxy; use it with
// Protocol 2 and DisableIdentity (no CLIENT SETINFO either).
func HellolessDialer(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &helloless{Conn: c}, nil
	}
}

type helloless struct {
	net.Conn
	reply []byte // a local reply waiting to be read
}

// helloCmd is how a HELLO starts on the wire (go-redis writes it in lower
// case; compared case-insensitively).
var helloCmd = []byte("$5\r\nhello\r\n")

func (c *helloless) Write(b []byte) (int, error) {
	if bytes.HasPrefix(b, []byte("*")) {
		if i := bytes.IndexByte(b, '\n'); i > 0 && len(b) >= i+1+len(helloCmd) && bytes.EqualFold(b[i+1:i+1+len(helloCmd)], helloCmd) {
			c.reply = append(c.reply, "-ERR unknown command 'HELLO'\r\n"...)
			return len(b), nil
		}
	}
	return c.Conn.Write(b)
}

func (c *helloless) Read(b []byte) (int, error) {
	if len(c.reply) > 0 {
		n := copy(b, c.reply)
		c.reply = c.reply[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}
