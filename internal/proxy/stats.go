// Counters: the proxy updates proxystats' atomic counters (twemproxy's
// names) directly on the hot path; Stats exposes them, and Run serves them
// on the stats port as nutcracker does.
package proxy

import (
	"time"

	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
	"github.com/redoubt/redoubt/internal/proxy/proxystats"
)

// Version is reported in the stats document.
var Version = "0.5.0"

// newStats makes the counters for pools; a reload keeps the connection
// totals.
func newStats(pools []proxyconf.Pool, prev *proxystats.Stats) *proxystats.Stats {
	start := time.Now()
	if prev != nil {
		start = prev.Start
	}
	st := proxystats.New(Version, pools, start)
	if prev != nil {
		st.TotalConnections.Store(prev.TotalConnections.Load())
		st.CurrConnections.Store(prev.CurrConnections.Load())
	}
	return st
}

// Stats returns the live counters (pools in config order, servers in
// config order, Sentinel masters after them).
func (px *Proxy) Stats() *proxystats.Stats { return px.stats.Load() }
