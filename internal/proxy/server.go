// Backend connections. Each server has server_connections connections
// shared by all clients of its pool. There is no writer goroutine: a
// client loop appends its iteration's requests to the connection's
// pending bytes and, unless another loop is already writing, writes them
// itself, taking along whatever others appended meanwhile (one write
// syscall per batch, no goroutine hand-off). Connecting is done by a
// goroutine of the connection, so that a slow connect does not stall the
// loop's other clients. Per established TCP connection (a
// session) a reader goroutine matches replies to requests in FIFO order.
// A session that fails (EOF, error, request timeout) fails all of its
// in-flight requests with a forward error and counts one failure of the
// server, as twemproxy's server_close does.

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

	"github.com/redoubt/redoubt/internal/proxy/proxystats"
)

// errRepointed fails the requests of a shard moved by SetServerAddr.
var errRepointed = syscall.ECONNABORTED

// errClosed fails requests sent after the pool was closed.
var errClosed = errors.New("proxy: closed")

const readBufSize = 64 << 10

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

	st *proxystats.ServerStats

	// read replicas (replicas.go): on a shard, its current set; on a
	// replica, the shard it belongs to and until when it is out of reads
	repMu     sync.Mutex
	replicas  atomic.Pointer[[]*server]
	replicaOf *server
	downUntil atomic.Int64 // unix nanos
}

func (s *server) curAddr() string { return *s.addr.Load() }

// conn picks the connection for a client. A client always uses the same
// one (by its id) so that its requests to one backend execute in the order
// it sent them, which twemproxy's round robin does not ensure.
func (s *server) conn(cid uint32) *serverConn {
	if len(s.conns) == 1 {
		return s.conns[0]
	}
	return s.conns[cid%uint32(len(s.conns))]
}

// shut closes s for good: later requests fail, those in flight fail with
// err.
func (s *server) shut(err error) {
	for _, sc := range s.conns {
		sc.closed.Store(true)
	}
	s.dropSessions(err, false)
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
	srv    *server
	sess   atomic.Pointer[session]
	closed atomic.Bool

	dialMu  sync.Mutex
	dialGen atomic.Uint64 // bumped by every failed connect
	dialErr error         // the last failed connect's error, under dialMu

	pendMu  sync.Mutex
	pend    []*msg // waiting for the dialer goroutine
	dialing bool   // the dialer goroutine runs
}

func newServerConn(s *server) *serverConn { return &serverConn{srv: s} }

// session is one TCP connection to the backend.
type session struct {
	sc   *serverConn
	conn *os.File // blocking, outside Go's netpoller (sessread.go)
	tmo  bool     // request timeouts are enforced
	dead atomic.Bool

	mu      sync.Mutex
	q       []*msg // sent or being sent, awaiting a reply, oldest first
	head    int
	wbuf    []byte // appended, not yet written
	spare   []byte
	wcount  int  // requests in wbuf (in_queue)
	writing bool // a goroutine is writing wbuf out
	closed  bool

	// read side, owned by the loop lp (sessread.go)
	lp   *loop
	rc   syscall.RawConn
	rbuf []byte
	r, w int
	rs   replyScanner
	done []*msg
	lens []int
}

// queue forwards requests (all for this connection, in order) from a
// client loop: written now on a live session, else handed to the
// connection's dialer goroutine, which takes every request queued while
// it connects, in order.
func (sc *serverConn) queue(ms []*msg) {
	s := sc.srv
	for _, m := range ms {
		m.srv = s
		s.st.Requests.Add(1)
		s.st.RequestBytes.Add(int64(len(m.raw)))
	}
	sc.pendMu.Lock()
	if !sc.dialing {
		if ss := sc.sess.Load(); ss != nil && !ss.dead.Load() {
			sc.pendMu.Unlock()
			if ss.write(ms) {
				return
			}
			sc.pendMu.Lock()
		}
	}
	sc.pend = append(sc.pend, ms...)
	if !sc.dialing {
		sc.dialing = true
		go sc.dialer()
	}
	sc.pendMu.Unlock()
}

// dialer sends the queued requests until there are none left.
func (sc *serverConn) dialer() {
	for {
		sc.pendMu.Lock()
		ms := sc.pend
		sc.pend = nil
		if len(ms) == 0 {
			sc.dialing = false
			sc.pendMu.Unlock()
			return
		}
		sc.pendMu.Unlock()
		sc.send(ms)
	}
}

// send writes requests on a live session, connecting if needed.
func (sc *serverConn) send(ms []*msg) {
	ss := sc.sess.Load()
	if ss == nil || ss.dead.Load() {
		var err error
		if ss, err = sc.ensure(); err != nil {
			sc.fail(ms, errText(err))
			return
		}
	}
	if !ss.write(ms) {
		// the session died since we looked: one more try on a new one
		ss, err := sc.ensure()
		if err != nil {
			sc.fail(ms, errText(err))
			return
		}
		if !ss.write(ms) {
			sc.fail(ms, errTextReset)
		}
	}
}

// fail answers requests that never reached a backend.
func (sc *serverConn) fail(ms []*msg, text string) {
	for _, m := range ms {
		sc.srv.pool.st.ForwardError.Add(1)
		m.complete(nil, text)
	}
}

// ensure returns a live session, connecting if needed. Requests that wait
// for a connect that fails fail with it: one failure for all, as in
// twemproxy where they are queued on the one connecting connection.
func (sc *serverConn) ensure() (*session, error) {
	gen := sc.dialGen.Load()
	sc.dialMu.Lock()
	defer sc.dialMu.Unlock()
	if ss := sc.sess.Load(); ss != nil && !ss.dead.Load() {
		return ss, nil
	}
	if sc.dialGen.Load() != gen {
		return nil, sc.dialErr
	}
	if sc.closed.Load() {
		return nil, errClosed
	}
	ss, err := sc.connect()
	if err != nil {
		sc.dialErr = err
		sc.dialGen.Add(1)
		if err != errRepointed {
			sc.srv.st.ServerErr.Add(1)
			sc.srv.pool.failure(sc.srv)
		}
		return nil, err
	}
	return ss, nil
}

// write queues ms on the session and writes, unless another loop is
// writing already (it will take these bytes along). False if the session
// is dead.
func (ss *session) write(ms []*msg) bool {
	s := ss.sc.srv
	ss.mu.Lock()
	if ss.closed {
		ss.mu.Unlock()
		return false
	}
	wasEmpty := ss.head == len(ss.q)
	ss.q = append(ss.q, ms...)
	n0 := len(ss.wbuf)
	for _, m := range ms {
		ss.wbuf = append(ss.wbuf, m.raw...)
	}
	ss.wcount += len(ms)
	s.st.InQueue.Add(int64(len(ms)))
	s.st.InQueueBytes.Add(int64(len(ss.wbuf) - n0))
	if ss.tmo && wasEmpty {
		// the reading loop times the new oldest request
		ss.lp.wake()
	}
	if ss.writing {
		ss.mu.Unlock()
		return true
	}
	ss.writing = true
	for len(ss.wbuf) > 0 {
		buf, n := ss.wbuf, ss.wcount
		ss.wbuf, ss.wcount = ss.spare[:0], 0
		ss.mu.Unlock()
		s.st.InQueue.Add(-int64(n))
		s.st.OutQueue.Add(int64(n))
		s.st.InQueueBytes.Add(-int64(len(buf)))
		s.st.OutQueueBytes.Add(int64(len(buf)))
		_, err := ss.conn.Write(buf)
		ss.mu.Lock()
		if cap(buf) <= 1<<20 {
			ss.spare = buf[:0]
		}
		if err != nil {
			ss.writing = false
			ss.mu.Unlock()
			ss.close(err, true)
			return true // the requests are in q: close failed them
		}
	}
	ss.writing = false
	ss.mu.Unlock()
	return true
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
	if s.curAddr() != addr {
		// re-pointed while connecting: not a session to keep
		c.Close()
		return nil, errRepointed
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	lp, err := pickLoop()
	if err != nil {
		c.Close()
		return nil, err
	}
	f, err := detach(c)
	if err != nil {
		return nil, err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	ss := &session{sc: sc, conn: f, rc: rc, lp: lp, tmo: p.cfg.Timeout > 0, q: make([]*msg, 0, 256), wbuf: make([]byte, 0, 16<<10), spare: make([]byte, 0, 16<<10)}
	s.st.ServerConnections.Add(1)
	var pre []*msg
	if p.cfg.RedisAuth != "" {
		m := internalMsg(s, "AUTH", p.cfg.RedisAuth)
		pre = append(pre, m)
	}
	if p.cfg.RedisDB != 0 {
		m := internalMsg(s, "SELECT", strconv.Itoa(p.cfg.RedisDB))
		pre = append(pre, m)
	}
	lp.addSession(ss)
	if len(pre) > 0 {
		ss.write(pre)
		if ss.dead.Load() {
			return nil, syscall.ECONNRESET
		}
	}
	// published only now: no request may overtake AUTH and SELECT
	sc.sess.Store(ss)
	return ss, nil
}

func internalMsg(s *server, cmd, arg string) *msg {
	m := &msg{intern: true, srv: s}
	m.raw = []byte("*2\r\n$" + strconv.Itoa(len(cmd)) + "\r\n" + cmd + "\r\n$" +
		strconv.Itoa(len(arg)) + "\r\n" + arg + "\r\n")
	return m
}

// close ends the session and fails its in-flight requests; count says
// whether it is a failure of the server (not a re-point or shutdown).
func (ss *session) close(err error, count bool) {
	ss.mu.Lock()
	if ss.closed {
		ss.mu.Unlock()
		return
	}
	ss.closed = true
	ss.dead.Store(true)
	q := ss.q[ss.head:]
	unsent, unsentBytes := ss.wcount, len(ss.wbuf)
	ss.q, ss.head, ss.wbuf, ss.wcount = nil, 0, nil, 0
	ss.mu.Unlock()
	// shutdown first: it ends a write blocked on a backend that does not
	// read (closing a blocking fd would wait for it)
	ss.rc.Control(func(fd uintptr) { syscall.Shutdown(int(fd), syscall.SHUT_RDWR) })
	ss.conn.Close()
	s := ss.sc.srv
	s.st.ServerConnections.Add(-1)
	s.st.InQueue.Add(-int64(unsent))
	s.st.OutQueue.Add(-int64(len(q) - unsent))
	qBytes := 0
	for _, m := range q {
		qBytes += len(m.raw)
	}
	s.st.InQueueBytes.Add(-int64(unsentBytes))
	s.st.OutQueueBytes.Add(-int64(qBytes - unsentBytes))
	timedOut := errors.Is(err, os.ErrDeadlineExceeded)
	switch {
	case errors.Is(err, io.EOF):
		s.st.ServerEOF.Add(1)
	case timedOut:
		s.st.ServerTimedout.Add(1)
	case count:
		s.st.ServerErr.Add(1)
	}
	text := errText(err)
	for _, m := range q {
		if !m.intern {
			s.pool.st.ForwardError.Add(1)
		}
		m.complete(nil, text)
	}
	if count {
		s.pool.failure(s)
	}
}
