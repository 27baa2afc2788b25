// SetServerAddr, Reload, backend AUTH/SELECT and preconnect, Sentinel
// shards without an address.

package proxy_test

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt/redoubt/internal/proxy"

	"github.com/redoubt/redoubt/test/testutil"
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

// Backends with requirepass get AUTH (and SELECT redis_db) from the proxy
// on connect; preconnect opens the connections before any request.
func TestBackendAuthAndPreconnect(t *testing.T) {
	b := testutil.StartRedis(t, "--requirepass", "s3cret")
	pc := poolFor(t, "alpha", []*testutil.Proc{b})
	pc.RedisAuth = "s3cret"
	pc.RedisDB = 5
	pc.Preconnect = true
	pc.ServerConnections = 2
	px := startProxy(t, pc)
	deadline := time.Now().Add(2 * time.Second)
	for px.Stats().Pools[0].Servers[0].ServerConnections.Load() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("preconnect: %d connections", px.Stats().Pools[0].Servers[0].ServerConnections.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := dialRaw(t, pc.Listen)
	if got := r.do(cmd("AUTH", "s3cret")) + r.do(cmd("SET", "ak", "v")) + r.do(cmd("GET", "ak")); got != "+OK\r\n+OK\r\n$1\r\nv\r\n" {
		t.Fatalf("through the proxy: %q", got)
	}
	d := dialRaw(t, b.Addr)
	if got := d.do(cmd("AUTH", "s3cret")) + d.do(cmd("SELECT", "5")) + d.do(cmd("GET", "ak")); got != "+OK\r\n+OK\r\n$1\r\nv\r\n" {
		t.Fatalf("on the backend, db 5: %q", got)
	}
}

// A Sentinel pool's shards have no address until SetServerAddr names
// their master: until then requests get "Connection refused".
func TestSentinelShardsWaitForAddr(t *testing.T) {
	b := testutil.StartRedis(t)
	pc := proxyconfPool{Name: "sent", Listen: poolFor(t, "x", nil).Listen, Hash: "fnv1a_64", Distribution: "ketama",
		Redis: true, Sentinels: []string{"127.0.0.1:1"},
		SentinelMasters: []proxyconfServer{{Name: "m1", Weight: 1}, {Name: "m2", Weight: 1}}}
	px := startProxy(t, pc)
	r := dialRaw(t, pc.Listen)
	if got := r.do(cmd("GET", "a")); got != "-ERR Connection refused\r\n" {
		t.Fatalf("before: %q", got)
	}
	for _, m := range []string{"m1", "m2"} {
		if err := px.SetServerAddr("sent", m, b.Addr); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.do(cmd("SET", "a", "1")) + r.do(cmd("GET", "a")); got != "+OK\r\n$1\r\n1\r\n" {
		t.Fatalf("after: %q", got)
	}
	if n := len(px.Stats().Pools[0].Servers); n != 2 {
		t.Fatalf("%d servers in stats", n)
	}
}

// Reload keeps an unchanged pool as it is (counters, connections) and a
// re-pointed shard's address, also in a changed pool.
func TestReloadKeepsRepointedShards(t *testing.T) {
	bs := backends(t, 2)
	spare := backends(t, 1)[0]
	pc := poolFor(t, "alpha", bs)
	pc.Servers[0].Name, pc.Servers[1].Name = "s0", "s1"
	px := startProxy(t, pc)
	k := keysOn(t, pc, nil, 1, 1)[0]
	dialRaw(t, spare.Addr).do(cmd("SET", k, "spare"))
	if err := px.SetServerAddr("alpha", "s1", spare.Addr); err != nil {
		t.Fatal(err)
	}
	r := dialRaw(t, pc.Listen)
	if got := r.do(cmd("GET", k)); got != "$5\r\nspare\r\n" {
		t.Fatalf("re-pointed: %q", got)
	}
	reqs := px.Stats().Pools[0].Servers[1].Requests.Load()
	if err := px.Reload([]proxyconfPool{pc}); err != nil {
		t.Fatal(err)
	}
	if n := px.Stats().Pools[0].Servers[1].Requests.Load(); n != reqs {
		t.Fatalf("unchanged pool lost its counters: %d, was %d", n, reqs)
	}
	if got := r.do(cmd("GET", k)); got != "$5\r\nspare\r\n" {
		t.Fatalf("after an unchanged reload: %q", got)
	}
	pc.Timeout = 2 * time.Second
	if err := px.Reload([]proxyconfPool{pc}); err != nil {
		t.Fatal(err)
	}
	if got := r.do(cmd("GET", k)); got != "$5\r\nspare\r\n" {
		t.Fatalf("after a changed reload: %q", got)
	}
}

// A backend refusing the proxy's AUTH: clients get the backend's NOAUTH
// errors (nutcracker swallows the AUTH reply too), and the log says why.
func TestBackendAuthRefusalLogged(t *testing.T) {
	b := testutil.StartRedis(t, "--requirepass", "s3cret")
	pc := poolFor(t, "alpha", []*testutil.Proc{b})
	pc.RedisAuth = "wrong"
	var log lockedBuffer
	proxy.SetLog(&log, proxy.LogNotice)
	t.Cleanup(func() { proxy.SetLog(os.Stderr, proxy.LogNotice) })
	startProxy(t, pc)
	r := dialRaw(t, pc.Listen)
	r.do(cmd("AUTH", "wrong"))
	if got := r.do(cmd("GET", "k")); !strings.HasPrefix(got, "-NOAUTH") {
		t.Fatalf("GET with the backend refusing AUTH: %q", got)
	}
	if want := "server " + b.Addr + " in pool alpha: AUTH on connect failed: WRONGPASS"; !strings.Contains(log.String(), want) {
		t.Fatalf("log lacks %q:\n%s", want, log.String())
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
