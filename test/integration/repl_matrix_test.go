package integration

// repl_matrix_test.go is replication between every pairing of redoubt and
// the real redis-server: redis master → redoubt replica, redoubt →
// redoubt, a chain of three (with a real Redis at the end too), and a
// promotion where the other replicas continue from the promoted one by
// its replid2. Each checks identical data sets key by key after the full
// sync, after 100k mixed writes, after a dropped link (a partial resync)
// and after the promotion.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// noSyncDelay starts a diskless full sync at once instead of after
// Redis's default 5 s wait for more replicas; DEBUG is enabled for the
// DEBUG DIGEST comparisons.
var noSyncDelay = []string{"--repl-diskless-sync-delay", "0", "--enable-debug-command", "local"}

// replNode is one server of a replication test with its client.
type replNode struct {
	name string
	p    *testutil.Proc
	c    *redis.Client
}

func newReplNode(t *testing.T, name string, p *testutil.Proc) *replNode {
	c := redis.NewClient(&redis.Options{Addr: p.Addr, ReadTimeout: time.Minute})
	t.Cleanup(func() { c.Close() })
	return &replNode{name: name, p: p, c: c}
}

func (n *replNode) info(t *testing.T, field string) string {
	t.Helper()
	return infoValue(n.c.Info(context.Background(), "replication", "stats").Val(), field)
}

func (n *replNode) replicaOf(t *testing.T, m *replNode) {
	t.Helper()
	if err := n.c.Do(context.Background(), "REPLICAOF", "127.0.0.1", m.p.Port).Err(); err != nil {
		t.Fatalf("%s REPLICAOF %s: %v", n.name, m.name, err)
	}
}

// groupReadCounter is a consumer group's entries-read and lag: Redis 7.0
// propagates a group read as XCLAIM ... LASTID, which leaves entries-read
// unknown on every replica (a real Redis replica shows nil where its
// master shows a count), so master and replica differ there by design.
var groupReadCounter = regexp.MustCompile(`entries-read:\S* lag:\S*`)

func maskGroupReadCounters(dump []string) []string {
	out := make([]string, len(dump))
	for i, l := range dump {
		out[i] = groupReadCounter.ReplaceAllString(l, "<entries-read>")
	}
	return out
}

// wantSyncs checks how many partial and full resyncs n served
// (sync_partial_ok, sync_full), with the logs of procs when not.
func (n *replNode) wantSyncs(t *testing.T, partial, full int, why string, procs ...*testutil.Proc) {
	t.Helper()
	ok, fl := n.info(t, "sync_partial_ok"), n.info(t, "sync_full")
	if ok != strconv.Itoa(partial) || fl != strconv.Itoa(full) {
		t.Errorf("%s: sync_partial_ok=%s sync_full=%s, want %d and %d (%s)\n%s", n.name, ok, fl, partial, full, why, logsOf(procs...))
	}
}

// sameData compares the replicas' data sets with the master's, after
// each has processed the master's whole stream.
func sameData(t *testing.T, what string, m *replNode, replicas ...*replNode) {
	t.Helper()
	want := maskGroupReadCounters(datasetDump(t, m.p.Addr))
	for _, r := range replicas {
		waitReplicaInSync(t, m.c, r.c)
		got := maskGroupReadCounters(datasetDump(t, r.p.Addr))
		if len(got) != len(want) {
			t.Errorf("%s: %s has %d keys, %s %d", what, r.name, len(got), m.name, len(want))
		}
		diffStates(t, fmt.Sprintf("%s: %s vs %s", what, r.name, m.name), want, got)
		sameDigest(t, what, m, r)
	}
	if len(want) < 100 {
		t.Fatalf("%s: only %d keys: the test writes too little", what, len(want))
	}
}

// sameAsReference compares a redoubt replica with a real Redis replica of
// the same master, entirely: what Redis's replica makes of the stream
// (entries-read included) is what ours must make of it.
func sameAsReference(t *testing.T, what string, m, ref, r *replNode) {
	t.Helper()
	waitReplicaInSync(t, m.c, ref.c)
	waitReplicaInSync(t, m.c, r.c)
	diffStates(t, fmt.Sprintf("%s: %s vs %s", what, r.name, ref.name), datasetDump(t, ref.p.Addr), datasetDump(t, r.p.Addr))
	sameDigest(t, what, ref, r)
}

// sameDigest compares DEBUG DIGEST of a replica r with its upstream m's,
// whose algorithm redoubt shares with Redis: it covers what the dump does
// not (logically expired keys still stored, the encodings' contents seen
// by Redis's own iteration). m is read before and after the replica, so a
// change on m in between (an active expiry) means trying again.
func sameDigest(t *testing.T, what string, m, r *replNode) {
	t.Helper()
	ctx := context.Background()
	digest := func(n *replNode) string {
		d, err := n.c.Do(ctx, "DEBUG", "DIGEST").Text()
		if err != nil {
			t.Fatalf("%s: DEBUG DIGEST on %s: %v", what, n.name, err)
		}
		return d
	}
	for try := 0; ; try++ {
		before := digest(m)
		waitReplicaInSync(t, m.c, r.c)
		got := digest(r)
		if after := digest(m); after != before && try < 5 {
			continue
		}
		if got != before {
			t.Errorf("%s: DEBUG DIGEST of %s is %s, of %s %s", what, r.name, got, m.name, before)
		}
		if before == strings.Repeat("0", 40) {
			t.Errorf("%s: DEBUG DIGEST of %s is all zeros (an empty dataset)", what, m.name)
		}
		return
	}
}

func logsOf(ps ...*testutil.Proc) string {
	var b strings.Builder
	for _, p := range ps {
		l, _ := os.ReadFile(p.Log)
		fmt.Fprintf(&b, "--- %s\n%s\n", p.Addr, l)
	}
	return b.String()
}

// TestReplRedisMasterRedoubtReplica: a redoubt replica of a real Redis
// master, through a full sync, 100k mixed writes and a dropped link.
func TestReplRedisMasterRedoubtReplica(t *testing.T) {
	ctx := context.Background()
	m := newReplNode(t, "redis master", testutil.StartRedis(t, noSyncDelay...))
	fillRDBDataset(t, m.c, 2000)
	r := newReplNode(t, "redoubt replica", testutil.StartRedoubt(t, append(noSyncDelay, "--replicaof", "127.0.0.1", strconv.Itoa(m.p.Port))...))
	ref := newReplNode(t, "redis replica", testutil.StartRedis(t, append(noSyncDelay, "--replicaof", "127.0.0.1", strconv.Itoa(m.p.Port))...))
	sameData(t, "after the full sync", m, r)

	mixedWrites(t, m.p.Addr, 100000, 1)
	aofEffectOps(t, m.p.Addr)
	sameData(t, "after 100k writes", m, r)
	sameAsReference(t, "after 100k writes", m, ref, r)
	if id, want := r.info(t, "master_replid"), m.info(t, "master_replid"); id != want {
		t.Errorf("replica's master_replid %s, master's %s", id, want)
	}

	// the replica drops its link: it continues from its offset
	if err := r.c.Do(ctx, "CLIENT", "KILL", "TYPE", "master").Err(); err != nil {
		t.Fatal(err)
	}
	mixedWrites(t, m.p.Addr, 4000, 2)
	sameData(t, "after a dropped link", m, r)
	sameAsReference(t, "after a dropped link", m, ref, r)
	m.wantSyncs(t, 1, 2, "one full sync per replica, the dropped link continued", m.p, r.p)
	if err := r.c.Set(ctx, "x", "1", 0).Err(); err == nil || err.Error() != "READONLY You can't write against a read only replica." {
		t.Errorf("write on the replica: %v", err)
	}
}

// TestReplRedoubtChain: A → B → {C, D}: redoubt master and replica, with a
// redoubt and a real Redis replica of the replica. All share A's replid
// and offsets; B's dropped link to A resumes without disturbing C and D.
func TestReplRedoubtChain(t *testing.T) {
	ctx := context.Background()
	a := newReplNode(t, "A (redoubt master)", testutil.StartRedoubt(t, noSyncDelay...))
	fillRDBDataset(t, a.c, 2000)
	b := newReplNode(t, "B (redoubt replica of A)", testutil.StartRedoubt(t, append(noSyncDelay, "--replicaof", "127.0.0.1", strconv.Itoa(a.p.Port))...))
	sameData(t, "B after its full sync", a, b)
	c := newReplNode(t, "C (redoubt replica of B)", testutil.StartRedoubt(t, append(noSyncDelay, "--replicaof", "127.0.0.1", strconv.Itoa(b.p.Port))...))
	d := newReplNode(t, "D (redis replica of B)", testutil.StartRedis(t, append(noSyncDelay, "--replicaof", "127.0.0.1", strconv.Itoa(b.p.Port))...))
	sameData(t, "C and D after their full syncs", b, c, d)

	mixedWrites(t, a.p.Addr, 100000, 3)
	aofEffectOps(t, a.p.Addr)
	sameData(t, "B after 100k writes", a, b)
	sameData(t, "C and D after 100k writes", b, c, d)
	for _, n := range []*replNode{b, c, d} {
		if id, want := n.info(t, "master_replid"), a.info(t, "master_replid"); id != want {
			t.Errorf("%s: master_replid %s, A's %s", n.name, id, want)
		}
		if off, want := n.info(t, "master_repl_offset"), a.info(t, "master_repl_offset"); off != want {
			t.Errorf("%s: master_repl_offset %s, A's %s", n.name, off, want)
		}
	}

	if err := b.c.Do(ctx, "CLIENT", "KILL", "TYPE", "master").Err(); err != nil {
		t.Fatal(err)
	}
	mixedWrites(t, a.p.Addr, 4000, 4)
	sameData(t, "B after its dropped link", a, b)
	sameData(t, "C and D after B's dropped link", b, c, d)
	a.wantSyncs(t, 1, 1, "B's dropped link continued", a.p, b.p)
	b.wantSyncs(t, 0, 2, "C and D kept their links", b.p, c.p)
	// WAIT on A counts B's acknowledgement (a GETACK answered at once)
	w := redis.NewClient(&redis.Options{Addr: a.p.Addr, PoolSize: 1})
	defer w.Close()
	w.Set(ctx, "waited", "1", 0)
	if n, err := w.Do(ctx, "WAIT", "1", "0").Int(); err != nil || n != 1 {
		t.Errorf("WAIT 1 0 on A = %d, %v; want 1", n, err)
	}
	if v := b.c.Get(ctx, "waited").Val(); v != "1" {
		t.Errorf("after WAIT, B has waited=%q", v)
	}
	if err := b.c.Do(ctx, "WAIT", "1", "0").Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR WAIT cannot be used with replica instances") {
		t.Errorf("WAIT on a replica: %v", err)
	}
	role := fmt.Sprint(c.c.Do(ctx, "ROLE").Val())
	if want := fmt.Sprintf("[slave 127.0.0.1 %d connected ", b.p.Port); !strings.HasPrefix(role, want) {
		t.Errorf("C's ROLE = %s, want %s...", role, want)
	}
}

// TestReplPromotionContinues: A (redoubt) has replicas B and C (redoubt)
// and D (redis). B is promoted with REPLICAOF NO ONE; C, D and then the
// old master A are pointed at it and all continue partially, by the
// replid2 B keeps of A's history; writes to B then reach all three.
func TestReplPromotionContinues(t *testing.T) {
	ctx := context.Background()
	// no PINGs from A after the promotion: one would move A's offset past
	// what B had, and A would need a full sync (as with Redis)
	a := newReplNode(t, "A (old master)", testutil.StartRedoubt(t, append(noSyncDelay, "--repl-ping-replica-period", "3600")...))
	fillRDBDataset(t, a.c, 1000)
	port := strconv.Itoa(a.p.Port)
	b := newReplNode(t, "B (promoted)", testutil.StartRedoubt(t, append(noSyncDelay, "--replicaof", "127.0.0.1", port)...))
	c := newReplNode(t, "C (redoubt)", testutil.StartRedoubt(t, append(noSyncDelay, "--replicaof", "127.0.0.1", port)...))
	d := newReplNode(t, "D (redis)", testutil.StartRedis(t, append(noSyncDelay, "--replicaof", "127.0.0.1", port)...))
	mixedWrites(t, a.p.Addr, 20000, 5)
	sameData(t, "before the promotion", a, b, c, d)
	oldID := a.info(t, "master_replid")

	if err := b.c.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	if id2 := b.info(t, "master_replid2"); id2 != oldID {
		t.Errorf("B's master_replid2 %s, want A's replid %s", id2, oldID)
	}
	if role := b.info(t, "role"); role != "master" {
		t.Errorf("B's role after REPLICAOF NO ONE: %s", role)
	}
	c.replicaOf(t, b)
	d.replicaOf(t, b)
	a.replicaOf(t, b)
	mixedWrites(t, b.p.Addr, 20000, 6)
	aofEffectOps(t, b.p.Addr)
	sameData(t, "after the promotion", b, c, d, a)
	b.wantSyncs(t, 3, 0, "everyone continued by replid2", b.p, a.p, c.p, d.p)
	if err := b.c.Set(ctx, "written-on-B", "1", 0).Err(); err != nil {
		t.Errorf("write on the promoted master: %v", err)
	}
}

// TestReplicaExpiryAndStaleData: a replica hides a key whose TTL passed
// but keeps it until its master's DEL arrives; with
// replica-serve-stale-data no it answers MASTERDOWN while its link is
// down, and INFO says since when.
func TestReplicaExpiryAndStaleData(t *testing.T) {
	ctx := context.Background()
	m := newReplNode(t, "master", testutil.StartRedoubt(t, noSyncDelay...))
	r := newReplNode(t, "replica", testutil.StartRedoubt(t, append(noSyncDelay, "--replicaof", "127.0.0.1", strconv.Itoa(m.p.Port))...))
	// the master does not expire keys on its own for a while
	if err := m.c.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Err(); err != nil {
		t.Fatal(err)
	}
	m.c.Set(ctx, "short", "v", 100*time.Millisecond)
	m.c.Set(ctx, "long", "v", 0)
	waitReplicaInSync(t, m.c, r.c)
	time.Sleep(300 * time.Millisecond)
	if v, err := r.c.Get(ctx, "short").Result(); err != redis.Nil {
		t.Errorf("replica GET of an expired key: %q %v", v, err)
	}
	if n := r.c.DBSize(ctx).Val(); n != 2 {
		t.Errorf("replica DBSIZE %d, want 2: the expired key stays until the master's DEL", n)
	}
	m.c.Get(ctx, "short") // the master expires it now, and propagates DEL
	waitReplicaInSync(t, m.c, r.c)
	if n := r.c.DBSize(ctx).Val(); n != 1 {
		t.Errorf("replica DBSIZE %d after the master's DEL, want 1", n)
	}

	if err := r.c.ConfigSet(ctx, "replica-serve-stale-data", "no").Err(); err != nil {
		t.Fatal(err)
	}
	m.p.Cmd.Process.Kill()
	<-m.p.Exited
	for i := 0; i < 500 && r.info(t, "master_link_status") != "down"; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.c.Get(ctx, "long").Err(); err == nil || err.Error() != "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'." {
		t.Errorf("GET on a stale replica: %v", err)
	}
	if r.info(t, "master_link_down_since_seconds") == "" {
		t.Error("no master_link_down_since_seconds while the link is down")
	}
	// INFO and CONFIG are flagged stale: they still answer
	if err := r.c.ConfigSet(ctx, "replica-serve-stale-data", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	if v := r.c.Get(ctx, "long").Val(); v != "v" {
		t.Errorf("GET with replica-serve-stale-data yes: %q", v)
	}
}

// failoverTo runs FAILOVER TO target on m and waits until the roles have
// swapped: target a master, m its replica with the link up.
func failoverTo(t *testing.T, m, target *replNode) {
	t.Helper()
	ctx := context.Background()
	waitReplicaInSync(t, m.c, target.c)
	if err := m.c.Do(ctx, "FAILOVER", "TO", "127.0.0.1", target.p.Port, "TIMEOUT", "20000").Err(); err != nil {
		t.Fatalf("%s FAILOVER TO %s: %v", m.name, target.name, err)
	}
	for i := 0; i < 1000; i++ {
		if target.info(t, "role") == "master" && m.info(t, "role") == "slave" &&
			m.info(t, "master_link_status") == "up" && m.info(t, "master_failover_state") == "no-failover" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s FAILOVER TO %s did not complete: %s is %s, %s is %s (%s)\n%s", m.name, target.name,
		m.name, m.info(t, "role"), target.name, target.info(t, "role"), m.info(t, "master_failover_state"), logsOf(m.p, target.p))
}

// TestReplFailoverCommand: FAILOVER hands the master role over without a
// full sync, between redoubt and real Redis in both directions: redoubt
// to redoubt, redoubt to Redis, Redis to redoubt.
func TestReplFailoverCommand(t *testing.T) {
	ctx := context.Background()
	a := newReplNode(t, "A (redoubt)", testutil.StartRedoubt(t, noSyncDelay...))
	fillRDBDataset(t, a.c, 1000)
	b := newReplNode(t, "B (redoubt)", testutil.StartRedoubt(t, append(noSyncDelay, "--replicaof", "127.0.0.1", strconv.Itoa(a.p.Port))...))
	c := newReplNode(t, "C (redis)", testutil.StartRedis(t, append(noSyncDelay, "--replicaof", "127.0.0.1", strconv.Itoa(a.p.Port))...))
	mixedWrites(t, a.p.Addr, 10000, 7)
	sameData(t, "before the failovers", a, b, c)

	for _, e := range []struct {
		args []any
		want string
	}{
		{[]any{"FAILOVER", "ABORT"}, "ERR No failover in progress."},
		{[]any{"FAILOVER", "TO", "127.0.0.1", "1"}, "ERR FAILOVER target HOST and PORT is not a replica."},
		{[]any{"FAILOVER", "FORCE"}, "ERR FAILOVER with force option requires both a timeout and target HOST and IP."},
		{[]any{"FAILOVER", "TIMEOUT", "0"}, "ERR FAILOVER timeout must be greater than 0"},
	} {
		if err := a.c.Do(ctx, e.args...).Err(); err == nil || err.Error() != e.want {
			t.Errorf("%v: %v, want %s", e.args, err, e.want)
		}
	}
	if err := b.c.Do(ctx, "FAILOVER").Err(); err == nil || err.Error() != "ERR FAILOVER is not valid when server is a replica." {
		t.Errorf("FAILOVER on a replica: %v", err)
	}

	oldID := a.info(t, "master_replid")
	failoverTo(t, a, b) // redoubt → redoubt
	if id2 := b.info(t, "master_replid2"); id2 != oldID {
		t.Errorf("B's master_replid2 %s, want A's replid %s", id2, oldID)
	}
	b.wantSyncs(t, 1, 0, "A's partial resync only", a.p, b.p)
	if err := a.c.Set(ctx, "on-old-master", "1", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "READONLY") {
		t.Errorf("a write on the old master after FAILOVER: %v", err)
	}
	mixedWrites(t, b.p.Addr, 5000, 8)
	sameData(t, "after FAILOVER to B", b, a)
	sameData(t, "C through A after FAILOVER to B", a, c)

	c.replicaOf(t, b)
	failoverTo(t, b, c) // redoubt → redis
	mixedWrites(t, c.p.Addr, 5000, 9)
	sameData(t, "after FAILOVER to C", c, b)
	failoverTo(t, c, b) // redis → redoubt
	mixedWrites(t, b.p.Addr, 5000, 10)
	sameData(t, "after FAILOVER back to B", b, c)
	sameData(t, "A, still a replica of B, after the failovers", b, a)
}

// TestReplicaRestartContinues: a redoubt replica restarted from its own
// dump.rdb continues the history the file recorded (repl-id, repl-offset,
// repl-stream-db aux fields) with a partial resync, as a Redis replica
// does; the writes made while it was down arrive through the backlog.
func TestReplicaRestartContinues(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"redoubt", "redis"} {
		t.Run(kind+" master", func(t *testing.T) {
			m := newReplNode(t, "master", testutil.StartKind(t, kind, noSyncDelay...))
			dir := t.TempDir()
			args := []string{"--replicaof", "127.0.0.1", strconv.Itoa(m.p.Port), "--enable-debug-command", "local"}
			r := newReplNode(t, "replica", testutil.StartRedoubtIn(t, dir, args...))
			mixedWrites(t, m.p.Addr, 8000, 11)
			// the stream goes on in another database than 0 when the replica
			// saves, so the restarted one must know where it was
			m5 := redis.NewClient(&redis.Options{Addr: m.p.Addr, DB: 5})
			defer m5.Close()
			m5.Set(ctx, "in-db5", "1", 0)
			sameData(t, "before the restart", m, r)
			if err := r.c.Save(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			r.p.Cmd.Process.Kill()
			<-r.p.Exited
			m5.Set(ctx, "while-down", "1", 0) // no SELECT before it in the stream
			mixedWrites(t, m.p.Addr, 2000, 12)
			r = newReplNode(t, "restarted replica", testutil.StartRedoubtIn(t, dir, args...))
			sameData(t, "after the restart", m, r)
			m.wantSyncs(t, 1, 1, "the restarted replica continued", m.p, r.p)
		})
	}
}

// TestReplicaDiskBasedPayload: with repl-diskless-sync no the master sends
// the RDB file with its length up front ("$<len>"); a redoubt replica takes
// it from a real Redis master and from a redoubt one, and with
// repl-diskless-load disabled (the default) stores it as its dump.rdb.
func TestReplicaDiskBasedPayload(t *testing.T) {
	for _, kind := range []string{"redis", "redoubt"} {
		t.Run(kind+" master", func(t *testing.T) {
			args := []string{"--repl-diskless-sync", "no", "--enable-debug-command", "local"}
			m := newReplNode(t, "master", testutil.StartKind(t, kind, args...))
			fillRDBDataset(t, m.c, 1000)
			dir := t.TempDir()
			r := newReplNode(t, "replica", testutil.StartRedoubtIn(t, dir, "--replicaof", "127.0.0.1", strconv.Itoa(m.p.Port), "--enable-debug-command", "local"))
			sameData(t, "after a disk-based sync", m, r)
			log, _ := os.ReadFile(r.p.Log)
			if !regexp.MustCompile(`MASTER <-> REPLICA sync: receiving \d+ bytes from master to disk`).Match(log) {
				t.Errorf("the replica's log does not show a disk-based payload:\n%s", log)
			}
			if st, err := os.Stat(filepath.Join(dir, "dump.rdb")); err != nil || st.Size() == 0 {
				t.Errorf("the payload was not stored as dump.rdb: %v", err)
			}
			mixedWrites(t, m.p.Addr, 4000, 13)
			sameData(t, "after writes", m, r)
		})
	}
}
