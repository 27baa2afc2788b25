// The Proxy: its pools' listeners ("fronts"), start and close, and the
// re-pointing of one shard (SetServerAddr).

package proxy

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
	"github.com/redoubt/redoubt/internal/proxy/proxystats"
)

// Proxy serves a set of pools.
type Proxy struct {
	mu      sync.Mutex
	fronts  map[string]*front
	order   []string
	started bool
	closed  bool
	stats   atomic.Pointer[proxystats.Stats]
}

// front is one pool's listener and clients; the pool behind it can be
// swapped by Reload while its clients stay connected.
type front struct {
	px      *Proxy
	name    string
	listen  string
	perm    os.FileMode
	ln      net.Listener
	pool    atomic.Pointer[pool]
	mu      sync.Mutex
	clients map[*client]struct{}
	closed  bool
}

// New builds a proxy for the pools (nothing listens before Start).
func New(pools []proxyconf.Pool) (*Proxy, error) {
	px := &Proxy{fronts: map[string]*front{}}
	st := newStats(pools, nil)
	px.stats.Store(st)
	for i, pc := range pools {
		if _, dup := px.fronts[pc.Name]; dup {
			return nil, fmt.Errorf("proxy: duplicate pool %q", pc.Name)
		}
		p, err := newPool(pc, st.Pools[i])
		if err != nil {
			return nil, err
		}
		f := &front{px: px, name: pc.Name, listen: pc.Listen, perm: pc.ListenPerm, clients: map[*client]struct{}{}}
		f.pool.Store(p)
		px.fronts[pc.Name] = f
		px.order = append(px.order, pc.Name)
	}
	return px, nil
}

// Start opens every pool's listener and starts the backend connections.
func (px *Proxy) Start() error {
	px.mu.Lock()
	defer px.mu.Unlock()
	if px.started {
		return errors.New("proxy: already started")
	}
	for _, name := range px.order {
		f := px.fronts[name]
		if err := f.open(f.pool.Load().cfg.Backlog); err != nil {
			for _, n := range px.order {
				px.fronts[n].closeListener()
			}
			return err
		}
	}
	for _, name := range px.order {
		f := px.fronts[name]
		f.pool.Load().start()
		go f.accept(f.ln)
	}
	px.started = true
	return nil
}

// Addr returns the address a pool listens on (useful with port 0).
func (px *Proxy) Addr(pool string) string {
	px.mu.Lock()
	defer px.mu.Unlock()
	f := px.fronts[pool]
	if f == nil || f.ln == nil {
		return ""
	}
	return f.ln.Addr().String()
}

// Close stops listening, closes every client and backend connection.
func (px *Proxy) Close() {
	px.mu.Lock()
	defer px.mu.Unlock()
	if px.closed {
		return
	}
	px.closed = true
	for _, name := range px.order {
		f := px.fronts[name]
		f.shutdown()
		if px.started {
			f.pool.Load().close()
		}
	}
}

// SetServerAddr re-points one shard of a pool — named by its server name,
// or by its configured "host:port" when unnamed — to addr. Placement is
// unchanged (it depends on the configured name/addr, not on the current
// address); the shard's connections are closed, its in-flight requests
// fail with a forward error, and later requests go to addr. Other shards
// are not touched.
func (px *Proxy) SetServerAddr(poolName, server, addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("proxy: bad address %q: %v", addr, err)
	}
	p, s, err := px.shard(poolName, server)
	if err != nil {
		return err
	}
	if s.curAddr() == addr {
		return nil
	}
	a := addr
	s.addr.Store(&a)
	// a new master is not the old one's failures: back in service now
	p.mu.Lock()
	ejected := s.nextRetry != 0
	s.failures, s.nextRetry = 0, 0
	s.failFlag.Store(false)
	if ejected {
		p.rebuildLocked(timeNow())
	}
	p.mu.Unlock()
	s.dropSessions(errRepointed, false)
	logf(LogNotice, "pool %s server %s re-pointed to %s", poolName, server, addr)
	return nil
}

// shard finds a pool's current configuration and one of its servers, by
// the server's name or configured address.
func (px *Proxy) shard(poolName, serverName string) (*pool, *server, error) {
	px.mu.Lock()
	f := px.fronts[poolName]
	px.mu.Unlock()
	if f == nil {
		return nil, nil, fmt.Errorf("proxy: no pool %q", poolName)
	}
	p := f.pool.Load()
	s := p.serverByID(serverName)
	if s == nil {
		return nil, nil, fmt.Errorf("proxy: pool %q has no server %q", poolName, serverName)
	}
	return p, s, nil
}

func (f *front) open(backlog int) error {
	network := "tcp"
	addr := f.listen
	if strings.HasPrefix(addr, "/") {
		network = "unix"
		os.Remove(addr)
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return fmt.Errorf("proxy: pool %s: listen %s: %w", f.name, addr, err)
	}
	if network == "unix" && f.perm != 0 {
		os.Chmod(addr, f.perm)
	}
	setBacklog(ln, backlog)
	f.mu.Lock()
	f.ln = ln
	f.mu.Unlock()
	logf(LogNotice, "pool %s listening on %s", f.name, ln.Addr())
	return nil
}

// setBacklog applies nutcracker's backlog to a listening socket: Go
// listens with the kernel's somaxconn, and Linux takes a second listen()
// on a listening socket as a new backlog (the kernel still caps it at
// somaxconn, as it does nutcracker's).
func setBacklog(ln net.Listener, backlog int) {
	if backlog <= 0 {
		return
	}
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		if err := syscall.Listen(int(fd), backlog); err != nil {
			logf(LogWarn, "backlog %d on %s: %v", backlog, ln.Addr(), err)
		}
	})
}

func (f *front) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		go f.serve(c)
	}
}

// track adds (or removes) a client; false when the front is closed.
func (f *front) track(cl *client, add bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if add {
		if f.closed {
			return false
		}
		f.clients[cl] = struct{}{}
		return true
	}
	delete(f.clients, cl)
	return true
}

func (f *front) closeListener() {
	f.mu.Lock()
	ln := f.ln
	f.ln = nil
	f.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
}

// shutdown closes the listener and every client.
func (f *front) shutdown() {
	f.closeListener()
	f.mu.Lock()
	f.closed = true
	cls := make([]*client, 0, len(f.clients))
	for cl := range f.clients {
		cls = append(cls, cl)
	}
	f.mu.Unlock()
	for _, cl := range cls {
		cl.kill()
	}
}
