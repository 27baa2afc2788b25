// seed002_test.go walks through the users' own persistence operations guide
// (/work/shared/seeds/002_*.txt, "高可用 Redis 架构") step by step: the
// servers run from a redis.conf written as the guide writes it, are driven
// with the Debian redis-cli exactly where the guide uses redis-cli, are
// stopped with SHUTDOWN or kill -9 as the guide stops them, and the guide's
// shell scripts and redis-check-aof --fix run as written. Every procedure
// runs against redoubt and against the real redis-server, and the two
// servers' observations are compared line by line.
package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

var guideKinds = []string{"redoubt", "redis"}

// guideServer is one server of the guide: a directory (the guide's
// /var/redis/6379), a redis.conf (the guide's /etc/redis/6379.conf) and the
// process started from it.
type guideServer struct {
	t      *testing.T
	kind   string // "redoubt" or "redis"
	dir    string
	conf   string
	port   int
	log    string
	cmd    *exec.Cmd
	exited chan struct{}
	daemon bool
}

// newGuideServer writes dir/redis.conf with the guide's directives for a
// production instance plus lines, and returns the server, not started.
func newGuideServer(t *testing.T, kind, dir string, lines ...string) *guideServer {
	t.Helper()
	g := &guideServer{t: t, kind: kind, dir: dir, conf: filepath.Join(dir, "redis.conf"), port: testutil.FreePort(t)}
	g.log = filepath.Join(dir, "redis.log")
	conf := []string{
		"# /etc/redis/6379.conf as the guide sets it up for production",
		"daemonize no",
		fmt.Sprintf("pidfile %s/redis_%d.pid", dir, g.port),
		fmt.Sprintf("port %d", g.port),
		"bind 127.0.0.1",
		"dir " + dir,
	}
	g.writeConf(append(conf, lines...))
	return g
}

func (g *guideServer) writeConf(lines []string) {
	g.t.Helper()
	if err := os.WriteFile(g.conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

// editConf replaces the line starting with "name " (or appends it), as the
// guide's "手动修改配置文件" does.
func (g *guideServer) editConf(name, value string) {
	g.t.Helper()
	b, err := os.ReadFile(g.conf)
	if err != nil {
		g.t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	found := false
	for i, l := range lines {
		if strings.HasPrefix(l, name+" ") {
			lines[i] = name + " " + value
			found = true
		}
	}
	if !found {
		lines = append(lines, name+" "+value)
	}
	g.writeConf(lines)
}

func (g *guideServer) command() *exec.Cmd {
	if g.kind == "redoubt" {
		return exec.Command(testutil.RedoubtBinary(g.t), "server", g.conf)
	}
	return exec.Command(testutil.RedisServerPath(g.t), g.conf)
}

// start runs the server in the foreground (daemonize no) with its log
// captured, and waits until it answers PING.
func (g *guideServer) start() {
	g.t.Helper()
	logf, err := os.OpenFile(g.log, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		g.t.Fatal(err)
	}
	cmd := g.command()
	cmd.Dir = g.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		g.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(exited) }()
	g.cmd, g.exited = cmd, exited
	g.t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if out, _ := os.ReadFile(g.log); strings.Contains(string(out), "WARNING: DATA RACE") {
			g.t.Errorf("%s reported a data race:\n%s", g.kind, out)
		}
	})
	g.waitPing(exited)
}

// startDaemon runs the server with daemonize yes, as the guide's init
// script does: the command returns at once and the server lives on, known
// by its pidfile.
func (g *guideServer) startDaemon() {
	g.t.Helper()
	g.daemon = true
	cmd := g.command()
	cmd.Dir = g.dir
	// a daemon's stderr is /dev/null: a server built with REDOUBT_RACE
	// reports races to files instead
	racePrefix := filepath.Join(g.dir, "race-report")
	cmd.Env = append(os.Environ(), "GORACE=log_path="+racePrefix)
	if out, err := cmd.CombinedOutput(); err != nil {
		g.t.Fatalf("%s with daemonize yes: %v\n%s", g.kind, err, out)
	}
	g.t.Cleanup(func() {
		if pid := g.pid(); pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		reports, _ := filepath.Glob(racePrefix + ".*")
		for _, r := range reports {
			g.t.Errorf("%s reported a data race:\n%s", g.kind, readFile(g.t, r))
		}
	})
	g.waitPing(nil)
}

func (g *guideServer) pid() int {
	b, err := os.ReadFile(fmt.Sprintf("%s/redis_%d.pid", g.dir, g.port))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func (g *guideServer) waitPing(exited chan struct{}) {
	g.t.Helper()
	for i := 0; i < 1500; i++ {
		select {
		case <-exited:
			out, _ := os.ReadFile(g.log)
			g.t.Fatalf("%s exited at start:\n%s", g.kind, out)
		default:
		}
		if conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", g.port)); err == nil {
			conn.SetDeadline(time.Now().Add(time.Second))
			conn.Write([]byte("PING\r\n"))
			buf := make([]byte, 7)
			n, _ := io.ReadFull(conn, buf)
			conn.Close()
			if string(buf[:n]) == "+PONG\r\n" {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	out, _ := os.ReadFile(g.log)
	g.t.Fatalf("%s does not answer PING:\n%s", g.kind, out)
}

// startFails runs a server that must refuse to start and returns its log.
func (g *guideServer) startFails() string {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	plain := g.command()
	cmd := exec.CommandContext(ctx, plain.Path, plain.Args[1:]...)
	cmd.Dir = g.dir
	out, err := cmd.CombinedOutput()
	if err == nil {
		g.t.Errorf("%s started although it should not have:\n%s", g.kind, out)
	}
	return string(out)
}

// cli runs the Debian redis-cli against the server, as the guide does.
func (g *guideServer) cli(args ...string) string {
	g.t.Helper()
	out, err := exec.Command("redis-cli", append([]string{"-p", strconv.Itoa(g.port)}, args...)...).CombinedOutput()
	if err != nil {
		g.t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// pipeline sends commands in one write, so the server reads them
// together and runs them back to back, and returns the replies as
// redis-cli prints simple strings, errors and bulk strings.
func (g *guideServer) pipeline(cmds ...[]string) []string {
	g.t.Helper()
	r := testutil.DialRaw(g.t, fmt.Sprintf("127.0.0.1:%d", g.port))
	var req []byte
	for _, c := range cmds {
		req = append(req, testutil.EncodeCommand(c...)...)
	}
	if _, err := r.Conn.Write(req); err != nil {
		g.t.Fatal(err)
	}
	var out []string
	for range cmds {
		rep := r.Read()
		switch rep.Kind {
		case '$':
			out = append(out, strings.ReplaceAll(rep.Body(), "\r\n", "\n"))
		default:
			out = append(out, strings.TrimSuffix(string(rep.Raw[1:]), "\r\n"))
		}
	}
	r.Conn.Close()
	return out
}

func (g *guideServer) client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", g.port)})
	g.t.Cleanup(func() { c.Close() })
	return c
}

// info returns one INFO persistence field (read over a client: polling
// through redis-cli processes would be slow).
func (g *guideServer) info(field string) string {
	g.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", g.port)})
	defer c.Close()
	return infoText(g.t, c, "persistence", field)
}

// waitInfo waits until every field has its value.
func (g *guideServer) waitInfo(fields ...string) {
	g.t.Helper()
	for i := 0; i < 3000; i++ {
		ok := true
		for j := 0; j < len(fields); j += 2 {
			if g.info(fields[j]) != fields[j+1] {
				ok = false
				break
			}
		}
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	g.t.Fatalf("%s: INFO never had %v:\n%s", g.kind, fields, g.cli("info", "persistence"))
}

// kill9 is the guide's "kill -9杀掉redis进程".
func (g *guideServer) kill9() {
	g.t.Helper()
	g.cmd.Process.Kill()
	<-g.exited
}

// shutdown is the guide's way to stop redis (the init script's
// "redis-cli -p $REDISPORT shutdown"); it waits until the process is gone.
func (g *guideServer) shutdown(args ...string) {
	g.t.Helper()
	pid := g.pid()
	out, _ := exec.Command("redis-cli", append([]string{"-p", strconv.Itoa(g.port), "shutdown"}, args...)...).CombinedOutput()
	if len(out) > 0 {
		g.t.Fatalf("%s: SHUTDOWN answered %q", g.kind, out)
	}
	if !g.daemon {
		<-g.exited
		return
	}
	// the daemon is not our child: wait for its pidfile to go and its
	// process to end
	for i := 0; i < 1500; i++ {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		_, perr := os.Stat(fmt.Sprintf("%s/redis_%d.pid", g.dir, g.port))
		if os.IsNotExist(perr) && (err != nil || strings.Contains(string(st), ") Z ")) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	g.t.Fatalf("%s did not exit after SHUTDOWN", g.kind)
}

// loadingLog is what the log says about loading the data at start-up,
// with times and ages left out.
func (g *guideServer) loadingLog() []string {
	g.t.Helper()
	line := regexp.MustCompile(`(?m)^\d+:[A-Z] .{24} ([*#]) ((RDB is base AOF|Done loading RDB|DB loaded from|Reading RDB base|Loading RDB produced|Reading the remaining AOF|Opening AOF|Creating AOF).*)$`)
	seconds := regexp.MustCompile(`\d+\.\d+ seconds`)
	var out []string
	for _, m := range line.FindAllStringSubmatch(readFile(g.t, g.log), -1) {
		out = append(out, m[1]+" "+seconds.ReplaceAllString(m[2], "N seconds"))
	}
	return out
}

// keys is the dataset as redis-cli sees it: sorted "key=value" lines.
func (g *guideServer) keys() []string {
	g.t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", g.port)})
	defer c.Close()
	names, err := c.Keys(ctx, "*").Result()
	if err != nil {
		g.t.Fatal(err)
	}
	slices.Sort(names)
	var out []string
	for i := 0; i < len(names); i += 1000 {
		part := names[i:min(i+1000, len(names))]
		vals, err := c.MGet(ctx, part...).Result()
		if err != nil {
			g.t.Fatal(err)
		}
		for j, k := range part {
			out = append(out, fmt.Sprintf("%s=%v", k, vals[j]))
		}
	}
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	if err := os.WriteFile(to, []byte(readFile(t, from)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// compareKinds fails when redoubt observed something else than redis-server.
// runGuideKinds runs an experiment on each kind of server, collecting
// what it shows through see, and compares redoubt's with redis-server's.
func runGuideKinds(t *testing.T, experiment func(t *testing.T, kind string, see func(...string))) {
	t.Helper()
	obs := map[string][]string{}
	for _, kind := range guideKinds {
		t.Run(kind, func(t *testing.T) {
			var o []string
			experiment(t, kind, func(s ...string) { o = append(o, s...) })
			obs[kind] = o
		})
	}
	compareKinds(t, obs)
}

func compareKinds(t *testing.T, obs map[string][]string) {
	t.Helper()
	if len(obs) == 2 {
		diffStates(t, "redoubt (want: what redis-server did)", obs["redis"], obs["redoubt"])
	}
}

// The guide's RDB settings ("企业级的持久化的配置策略": save 60 10000, the
// rest Redis's defaults written out).
var guideRDBConf = []string{
	"save 60 10000",
	"dbfilename dump.rdb",
	"rdbcompression yes",
	"rdbchecksum yes",
	"stop-writes-on-bgsave-error yes",
}

// The guide's AOF settings: "AOF一定要打开，fsync，everysec", rewrite at
// 100% growth past 64mb.
var guideAOFConf = []string{
	"appendonly yes",
	`appendfilename "appendonly.aof"`,
	"appendfsync everysec",
	"auto-aof-rewrite-percentage 100",
	"auto-aof-rewrite-min-size 64mb",
}

// TestSeed002RDB: the guide's RDB configuration as CONFIG GET shows it,
// SAVE / BGSAVE / LASTSAVE, a snapshot redis-check-rdb accepts, and
// stop-writes-on-bgsave-error refusing writes while snapshots fail.
func TestSeed002RDB(t *testing.T) {
	runGuideKinds(t, func(t *testing.T, kind string, see func(...string)) {
		// "AOF持久化，默认是关闭的，默认是打开RDB持久化"
		d := newGuideServer(t, kind, t.TempDir())
		d.start()
		see(d.cli("config", "get", "appendonly"), d.cli("config", "get", "save"))
		d.kill9()

		dir := t.TempDir()
		g := newGuideServer(t, kind, dir, append(guideRDBConf, "appendonly no")...)
		g.start()
		for _, name := range []string{"save", "dbfilename", "rdbcompression", "rdbchecksum", "stop-writes-on-bgsave-error", "appendonly"} {
			see(g.cli("config", "get", name))
		}
		if got := g.cli("config", "get", "dir"); got != "dir\n"+dir {
			t.Errorf("CONFIG GET dir = %q, want %s", got, dir)
		}
		start, _ := strconv.ParseInt(g.cli("lastsave"), 10, 64)
		see(g.cli("set", "k1", "v1"), g.cli("set", "k2", "v2"))
		see(g.info("rdb_changes_since_last_save"))
		see(g.cli("save"))
		see(g.info("rdb_changes_since_last_save"))
		if last, _ := strconv.ParseInt(g.cli("lastsave"), 10, 64); last < start || last > time.Now().Unix() {
			t.Errorf("LASTSAVE %d after SAVE, server started at %d", last, start)
		}
		check, err := exec.Command("redis-check-rdb", filepath.Join(dir, "dump.rdb")).CombinedOutput()
		if err != nil || !strings.Contains(string(check), "RDB looks OK") || !strings.Contains(string(check), "[info] 2 keys read") {
			t.Errorf("redis-check-rdb dump.rdb: %v\n%s", err, check)
		}
		see(g.cli("set", "k3", "v3"))
		see(g.cli("bgsave"))
		g.waitInfo("rdb_bgsave_in_progress", "0", "rdb_saves", "2")
		see(g.info("rdb_last_bgsave_status"), g.info("rdb_changes_since_last_save"))

		// stop-writes-on-bgsave-error: a snapshot that cannot reach
		// dump.rdb (a directory stands in its place) stops writes
		os.Remove(filepath.Join(dir, "dump.rdb"))
		if err := os.MkdirAll(filepath.Join(dir, "dump.rdb", "in-the-way"), 0o755); err != nil {
			t.Fatal(err)
		}
		see(g.cli("bgsave"))
		g.waitInfo("rdb_bgsave_in_progress", "0", "rdb_last_bgsave_status", "err")
		see(g.cli("set", "k4", "v4"), g.cli("get", "k3"))
		see(g.cli("config", "set", "stop-writes-on-bgsave-error", "no"), g.cli("set", "k4", "v4"))
		see(g.cli("config", "set", "stop-writes-on-bgsave-error", "yes"), g.cli("set", "k5", "v5"))
		log := readFile(t, g.log)
		if m := regexp.MustCompile(`Error moving temp DB file temp-\S+\.rdb on the final destination dump\.rdb \(in server root dir (.*)\): Is a directory`).FindStringSubmatch(log); m == nil || m[1] != dir {
			t.Errorf("the log does not say why the snapshot failed as Redis says it:\n%s", log)
		}
		os.RemoveAll(filepath.Join(dir, "dump.rdb"))
		see(g.cli("bgsave"))
		g.waitInfo("rdb_bgsave_in_progress", "0", "rdb_last_bgsave_status", "ok")
		see(g.cli("set", "k5", "v5"))
	})
}

// TestSeed002AOFRecoveryExperiment is the guide's "AOF持久化的数据恢复实验":
// with only RDB on, data written since the last snapshot is gone after
// kill -9; with appendonly yes the AOF holds the written commands
// readably and brings them back after kill -9, under each appendfsync
// policy the guide explains.
func TestSeed002AOFRecoveryExperiment(t *testing.T) {
	incr := map[string]string{}
	runGuideKinds(t, func(t *testing.T, kind string, see func(...string)) {
		dir := t.TempDir()
		// (1) only RDB: write, kill -9, restart: the data is gone, no
		// snapshot was made yet (save 60 10000 is far away)
		g := newGuideServer(t, kind, dir, append(guideRDBConf, "appendonly no")...)
		g.start()
		see(g.cli("set", "mykey1", "123"), g.cli("set", "mykey2", "456"))
		g.kill9()
		g.start()
		see("after kill -9 with RDB only: dbsize " + g.cli("dbsize"))
		g.kill9()
		// (2) turn the AOF on in redis.conf
		for _, fsync := range []string{"always", "everysec", "no"} {
			g.editConf("appendonly", "yes")
			g.editConf("appendfsync", fsync)
			os.RemoveAll(filepath.Join(dir, "appendonlydir"))
			g.start()
			see(g.cli("config", "get", "appendfsync"))
			// (3) write some data and look at the AOF
			see(g.cli("set", "mykey1", "123"), g.cli("set", "mykey2", "456"), g.cli("lpush", "mylist", "a", "b"))
			aof := readFile(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"))
			want := "*3\r\n$3\r\nset\r\n$6\r\nmykey1\r\n$3\r\n123\r\n*3\r\n$3\r\nset\r\n$6\r\nmykey2\r\n$3\r\n456\r\n"
			if !strings.Contains(aof, want) {
				t.Errorf("appendfsync %s: the AOF does not hold the commands as written:\n%q", fsync, aof)
			}
			if fsync == "always" {
				incr[kind] = aof
			}
			// (4) kill -9 and restart: the data comes back from the AOF
			g.kill9()
			g.start()
			see(fmt.Sprintf("appendfsync %s after kill -9: %v %s", fsync, g.keys(), g.cli("lrange", "mylist", "0", "-1")))
			g.kill9()
		}
	})
	if len(incr) == 2 && incr["redoubt"] != incr["redis"] {
		t.Errorf("the AOF differs from redis-server's:\nredoubt %q\nredis   %q", incr["redoubt"], incr["redis"])
	}
}

// TestSeed002AOFRewrite follows "AOF rewrite" and "AOF和RDB同时工作":
// BGREWRITEAOF replaces a log of many overwrites with the data in memory;
// a rewrite asked for during a snapshot waits for it; a snapshot is refused
// during a rewrite; the new base is an RDB preamble, or commands with
// aof-use-rdb-preamble no.
func TestSeed002AOFRewrite(t *testing.T) {
	runGuideKinds(t, func(t *testing.T, kind string, see func(...string)) {
		dir := t.TempDir()
		g := newGuideServer(t, kind, dir, append(append([]string{}, guideRDBConf...), guideAOFConf...)...)
		g.start()
		see(g.cli("config", "get", "auto-aof-rewrite-percentage"), g.cli("config", "get", "auto-aof-rewrite-min-size"))
		// many writes to few keys: the log grows, the data does not
		g.cli("-r", "300", "incr", "counter")
		see(g.cli("get", "counter"))
		tmp := g.client()
		for i := 0; i < 20; i++ {
			tmp.Set(context.Background(), fmt.Sprint("tmp", i), strings.Repeat("x", 100), 0)
		}
		g.cli("del", "tmp1", "tmp2", "tmp3")
		aofDir := filepath.Join(dir, "appendonlydir")
		before, _ := os.Stat(filepath.Join(aofDir, "appendonly.aof.1.incr.aof"))
		want := g.keys()
		see(g.cli("bgrewriteaof"))
		g.waitInfo("aof_rewrite_in_progress", "0", "aof_rewrite_scheduled", "0", "aof_rewrites", "1")
		see(g.info("aof_last_bgrewrite_status"))
		see(readFile(t, filepath.Join(aofDir, "appendonly.aof.manifest")))
		// both servers unlink the old files in the background
		testutil.WaitFor(t, "the old incr file unlinked", 10*time.Second, func() error {
			if _, err := os.Stat(filepath.Join(aofDir, "appendonly.aof.1.incr.aof")); err == nil {
				return errors.New("appendonly.aof.1.incr.aof is still there")
			}
			return nil
		})
		ents, _ := os.ReadDir(aofDir)
		var names []string
		size := int64(0)
		for _, e := range ents {
			names = append(names, e.Name())
			st, _ := e.Info()
			size += st.Size()
		}
		see(strings.Join(names, " "))
		if size >= before.Size() {
			t.Errorf("the rewritten AOF has %d bytes, the old log had %d", size, before.Size())
		}
		if base := readFile(t, filepath.Join(aofDir, "appendonly.aof.2.base.rdb")); !strings.HasPrefix(base, "REDIS") {
			t.Errorf("the base is not an RDB preamble: %q", base[:min(len(base), 20)])
		}
		// the mixed RDB-AOF files check out with both tools alike
		var checks []string
		for _, bin := range [][]string{{"redis-check-aof"}, {testutil.RedoubtBinary(t), "check-aof"}} {
			cmd := exec.Command(bin[0], append(bin[1:], "appendonly.aof.manifest")...)
			cmd.Dir = aofDir
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "RDB preamble is OK, proceeding with AOF tail") {
				t.Errorf("%v on the rewritten AOF: %v\n%s", bin, err, out)
			}
			checks = append(checks, string(out))
		}
		if checks[0] != checks[1] {
			t.Errorf("redis-check-aof printed\n%s\nredoubt check-aof\n%s", checks[0], checks[1])
		}
		g.kill9()
		g.start()
		diffStates(t, "after rewrite and kill -9", want, g.keys())

		// "如果RDB在执行snapshotting，此时用户执行BGREWRITEAOF命令，那么等RDB快照生成之后，才会去执行AOF rewrite"
		// enough data that the snapshot is still being written when the
		// next command arrives: 8 MB that do not compress
		c := g.client()
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(2, 2))
		val := make([]byte, 4096)
		for i := 0; i < 2; i++ {
			p := c.Pipeline()
			for j := 0; j < 1000; j++ {
				for k := range val {
					val[k] = byte(rng.Uint32())
				}
				p.Set(ctx, fmt.Sprintf("key:%d", i*1000+j), string(val), 0)
			}
			if _, err := p.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		out := g.pipeline([]string{"BGSAVE"}, []string{"BGREWRITEAOF"}, []string{"INFO", "persistence"})
		see(out[0], out[1])
		info := out[2]
		if !strings.Contains(info, "rdb_bgsave_in_progress:1") || !strings.Contains(info, "aof_rewrite_scheduled:1") || !strings.Contains(info, "aof_rewrite_in_progress:0") {
			t.Errorf("during the snapshot:\n%s", info)
		}
		// "redis主进程，接收到client新的写操作之后 ... 追加到新的AOF文件中":
		// clients keep writing through the snapshot and the rewrite
		// after it; every acknowledged write must survive below
		stop, writerDone := make(chan struct{}), make(chan error, 1)
		go func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					writerDone <- nil
					return
				default:
				}
				if err := c.Set(ctx, fmt.Sprint("during:", i), i, 0).Err(); err != nil {
					writerDone <- err
					return
				}
				time.Sleep(time.Millisecond) // a steady trickle, not a flood
			}
		}()
		g.waitInfo("rdb_bgsave_in_progress", "0", "aof_rewrite_in_progress", "0", "aof_rewrite_scheduled", "0", "aof_rewrites", "1")
		close(stop)
		if err := <-writerDone; err != nil {
			t.Fatal("writes during the rewrite:", err)
		}
		if c.Exists(ctx, "during:0").Val() != 1 {
			t.Error("no write went through during the snapshot and the rewrite")
		}
		see(g.info("rdb_last_bgsave_status"), g.info("aof_last_bgrewrite_status"))
		// "如果redis再执行AOF rewrite，那么就不会执行RDB snapshotting"
		// (redis-server may not have reaped the last rewrite's child
		// yet although INFO no longer shows it: it then says "already
		// in progress"; ask again until it takes the command)
		for i := 0; i < 200; i++ {
			out = g.pipeline([]string{"BGREWRITEAOF"}, []string{"BGSAVE"}, []string{"INFO", "persistence"})
			if !strings.Contains(out[0], "already in progress") {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		see(out[0], out[1])
		if info := out[2]; !strings.Contains(info, "rdb_bgsave_in_progress:0") {
			t.Errorf("a snapshot runs during the rewrite:\n%s", info)
		}
		g.waitInfo("aof_rewrite_in_progress", "0", "aof_rewrites", "2")

		// the base without the RDB preamble is plain commands
		see(g.cli("config", "set", "aof-use-rdb-preamble", "no"), g.cli("bgrewriteaof"))
		g.waitInfo("aof_rewrite_in_progress", "0", "aof_rewrite_scheduled", "0", "aof_rewrites", "3")
		see(readFile(t, filepath.Join(aofDir, "appendonly.aof.manifest")))
		base := readFile(t, filepath.Join(aofDir, "appendonly.aof.5.base.aof")) // 2 before the restart, 3 and 4 above
		if !strings.HasPrefix(base, "*2\r\n$6\r\nSELECT\r\n") {
			t.Errorf("the base without preamble starts %q", base[:min(len(base), 40)])
		}
		want = g.keys()
		g.kill9()
		g.start()
		diffStates(t, "after the writes during the rewrites, a rewrite without preamble and kill -9", want, g.keys())
	})
}

// TestSeed002CrashRepair is the guide's last small experiment (and "AOF破损
// 文件的修复"): dump.rdb holds some data, the AOF other data, and only the
// AOF's comes back; the AOF is torn by a crash, the server refuses it
// (aof-load-truncated no), redis-check-aof --fix drops the torn command,
// and the server then starts with the one complete one.
func TestSeed002CrashRepair(t *testing.T) {
	refusal := map[string]string{}
	runGuideKinds(t, func(t *testing.T, kind string, see func(...string)) {
		dir := t.TempDir()
		g := newGuideServer(t, kind, dir, append(guideRDBConf, "appendonly no")...)
		g.start()
		see(g.cli("set", "rdbkey", "from-rdb"), g.cli("save"))
		g.kill9()
		g.editConf("appendonly", "yes")
		g.start()
		see(g.cli("set", "aofkey1", "one"), g.cli("set", "aofkey2", "two"))
		g.kill9()
		// (1) dump.rdb and the AOF both exist: the AOF wins
		g.start()
		see(fmt.Sprint("rdb and aof: ", g.keys()))
		see(g.loadingLog()...)
		g.kill9()
		// (2) the AOF is torn: the last command is cut short
		incr := filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof")
		st, err := os.Stat(incr)
		if err != nil {
			t.Fatal(err)
		}
		os.Truncate(incr, st.Size()-3)
		g.editConf("aof-load-truncated", "no")
		out := g.startFails()
		m := regexp.MustCompile(`# (Unexpected end of file reading the append only file .*)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no refusal in the log:\n%s", out)
		}
		refusal[kind] = m[1]
		// redis-check-aof --fix, answering y; the same on a copy with
		// redoubt's check-aof: the same report and the same file
		copyDir(t, filepath.Join(dir, "appendonlydir"), filepath.Join(dir, "copy"))
		copyFile(t, incr, filepath.Join(dir, "torn.aof"))
		fix := func(answer, bin string, args ...string) (string, int) {
			cmd := exec.Command(bin, append(args, "--fix", "appendonly.aof.manifest")...)
			cmd.Stdin = strings.NewReader(answer + "\n")
			cmd.Dir = filepath.Join(dir, "appendonlydir")
			if bin != "redis-check-aof" {
				cmd.Dir = filepath.Join(dir, "copy")
			}
			out, _ := cmd.CombinedOutput()
			return string(out), cmd.ProcessState.ExitCode()
		}
		for _, answer := range []string{"n", "y"} {
			want, wantCode := fix(answer, "redis-check-aof")
			got, gotCode := fix(answer, testutil.RedoubtBinary(t), "check-aof")
			if got != want || gotCode != wantCode {
				t.Errorf("answering %s, redoubt check-aof --fix printed (exit %d)\n%s\nredis-check-aof --fix printed (exit %d)\n%s", answer, gotCode, got, wantCode, want)
			}
			see(fmt.Sprintf("answer %s: exit %d, %d bytes left", answer, wantCode, len(readFile(t, incr))))
			if answer == "y" && !strings.Contains(want, "Successfully truncated AOF appendonly.aof.1.incr.aof") {
				t.Errorf("redis-check-aof --fix:\n%s", want)
			}
			if a, b := readFile(t, incr), readFile(t, filepath.Join(dir, "copy", "appendonly.aof.1.incr.aof")); a != b {
				t.Errorf("answering %s, the files differ:\nredis-check-aof %q\nredoubt         %q", answer, a, b)
			}
		}
		// the guide's redis-check-aof --fix on the AOF file itself (the
		// guide's Redis had one appendonly.aof): the same on both tools
		for _, name := range []string{"torn-by-redis.aof", "torn-by-redoubt.aof"} {
			copyFile(t, filepath.Join(dir, "torn.aof"), filepath.Join(dir, name))
		}
		var reports []string
		for i, bin := range [][]string{{"redis-check-aof"}, {testutil.RedoubtBinary(t), "check-aof"}} {
			name := []string{"torn-by-redis.aof", "torn-by-redoubt.aof"}[i]
			cmd := exec.Command(bin[0], append(bin[1:], "--fix", name)...)
			cmd.Dir = dir
			cmd.Stdin = strings.NewReader("y\n")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("%v --fix %s: %v\n%s", bin, name, err, out)
			}
			reports = append(reports, strings.ReplaceAll(string(out), name, "FILE"))
		}
		if reports[0] != reports[1] {
			t.Errorf("redis-check-aof --fix on the file printed\n%s\nredoubt check-aof --fix\n%s", reports[0], reports[1])
		}
		if a, b := readFile(t, filepath.Join(dir, "torn-by-redis.aof")), readFile(t, filepath.Join(dir, "torn-by-redoubt.aof")); a != b || a != readFile(t, incr) {
			t.Errorf("fixed on its own, the file is\nredis   %q\nredoubt %q\nvia the manifest %q", a, b, readFile(t, incr))
		}
		os.RemoveAll(filepath.Join(dir, "copy"))
		// (3) restart with the fixed AOF: one key is left
		g.start()
		see(fmt.Sprint("after --fix: ", g.keys()))
	})
	if len(refusal) == 2 && refusal["redoubt"] != refusal["redis"] {
		t.Errorf("redoubt refuses with\n%s\nredis-server with\n%s", refusal["redoubt"], refusal["redis"])
	}
}

// TestSeed002UndoFlushall: "某人不小心用flushall命令清空了所有数据 ... 拷贝AOF
// 文件，将最后一条flushall命令给删了，然后再将该AOF文件放回去": the data
// comes back.
func TestSeed002UndoFlushall(t *testing.T) {
	obs := map[string][]string{}
	for _, kind := range guideKinds {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			g := newGuideServer(t, kind, dir, append(append([]string{}, guideRDBConf...), guideAOFConf...)...)
			g.start()
			var o []string
			o = append(o, g.cli("set", "order:1", "paid"), g.cli("hset", "user:1", "name", "li"), g.cli("rpush", "queue", "a", "b"))
			want := []string{"order:1=paid", g.cli("hgetall", "user:1"), g.cli("lrange", "queue", "0", "-1")}
			o = append(o, g.cli("flushall"), g.cli("dbsize"))
			g.shutdown()
			incr := filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof")
			backup := filepath.Join(t.TempDir(), "appendonly.aof.1.incr.aof")
			copyFile(t, incr, backup)
			aof := readFile(t, backup)
			flush := "*1\r\n$8\r\nflushall\r\n"
			if !strings.HasSuffix(aof, flush) {
				t.Fatalf("the AOF does not end with the FLUSHALL:\n%q", aof)
			}
			os.WriteFile(backup, []byte(strings.TrimSuffix(aof, flush)), 0o644)
			copyFile(t, backup, incr)
			g.start()
			got := []string{"order:1=" + g.cli("get", "order:1"), g.cli("hgetall", "user:1"), g.cli("lrange", "queue", "0", "-1")}
			if !slices.Equal(got, want) {
				t.Errorf("after removing the FLUSHALL: %q, want %q", got, want)
			}
			o = append(o, g.cli("dbsize"))
			obs[kind] = o
		})
	}
	compareKinds(t, obs)
}

// The guide's backup scripts, word for word; only the paths of the guide's
// machine (/usr/local/redis, /var/redis/6379) are replaced with the test's.
const (
	guideHourlyScript = "#!/bin/sh \n\ncur_date=`date +%Y%m%d%k`\nrm -rf /usr/local/redis/snapshotting/$cur_date\nmkdir /usr/local/redis/snapshotting/$cur_date\ncp /var/redis/6379/dump.rdb /usr/local/redis/snapshotting/$cur_date\n\ndel_date=`date -d -48hour +%Y%m%d%k`\nrm -rf /usr/local/redis/snapshotting/$del_date\n"
	guideDailyScript  = "#!/bin/sh \n\ncur_date=`date +%Y%m%d`\nrm -rf /usr/local/redis/snapshotting/$cur_date\nmkdir /usr/local/redis/snapshotting/$cur_date\ncp /var/redis/6379/dump.rdb /usr/local/redis/snapshotting/$cur_date\n\ndel_date=`date -d -1month +%Y%m%d`\nrm -rf /usr/local/redis/snapshotting/$del_date\n"
)

// guideTZ is a time zone in which it is now the middle of the day: the
// hourly script's %k pads hours before 10 with a space, which its unquoted
// $cur_date would split into two paths.
func guideTZ() string {
	return fmt.Sprintf("GUIDE-%d", (36-time.Now().UTC().Hour())%24)
}

func guideDate(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("date", args...)
	cmd.Env = append(os.Environ(), "TZ="+guideTZ())
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// runBackupScript installs one of the guide's scripts under root and runs
// it as cron would ("sh /usr/local/redis/copy/..."); it returns the
// directory the backup went to.
func runBackupScript(t *testing.T, root, name, script, curFormat, delAgo string) string {
	t.Helper()
	script = strings.ReplaceAll(script, "/usr/local/redis", filepath.Join(root, "usr/local/redis"))
	script = strings.ReplaceAll(script, "/var/redis/6379", filepath.Join(root, "var/redis/6379"))
	path := filepath.Join(root, "usr/local/redis/copy", name)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(root, "usr/local/redis/snapshotting")
	// an old backup the script must delete
	old := filepath.Join(snap, guideDate(t, "-d", delAgo, curFormat))
	os.MkdirAll(old, 0o755)
	os.WriteFile(filepath.Join(old, "dump.rdb"), []byte("old"), 0o644)
	for attempt := 0; ; attempt++ {
		cur := guideDate(t, curFormat)
		cmd := exec.Command("sh", path)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "TZ="+guideTZ())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sh %s: %v\n%s", name, err, out)
		}
		if cur != guideDate(t, curFormat) && attempt == 0 {
			continue // the clock turned over during the run: once more
		}
		if _, err := os.Stat(old); !os.IsNotExist(err) {
			t.Errorf("%s did not delete the backup %s: %v", name, old, err)
		}
		return filepath.Join(snap, cur)
	}
}

// TestSeed002ColdBackupAndRestore is the guide's "企业级的数据备份方案" and
// "数据恢复方案 (3)": an instance with the guide's production config
// (daemonize yes, both persistences) serves a write load; after a BGSAVE
// the hourly and daily scripts copy dump.rdb away; then the data files are
// lost. The guide's wrong restores lose the backup as it says, and its
// right one (AOF off, copy the backup, start, CONFIG SET appendonly yes,
// CONFIG REWRITE, restart) brings back exactly the dataset of the backup
// with the AOF on.
func TestSeed002ColdBackupAndRestore(t *testing.T) {
	obs := map[string][]string{}
	for _, kind := range guideKinds {
		t.Run(kind, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "var/redis/6379")
			for _, d := range []string{dir, "usr/local/redis/copy", "usr/local/redis/snapshotting"} {
				if !filepath.IsAbs(d) {
					d = filepath.Join(root, d)
				}
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			var o []string
			see := func(s ...string) { o = append(o, s...) }
			g := newGuideServer(t, kind, dir, append(append([]string{}, guideRDBConf...), guideAOFConf...)...)
			g.editConf("daemonize", "yes")
			g.editConf("logfile", g.log)
			g.startDaemon()

			// the write load: each MSET bumps "last" with the key it adds,
			// so a point-in-time copy holds load:1..load:<last>
			ctx := context.Background()
			c := g.client()
			var acked atomic.Int64
			stop, loadDone := make(chan struct{}), make(chan error, 1)
			go func() {
				for i := int64(1); ; i++ {
					select {
					case <-stop:
						loadDone <- nil
						return
					default:
					}
					if err := c.MSet(ctx, fmt.Sprint("load:", i), i, "last", i).Err(); err != nil {
						loadDone <- err
						return
					}
					acked.Store(i)
				}
			}()
			for acked.Load() < 200 {
				select {
				case err := <-loadDone:
					t.Fatal("write load:", err)
				case <-time.After(5 * time.Millisecond):
				}
			}
			before := acked.Load()
			see(g.cli("bgsave"))
			g.waitInfo("rdb_bgsave_in_progress", "0")
			see(g.info("rdb_last_bgsave_status"))
			after := acked.Load() + 1 // one reply may still be on its way
			hourly := runBackupScript(t, root, "redis_rdb_copy_hourly.sh", guideHourlyScript, "+%Y%m%d%k", "-48hour")
			daily := runBackupScript(t, root, "redis_rdb_copy_daily.sh", guideDailyScript, "+%Y%m%d", "-1month")
			close(stop)
			if err := <-loadDone; err != nil {
				t.Fatal("write load:", err)
			}
			backup := filepath.Join(hourly, "dump.rdb")
			if readFile(t, backup) != readFile(t, filepath.Join(daily, "dump.rdb")) {
				t.Errorf("the hourly and the daily backup differ")
			}
			if out, err := exec.Command("redis-check-rdb", backup).CombinedOutput(); err != nil || !strings.Contains(string(out), "RDB looks OK") {
				t.Errorf("redis-check-rdb on the backup: %v\n%s", err, out)
			}
			// what the backup holds, read by an independent redis-server
			refDir := t.TempDir()
			copyFile(t, backup, filepath.Join(refDir, "dump.rdb"))
			ref := testutil.StartRedisIn(t, refDir)
			want := (&guideServer{t: t, port: ref.Port}).keys()
			ref.Cmd.Process.Kill()
			<-ref.Exited
			last := int64(0)
			for _, kv := range want {
				if v, ok := strings.CutPrefix(kv, "last="); ok {
					last, _ = strconv.ParseInt(v, 10, 64)
				}
			}
			if last < before || last > after || int64(len(want)) != last+1 {
				t.Fatalf("the backup holds %d keys and last=%d; writes acknowledged before BGSAVE: %d, by its end: %d", len(want), last, before, after)
			}
			inBackup := map[string]bool{}
			for _, kv := range want {
				inBackup[kv] = true
			}
			for i := int64(1); i <= last; i++ {
				if !inBackup[fmt.Sprintf("load:%d=%d", i, i)] {
					t.Fatalf("the backup lacks load:%d", i)
				}
			}

			// the disaster: the server is stopped and /var/redis/6379 lost
			g.shutdown()
			os.Remove(filepath.Join(dir, "dump.rdb"))
			os.RemoveAll(filepath.Join(dir, "appendonlydir"))
			restored := func(what string) {
				got := g.keys()
				if len(got) == 0 {
					see(what + ": empty")
					return
				}
				diffStates(t, what, want, got)
				see(what + ": the backup's dataset")
			}
			rdbKeys := func() string {
				out, _ := exec.Command("redis-check-rdb", filepath.Join(dir, "dump.rdb")).CombinedOutput()
				return regexp.MustCompile(`\[info\] \d+ keys read`).FindString(string(out))
			}
			// wrong: the backup copied back while appendonly yes: the AOF
			// (created empty) wins, and the stop overwrites dump.rdb
			copyFile(t, backup, filepath.Join(dir, "dump.rdb"))
			g.startDaemon()
			restored("backup copied back, appendonly yes")
			g.shutdown()
			see("dump.rdb after the stop: " + rdbKeys())
			// wrong again: the AOF deleted first, appendonly still yes
			os.RemoveAll(filepath.Join(dir, "appendonlydir"))
			copyFile(t, backup, filepath.Join(dir, "dump.rdb"))
			g.startDaemon()
			restored("appendonly.aof deleted, backup copied back, appendonly yes")
			g.shutdown()
			// right: AOF off in the config, then the backup
			g.editConf("appendonly", "no")
			copyFile(t, backup, filepath.Join(dir, "dump.rdb"))
			g.startDaemon()
			restored("appendonly no, backup copied back")
			// "脑子一热": stop, AOF on by hand, start: empty again
			g.shutdown()
			g.editConf("appendonly", "yes")
			g.startDaemon()
			restored("then appendonly yes by hand")
			g.shutdown()
			// the guide's way: AOF off, backup, start, turn the AOF on live
			g.editConf("appendonly", "no")
			copyFile(t, backup, filepath.Join(dir, "dump.rdb"))
			g.startDaemon()
			restored("appendonly no, backup copied back")
			see(g.cli("config", "set", "appendonly", "yes"))
			g.waitInfo("aof_enabled", "1", "aof_rewrite_in_progress", "0", "aof_rewrite_scheduled", "0")
			see(g.cli("config", "rewrite"))
			conf := readFile(t, g.conf)
			norm := strings.NewReplacer(root, "ROOT", strconv.Itoa(g.port), "PORT").Replace(conf)
			see(strings.Split(norm, "\n")...)
			g.shutdown()
			g.startDaemon()
			see("aof_enabled " + g.info("aof_enabled"))
			restored("restart after CONFIG SET appendonly yes and CONFIG REWRITE")
			g.shutdown()
			obs[kind] = o
		})
	}
	compareKinds(t, obs)
}
