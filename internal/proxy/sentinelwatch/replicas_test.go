// Tests of the replica lists: which replicas SENTINEL REPLICAS makes
// usable, which sentinel's list wins, and when the ReplicaSetter is told.
package sentinelwatch

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestUsableReplicas(t *testing.T) {
	f := func(addr, flags, link string) []any {
		host, port := addr[:len(addr)-5], addr[len(addr)-4:]
		return []any{"name", addr, "ip", host, "port", port, "flags", flags, "master-link-status", link}
	}
	reply := []any{
		f("10.0.0.9:6382", "slave", "ok"),
		f("10.0.0.1:6381", "slave", "ok"),
		f("10.0.0.2:6381", "s_down,slave", "ok"),
		f("10.0.0.3:6381", "slave,o_down", "ok"),
		f("10.0.0.4:6381", "slave,disconnected", "ok"),
		f("10.0.0.5:6381", "slave", "err"),
	}
	got, ok := usableReplicas(reply)
	if want := []string{"10.0.0.1:6381", "10.0.0.9:6382"}; !ok || !slices.Equal(got, want) {
		t.Fatalf("usableReplicas = %v, %v; want %v (sorted, the down, disconnected and unlinked left out)", got, ok, want)
	}
	if got, ok := usableReplicas([]any{}); !ok || got == nil || len(got) != 0 {
		t.Fatalf("no replicas: %v, %v; want an empty list", got, ok)
	}
	if _, ok := usableReplicas(respError("ERR No such master with that name")); ok {
		t.Fatal("an error reply taken as a list")
	}
}

func TestPickReplicas(t *testing.T) {
	a, b := []string{"r1", "r2"}, []string{"r1"}
	for _, c := range []struct {
		lists [][]string
		want  []string
	}{
		{[][]string{a, a, b}, a}, // the majority
		{[][]string{a, b}, b},    // a tie: the shorter
		{[][]string{{"r2"}, {"r1"}}, []string{"r1"}},
		{[][]string{{}}, []string{}},
	} {
		if got := pickReplicas(c.lists); !slices.Equal(got, c.want) {
			t.Errorf("pickReplicas(%v) = %v, want %v", c.lists, got, c.want)
		}
	}
}

// repRecorder is a Repointer and ReplicaSetter.
type repRecorder struct {
	*recorder
	mu   sync.Mutex
	sets []string // "pool/server [a b]"
}

func (r *repRecorder) SetServerReplicas(pool, server string, addrs []string) error {
	r.mu.Lock()
	r.sets = append(r.sets, fmt.Sprintf("%s/%s %v", pool, server, addrs))
	r.mu.Unlock()
	return nil
}

func (r *repRecorder) snapshotSets() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sets)
}

func (r *repRecorder) waitSets(t *testing.T, want ...string) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("SetServerReplicas calls %q", want), fakeWait, func() bool {
		return slices.Equal(r.snapshotSets(), want)
	})
}

// The list of the sentinel with the newest master answer wins; the setter
// hears of the shards that want replicas only, and only of changes; a
// replica event naming our master makes the watcher look again at once,
// and a +switch-master brings the new master's replicas.
func TestFakeReplicas(t *testing.T) {
	ahead, behind := newFakeSentinel(t), newFakeSentinel(t)
	ahead.set("alpha", "10.0.0.1:6379", 1)
	ahead.setReplicas("alpha", "10.0.0.3:6379 slave ok", "10.0.0.2:6379 slave ok", "10.0.0.4:6379 slave,s_down ok")
	behind.set("alpha", "10.0.0.9:6379", 0)
	behind.setReplicas("alpha", "10.0.0.8:6379 slave ok")
	ahead.set("beta", "10.0.1.1:6379", 0)
	ahead.setReplicas("beta", "10.0.1.2:6379 slave ok")
	rec := &repRecorder{recorder: newRecorder()}
	shards := []Shard{{"p1", "alpha"}, {"p2", "alpha"}, {"p1", "beta"}}
	w := fastWatcher(t, []string{behind.addr(), ahead.addr()}, shards, rec, time.Hour)
	w.WantReplicas(shards[0]) // p1 reads from replicas; p2 and beta's pool do not
	if _, err := w.Resolve(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec.waitSets(t, "p1/alpha [10.0.0.2:6379 10.0.0.3:6379]")

	w.Start()
	waitUntil(t, "subscribed", fakeWait, func() bool { return ahead.subscribers() == 1 && behind.subscribers() == 1 })
	// a replica goes down: the +sdown makes the watcher ask again
	ahead.setReplicas("alpha", "10.0.0.3:6379 slave ok", "10.0.0.2:6379 slave,s_down ok")
	ahead.publishOn("+sdown", "slave 10.0.0.2:6379 10.0.0.2 6379 @ alpha 10.0.0.1 6379")
	rec.waitSets(t, "p1/alpha [10.0.0.2:6379 10.0.0.3:6379]", "p1/alpha [10.0.0.3:6379]")
	// events about others' replicas, or about masters, are not ours
	ahead.setReplicas("alpha", "10.0.0.3:6379 slave ok", "10.0.0.2:6379 slave ok")
	ahead.publishOn("+sdown", "slave 10.0.1.2:6379 10.0.1.2 6379 @ beta 10.0.1.1 6379")
	ahead.publishOn("+sdown", "master alpha 10.0.0.1 6379")
	time.Sleep(200 * time.Millisecond)
	if got := rec.snapshotSets(); len(got) != 2 {
		t.Fatalf("calls after events not about alpha's replicas: %q", got)
	}
	// a failover: the old master comes back as a replica, not yet linked
	ahead.set("alpha", "10.0.0.3:6379", 2)
	ahead.setReplicas("alpha", "10.0.0.2:6379 slave ok", "10.0.0.1:6379 slave,s_down err")
	ahead.publish("alpha 10.0.0.1 6379 10.0.0.3 6379")
	rec.waitCall(t, shards[0], "10.0.0.3:6379", fakeWait)
	rec.waitSets(t, "p1/alpha [10.0.0.2:6379 10.0.0.3:6379]", "p1/alpha [10.0.0.3:6379]", "p1/alpha [10.0.0.2:6379]")
	// it is back: -sdown
	ahead.setReplicas("alpha", "10.0.0.2:6379 slave ok", "10.0.0.1:6379 slave ok")
	ahead.publishOn("-sdown", "slave 10.0.0.1:6379 10.0.0.1 6379 @ alpha 10.0.0.3 6379")
	rec.waitSets(t, "p1/alpha [10.0.0.2:6379 10.0.0.3:6379]", "p1/alpha [10.0.0.3:6379]", "p1/alpha [10.0.0.2:6379]", "p1/alpha [10.0.0.1:6379 10.0.0.2:6379]")
}

// Without WantReplicas nothing asks for or sets replicas, and the
// subscription is to +switch-master alone.
func TestFakeNoReplicasWanted(t *testing.T) {
	f := newFakeSentinel(t)
	f.set("alpha", "10.0.0.1:6379", 0)
	f.setReplicas("alpha", "10.0.0.2:6379 slave ok")
	rec := &repRecorder{recorder: newRecorder()}
	w := fastWatcher(t, []string{f.addr()}, []Shard{{"p", "alpha"}}, rec, 50*time.Millisecond)
	if _, err := w.Resolve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ch := w.channels(); !slices.Equal(ch, []string{"+switch-master"}) {
		t.Fatalf("channels = %v", ch)
	}
	w.Start()
	waitUntil(t, "a few re-resolutions", fakeWait, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.queries >= 4
	})
	if got := rec.snapshotSets(); len(got) != 0 {
		t.Fatalf("SetServerReplicas calls: %q", got)
	}
}
