package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// TestReplRedoubtMasterRedisReplica: a real redis-server replica of a
// redoubt master gets the dataset by a full sync (the fork-less snapshot
// sent as a diskless payload) and then the propagation stream: after the
// sync and after writes of every kind (relative expiries, random pops,
// scripts, transactions, blocking pops, streams, other databases) its
// dataset equals the master's, at the same replication offset.
func TestReplRedoubtMasterRedisReplica(t *testing.T) {
	ctx := context.Background()
	m := testutil.StartRedoubt(t, "--repl-diskless-sync-delay", "0")
	mc := redis.NewClient(&redis.Options{Addr: m.Addr})
	defer mc.Close()
	fillRDBDataset(t, mc, 2000)
	r := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	rc := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rc.Close()
	waitReplicaInSync(t, mc, rc)
	diffStates(t, "replica after the full sync", aofState(t, m.Addr), aofState(t, r.Addr))
	if n := infoField(t, mc, "stats", "sync_full"); n != 1 {
		t.Errorf("master sync_full = %d, want 1", n)
	}

	aofEffectOps(t, m.Addr)
	waitReplicaInSync(t, mc, rc)
	diffStates(t, "replica after the writes", aofState(t, m.Addr), aofState(t, r.Addr))
	// WAIT returns once the replica acknowledged the write (its ACK comes
	// within a second)
	// (a new connection: fillRDBDataset left mc's in another database)
	w := redis.NewClient(&redis.Options{Addr: m.Addr, PoolSize: 1})
	defer w.Close()
	if err := w.Set(ctx, "waited", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Do(ctx, "WAIT", "1", "0").Int(); err != nil || n != 1 {
		t.Errorf("WAIT 1 0 = %d, %v; want 1", n, err)
	}
	if v := rc.Get(ctx, "waited").Val(); v != "1" {
		t.Errorf("after WAIT the replica has waited=%q", v)
	}
	role := fmt.Sprint(mc.Do(ctx, "ROLE").Val())
	if want := fmt.Sprintf("[127.0.0.1 %d ", r.Port); !strings.Contains(role, want) || !strings.HasPrefix(role, "[master ") {
		t.Errorf("ROLE = %s, want the replica %s...", role, want)
	}
	// a broken link is resumed from the backlog: +CONTINUE, not a new sync
	if err := mc.Do(ctx, "CLIENT", "KILL", "TYPE", "replica").Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		w.Incr(ctx, "while-away")
	}
	waitReplicaInSync(t, mc, rc)
	if ok, full := infoField(t, mc, "stats", "sync_partial_ok"), infoField(t, mc, "stats", "sync_full"); ok != 1 || full != 1 {
		t.Errorf("after reconnecting: sync_partial_ok=%d sync_full=%d, want 1 and 1", ok, full)
	}
	if v := rc.Get(ctx, "while-away").Val(); v != "100" {
		ml, _ := os.ReadFile(m.Log)
		rl, _ := os.ReadFile(r.Log)
		t.Errorf("replica has while-away=%q, want 100\n%s\n%s", v, ml, rl)
	}
	diffStates(t, "replica after a partial resync", aofState(t, m.Addr), aofState(t, r.Addr))
	if got := rc.Do(ctx, "SET", "x", "1").Err(); got == nil || got.Error() != "READONLY You can't write against a read only replica." {
		t.Errorf("write on the replica: %v", got)
	}

	// min-replicas-to-write: writes need an acknowledging replica
	if err := w.ConfigSet(ctx, "min-replicas-to-write", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.Set(ctx, "guarded", "1", 0).Err(); err != nil {
		t.Errorf("SET with the replica attached: %v", err)
	}
	r.Cmd.Process.Kill()
	<-r.Exited
	for i := 0; i < 500 && infoField(t, mc, "replication", "connected_slaves") != 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if err := w.Set(ctx, "guarded", "2", 0).Err(); err == nil || err.Error() != "NOREPLICAS Not enough good replicas to write." {
		t.Errorf("SET without replicas: %v", err)
	}
	if v := w.Get(ctx, "guarded").Val(); v != "1" {
		t.Errorf("guarded=%q after the refused write", v)
	}
}

// waitReplicaInSync waits until the replica's link is up and it has
// processed the master's whole stream.
func waitReplicaInSync(t *testing.T, mc, rc *redis.Client) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		info := rc.Info(context.Background(), "replication").Val()
		if infoValue(info, "master_link_status") == "up" {
			want := infoField(t, mc, "replication", "master_repl_offset")
			if infoValue(info, "slave_repl_offset") == strconv.Itoa(want) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("replica not in sync:\n%s\nmaster:\n%s", rc.Info(context.Background(), "replication").Val(), mc.Info(context.Background(), "replication").Val())
}

// infoValue is the value of field in an INFO reply ("" if absent).
func infoValue(info, field string) string {
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

// TestReplTwoRedisReplicas: two real redis-server replicas asking at once
// are both served (without repl-diskless-sync-delay the second may come
// while the first one's snapshot is sent, and then waits for the next)
// and follow the stream under writes.
func TestReplTwoRedisReplicas(t *testing.T) {
	ctx := context.Background()
	m := testutil.StartRedoubt(t, "--repl-diskless-sync-delay", "0")
	mc := redis.NewClient(&redis.Options{Addr: m.Addr})
	defer mc.Close()
	fillRDBDataset(t, mc, 3000)
	port := strconv.Itoa(m.Port)
	r1 := testutil.StartRedis(t, "--replicaof", "127.0.0.1", port)
	r2 := testutil.StartRedis(t, "--replicaof", "127.0.0.1", port)
	w := redis.NewClient(&redis.Options{Addr: m.Addr, PoolSize: 1})
	defer w.Close()
	for i := 0; i < 2000; i++ { // writes while the syncs run
		w.Incr(ctx, "counter")
	}
	want := aofState(t, m.Addr)
	for _, r := range []*testutil.Proc{r1, r2} {
		rc := redis.NewClient(&redis.Options{Addr: r.Addr})
		waitReplicaInSync(t, mc, rc)
		diffStates(t, "replica "+r.Addr, want, aofState(t, r.Addr))
		rc.Close()
	}
	if n := infoField(t, mc, "replication", "connected_slaves"); n != 2 {
		t.Errorf("connected_slaves = %d, want 2", n)
	}
}

// TestRedisCLIRdbBackup: `redis-cli --rdb FILE` (a backup taken through
// the replication protocol: SYNC, REPLCONF rdb-only) gets a file from
// redoubt that redis-check-rdb accepts and redis-server loads with the
// master's dataset.
func TestRedisCLIRdbBackup(t *testing.T) {
	m := testutil.StartRedoubt(t, "--repl-diskless-sync-delay", "0")
	mc := redis.NewClient(&redis.Options{Addr: m.Addr})
	defer mc.Close()
	fillRDBDataset(t, mc, 500)
	want := rdbDatasetState(t, m.Addr)
	dir := t.TempDir()
	file := filepath.Join(dir, "dump.rdb")
	out, err := exec.Command(redisCLI(t), "-p", strconv.Itoa(m.Port), "--rdb", file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Transfer finished with success") {
		t.Fatalf("redis-cli --rdb: %v\n%s", err, out)
	}
	checkRDB(t, file)
	r := testutil.StartRedisIn(t, dir)
	rc := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rc.Close()
	waitLoaded(t, rc)
	diffStates(t, "redis-server loading redis-cli's backup", want, rdbDatasetState(t, r.Addr))
}
