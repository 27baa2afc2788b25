package proxy_test

import (
	"strings"
	"testing"
	"time"
)

// SetServerAddr moves one shard to a new backend: its keys (same
// placement) now read from the new address, the other shards' connections
// are untouched, and an in-flight request on the old one fails.
func TestSetServerAddr(t *testing.T) {
	bs := backends(t, 3)
	spare := backends(t, 1)[0]
	pc := poolFor(t, "alpha", bs)
	pc.Servers[1].Name = "shard1"
	px := startProxy(t, pc)
	r := dialRaw(t, pc.Listen)
	k1 := keysOn(t, pc, nil, 1, 3)
	k0 := keysOn(t, pc, nil, 0, 3)
	for _, k := range append(k1, k0...) {
		r.exchange(cmd("SET", k, "old"), 50*time.Millisecond)
	}
	dialRaw(t, spare.Addr).exchange(cmd("SET", k1[0], "new"), 50*time.Millisecond)
	// a slow request in flight on the shard being moved
	slow := dialRaw(t, pc.Listen)
	slow.c.Write([]byte(cmd("EVAL", "local t=redis.call('time') while true do local n=redis.call('time') if (n[1]-t[1])*1000000+(n[2]-t[2]) > 300000 then break end end return 1", "1", k1[1])))
	time.Sleep(50 * time.Millisecond)
	before := px.Stats().Pools[0].Servers[0].ServerConnections.Load()
	if err := px.SetServerAddr("alpha", "shard1", spare.Addr); err != nil {
		t.Fatal(err)
	}
	if got := slow.exchange("", 500*time.Millisecond); !strings.HasPrefix(got, "-ERR ") {
		t.Fatalf("in-flight request on the moved shard: %q", got)
	}
	if got := r.exchange(cmd("GET", k1[0]), 100*time.Millisecond); got != "$3\r\nnew\r\n" {
		t.Fatalf("moved shard read %q", got)
	}
	if got := r.exchange(cmd("GET", k0[0]), 100*time.Millisecond); got != "$3\r\nold\r\n" {
		t.Fatalf("other shard read %q", got)
	}
	s0 := &px.Stats().Pools[0].Servers[0].ServerCounters
	if s0.ServerConnections.Load() != before || s0.ServerEOF.Load()+s0.ServerErr.Load() != 0 {
		t.Fatalf("other shard touched: conns %d (was %d), eof %d, err %d", s0.ServerConnections.Load(), before, s0.ServerEOF.Load(), s0.ServerErr.Load())
	}
	// an unnamed shard is known by its configured address
	if err := px.SetServerAddr("alpha", bs[2].Addr, spare.Addr); err != nil {
		t.Fatal(err)
	}
	if err := px.SetServerAddr("alpha", "nosuch", spare.Addr); err == nil {
		t.Fatal("unknown shard accepted")
	}
}

// Reload keeps client connections; a changed listen address is reopened.
func TestReloadKeepsClients(t *testing.T) {
	bs := backends(t, 2)
	pc := poolFor(t, "alpha", bs)
	px := startProxy(t, pc)
	r := dialRaw(t, pc.Listen)
	if got := r.exchange(cmd("SET", "rk", "1"), 50*time.Millisecond); got != "+OK\r\n" {
		t.Fatal(got)
	}
	pc2 := pc
	pc2.Timeout = time.Second
	beta := poolFor(t, "beta", bs[:1])
	if err := px.Reload(append([]proxyconfPool{pc2}, beta)); err != nil {
		t.Fatal(err)
	}
	if got := r.exchange(cmd("GET", "rk"), 100*time.Millisecond); got != "$1\r\n1\r\n" {
		t.Fatalf("after reload: %q", got)
	}
	if got := dialRaw(t, beta.Listen).exchange(cmd("PING"), 100*time.Millisecond); got != "+PONG\r\n" {
		t.Fatalf("new pool: %q", got)
	}
	// move alpha's listener: the old client stays, new ones use the new port
	pc3 := pc2
	pc3.Listen = poolFor(t, "x", bs).Listen
	if err := px.Reload(append([]proxyconfPool{pc3}, beta)); err != nil {
		t.Fatal(err)
	}
	if got := r.exchange(cmd("GET", "rk"), 100*time.Millisecond); got != "$1\r\n1\r\n" {
		t.Fatalf("old client after listen change: %q", got)
	}
	if got := dialRaw(t, pc3.Listen).exchange(cmd("GET", "rk"), 100*time.Millisecond); got != "$1\r\n1\r\n" {
		t.Fatalf("new listener: %q", got)
	}
}
