// Tests against real sentinels: a redis-server master with a replica and
// another master without one, three sentinels of one kind ("redis":
// redis-sentinel, "redoubt": redoubt sentinel) watching both, and a kill -9
// of the first master. The watcher must re-point exactly the shards named
// after that master, to the promoted replica, on the +switch-master event
// (the periodic re-resolution is turned off here, so the event path alone
// is tested). Deadlines are generous; delays are logged, not asserted.
package sentinelwatch

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// kinds are the sentinel kinds under test (REDOUBT_SENTINEL_KINDS, as in
// test/sentinel).
func kinds() []string {
	v := os.Getenv("REDOUBT_SENTINEL_KINDS")
	if v == "" {
		v = "redis,redoubt"
	}
	return strings.Split(v, ",")
}

const (
	discoverWait = 60 * time.Second
	failoverWait = 90 * time.Second
)

func TestSwitchMasterRealSentinels(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers and waits for a failover")
	}
	for _, kind := range kinds() {
		t.Run(kind, func(t *testing.T) { testSwitchMaster(t, kind) })
	}
}

func testSwitchMaster(t *testing.T, kind string) {
	alphaMaster := testutil.StartRedis(t)
	alphaReplica := testutil.StartRedis(t, "--replicaof", "127.0.0.1", fmt.Sprint(alphaMaster.Port))
	beta := testutil.StartRedis(t)
	conf := ""
	for _, m := range []struct {
		name string
		port int
	}{{"alpha", alphaMaster.Port}, {"beta", beta.Port}} {
		conf += fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2\n", m.name, m.port)
		conf += fmt.Sprintf("sentinel down-after-milliseconds %s 1000\n", m.name)
		conf += fmt.Sprintf("sentinel failover-timeout %s 5000\n", m.name)
	}
	var addrs []string
	var clients []*redis.Client
	for range 3 {
		s := testutil.StartSentinel(t, kind, conf)
		addrs = append(addrs, s.Addr)
		c := redis.NewClient(&redis.Options{Addr: s.Addr, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second})
		t.Cleanup(func() { c.Close() })
		clients = append(clients, c)
	}
	// a failover needs the sentinels to know each other and the replica
	testutil.WaitFor(t, "sentinels and the replica discovered", discoverWait, func() error {
		for i, c := range clients {
			for _, sub := range []string{"sentinels", "replicas"} {
				want := map[string]int{"sentinels": 2, "replicas": 1}[sub]
				v, err := c.Do(context.Background(), "SENTINEL", sub, "alpha").Slice()
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

	// our own record of when each sentinel announced the switch
	var evMu sync.Mutex
	var events []string
	var firstSwitch time.Time
	for i, c := range clients {
		ps := c.Subscribe(context.Background(), "+switch-master")
		if _, err := ps.Receive(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ps.Close() })
		go func() {
			for m := range ps.Channel() {
				evMu.Lock()
				if firstSwitch.IsZero() {
					firstSwitch = time.Now()
				}
				events = append(events, fmt.Sprintf("%s s%d %s", time.Now().Format("15:04:05.000"), i, m.Payload))
				evMu.Unlock()
			}
		}()
	}

	rec := newRecorder()
	shards := []Shard{{"p1", "alpha"}, {"p1", "beta"}, {"p2", "alpha"}}
	w := New(addrs, shards, rec, logger(t))
	w.interval = time.Hour // the event path alone
	t.Cleanup(w.Stop)
	var subscribed sync.WaitGroup
	subscribed.Add(len(addrs))
	var once sync.Map
	w.eventWaitOK = func(s string) {
		if _, dup := once.LoadOrStore(s, true); !dup {
			subscribed.Done()
		}
	}
	got, err := w.Resolve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got[shards[0]] != alphaMaster.Addr || got[shards[1]] != beta.Addr || got[shards[2]] != alphaMaster.Addr {
		t.Fatalf("Resolve = %v; alpha is %s, beta %s", got, alphaMaster.Addr, beta.Addr)
	}
	w.Start()
	subscribed.Wait()

	killed := time.Now()
	alphaMaster.Signal(syscall.SIGKILL)
	c1 := rec.waitCall(t, shards[0], alphaReplica.Addr, failoverWait)
	c2 := rec.waitCall(t, shards[2], alphaReplica.Addr, failoverWait)
	// The test's own subscriber may see the event after the watcher has
	// acted on it, and a watcher that re-resolved after a reconnect (a
	// loaded machine can miss a PING deadline) may already have been told
	// the promoted replica's address: wait for the event, then report the
	// delays (negative in that case).
	var first time.Time
	testutil.WaitFor(t, "a +switch-master seen by the test", failoverWait, func() error {
		evMu.Lock()
		defer evMu.Unlock()
		if first = firstSwitch; first.IsZero() {
			return fmt.Errorf("none yet")
		}
		return nil
	})
	t.Logf("%s sentinels: kill -9 to first +switch-master %v; +switch-master to SetServerAddr p1/alpha %v, p2/alpha %v",
		kind, first.Sub(killed).Round(time.Millisecond), c1.at.Sub(first).Round(time.Microsecond), c2.at.Sub(first).Round(time.Microsecond))
	// every sentinel announces the switch; wait for them all so that their
	// repeats are verified too, then check nothing else was called
	waitUntil(t, "three +switch-master events", failoverWait, func() bool {
		evMu.Lock()
		defer evMu.Unlock()
		return len(events) >= 3
	})
	time.Sleep(200 * time.Millisecond) // the last verification round trip
	evMu.Lock()
	t.Logf("events:\n%s", strings.Join(events, "\n"))
	evMu.Unlock()
	if calls := rec.snapshot(); len(calls) != 2 {
		t.Fatalf("calls = %v, want p1/alpha and p2/alpha once each (and nothing for beta)", calls)
	}
}
