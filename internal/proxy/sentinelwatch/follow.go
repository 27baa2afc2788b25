// Follow: the glue between a parsed nutcracker.yml and Watchers, so that
// the proxy's Run (and Reload) needs one call to make its Sentinel-aware
// pools follow failovers.
package sentinelwatch

import (
	"context"
	"slices"
	"strings"

	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
)

// Follow makes every Sentinel-aware pool of pools (those with sentinels:)
// follow its masters: it resolves each shard (its servers' and
// sentinel_masters' names) through the sentinels, re-points the shards
// through r to what they answer, and keeps them there. Pools listing the
// same sentinels share one Watcher (one subscription per sentinel). A shard
// no sentinel can place yet is logged and placed by the periodic
// re-resolution once one can. For pools with read_from_replicas, the
// shards' usable replicas are handed to r too when it is a ReplicaSetter.
// Call it after the proxy has started; stop
// ends the watching (before the proxy closes, or before a Reload calls
// Follow again with the new pools).
func Follow(ctx context.Context, pools []proxyconf.Pool, r Repointer, logf func(format string, args ...any)) (stop func()) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	type group struct {
		sentinels []string
		shards    []Shard
		replicas  []Shard // of pools with read_from_replicas
		user      string
		pass      string
	}
	groups := map[string]*group{}
	var order []string
	for _, p := range pools {
		if len(p.Sentinels) == 0 {
			continue
		}
		// pools sharing sentinels and credentials share a Watcher
		key := slices.Clone(p.Sentinels)
		slices.Sort(key)
		key = append(key, p.SentinelUsername, p.SentinelPassword)
		k := strings.Join(key, "\x00")
		g := groups[k]
		if g == nil {
			g = &group{sentinels: p.Sentinels, user: p.SentinelUsername, pass: p.SentinelPassword}
			groups[k] = g
			order = append(order, k)
		}
		for _, s := range append(slices.Clone(p.Servers), p.SentinelMasters...) {
			g.shards = append(g.shards, Shard{Pool: p.Name, Name: s.Name})
			if p.ReadFromReplicas {
				g.replicas = append(g.replicas, Shard{Pool: p.Name, Name: s.Name})
			}
		}
	}
	var watchers []*Watcher
	for _, k := range order {
		g := groups[k]
		w := New(g.sentinels, g.shards, r, logf)
		w.SetAuth(g.user, g.pass)
		w.WantReplicas(g.replicas...)
		got, err := w.Resolve(ctx)
		if err != nil {
			logf("sentinelwatch: %v; retrying every %v", err, w.interval)
		}
		for _, s := range g.shards {
			addr, ok := got[s]
			if !ok {
				continue
			}
			if err := r.SetServerAddr(s.Pool, s.Name, addr); err != nil {
				logf("sentinelwatch: pool %s server %s: pointing to %s failed: %v", s.Pool, s.Name, addr, err)
				w.forget(s)
			}
		}
		w.Start()
		watchers = append(watchers, w)
	}
	return func() {
		for _, w := range watchers {
			w.Stop()
		}
	}
}

// forget marks a shard as not yet pointed anywhere, so that the next
// re-resolution re-points it.
func (w *Watcher) forget(s Shard) {
	w.mu.Lock()
	delete(w.applied, s)
	w.mu.Unlock()
}
