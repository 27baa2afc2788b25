// Reload (SIGHUP): the new configuration replaces the pools by name.
// Clients stay connected. An unchanged pool is kept as it is (backend
// connections, counters, re-pointed addresses). A changed pool's clients
// switch to the new pool's backends with their next request, and shards
// re-pointed by SetServerAddr keep their address when their identity is
// unchanged; a listener is reopened only when its address changed; removed
// pools close their listener and clients. Old backends are closed after a
// grace period so that in-flight requests finish.

package proxy

import (
	"fmt"
	"reflect"
	"time"

	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
)

const reloadGrace = 5 * time.Second

func timeNow() int64 { return time.Now().UnixNano() }

// Reload applies a new configuration.
func (px *Proxy) Reload(pools []proxyconf.Pool) error {
	px.mu.Lock()
	defer px.mu.Unlock()
	if px.closed {
		return fmt.Errorf("proxy: closed")
	}
	seen := map[string]bool{}
	built := make([]*pool, len(pools))
	reused := make([]bool, len(pools))
	st := newStats(pools, px.stats.Load())
	for i, pc := range pools {
		if seen[pc.Name] {
			return fmt.Errorf("proxy: duplicate pool %q", pc.Name)
		}
		seen[pc.Name] = true
		var prev *pool
		if f := px.fronts[pc.Name]; f != nil {
			prev = f.pool.Load()
			if reflect.DeepEqual(prev.orig, pc) {
				// unchanged: same backends, connections and counters
				built[i], reused[i] = prev, true
				st.Pools[i] = prev.st
				continue
			}
		}
		p, err := newPool(pc, st.Pools[i])
		if err != nil {
			return err
		}
		if prev != nil {
			p.inheritAddrs(prev)
		}
		built[i] = p
	}
	var old []*pool
	var order []string
	fronts := map[string]*front{}
	for i, pc := range pools {
		p := built[i]
		f := px.fronts[pc.Name]
		if f == nil {
			f = &front{px: px, name: pc.Name, listen: pc.Listen, perm: pc.ListenPerm, clients: map[*client]struct{}{}}
			f.pool.Store(p)
			if px.started {
				if err := f.open(p.cfg.Backlog); err != nil {
					logf(LogError, "reload: %v", err)
					continue
				}
				p.start()
				go f.accept(f.ln)
			}
		} else {
			if f.listen == pc.Listen && f.perm == pc.ListenPerm && px.started && p.cfg.Backlog != f.pool.Load().cfg.Backlog {
				f.mu.Lock()
				if f.ln != nil {
					setBacklog(f.ln, p.cfg.Backlog)
				}
				f.mu.Unlock()
			}
			if f.listen != pc.Listen || f.perm != pc.ListenPerm {
				f.closeListener()
				f.listen, f.perm = pc.Listen, pc.ListenPerm
				if px.started {
					if err := f.open(p.cfg.Backlog); err != nil {
						logf(LogError, "reload: %v", err)
					} else {
						go f.accept(f.ln)
					}
				}
			}
			if !reused[i] {
				if px.started {
					p.start()
				}
				// clients keep their counters' pool
				p.st.ClientConnections.Store(f.pool.Load().st.ClientConnections.Load())
				old = append(old, f.pool.Swap(p))
			}
		}
		fronts[pc.Name] = f
		order = append(order, pc.Name)
	}
	for name, f := range px.fronts {
		if fronts[name] == nil {
			f.shutdown()
			old = append(old, f.pool.Load())
		}
	}
	px.fronts, px.order = fronts, order
	px.stats.Store(st)
	if px.started {
		time.AfterFunc(reloadGrace, func() {
			for _, p := range old {
				p.close()
			}
		})
	}
	logf(LogNotice, "reloaded %d pools", len(pools))
	return nil
}

// inheritAddrs gives shards that prev had re-pointed (SetServerAddr, e.g.
// by Sentinel) the same current address.
func (p *pool) inheritAddrs(prev *pool) {
	for _, s := range p.servers {
		for _, o := range prev.servers {
			if o.name == s.name && o.cfgAd == s.cfgAd && o.curAddr() != o.cfgAd {
				a := o.curAddr()
				s.addr.Store(&a)
			}
		}
	}
}
