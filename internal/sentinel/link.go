// link.go is the network side of the driver: the connections to one
// instance, as Redis's instanceLink. Every instance has a command link;
// masters and replicas also have a Pub/Sub link subscribed to
// __sentinel__:hello. A connection is dialled by its own goroutine,
// written by a writer goroutine from a buffer that Command actions append
// to (so the machine's lock never waits on the network), and read by a
// reader that matches replies to commands in order and turns them into
// events. Which connection is current is decided under the driver's lock
// (see Driver.claim), so a connection that was closed or replaced can
// never deliver an event afterwards.
package sentinel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redoubt/redoubt/internal/resp"
)

// helloChannel is SENTINEL_HELLO_CHANNEL.
const helloChannel = "__sentinel__:hello"

// Defaults for Driver.ConnectTimeout and Driver.WriteTimeout.
const (
	DefaultConnectTimeout = 500 * time.Millisecond
	DefaultWriteTimeout   = 5 * time.Second
)

// instLink is one instance's connections. The record lives in
// Driver.links while the machine wants the instance connected; its conns
// are replaced one by one when they fail and a new Connect arrives.
type instLink struct {
	id     ID
	cfg    Connect
	cmd    *conn
	pubsub *conn // nil unless cfg.PubSub
}

// conn is one TCP connection of a link.
type conn struct {
	d      *Driver
	link   *instLink
	pubsub bool
	addr   Addr            // a copy: link.cfg may be updated under the driver's lock
	ctx    context.Context // cancelled by shutdown: ends a dial in progress
	cancel context.CancelFunc

	mu      sync.Mutex
	cond    *sync.Cond // signals out, closed or dead changing
	nc      net.Conn   // nil until dialled
	out     []byte     // encoded commands not yet written
	pending []pending  // replies awaited, oldest first (command link)
	// closed: the driver let go of it (Disconnect, a replacing Connect,
	// Stop); it delivers nothing more. Set under the driver's lock too.
	closed bool
	// dead: it failed on its own and its one down event is on its way.
	dead bool
}

// pending is a reply the command link waits for: skip replies are
// discarded first (a block's MULTI and QUEUED), then the next one is
// delivered as a CommandReply if deliver is set (AUTH and CLIENT SETNAME
// replies are not, as Redis's sentinelDiscardReplyCallback).
type pending struct {
	kind    CommandKind
	skip    int
	deliver bool
}

// cmdName and pubsubName are the CLIENT SETNAME names: Connect.ClientName
// is the command link's ("sentinel-<id8>-cmd"), and the Pub/Sub link's
// is the same with "-pubsub" for "-cmd". A name without "-cmd" is taken
// as the common prefix of both.
func (c Connect) cmdName() string {
	if c.ClientName == "" || strings.HasSuffix(c.ClientName, "-cmd") {
		return c.ClientName
	}
	return c.ClientName + "-cmd"
}

func (c Connect) pubsubName() string {
	if c.ClientName == "" {
		return ""
	}
	return strings.TrimSuffix(c.ClientName, "-cmd") + "-pubsub"
}

// sameTarget reports whether a connection made for a can serve b.
func (a Connect) sameTarget(b Connect) bool {
	return a.Addr == b.Addr && a.User == b.User && a.Pass == b.Pass && a.ClientName == b.ClientName
}

// newConn prepares a connection with its handshake already queued, so
// commands the machine sends before the dial completes follow it.
func (d *Driver) newConn(l *instLink, pubsub bool) *conn {
	c := &conn{d: d, link: l, pubsub: pubsub, addr: l.cfg.Addr}
	c.cond = sync.NewCond(&c.mu)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	cfg := l.cfg
	// AUTH and CLIENT SETNAME replies are ignored, as Redis does: an AUTH
	// error leaves the link up and the instance's replies (-NOAUTH) tell
	// the machine the rest.
	if cfg.Pass != "" {
		if cfg.User != "" {
			c.queue(pending{}, []string{"AUTH", cfg.User, cfg.Pass})
		} else {
			c.queue(pending{}, []string{"AUTH", cfg.Pass})
		}
	}
	name := cfg.cmdName()
	if pubsub {
		name = cfg.pubsubName()
	}
	if name != "" {
		c.queue(pending{}, []string{"CLIENT", "SETNAME", name})
	}
	if pubsub {
		c.queue(pending{}, []string{"SUBSCRIBE", helloChannel})
	}
	return c
}

// queue appends commands and what to expect of their replies; c.mu is
// held or c is not yet shared.
func (c *conn) queue(p pending, cmds ...[]string) {
	w := resp.Writer{Buf: c.out}
	for _, args := range cmds {
		w.ArrayLen(len(args))
		for _, a := range args {
			w.BulkString(a)
		}
	}
	c.out = w.Buf
	if !c.pubsub {
		c.pending = append(c.pending, p)
	}
}

// send queues a Command; it is dropped if the connection is gone (Redis's
// redisAsyncCommand fails the same way on a closed link and no callback
// runs: the machine learns from the link's down event).
func (c *conn) send(a Command) {
	cmds := a.Block
	if len(cmds) == 0 {
		if len(a.Args) == 0 {
			return
		}
		cmds = [][]string{a.Args}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.dead {
		return
	}
	c.queue(pending{kind: a.Kind, skip: len(cmds) - 1, deliver: true}, cmds...)
	c.cond.Signal()
}

// shutdown ends a connection the driver let go of (c.closed is already
// set): a dial in progress is cancelled, the socket closed, the writer woken.
func (c *conn) shutdown() {
	c.cancel()
	c.mu.Lock()
	nc := c.nc
	c.cond.Broadcast()
	c.mu.Unlock()
	if nc != nil {
		nc.Close()
	}
}

// fail marks c dead after an error of its own and reports the link down,
// once; nothing is reported if the driver had already closed it.
func (c *conn) fail(err error) {
	c.mu.Lock()
	if c.closed || c.dead {
		c.mu.Unlock()
		return
	}
	c.dead = true
	nc := c.nc
	c.cond.Broadcast()
	c.mu.Unlock()
	if nc != nil {
		nc.Close()
	}
	c.d.deliver(c, LinkEvent{ID: c.link.id, PubSub: c.pubsub, Err: linkErrText(err)}, true)
}

// run dials, reports the link up, then reads until the connection ends.
func (c *conn) run() {
	defer c.d.wg.Done()
	defer c.cancel()
	addr := c.addr
	dialer := net.Dialer{Timeout: c.d.ConnectTimeout}
	nc, err := dialer.DialContext(c.ctx, "tcp", net.JoinHostPort(addr.Host, strconv.Itoa(addr.Port)))
	if err != nil {
		c.fail(err)
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		nc.Close()
		return
	}
	c.nc = nc
	c.mu.Unlock()

	// Up as soon as the TCP connection is made, as Redis (the AUTH and
	// SETNAME replies are not waited for).
	local, _, _ := net.SplitHostPort(nc.LocalAddr().String())
	if !c.d.deliver(c, LinkEvent{ID: c.link.id, PubSub: c.pubsub, Up: true, LocalIP: local}, false) {
		nc.Close()
		return
	}
	c.d.wg.Add(1)
	go c.writeLoop(nc)
	c.readLoop(nc)
}

// writeLoop writes whatever is queued; a write that cannot finish within
// WriteTimeout fails the connection rather than hang.
func (c *conn) writeLoop(nc net.Conn) {
	defer c.d.wg.Done()
	var buf []byte
	for {
		c.mu.Lock()
		for len(c.out) == 0 && !c.closed && !c.dead {
			c.cond.Wait()
		}
		if c.closed || c.dead {
			c.mu.Unlock()
			return
		}
		buf, c.out = c.out, buf[:0]
		c.mu.Unlock()
		if t := c.d.WriteTimeout; t > 0 {
			nc.SetWriteDeadline(time.Now().Add(t))
		}
		if _, err := nc.Write(buf); err != nil {
			c.fail(err)
			return
		}
	}
}

// readLoop turns replies into events. No read deadline: the machine
// decides when a quiet link is dead and sends Disconnect.
func (c *conn) readLoop(nc net.Conn) {
	rd := replyReader{br: bufio.NewReaderSize(nc, 16*1024)}
	for {
		r, push, err := rd.read()
		if err != nil {
			c.fail(err)
			return
		}
		if c.pubsub {
			if !c.pubsubMessage(r) {
				return
			}
			continue
		}
		if push {
			// RESP3 out-of-band data (tracking, ...) answers no command.
			continue
		}
		c.mu.Lock()
		if len(c.pending) == 0 {
			c.mu.Unlock()
			c.fail(errors.New("reply without a command"))
			return
		}
		p := &c.pending[0]
		if p.skip > 0 {
			p.skip--
			c.mu.Unlock()
			continue
		}
		head := *p
		c.pending = c.pending[1:]
		c.mu.Unlock()
		if head.deliver && !c.d.deliver(c, CommandReply{ID: c.link.id, Kind: head.kind, Reply: r}, false) {
			return
		}
	}
}

// pubsubMessage handles one reply on the Pub/Sub link: a "message" on the
// hello channel becomes a HelloMessage; subscribe confirmations and the
// handshake's replies are ignored, as Redis's sentinelReceiveHelloMessages.
// It reports false when the connection is no longer wanted.
func (c *conn) pubsubMessage(r Reply) bool {
	if !r.IsArr || len(r.Array) != 3 || r.Array[0].Str != "message" || r.Array[1].Str != helloChannel {
		return true
	}
	return c.d.deliver(c, HelloMessage{ID: c.link.id, Payload: r.Array[2].Str}, false)
}

// linkErrText words a connection error for the log as hiredis does
// ("Connection refused", "Server closed the connection").
func linkErrText(err error) string {
	if errors.Is(err, io.EOF) {
		return "Server closed the connection"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "Timeout"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err.Error()
	}
	return err.Error()
}

// replyReader decodes replies, RESP2 and RESP3, into Reply.
type replyReader struct{ br *bufio.Reader }

// Limits against a confused or hostile peer.
const (
	maxReplyDepth = 64
	maxBulkLen    = 512 << 20
	maxLineLen    = 1 << 20
	maxAggregate  = 1 << 24
)

// read returns the next top-level reply and whether it was a RESP3 push.
func (rd *replyReader) read() (Reply, bool, error) {
	return rd.value(0)
}

func (rd *replyReader) line() ([]byte, error) {
	b, err := rd.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// a long simple string or error: gather it
		long := append([]byte(nil), b...)
		for err == bufio.ErrBufferFull && len(long) <= maxLineLen {
			b, err = rd.br.ReadSlice('\n')
			long = append(long, b...)
		}
		if err == bufio.ErrBufferFull {
			return nil, errors.New("protocol error: line too long")
		}
		b = long
	}
	if err != nil {
		return nil, err
	}
	if len(b) < 2 || b[len(b)-2] != '\r' {
		return nil, errors.New("protocol error: line not ended by CRLF")
	}
	return b[:len(b)-2], nil
}

func (rd *replyReader) value(depth int) (Reply, bool, error) {
	if depth > maxReplyDepth {
		return Reply{}, false, errors.New("protocol error: nesting too deep")
	}
	ln, err := rd.line()
	if err != nil {
		return Reply{}, false, err
	}
	if len(ln) == 0 {
		return Reply{}, false, errors.New("protocol error: empty line")
	}
	typ, body := ln[0], ln[1:]
	switch typ {
	case '+':
		return Reply{Str: string(body), Status: true}, false, nil
	case '-':
		return Reply{Err: string(body)}, false, nil
	case ':':
		n, ok := resp.ParseInt(body)
		if !ok {
			return Reply{}, false, fmt.Errorf("protocol error: bad integer %q", body)
		}
		return Reply{IsInt: true, Int: n}, false, nil
	case '_':
		return Reply{Nil: true}, false, nil
	case '#':
		switch string(body) {
		case "t":
			return Reply{IsInt: true, Int: 1}, false, nil
		case "f":
			return Reply{IsInt: true, Int: 0}, false, nil
		}
		return Reply{}, false, fmt.Errorf("protocol error: bad boolean %q", body)
	case ',', '(':
		// doubles and big numbers keep their text
		return Reply{Str: string(body)}, false, nil
	case '$', '=', '!':
		n, ok := resp.ParseInt(body)
		if !ok || n < -1 || n > maxBulkLen {
			return Reply{}, false, fmt.Errorf("protocol error: bad bulk length %q", body)
		}
		if n == -1 {
			return Reply{Nil: true}, false, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rd.br, buf); err != nil {
			return Reply{}, false, err
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return Reply{}, false, errors.New("protocol error: bulk not ended by CRLF")
		}
		s := string(buf[:n])
		switch typ {
		case '!':
			return Reply{Err: s}, false, nil
		case '=':
			// verbatim: "txt:" or "mkd:" then the text
			if len(s) >= 4 && s[3] == ':' {
				s = s[4:]
			}
		}
		return Reply{Str: s}, false, nil
	case '*', '%', '~', '>', '|':
		n, ok := resp.ParseInt(body)
		if !ok || n < -1 || n > maxAggregate {
			return Reply{}, false, fmt.Errorf("protocol error: bad length %q", body)
		}
		if n == -1 {
			return Reply{Nil: true}, false, nil
		}
		if typ == '%' || typ == '|' {
			n *= 2
		}
		elems := make([]Reply, 0, min(n, 1024))
		for i := int64(0); i < n; i++ {
			e, _, err := rd.value(depth + 1)
			if err != nil {
				return Reply{}, false, err
			}
			elems = append(elems, e)
		}
		if typ == '|' {
			// attributes annotate the value that follows: skip them
			return rd.value(depth)
		}
		return Reply{Array: elems, IsArr: true, Map: typ == '%'}, typ == '>', nil
	}
	return Reply{}, false, fmt.Errorf("protocol error: unknown reply type %q", typ)
}
