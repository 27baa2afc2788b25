package proxy_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

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
// them; after a restart and server_retry_timeout they come back.
func TestAutoEjectAndRetry(t *testing.T) {
	bs := backends(t, 3)
	pc := poolFor(t, "alpha", bs)
	pc.AutoEjectHosts = true
	pc.ServerFailureLimit = 2
	pc.ServerRetryTimeout = 1500 * time.Millisecond
	pc.Timeout = 500 * time.Millisecond
	px := startProxy(t, pc)
	r := dialRaw(t, pc.Listen)
	victim := keysOn(t, pc, nil, 1, 5)
	for _, k := range victim {
		if got := r.exchange(cmd("SET", k, "old"), 100*time.Millisecond); got != "+OK\r\n" {
			t.Fatalf("SET: %q", got)
		}
	}
	dir := bs[1].Dir
	port := bs[1].Port
	bs[1].Signal(os.Kill)
	// the first failures: one per broken connection
	var got []string
	for i := 0; i < 2; i++ {
		got = append(got, r.exchange(cmd("GET", victim[0]), 200*time.Millisecond))
	}
	for _, g := range got {
		if !strings.HasPrefix(g, "-ERR ") {
			t.Fatalf("before ejection: %q", got)
		}
	}
	if px.Stats()[0].ServerEjects != 1 {
		t.Fatalf("server_ejects = %d after %q", px.Stats()[0].ServerEjects, got)
	}
	// ejected: keys go to their place among the live servers
	live := []bool{true, false, true}
	for _, k := range victim {
		if got := r.exchange(cmd("SET", k, "moved"), 100*time.Millisecond); got != "+OK\r\n" {
			t.Fatalf("SET while ejected: %q", got)
		}
		o := owner(t, pc, live, k)
		if v := dialRaw(t, bs[o].Addr).exchange(cmd("GET", k), 100*time.Millisecond); v != "$5\r\nmoved\r\n" {
			t.Fatalf("%s not on backend %d while ejected: %q", k, o, v)
		}
	}
	// back after a restart and the retry timeout
	testutil.StartKindAt(t, "redis", dir, port)
	time.Sleep(pc.ServerRetryTimeout + 200*time.Millisecond)
	for _, k := range victim {
		if got := r.exchange(cmd("SET", k, "back"), 100*time.Millisecond); got != "+OK\r\n" {
			t.Fatalf("SET after retry: %q", got)
		}
		if v := dialRaw(t, bs[1].Addr).exchange(cmd("GET", k), 100*time.Millisecond); v != "$4\r\nback\r\n" {
			t.Fatalf("%s did not come back: %q", k, v)
		}
	}
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
