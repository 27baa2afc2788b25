// aof_test.go covers the append-only file end to end: what redoubt writes
// (through the propagation stream, BGREWRITEAOF, CONFIG SET appendonly)
// comes back after a kill -9 and loads into the real redis-server; what
// redis-server writes loads into redoubt; a Redis 6 single file is
// migrated; a truncated tail is handled as Redis handles it.
package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// aofEffectOps runs commands whose effect must be propagated rather than
// their text: relative expiries, random pops, floats, scripts,
// transactions, blocking pops served by another client.
func aofEffectOps(t *testing.T, addr string) {
	t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	must := func(err error) {
		t.Helper()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
	}
	must(c.Set(ctx, "eff:ex", "v", time.Hour).Err())
	must(c.Do(ctx, "SET", "eff:px", "v", "PX", "7200000").Err())
	must(c.Do(ctx, "SETEX", "eff:setex", "3600", "v").Err())
	must(c.Set(ctx, "eff:expire", "v", 0).Err())
	must(c.Expire(ctx, "eff:expire", 90*time.Minute).Err())
	must(c.Set(ctx, "eff:gone", "v", 0).Err())
	must(c.Do(ctx, "EXPIRE", "eff:gone", "-1").Err())
	must(c.Set(ctx, "eff:getex", "v", 0).Err())
	must(c.Do(ctx, "GETEX", "eff:getex", "EX", "5000").Err())
	must(c.Set(ctx, "eff:getdel", "v", 0).Err())
	must(c.GetDel(ctx, "eff:getdel").Err())
	for i := 0; i < 5; i++ {
		must(c.IncrByFloat(ctx, "eff:float", 0.1).Err())
		must(c.HIncrByFloat(ctx, "eff:hfloat", "f", 1.1).Err())
	}
	members := make([]any, 200)
	for i := range members {
		members[i] = fmt.Sprint("m", i)
	}
	must(c.SAdd(ctx, "eff:set", members...).Err())
	must(c.SPop(ctx, "eff:set").Err())
	must(c.SPopN(ctx, "eff:set", 50).Err())
	must(c.SPopN(ctx, "eff:set", 140).Err()) // the keep-the-rest strategy
	must(c.SAdd(ctx, "eff:set2", 1, 2, 3).Err())
	must(c.SPopN(ctx, "eff:set2", 10).Err()) // the whole set: a DEL
	must(c.Eval(ctx, "redis.call('set', KEYS[1], '1'); redis.call('incrby', KEYS[1], 41); return redis.call('srandmember', KEYS[2])", []string{"eff:script", "eff:set"}).Err())
	must(c.Eval(ctx, "return redis.call('spop', KEYS[1])", []string{"eff:set"}).Err())
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "eff:tx")
		p.Expire(ctx, "eff:tx", time.Hour)
		p.SPop(ctx, "eff:set")
		return nil
	})
	must(err)
	dump := c.Dump(ctx, "eff:ex").Val()
	must(c.Restore(ctx, "eff:restored", 50*time.Minute, dump).Err())
	// blocking pops served later by another client's push
	for _, cmd := range [][]any{
		{"BLPOP", "eff:bl", "5"},
		{"BLMOVE", "eff:bl2", "eff:bl2dst", "LEFT", "RIGHT", "5"},
		{"BZPOPMIN", "eff:bz", "5"},
		{"BLMPOP", "5", "1", "eff:bl3", "RIGHT", "COUNT", "2"},
	} {
		b := redis.NewClient(&redis.Options{Addr: addr})
		done := make(chan error, 1)
		go func() { done <- b.Do(ctx, cmd...).Err() }()
		waitBlocked(t, c, 1)
		switch cmd[0] {
		case "BZPOPMIN":
			must(c.ZAdd(ctx, "eff:bz", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"}).Err())
		default:
			must(c.RPush(ctx, cmd[1].(string), "x", "y", "z").Err())
			if cmd[0] == "BLMPOP" {
				must(c.RPush(ctx, "eff:bl3", "p", "q", "r").Err())
			}
		}
		must(<-done)
		b.Close()
	}
	aofStreamEffectOps(t, c, addr)
	must(c.FunctionLoad(ctx, "#!lua name=efflib\nredis.register_function('effset', function(keys, args) return redis.call('set', keys[1], args[1]) end)").Err())
	must(c.FCall(ctx, "effset", []string{"eff:fcall"}, "fromfunction").Err())
}

// aofStreamEffectOps: generated IDs, approximate trims, consumer-group
// reads (one blocked, served by another client), claims and auto-claims
// of a deleted entry. Each group's last read is a NOACK one: Redis 7.0
// propagates a group's entries-read only then (XGROUP SETID).
func aofStreamEffectOps(t *testing.T, c *redis.Client, addr string) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 20; i++ {
		must(c.XAdd(ctx, &redis.XAddArgs{Stream: "eff:stream", Values: []any{"f", i}}).Err())
	}
	must(c.XAdd(ctx, &redis.XAddArgs{Stream: "eff:stream", MaxLen: 12, Approx: true, Values: []any{"f", "trim"}}).Err())
	must(c.Do(ctx, "XTRIM", "eff:stream", "MAXLEN", "~", "3", "LIMIT", "7").Err())
	must(c.XGroupCreate(ctx, "eff:stream", "g", "0").Err())
	must(c.XGroupCreate(ctx, "eff:stream", "g2", "$").Err())
	must(c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c1", Streams: []string{"eff:stream", ">"}, Count: 4}).Err())
	pending := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "eff:stream", Group: "g", Start: "-", End: "+", Count: 10}).Val()
	if len(pending) != 4 {
		t.Fatalf("XPENDING after XREADGROUP: %v", pending)
	}
	must(c.Do(ctx, "XCLAIM", "eff:stream", "g", "c2", "0", pending[0].ID, "IDLE", "5000").Err())
	must(c.XDel(ctx, "eff:stream", pending[1].ID).Err())
	must(c.Do(ctx, "XAUTOCLAIM", "eff:stream", "g", "c3", "0", "0", "COUNT", "2").Err())
	must(c.XAck(ctx, "eff:stream", "g", pending[3].ID).Err())
	b := redis.NewClient(&redis.Options{Addr: addr})
	defer b.Close()
	done := make(chan error, 1)
	go func() {
		done <- b.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g2", Consumer: "c4", Streams: []string{"eff:stream", ">"}, Block: 5 * time.Second}).Err()
	}()
	waitBlocked(t, c, 1)
	must(c.XAdd(ctx, &redis.XAddArgs{Stream: "eff:stream", ID: "*", Values: []any{"f", "late"}}).Err())
	must(<-done)
	must(c.XAdd(ctx, &redis.XAddArgs{Stream: "eff:stream", Values: []any{"f", "last"}}).Err())
	for _, g := range []string{"g", "g2"} {
		must(c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: g, Consumer: "c5", Streams: []string{"eff:stream", ">"}, NoAck: true}).Err())
	}
}

// aofState is rdbDatasetState plus what AOF replay must also keep exactly:
// absolute expire times, and the function libraries.
func aofState(t *testing.T, addr string) []string {
	t.Helper()
	ctx := context.Background()
	out := rdbDatasetState(t, addr)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	keys := c.Keys(ctx, "eff:*").Val()
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s pexpiretime=%d", k, c.PExpireTime(ctx, k).Val()))
		switch c.Type(ctx, k).Val() {
		case "hash":
			out = append(out, fmt.Sprint(k, c.HGetAll(ctx, k).Val()))
		case "stream":
			// delivery times included: the AOF carries them
			v := c.Do(ctx, "XINFO", "STREAM", k, "FULL", "COUNT", "0").Val()
			out = append(out, fmt.Sprint(k, maskSeenTime(v)))
		}
	}
	out = append(out, fmt.Sprint("functions ", c.Do(ctx, "FUNCTION", "LIST").Val()))
	return out
}

func waitAOFRewrite(t *testing.T, c *redis.Client) {
	t.Helper()
	for i := 0; i < 2000; i++ {
		info := c.Info(context.Background(), "persistence").Val()
		if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0") &&
			strings.Contains(info, "aof_enabled:1") && !strings.Contains(info, "aof_rewrites:0") {
			if !strings.Contains(info, "aof_last_bgrewrite_status:ok") {
				t.Fatalf("BGREWRITEAOF failed:\n%s", info)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("BGREWRITEAOF did not finish")
}

func diffStates(t *testing.T, what string, want, got []string) {
	t.Helper()
	if slices.Equal(want, got) {
		return
	}
	n := 0
	for i := 0; i < max(len(want), len(got)) && n < 10; i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Errorf("%s: line %d\nwant %.300s\ngot  %.300s", what, i, w, g)
			n++
		}
	}
	t.Fatalf("%s: %d vs %d lines differ", what, len(want), len(got))
}

func TestAOFRestartAndInteropWithRedis(t *testing.T) {
	for _, preamble := range []string{"yes", "no"} {
		t.Run("preamble="+preamble, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", preamble}, tunedArgs...)
			p := testutil.StartRedoubtIn(t, dir, args...)
			c := redis.NewClient(&redis.Options{Addr: p.Addr})
			defer c.Close()
			ctx := context.Background()
			fillRDBDataset(t, c, 500)
			// a rewrite in the middle: the rest goes to the new incr file
			if err := c.BgRewriteAOF(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			waitAOFRewrite(t, c)
			aofEffectOps(t, p.Addr)
			want := aofState(t, p.Addr)

			p.Cmd.Process.Kill()
			<-p.Exited
			p2 := testutil.StartRedoubtIn(t, dir, args...)
			diffStates(t, "redoubt after kill -9", want, aofState(t, p2.Addr))
			p2.Cmd.Process.Kill()
			<-p2.Exited

			r := testutil.StartRedisIn(t, dir, args...)
			diffStates(t, "redis-server loading redoubt's AOF", want, aofState(t, r.Addr))
		})
	}
}

func TestAOFFromRedisLoads(t *testing.T) {
	for _, preamble := range []string{"yes", "no"} {
		t.Run("preamble="+preamble, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"--appendonly", "yes", "--aof-use-rdb-preamble", preamble}, tunedArgs...)
			r := testutil.StartRedisIn(t, dir, args...)
			c := redis.NewClient(&redis.Options{Addr: r.Addr})
			defer c.Close()
			ctx := context.Background()
			fillRDBDataset(t, c, 500)
			if err := c.BgRewriteAOF(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			waitAOFRewrite(t, c)
			aofEffectOps(t, r.Addr)
			want := aofState(t, r.Addr)
			c.Shutdown(ctx) // fsyncs the AOF; the error is the closed connection
			<-r.Exited

			p := testutil.StartRedoubtIn(t, dir, args...)
			diffStates(t, "redoubt loading redis-server's AOF", want, aofState(t, p.Addr))
		})
	}
}

// TestAOFRedis6SingleFile: an appendonly.aof of the old layout (here with
// an RDB preamble, from Redis's own test assets) is loaded and moved into
// the directory layout.
func TestAOFRedis6SingleFile(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "..", "shared", "redis-assets", "rdb-preamble.aof"))
	if err != nil {
		t.Skip("redis-assets not available:", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "appendonly.aof"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	p := testutil.StartRedoubtIn(t, dir, "--appendonly", "yes")
	c := redis.NewClient(&redis.Options{Addr: p.Addr})
	defer c.Close()
	ctx := context.Background()
	for k, v := range map[string]string{"k1": "v1", "k2": "v2", "k3": "v3"} {
		if got := c.Get(ctx, k).Val(); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "appendonly.aof")); !os.IsNotExist(err) {
		t.Errorf("the old file is still in dir: %v", err)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(manifest), "file appendonly.aof seq 1 type b") {
		t.Errorf("manifest:\n%s", manifest)
	}
	c.Set(ctx, "k4", "v4", 0)
	p.Cmd.Process.Kill()
	<-p.Exited
	p2 := testutil.StartRedoubtIn(t, dir, "--appendonly", "yes")
	c2 := redis.NewClient(&redis.Options{Addr: p2.Addr})
	defer c2.Close()
	if n := c2.DBSize(ctx).Val(); n != 4 {
		t.Errorf("after restart: %d keys, want 4", n)
	}
}

// TestAOFTruncatedTail: a last incr file cut inside a command loads up to
// the last complete command with aof-load-truncated yes (and is truncated
// there), and stops the server with no, in redoubt as in redis-server.
func TestAOFTruncatedTail(t *testing.T) {
	dir := tenKeysThenKill(t)
	ctx := context.Background()
	incr := filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof")
	f, err := os.OpenFile(incr, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("*3\r\n$3\r\nSET\r\n$4\r\nlost\r\n$5\r\nva")
	f.Close()
	good, _ := os.Stat(incr)

	for _, bin := range []string{"redoubt", "redis"} {
		t.Run(bin, func(t *testing.T) {
			d := t.TempDir()
			copyDir(t, filepath.Join(dir, "appendonlydir"), filepath.Join(d, "appendonlydir"))
			out := runUntilExit(t, bin, d, "--appendonly", "yes", "--aof-load-truncated", "no")
			if !strings.Contains(out, "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof") {
				t.Errorf("aof-load-truncated no:\n%s", out)
			}
			var s *testutil.Proc
			if bin == "redoubt" {
				s = testutil.StartRedoubtIn(t, d, "--appendonly", "yes")
			} else {
				s = testutil.StartRedisIn(t, d, "--appendonly", "yes")
			}
			c := redis.NewClient(&redis.Options{Addr: s.Addr})
			defer c.Close()
			if n := c.DBSize(ctx).Val(); n != 10 {
				t.Errorf("%d keys loaded, want 10", n)
			}
			st, _ := os.Stat(filepath.Join(d, "appendonlydir", "appendonly.aof.1.incr.aof"))
			if want := good.Size() - int64(len("*3\r\n$3\r\nSET\r\n$4\r\nlost\r\n$5\r\nva")); st.Size() != want {
				t.Errorf("file truncated to %d, want %d", st.Size(), want)
			}
			log, _ := os.ReadFile(s.Log)
			if !strings.Contains(string(log), "!!! Truncating the AOF appendonly.aof.1.incr.aof at offset") {
				t.Errorf("log:\n%s", log)
			}
		})
	}
}

// runUntilExit starts a server expected to refuse to start and returns
// its output.
func runUntilExit(t *testing.T, bin, dir string, args ...string) string {
	t.Helper()
	path := testutil.RedisServerPath(t)
	full := append([]string{"--port", fmt.Sprint(testutil.FreePort(t)), "--bind", "127.0.0.1", "--dir", dir, "--save", ""}, args...)
	if bin == "redoubt" {
		path = testutil.RedoubtBinary(t)
		full = append([]string{"server"}, full...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, full...).CombinedOutput()
	if err == nil {
		t.Errorf("%s started (exit 0):\n%s", bin, out)
	}
	return string(out)
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAOFConfigSetAppendonly: turning the AOF on at run time writes a base
// of the data first; everything is there after a kill -9.
func TestAOFConfigSetAppendonly(t *testing.T) {
	dir := t.TempDir()
	p := testutil.StartRedoubtIn(t, dir)
	c := redis.NewClient(&redis.Options{Addr: p.Addr})
	defer c.Close()
	ctx := context.Background()
	fillRDBDataset(t, c, 300)
	if err := c.ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	c.Set(ctx, "during", "1", 0)
	waitAOFRewrite(t, c)
	c.Set(ctx, "after", "1", 0)
	want := rdbDatasetState(t, p.Addr)
	p.Cmd.Process.Kill()
	<-p.Exited
	p2 := testutil.StartRedoubtIn(t, dir, "--appendonly", "yes")
	diffStates(t, "after CONFIG SET appendonly yes and kill -9", want, rdbDatasetState(t, p2.Addr))

	// and off again: the files stay, nothing more is appended
	c2 := redis.NewClient(&redis.Options{Addr: p2.Addr})
	defer c2.Close()
	if err := c2.ConfigSet(ctx, "appendonly", "no").Err(); err != nil {
		t.Fatal(err)
	}
	if v := infoText(t, c2, "persistence", "aof_enabled"); v != "0" {
		t.Errorf("aof_enabled %s after CONFIG SET appendonly no", v)
	}
}

// TestAOFAutoRewrite: the AOF is rewritten on its own once it grew past
// auto-aof-rewrite-min-size by auto-aof-rewrite-percentage.
func TestAOFAutoRewrite(t *testing.T) {
	dir := t.TempDir()
	p := testutil.StartRedoubtIn(t, dir, "--appendonly", "yes", "--auto-aof-rewrite-min-size", "100kb", "--auto-aof-rewrite-percentage", "100")
	c := redis.NewClient(&redis.Options{Addr: p.Addr})
	defer c.Close()
	ctx := context.Background()
	for i := 0; i < 3000; i++ {
		c.Set(ctx, "counter", strings.Repeat("x", 100), 0)
	}
	waitAOFRewrite(t, c)
	m, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	if err != nil || strings.Contains(string(m), "appendonly.aof.1.base.rdb") || !strings.Contains(string(m), ".base.rdb") {
		t.Fatalf("manifest after the rewrite (%v):\n%s", err, m)
	}
	log, _ := os.ReadFile(p.Log)
	if !strings.Contains(string(log), "Starting automatic rewriting of AOF on") {
		t.Errorf("log:\n%s", log)
	}
}

// tenKeysThenKill runs a redoubt with appendfsync always in a new
// directory, sets key0..key9 and kills it with SIGKILL.
func tenKeysThenKill(t *testing.T) string {
	dir := t.TempDir()
	p := testutil.StartRedoubtIn(t, dir, "--appendonly", "yes", "--appendfsync", "always")
	c := redis.NewClient(&redis.Options{Addr: p.Addr})
	for i := 0; i < 10; i++ {
		c.Set(context.Background(), fmt.Sprint("key", i), i, 0)
	}
	c.Close()
	p.Cmd.Process.Kill()
	<-p.Exited
	return dir
}
