// A server pool: its backends, the key → backend placement (a hashkit
// Dispatcher over the live servers) and twemproxy's auto-eject rules: with
// auto_eject_hosts, server_failure_limit consecutive failures eject a
// server for server_retry_timeout, the placement is rebuilt over the live
// servers, and the first request after the earliest retry time rebuilds it
// with the servers whose retry time has passed (server_pool_update).

package proxy

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redoubt/redoubt/internal/proxy/hashkit"
	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
	"github.com/redoubt/redoubt/internal/proxy/proxystats"
)

type pool struct {
	orig    proxyconf.Pool // as given, for Reload's comparison
	cfg     proxyconf.Pool // with defaults applied
	servers []*server
	hash    hashkit.Func

	mu          sync.Mutex
	disp        atomic.Pointer[dispatch]
	nextRebuild atomic.Int64 // unix nanos of the earliest retry, 0 none

	st *proxystats.PoolStats
}

// dispatch is one placement: the Dispatcher and how many servers are live.
type dispatch struct {
	d     hashkit.Dispatcher
	nlive int
}

func newPool(cfg proxyconf.Pool, ps *proxystats.PoolStats) (*pool, error) {
	orig := cfg
	if len(cfg.SentinelMasters) > 0 {
		// shards resolved through Sentinel come after the plain ones (the
		// order of proxystats' servers); they have no address until
		// SetServerAddr gives them their master's
		cfg.Servers = append(append([]proxyconf.Server{}, cfg.Servers...), cfg.SentinelMasters...)
	}
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("pool %q: no servers", cfg.Name)
	}
	hname := cfg.Hash
	if hname == "" {
		hname = "fnv1a_64"
	}
	h, ok := hashkit.Lookup(hname)
	if !ok {
		return nil, fmt.Errorf("pool %q: unknown hash %q", cfg.Name, cfg.Hash)
	}
	if cfg.Distribution == "" {
		cfg.Distribution = "ketama"
	}
	if cfg.ServerConnections <= 0 {
		cfg.ServerConnections = 1
	}
	if cfg.ServerFailureLimit <= 0 {
		cfg.ServerFailureLimit = 2
	}
	if cfg.ServerRetryTimeout <= 0 {
		cfg.ServerRetryTimeout = 30 * time.Second
	}
	p := &pool{orig: orig, cfg: cfg, hash: h, st: ps}
	for i, sc := range cfg.Servers {
		s := &server{pool: p, idx: i, name: sc.Name, cfgAd: sc.Addr}
		if i < len(ps.Servers) {
			s.st = ps.Servers[i]
		} else {
			s.st = &proxystats.ServerStats{Name: sc.Name}
		}
		if s.name == "" {
			s.name = sc.Addr
		}
		a := sc.Addr
		s.addr.Store(&a)
		for j := 0; j < cfg.ServerConnections; j++ {
			s.conns = append(s.conns, newServerConn(s))
		}
		p.servers = append(p.servers, s)
	}
	p.mu.Lock()
	err := p.rebuildLocked(time.Now().UnixNano())
	p.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return p, nil
}

// start opens every backend connection now when preconnect is set
// (otherwise they open with the first request).
func (p *pool) start() {
	if !p.cfg.Preconnect {
		return
	}
	for _, s := range p.servers {
		for _, sc := range s.conns {
			go func() {
				if _, err := sc.ensure(); err != nil {
					logf(LogWarn, "preconnect to %s in pool %s failed: %v", s.curAddr(), p.cfg.Name, err)
				}
			}()
		}
	}
}

// close closes the backend connections; later requests fail.
func (p *pool) close() {
	for _, s := range p.servers {
		s.shut(errClosed)
		if rp := s.replicas.Load(); rp != nil {
			for _, r := range *rp {
				r.shut(errClosed)
			}
		}
	}
}

// rebuildLocked is twemproxy's server_pool_run: the servers whose retry
// time has passed are live, the next rebuild is at the earliest retry time
// of the others.
func (p *pool) rebuildLocked(now int64) error {
	live := make([]bool, len(p.servers))
	hs := make([]hashkit.Server, len(p.servers))
	nlive := 0
	var next int64
	for i, s := range p.servers {
		w := p.cfg.Servers[i].Weight
		if w <= 0 {
			w = 1
		}
		hs[i] = hashkit.Server{Name: p.cfg.Servers[i].Name, Addr: s.cfgAd, Weight: w}
		if s.nextRetry <= now {
			live[i] = true
			nlive++
		} else if next == 0 || s.nextRetry < next {
			next = s.nextRetry
		}
	}
	d, err := hashkit.New(p.cfg.Distribution, p.hash, p.cfg.HashTag, hs, live)
	if err != nil {
		return err
	}
	p.disp.Store(&dispatch{d: d, nlive: nlive})
	p.nextRebuild.Store(next)
	return nil
}

// route picks the backend of key, or returns the forward error text.
func (p *pool) route(key []byte) (*server, string) {
	if nr := p.nextRebuild.Load(); nr != 0 {
		now := time.Now().UnixNano()
		if now > nr {
			p.mu.Lock()
			if nr2 := p.nextRebuild.Load(); nr2 != 0 && now > nr2 {
				if err := p.rebuildLocked(now); err != nil {
					logf(LogError, "updating pool %s failed: %v", p.cfg.Name, err)
				}
			}
			p.mu.Unlock()
		}
	}
	d := p.disp.Load()
	if d.nlive == 0 {
		return nil, errTextRefused
	}
	i := d.d.Pick(key)
	if i < 0 || i >= len(p.servers) {
		return nil, errTextRefused
	}
	return p.servers[i], ""
}

// failure is twemproxy's server_failure: counts a failed connection of s
// and ejects it once server_failure_limit is reached.
func (p *pool) failure(s *server) {
	if s.replicaOf != nil {
		s.replicaDown()
		return
	}
	if !p.cfg.AutoEjectHosts {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now().UnixNano()
	if s.nextRetry > now {
		return // already ejected
	}
	s.failures++
	s.failFlag.Store(true)
	if s.failures < p.cfg.ServerFailureLimit {
		return
	}
	s.failures = 0
	s.nextRetry = now + int64(p.cfg.ServerRetryTimeout)
	p.st.ServerEjects.Add(1)
	s.st.ServerEjectedAt.Store(now / 1000)
	logf(LogWarn, "server %s in pool %s ejected for %v", s.name, p.cfg.Name, p.cfg.ServerRetryTimeout)
	if err := p.rebuildLocked(now); err != nil {
		logf(LogError, "updating pool %s failed: %v", p.cfg.Name, err)
	}
}

// serverOK is twemproxy's server_ok: a reply resets the failure count.
func (p *pool) serverOK(s *server) {
	p.mu.Lock()
	s.failures = 0
	s.nextRetry = 0
	s.failFlag.Store(false)
	p.mu.Unlock()
}

func (p *pool) serverByID(id string) *server {
	if id == "" {
		return nil
	}
	for _, s := range p.servers {
		if s.name == id || s.cfgAd == id {
			return s
		}
	}
	return nil
}
