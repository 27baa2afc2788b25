// aof_stream_test.go checks that stream commands reach the AOF as the
// effects Redis 7.0 propagates: the same deterministic sequence runs on
// the real redis-server and on redoubt, and their incr AOF files must hold
// the same commands (generated IDs concrete, approximate trims exact,
// consumer-group reads and claims as XCLAIMs with absolute times); only
// wall-clock values are masked. The state must then survive a restart from
// the AOF, redis-server must load redoubt's AOF into the same state, and
// so again after a BGREWRITEAOF.
package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/internal/aof"
	"github.com/redoubt/redoubt/test/testutil"
)

// streamAOFArgs: small nodes, so approximate trims can drop whole nodes
// and stop inside others.
var streamAOFArgs = []string{"--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--appendfsync", "always",
	"--stream-node-max-entries", "4"}

// timeLike matches what the wall clock decides: a millisecond time, alone
// or as the time part of a stream ID.
var timeLike = regexp.MustCompile(`\b1[6-9][0-9]{11}(-[0-9]+)?\b`)

func maskTime(s string) string { return timeLike.ReplaceAllString(s, "<time>") }

// streamAOFOps runs the sequence and returns the replies, one line each.
func streamAOFOps(t *testing.T, addr string) []string {
	t.Helper()
	ctx := context.Background()
	c := dedicatedClient(t, addr)
	var out []string
	do := func(args ...any) {
		t.Helper()
		v, err := c.Do(ctx, args...).Result()
		out = append(out, maskTime(fmt.Sprintf("%v -> %v %v", args, v, err)))
	}
	// served later by another client's XADD (or by the commands of serve)
	blocked := func(serve func(), args ...any) {
		t.Helper()
		b := dedicatedClient(t, addr)
		done := make(chan string, 1)
		go func() {
			v, err := b.Do(ctx, args...).Result()
			done <- fmt.Sprintf("%v -> %v %v", args, v, err)
		}()
		waitBlocked(t, c, 1)
		if serve == nil {
			do("XADD", "s", "70-*", "late", "1")
		} else {
			serve()
		}
		out = append(out, maskTime(<-done))
	}
	do("XADD", "s", "1-1", "f", "v")
	do("XADD", "s", "1-*", "f", "v")
	do("XADD", "s", "2", "f", "v")
	for i := 3; i < 30; i++ {
		do("XADD", "s", fmt.Sprint(i), "f", fmt.Sprint("v", i))
	}
	do("XADD", "s", "MAXLEN", "~", "20", "30-*", "f", "v")
	do("XADD", "s", "MAXLEN", "=", "25", "31-1", "f", "v")
	do("XDEL", "s", "9-0", "12-0")
	do("XTRIM", "s", "MINID", "~", "12")
	do("XTRIM", "s", "MINID", "~", "13")
	do("XTRIM", "s", "MAXLEN", "~", "8", "LIMIT", "4")
	do("XTRIM", "s", "MAXLEN", "~", "100")
	do("XADD", "s", "NOMKSTREAM", "MINID", "~", "18", "LIMIT", "100", "40-*", "f", "v")
	do("XADD", "nostream", "NOMKSTREAM", "*", "f", "v")
	do("XGROUP", "CREATE", "s", "g", "0")
	do("XGROUP", "CREATE", "s", "g2", "$")
	do("XGROUP", "CREATE", "s2", "g", "$", "MKSTREAM")
	do("XGROUP", "CREATE", "s4", "g", "$", "MKSTREAM")
	do("XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">")
	do("XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "NOACK", "STREAMS", "s", ">")
	do("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0")
	do("XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">")
	do("XREADGROUP", "GROUP", "g", "carol", "NOACK", "STREAMS", "s", "0")
	blocked(nil, "XREADGROUP", "GROUP", "g2", "dave", "BLOCK", "0", "STREAMS", "s", ">")
	blocked(nil, "XREADGROUP", "GROUP", "g2", "erin", "NOACK", "BLOCK", "0", "STREAMS", "s", ">")
	do("XREADGROUP", "GROUP", "g", "alice", "COUNT", "100", "STREAMS", "s", ">")
	blocked(nil, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
	do("XCLAIM", "s", "g", "bob", "0", "18", "20-0", "99-0", "JUSTID")
	do("XCLAIM", "s", "g", "frank", "0", "21-0", "RETRYCOUNT", "5", "IDLE", "1000")
	do("XCLAIM", "s", "g", "frank", "0", "99-0", "LASTID", "80-0")
	do("XCLAIM", "s", "g", "frank", "0", "23-0", "FORCE", "TIME", "1000")
	do("XDEL", "s", "19-0", "22-0")
	do("XCLAIM", "s", "g", "frank", "0", "19-0")
	do("XAUTOCLAIM", "s", "g", "gina", "0", "0", "COUNT", "3")
	do("XAUTOCLAIM", "s", "g", "gina", "0", "(23-0", "JUSTID")
	do("XACK", "s", "g", "20-0", "25-0", "99-0")
	do("XGROUP", "SETID", "s", "g2", "$")
	do("XGROUP", "SETID", "s", "g", "24-0", "ENTRIESREAD", "7")
	do("XGROUP", "CREATECONSUMER", "s", "g", "hank")
	do("XGROUP", "DELCONSUMER", "s", "g", "bob")
	do("XSETID", "s", "100-0", "ENTRIESADDED", "1000", "MAXDELETEDID", "90-0")
	do("XADD", "s", "*", "f", "clock")
	do("MULTI")
	do("XADD", "s", "MAXLEN", "~", "2", "*", "f", "tx")
	do("XREADGROUP", "GROUP", "g2", "ivan", "STREAMS", "s", ">")
	do("EXEC")
	do("EVAL", "for i = 1, 10 do redis.call('xadd', KEYS[1], '500-*', 'f', i) end; return redis.call('xtrim', KEYS[1], 'MAXLEN', '~', '1')", "1", "s3")
	do("EVAL", "redis.call('xgroup', 'create', KEYS[1], 'lg', '0'); local r = redis.call('xreadgroup', 'group', 'lg', 'lua', 'count', 3, 'streams', KEYS[1], '>'); redis.call('xack', KEYS[1], 'lg', r[1][2][1][1]); return redis.call('xautoclaim', KEYS[1], 'lg', 'lua2', 0, 0)", "1", "s3")
	// served by a transaction: the reader's claims follow its EXEC
	blocked(func() {
		do("MULTI")
		do("XADD", "s4", "1-1", "f", "v")
		do("XADD", "s4", "1-2", "f", "v")
		do("EXEC")
	}, "XREADGROUP", "GROUP", "g", "jo", "BLOCK", "0", "STREAMS", "s4", ">")
	do("XTRIM", "s", "MAXLEN", "6")
	do("XGROUP", "DESTROY", "s2", "g")
	return out
}

// aofCommands reads the incr AOF of dir, one masked line per command.
func aofCommands(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"))
	if err != nil {
		t.Fatal(err)
	}
	r := aof.NewReader(data)
	var out []string
	for {
		argv, err := r.Next()
		if err != nil {
			break
		}
		parts := make([]string, len(argv))
		for i, a := range argv {
			parts[i] = string(a)
		}
		out = append(out, maskTime(strings.Join(parts, " ")))
	}
	return out
}

// xinfoFull is XINFO STREAM key FULL COUNT 0 as text; seen-time is the
// consumer's last read or, after loading, the loading time: masked. With
// masking on, every wall-clock time is (two servers deliver at different
// instants).
func xinfoFull(t *testing.T, addr, key string, maskAll bool) string {
	t.Helper()
	c := newClient(t, addr)
	v, err := c.Do(context.Background(), "XINFO", "STREAM", key, "FULL", "COUNT", "0").Result()
	if err != nil {
		t.Fatalf("XINFO STREAM %s: %v", key, err)
	}
	s := fmt.Sprint(maskSeenTime(v))
	if maskAll {
		s = maskTime(s)
	}
	return s
}

func maskSeenTime(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i := range x {
			if i > 0 && x[i-1] == "seen-time" {
				out[i] = "<seen>"
				continue
			}
			out[i] = maskSeenTime(x[i])
		}
		return out
	case map[any]any:
		out := map[any]any{}
		for k, e := range x {
			if k == "seen-time" {
				e = "<seen>"
			}
			out[k] = maskSeenTime(e)
		}
		return out
	}
	return v
}

var entriesReadLag = regexp.MustCompile(`entries-read \S+ lag \S+`)

func maskEntriesRead(s string) string {
	return entriesReadLag.ReplaceAllString(s, "entries-read <n> lag <n>")
}

var streamAOFKeys = []string{"s", "s2", "s3", "s4"}

func TestAOFStreamPropagationLikeRedis(t *testing.T) {
	redisDir, redoubtDir := t.TempDir(), t.TempDir()
	r := testutil.StartRedisIn(t, redisDir, streamAOFArgs...)
	p := testutil.StartRedoubtIn(t, redoubtDir, streamAOFArgs...)

	wantReplies := streamAOFOps(t, r.Addr)
	gotReplies := streamAOFOps(t, p.Addr)
	diffStates(t, "replies (redis-server vs redoubt)", wantReplies, gotReplies)

	wantAOF := aofCommands(t, redisDir)
	gotAOF := aofCommands(t, redoubtDir)
	diffStates(t, "incr AOF (redis-server vs redoubt)", wantAOF, gotAOF)

	// the effects must be there, not the commands as sent
	joined := strings.Join(gotAOF, "\n")
	for _, want := range []string{"XADD s MAXLEN = ", "XTRIM s MINID = ", "XCLAIM s g alice 0 ", "XGROUP CREATECONSUMER s g bob",
		"XGROUP SETID s g ", "XCLAIM s3 lg lua2 0 500-", "xack s3 lg 500-", "EXEC\nMULTI\nXCLAIM s4 g jo 0 1-1 TIME <time> RETRYCOUNT 1 FORCE JUSTID LASTID 1-1", "XCLAIM s g2 dave 0 70-0 TIME <time> RETRYCOUNT 1 FORCE JUSTID LASTID 70-0", "XADD s <time> f clock"} {
		if !strings.Contains(joined, want) {
			t.Errorf("redoubt's AOF has no %q:\n%s", want, joined)
		}
	}

	before := map[string]string{}
	beforeRedis := map[string]string{}
	for _, k := range streamAOFKeys {
		before[k] = xinfoFull(t, p.Addr, k, false)
		beforeRedis[k] = xinfoFull(t, r.Addr, k, true)
		if got := xinfoFull(t, p.Addr, k, true); got != beforeRedis[k] {
			t.Errorf("XINFO STREAM %s FULL\nredis-server %s\nredoubt      %s", k, beforeRedis[k], got)
		}
	}

	// each server restarted from its own AOF
	p.Cmd.Process.Kill()
	<-p.Exited
	r.Cmd.Process.Kill()
	<-r.Exited
	p2 := testutil.StartRedoubtIn(t, redoubtDir, streamAOFArgs...)
	r2 := testutil.StartRedisIn(t, redisDir, streamAOFArgs...)
	after := map[string]string{}
	for _, k := range streamAOFKeys {
		after[k] = xinfoFull(t, p2.Addr, k, false)
		// Redis 7.0 propagates a group's entries-read only with XGROUP
		// SETID (NOACK reads), not with the XCLAIMs of other reads: a
		// loaded group may lose it, in redis-server as in redoubt
		if want, got := maskEntriesRead(before[k]), maskEntriesRead(after[k]); want != got {
			t.Errorf("XINFO STREAM %s FULL after restart\nbefore %s\nafter  %s", k, want, got)
		}
		if want, got := xinfoFull(t, r2.Addr, k, true), maskTime(after[k]); want != got {
			t.Errorf("XINFO STREAM %s FULL after restart\nredis-server %s\nredoubt      %s", k, want, got)
		}
	}
	p2.Cmd.Process.Kill()
	<-p2.Exited

	r3 := testutil.StartRedisIn(t, redoubtDir, streamAOFArgs...)
	for _, k := range streamAOFKeys {
		if got := xinfoFull(t, r3.Addr, k, false); got != after[k] {
			t.Errorf("XINFO STREAM %s FULL, redoubt's AOF loaded by redis-server\nredoubt %s\nredis   %s", k, after[k], got)
		}
	}
	r3.Cmd.Process.Kill()
	<-r3.Exited

	// then through a rewritten AOF (a base of commands): a rewrite keeps
	// no NACK of an entry no longer in the stream (its XCLAIM finds no
	// entry on loading), so the state is compared with redis-server's
	// own after the same rewrite
	rewriteAndRestart := func(dir string, start func(testing.TB, string, ...string) *testutil.Proc, running *testutil.Proc) *testutil.Proc {
		t.Helper()
		if running == nil {
			running = start(t, dir, streamAOFArgs...)
		}
		c := newClient(t, running.Addr)
		if err := c.BgRewriteAOF(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		waitAOFRewrite(t, c)
		running.Cmd.Process.Kill()
		<-running.Exited
		return start(t, dir, streamAOFArgs...)
	}
	p4 := rewriteAndRestart(redoubtDir, testutil.StartRedoubtIn, nil)
	r4 := rewriteAndRestart(redisDir, testutil.StartRedisIn, r2)
	rewritten := map[string]string{}
	for _, k := range streamAOFKeys {
		rewritten[k] = xinfoFull(t, p4.Addr, k, false)
		if want, got := xinfoFull(t, r4.Addr, k, true), maskTime(rewritten[k]); want != got {
			t.Errorf("XINFO STREAM %s FULL after BGREWRITEAOF and restart\nredis-server %s\nredoubt      %s", k, want, got)
		}
	}
	p4.Cmd.Process.Kill()
	<-p4.Exited
	r5 := testutil.StartRedisIn(t, redoubtDir, streamAOFArgs...)
	for _, k := range streamAOFKeys {
		if got := xinfoFull(t, r5.Addr, k, false); got != rewritten[k] {
			t.Errorf("XINFO STREAM %s FULL, redoubt's rewritten AOF loaded by redis-server\nredoubt %s\nredis   %s", k, rewritten[k], got)
		}
	}
}
