// Event loops for client connections, as nutcracker's: each loop owns some
// clients (raw non-blocking fds in its epoll set, edge-triggered) and,
// once per iteration, reads every ready client once, parses and routes all
// its complete requests, then sends the requests of all its clients to
// each backend connection with one write. Backend readers hand finished
// batches back through the loop's ready list and an eventfd, written only
// when the loop sleeps. This replaces a goroutine per client, whose extra
// EAGAIN read, netpoller park and channel wake-up per request cost more
// than the proxying itself at pipeline 1.

package proxy

import (
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// epollET is EPOLLET as a uint32 (syscall's constant is negative).
const epollET = 1 << 31

type loop struct {
	epfd int
	efd  int // eventfd that wakes epoll_wait
	// clients by fd; only the loop goroutine touches it
	clients map[int32]*client

	mu       sync.Mutex
	ready    []*client  // clients with a finished batch, or killed
	incoming []*client  // accepted, not registered yet
	newSess  []*session // connected, not registered yet
	sleeping atomic.Bool

	// backend sessions read by this loop, by token (sessread.go)
	sessions map[int32]*session
	nextTok  int32

	groups []group // requests of this iteration, per backend connection
}

// group is what one iteration sends to one backend connection.
type group struct {
	sc *serverConn
	ms []*msg
}

var loops struct {
	once sync.Once
	all  []*loop
	err  error
	next atomic.Uint32
}

// pickLoop returns the loop for a new client (round robin), starting the
// loops on first use. They live as long as the process.
func pickLoop() (*loop, error) {
	loops.once.Do(func() {
		// one loop per 4 Ps: on 2 cores one loop (as nutcracker) beat one
		// per P at pipeline 1 (0.90-1.08 vs 0.74-0.85 of nutcracker's
		// rps) and at 16: fewer cross-thread wake-ups per request
		n := (runtime.GOMAXPROCS(0) + 3) / 4
		for i := 0; i < n; i++ {
			lp, err := newLoop()
			if err != nil {
				loops.err = err
				return
			}
			loops.all = append(loops.all, lp)
			go lp.run()
		}
	})
	if loops.err != nil && len(loops.all) == 0 {
		return nil, loops.err
	}
	return loops.all[int(loops.next.Add(1))%len(loops.all)], nil
}

func newLoop() (*loop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	efd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		syscall.Close(epfd)
		return nil, e
	}
	lp := &loop{epfd: epfd, efd: int(efd), clients: map[int32]*client{}, sessions: map[int32]*session{}}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(efd)}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, int(efd), &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(int(efd))
		return nil, err
	}
	return lp, nil
}

// add hands a new client to the loop (any goroutine).
func (lp *loop) add(cl *client) {
	lp.mu.Lock()
	lp.incoming = append(lp.incoming, cl)
	lp.mu.Unlock()
	lp.wake()
}

// notify asks the loop to step cl (any goroutine).
func (lp *loop) notify(cl *client) {
	lp.mu.Lock()
	lp.ready = append(lp.ready, cl)
	lp.mu.Unlock()
	lp.wake()
}

// wake interrupts epoll_wait, once per sleep.
func (lp *loop) wake() {
	if lp.sleeping.CompareAndSwap(true, false) {
		one := uint64(1)
		syscall.Write(lp.efd, (*[8]byte)(unsafe.Pointer(&one))[:])
	}
}

func (lp *loop) register(cl *client) {
	if cl.dead {
		return
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP | epollET, Fd: int32(cl.fd)}
	if err := syscall.EpollCtl(lp.epfd, syscall.EPOLL_CTL_ADD, cl.fd, &ev); err != nil {
		logf(LogError, "epoll add of client %s failed: %v", cl.raddr, err)
		cl.close()
		return
	}
	lp.clients[int32(cl.fd)] = cl
	cl.readable = true
	cl.step()
}

func (lp *loop) run() {
	events := make([]syscall.EpollEvent, 256)
	var ready, incoming []*client
	var newSess []*session
	var drain [8]byte
	for {
		lp.mu.Lock()
		ready, lp.ready = lp.ready, ready[:0]
		incoming, lp.incoming = lp.incoming, incoming[:0]
		newSess, lp.newSess = lp.newSess, newSess[:0]
		lp.mu.Unlock()
		for _, ss := range newSess {
			lp.registerSession(ss)
		}
		for _, cl := range incoming {
			lp.register(cl)
		}
		for _, cl := range ready {
			cl.step()
		}
		clear(ready)
		clear(incoming)
		clear(newSess)
		lp.flush()

		// sleep unless something became ready meanwhile; sleeping is set
		// first so that a request queued after expire looked wakes us
		lp.sleeping.Store(true)
		timeout := lp.expire()
		lp.mu.Lock()
		more := len(lp.ready) > 0 || len(lp.incoming) > 0 || len(lp.newSess) > 0
		lp.mu.Unlock()
		if more {
			lp.sleeping.Store(false)
			timeout = 0
		}
		n, err := syscall.EpollWait(lp.epfd, events, timeout)
		lp.sleeping.Store(false)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			logf(LogError, "epoll_wait: %v", err)
			continue
		}
		for i := 0; i < n; i++ {
			ev := &events[i]
			if ev.Fd == int32(lp.efd) {
				syscall.Read(lp.efd, drain[:])
				continue
			}
			if ev.Fd < 0 {
				if ss := lp.sessions[ev.Pad]; ss != nil {
					ss.readReady()
				}
				continue
			}
			cl := lp.clients[ev.Fd]
			if cl == nil {
				continue
			}
			if ev.Events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
				cl.readable = true
			}
			cl.step()
		}
	}
}

// forward adds m to this iteration's requests for sc.
func (lp *loop) forward(sc *serverConn, m *msg) {
	for i := range lp.groups {
		if lp.groups[i].sc == sc {
			lp.groups[i].ms = append(lp.groups[i].ms, m)
			return
		}
	}
	if len(lp.groups) < cap(lp.groups) {
		lp.groups = lp.groups[:len(lp.groups)+1]
		g := &lp.groups[len(lp.groups)-1]
		g.sc, g.ms = sc, append(g.ms[:0], m)
		return
	}
	lp.groups = append(lp.groups, group{sc: sc, ms: []*msg{m}})
}

// flush sends this iteration's requests, one write per backend connection.
func (lp *loop) flush() {
	for i := range lp.groups {
		g := &lp.groups[i]
		g.sc.queue(g.ms)
		clear(g.ms)
		g.ms = g.ms[:0]
		g.sc = nil
	}
	lp.groups = lp.groups[:0]
}
