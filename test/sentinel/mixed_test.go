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
// replicas' kind, and, when set, the kind whose sentinel must lead the
// failover.
type mixedCase struct {
	sentinels []string
	master    string
	replicas  string
	leader    string
}

func (c mixedCase) name() string {
	n := fmt.Sprintf("s=%s/m=%s/r=%s", strings.Join(c.sentinels, ","), c.master, c.replicas)
	if c.leader != "" {
		n += "/leader=" + c.leader
	}
	return n
}

// mixedCases builds the groups from the enabled kinds. With one sentinel
// kind and one data kind it is that kind alone. With both, the groups
// that prove interoperation: redoubt alone, one redoubt sentinel leading
// two real ones over real servers, one real sentinel leading two redoubt
// ones over redoubt servers (the reverse), a mixed group left to elect
// whoever is first, and real sentinels failing over redoubt servers.
func mixedCases() []mixedCase {
	sk, dk := sentinelKinds(), dataKinds()
	both := slices.Contains(sk, "redis") && slices.Contains(sk, "redoubt")
	if !both {
		var out []mixedCase
		for _, d := range dk {
			out = append(out, mixedCase{sentinels: []string{sk[0], sk[0], sk[0]}, master: d, replicas: d})
		}
		return out
	}
	data := func(want string) string {
		if slices.Contains(dk, want) {
			return want
		}
		return dk[0]
	}
	rd, re := data("redoubt"), data("redis")
	return []mixedCase{
		{sentinels: []string{"redoubt", "redoubt", "redoubt"}, master: rd, replicas: rd},
		{sentinels: []string{"redoubt", "redis", "redis"}, master: re, replicas: re, leader: "redoubt"},
		{sentinels: []string{"redis", "redoubt", "redoubt"}, master: rd, replicas: rd, leader: "redis"},
		{sentinels: []string{"redis", "redoubt", "redoubt"}, master: re, replicas: rd},
		{sentinels: []string{"redis", "redis", "redis"}, master: rd, replicas: rd},
	}
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
	conf := groupConf{
		name: name, masterPort: master.Port, quorum: 2, pass: pass,
		downAfter: 1000, failoverTimeout: 5000,
	}
	if c.leader != "" {
		// Only the leader's kind sees the master down soon, and alone
		// (quorum 1); the others still vote (a vote does not depend on
		// the voter's own view of the master) and follow through hello.
		conf.quorum = 1
		conf.downAfterByKind = map[string]int{}
		for _, k := range c.sentinels {
			if k != c.leader {
				conf.downAfterByKind[k] = 20000
			}
		}
	}
	g := startGroup(t, c.sentinels, conf)
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
	leaders := g.ev.matching("+elected-leader", nil)
	for _, ev := range leaders {
		t.Logf("+elected-leader on sentinel %d (%s): %s", ev.sentinel, c.sentinels[ev.sentinel], ev.payload)
	}
	if c.leader != "" && (len(leaders) == 0 || c.sentinels[leaders[0].sentinel] != c.leader) {
		t.Fatalf("the failover was to be led by a %s sentinel; +elected-leader: %v\n%s", c.leader, leaders, g.diag())
	}
}
