// read_from_replicas with real processes: one shard (a redis-server
// master, two replicas, three sentinels) behind "redoubt proxy". Reads
// (MGET fragments too) go to the replicas and writes (DEL fragments too)
// to the master, told apart by INFO commandstats; a replica killed with kill -9 costs at most the reads in
// flight at the kill, none after the sentinels mark it +sdown; a pool
// without read_from_replicas never reads from a replica.
package proxysentinel

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

func TestProxyReadsFromReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a master, 2 replicas, 3 sentinels and 2 proxies")
	}
	skipWithoutProxy(t)
	kind := kinds()[0]
	const name = "rr"
	master := testutil.StartRedis(t)
	var replicas []*testutil.Proc
	for range 2 {
		replicas = append(replicas, testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port)))
	}
	conf := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 2\nsentinel down-after-milliseconds %[1]s 1000\nsentinel failover-timeout %[1]s 60000\n", name, master.Port)
	sh := &shard{name: name, master: master}
	for range 3 {
		p := testutil.StartSentinel(t, kind, conf)
		sh.sentinels = append(sh.sentinels, p)
		c := redis.NewClient(&redis.Options{Addr: p.Addr, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second})
		t.Cleanup(func() { c.Close() })
		sh.sclients = append(sh.sclients, c)
	}
	// every sentinel must see both replicas linked, or the proxy's list
	// would start short
	testutil.WaitFor(t, "sentinels and both replicas discovered, linked", discoverWait, func() error {
		for i, c := range sh.sclients {
			if v, err := c.Do(context.Background(), "SENTINEL", "sentinels", name).Slice(); err != nil || len(v) != 2 {
				return fmt.Errorf("sentinel %d: %d other sentinels, %v", i, len(v), err)
			}
			n, err := linkedReplicas(c, name)
			if err != nil || n != 2 {
				return fmt.Errorf("sentinel %d: %d linked replicas, %v", i, n, err)
			}
		}
		return nil
	})

	direct := map[string]*redis.Client{}
	for _, p := range append([]*testutil.Proc{master}, replicas...) {
		c := redis.NewClient(&redis.Options{Addr: p.Addr, MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		direct[p.Addr] = c
	}
	var sentinels strings.Builder
	for _, p := range sh.sentinels {
		fmt.Fprintf(&sentinels, "   - %s\n", p.Addr)
	}
	pool := func(extra string) string {
		return "alpha:\n  listen: LISTEN\n  hash: fnv1a_64\n  distribution: ketama\n  redis: true\n  auto_eject_hosts: false\n" + extra +
			"  sentinels:\n" + sentinels.String() + "  servers:\n   - " + master.Addr + ":1 " + name + "\n"
	}
	rrAddr := startProxy(t, pool("  read_from_replicas: true\n"))
	plainAddr := startProxy(t, pool(""))

	// clients with a connection each: their ids spread them over the replicas
	clients := func(addr string, n int) []*redis.Client {
		var cs []*redis.Client
		for range n {
			o := proxyOptions(addr)
			o.PoolSize, o.MinIdleConns = 1, 1
			c := redis.NewClient(o)
			t.Cleanup(func() { c.Close() })
			cs = append(cs, c)
		}
		return cs
	}
	rr := clients(rrAddr, 4)

	// (b) a write through the proxy lands on the master
	if err := rr[0].Set(context.Background(), "k", "v1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := direct[master.Addr].Get(context.Background(), "k").Result(); got != "v1" {
		t.Fatalf("SET through the proxy: the master has %q, %v", got, err)
	}
	testutil.WaitFor(t, "the replicas have the write", discoverWait, func() error {
		for _, r := range replicas {
			if got, _ := direct[r.Addr].Get(context.Background(), "k").Result(); got != "v1" {
				return fmt.Errorf("replica %s has %q", r.Addr, got)
			}
		}
		return nil
	})

	// (a) reads are served by the replicas, both of them, not the master
	// (polled: the proxy learns its replicas from the sentinels)
	testutil.WaitFor(t, "GETs through the proxy served by both replicas alone", discoverWait, func() error {
		resetStats(t, direct)
		if err := readAll(rr, 50); err != nil {
			return err
		}
		m, r0, r1 := getCalls(t, direct[master.Addr]), getCalls(t, direct[replicas[0].Addr]), getCalls(t, direct[replicas[1].Addr])
		if m != 0 || r0 == 0 || r1 == 0 || m+r0+r1 != 4*50 {
			return fmt.Errorf("GET calls: master %d, replicas %d and %d", m, r0, r1)
		}
		return nil
	})
	// fragments: MGET's to a replica, DEL's to the master; writes to the master
	resetStats(t, direct)
	for _, c := range rr {
		if err := c.MGet(context.Background(), "k", "nokey").Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.Del(context.Background(), "nokey", "nokey2").Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.Set(context.Background(), "k", "v2", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	m := direct[master.Addr]
	r0, r1 := direct[replicas[0].Addr], direct[replicas[1].Addr]
	if got := [...]int{cmdCalls(t, m, "mget"), cmdCalls(t, r0, "mget") + cmdCalls(t, r1, "mget"), cmdCalls(t, m, "del"), cmdCalls(t, m, "set")}; got != [...]int{0, 4, 4, 4} {
		t.Fatalf("MGET calls on the master %d, on the replicas %d; DEL and SET calls on the master %d, %d; want 0, 4, 4, 4", got[0], got[1], got[2], got[3])
	}

	// (d) without read_from_replicas, no GET reaches a replica
	resetStats(t, direct)
	if err := readAll(clients(plainAddr, 4), 50); err != nil {
		t.Fatal(err)
	}
	if m, r0, r1 := getCalls(t, direct[master.Addr]), getCalls(t, direct[replicas[0].Addr]), getCalls(t, direct[replicas[1].Addr]); m != 200 || r0+r1 != 0 {
		t.Fatalf("pool without read_from_replicas: GET calls master %d, replicas %d and %d", m, r0, r1)
	}

	// (c) kill -9 of a replica while clients read
	victim := replicas[1]
	sdownAt := sh.firstMatch(t, "+sdown", func(payload string) bool { return strings.HasPrefix(payload, "slave "+victim.Addr+" ") })
	type read struct {
		start time.Time
		err   error
	}
	var mu sync.Mutex
	var reads []read
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, c := range rr {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				start := time.Now()
				_, err := c.Get(context.Background(), "k").Result()
				mu.Lock()
				reads = append(reads, read{start, err})
				mu.Unlock()
				time.Sleep(time.Millisecond)
			}
		}()
	}
	defer func() { stop(); wg.Wait() }()
	victim.Signal(syscall.SIGKILL)
	var at time.Time
	testutil.WaitFor(t, "+sdown of the killed replica, then 400 more reads", failoverWait, func() error {
		if at = sdownAt(); at.IsZero() {
			return fmt.Errorf("no +sdown yet")
		}
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, r := range reads {
			if r.start.After(at) {
				n++
			}
		}
		if n < 400 {
			return fmt.Errorf("%d reads since +sdown", n)
		}
		return nil
	})
	resetStats(t, map[string]*redis.Client{"r0": direct[replicas[0].Addr]})
	testutil.WaitFor(t, "reads on the surviving replica", failoverWait, func() error {
		if n := getCalls(t, direct[replicas[0].Addr]); n == 0 {
			return fmt.Errorf("none yet")
		}
		return nil
	})
	stop()
	wg.Wait()
	failedBefore := 0
	for _, r := range reads {
		switch {
		case r.err == nil:
		case r.start.After(at):
			t.Errorf("a read started %s, after the +sdown at %s, failed: %v", r.start.Format("15:04:05.000"), at.Format("15:04:05.000"), r.err)
		default:
			failedBefore++
		}
	}
	t.Logf("%d reads; %d failed, all in flight at or soon after the kill, before the +sdown", len(reads), failedBefore)
}

// linkedReplicas counts the replicas a sentinel sees up with their link ok.
func linkedReplicas(c *redis.Client, name string) (int, error) {
	v, err := c.Do(context.Background(), "SENTINEL", "replicas", name).Slice()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range v {
		f := map[string]string{}
		if kv, ok := r.([]any); ok {
			for i := 0; i+1 < len(kv); i += 2 {
				f[fmt.Sprint(kv[i])] = fmt.Sprint(kv[i+1])
			}
		} else if m, ok := r.(map[any]any); ok {
			for k, v := range m {
				f[fmt.Sprint(k)] = fmt.Sprint(v)
			}
		}
		if f["master-link-status"] == "ok" && !strings.Contains(f["flags"], "down") && !strings.Contains(f["flags"], "disconnected") {
			n++
		}
	}
	return n, nil
}

// readAll does n GETs from each client, concurrently.
func readAll(cs []*redis.Client, n int) error {
	errs := make(chan error, len(cs))
	for _, c := range cs {
		go func() {
			for range n {
				if err := c.Get(context.Background(), "k").Err(); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range cs {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func resetStats(t *testing.T, cs map[string]*redis.Client) {
	t.Helper()
	for addr, c := range cs {
		if err := c.ConfigResetStat(context.Background()).Err(); err != nil {
			t.Fatalf("CONFIG RESETSTAT on %s: %v", addr, err)
		}
	}
}

func getCalls(t *testing.T, c *redis.Client) int { return cmdCalls(t, c, "get") }

// cmdCalls reads calls= of cmdstat_<cmd> in INFO commandstats (0 when
// the command was not called since the last reset).
func cmdCalls(t *testing.T, c *redis.Client, cmd string) int {
	t.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		rest, ok := strings.CutPrefix(line, "cmdstat_"+cmd+":calls=")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return 0
}
