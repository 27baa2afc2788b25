package integration

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// The master side's sync scheduling, disk-based syncs and the limits it
// puts on replicas (repl-diskless-sync*, client-output-buffer-limit
// replica, repl-timeout, repl-backlog-ttl), against real redis-server
// replicas.

// startMaster starts a redoubt master whose log the test shows if it
// fails.
func startMaster(t *testing.T, args ...string) *testutil.Proc {
	m := testutil.StartRedoubt(t, args...)
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := os.ReadFile(m.Log)
			t.Logf("master log:\n%s", out)
		}
	})
	return m
}

// waitLogLine waits until the server's log has a line containing want
// and returns the log.
func waitLogLine(t *testing.T, p *testutil.Proc, want string) string {
	t.Helper()
	for i := 0; i < 1500; i++ {
		out, _ := os.ReadFile(p.Log)
		if strings.Contains(string(out), want) {
			return string(out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	out, _ := os.ReadFile(p.Log)
	t.Fatalf("no %q in the log of %s:\n%s", want, p.Addr, out)
	return ""
}

// waitConnectedReplicas waits until the master counts n replicas.
func waitConnectedReplicas(t *testing.T, mc *redis.Client, n int) {
	t.Helper()
	for i := 0; i < 1500; i++ {
		if infoField(t, mc, "replication", "connected_slaves") == n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("connected_slaves never %d:\n%s", n, mc.Info(context.Background(), "replication").Val())
}

var fullResyncLine = regexp.MustCompile(`Full resync from master: ([0-9a-f]{40}:\d+)`)

// replicaFullResync is the replid:offset a redis-server replica's log
// says its full sync started from.
func replicaFullResync(t *testing.T, r *testutil.Proc) string {
	t.Helper()
	out, _ := os.ReadFile(r.Log)
	m := fullResyncLine.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("replica %s logged no full resync:\n%s", r.Addr, out)
	}
	return m[1]
}

// syncSharedByTwo starts two redis-server replicas of m at once and
// checks that they were both served by one diskless snapshot: one
// BGSAVE for SYNC in the master's log, the same +FULLRESYNC offset for
// both, and the master's dataset on both.
func syncSharedByTwo(t *testing.T, m *testutil.Proc) {
	mc := redis.NewClient(&redis.Options{Addr: m.Addr})
	defer mc.Close()
	fillRDBDataset(t, mc, 1000)
	port := strconv.Itoa(m.Port)
	r1 := testutil.StartRedis(t, "--replicaof", "127.0.0.1", port)
	r2 := testutil.StartRedis(t, "--replicaof", "127.0.0.1", port)
	want := aofState(t, m.Addr)
	for _, r := range []*testutil.Proc{r1, r2} {
		rc := redis.NewClient(&redis.Options{Addr: r.Addr})
		waitReplicaInSync(t, mc, rc)
		diffStates(t, "replica "+r.Addr, want, aofState(t, r.Addr))
		rc.Close()
	}
	log, _ := os.ReadFile(m.Log)
	if n := strings.Count(string(log), "Starting BGSAVE for SYNC with target: replicas sockets"); n != 1 {
		t.Errorf("%d BGSAVEs for SYNC for two replicas asking together, want 1:\n%s", n, log)
	}
	if n := infoField(t, mc, "stats", "sync_full"); n != 2 {
		t.Errorf("sync_full = %d, want 2", n)
	}
	if a, b := replicaFullResync(t, r1), replicaFullResync(t, r2); a != b {
		t.Errorf("the replicas started from %s and %s, want one snapshot", a, b)
	}
}

// TestReplDisklessSyncDelayShared: with the default
// repl-diskless-sync-delay (5 s) two replicas asking one after the other
// share one snapshot.
func TestReplDisklessSyncDelayShared(t *testing.T) {
	m := startMaster(t)
	syncSharedByTwo(t, m)
	waitLogLine(t, m, "Delay next BGSAVE for diskless SYNC")
}

// TestReplDisklessSyncMaxReplicas: with a delay far longer than the
// test, repl-diskless-sync-max-replicas 2 starts the shared snapshot as
// soon as the second replica asks.
func TestReplDisklessSyncMaxReplicas(t *testing.T) {
	m := startMaster(t, "--repl-diskless-sync-delay", "100000", "--repl-diskless-sync-max-replicas", "2")
	syncSharedByTwo(t, m)
}

// TestReplDiskBasedSync: with repl-diskless-sync no the snapshot is a
// BGSAVE to dbfilename (a file redis-check-rdb accepts, INFO persistence
// updated as by BGSAVE) sent to the replica as a $<len> bulk; the stream
// follows.
func TestReplDiskBasedSync(t *testing.T) {
	ctx := context.Background()
	m := startMaster(t, "--repl-diskless-sync", "no")
	mc := redis.NewClient(&redis.Options{Addr: m.Addr})
	defer mc.Close()
	fillRDBDataset(t, mc, 2000)
	saves := infoField(t, mc, "persistence", "rdb_saves")
	r := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	rc := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rc.Close()
	waitReplicaInSync(t, mc, rc)
	diffStates(t, "replica after a disk-based sync", aofState(t, m.Addr), aofState(t, r.Addr))
	log := waitLogLine(t, m, "Synchronization with replica 127.0.0.1:"+strconv.Itoa(r.Port)+" succeeded")
	for _, want := range []string{"Starting BGSAVE for SYNC with target: disk", "Background saving terminated with success"} {
		if !strings.Contains(log, want) {
			t.Errorf("master log lacks %q:\n%s", want, log)
		}
	}
	info := mc.Info(ctx, "persistence").Val()
	if v := infoValue(info, "rdb_last_bgsave_status"); v != "ok" {
		t.Errorf("rdb_last_bgsave_status = %q", v)
	}
	if v := infoValue(info, "rdb_changes_since_last_save"); v != "0" {
		t.Errorf("rdb_changes_since_last_save = %q", v)
	}
	if n := infoField(t, mc, "persistence", "rdb_saves"); n != saves+1 {
		t.Errorf("rdb_saves = %d, want %d", n, saves+1)
	}
	checkRDB(t, filepath.Join(m.Dir, "dump.rdb"))
	rlog, _ := os.ReadFile(r.Log)
	if !strings.Contains(string(rlog), "MASTER <-> REPLICA sync: receiving") || strings.Contains(string(rlog), "receiving streamed RDB") {
		t.Errorf("the replica did not receive a sized (disk) payload:\n%s", rlog)
	}
	aofEffectOps(t, m.Addr)
	waitReplicaInSync(t, mc, rc)
	diffStates(t, "replica after the writes", aofState(t, m.Addr), aofState(t, r.Addr))
}

// TestReplOutputBufferLimit: a replica that stops reading while writes
// go on is disconnected once its unsent stream passes the replica hard
// limit (raised to repl-backlog-size, as in Redis 7), and resyncs when it
// comes back.
func TestReplOutputBufferLimit(t *testing.T) {
	ctx := context.Background()
	m := startMaster(t, "--repl-diskless-sync-delay", "0",
		"--client-output-buffer-limit", "replica 100kb 0 0", "--repl-backlog-size", "1mb")
	mc := redis.NewClient(&redis.Options{Addr: m.Addr})
	defer mc.Close()
	r := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	rc := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rc.Close()
	waitReplicaInSync(t, mc, rc)
	r.Cmd.Process.Signal(syscall.SIGSTOP)
	defer r.Cmd.Process.Signal(syscall.SIGCONT)
	val := make([]byte, 100<<10)
	for i := 0; i < 400 && infoField(t, mc, "replication", "connected_slaves") == 1; i++ {
		rand.Read(val)
		if err := mc.Set(ctx, fmt.Sprint("big:", i%50), val, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	log := waitLogLine(t, m, "scheduled to be closed ASAP for overcoming of output buffer limits.")
	if !regexp.MustCompile(`Client id=\d+ addr=127\.0\.0\.1:\d+ .*flags=S .*scheduled to be closed ASAP`).MatchString(log) {
		t.Errorf("the replica's CLIENT LIST line is not in the log:\n%s", log)
	}
	waitConnectedReplicas(t, mc, 0)
	r.Cmd.Process.Signal(syscall.SIGCONT)
	waitReplicaInSync(t, mc, rc)
	diffStates(t, "replica after coming back", aofState(t, m.Addr), aofState(t, r.Addr))
}

// TestReplTimeoutStreaming: an online replica that sends nothing (no
// REPLCONF ACK) for repl-timeout seconds is dropped; it continues from
// the backlog when it comes back.
func TestReplTimeoutStreaming(t *testing.T) {
	ctx := context.Background()
	m := startMaster(t, "--repl-diskless-sync-delay", "0")
	mc := redis.NewClient(&redis.Options{Addr: m.Addr})
	defer mc.Close()
	r := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	rc := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rc.Close()
	waitReplicaInSync(t, mc, rc)
	if err := mc.ConfigSet(ctx, "repl-timeout", "1").Err(); err != nil {
		t.Fatal(err)
	}
	r.Cmd.Process.Signal(syscall.SIGSTOP)
	defer r.Cmd.Process.Signal(syscall.SIGCONT)
	waitLogLine(t, m, "Disconnecting timedout replica (streaming sync): 127.0.0.1:"+strconv.Itoa(r.Port))
	waitConnectedReplicas(t, mc, 0)
	mc.Set(ctx, "while-away", "1", 0)
	mc.ConfigSet(ctx, "repl-timeout", "60")
	r.Cmd.Process.Signal(syscall.SIGCONT)
	waitReplicaInSync(t, mc, rc)
	if v := rc.Get(ctx, "while-away").Val(); v != "1" {
		t.Errorf("replica has while-away=%q", v)
	}
	if n := infoField(t, mc, "stats", "sync_partial_ok"); n != 1 {
		t.Errorf("sync_partial_ok = %d, want 1 (a continued link)", n)
	}
}

// fakeReplica connects to addr as a replica listening on port and asks
// for a full sync (PSYNC ? -1, diskless capable); it reads nothing more.
func fakeReplica(t *testing.T, addr string, port int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	rd := bufio.NewReader(conn)
	for _, cmd := range []string{fmt.Sprint("REPLCONF listening-port ", port), "REPLCONF capa eof capa psync2"} {
		fmt.Fprintf(conn, "%s\r\n", cmd)
		if line, _ := rd.ReadString('\n'); line != "+OK\r\n" {
			t.Fatalf("%s: %q", cmd, line)
		}
	}
	fmt.Fprintf(conn, "PSYNC ? -1\r\n")
	return conn
}

// fillIncompressible writes n values of 256 KiB of random bytes: a
// payload far larger than the sockets' buffers hold.
func fillIncompressible(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	val := make([]byte, 256<<10)
	for i := 0; i < n; i++ {
		rand.Read(val)
		if err := c.Set(context.Background(), fmt.Sprint("big:", i), val, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReplDisklessSyncWaitsForNext: a replica asking while a diskless
// transfer runs is not added to it; it gets the next snapshot, started
// once the running one ends (here: its only replica went away).
func TestReplDisklessSyncWaitsForNext(t *testing.T) {
	m := startMaster(t, "--repl-diskless-sync-delay", "0", "--rdbcompression", "no")
	mc := redis.NewClient(&redis.Options{Addr: m.Addr})
	defer mc.Close()
	fillIncompressible(t, mc, 200)
	stuck := fakeReplica(t, m.Addr, 4242)
	waitLogLine(t, m, "Starting BGSAVE for SYNC with target: replicas sockets")
	r := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	waitLogLine(t, m, "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC")
	stuck.Close()
	rc := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rc.Close()
	waitReplicaInSync(t, mc, rc)
	log, _ := os.ReadFile(m.Log)
	if n := strings.Count(string(log), "Starting BGSAVE for SYNC with target: replicas sockets"); n != 2 {
		t.Errorf("%d BGSAVEs for SYNC, want 2 (the second replica waits for the next)", n)
	}
	diffStates(t, "the replica served by the next snapshot", aofState(t, m.Addr), aofState(t, r.Addr))
}

// TestReplTimeoutFullSync: a replica whose socket takes no bytes of a
// diskless payload for repl-timeout seconds is dropped, and the master
// goes on (the snapshot stops with its last replica).
func TestReplTimeoutFullSync(t *testing.T) {
	ctx := context.Background()
	m := startMaster(t, "--repl-diskless-sync-delay", "0", "--repl-timeout", "1", "--rdbcompression", "no")
	mc := redis.NewClient(&redis.Options{Addr: m.Addr})
	defer mc.Close()
	fillIncompressible(t, mc, 200)
	fakeReplica(t, m.Addr, 4242) // and never read the payload
	waitLogLine(t, m, "Disconnecting timedout replica (full sync): 127.0.0.1:4242")
	waitLogLine(t, m, "Diskless rdb transfer, last replica dropped, killing fork child.")
	waitLogLine(t, m, "Background transfer terminated by signal 10")
	waitConnectedReplicas(t, mc, 0)
	for i := 0; i < 1500 && infoField(t, mc, "persistence", "rdb_bgsave_in_progress") != 0; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if err := mc.Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Errorf("SET after the dropped sync: %v", err)
	}
}

// TestReplBacklogTTL: a master whose replicas are gone for
// repl-backlog-ttl seconds frees its backlog and takes a new replid (its
// offset stays); the replica coming back then needs a full sync.
func TestReplBacklogTTL(t *testing.T) {
	ctx := context.Background()
	m := startMaster(t, "--repl-diskless-sync-delay", "0", "--repl-backlog-ttl", "1")
	mc := redis.NewClient(&redis.Options{Addr: m.Addr})
	defer mc.Close()
	r := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	rc := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rc.Close()
	mc.Set(ctx, "k", "v", 0)
	waitReplicaInSync(t, mc, rc)
	info := mc.Info(ctx, "replication").Val()
	replid, offset := infoValue(info, "master_replid"), infoValue(info, "master_repl_offset")
	if infoValue(info, "repl_backlog_active") != "1" {
		t.Fatalf("no backlog with a replica:\n%s", info)
	}
	if err := rc.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	waitLogLine(t, m, "Replication backlog freed after 1 seconds without connected replicas.")
	info = mc.Info(ctx, "replication").Val()
	if v := infoValue(info, "repl_backlog_active"); v != "0" {
		t.Errorf("repl_backlog_active = %s after the ttl", v)
	}
	if v := infoValue(info, "master_replid"); v == replid {
		t.Errorf("master_replid unchanged (%s) after freeing the backlog", v)
	}
	if v := infoValue(info, "master_repl_offset"); v != offset {
		t.Errorf("master_repl_offset = %s, want %s kept", v, offset)
	}
	if err := rc.Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port)).Err(); err != nil {
		t.Fatal(err)
	}
	waitReplicaInSync(t, mc, rc)
	if n := infoField(t, mc, "stats", "sync_full"); n != 2 {
		t.Errorf("sync_full = %d, want 2 (no history to continue)", n)
	}
	if v := infoValue(mc.Info(ctx, "replication").Val(), "repl_backlog_active"); v != "1" {
		t.Errorf("repl_backlog_active = %s with a replica again", v)
	}
}
