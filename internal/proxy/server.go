// Backend connections. Each server has server_connections connections
// shared by all clients of its pool; each connection is a writer goroutine
// that batches every queued request into one write, and, per established
// TCP connection (a session), a reader goroutine that matches replies to
// requests in FIFO order. A session that fails (EOF, error, request
// timeout) fails all of its in-flight requests with a forward error and
// counts one failure of the server, as twemproxy's server_close does.
package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// errRepointed fails the requests of a shard moved by SetServerAddr.
var errRepointed = syscall.ECONNABORTED

// errClosed fails requests queued when the proxy or a pool shuts down.
var errClosed = errors.New("proxy: closed")

const (
	writeBatch   = 256 << 10 // flush once the batch is this large
	readBufSize  = 64 << 10
	connQueueLen = 4096
)

type server struct {
	pool  *pool
	idx   int
	name  string // the shard's identity: its name, or its configured addr
	cfgAd string // configured "host:port"
	addr  atomic.Pointer[string]

	conns []*serverConn

	// failure accounting, guarded by pool.mu
	failures  int
	nextRetry int64 // unix nanos; 0: never ejected or back in service
	failFlag  atomic.Bool

	st serverStats
}

func (s *server) curAddr() string { return *s.addr.Load() }

// send queues m on one of the server's connections. A client always uses
// the same one (by its id) so that its requests to one backend execute in
// the order it sent them, which twemproxy's round robin does not ensure.
func (s *server) send(m *msg, cid uint32) {
	m.srv = s
	sc := s.conns[0]
	if len(s.conns) > 1 {
		sc = s.conns[cid%uint32(len(s.conns))]
	}
	s.st.requests.Add(1)
	s.st.requestBytes.Add(int64(len(m.raw)))
	s.st.inQueue.Add(1)
	sc.in <- m
}

// dropSessions closes the current sessions (SetServerAddr, pool close).
func (s *server) dropSessions(err error, count bool) {
	for _, sc := range s.conns {
		if ss := sc.sess.Load(); ss != nil {
			ss.close(err, count)
		}
	}
}

type serverConn struct {
	srv  *server
	in   chan *msg
	quit chan struct{}
	sess atomic.Pointer[session]
}

func newServerConn(s *server) *serverConn {
	return &serverConn{srv: s, in: make(chan *msg, connQueueLen), quit: make(chan struct{})}
}

// session is one TCP connection to the backend.
type session struct {
	sc   *serverConn
	conn net.Conn
	mu   sync.Mutex
	q    []*msg // sent, awaiting a reply, oldest first
	head int
	dead bool
	tmo  bool // request timeouts are enforced
}

// run is the writer loop of one backend connection.
func (sc *serverConn) run() {
	batch := make([]*msg, 0, 128)
	var wbuf []byte
	if sc.srv.pool.cfg.Preconnect {
		if _, err := sc.connect(); err != nil {
			sc.srv.st.serverErr.Add(1)
			sc.srv.pool.failure(sc.srv)
			logf(LogWarn, "preconnect to %s in pool %s failed: %v", sc.srv.curAddr(), sc.srv.pool.cfg.Name, err)
		}
	}
	for {
		var m *msg
		select {
		case m = <-sc.in:
		case <-sc.quit:
			if ss := sc.sess.Load(); ss != nil {
				ss.close(errClosed, false)
			}
			sc.drain(errTextRefused)
			return
		}
		batch = append(batch[:0], m)
		// everything already queued goes out in the same write
		size := len(m.raw)
	more:
		for size < writeBatch {
			select {
			case m2 := <-sc.in:
				batch = append(batch, m2)
				size += len(m2.raw)
			default:
				break more
			}
		}
		ss := sc.sess.Load()
		if ss == nil || ss.isDead() {
			var err error
			ss, err = sc.connect()
			if err != nil {
				sc.srv.pool.failure(sc.srv)
				sc.srv.st.serverErr.Add(1)
				sc.failBatch(batch, errText(err))
				// requests that queued up while connecting fail with it
				sc.drain(errText(err))
				continue
			}
		}
		wbuf = wbuf[:0]
		for _, m := range batch {
			wbuf = append(wbuf, m.raw...)
		}
		if !ss.push(batch) {
			sc.failBatch(batch, ss.errText())
			continue
		}
		s := sc.srv
		s.st.inQueue.Add(-int64(len(batch)))
		s.st.outQueue.Add(int64(len(batch)))
		if _, err := ss.conn.Write(wbuf); err != nil {
			ss.close(err, true)
		}
		if cap(wbuf) > 4*writeBatch {
			wbuf = nil
		}
	}
}

// failBatch fails requests that never reached a session.
func (sc *serverConn) failBatch(batch []*msg, text string) {
	sc.srv.st.inQueue.Add(-int64(len(batch)))
	for _, m := range batch {
		sc.srv.pool.st.forwardError.Add(1)
		m.complete(nil, text)
	}
}

func (sc *serverConn) drain(text string) {
	for {
		select {
		case m := <-sc.in:
			sc.srv.st.inQueue.Add(-1)
			sc.srv.pool.st.forwardError.Add(1)
			m.complete(nil, text)
		default:
			return
		}
	}
}

// connect opens a session, queueing AUTH and SELECT when configured, as
// twemproxy does before the first request on a new backend connection.
func (sc *serverConn) connect() (*session, error) {
	s := sc.srv
	p := s.pool
	dt := p.cfg.Timeout
	if dt <= 0 {
		dt = 30 * time.Second
	}
	addr := s.curAddr()
	if addr == "" {
		// a Sentinel shard whose master is not known yet
		return nil, syscall.ECONNREFUSED
	}
	network := "tcp"
	if strings.HasPrefix(addr, "/") {
		network = "unix"
	}
	c, err := net.DialTimeout(network, addr, dt)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	ss := &session{sc: sc, conn: c, tmo: p.cfg.Timeout > 0, q: make([]*msg, 0, 256)}
	sc.sess.Store(ss)
	s.st.serverConnections.Add(1)
	var pre []*msg
	var raw []byte
	if p.cfg.RedisAuth != "" {
		m := internalMsg(s, "AUTH", p.cfg.RedisAuth)
		pre = append(pre, m)
		raw = append(raw, m.raw...)
	}
	if p.cfg.RedisDB != 0 {
		m := internalMsg(s, "SELECT", strconv.Itoa(p.cfg.RedisDB))
		pre = append(pre, m)
		raw = append(raw, m.raw...)
	}
	go ss.readLoop()
	if len(pre) > 0 {
		ss.push(pre)
		if _, err := c.Write(raw); err != nil {
			ss.close(err, true)
			return nil, err
		}
	}
	return ss, nil
}

func internalMsg(s *server, cmd, arg string) *msg {
	m := &msg{intern: true, srv: s, done: make(chan struct{}, 1)}
	m.raw = []byte("*2\r\n$" + strconv.Itoa(len(cmd)) + "\r\n" + cmd + "\r\n$" +
		strconv.Itoa(len(arg)) + "\r\n" + arg + "\r\n")
	return m
}

func (ss *session) isDead() bool {
	ss.mu.Lock()
	d := ss.dead
	ss.mu.Unlock()
	return d
}

func (ss *session) errText() string { return errTextUnknown }

// push appends sent requests to the in-flight queue; false if the session
// died meanwhile.
func (ss *session) push(batch []*msg) bool {
	ss.mu.Lock()
	if ss.dead {
		ss.mu.Unlock()
		return false
	}
	wasEmpty := ss.head == len(ss.q)
	ss.q = append(ss.q, batch...)
	if ss.tmo && wasEmpty {
		ss.setDeadline(ss.q[ss.head])
	}
	ss.mu.Unlock()
	return true
}

// setDeadline arms the read deadline for the oldest in-flight request
// (nil: none). Called with mu held.
func (ss *session) setDeadline(m *msg) {
	if m == nil || m.deadline == 0 {
		ss.conn.SetReadDeadline(time.Time{})
		return
	}
	ss.conn.SetReadDeadline(time.Unix(0, m.deadline))
}

// close ends the session and fails its in-flight requests; count says
// whether it is a failure of the server (not a re-point or shutdown).
func (ss *session) close(err error, count bool) {
	ss.mu.Lock()
	if ss.dead {
		ss.mu.Unlock()
		return
	}
	ss.dead = true
	q := ss.q[ss.head:]
	ss.q, ss.head = nil, 0
	ss.mu.Unlock()
	ss.conn.Close()
	s := ss.sc.srv
	s.st.serverConnections.Add(-1)
	s.st.outQueue.Add(-int64(len(q)))
	timedOut := errors.Is(err, os.ErrDeadlineExceeded)
	switch {
	case errors.Is(err, io.EOF):
		s.st.serverEOF.Add(1)
	case timedOut:
		s.st.serverTimedout.Add(1)
	case count:
		s.st.serverErr.Add(1)
	}
	text := errText(err)
	for _, m := range q {
		if !m.intern {
			s.pool.st.forwardError.Add(1)
		}
		m.complete(nil, text)
	}
	if count {
		s.pool.failure(s)
	}
}

// readLoop reads replies and hands them to the requests in order.
func (ss *session) readLoop() {
	s := ss.sc.srv
	buf := make([]byte, readBufSize)
	r, w := 0, 0
	var done []*msg
	var lens []int
	for {
		n, err := ss.conn.Read(buf[w:])
		w += n
		if err != nil {
			if ss.tmo && errors.Is(err, os.ErrDeadlineExceeded) {
				// a deadline for a request already answered is stale
				ss.mu.Lock()
				stale := ss.head < len(ss.q) && time.Now().UnixNano() < ss.q[ss.head].deadline
				if ss.head < len(ss.q) {
					ss.setDeadline(ss.q[ss.head])
				}
				ss.mu.Unlock()
				if stale {
					continue
				}
			}
			ss.close(err, true)
			return
		}
		// split what arrived into complete replies
		lens = lens[:0]
		p := r
		for p < w {
			l := replyLen(buf[p:w])
			if l < 0 {
				ss.close(syscall.EINVAL, true)
				return
			}
			if l == 0 {
				break
			}
			lens = append(lens, l)
			p += l
		}
		if len(lens) > 0 {
			ss.mu.Lock()
			if ss.dead {
				ss.mu.Unlock()
				return
			}
			if len(ss.q)-ss.head < len(lens) {
				// a reply nobody asked for: the stream is out of sync
				ss.mu.Unlock()
				ss.close(syscall.EINVAL, true)
				return
			}
			done = append(done[:0], ss.q[ss.head:ss.head+len(lens)]...)
			ss.head += len(lens)
			if ss.head == len(ss.q) {
				ss.q, ss.head = ss.q[:0], 0
			} else if ss.head > 1024 && ss.head*2 > len(ss.q) {
				ss.q = append(ss.q[:0], ss.q[ss.head:]...)
				ss.head = 0
			}
			if ss.tmo {
				if ss.head < len(ss.q) {
					ss.setDeadline(ss.q[ss.head])
				} else {
					ss.setDeadline(nil)
				}
			}
			ss.mu.Unlock()
			s.st.outQueue.Add(-int64(len(done)))
			for i, m := range done {
				rep := buf[r : r+lens[i]]
				r += lens[i]
				if m.intern {
					continue
				}
				s.st.responses.Add(1)
				s.st.responseBytes.Add(int64(len(rep)))
				m.complete(rep, "")
			}
			if s.failFlag.Load() {
				s.pool.serverOK(s)
			}
		}
		// keep the partial reply at the start of a big enough buffer
		if r == w {
			r, w = 0, 0
		} else if r > 0 && (w == len(buf) || r > len(buf)/2) {
			w = copy(buf, buf[r:w])
			r = 0
		}
		if w == len(buf) {
			nb := make([]byte, 2*len(buf))
			w = copy(nb, buf[r:w])
			r = 0
			buf = nb
		}
	}
}
