// No false failover: a master kept busy by a heavy pipelined write load,
// with a few DEBUG SLEEP 0.5 pauses (half of down-after-milliseconds), must
// not be failed over. A busy master still answers the sentinels' PINGs
// between pipelines; one that is merely slow for 0.5 s is not down.
package sentinel

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redoubt/redoubt/test/testutil"
)

func TestNoFalseFailoverUnderLoad(t *testing.T) {
	t.Parallel()
	for _, kind := range sentinelKinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			noFalseFailover(t, kind)
		})
	}
}

func noFalseFailover(t *testing.T, kind string) {
	const pass, name = "load-pass", "mymaster"
	loadFor := 30 * time.Second
	if testing.Short() {
		loadFor = 10 * time.Second
	}
	master := testutil.StartRedis(t, dataArgs(pass, "--enable-debug-command", "local")...)
	replica := testutil.StartRedis(t, replicaArgs(pass, master.Port)...)
	waitSynced(t, node(t, replica.Addr, pass))
	g := startGroup(t, []string{kind, kind, kind}, groupConf{
		name: name, masterPort: master.Port, quorum: 2, pass: pass,
		downAfter: 1000, failoverTimeout: 5000,
	})
	// a replica that could take over: a false odown would lead somewhere
	g.waitDiscovery(1)

	// the load: 4 writers, pipelines of 64 SETs of 100-byte values over
	// 100,000 keys (memory stays bounded)
	mc := node(t, master.Addr, pass)
	var ops, errs atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	val := strings.Repeat("v", 100)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed))
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				p := mc.Pipeline()
				for i := 0; i < 64; i++ {
					p.Set(ctx, fmt.Sprintf("load:%d", rng.Intn(100000)), val, 0)
				}
				if _, err := p.Exec(ctx); err != nil {
					errs.Add(1)
				} else {
					ops.Add(64)
				}
				cancel()
			}
		}(int64(w))
	}
	// DEBUG SLEEP 0.5 five times, spread over the run
	start := time.Now()
	pauses := 0
	for time.Since(start) < loadFor {
		time.Sleep(loadFor / 6)
		if time.Since(start) >= loadFor {
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := mc.Do(ctx, "DEBUG", "SLEEP", "0.5").Err(); err != nil {
			cancel()
			close(stop)
			wg.Wait()
			t.Fatalf("DEBUG SLEEP: %v", err)
		}
		cancel()
		pauses++
	}
	close(stop)
	wg.Wait()
	t.Logf("%d SETs in %v (%.0f/s), %d failed pipelines, %d DEBUG SLEEP 0.5",
		ops.Load(), loadFor, float64(ops.Load())/loadFor.Seconds(), errs.Load(), pauses)
	if ops.Load() == 0 {
		t.Fatal("the load wrote nothing")
	}

	if sd := g.ev.matching("+sdown", onMaster(name)); len(sd) > 0 {
		// allowed (a sentinel's own view), but worth seeing
		t.Logf("+sdown on the master seen %d times: %v", len(sd), sd)
	}
	for _, ch := range []string{"+odown", "+try-failover", "+switch-master"} {
		if got := g.ev.matching(ch, nil); len(got) > 0 {
			t.Fatalf("false failover: %v\n%s", got, g.diag())
		}
	}
	for i := range g.sentinels {
		if a, err := g.masterAddr(i); err != nil || a != master.Addr {
			t.Fatalf("sentinel %d: master %s %v, want %s\n%s", i, a, err, master.Addr, g.diag())
		}
	}
	if r, err := role(mc); err != nil || r != "master" {
		t.Fatalf("ROLE of the master: %s %v", r, err)
	}
}
