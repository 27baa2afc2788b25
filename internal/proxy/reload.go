// Reload (SIGHUP): the new configuration replaces the pools by name.
// Clients stay connected: a kept pool's clients switch to the new pool's
// backends with their next request; a listener is reopened only when its
// address changed; removed pools close their listener and clients. The old
// backends are closed after a grace period so in-flight requests finish.
package proxy

import (
	"fmt"
	"time"

	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
)

const reloadGrace = 5 * time.Second

func timeNow() int64 { return time.Now().UnixNano() }

// Reload applies a new configuration.
func (px *Proxy) Reload(pools []proxyconf.Pool) error {
	seen := map[string]bool{}
	built := make([]*pool, len(pools))
	st := newStats(pools, px.stats.Load())
	for i, pc := range pools {
		if seen[pc.Name] {
			return fmt.Errorf("proxy: duplicate pool %q", pc.Name)
		}
		seen[pc.Name] = true
		p, err := newPool(pc, st.Pools[i])
		if err != nil {
			return err
		}
		built[i] = p
	}
	px.mu.Lock()
	defer px.mu.Unlock()
	if px.closed {
		return fmt.Errorf("proxy: closed")
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
				if err := f.open(); err != nil {
					logf(LogError, "reload: %v", err)
					continue
				}
				p.start()
				go f.accept(f.ln)
			}
		} else {
			if f.listen != pc.Listen || f.perm != pc.ListenPerm {
				f.closeListener()
				f.listen, f.perm = pc.Listen, pc.ListenPerm
				if px.started {
					if err := f.open(); err != nil {
						logf(LogError, "reload: %v", err)
					} else {
						go f.accept(f.ln)
					}
				}
			}
			if px.started {
				p.start()
			}
			// clients keep their counters' pool
			p.st.ClientConnections.Store(f.pool.Load().st.ClientConnections.Load())
			old = append(old, f.pool.Swap(p))
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
