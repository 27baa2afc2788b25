// Replays seed 000 (a user's Chinese walkthrough of a Redis master/replica
// pair under three sentinels): master with requirepass, replica with
// masterauth, sentinels with auth-pass, the master killed with kill -QUIT,
// the replica promoted, and the old master, restarted, turned into a
// replica of the new one. Each kind replays it whole: redis-server under
// redis-sentinel, and redoubt servers under redoubt sentinels.
package sentinel

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/redoubt/redoubt/test/testutil"
)

// The seed's values. Its sentinel.conf says "sentinel monitor TestMaster
// 127.0.0.1 7003 1" (quorum 1) with down-after 1500 and failover-timeout
// 10000, and we keep them; its fixed ports (7003, 8003, 26371-26373) are
// replaced by free ones so the tests can run in parallel, and its stale
// known-sentinel/config-epoch lines (another machine's run IDs) are left
// out.
const (
	seedPass = "0234kz9*l"
	seedName = "TestMaster"
)

func TestSeedWalkthrough(t *testing.T) {
	t.Parallel()
	for _, kind := range sentinelKinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			seedWalkthrough(t, kind)
		})
	}
}

func seedWalkthrough(t *testing.T, kind string) {
	ctx := context.Background()
	masterDir := t.TempDir()
	master := testutil.StartKindAt(t, kind, masterDir, 0, dataArgs(seedPass)...)
	replica := testutil.StartKind(t, kind, replicaArgs(seedPass, master.Port)...)
	rc := node(t, replica.Addr, seedPass)

	// the seed's data: "select 1", "set name zhangsan", read on the replica
	m1 := dbClient(t, master.Addr, seedPass, 1)
	if err := m1.Set(ctx, "name", "zhangsan", 0).Err(); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, rc)
	r1 := dbClient(t, replica.Addr, seedPass, 1)
	if err := testutil.Poll(discoverWait, func() error {
		v, err := r1.Get(ctx, "name").Result()
		if err != nil || v != "zhangsan" {
			return fmt.Errorf("replica GET name: %q %v", v, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	g := startGroup(t, []string{kind, kind, kind}, groupConf{
		name: seedName, masterPort: master.Port, quorum: 1, pass: seedPass,
		downAfter: 1500, failoverTimeout: 10000,
	})
	g.waitDiscovery(1)
	for i := range g.sentinels {
		if a, err := g.masterAddr(i); err != nil || a != master.Addr {
			t.Fatalf("sentinel %d: master %s %v, want %s", i, a, err, master.Addr)
		}
	}

	// "kill -QUIT 24000"
	master.Signal(syscall.SIGQUIT)

	g.waitEvent("+sdown", onMaster(seedName), failoverWait)
	odown := g.waitEvent("+odown", onMaster(seedName), failoverWait)
	sw := g.waitEvent("+switch-master", func(ev event) bool { return strings.HasPrefix(ev.payload, seedName+" ") }, failoverWait)
	want := fmt.Sprintf("%s 127.0.0.1 %d 127.0.0.1 %d", seedName, master.Port, replica.Port)
	if sw.payload != want {
		t.Fatalf("+switch-master %q, want %q", sw.payload, want)
	}
	g.waitAgree("all sentinels name the replica", failoverWait, func(a string) bool { return a == replica.Addr })
	waitRole(t, rc, "master", failoverWait)
	if v, err := r1.Get(ctx, "name").Result(); err != nil || v != "zhangsan" {
		t.Fatalf("new master GET name: %q %v", v, err)
	}
	// "查看sentinel日志": the walkthrough reads the switch in the logs. A
	// sentinel that saw the master objectively down logged +sdown; one whose own
	// down-after had not run out yet when the leader's new configuration
	// reached it switches without one (redoubt's failover can finish within
	// the few milliseconds between the sentinels' timers).
	for i := range g.sentinels {
		g.waitLog(i, "+switch-master "+want, failoverWait)
	}
	g.waitLog(odown.sentinel, "+sdown master "+seedName+" ", failoverWait)
	// the seed's sentinel.conf files carry what Sentinel wrote back into
	// them: the new master, the other sentinels, the epochs
	for i := range g.sentinels {
		g.waitConf(i, failoverWait,
			fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 1", seedName, replica.Port),
			"sentinel known-sentinel "+seedName+" ",
			"sentinel config-epoch "+seedName+" ",
			"sentinel current-epoch ")
	}
	if ev := g.ev.matching("+elected-leader", nil); len(ev) > 0 {
		t.Logf("leader: sentinel %d (%s)", ev[0].sentinel, ev[0].payload)
	}

	// "./redis-server ./redis.conf": the old master comes back, as a master
	// with an empty dataset, on its old port; a sentinel turns it into a
	// replica of the new master (after it shows up in an INFO, ~10 s)
	old := testutil.StartKindAt(t, kind, masterDir, master.Port, dataArgs(seedPass)...)
	g.waitEvent("+convert-to-slave", func(ev event) bool {
		return strings.Contains(ev.payload, fmt.Sprintf("127.0.0.1:%d", old.Port))
	}, failoverWait)
	oc := node(t, old.Addr, seedPass)
	waitRole(t, oc, "slave", failoverWait)
	waitSynced(t, oc)
	o1 := dbClient(t, old.Addr, seedPass, 1)
	if err := testutil.Poll(failoverWait, func() error {
		v, err := o1.Get(ctx, "name").Result()
		if err != nil || v != "zhangsan" {
			return fmt.Errorf("old master GET name: %q %v", v, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range g.sentinels {
		g.waitConf(i, failoverWait, fmt.Sprintf("sentinel known-replica %s 127.0.0.1 %d", seedName, old.Port))
	}
	// "SENTINEL slaves TestMaster" lists the old master
	g.waitFor("old master listed as a replica", discoverWait, func() error {
		for i := range g.sentinels {
			v, err := g.cmd(i, "SENTINEL", "replicas", seedName)
			if err != nil {
				return err
			}
			if !strings.Contains(fmt.Sprint(v), fmt.Sprintf("127.0.0.1:%d", old.Port)) {
				return fmt.Errorf("sentinel %d replicas: %v", i, v)
			}
		}
		return nil
	})
}
