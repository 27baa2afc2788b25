// Backend replies, read by a client loop: each session's socket is in one
// loop's epoll set (edge-triggered) and read when ready, and its request
// timeout is that loop's timer (epoll_wait's timeout), so that a reply
// reaches its client without a goroutine wake-up (with one loop, none at
// all: nutcracker's design). The socket is taken out of Go's netpoller
// (a blocking duplicate in an os.File, read with MSG_DONTWAIT), whose
// otherwise useless wake-ups for these fds cost 10% of the CPU at
// pipeline 1; writes block as conn.Write did.

package proxy

import (
	"bytes"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// detach returns c's socket as a blocking os.File (not in Go's netpoller)
// and closes c.
func detach(c net.Conn) (*os.File, error) {
	fd, err := takeFD(c)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "backend"), nil
}

// addSession hands a new session to the loop for reading (any goroutine).
func (lp *loop) addSession(ss *session) {
	lp.mu.Lock()
	lp.newSess = append(lp.newSess, ss)
	lp.mu.Unlock()
	lp.wake()
}

// registerSession puts the session's socket in the epoll set under a
// token of its own, so that a stale event never reaches another socket
// that reuses the fd number.
func (lp *loop) registerSession(ss *session) {
	if ss.dead.Load() {
		return
	}
	lp.nextTok++
	tok := lp.nextTok
	var err error
	cerr := ss.rc.Control(func(fd uintptr) {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | epollET, Fd: -1, Pad: tok}
		err = syscall.EpollCtl(lp.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
	})
	if cerr != nil {
		err = cerr
	}
	if err != nil {
		ss.close(err, true)
		return
	}
	lp.sessions[tok] = ss
	ss.rbuf = make([]byte, readBufSize)
	ss.readReady()
}

// expire fails the sessions whose oldest request is past its deadline
// (twemproxy's timeout) and returns the epoll_wait timeout in ms until
// the next deadline, -1 for none. Closed sessions are forgotten.
func (lp *loop) expire() int {
	to := -1
	var now int64
	for tok, ss := range lp.sessions {
		if ss.dead.Load() {
			delete(lp.sessions, tok)
			continue
		}
		if !ss.tmo {
			continue
		}
		ss.mu.Lock()
		var d int64
		if ss.head < len(ss.q) {
			d = ss.q[ss.head].deadline
		}
		ss.mu.Unlock()
		if d == 0 {
			continue
		}
		if now == 0 {
			now = time.Now().UnixNano()
		}
		if now >= d {
			ss.close(os.ErrDeadlineExceeded, true)
			delete(lp.sessions, tok)
			continue
		}
		ms := int((d - now + int64(time.Millisecond) - 1) / int64(time.Millisecond))
		if to < 0 || ms < to {
			to = ms
		}
	}
	return to
}

// readReady reads until the socket is drained (a short read or EAGAIN)
// and completes the requests whose replies are in.
func (ss *session) readReady() {
	for !ss.dead.Load() {
		if ss.w == len(ss.rbuf) {
			nb := make([]byte, 2*len(ss.rbuf))
			ss.w = copy(nb, ss.rbuf[ss.r:ss.w])
			ss.r = 0
			ss.rbuf = nb
		}
		var n int
		var rerr error
		err := ss.rc.Read(func(fd uintptr) bool {
			for {
				n, _, rerr = syscall.Recvfrom(int(fd), ss.rbuf[ss.w:], syscall.MSG_DONTWAIT)
				if rerr != syscall.EINTR {
					return true // never park: the loop waits for the edge
				}
			}
		})
		if err == nil {
			err = rerr
		}
		if err == syscall.EAGAIN {
			return
		}
		if err == nil && n == 0 {
			err = io.EOF
		}
		if err != nil {
			ss.close(err, true)
			return
		}
		short := n < len(ss.rbuf)-ss.w
		ss.w += n
		if !ss.consume() || short {
			return
		}
	}
}

// consume splits what arrived into complete replies and hands them to
// their requests in order; false when the session is closed.
func (ss *session) consume() bool {
	s := ss.sc.srv
	buf := ss.rbuf
	lens := ss.lens[:0]
	p := ss.r
	for p < ss.w {
		l := ss.rs.scan(buf[p:ss.w])
		if l < 0 {
			ss.close(syscall.EINVAL, true)
			return false
		}
		if l == 0 {
			break
		}
		lens = append(lens, l)
		p += l
	}
	ss.lens = lens
	if len(lens) > 0 {
		ss.mu.Lock()
		if ss.closed {
			ss.mu.Unlock()
			return false
		}
		if len(ss.q)-ss.head < len(lens) {
			// a reply nobody asked for: the stream is out of sync
			ss.mu.Unlock()
			ss.close(syscall.EINVAL, true)
			return false
		}
		done := append(ss.done[:0], ss.q[ss.head:ss.head+len(lens)]...)
		ss.head += len(lens)
		if ss.head == len(ss.q) {
			ss.q, ss.head = ss.q[:0], 0
		} else if ss.head > 1024 && ss.head*2 > len(ss.q) {
			ss.q = append(ss.q[:0], ss.q[ss.head:]...)
			ss.head = 0
		}
		ss.mu.Unlock()
		s.st.OutQueue.Add(-int64(len(done)))
		for i, m := range done {
			rep := buf[ss.r : ss.r+lens[i]]
			ss.r += lens[i]
			s.st.OutQueueBytes.Add(-int64(len(m.raw)))
			if m.intern {
				if len(rep) > 0 && rep[0] == '-' {
					// the replies to the proxy's own AUTH and SELECT are
					// swallowed, as twemproxy does; a refusal is logged so
					// that the clients' NOAUTH errors have an explanation
					logf(LogWarn, "server %s in pool %s: %s on connect failed: %s", s.curAddr(), s.pool.cfg.Name, internalName(m.raw), bytes.TrimRight(rep[1:], "\r\n"))
				}
				continue
			}
			s.st.Responses.Add(1)
			s.st.ResponseBytes.Add(int64(len(rep)))
			m.complete(rep, "")
		}
		clear(done)
		ss.done = done[:0]
		if s.failFlag.Load() {
			s.pool.serverOK(s)
		}
	}
	// keep the partial reply at the start of a big enough buffer
	if ss.r == ss.w {
		ss.r, ss.w = 0, 0
	} else if ss.r > 0 && (ss.w == len(buf) || ss.r > len(buf)/2) {
		ss.w = copy(buf, buf[ss.r:ss.w])
		ss.r = 0
	}
	return true
}

// internalName is the command of an internal message ("*2\r\n$4\r\nAUTH...").
func internalName(raw []byte) []byte {
	for i := 0; i < 2; i++ {
		j := bytes.Index(raw, []byte("\r\n"))
		if j < 0 {
			return raw
		}
		raw = raw[j+2:]
	}
	if j := bytes.Index(raw, []byte("\r\n")); j >= 0 {
		return raw[:j]
	}
	return raw
}
