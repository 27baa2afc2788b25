package proxy_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redoubt/redoubt/internal/proxy"
	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
	"github.com/redoubt/redoubt/test/testutil"
)

// keysOn returns n keys placed on backend idx (with the given live set).
func keysOn(t *testing.T, pc proxyconf.Pool, live []bool, idx, n int) []string {
	var ks []string
	for i := 0; len(ks) < n && i < 100000; i++ {
		k := fmt.Sprintf("%d:ek", i*7919)
		if owner(t, pc, live, k) == idx {
			ks = append(ks, k)
		}
	}
	return ks
}

// Killing a backend: its keys fail with nutcracker's error until
// server_failure_limit failures eject it, then move where twemproxy moves
// them; after a restart and server_retry_timeout they come back. The same
// steps run against nutcracker give the same replies.
func TestAutoEjectAndRetry(t *testing.T) {
	var seqs [2][]string
	for run, kind := range []string{"nutcracker", "proxy"} {
		bs := backends(t, 3)
		pc := poolFor(t, "alpha", bs)
		pc.AutoEjectHosts = true
		pc.ServerFailureLimit = 2
		pc.ServerRetryTimeout = 3 * time.Second
		pc.Timeout = 500 * time.Millisecond
		var px *proxy.Proxy
		if kind == "nutcracker" {
			nutcracker(t, yamlOf(pc))
		} else {
			px = startProxy(t, pc)
		}
		r := dialRaw(t, pc.Listen)
		victim := keysOn(t, pc, nil, 1, 5)
		for _, k := range victim {
			if got := r.do(cmd("SET", k, "old")); got != "+OK\r\n" {
				t.Fatalf("%s: SET: %q", kind, got)
			}
		}
		dir := bs[1].Dir
		port := bs[1].Port
		bs[1].Signal(os.Kill)
		time.Sleep(100 * time.Millisecond)
		// errors until the ejection, then the key's new place (empty)
		for i := 0; i < 4; i++ {
			seqs[run] = append(seqs[run], r.do(cmd("GET", victim[0])))
		}
		if px != nil && px.Stats().Pools[0].ServerEjects.Load() != 1 {
			t.Fatalf("server_ejects = %d after %q", px.Stats().Pools[0].ServerEjects.Load(), seqs[run])
		}
		t.Logf("%s after the kill: %q", kind, seqs[run])
		// ejected: keys go to their place among the live servers
		live := []bool{true, false, true}
		for _, k := range victim {
			if got := r.do(cmd("SET", k, "moved")); got != "+OK\r\n" {
				t.Fatalf("%s: SET while ejected: %q", kind, got)
			}
			o := owner(t, pc, live, k)
			if v := dialRaw(t, bs[o].Addr).do(cmd("GET", k)); v != "$5\r\nmoved\r\n" {
				t.Fatalf("%s: %s not on backend %d while ejected: %q", kind, k, o, v)
			}
		}
		// back after a restart and the retry timeout
		testutil.StartKindAt(t, "redis", dir, port)
		time.Sleep(pc.ServerRetryTimeout + 200*time.Millisecond)
		for _, k := range victim {
			if got := r.do(cmd("SET", k, "back")); got != "+OK\r\n" {
				t.Fatalf("%s: SET after retry: %q", kind, got)
			}
			if v := dialRaw(t, bs[1].Addr).do(cmd("GET", k)); v != "$4\r\nback\r\n" {
				t.Fatalf("%s: %s did not come back: %q", kind, k, v)
			}
		}
	}
	if fmt.Sprint(seqs[0]) != fmt.Sprint(seqs[1]) {
		t.Fatalf("after the kill:\n nutcracker %q\n proxy      %q", seqs[0], seqs[1])
	}
	t.Logf("after the kill: %q", seqs[1])
}

// All servers ejected: nutcracker's "Connection refused" without waiting,
// and a multi-key request closes the client after its error.
func TestAllEjected(t *testing.T) {
	port := freePort(t)
	pc := proxyconf.Pool{Name: "dead", Listen: fmt.Sprintf("127.0.0.1:%d", freePort(t)), Hash: "fnv1a_64",
		Distribution: "ketama", Redis: true, AutoEjectHosts: true, ServerFailureLimit: 1,
		ServerRetryTimeout: 10 * time.Second, Servers: []proxyconf.Server{{Addr: fmt.Sprintf("127.0.0.1:%d", port), Weight: 1}}}
	nc := pc
	nc.Name = "ncdead"
	nc.Listen = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	nutcracker(t, yamlOf(nc))
	startProxy(t, pc)
	for _, addr := range []string{nc.Listen, pc.Listen} {
		r := dialRaw(t, addr)
		got := r.exchange(cmd("GET", "a"), 200*time.Millisecond) + r.exchange(cmd("GET", "a")+cmd("MGET", "a", "b"), 200*time.Millisecond)
		if got != "-ERR Connection refused\r\n-ERR Connection refused\r\n-ERR Connection refused\r\n<EOF>" {
			t.Fatalf("%s: %q", addr, got)
		}
	}
}
