package proxy_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
	"github.com/redoubt/redoubt/test/testutil"
)

// The same raw requests to nutcracker and to the proxy, over the same
// backends, give byte-identical replies (and close the connection in the
// same cases).
func TestDifferentialWithNutcracker(t *testing.T) {
	// each proxy has its own backends, so that their writes do not meet
	ncB, bs := backends(t, 2), backends(t, 2)
	mk := func(name string, bs []*testutil.Proc) (proxyconf.Pool, proxyconf.Pool) {
		plain := poolFor(t, name+"plain", bs)
		auth := poolFor(t, name+"auth", bs[:1])
		auth.RedisAuth = "s3cret"
		auth.RedisDB = 3
		return plain, auth
	}
	ncPlain, ncAuth := mk("nc", ncB)
	ourPlain, ourAuth := mk("rd", bs)
	nutcracker(t, yamlOf(ncPlain, ncAuth))
	startProxy(t, ourPlain, ourAuth)

	plainCases := []string{
		cmd("PING"),
		cmd("SET", "k1", "v1") + cmd("GET", "k1") + cmd("GET", "nokey"),
		cmd("MSET", "a", "1", "b", "2", "c", "3", "d", "4") + cmd("MGET", "a", "x", "b", "c", "d"),
		cmd("DEL", "a", "b", "zz") + cmd("EXISTS", "c") + cmd("TOUCH", "c", "d"),
		cmd("set", "lower", "x") + cmd("gEt", "lower"),
		cmd("INCR", "n") + cmd("INCRBY", "n", "5") + cmd("GET", "n"),
		cmd("EVAL", "return KEYS[1]", "1", "ek"),
		cmd("EVAL", "return 1", "0"),
		cmd("GET", "k1") + cmd("KEYS", "*") + cmd("PING"),
		cmd("SELECT", "0"),
		cmd("PING", "hello"),
		cmd("GET"),
		cmd("GET", "a", "b"),
		cmd("MSET", "a"),
		cmd("QUIT") + cmd("PING"),
		cmd("AUTH", "x"),
		cmd("INFO"),
		cmd("FLUSHALL"),
		"PING\r\n",
		"*0\r\n",
		cmd("HSET", "h", "f", "v") + cmd("HGETALL", "h") + cmd("GET", "h"),
		cmd("LPUSH", "l", "a", "b") + cmd("LRANGE", "l", "0", "-1"),
		cmd("ZADD", "z", "1", "m") + cmd("ZRANGE", "z", "0", "-1", "WITHSCORES"),
		cmd("SETEX", "ex", "100", "v") + cmd("TTL", "ex"),
		cmd("DEL", "h", "l", "z", "ex", "n", "k1", "c", "d", "lower", "ek"),
	}
	authCases := []string{
		cmd("GET", "a") + cmd("PING"),
		cmd("AUTH", "bad") + cmd("GET", "a"),
		cmd("AUTH", "s3cret") + cmd("SET", "dbkey", "v") + cmd("GET", "dbkey") + cmd("PING"),
		cmd("AUTH", "s3cret") + cmd("SELECT", "3"),
		cmd("QUIT"),
	}
	run := func(t *testing.T, nc, ours string, cases []string) {
		for _, c := range cases {
			a := dialRaw(t, nc).exchange(c, 150*time.Millisecond)
			b := dialRaw(t, ours).exchange(c, 150*time.Millisecond)
			if a != b {
				t.Errorf("request %q:\n nutcracker %q\n proxy      %q", c, a, b)
			}
		}
	}
	t.Run("plain", func(t *testing.T) { run(t, ncPlain.Listen, ourPlain.Listen, plainCases) })
	t.Run("auth", func(t *testing.T) { run(t, ncAuth.Listen, ourAuth.Listen, authCases) })
	// redis_db: the key written through the proxy is in db 3 of the backend
	r := dialRaw(t, bs[0].Addr)
	if got := r.exchange(cmd("SELECT", "3")+cmd("GET", "dbkey"), 200*time.Millisecond); got != "+OK\r\n$1\r\nv\r\n" {
		t.Fatalf("redis_db: %q", got)
	}
}

// A backend that never answers: the request fails after timeout with
// nutcracker's text, and so does the same request to nutcracker.
func TestTimeout(t *testing.T) {
	stall := stallServer(t)
	mk := func(name string) proxyconf.Pool {
		pc := proxyconf.Pool{Name: name, Listen: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
			Hash: "fnv1a_64", Distribution: "ketama", Redis: true, Timeout: 300 * time.Millisecond,
			Servers: []proxyconf.Server{{Addr: stall, Weight: 1}}}
		return pc
	}
	nc, ours := mk("nc"), mk("rd")
	nutcracker(t, yamlOf(nc))
	px := startProxy(t, ours)
	for _, addr := range []string{nc.Listen, ours.Listen} {
		start := time.Now()
		got := dialRaw(t, addr).exchange(cmd("GET", "a")+cmd("GET", "b"), time.Second)
		if got != "-ERR Connection timed out\r\n-ERR Connection timed out\r\n" {
			t.Fatalf("%s: %q", addr, got)
		}
		if d := time.Since(start); d < 250*time.Millisecond {
			t.Fatalf("timed out after %v", d)
		}
	}
	ps := px.Stats().Pools[0]
	if n := ps.Servers[0].ServerTimedout.Load(); n != 1 {
		t.Fatalf("server_timedout = %d", n)
	}
	if n := ps.ForwardError.Load(); n != 2 {
		t.Fatalf("forward_error = %d", n)
	}
}
