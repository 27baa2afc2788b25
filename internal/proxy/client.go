// Client connections. A reader goroutine parses requests, answers the
// local ones (PING, AUTH, QUIT) and hands the others to the backends; a
// writer goroutine writes the replies strictly in request order, batching
// every reply already available into one write.
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
	clientWriteBuf = 64 << 10
	clientPipeline = 4096 // requests in flight per client before reading pauses
)

var clientIDs atomic.Uint32

type client struct {
	id      uint32
	f       *front
	conn    net.Conn
	pending chan *msg
	authed  bool
	closeMu sync.Mutex
	closed  bool
}

func (f *front) serve(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	cl := &client{id: clientIDs.Add(1), f: f, conn: c, pending: make(chan *msg, clientPipeline)}
	if !f.track(cl, true) {
		c.Close()
		return
	}
	p := f.pool.Load()
	p.st.clientConnections.Add(1)
	cl.authed = p.cfg.RedisAuth == ""
	go cl.writeLoop()
	cl.readLoop()
}

// kill closes the connection; the loops end on their next I/O.
func (cl *client) kill() {
	cl.closeMu.Lock()
	if !cl.closed {
		cl.closed = true
		cl.conn.Close()
	}
	cl.closeMu.Unlock()
}

func (cl *client) readLoop() {
	defer close(cl.pending)
	buf := make([]byte, clientReadBuf)
	r, w := 0, 0
	var req request
	for {
		n, err := cl.conn.Read(buf[w:])
		w += n
		p := cl.f.pool.Load()
		if err != nil {
			if w > r || isEOF(err) {
				p.st.clientEOF.Add(1)
			} else {
				p.st.clientErr.Add(1)
			}
			return
		}
		for r < w {
			l, perr := parseRequest(buf[r:w], &req)
			if perr != nil {
				// twemproxy closes a client that sends what it cannot parse,
				// without the replies still owed to it
				logf(LogInfo, "parse error on client %s in pool %s, closing: %.64q", cl.conn.RemoteAddr(), p.cfg.Name, buf[r:w])
				p.st.clientErr.Add(1)
				cl.kill()
				return
			}
			if l == 0 {
				break
			}
			if quit := cl.handle(p, buf[r:r+l], &req); quit {
				return
			}
			r += l
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

// handle processes one parsed request; true means stop reading (QUIT).
func (cl *client) handle(p *pool, b []byte, req *request) bool {
	m := getMsg()
	m.kind = req.info.kind
	switch {
	case m.kind == kindQuit:
		m.quit = true
		m.local = true
		cl.pending <- m
		return true
	case m.kind == kindAuth:
		m.local = true
		a := req.args[1]
		switch {
		case p.cfg.RedisAuth == "":
			m.reply = append(m.reply, rspNoPassword...)
		case string(b[a.s:a.e]) == p.cfg.RedisAuth:
			cl.authed = true
			m.reply = append(m.reply, rspOK...)
		default:
			cl.authed = false
			m.reply = append(m.reply, rspInvalidPass...)
		}
		cl.pending <- m
		return false
	case !cl.authed:
		m.local = true
		m.reply = append(m.reply, rspAuthRequired...)
		cl.pending <- m
		return false
	case m.kind == kindPing:
		m.local = true
		m.reply = append(m.reply, rspPong...)
		cl.pending <- m
		return false
	}
	var dl int64
	if p.cfg.Timeout > 0 {
		dl = time.Now().Add(p.cfg.Timeout).UnixNano()
	}
	if (m.kind == kindMGet || m.kind == kindDel || m.kind == kindMSet) && len(req.args) > 3-boolInt(m.kind != kindMSet) {
		step := 1
		if m.kind == kindMSet {
			step = 2
		}
		nkeys := (len(req.args) - 1) / step
		var stack [32]*server
		srvs := stack[:0]
		for i := 0; i < nkeys; i++ {
			a := req.args[1+i*step]
			s, et := p.route(b[a.s:a.e])
			if s == nil {
				// nutcracker answers the error and closes the client here
				m.local = true
				m.closeAfter = true
				p.st.forwardError.Add(1)
				m.reply = errReply(m.reply, et)
				cl.pending <- m
				return true
			}
			srvs = append(srvs, s)
		}
		a0 := req.args[0]
		fragment(m, string(bytes.ToLower(b[a0.s:a0.e])), b, req.args, step, srvs)
		p.st.fragments.Add(int64(len(m.frags)))
		cl.pending <- m
		for _, f := range m.frags {
			f.deadline = dl
			f.srv.send(f, cl.id)
		}
		return false
	}
	var key []byte
	if k := req.firstKey(); k > 0 {
		key = b[req.args[k].s:req.args[k].e]
	}
	s, et := p.route(key)
	if s == nil {
		m.local = true
		p.st.forwardError.Add(1)
		m.reply = errReply(m.reply, et)
		cl.pending <- m
		return false
	}
	m.raw = append(m.raw[:0], b...)
	m.deadline = dl
	cl.pending <- m
	s.send(m, cl.id)
	return false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (cl *client) writeLoop() {
	defer func() {
		cl.kill()
		p := cl.f.pool.Load()
		p.st.clientConnections.Add(-1)
		cl.f.track(cl, false)
	}()
	bw := bufio.NewWriterSize(cl.conn, clientWriteBuf)
	var scratch []byte
	broken := false
	for m := range cl.pending {
		if !m.local {
			select {
			case <-m.done:
			default:
				// nothing more to send until this one is answered
				if bw.Buffered() > 0 && !broken {
					if bw.Flush() != nil {
						broken = true
					}
				}
				<-m.done
			}
		}
		if m.quit {
			m.release()
			if !broken {
				bw.Flush()
			}
			cl.kill()
			continue
		}
		if !broken {
			switch {
			case len(m.frags) > 0:
				scratch = coalesce(scratch[:0], m)
				_, err := bw.Write(scratch)
				broken = err != nil
			case m.errText != "":
				scratch = errReply(scratch[:0], m.errText)
				_, err := bw.Write(scratch)
				broken = err != nil
			default:
				_, err := bw.Write(m.reply)
				broken = err != nil
			}
			if len(cl.pending) == 0 && bw.Buffered() > 0 {
				broken = bw.Flush() != nil
			}
		}
		closeAfter := m.closeAfter
		m.release()
		if closeAfter && !broken {
			bw.Flush()
		}
		if broken || closeAfter {
			cl.kill()
		}
	}
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }
