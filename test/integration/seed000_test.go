// seed000_test.go replays the master/replica part of the users' own
// walkthrough (/work/shared/seeds/000_*.txt, "redis主从集群搭建及容灾部署"):
// a master started from the guide's redis.conf (requirepass, masterauth,
// the slave-* directives and the rest of its settings), data written into
// database 1 with redis-cli -a, a replica started from redis_slave.conf
// (the same file with slaveof and masterauth), the data read back on the
// replica with redis-cli. On top of what the guide shows, the replica
// refuses writes, INFO replication of both sides has the fields Redis
// shows, and a write on the master reaches the replica.
//
// The replay runs with redoubt on both sides and with the real
// redis-server on either side in turn (drop-in use), and the INFO
// replication field lists of redoubt are compared with redis-server's
// for the same role. A replica with a wrong masterauth never syncs and
// logs what Redis's replica logs. The Sentinel part of the guide is not
// replayed here.
//
// Ports are the free ones the test helpers choose (the helpers' --port
// overrides the file), not the guide's 7003 and 8003; the logfile
// directive is left out so the log goes to the file the helpers capture,
// and daemonize is no because the helpers run the server in the
// foreground.
package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt/redoubt/test/testutil"
)

// seed000Pass is the guide's password, for requirepass and masterauth.
const seed000Pass = "0234kz9*l"

// seed000Conf is the guide's redis.conf as the master uses it (the
// guide's comments left out; requirepass keeps the guide's trailing
// space). pidfile points into dir instead of /var/run.
func seed000Conf(dir string) []string {
	return []string{
		"daemonize no",
		"pidfile " + filepath.Join(dir, "redis.pid"),
		"tcp-backlog 511",
		"timeout 0",
		"tcp-keepalive 60",
		"loglevel notice",
		"databases 16",
		"save 900 1",
		"save 300 10",
		"save 60 10000",
		"stop-writes-on-bgsave-error yes",
		"rdbcompression yes",
		"rdbchecksum yes",
		"dbfilename dump.rdb",
		"dir ./",
		"masterauth " + seed000Pass,
		"slave-serve-stale-data yes",
		"slave-read-only yes",
		"repl-disable-tcp-nodelay no",
		"slave-priority 100",
		"requirepass " + seed000Pass + " ",
		"maxmemory 3gb",
		"maxmemory-policy volatile-lru",
		"appendonly no",
		`appendfilename "appendonly.aof"`,
		"appendfsync everysec",
		"no-appendfsync-on-rewrite yes",
		"auto-aof-rewrite-percentage 100",
		"auto-aof-rewrite-min-size 64mb",
		"aof-load-truncated yes",
		"lua-time-limit 5000",
		"slowlog-log-slower-than 10000",
		"slowlog-max-len 128",
		"latency-monitor-threshold 0",
		`notify-keyspace-events ""`,
		"hash-max-ziplist-entries 512",
		"hash-max-ziplist-value 64",
		"list-max-ziplist-entries 512",
		"list-max-ziplist-value 64",
		"set-max-intset-entries 512",
		"zset-max-ziplist-entries 128",
		"zset-max-ziplist-value 64",
		"hll-sparse-max-bytes 3000",
		"activerehashing yes",
		"client-output-buffer-limit normal 0 0 0",
		"client-output-buffer-limit slave 256mb 64mb 60",
		"client-output-buffer-limit pubsub 32mb 8mb 60",
		"hz 10",
		"aof-rewrite-incremental-fsync yes",
	}
}

// seed000Slave is redis_slave.conf: the master's file with the guide's
// differences (pidfile, slaveof, masterauth; port and logfile see above).
func seed000Slave(dir string, masterPort int, masterauth string) []string {
	conf := seed000Conf(dir)
	for i, l := range conf {
		switch {
		case strings.HasPrefix(l, "pidfile "):
			conf[i] = "pidfile " + filepath.Join(dir, "redis_slave.pid")
		case strings.HasPrefix(l, "masterauth "):
			conf[i] = "masterauth " + masterauth
		}
	}
	return append(conf, fmt.Sprintf("slaveof 127.0.0.1 %d", masterPort))
}

// seed000Start writes conf as dir/name and starts a server of kind from it,
// with the guide's save rules (the helpers otherwise turn saving off).
func seed000Start(t *testing.T, kind, name string, conf func(dir string) []string) *testutil.Proc {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(strings.Join(conf(dir), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{path, "--save", "900 1 300 10 60 10000", "--appendonly", "no"}
	if kind == "redoubt" {
		return testutil.StartRedoubtIn(t, dir, args...)
	}
	return testutil.StartRedisIn(t, dir, args...)
}

// seed000CLI runs the Debian redis-cli as the guide does
// ("redis-cli -a 0234kz9*l -p 7003"), feeding it stdin as the lines typed
// at its prompt when stdin is not empty, and returns what it printed.
func seed000CLI(t *testing.T, p *testutil.Proc, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(redisCLI(t), append([]string{"-a", seed000Pass, "-p", strconv.Itoa(p.Port)}, args...)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("redis-cli -p %d %v: %v\n%s%s", p.Port, args, err, out, stderr.String())
	}
	if w := strings.TrimSpace(stderr.String()); w != "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe." {
		t.Errorf("redis-cli stderr: %q", w)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// seed000Info is INFO replication as redis-cli prints it, as ordered
// field names and a map of values.
func seed000Info(t *testing.T, p *testutil.Proc) (fields []string, vals map[string]string) {
	t.Helper()
	vals = map[string]string{}
	for _, line := range strings.Split(seed000CLI(t, p, "", "info", "replication"), "\n") {
		line = strings.TrimSpace(line)
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		fields = append(fields, k)
		vals[k] = v
	}
	return fields, vals
}

// seed000WaitSynced waits until the replica's link is up and it has
// applied the master's whole stream, and returns both INFO replications.
func seed000WaitSynced(t *testing.T, m, r *testutil.Proc) (mf []string, mv map[string]string, rf []string, rv map[string]string) {
	t.Helper()
	for i := 0; i < 3000; i++ {
		rf, rv = seed000Info(t, r)
		mf, mv = seed000Info(t, m)
		if rv["master_link_status"] == "up" && rv["slave_repl_offset"] == mv["master_repl_offset"] &&
			strings.Contains(mv["slave0"], "state=online") {
			// the master also knows the replica's offset (its ACKs)
			if o := regexp.MustCompile(`offset=(\d+),`).FindStringSubmatch(mv["slave0"]); o != nil && o[1] == mv["master_repl_offset"] {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	mlog, _ := os.ReadFile(m.Log)
	rlog, _ := os.ReadFile(r.Log)
	t.Fatalf("replica never in sync\nmaster INFO %v\nreplica INFO %v\nmaster log:\n%s\nreplica log:\n%s", mv, rv, mlog, rlog)
	return
}

// seed000Fields are the INFO replication field lists seen per server kind
// and role, compared between redoubt and redis-server at the end.
type seed000Fields struct {
	mu   sync.Mutex
	seen map[string][]string // "redis master" -> fields
}

func (f *seed000Fields) note(kind, role string, fields []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen[kind+" "+role] = fields
}

// TestSeed000MasterReplica replays the guide's master/replica setup for
// each pairing of server kinds.
func TestSeed000MasterReplica(t *testing.T) {
	fields := &seed000Fields{seen: map[string][]string{}}
	// the pairings run side by side (each waits out a Redis master's 5 s
	// diskless sync delay); the group returns when all are done
	t.Run("pairings", func(t *testing.T) {
		for _, pair := range [][2]string{{"redoubt", "redoubt"}, {"redis", "redoubt"}, {"redoubt", "redis"}} {
			t.Run(pair[0]+"-master/"+pair[1]+"-replica", func(t *testing.T) {
				t.Parallel()
				seed000Replay(t, pair[0], pair[1], fields)
			})
		}
	})
	// the same fields, in the same order, as redis-server shows for the
	// same role
	for _, role := range []string{"master", "replica"} {
		ours, theirs := fields.seen["redoubt "+role], fields.seen["redis "+role]
		if ours == nil || theirs == nil {
			continue // a subtest failed or was not run
		}
		if !slices.Equal(ours, theirs) {
			t.Errorf("INFO replication fields of a %s:\n  redis:   %v\n  redoubt: %v", role, theirs, ours)
		}
	}
}

func seed000Replay(t *testing.T, masterKind, replicaKind string, fields *seed000Fields) {
	// 启动master: ./redis-server ./redis.conf
	m := seed000Start(t, masterKind, "redis.conf", seed000Conf)
	// the password protects it
	if out, err := exec.Command(redisCLI(t), "-p", strconv.Itoa(m.Port), "get", "name").CombinedOutput(); err != nil ||
		strings.TrimSpace(string(out)) != "NOAUTH Authentication required." {
		t.Errorf("redis-cli without -a: %q, %v", out, err)
	}

	// 使用客户端连接测试: select 1, set name zhangsan, get name, quit
	if got, want := seed000CLI(t, m, "select 1\nset name zhangsan\nget name\nquit\n"), "OK\nOK\nzhangsan"; got != want {
		t.Fatalf("the guide's session on the master printed %q, want %q", got, want)
	}

	// 搭建redis slave: ./redis-server ./redis_slave.conf
	r := seed000Start(t, replicaKind, "redis_slave.conf", func(dir string) []string {
		return seed000Slave(dir, m.Port, seed000Pass)
	})
	mf, mv, rf, rv := seed000WaitSynced(t, m, r)

	// 启动slave并查看数据同步情况: select 1, get name -> "zhangsan"
	if got, want := seed000CLI(t, r, "select 1\nget name\n"), "OK\nzhangsan"; got != want {
		t.Errorf("the guide's session on the replica printed %q, want %q", got, want)
	}
	// nothing else came along: database 0 is empty, database 1 has the key
	if got := seed000CLI(t, r, "", "dbsize"); got != "0" {
		t.Errorf("replica DBSIZE of db 0 = %s", got)
	}
	if got := seed000CLI(t, r, "", "-n", "1", "dbsize"); got != "1" {
		t.Errorf("replica DBSIZE of db 1 = %s", got)
	}

	// writes on the replica are refused (slave-read-only yes)
	// (redis-cli prints an empty line after an error)
	const readonly = "READONLY You can't write against a read only replica.\n"
	if got, want := seed000CLI(t, r, "select 1\nset name lisi\ndel name\nget name\n"), "OK\n"+readonly+"\n"+readonly+"\nzhangsan"; got != want {
		t.Errorf("writes on the replica printed %q, want %q", got, want)
	}
	if got := seed000CLI(t, r, "", "set", "other", "1"); got != readonly {
		t.Errorf("SET on the replica: %q", got)
	}

	// INFO replication of the master: one online replica
	seed000CheckMasterInfo(t, mv, r.Port)
	// and of the replica: linked, in sync, read-only
	seed000CheckReplicaInfo(t, rv, mv, m.Port)
	fields.note(masterKind, "master", mf)
	fields.note(replicaKind, "replica", rf)

	// ROLE of both sides (not in the guide; it names the same link)
	// (offsets as patterns: the master's PING every repl-ping-replica-period
	// moves them on)
	if role := seed000CLI(t, m, "", "role"); !regexp.MustCompile(fmt.Sprintf(`^master\n\d+\n127\.0\.0\.1\n%d\n\d+$`, r.Port)).MatchString(role) {
		t.Errorf("master ROLE:\n%s", role)
	}
	if role := seed000CLI(t, r, "", "role"); !regexp.MustCompile(fmt.Sprintf(`^slave\n127\.0\.0\.1\n%d\nconnected\n\d+$`, m.Port)).MatchString(role) {
		t.Errorf("replica ROLE:\n%s", role)
	}

	// the master's later writes reach the replica
	if got := seed000CLI(t, m, "select 1\nset name lisi\nset age 20\n"); got != "OK\nOK\nOK" {
		t.Errorf("writes on the master printed %q", got)
	}
	seed000WaitSynced(t, m, r)
	if got := seed000CLI(t, r, "select 1\nmget name age\n"); got != "OK\nlisi\n20" {
		t.Errorf("the replica after the master's writes printed %q", got)
	}
}

// seed000CheckMasterInfo checks the master's INFO replication with one
// replica attached and in sync.
func seed000CheckMasterInfo(t *testing.T, mv map[string]string, replicaPort int) {
	t.Helper()
	off := mv["master_repl_offset"]
	want := map[string]string{
		"role":                           "master",
		"connected_slaves":               "1",
		"slave0":                         fmt.Sprintf(`ip=127\.0\.0\.1,port=%d,state=online,offset=%s,lag=\d+`, replicaPort, off),
		"master_failover_state":          "no-failover",
		"master_replid":                  "[0-9a-f]{40}",
		"master_replid2":                 "0{40}",
		"master_repl_offset":             `\d+`,
		"second_repl_offset":             "-1",
		"repl_backlog_active":            "1",
		"repl_backlog_size":              "1048576",
		"repl_backlog_first_byte_offset": "1",
		"repl_backlog_histlen":           off,
	}
	seed000Match(t, "master", mv, want)
}

// seed000CheckReplicaInfo checks the replica's INFO replication with its
// link up and the whole stream applied.
func seed000CheckReplicaInfo(t *testing.T, rv, mv map[string]string, masterPort int) {
	t.Helper()
	off := mv["master_repl_offset"]
	want := map[string]string{
		"role":                       "slave",
		"master_host":                `127\.0\.0\.1`,
		"master_port":                strconv.Itoa(masterPort),
		"master_link_status":         "up",
		"master_last_io_seconds_ago": `\d+`,
		"master_sync_in_progress":    "0",
		"slave_read_repl_offset":     off,
		"slave_repl_offset":          off,
		"slave_priority":             "100",
		"slave_read_only":            "1",
		"replica_announced":          "1",
		"connected_slaves":           "0",
		"master_failover_state":      "no-failover",
		"master_replid":              mv["master_replid"],
		"master_replid2":             "0{40}",
		"master_repl_offset":         off,
		"second_repl_offset":         "-1",
		"repl_backlog_active":        "1",
		"repl_backlog_size":          "1048576",
		// the replica's backlog starts where its full sync did
		"repl_backlog_first_byte_offset": `[1-9]\d*`,
		"repl_backlog_histlen":           `\d+`,
	}
	seed000Match(t, "replica", rv, want)
	first, _ := strconv.Atoi(rv["repl_backlog_first_byte_offset"])
	hist, _ := strconv.Atoi(rv["repl_backlog_histlen"])
	if o, _ := strconv.Atoi(off); first+hist != o+1 {
		t.Errorf("replica backlog first byte %d + histlen %d does not end at offset %d", first, hist, o)
	}
}

func seed000Match(t *testing.T, who string, got, want map[string]string) {
	t.Helper()
	for k, re := range want {
		v, ok := got[k]
		if !ok {
			t.Errorf("%s INFO replication has no %s", who, k)
			continue
		}
		if !regexp.MustCompile("^(?:" + re + ")$").MatchString(v) {
			t.Errorf("%s INFO replication %s:%s, want %s", who, k, v, re)
		}
	}
}

// seed000LogLine is a log line without the pid, role and time.
var seed000LogLine = regexp.MustCompile(`(?m)^\d+:[A-Z] \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} ([*#.-] .*)$`)

// seed000Attempts returns the replica's first n attempts to sync as the
// log lines from each "Connecting to MASTER" to the next.
func seed000Attempts(t *testing.T, log string, n int) [][]string {
	t.Helper()
	var attempts [][]string
	for _, m := range seed000LogLine.FindAllStringSubmatch(readFile(t, log), -1) {
		line := m[1]
		if strings.HasPrefix(line, "* Connecting to MASTER ") {
			attempts = append(attempts, nil)
		}
		if len(attempts) > 0 {
			attempts[len(attempts)-1] = append(attempts[len(attempts)-1], line)
		}
	}
	// the last one may still be under way
	if len(attempts) > n {
		return attempts[:n]
	}
	return nil
}

// TestSeed000WrongMasterauth: the guide's replica with a masterauth that
// is not the master's requirepass never syncs; every second it tries
// again, and its log says what Redis's replica says. Each kind of replica
// runs against each kind of master.
func TestSeed000WrongMasterauth(t *testing.T) {
	for _, pair := range [][2]string{{"redoubt", "redoubt"}, {"redis", "redoubt"}, {"redoubt", "redis"}, {"redis", "redis"}} {
		masterKind, replicaKind := pair[0], pair[1]
		t.Run(masterKind+"-master/"+replicaKind+"-replica", func(t *testing.T) {
			t.Parallel()
			m := seed000Start(t, masterKind, "redis.conf", seed000Conf)
			if got := seed000CLI(t, m, "select 1\nset name zhangsan\n"); got != "OK\nOK" {
				t.Fatalf("writes on the master printed %q", got)
			}
			r := seed000Start(t, replicaKind, "redis_slave.conf", func(dir string) []string {
				return seed000Slave(dir, m.Port, "wrong-"+seed000Pass)
			})
			// wait for two failed attempts and the start of a third
			var attempts [][]string
			for i := 0; i < 3000 && attempts == nil; i++ {
				attempts = seed000Attempts(t, r.Log, 2)
				time.Sleep(20 * time.Millisecond)
			}
			if attempts == nil {
				t.Fatalf("the replica did not try three times:\n%s", readFile(t, r.Log))
			}
			want := []string{
				fmt.Sprintf("* Connecting to MASTER 127.0.0.1:%d", m.Port),
				"* MASTER <-> REPLICA sync started",
				"* Non blocking connect for SYNC fired the event.",
				"* Master replied to PING, replication can continue...",
				"# Unable to AUTH to MASTER: -WRONGPASS invalid username-password pair or user is disabled.",
			}
			for i, a := range attempts {
				if !slices.Equal(a, want) {
					t.Errorf("attempt %d logged\n  %s\nwant\n  %s", i+1, strings.Join(a, "\n  "), strings.Join(want, "\n  "))
				}
			}
			_, rv := seed000Info(t, r)
			seed000Match(t, "replica", rv, map[string]string{
				"role":                           "slave",
				"master_port":                    strconv.Itoa(m.Port),
				"master_link_status":             "down",
				"master_last_io_seconds_ago":     "-1",
				"master_sync_in_progress":        "0",
				"slave_repl_offset":              "1",
				"master_link_down_since_seconds": "-1",
				"master_repl_offset":             "0",
				"repl_backlog_active":            "0",
			})
			if got := seed000CLI(t, r, "", "role"); got != fmt.Sprintf("slave\n127.0.0.1\n%d\nconnect\n-1", m.Port) {
				t.Errorf("replica ROLE:\n%s", got)
			}
			if got := seed000CLI(t, r, "select 1\nget name\n"); got != "OK\n" {
				t.Errorf("the replica has data: %q", got)
			}
			_, mv := seed000Info(t, m)
			if mv["connected_slaves"] != "0" {
				t.Errorf("master connected_slaves:%s", mv["connected_slaves"])
			}
		})
	}
}
