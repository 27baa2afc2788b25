// Client connections, one goroutine each: read what the client sent,
// parse every complete request in it, answer the local ones (PING, AUTH,
// QUIT), forward the others grouped by backend connection (one write per
// backend), then wait for the replies and write them all, in request
// order, with one write. No goroutine hand-off besides the backend reader
// that completes the requests.

package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

const (
	clientReadBuf  = 16 << 10
	clientWriteBuf = 16 << 10
)

var clientIDs atomic.Uint32

type client struct {
	id      uint32
	f       *front
	conn    net.Conn
	authed  bool
	closeMu sync.Mutex
	closed  bool

	batch  []*msg  // requests of the current read, in order
	groups []group // their forwarding, per backend connection
}

type group struct {
	sc *serverConn
	ms []*msg
}

func (f *front) serve(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	cl := &client{id: clientIDs.Add(1), f: f, conn: c}
	if !f.track(cl, true) {
		c.Close()
		return
	}
	p := f.pool.Load()
	p.st.ClientConnections.Add(1)
	st := f.px.stats.Load()
	st.TotalConnections.Add(1)
	st.CurrConnections.Add(1)
	cl.authed = p.cfg.RedisAuth == ""
	cl.loop()
	cl.kill()
	f.pool.Load().st.ClientConnections.Add(-1)
	f.px.stats.Load().CurrConnections.Add(-1)
	f.track(cl, false)
}

// kill closes the connection.
func (cl *client) kill() {
	cl.closeMu.Lock()
	if !cl.closed {
		cl.closed = true
		cl.conn.Close()
	}
	cl.closeMu.Unlock()
}

func (cl *client) loop() {
	buf := make([]byte, clientReadBuf)
	bw := bufio.NewWriterSize(cl.conn, clientWriteBuf)
	var scratch []byte
	r, w := 0, 0
	var req request
	for {
		n, err := cl.conn.Read(buf[w:])
		w += n
		p := cl.f.pool.Load()
		if err != nil {
			if errors.Is(err, io.EOF) {
				p.st.ClientEOF.Add(1)
			} else {
				p.st.ClientErr.Add(1)
			}
			return
		}
		stop, drop := false, false
		for r < w && !stop {
			l, perr := parseRequest(buf[r:w], &req)
			if perr != nil {
				// twemproxy closes a client that sends what it cannot
				// parse, without the replies still owed to it
				logf(LogInfo, "parse error on client %s in pool %s, closing: %.64q", cl.conn.RemoteAddr(), p.cfg.Name, buf[r:w])
				p.st.ClientErr.Add(1)
				stop, drop = true, true
				break
			}
			if l == 0 {
				break
			}
			stop = cl.handle(p, buf[r:r+l], &req)
			r += l
		}
		cl.flushGroups()
		quit := false
		for _, m := range cl.batch {
			if !m.local {
				<-m.done
			}
			if m.quit {
				quit = true
			}
			if !drop && !quit {
				switch {
				case len(m.frags) > 0:
					scratch = coalesce(scratch[:0], m)
					bw.Write(scratch)
					if m.kind == kindMGet && fragFailed(m) {
						// nutcracker closes the client after a failed
						// MGET's error (not after DEL's or MSET's)
						m.closeAfter = true
					}
				case m.errText != "":
					scratch = errReply(scratch[:0], m.errText)
					bw.Write(scratch)
				default:
					bw.Write(m.reply)
				}
			}
			if m.closeAfter {
				quit = true
			}
			m.release()
		}
		cl.batch = cl.batch[:0]
		if !drop && bw.Flush() != nil {
			return
		}
		if stop || quit {
			return
		}
		if r == w {
			r, w = 0, 0
		} else if r > 0 {
			w = copy(buf, buf[r:w])
			r = 0
		}
		if w == len(buf) {
			nb := make([]byte, 2*len(buf))
			copy(nb, buf[:w])
			buf = nb
		} else if len(buf) > 1<<20 && w < clientReadBuf {
			// give back the memory of a past big request
			nb := make([]byte, clientReadBuf)
			copy(nb, buf[:w])
			buf = nb
		}
	}
}

// forward adds m to the requests for sc.
func (cl *client) forward(sc *serverConn, m *msg) {
	for i := range cl.groups {
		if cl.groups[i].sc == sc {
			cl.groups[i].ms = append(cl.groups[i].ms, m)
			return
		}
	}
	if len(cl.groups) < cap(cl.groups) {
		cl.groups = cl.groups[:len(cl.groups)+1]
		g := &cl.groups[len(cl.groups)-1]
		g.sc, g.ms = sc, append(g.ms[:0], m)
		return
	}
	cl.groups = append(cl.groups, group{sc: sc, ms: []*msg{m}})
}

// flushGroups sends the forwarded requests, one write per backend.
func (cl *client) flushGroups() {
	for i := range cl.groups {
		g := &cl.groups[i]
		g.sc.send(g.ms)
		clear(g.ms)
		g.ms = g.ms[:0]
		g.sc = nil
	}
	cl.groups = cl.groups[:0]
}

// local queues a reply made by the proxy.
func (cl *client) local(m *msg, reply []byte) {
	m.local = true
	m.reply = append(m.reply[:0], reply...)
	cl.batch = append(cl.batch, m)
}

// handle processes one parsed request; true means stop reading (QUIT, or
// an error after which nutcracker closes the client).
func (cl *client) handle(p *pool, b []byte, req *request) bool {
	m := getMsg()
	m.kind = req.info.kind
	switch {
	case m.kind == kindQuit:
		m.quit = true
		cl.local(m, nil)
		return true
	case m.kind == kindAuth:
		a := req.args[1]
		switch {
		case p.cfg.RedisAuth == "":
			cl.local(m, rspNoPassword)
		case string(b[a.s:a.e]) == p.cfg.RedisAuth:
			cl.authed = true
			cl.local(m, rspOK)
		default:
			cl.authed = false
			cl.local(m, rspInvalidPass)
		}
		return false
	case !cl.authed:
		cl.local(m, rspAuthRequired)
		return false
	case m.kind == kindPing:
		cl.local(m, rspPong)
		return false
	case m.kind == kindSetup:
		cl.local(m, unknownCommandReply(b, req))
		return false
	}
	var dl int64
	if p.cfg.Timeout > 0 {
		dl = time.Now().Add(p.cfg.Timeout).UnixNano()
	}
	step := 1
	if m.kind == kindMSet {
		step = 2
	}
	if (m.kind == kindMGet || m.kind == kindDel || m.kind == kindMSet) && len(req.args) > 1+step {
		nkeys := (len(req.args) - 1) / step
		var stack [32]*server
		srvs := stack[:0]
		for i := 0; i < nkeys; i++ {
			a := req.args[1+i*step]
			s, et := p.route(b[a.s:a.e])
			if s == nil {
				// nutcracker answers the error and closes the client here
				p.st.ForwardError.Add(1)
				cl.local(m, errReply(nil, et))
				m.closeAfter = true
				return true
			}
			srvs = append(srvs, s)
		}
		a0 := req.args[0]
		fragment(m, string(bytes.ToLower(b[a0.s:a0.e])), b, req.args, step, srvs)
		p.st.Fragments.Add(int64(len(m.frags)))
		cl.batch = append(cl.batch, m)
		for _, f := range m.frags {
			f.deadline = dl
			cl.forward(f.srv.conn(cl.id), f)
		}
		return false
	}
	var key []byte
	if k := req.firstKey(); k > 0 {
		key = b[req.args[k].s:req.args[k].e]
	}
	s, et := p.route(key)
	if s == nil {
		p.st.ForwardError.Add(1)
		cl.local(m, errReply(nil, et))
		return false
	}
	m.raw = append(m.raw[:0], b...)
	m.deadline = dl
	cl.batch = append(cl.batch, m)
	cl.forward(s.conn(cl.id), m)
	return false
}
