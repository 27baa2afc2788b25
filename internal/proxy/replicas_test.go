// Unit tests of read_from_replicas without backends: which commands are
// read-only, and which backend a read goes to as replicas come, go down
// and leave.

package proxy

import (
	"testing"

	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
)

func TestReadOnlyCommands(t *testing.T) {
	for _, name := range []string{"get", "mget", "exists", "hgetall", "lrange", "zrangebyscore", "strlen", "ttl"} {
		if !commands[name].ro {
			t.Errorf("%s: not read-only", name)
		}
	}
	for _, name := range []string{"set", "del", "mset", "incr", "eval", "evalsha", "getset", "getex", "sort", "lpop", "expire", "ping", "auth"} {
		if commands[name].ro {
			t.Errorf("%s: read-only", name)
		}
	}
}

func TestReadTarget(t *testing.T) {
	yml := "p:\n  listen: 127.0.0.1:1\n  redis: true\n  server_retry_timeout: 3600000\n  read_from_replicas: true\n" +
		"  sentinels:\n   - 127.0.0.1:1\n  servers:\n   - 127.0.0.1:2:1 s0\n" +
		"q:\n  listen: 127.0.0.1:3\n  redis: true\n  sentinels:\n   - 127.0.0.1:1\n  servers:\n   - 127.0.0.1:2:1 s0\n"
	pools, err := proxyconf.Parse([]byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	px, err := New(pools)
	if err != nil {
		t.Fatal(err)
	}
	p := px.fronts["p"].pool.Load()
	s := p.servers[0]
	if got := p.forRead(s, 1); got != s {
		t.Fatal("a read went to a replica before there was one")
	}
	if err := px.SetServerReplicas("p", "s0", []string{"127.0.0.1:11", "127.0.0.1:12"}); err != nil {
		t.Fatal(err)
	}
	r0, r1 := p.forRead(s, 0), p.forRead(s, 1)
	if r0.replicaOf != s || r1.replicaOf != s || r0 == r1 || p.forRead(s, 2) != r0 {
		t.Fatalf("reads by client id: %s, %s", r0.cfgAd, r1.cfgAd)
	}
	if r0.st != s.st {
		t.Fatal("a replica does not count into its shard's stats")
	}
	// a failed replica: its reads go elsewhere, the shard is not failing
	p.failure(r1)
	if p.forRead(s, 1) != r0 || s.failures != 0 || r1.failures != 0 {
		t.Fatal("a down replica still read from, or counted as a failure of the shard")
	}
	p.failure(r0)
	if p.forRead(s, 0) != s {
		t.Fatal("with every replica down, reads do not go to the master")
	}
	// a new list keeps the replicas it still names
	if err := px.SetServerReplicas("p", "s0", []string{"127.0.0.1:12", "127.0.0.1:13"}); err != nil {
		t.Fatal(err)
	}
	rp := *s.replicas.Load()
	if len(rp) != 2 || rp[0] != r1 || rp[1].cfgAd != "127.0.0.1:13" || !r0.conns[0].closed.Load() {
		t.Fatalf("replicas after the change: %v", rp)
	}
	if err := px.SetServerReplicas("p", "s0", nil); err != nil || p.forRead(s, 5) != s {
		t.Fatalf("no replicas left: %v", err)
	}
	if err := px.SetServerReplicas("q", "s0", []string{"127.0.0.1:11"}); err == nil {
		t.Fatal("replicas accepted for a pool without read_from_replicas")
	}
}
