package aof

// redis_test.go proves the rewrite and the manifest against a real Redis
// 7.0: a data set is built there, each key read back with DUMP and decoded
// into redoubt's values, and AppendValueCommands' output is compared with
// the base file Redis's own rewrite writes for the same keys; then Redis
// loads a base file and an incr file made here (DEBUG LOADAOF) and every
// key must come back with the same contents and TTL.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/rdb"
	"github.com/redoubt/redoubt/internal/types"
	"github.com/redoubt/redoubt/test/testutil"
)

// buildDataSet fills db 0 with every type in every encoding.
func buildDataSet(t *testing.T, ctx context.Context, c *redis.Client) {
	t.Helper()
	do := func(args ...any) {
		t.Helper()
		if err := c.Do(ctx, args...).Err(); err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	do("SET", "s:plain", "hello")
	do("SET", "s:int", "-12345")
	do("SET", "s:empty", "")
	do("SET", "s:bin", "a\x00b\r\nc\xff")
	do("SET", "s:long", strings.Repeat("xyz", 100))
	do("SET", "s:ttl", "v")
	do("PEXPIREAT", "s:ttl", time.Now().Add(time.Hour).UnixMilli())

	args := []any{"RPUSH", "l:big"}
	for i := range 200 {
		if i%3 == 0 {
			args = append(args, i*1000)
		} else {
			args = append(args, fmt.Sprintf("elem-%d", i))
		}
	}
	do(args...)
	do("LPUSH", "l:small", "a", "", "-7", strings.Repeat("p", 70))
	do("RPUSH", "l:ttl", "x")
	do("PEXPIREAT", "l:ttl", time.Now().Add(2*time.Hour).UnixMilli())

	args = []any{"SADD", "set:int"}
	for i := range 150 {
		args = append(args, i*i-300)
	}
	do(args...)
	do("SADD", "set:int-wide", 1, 2, int64(1)<<40)
	args = []any{"SADD", "set:ht"}
	for i := range 130 {
		args = append(args, fmt.Sprintf("m%d", i))
	}
	do(args...)

	do("ZADD", "z:lp", 1.5, "a", "-inf", "b", "+inf", "c", 0.1, "d", 3, "e", -0.0, "f", 1e300, "g", -2.5e-10, "h")
	args = []any{"ZADD", "z:sl"}
	for i := range 200 {
		args = append(args, float64(i)/7, fmt.Sprintf("member-%d", i))
	}
	do(args...)

	do("HSET", "h:lp", "f1", "v1", "f2", "22", "n", "", "", "empty")
	args = []any{"HSET", "h:ht"}
	for i := range 200 {
		args = append(args, fmt.Sprintf("field-%d", i), i)
	}
	do(args...)
	do("HSET", "h:longval", "f", strings.Repeat("v", 100))

	for i := 1; i <= 6; i++ {
		if i%2 == 0 {
			do("XADD", "st", fmt.Sprintf("%d-1", i), "a", i, "b", "x")
		} else {
			do("XADD", "st", fmt.Sprintf("%d-1", i), "other", i)
		}
	}
	do("XDEL", "st", "6-1")
	do("XGROUP", "CREATE", "st", "g1", "0")
	do("XREADGROUP", "GROUP", "g1", "alice", "COUNT", 2, "STREAMS", "st", ">")
	do("XREADGROUP", "GROUP", "g1", "bob", "COUNT", 1, "STREAMS", "st", ">")
	do("XREADGROUP", "GROUP", "g1", "alice", "COUNT", 1, "STREAMS", "st", "0")
	do("XGROUP", "CREATECONSUMER", "st", "g1", "carol")
	do("XGROUP", "CREATE", "st", "g0", "$")
	do("XGROUP", "CREATE", "st", "g2", "2-1", "ENTRIESREAD", 1)
	do("XADD", "st:empty", "MAXLEN", 0, "5-5", "k", "v")
	do("XADD", "st:deleted", "1-1", "k", "v")
	do("XDEL", "st:deleted", "1-1")
	do("XGROUP", "CREATE", "st:deleted", "g", "0")
}

// readValues reads every key of db 0 back as redoubt values via DUMP,
// with its expire time (-1 when none).
func readValues(t *testing.T, ctx context.Context, c *redis.Client) (map[string]keyspace.Value, map[string]int64) {
	t.Helper()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	vals, exps := map[string]keyspace.Value{}, map[string]int64{}
	for _, k := range keys {
		payload, err := c.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		body, _, err := rdb.VerifyDump([]byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		r := rdb.NewReader(body)
		typ, err := r.ReadType()
		if err != nil {
			t.Fatal(err)
		}
		v, err := rdb.ReadValue(r, typ, rdb.DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		vals[k] = v
		exp, err := c.Do(ctx, "PEXPIRETIME", k).Int64()
		if err != nil {
			t.Fatal(err)
		}
		exps[k] = exp
	}
	return vals, exps
}

// cmdKey is the key a rewritten command is about.
func cmdKey(argv [][]byte) string {
	if strings.EqualFold(string(argv[0]), "XGROUP") {
		return string(argv[2])
	}
	return string(argv[1])
}

// splitByKey reads a command stream and groups its commands (as text,
// one string per argument) by key, skipping SELECT.
func splitByKey(t *testing.T, data []byte) map[string][][]string {
	t.Helper()
	out := map[string][][]string{}
	r := NewReader(data)
	for {
		argv, err := r.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			return out
		}
		if string(argv[0]) == "SELECT" {
			continue
		}
		var cmd []string
		for _, a := range argv {
			cmd = append(cmd, string(a))
		}
		out[cmdKey(argv)] = append(out[cmdKey(argv)], cmd)
	}
}

// unordered reports whether v's rewrite order is hash-table order in
// Redis (so only the set of items can be compared).
func unordered(v keyspace.Value) bool {
	switch v := v.(type) {
	case *types.Set:
		return !v.IsIntset()
	case *types.Hash:
		return !v.IsListpack()
	case *types.ZSet:
		return !v.IsListpack()
	}
	return false
}

// items flattens variadic commands into their sorted items (groups of
// width arguments after the key), keeping the command names and sizes.
func items(cmds [][]string, width int) (shape []string, its []string) {
	for _, c := range cmds {
		end := len(c)
		if c[0] == "PEXPIREAT" {
			shape = append(shape, strings.Join(c, " "))
			continue
		}
		shape = append(shape, c[0]+" "+strconv.Itoa(len(c)))
		for i := 2; i+width <= end; i += width {
			its = append(its, strings.Join(c[i:i+width], "\x00"))
		}
	}
	slices.Sort(its)
	return shape, its
}

func startRedisForAOF(t *testing.T) (*testutil.Proc, *redis.Client) {
	p := testutil.StartRedis(t, "--enable-debug-command", "yes", "--aof-use-rdb-preamble", "no", "--aof-disable-auto-gc", "yes")
	c := redis.NewClient(&redis.Options{Addr: p.Addr})
	t.Cleanup(func() { c.Close() })
	return p, c
}

// waitRewrite waits until the rewrite CONFIG SET appendonly yes or
// BGREWRITEAOF started (they fork before replying) has finished.
func waitRewrite(t *testing.T, ctx context.Context, c *redis.Client) {
	t.Helper()
	for range 1000 {
		info, err := c.Info(ctx, "persistence").Result()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(info, "aof_rewrite_in_progress:0\r\n") && strings.Contains(info, "aof_rewrite_scheduled:0\r\n") {
			if !strings.Contains(info, "aof_last_bgrewrite_status:ok\r\n") {
				t.Fatalf("rewrite failed:\n%s", info)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("AOF rewrite did not finish")
}

func TestRewriteAsRedis(t *testing.T) {
	p, c := startRedisForAOF(t)
	ctx := context.Background()
	buildDataSet(t, ctx, c)
	vals, exps := readValues(t, ctx, c)
	const library = "#!lua name=mylib\nredis.register_function('f', function() return 1 end)"
	if err := c.FunctionLoad(ctx, library).Err(); err != nil {
		t.Fatal(err)
	}

	// Redis's own rewrite of the same data set
	if err := c.ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, ctx, c)
	dir := filepath.Join(p.Dir, "appendonlydir")
	theirs, err := os.ReadFile(filepath.Join(dir, "appendonly.aof.1.base.aof"))
	if err != nil {
		t.Fatal(err)
	}
	// functions come first, then the databases
	if fl := AppendFunctionLoad(nil, []byte(library)); !bytes.HasPrefix(theirs, append(fl, "*2\r\n$6\r\nSELECT"...)) {
		t.Fatalf("Redis's base file does not start with %q:\n%q", fl, theirs[:min(len(theirs), 200)])
	}
	theirs = theirs[len(AppendFunctionLoad(nil, []byte(library))):]
	theirCmds := splitByKey(t, theirs)

	var ours []byte
	ours = AppendSelect(ours, 0)
	for k, v := range vals {
		ours = AppendValueCommands(ours, []byte(k), v, exps[k])
	}
	ourCmds := splitByKey(t, ours)
	if len(ourCmds) != len(theirCmds) || len(ourCmds) != len(vals) {
		t.Fatalf("keys: ours %d, Redis's %d, data set %d", len(ourCmds), len(theirCmds), len(vals))
	}
	for k, v := range vals {
		got, want := ourCmds[k], theirCmds[k]
		if !unordered(v) {
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("%s (%s): ours\n%q\nRedis's\n%q", k, v.Encoding(), got, want)
			}
			continue
		}
		width := 1
		if v.Kind() != keyspace.KindSet {
			width = 2
		}
		gs, gi := items(got, width)
		ws, wi := items(want, width)
		if !slices.Equal(gs, ws) || !slices.Equal(gi, wi) {
			t.Errorf("%s (%s): ours %q %q\nRedis's %q %q", k, v.Encoding(), gs, gi, ws, wi)
		}
	}

	// the manifest Redis wrote when AOF was turned on, then after a
	// rewrite with AOF on, as the same edits make it here
	m := &Manifest{}
	m.NewBase("appendonly.aof", false)
	m.NewIncr("appendonly.aof")
	m.MarkRewrittenIncrsAsHistory()
	checkManifest(t, dir, m)
	m.NewIncr("appendonly.aof")
	if err := c.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, ctx, c)
	m.NewBase("appendonly.aof", false)
	m.MarkRewrittenIncrsAsHistory()
	checkManifest(t, dir, m)

	// Redis loads our base file and an incr file, and gets the same data
	if err := c.ConfigSet(ctx, "appendonly", "no").Err(); err != nil {
		t.Fatal(err)
	}
	m = &Manifest{}
	base := m.NewBase("appendonly.aof", false)
	incr := m.NewIncr("appendonly.aof")
	var incrData []byte
	incrData = AppendTimestamp(incrData, time.Now().Unix())
	incrData = AppendCommand(incrData, []byte("SELECT"), []byte("0"))
	incrData = AppendCommand(incrData, []byte("SET"), []byte("s:incr"), []byte("from the incr file"))
	if err := c.FunctionFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	ours = append(AppendFunctionLoad(nil, []byte(library)), ours...)
	writeFiles(t, dir, map[string][]byte{base.Name: ours, incr.Name: incrData, ManifestName("appendonly.aof"): m.Encode()})
	if err := c.Do(ctx, "DEBUG", "LOADAOF").Err(); err != nil {
		t.Fatalf("DEBUG LOADAOF: %v\n%s", err, readLog(p))
	}
	got, gotExps := readValues(t, ctx, c)
	if s, _ := c.Get(ctx, "s:incr").Result(); s != "from the incr file" {
		t.Errorf("s:incr = %q", s)
	}
	delete(got, "s:incr")
	if libs, err := c.FunctionList(ctx, redis.FunctionListQuery{WithCode: true}).Result(); err != nil || len(libs) != 1 || libs[0].Code != library {
		t.Errorf("functions after load: %v %v", libs, err)
	}
	if len(got) != len(vals) {
		t.Errorf("loaded %d keys, want %d", len(got), len(vals))
	}
	for k, v := range vals {
		if got[k] == nil {
			t.Errorf("%s missing after load", k)
			continue
		}
		if a, b := describe(v), describe(got[k]); a != b {
			t.Errorf("%s after load:\n%s\nwant\n%s", k, b, a)
		}
		if gotExps[k] != exps[k] {
			t.Errorf("%s expire time %d, want %d", k, gotExps[k], exps[k])
		}
	}
}

func readLog(p *testutil.Proc) string {
	b, _ := os.ReadFile(p.Log)
	return string(b)
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		os.Remove(filepath.Join(dir, e.Name()))
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func checkManifest(t *testing.T, dir string, m *Manifest) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ManifestName("appendonly.aof")))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(m.Encode()) {
		t.Errorf("Redis's manifest:\n%s\nours:\n%s", b, m.Encode())
	}
	pm, err := ParseManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	if pm.CurBaseSeq != m.CurBaseSeq || pm.CurIncrSeq != m.CurIncrSeq {
		t.Errorf("parsed seqs %d %d, want %d %d", pm.CurBaseSeq, pm.CurIncrSeq, m.CurBaseSeq, m.CurIncrSeq)
	}
}

// describe is a value's contents in a canonical text form: members
// sorted where order is not part of the value, stream consumers' seen
// times left out (XCLAIM on load sets them to the load time).
func describe(v keyspace.Value) string {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	switch v := v.(type) {
	case *types.String:
		add("string %q", v.B)
	case *types.List:
		for i := range v.Len() {
			add("list %q", v.At(i))
		}
	case *types.Set:
		for _, m := range v.Members() {
			add("set %q", m)
		}
		slices.Sort(lines)
	case *types.ZSet:
		for n := v.First(); n != nil; n = n.Next() {
			add("zset %q %v", n.Member, n.Score)
		}
	case *types.Hash:
		v.ForEach(func(f, val []byte) bool { add("hash %q=%q", f, val); return true })
		slices.Sort(lines)
	case *types.Stream:
		v.Range(types.StreamID{}, types.MaxStreamID, false, func(id types.StreamID, fv [][]byte) bool {
			add("entry %v %q", id, fv)
			return true
		})
		add("len %d last %v first %v maxdel %v added %d", v.Len(), v.LastID, v.FirstID, v.MaxDeletedID, v.EntriesAdded)
		for _, g := range v.Groups() {
			add("group %s last %v read %d", g.Name, g.LastID, g.EntriesRead)
			g.PEL.Ascend(types.StreamID{}, func(id types.StreamID, n *types.StreamNACK) bool {
				add("  pending %v %s time %d count %d", id, n.Consumer.Name, n.DeliveryTime, n.DeliveryCount)
				return true
			})
			for _, c := range g.Consumers() {
				add("  consumer %s pending %d", c.Name, c.PEL.Len())
			}
		}
	}
	return v.Kind().String() + "\n" + strings.Join(lines, "\n")
}

// TestReaderAsRedisLoader has Redis load command streams as its only incr
// file (aof-load-truncated is on by default): it must truncate a damaged
// tail where Reader's error says and load the commands Reader returns.
// DEBUG LOADAOF exits after truncating, so a second server loads the
// truncated file.
func TestReaderAsRedisLoader(t *testing.T) {
	testutil.RedisServerPath(t)
	cases := []string{
		setAB,
		setAB + "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n",
		"#TS:1\r\n" + setAB + "#TS:2\r\n*3\r\n$3\r\nSE",
		setAB + "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\nd\r",
		"*3 junk\r\n$3xx\r\nSET\r\n$1\r\nkXY$1\r\nv\r\n*",
		"#" + strings.Repeat("x", 1022) + "#y\r\n" + setAB + "*2\r\n$3\r\nDEL\r\n$1\r\na\r\n*2\r\n",
		"*2\r\n$3\r\nDEL\r\n$1\r\na\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nshort\r\n",
	}
	ctx := context.Background()
	for _, in := range cases {
		// what Reader makes of it, applied to a map
		want := map[string]string{}
		r := NewReader([]byte(in))
		var rerr error
		for {
			argv, err := r.Next()
			if err != nil {
				rerr = err
				break
			}
			switch string(argv[0]) {
			case "SET":
				want[string(argv[1])] = string(argv[2])
			case "DEL":
				delete(want, string(argv[1]))
			}
		}
		size := int64(len(in))
		if ae, ok := rerr.(*Error); ok {
			if !errors.Is(ae, ErrTruncated) {
				t.Fatalf("%q: %v", in, ae)
			}
			size = ae.Offset
		}

		home := t.TempDir()
		dir := filepath.Join(home, "appendonlydir")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		m := &Manifest{}
		incr := m.NewIncr("appendonly.aof")
		writeFiles(t, dir, map[string][]byte{incr.Name: []byte(in), ManifestName("appendonly.aof"): m.Encode()})
		var got map[string]string
		for attempt := 0; got == nil && attempt < 2; attempt++ {
			p := testutil.StartRedisIn(t, home, "--enable-debug-command", "yes")
			c := redis.NewClient(&redis.Options{Addr: p.Addr, MaxRetries: -1})
			if err := c.Do(ctx, "DEBUG", "LOADAOF").Err(); err == nil {
				keys, _ := c.Keys(ctx, "*").Result()
				got = map[string]string{}
				for _, k := range keys {
					got[k], _ = c.Get(ctx, k).Result()
				}
			} else if !strings.Contains(readLog(p), "loaded anyway because aof-load-truncated is enabled") {
				t.Fatalf("%q: DEBUG LOADAOF: %v\n%s", in, err, readLog(p))
			}
			c.Close()
		}
		st, err := os.Stat(filepath.Join(dir, incr.Name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != size {
			t.Errorf("%q: Redis left %d bytes, Reader's valid prefix is %d", in, st.Size(), size)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%q: Redis loaded %v, Reader read %v", in, got, want)
		}
	}
}

// TestReaderFormatErrorsAsRedis: what Reader calls a format error, Redis
// refuses to load with its "Bad file format" message. (Two inputs Reader
// also rejects make Redis fail otherwise: a negative bulk length aborts
// it on an allocation, "*\x00" is an "Unrecoverable error".)
func TestReaderFormatErrorsAsRedis(t *testing.T) {
	testutil.RedisServerPath(t)
	ctx := context.Background()
	for _, in := range []string{"x", "\r\n", setAB + "GET a\r\n", "*0\r\n", "*-1\r\n", "*\r\n", "*x\r\n",
		"*1\r\n+OK\r\n", "*4294967296\r\n", setAB + "*2\r\n$3\r\nGET\r\n:1\r\n"} {
		if _, _, err := readAll(in); !errors.Is(err, ErrFormat) {
			t.Fatalf("%q: Reader: %v", in, err)
		}
		home := t.TempDir()
		dir := filepath.Join(home, "appendonlydir")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		m := &Manifest{}
		incr := m.NewIncr("appendonly.aof")
		writeFiles(t, dir, map[string][]byte{incr.Name: []byte(in), ManifestName("appendonly.aof"): m.Encode()})
		p := testutil.StartRedisIn(t, home, "--enable-debug-command", "yes")
		c := redis.NewClient(&redis.Options{Addr: p.Addr, MaxRetries: -1})
		err := c.Do(ctx, "DEBUG", "LOADAOF").Err()
		c.Close()
		<-p.Exited
		if err == nil || !strings.Contains(readLog(p), "Bad file format reading the append only file "+incr.Name+": make a backup") {
			t.Errorf("%q: Redis: %v\n%s", in, err, readLog(p))
		}
	}
}
