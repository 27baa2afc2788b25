// Package proxysentinel replays, in miniature, the architecture of the
// users' story (seed 004): shards that are each a redis-server master with
// a replica under three sentinels, and "redoubt proxy" in front with a
// Sentinel-aware pool (servers named after the Sentinel master names, plus
// a sentinels: list). A writer goes through the proxy to keys of both
// shards; one master is killed with kill -9. Twemproxy would keep sending
// to the dead master; the proxy must follow the +switch-master by itself:
// writes to that shard resume soon after the event (the delay is logged,
// not asserted), the other shard never sees an error, and every
// acknowledged write is readable afterwards.
//
// The sentinels' kind comes from REDOUBT_SENTINEL_KINDS (default
// "redoubt,redis"); the data nodes are real redis-server.
package proxysentinel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// Generous deadlines; nothing here asserts a duration.
const (
	discoverWait = 60 * time.Second
	failoverWait = 90 * time.Second
)

func kinds() []string {
	v := os.Getenv("REDOUBT_SENTINEL_KINDS")
	if v == "" {
		v = "redoubt,redis"
	}
	return strings.Split(v, ",")
}

func TestProxyFollowsFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 2 masters, 2 replicas, 6 sentinels and a proxy, and waits for a failover")
	}
	for _, kind := range kinds() {
		t.Run(kind, func(t *testing.T) { testProxyFollowsFailover(t, kind) })
	}
}

// shard is one master, its replica and their three sentinels.
type shard struct {
	name      string
	master    *testutil.Proc
	replica   *testutil.Proc
	sentinels []*testutil.Proc
	sclients  []*redis.Client
}

func startShard(t *testing.T, kind, name string) *shard {
	s := &shard{name: name}
	s.master = testutil.StartRedis(t)
	s.replica = testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(s.master.Port))
	conf := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 2\nsentinel down-after-milliseconds %[1]s 1000\nsentinel failover-timeout %[1]s 5000\n", name, s.master.Port)
	for range 3 {
		p := testutil.StartSentinel(t, kind, conf)
		s.sentinels = append(s.sentinels, p)
		c := redis.NewClient(&redis.Options{Addr: p.Addr, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second})
		t.Cleanup(func() { c.Close() })
		s.sclients = append(s.sclients, c)
	}
	return s
}

// waitDiscovery: a failover needs the sentinels to know each other and the
// replica.
func (s *shard) waitDiscovery(t *testing.T) {
	t.Helper()
	testutil.WaitFor(t, s.name+": sentinels and replica discovered", discoverWait, func() error {
		for i, c := range s.sclients {
			for sub, want := range map[string]int{"sentinels": 2, "replicas": 1} {
				v, err := c.Do(context.Background(), "SENTINEL", sub, s.name).Slice()
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
}

// firstEvent subscribes to an event channel on every sentinel of the shard
// and returns a function giving the time of the first event naming the
// shard (zero if none yet).
func (s *shard) firstEvent(t *testing.T, channel string) func() time.Time {
	return s.firstMatch(t, channel, func(payload string) bool {
		return strings.HasPrefix(payload, s.name+" ") || strings.Contains(payload, " @ "+s.name+" ")
	})
}

// firstMatch subscribes to channel on every sentinel of the shard and
// returns a function giving the time of the first message that match
// accepts (zero if none yet).
func (s *shard) firstMatch(t *testing.T, channel string, match func(payload string) bool) func() time.Time {
	var mu sync.Mutex
	var first time.Time
	for _, c := range s.sclients {
		ps := c.Subscribe(context.Background(), channel)
		if _, err := ps.Receive(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ps.Close() })
		go func() {
			for m := range ps.Channel() {
				now := time.Now()
				if match(m.Payload) {
					mu.Lock()
					if first.IsZero() {
						first = now
					}
					mu.Unlock()
				}
			}
		}()
	}
	return func() time.Time { mu.Lock(); defer mu.Unlock(); return first }
}

// startProxy runs "redoubt proxy -c conf" (stats on a free port) and waits
// until it answers PING.
func startProxy(t *testing.T, confText string) string {
	bin := testutil.RedoubtBinary(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "nutcracker.yml")
	var lastLog string
	for attempt := 0; attempt < 3; attempt++ {
		port := testutil.FreePort(t)
		if err := os.WriteFile(conf, []byte(strings.ReplaceAll(confText, "LISTEN", "127.0.0.1:"+strconv.Itoa(port))), 0o644); err != nil {
			t.Fatal(err)
		}
		logPath := filepath.Join(dir, fmt.Sprintf("proxy-%d.log", port))
		logf, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "proxy", "-c", conf, "-s", strconv.Itoa(testutil.FreePort(t)), "-a", "127.0.0.1")
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); logf.Close(); close(exited) }()
		addr := "127.0.0.1:" + strconv.Itoa(port)
		c := redis.NewClient(proxyOptions(addr))
		up := false
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			select {
			case <-exited:
			default:
				if c.Ping(context.Background()).Err() == nil {
					up = true
				}
			}
			if up || cmd.ProcessState != nil {
				break
			}
		}
		c.Close()
		if up {
			t.Cleanup(func() {
				cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(5 * time.Second):
					cmd.Process.Kill()
					<-exited
				}
				if t.Failed() {
					out, _ := os.ReadFile(logPath)
					t.Logf("--- proxy log ---\n%s", out)
				}
			})
			return addr
		}
		cmd.Process.Kill()
		<-exited
		out, _ := os.ReadFile(logPath)
		lastLog = string(out)
	}
	t.Fatalf("redoubt proxy did not start:\n%s", lastLog)
	return ""
}

// proxyOptions are go-redis options for talking through the proxy: its
// default connection setup (the proxy answers HELLO and CLIENT with
// errors go-redis passes over), no retries (each failure is recorded), and
// timeouts long enough that a loaded machine is not taken for an error.
func proxyOptions(addr string) *redis.Options {
	return &redis.Options{
		Addr: addr, MaxRetries: -1, PoolSize: 4,
		DialTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
	}
}

// write is one SET through the proxy.
type write struct {
	key        string
	start, end time.Time
	err        error
}

// writer SETs {tag}:n = n through the proxy, one at a time, keeping every
// outcome; pause stops it between writes (for the replica to catch up).
type writer struct {
	c      *redis.Client
	tag    string
	mu     sync.Mutex
	log    []write
	paused bool
	parked chan struct{} // closed by the writer once it has seen paused
}

func (w *writer) run(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	for n := 0; ctx.Err() == nil; n++ {
		w.mu.Lock()
		paused := w.paused
		if paused && w.parked != nil {
			close(w.parked) // no write of ours is in flight
			w.parked = nil
		}
		w.mu.Unlock()
		if paused {
			time.Sleep(time.Millisecond)
			n--
			continue
		}
		key := fmt.Sprintf("{%s}:%d", w.tag, n)
		wr := write{key: key, start: time.Now()}
		rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		wr.err = w.c.Set(rctx, key, strconv.Itoa(n), 0).Err()
		cancel()
		wr.end = time.Now()
		if ctx.Err() != nil && wr.err != nil {
			return // the test stopped us mid-write: neither ok nor a failure
		}
		w.mu.Lock()
		w.log = append(w.log, wr)
		w.mu.Unlock()
		time.Sleep(2 * time.Millisecond) // a steady trickle, not a benchmark
	}
}

// pause returns once the writer is idle; resume lets it go on.
func (w *writer) pause() {
	parked := make(chan struct{})
	w.mu.Lock()
	w.paused, w.parked = true, parked
	w.mu.Unlock()
	<-parked
}

func (w *writer) resume() { w.mu.Lock(); w.paused = false; w.mu.Unlock() }

func (w *writer) snapshot() []write {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]write(nil), w.log...)
}

// firstOKAfter is the first write acknowledged after t.
func firstOKAfter(log []write, t time.Time) (write, bool) {
	for _, w := range log {
		if w.err == nil && w.end.After(t) {
			return w, true
		}
	}
	return write{}, false
}

// skipWithoutProxy skips the test while the binary has no proxy role (the
// proxy core is written on another branch).
func skipWithoutProxy(t *testing.T) {
	out, _ := exec.Command(testutil.RedoubtBinary(t), "proxy", "-t", "-c", "/nonexistent").CombinedOutput()
	if bytes.Contains(out, []byte(`unknown role "proxy"`)) {
		t.Skip(`redoubt has no "proxy" role yet: needs internal/proxy and cmd/redoubt's proxy role (branch pcore) and the pool config (branch pconf)`)
	}
}

func testProxyFollowsFailover(t *testing.T, kind string) {
	skipWithoutProxy(t)
	shards := []*shard{startShard(t, kind, "shard0"), startShard(t, kind, "shard1")}
	for _, s := range shards {
		s.waitDiscovery(t)
	}
	var sentinels, servers strings.Builder
	for _, s := range shards {
		for _, p := range s.sentinels {
			fmt.Fprintf(&sentinels, "   - %s\n", p.Addr)
		}
		fmt.Fprintf(&servers, "   - %s:1 %s\n", s.master.Addr, s.name)
	}
	conf := "alpha:\n  listen: LISTEN\n  hash: fnv1a_64\n  hash_tag: \"{}\"\n  distribution: ketama\n  redis: true\n" +
		"  auto_eject_hosts: false\n  sentinels:\n" + sentinels.String() + "  servers:\n" + servers.String()
	proxyAddr := startProxy(t, conf)
	pc := redis.NewClient(proxyOptions(proxyAddr))
	t.Cleanup(func() { pc.Close() })

	// a hash tag for each shard, found by where a probe key lands
	direct := make([]*redis.Client, len(shards))
	for i, s := range shards {
		direct[i] = redis.NewClient(&redis.Options{Addr: s.master.Addr, MaxRetries: -1})
		t.Cleanup(func() { direct[i].Close() })
	}
	tags := make([]string, len(shards))
	for n := 0; n < 200 && (tags[0] == "" || tags[1] == ""); n++ {
		tag := "t" + strconv.Itoa(n)
		probe := "{" + tag + "}:probe"
		if err := pc.Set(context.Background(), probe, "1", 0).Err(); err != nil {
			t.Fatalf("SET through the proxy: %v", err)
		}
		for i := range shards {
			if direct[i].Exists(context.Background(), probe).Val() == 1 && tags[i] == "" {
				tags[i] = tag
			}
		}
	}
	if tags[0] == "" || tags[1] == "" {
		t.Fatalf("200 hash tags did not cover both shards: %v", tags)
	}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	writers := make([]*writer, len(shards))
	for i := range shards {
		writers[i] = &writer{c: pc, tag: tags[i]}
		wg.Add(1)
		go writers[i].run(ctx, &wg)
	}
	defer func() { stop(); wg.Wait() }()
	switchAt := shards[0].firstEvent(t, "+switch-master")
	promoteAt := shards[0].firstEvent(t, "+failover-state-send-slaveof-noone")
	time.Sleep(300 * time.Millisecond) // some writes before the kill

	// Replication is asynchronous: a write the master acknowledged in the
	// instant before kill -9 may never reach the replica (in Redis as in
	// any proxy). So the shard's writer pauses, the replica catches up,
	// and then the master dies; the writer resumes at once.
	victim := shards[0]
	writers[0].pause()
	testutil.WaitFor(t, "replica caught up", discoverWait, func() error {
		m, err := replOffset(direct[0], "master_repl_offset")
		if err != nil {
			return err
		}
		rc := redis.NewClient(&redis.Options{Addr: victim.replica.Addr, MaxRetries: -1})
		defer rc.Close()
		r, err := replOffset(rc, "slave_repl_offset")
		if err != nil {
			return err
		}
		if r < m {
			return fmt.Errorf("replica at %d, master at %d", r, m)
		}
		return nil
	})
	killed := time.Now()
	victim.master.Signal(syscall.SIGKILL)
	writers[0].resume()

	var resumed write
	testutil.WaitFor(t, "writes to "+victim.name+" resume after its failover", failoverWait, func() error {
		sw := switchAt()
		if sw.IsZero() {
			return errors.New("no +switch-master yet")
		}
		w, ok := firstOKAfter(writers[0].snapshot(), killed)
		if !ok {
			return errors.New("no successful write since the kill")
		}
		resumed = w
		return nil
	})
	sw := switchAt()
	// the order: nothing can succeed on the shard between the kill and the
	// promotion (the master is dead, the replica read-only). The bound is
	// the start of the promotion, not +switch-master: while the replicas
	// are reconfigured the leader already answers get-master-addr-by-name
	// with the promoted replica, and a watcher asking then is right to
	// follow it before the event.
	pr := promoteAt()
	if pr.IsZero() || !resumed.end.After(pr) {
		t.Fatalf("a write to %s succeeded at %s, before its promotion began (%s)", victim.name, resumed.end.Format("15:04:05.000"), pr.Format("15:04:05.000"))
	}
	// a little more traffic on the new master, then stop
	testutil.WaitFor(t, "more writes on the new master", failoverWait, func() error {
		n := 0
		for _, w := range writers[0].snapshot() {
			if w.err == nil && w.end.After(resumed.end) {
				n++
			}
		}
		if n < 20 {
			return fmt.Errorf("%d writes since resuming", n)
		}
		return nil
	})
	stop()
	wg.Wait()

	var failed0 int
	for _, w := range writers[0].snapshot() {
		if w.err != nil {
			failed0++
		}
	}
	t.Logf("kill -9 at %s, +switch-master at %s, first acknowledged write at %s", killed.Format("15:04:05.000"), sw.Format("15:04:05.000"), resumed.end.Format("15:04:05.000"))
	t.Logf("%s sentinels: kill -9 of %s's master -> +switch-master %v -> first acknowledged write through the proxy %v (the write started %v after the event); %d writes to %s failed meanwhile",
		kind, victim.name, sw.Sub(killed).Round(time.Millisecond), resumed.end.Sub(sw).Round(time.Millisecond), resumed.start.Sub(sw).Round(time.Millisecond), failed0, victim.name)

	// the other shard never noticed
	other := writers[1].snapshot()
	for _, w := range other {
		if w.err != nil {
			t.Errorf("write %s to %s (untouched shard) started %s, failed at %s: %v", w.key, shards[1].name, w.start.Format("15:04:05.000"), w.end.Format("15:04:05.000"), w.err)
		}
	}
	t.Logf("%s: %d writes, all acknowledged", shards[1].name, len(other))

	// every acknowledged write is there, read back through the proxy
	checked := 0
	for i, wr := range writers {
		for _, w := range wr.snapshot() {
			if w.err != nil {
				continue
			}
			v, err := pc.Get(context.Background(), w.key).Result()
			n := w.key[strings.LastIndexByte(w.key, ':')+1:]
			if err != nil || v != n {
				t.Errorf("%s: acknowledged %s = %s reads back %q, %v", shards[i].name, w.key, n, v, err)
			}
			checked++
		}
	}
	t.Logf("%d acknowledged writes read back", checked)
}

// replOffset reads a numeric field of INFO replication.
func replOffset(c *redis.Client, field string) (int64, error) {
	info, err := c.Info(context.Background(), "replication").Result()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in INFO replication", field)
}
