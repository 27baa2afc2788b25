// Read replicas of a shard (read_from_replicas): the Sentinel watcher
// hands each shard its usable replicas (SetServerReplicas); read-only
// commands go to one of them, picked by client id so that one client's
// reads stay in order on one replica. A replica is a *server of its own
// (connections, sessions, AUTH and SELECT) that shares the shard's stats
// and never takes part in placement or auto-eject: a failed connection
// only takes that replica out of reads for server_retry_timeout, during
// which its reads go to the master.

package proxy

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"
)

// SetServerReplicas gives one shard of a pool (named as for
// SetServerAddr) the replicas ("host:port") its read-only commands may go
// to; an empty list sends every command to the master again. Replicas
// already in the set keep their connections; removed ones are closed and
// their in-flight requests fail with a forward error, as on a re-point.
func (px *Proxy) SetServerReplicas(poolName, serverName string, addrs []string) error {
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("proxy: bad address %q: %v", a, err)
		}
	}
	p, s, err := px.shard(poolName, serverName)
	if err != nil {
		return err
	}
	if !p.cfg.ReadFromReplicas {
		return fmt.Errorf("proxy: pool %q does not read from replicas", poolName)
	}
	s.repMu.Lock()
	defer s.repMu.Unlock()
	var old []*server
	if rp := s.replicas.Load(); rp != nil {
		old = *rp
	}
	var next []*server
	for _, a := range addrs {
		i := slices.IndexFunc(old, func(r *server) bool { return r.cfgAd == a })
		if i >= 0 {
			next = append(next, old[i])
			old = slices.Delete(slices.Clone(old), i, i+1)
			continue
		}
		next = append(next, s.newReplica(a))
	}
	if len(next) == 0 {
		s.replicas.Store(nil)
	} else {
		s.replicas.Store(&next)
	}
	for _, r := range old {
		r.shut(errRepointed)
	}
	logf(LogNotice, "pool %s server %s reads from replicas [%s]", poolName, serverName, strings.Join(addrs, " "))
	return nil
}

// newReplica is a backend for replica addr of shard s.
func (s *server) newReplica(addr string) *server {
	r := &server{pool: s.pool, idx: s.idx, name: s.name, cfgAd: addr, st: s.st, replicaOf: s}
	r.addr.Store(&addr)
	for range s.pool.cfg.ServerConnections {
		r.conns = append(r.conns, newServerConn(r))
	}
	if s.pool.cfg.Preconnect {
		for _, sc := range r.conns {
			go sc.ensure()
		}
	}
	return r
}

// readTarget is where a read-only command of client cid for shard s
// goes: a replica that is not marked down, else the master.
func (s *server) readTarget(cid uint32) *server {
	rp := s.replicas.Load()
	if rp == nil {
		return s
	}
	now := time.Now().UnixNano()
	var buf [8]*server
	live := buf[:0]
	for _, r := range *rp {
		if r.downUntil.Load() <= now {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return s
	}
	return live[cid%uint32(len(live))]
}

// replicaDown takes a replica whose connection failed out of reads for
// server_retry_timeout; it is not a failure of the shard.
func (r *server) replicaDown() {
	if r.conns[0].closed.Load() {
		return // removed from the set: its requests failed with errClosed
	}
	now := time.Now().UnixNano()
	until := now + int64(r.pool.cfg.ServerRetryTimeout)
	if r.downUntil.Swap(until) <= now {
		logf(LogWarn, "replica %s of server %s in pool %s is down; reads go to the master for %v", r.cfgAd, r.name, r.pool.cfg.Name, r.pool.cfg.ServerRetryTimeout)
	}
}

// forRead is the backend for a read-only command routed to shard s.
func (p *pool) forRead(s *server, cid uint32) *server {
	if !p.cfg.ReadFromReplicas {
		return s
	}
	return s.readTarget(cid)
}
