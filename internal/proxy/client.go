// Client connections, driven by their event loop (loop.go). A client
// works in batches, as nutcracker's differential tests expect: read what
// it sent, parse every complete request in it, answer the local ones
// (PING, AUTH, QUIT), forward the others (the loop sends them, one write
// per backend connection per iteration), and once every reply is in,
// write them all in request order with one write; only then read again.

package proxy

import (
	"bytes"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

const clientReadBuf = 16 << 10

var clientIDs atomic.Uint32

type client struct {
	id     uint32
	f      *front
	lp     *loop
	fd     int
	raddr  string
	authed bool

	buf      []byte
	r, w     int
	req      request
	readable bool   // an edge was seen and the socket not drained since
	out      []byte // replies not written yet (the socket was full)

	batch   []*msg       // requests of the current read, in order
	pending atomic.Int32 // forwarded requests of batch not done yet
	waiting bool         // batch has forwarded requests
	stop    bool         // close after this batch (QUIT, error)
	drop    bool         // ... without writing its replies (parse error)
	closing bool         // close once out is written
	dead    bool
	killed  atomic.Bool
}

func (f *front) serve(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	raddr := c.RemoteAddr().String()
	lp, err := pickLoop()
	if err != nil {
		logf(LogError, "client %s in pool %s: %v", raddr, f.name, err)
		c.Close()
		return
	}
	fd, err := takeFD(c)
	if err != nil {
		logf(LogError, "client %s in pool %s: %v", raddr, f.name, err)
		return
	}
	cl := &client{id: clientIDs.Add(1), f: f, lp: lp, fd: fd, raddr: raddr, buf: make([]byte, clientReadBuf)}
	if !f.track(cl, true) {
		syscall.Close(fd)
		return
	}
	p := f.pool.Load()
	p.st.ClientConnections.Add(1)
	st := f.px.stats.Load()
	st.TotalConnections.Add(1)
	st.CurrConnections.Add(1)
	cl.authed = p.cfg.RedisAuth == ""
	lp.add(cl)
}

// takeFD returns a non-blocking duplicate of c's socket and closes c, so
// that Go's netpoller no longer watches it.
func takeFD(c net.Conn) (int, error) {
	defer c.Close()
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, syscall.EINVAL
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd := -1
	var derr error
	err = rc.Control(func(fd uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			derr = e
			return
		}
		nfd = int(r)
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return -1, err
	}
	if err := syscall.SetNonblock(nfd, true); err != nil {
		syscall.Close(nfd)
		return -1, err
	}
	return nfd, nil
}

// kill closes the connection (any goroutine; done by the loop).
func (cl *client) kill() {
	if cl.killed.CompareAndSwap(false, true) {
		cl.lp.notify(cl)
	}
}

// doneOne counts one finished request of the batch (any goroutine).
func (cl *client) doneOne() {
	if cl.pending.Add(-1) == 0 {
		cl.lp.notify(cl)
	}
}

// close releases the connection (loop goroutine). Requests still in
// flight are abandoned to the garbage collector, not to the msg pool.
func (cl *client) close() {
	if cl.dead {
		return
	}
	cl.dead = true
	delete(cl.lp.clients, int32(cl.fd))
	syscall.Close(cl.fd) // also leaves the epoll set
	cl.batch, cl.buf, cl.out = nil, nil, nil
	cl.f.pool.Load().st.ClientConnections.Add(-1)
	cl.f.px.stats.Load().CurrConnections.Add(-1)
	cl.f.track(cl, false)
}

// step advances the client as far as it can without blocking (loop
// goroutine): write pending replies, finish a batch whose replies are
// all in, read and parse the next one.
func (cl *client) step() {
	for !cl.dead {
		switch {
		case cl.killed.Load():
			cl.close()
		case len(cl.out) > 0:
			if !cl.writeOut() {
				return
			}
		case cl.closing:
			cl.close()
		case cl.waiting:
			if cl.pending.Load() != 0 {
				return
			}
			cl.waiting = false
			cl.finish()
		case !cl.readable:
			return
		default:
			if !cl.read() {
				return
			}
			cl.parse()
		}
	}
}

// writeOut writes the pending replies; false when the socket is full
// (the loop steps the client again on EPOLLOUT) or the client is closed.
func (cl *client) writeOut() bool {
	for len(cl.out) > 0 {
		n, err := syscall.Write(cl.fd, cl.out)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			return false
		}
		if err != nil {
			cl.close()
			return false
		}
		if n < len(cl.out) {
			cl.out = cl.out[n:]
			continue
		}
		cl.out = cl.out[:0]
	}
	if cap(cl.out) > 1<<20 {
		cl.out = nil
	}
	return true
}

// read reads once; false when nothing was read (drained, or closed).
func (cl *client) read() bool {
	if cl.w == len(cl.buf) {
		nb := make([]byte, 2*len(cl.buf))
		copy(nb, cl.buf[:cl.w])
		cl.buf = nb
	}
	for {
		n, err := syscall.Read(cl.fd, cl.buf[cl.w:])
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			cl.readable = false
			return false
		}
		p := cl.f.pool.Load()
		if err != nil {
			p.st.ClientErr.Add(1)
			cl.close()
			return false
		}
		if n == 0 {
			p.st.ClientEOF.Add(1)
			cl.close()
			return false
		}
		// a short read drained the socket: the next data brings an edge
		if n < len(cl.buf)-cl.w {
			cl.readable = false
		}
		cl.w += n
		return true
	}
}

// parse handles every complete request read so far.
func (cl *client) parse() {
	p := cl.f.pool.Load()
	for cl.r < cl.w && !cl.stop {
		l, perr := parseRequest(cl.buf[cl.r:cl.w], &cl.req)
		if perr != nil {
			// twemproxy closes a client that sends what it cannot parse,
			// without the replies still owed to it
			logf(LogInfo, "parse error on client %s in pool %s, closing: %.64q", cl.raddr, p.cfg.Name, cl.buf[cl.r:cl.w])
			p.st.ClientErr.Add(1)
			cl.stop, cl.drop = true, true
			break
		}
		if l == 0 {
			break
		}
		cl.stop = cl.handle(p, cl.buf[cl.r:cl.r+l], &cl.req)
		cl.r += l
	}
	// the requests hold copies of their bytes: keep only a partial one
	if cl.r == cl.w {
		cl.r, cl.w = 0, 0
	} else if cl.r > 0 {
		cl.w = copy(cl.buf, cl.buf[cl.r:cl.w])
		cl.r = 0
	}
	if len(cl.buf) > 1<<20 && cl.w < clientReadBuf {
		// give back the memory of a past big request
		nb := make([]byte, clientReadBuf)
		copy(nb, cl.buf[:cl.w])
		cl.buf = nb
	}
	cl.waiting = true
}

// finish writes the batch's replies in order into out.
func (cl *client) finish() {
	quit := false
	for _, m := range cl.batch {
		if m.quit {
			quit = true
		}
		if !cl.drop && !quit {
			switch {
			case len(m.frags) > 0:
				cl.out = coalesce(cl.out, m)
				if m.kind == kindMGet && fragFailed(m) {
					// nutcracker closes the client after a failed
					// MGET's error (not after DEL's or MSET's)
					m.closeAfter = true
				}
			case m.errText != "":
				cl.out = errReply(cl.out, m.errText)
			default:
				cl.out = append(cl.out, m.reply...)
			}
		}
		if m.closeAfter {
			quit = true
		}
		m.release()
	}
	clear(cl.batch)
	cl.batch = cl.batch[:0]
	if cl.drop {
		cl.out = cl.out[:0]
	}
	if cl.stop || quit {
		cl.closing = true
	}
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
			if req.info.ro {
				s = p.forRead(s, cl.id)
			}
			srvs = append(srvs, s)
		}
		a0 := req.args[0]
		fragment(m, string(bytes.ToLower(b[a0.s:a0.e])), b, req.args, step, srvs)
		p.st.Fragments.Add(int64(len(m.frags)))
		cl.batch = append(cl.batch, m)
		m.cl = cl
		cl.pending.Add(1)
		for _, f := range m.frags {
			f.deadline = dl
			cl.lp.forward(f.srv.conn(cl.id), f)
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
	if req.info.ro {
		s = p.forRead(s, cl.id)
	}
	m.raw = append(m.raw[:0], b...)
	m.deadline = dl
	m.cl = cl
	cl.pending.Add(1)
	cl.batch = append(cl.batch, m)
	cl.lp.forward(s.conn(cl.id), m)
	return false
}
