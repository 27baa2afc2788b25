// Follow with the real proxy, in process, against real sentinels: pool
// alpha lists its shards with addresses, the first one wrong (Sentinel's
// answer must replace it at once); pool beta lists the same shards by name
// alone (sentinel_masters); both share the sentinels, hence one Watcher.
// After a kill -9 of the first shard's master, writes through the proxy
// reach the promoted replica, in both pools.
package sentinelwatch_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/internal/proxy"
	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
	"github.com/redoubt/redoubt/internal/proxy/sentinelwatch"
	"github.com/redoubt/redoubt/test/testutil"
)

func TestFollowWithProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers and waits for a failover")
	}
	kinds := os.Getenv("REDOUBT_SENTINEL_KINDS")
	if kinds == "" {
		kinds = "redis,redoubt"
	}
	for _, kind := range strings.Split(kinds, ",") {
		t.Run(kind, func(t *testing.T) { testFollowWithProxy(t, kind) })
	}
}

func testFollowWithProxy(t *testing.T, kind string) {
	m0 := testutil.StartRedis(t)
	r0 := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(m0.Port))
	m1 := testutil.StartRedis(t)
	conf := ""
	for _, m := range []struct {
		name string
		port int
	}{{"s0", m0.Port}, {"s1", m1.Port}} {
		conf += fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 2\nsentinel down-after-milliseconds %[1]s 1000\nsentinel failover-timeout %[1]s 5000\n", m.name, m.port)
	}
	var sentinels []*redis.Client
	list := ""
	for range 3 {
		s := testutil.StartSentinel(t, kind, conf)
		list += "   - " + s.Addr + "\n"
		c := redis.NewClient(&redis.Options{Addr: s.Addr})
		t.Cleanup(func() { c.Close() })
		sentinels = append(sentinels, c)
	}
	pool := func(name, servers string) string {
		return name + ":\n  listen: 127.0.0.1:" + strconv.Itoa(testutil.FreePort(t)) + "\n  redis: true\n  hash_tag: \"{}\"\n  sentinels:\n" + list + servers
	}
	// alpha has s0 at the replica's address: only Sentinel knows better;
	// beta knows its shards by name alone
	yml := pool("alpha", "  servers:\n   - "+r0.Addr+":1 s0\n   - "+m1.Addr+":1 s1\n") +
		pool("beta", "  sentinel_masters:\n   - s0:1\n   - s1:1\n")
	pools, err := proxyconf.Parse([]byte(yml))
	if err != nil {
		t.Fatalf("%v\n%s", err, yml)
	}
	px, err := proxy.New(pools)
	if err != nil {
		t.Fatal(err)
	}
	if err := px.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(px.Close)
	testutil.WaitFor(t, "sentinels and the replica discovered", 60*time.Second, func() error {
		for i, c := range sentinels {
			for sub, want := range map[string]int{"sentinels": 2, "replicas": 1} {
				v, err := c.Do(context.Background(), "SENTINEL", sub, "s0").Slice()
				if err != nil {
					return err
				}
				if len(v) != want {
					return fmt.Errorf("sentinel %d lists %d %s", i, len(v), sub)
				}
			}
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stop := sentinelwatch.Follow(ctx, pools, px, t.Logf)
	t.Cleanup(stop)

	pc := redis.NewClient(&redis.Options{Addr: px.Addr("alpha"), MaxRetries: -1, ReadTimeout: 10 * time.Second})
	t.Cleanup(func() { pc.Close() })
	direct := []*redis.Client{redis.NewClient(&redis.Options{Addr: m0.Addr}), redis.NewClient(&redis.Options{Addr: m1.Addr})}
	for _, c := range direct {
		t.Cleanup(func() { c.Close() })
	}
	// a key on each shard, found by where it lands
	keys := make([]string, 2)
	for n := 0; n < 200 && (keys[0] == "" || keys[1] == ""); n++ {
		k := "{t" + strconv.Itoa(n) + "}:k"
		if err := pc.Set(context.Background(), k, "before", 0).Err(); err != nil {
			t.Fatalf("SET %s through the proxy: %v", k, err)
		}
		for i, c := range direct {
			if c.Exists(context.Background(), k).Val() == 1 && keys[i] == "" {
				keys[i] = k
			}
		}
	}
	if keys[0] == "" || keys[1] == "" {
		t.Fatalf("keys on both shards not found: %q", keys)
	}
	testutil.WaitFor(t, "the replica has the key", 60*time.Second, func() error {
		c := redis.NewClient(&redis.Options{Addr: r0.Addr})
		defer c.Close()
		return c.Get(context.Background(), keys[0]).Err()
	})

	killed := time.Now()
	m0.Signal(syscall.SIGKILL)
	testutil.WaitFor(t, "a write to s0 through the proxy after the failover", 90*time.Second, func() error {
		return pc.Set(context.Background(), keys[0], "after", 0).Err()
	})
	t.Logf("%s sentinels: kill -9 to the first successful write through the proxy: %v", kind, time.Since(killed).Round(time.Millisecond))
	for i, want := range []string{"after", "before"} {
		if got, err := pc.Get(context.Background(), keys[i]).Result(); got != want {
			t.Fatalf("shard s%d: GET %s = %q, %v; want %q", i, keys[i], got, err, want)
		}
	}
	// the write went to the promoted replica
	rc := redis.NewClient(&redis.Options{Addr: r0.Addr})
	defer rc.Close()
	if got, err := rc.Get(context.Background(), keys[0]).Result(); got != "after" {
		t.Fatalf("promoted replica %s: GET %s = %q, %v", r0.Addr, keys[0], got, err)
	}
	bc := redis.NewClient(&redis.Options{Addr: px.Addr("beta"), MaxRetries: -1})
	defer bc.Close()
	if got, err := bc.Get(context.Background(), keys[0]).Result(); got != "after" {
		t.Fatalf("pool beta (same shard names, same placement): GET %s = %q, %v", keys[0], got, err)
	}
}
