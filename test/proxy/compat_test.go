// Differential tests: the same raw requests to nutcracker 0.5.0 and to the
// proxy over equivalent backends must get byte-identical replies.

package proxy_test

import (
	"fmt"
	"net"
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

// A backend that closes the connection on a request: the forward error
// text is nutcracker's.
func TestBackendCloseErrorText(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 1024)
				c.Read(buf)
				c.Close()
			}()
		}
	}()
	mk := func(name string) proxyconf.Pool {
		return proxyconf.Pool{Name: name, Listen: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
			Hash: "fnv1a_64", Distribution: "ketama", Redis: true,
			Servers: []proxyconf.Server{{Addr: ln.Addr().String(), Weight: 1}}}
	}
	nc, ours := mk("nc"), mk("rd")
	nutcracker(t, yamlOf(nc))
	startProxy(t, ours)
	a := dialRaw(t, nc.Listen).do(cmd("GET", "a"))
	b := dialRaw(t, ours.Listen).do(cmd("GET", "a"))
	if a != b {
		t.Fatalf("nutcracker %q, proxy %q", a, b)
	}
	t.Logf("reply: %q", a)
}

// One backend down (no auto-eject): single and multi-key requests that
// touch it get nutcracker's replies, byte for byte.
func TestDeadBackendDifferential(t *testing.T) {
	mk := func(name string) proxyconf.Pool {
		live := backends(t, 1)[0]
		return proxyconf.Pool{Name: name, Listen: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
			Hash: "fnv1a_64", Distribution: "ketama", Redis: true,
			Servers: []proxyconf.Server{{Addr: live.Addr, Weight: 1, Name: "live"},
				{Addr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), Weight: 1, Name: "dead"}}}
	}
	nc, ours := mk("nc"), mk("rd")
	nutcracker(t, yamlOf(nc))
	startProxy(t, ours)
	// keys on each side (placement by name: the same in both pools)
	onLive := keysOn(t, ours, nil, 0, 3)
	onDead := keysOn(t, ours, nil, 1, 3)
	cases := []string{
		cmd("SET", onLive[0], "1") + cmd("GET", onLive[0]),
		cmd("GET", onDead[0]),
		cmd("MGET", onLive[0], onDead[0], onLive[1]),
		cmd("SET", onLive[0], "1") + cmd("MGET", onLive[0], onLive[1]) + cmd("PING"),
		cmd("DEL", onLive[0], onDead[1]),
		cmd("MSET", onDead[0], "a", onLive[2], "b"),
		cmd("MGET", onDead[0], onDead[1]) + cmd("GET", onLive[2]),
	}
	for _, c := range cases {
		a := dialRaw(t, nc.Listen).exchange(c, 200*time.Millisecond)
		b := dialRaw(t, ours.Listen).exchange(c, 200*time.Millisecond)
		if a != b {
			t.Errorf("request %q:\n nutcracker %q\n proxy      %q", c, a, b)
		}
	}
}

// Backends answering errors (requirepass, no redis_auth in the pool):
// single-key errors pass through, fragmented ones are coalesced as
// nutcracker does.
func TestBackendErrorDifferential(t *testing.T) {
	mk := func(name string) proxyconf.Pool {
		pc := proxyconf.Pool{Name: name, Listen: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
			Hash: "fnv1a_64", Distribution: "ketama", Redis: true}
		for i := 0; i < 2; i++ {
			b := testutil.StartRedis(t, "--requirepass", "pw")
			pc.Servers = append(pc.Servers, proxyconf.Server{Addr: b.Addr, Weight: 1, Name: fmt.Sprintf("s%d", i)})
		}
		return pc
	}
	nc, ours := mk("nc"), mk("rd")
	nutcracker(t, yamlOf(nc))
	startProxy(t, ours)
	k0 := keysOn(t, ours, nil, 0, 2)
	k1 := keysOn(t, ours, nil, 1, 2)
	cases := []string{
		cmd("GET", k0[0]) + cmd("PING"),
		cmd("MGET", k0[0], k1[0]) + cmd("PING"),
		cmd("DEL", k0[0], k1[0]) + cmd("PING"),
		cmd("MSET", k0[0], "1", k1[0], "2") + cmd("PING"),
		cmd("MGET", k0[0], k0[1]) + cmd("PING"),
	}
	for _, c := range cases {
		a := dialRaw(t, nc.Listen).exchange(c, 200*time.Millisecond)
		b := dialRaw(t, ours.Listen).exchange(c, 200*time.Millisecond)
		if a != b {
			t.Errorf("request %q:\n nutcracker %q\n proxy      %q", c, a, b)
		}
	}
}

// HELLO and CLIENT, which go-redis v9 and other current clients send on
// every new connection, are where the proxy departs from nutcracker on
// purpose: nutcracker closes the connection (so those clients cannot use
// it), the proxy answers Redis's unknown-command error and keeps the
// connection, so the client carries on in RESP2. Other unsupported
// commands still close the connection, as nutcracker does.
func TestConnectionSetupCommands(t *testing.T) {
	bs := backends(t, 1)
	nc, ours := poolFor(t, "nc", bs), poolFor(t, "rd", bs)
	nutcracker(t, yamlOf(nc))
	startProxy(t, ours)
	req := cmd("HELLO", "3") + cmd("CLIENT", "SETINFO", "LIB-NAME", "go-redis") + cmd("PING")
	if got := dialRaw(t, nc.Listen).exchange(req, 200*time.Millisecond); got != "<EOF>" {
		t.Fatalf("nutcracker answered %q; this test documents that it closes", got)
	}
	want := "-ERR unknown command 'HELLO', with args beginning with: '3' \r\n" +
		"-ERR unknown command 'CLIENT', with args beginning with: 'SETINFO' 'LIB-NAME' 'go-redis' \r\n" +
		"+PONG\r\n"
	if got := dialRaw(t, ours.Listen).exchange(req, 200*time.Millisecond); got != want {
		t.Fatalf("proxy: %q\nwant    %q", got, want)
	}
	// and a go-redis client with its defaults works through the proxy
	c := client(t, ours.Listen)
	if err := c.Set(ctx, "setup", "ok", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "setup").Result(); err != nil || v != "ok" {
		t.Fatalf("GET through the proxy: %q %v", v, err)
	}
}
