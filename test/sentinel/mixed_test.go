// Groups mixing sentinel kinds (and data node kinds): they must find each
// other through the masters' __sentinel__:hello channel, agree on one
// failover after kill -9 of the master, and all name the same new master.
// With only the redis kind enabled this is an all-real group.
package sentinel

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/redoubt/redoubt/test/testutil"
)

// mixedCase is one group: three sentinel kinds, the master's kind and the
// replicas' kind.
type mixedCase struct {
	sentinels []string
	master    string
	replicas  string
}

func (c mixedCase) name() string {
	return fmt.Sprintf("s=%s/m=%s/r=%s", strings.Join(c.sentinels, ","), c.master, c.replicas)
}

// mixedCases builds the groups from the enabled kinds: each sentinel kind
// alone, the two 1+2 mixes when both are enabled, on redis data nodes; then
// every data kind (and the two mixes) under the first sentinel kind.
func mixedCases() []mixedCase {
	sk, dk := sentinelKinds(), dataKinds()
	var out []mixedCase
	add := func(c mixedCase) {
		if !slices.ContainsFunc(out, func(o mixedCase) bool { return o.name() == c.name() }) {
			out = append(out, c)
		}
	}
	for _, k := range sk {
		add(mixedCase{[]string{k, k, k}, "redis", "redis"})
	}
	if slices.Contains(sk, "redis") && slices.Contains(sk, "redoubt") {
		add(mixedCase{[]string{"redoubt", "redis", "redis"}, "redis", "redis"})
		add(mixedCase{[]string{"redis", "redoubt", "redoubt"}, "redis", "redis"})
	}
	s0 := []string{sk[0], sk[0], sk[0]}
	for _, d := range dk {
		add(mixedCase{s0, d, d})
	}
	if slices.Contains(dk, "redis") && slices.Contains(dk, "redoubt") {
		add(mixedCase{s0, "redoubt", "redis"})
		add(mixedCase{s0, "redis", "redoubt"})
	}
	return out
}

func TestMixedGroups(t *testing.T) {
	t.Parallel()
	for _, c := range mixedCases() {
		t.Run(c.name(), func(t *testing.T) {
			t.Parallel()
			mixedGroup(t, c)
		})
	}
}

func mixedGroup(t *testing.T, c mixedCase) {
	const pass, name = "mixed-pass", "mymaster"
	master := testutil.StartKind(t, c.master, dataArgs(pass)...)
	var replicas []*testutil.Proc
	for i := 0; i < 2; i++ {
		r := testutil.StartKind(t, c.replicas, replicaArgs(pass, master.Port)...)
		waitSynced(t, node(t, r.Addr, pass))
		replicas = append(replicas, r)
	}
	g := startGroup(t, c.sentinels, groupConf{
		name: name, masterPort: master.Port, quorum: 2, pass: pass,
		downAfter: 1000, failoverTimeout: 5000,
	})
	// SENTINEL sentinels shows the two others on each, and both replicas
	g.waitDiscovery(len(replicas))

	master.Signal(syscall.SIGKILL)
	isReplica := func(a string) bool {
		return slices.ContainsFunc(replicas, func(r *testutil.Proc) bool { return r.Addr == a })
	}
	newMaster := g.waitAgree("all sentinels name one of the replicas", failoverWait, isReplica)
	waitRole(t, node(t, newMaster, pass), "master", failoverWait)
	// the leader finishes the failover once the other replica follows
	end := g.waitEvent("+failover-end", onMaster(name), failoverWait)
	t.Logf("failover finished by sentinel %d (%s); new master %s", end.sentinel, c.sentinels[end.sentinel], newMaster)

	// one failover: every sentinel switched once, all to the same address,
	// and all carry the same config epoch
	g.waitFor("each sentinel saw one +switch-master", failoverWait, func() error {
		for i := range g.sentinels {
			n := len(g.ev.matching("+switch-master", func(ev event) bool { return ev.sentinel == i }))
			if n != 1 {
				return fmt.Errorf("sentinel %d published %d +switch-master", i, n)
			}
		}
		return nil
	})
	for _, ev := range g.ev.matching("+switch-master", nil) {
		if !strings.HasSuffix(ev.payload, " "+strings.Replace(newMaster, ":", " ", 1)) {
			t.Fatalf("%v: not a switch to %s\n%s", ev, newMaster, g.diag())
		}
	}
	g.waitFor("same config-epoch everywhere", discoverWait, func() error {
		var first string
		for i := range g.sentinels {
			e, err := g.masterField(i, "config-epoch")
			if err != nil {
				return err
			}
			if i == 0 {
				first = e
			} else if e != first {
				return fmt.Errorf("config-epoch %s on sentinel 0, %s on sentinel %d", first, e, i)
			}
		}
		return nil
	})
	for _, ev := range g.ev.matching("+elected-leader", nil) {
		t.Logf("+elected-leader on sentinel %d (%s): %s", ev.sentinel, c.sentinels[ev.sentinel], ev.payload)
	}
}
