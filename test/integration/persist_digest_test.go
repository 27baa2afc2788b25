// persist_digest_test.go applies one seeded random workload (every type and
// encoding, several DBs, TTLs, stream consumer groups, HLLs, function
// libraries) to a redoubt and a redis-server, checks both hold the same data
// set (DEBUG DIGEST, which both compute alike), then moves it through every
// persistence path (RDB both ways, AOF with and without preamble, rewrite,
// DEBUG RELOAD, DUMP/RESTORE, smaller encoding limits at load) and checks
// nothing changed. DEBUG DIGEST does not see stream metadata, exact expire
// times or functions, so those are compared on the side.
package integration

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

var digestArgs = []string{"--enable-debug-command", "local"}

// smallLimits makes the loading server convert encodings at load time.
var smallLimits = []string{"--list-max-listpack-size", "3", "--hash-max-listpack-entries", "2",
	"--hash-max-listpack-value", "8", "--zset-max-listpack-entries", "2", "--zset-max-listpack-value", "8",
	"--set-max-intset-entries", "4", "--stream-node-max-entries", "3"}

type wcmd []any

// genWorkload returns the commands (SELECTs included) of a random but
// seeded data set; expBase is the absolute unix ms the TTLs count from, so
// both servers get the same expire times.
func genWorkload(seed int64, expBase int64) []wcmd {
	r := rand.New(rand.NewSource(seed))
	var out []wcmd
	add := func(a ...any) { out = append(out, wcmd(a)) }
	randStr := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + r.Intn(26))
		}
		return string(b)
	}
	randBin := func(n int) string {
		b := make([]byte, n)
		r.Read(b)
		return string(b)
	}
	member := func() string {
		switch r.Intn(6) {
		case 0:
			return strconv.Itoa(r.Intn(1000) - 500)
		case 1:
			return strconv.FormatInt(r.Int63()-r.Int63(), 10)
		case 2:
			return randBin(1 + r.Intn(12))
		case 3:
			return randStr(70 + r.Intn(30))
		default:
			return randStr(1 + r.Intn(10))
		}
	}
	// no -0: Redis 7.0 keeps it in a skiplist but not in a listpack, so
	// whether it survives a load or an AOF rewrite depends on encoding
	// changes and on the rewrite's hash order (TestPersistDigestNegZero)
	scores := []string{"inf", "-inf", "0", "-1", "0.1", "1e-300", "-1e300", "3.141592653589793", "12345678901234567890", "1.5", "-2.25"}
	score := func() string {
		if r.Intn(3) == 0 {
			return scores[r.Intn(len(scores))]
		}
		return strconv.FormatFloat((r.Float64()-0.5)*1e6, 'g', -1, 64)
	}
	fscore := func() string { // finite
		if r.Intn(3) == 0 {
			return scores[3+r.Intn(len(scores)-3)]
		}
		return strconv.FormatFloat((r.Float64()-0.5)*1e6, 'g', -1, 64)
	}
	ttl := func(key string) {
		switch r.Intn(8) {
		case 0:
			add("PEXPIREAT", key, expBase+int64(r.Intn(1e8)))
		case 1:
			add("EXPIREAT", key, expBase/1000+int64(r.Intn(1e5)))
		}
	}
	for db := 0; db < 4; db++ {
		add("SELECT", db)
		p := fmt.Sprintf("d%d:", db)
		// strings
		for i := 0; i < 60; i++ {
			k := fmt.Sprint(p, "s:", i)
			switch r.Intn(9) {
			case 0:
				add("SET", k, r.Int63()-r.Int63())
			case 1:
				add("SET", k, []string{"0", "-0", "007", "9223372036854775807", "-9223372036854775808", "9223372036854775808", " 1", "1e3", ""}[r.Intn(9)])
			case 2:
				add("SET", k, randBin(r.Intn(100)))
			case 3:
				add("SET", k, strings.Repeat(randStr(5), 1000+r.Intn(3000))) // compressible
			case 4:
				add("SET", k, randBin(5000+r.Intn(20000))) // not compressible
			case 5:
				add("INCRBYFLOAT", k, fscore())
			case 6:
				add("SET", k, r.Intn(100))
				add("INCRBY", k, r.Int63n(1e15))
				add("APPEND", k, "x")
			case 7:
				add("SETRANGE", k, r.Intn(300), randStr(5))
			default:
				add("SET", k, randStr(r.Intn(50)))
			}
			ttl(k)
		}
		add("SET", "", "empty key name")
		add("SET", p+"bin\x00key\xff", randBin(20))
		// lists
		for i := 0; i < 12; i++ {
			k := fmt.Sprint(p, "l:", i)
			n := []int{1, 5, 130, 3000}[r.Intn(4)]
			args := []any{"RPUSH", k}
			for j := 0; j < n; j++ {
				if r.Intn(200) == 0 {
					args = append(args, randStr(9000+r.Intn(5000))) // bigger than a node
				} else {
					args = append(args, member())
				}
			}
			add(args...)
			add("LPUSH", k, member(), member())
			if n > 5 {
				add("LSET", k, r.Intn(n), randStr(9000))
				add("LINSERT", k, "BEFORE", args[2+r.Intn(n)], "ins")
				add("LREM", k, 1, args[2+r.Intn(n)])
			}
			if n > 100 && r.Intn(2) == 0 {
				add("LTRIM", k, 3, -4)
			}
			ttl(k)
		}
		// sets: intsets of each width, hashtables
		for i := 0; i < 10; i++ {
			k := fmt.Sprint(p, "set:", i)
			n := []int{3, 40, 600}[r.Intn(3)]
			args := []any{"SADD", k}
			for j := 0; j < n; j++ {
				switch i % 4 {
				case 0:
					args = append(args, r.Intn(60000)-30000)
				case 1:
					args = append(args, r.Int63()-r.Int63())
				case 2:
					args = append(args, r.Intn(1<<31))
				default:
					args = append(args, member())
				}
			}
			add(args...)
			add("SREM", k, args[2])
			ttl(k)
		}
		// hashes
		for i := 0; i < 10; i++ {
			k := fmt.Sprint(p, "h:", i)
			n := []int{2, 20, 300}[r.Intn(3)]
			args := []any{"HSET", k}
			for j := 0; j < n; j++ {
				args = append(args, member(), member())
			}
			if r.Intn(4) == 0 {
				args = append(args, "long", randStr(100))
			}
			add(args...)
			add("HINCRBY", k, "cnt", r.Intn(1000))
			add("HINCRBYFLOAT", k, "flt", fscore())
			add("HDEL", k, args[2])
			ttl(k)
		}
		// sorted sets
		for i := 0; i < 10; i++ {
			k := fmt.Sprint(p, "z:", i)
			n := []int{2, 30, 400}[r.Intn(3)]
			args := []any{"ZADD", k}
			for j := 0; j < n; j++ {
				args = append(args, score(), member())
			}
			args = append(args, "inf", "pinf", "-inf", "ninf", "0", "zero")
			add(args...)
			add("ZINCRBY", k, "2.5", "incr")
			// a small zset left a skiplist (when its long member is
			// removed) turns into a listpack at load
			add("ZREM", k, args[3])
			ttl(k)
		}
		// streams with groups, consumers, pending entries, deleted entries
		for i := 0; i < 4; i++ {
			k := fmt.Sprint(p, "x:", i)
			n := []int{3, 50, 700}[r.Intn(3)]
			id := int64(1000 + r.Intn(1000))
			for j := 0; j < n; j++ {
				id += int64(1 + r.Intn(3))
				fields := []any{"XADD", k, fmt.Sprint(id, "-", r.Intn(3))}
				if r.Intn(3) == 0 {
					fields = append(fields, "f1", member(), "f2", member()) // same fields as the master entry
				} else {
					for f := 0; f <= r.Intn(4); f++ {
						fields = append(fields, member(), member())
					}
				}
				add(fields...)
				if r.Intn(7) == 0 {
					add("XDEL", k, fmt.Sprint(id, "-", 0), fmt.Sprint(id, "-", 1))
				}
			}
			add("XGROUP", "CREATE", k, "g1", "0")
			add("XGROUP", "CREATE", k, "g2", "$", "ENTRIESREAD", n/2)
			add("XGROUP", "CREATECONSUMER", k, "g2", "idle")
			add("XREADGROUP", "GROUP", "g1", "alice", "COUNT", 1+n/3, "STREAMS", k, ">")
			add("XREADGROUP", "GROUP", "g1", "bob", "COUNT", 2, "STREAMS", k, ">")
			if i%2 == 0 {
				add("XTRIM", k, "MAXLEN", n/2)
			}
			add("XSETID", k, fmt.Sprint(id+5, "-7"))
			ttl(k)
		}
		add("XGROUP", "CREATE", p+"x:empty", "g", "$", "MKSTREAM")
		add("XADD", p+"x:emptied", "5-5", "a", "b")
		add("XDEL", p+"x:emptied", "5-5")
		// HyperLogLogs: sparse, dense, merged, with a cached cardinality
		for i := 0; i < 3; i++ {
			k := fmt.Sprint(p, "hll:", i)
			n := []int{5, 200, 5000}[i]
			args := []any{"PFADD", k}
			for j := 0; j < n; j++ {
				args = append(args, randStr(8))
			}
			add(args...)
			if i != 1 {
				add("PFCOUNT", k)
			}
		}
		add("PFMERGE", p+"hll:m", p+"hll:0", p+"hll:1")
		add("COPY", p+"h:0", p+"h:copy", "DB", (db+1)%4)
	}
	add("SELECT", 0)
	return out
}

var digestLibs = []string{
	"#!lua name=plib1\nredis.register_function('pf1', function(keys, args) return redis.call('GET', keys[1]) end)\n" +
		"redis.register_function{function_name='pf2', callback=function() return 2 end, flags={'no-writes'}, description='two'}",
	"#!lua name=plib2\nlocal function helper() return 'x' end\nredis.register_function('pf3', function() return helper() end)",
}

func applyWorkload(t *testing.T, addr string, cmds []wcmd) {
	t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, PoolSize: 1})
	defer c.Close()
	for i := 0; i < len(cmds); i += 500 {
		p := c.Pipeline()
		for _, cmd := range cmds[i:min(i+500, len(cmds))] {
			p.Do(ctx, cmd...)
		}
		res, _ := p.Exec(ctx)
		for j, r := range res {
			if err := r.Err(); err != nil && err != redis.Nil {
				t.Fatalf("%s: %.200v: %v", addr, cmds[i+j], err)
			}
		}
	}
	for _, lib := range digestLibs {
		if err := c.Do(ctx, "FUNCTION", "LOAD", "REPLACE", lib).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// dsState is what a data set is compared on.
type dsState struct {
	digest  string
	keys    map[string]string // db/key -> pexpiretime
	streams map[string]string // db/key -> XINFO STREAM FULL, seen-times masked
	funcs   string
}

func digestOf(t *testing.T, c *redis.Client) string {
	t.Helper()
	d, err := c.Do(context.Background(), "DEBUG", "DIGEST").Text()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// maskTimes drops consumer seen-times, and with all set every unix-ms-like
// integer (pending entries' delivery times): those of two servers fed the
// same commands differ.
func maskTimes(v any, all bool) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i := range x {
			// radix-tree-*: redoubt's stream nodes are not listpacks and
			// split at other sizes (not data)
			if i > 0 && (x[i-1] == "seen-time" || x[i-1] == "active-time" ||
				x[i-1] == "radix-tree-keys" || x[i-1] == "radix-tree-nodes") {
				out[i] = "T"
				continue
			}
			out[i] = maskTimes(x[i], all)
		}
		return out
	case map[any]any:
		out := map[any]any{}
		for k, e := range x {
			out[k] = maskTimes(e, all)
		}
		return out
	case int64:
		if all && x > 1_500_000_000_000 && x < 4_000_000_000_000 {
			return "T"
		}
	}
	return v
}

func stateOf(t *testing.T, addr string, allTimes bool) dsState {
	t.Helper()
	ctx := context.Background()
	st := dsState{keys: map[string]string{}, streams: map[string]string{}}
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, PoolSize: 1})
	defer c.Close()
	// a server still loading answers PING with -LOADING, which the
	// start helpers take as up
	testutil.WaitFor(t, addr+" loaded", time.Minute, func() error { return c.Ping(ctx).Err() })
	st.digest = digestOf(t, c)
	for db := 0; db < 16; db++ {
		if err := c.Do(ctx, "SELECT", db).Err(); err != nil {
			t.Fatal(err)
		}
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if n := c.DBSize(ctx).Val(); n != int64(len(keys)) {
			t.Errorf("%s db %d: DBSIZE %d, KEYS * lists %d", addr, db, n, len(keys))
		}
		for _, k := range keys {
			id := fmt.Sprintf("%d/%q", db, k)
			st.keys[id] = fmt.Sprint(c.Do(ctx, "PEXPIRETIME", k).Val())
			if c.Type(ctx, k).Val() == "stream" {
				info, err := c.Do(ctx, "XINFO", "STREAM", k, "FULL", "COUNT", 0).Result()
				if err != nil {
					t.Fatal(err)
				}
				st.streams[id] = fmt.Sprint(maskTimes(info, allTimes))
			}
		}
	}
	c.Do(ctx, "SELECT", 0)
	st.funcs = canonFunctions(c.Do(ctx, "FUNCTION", "LIST", "WITHCODE").Val())
	return st
}

// canonFunctions is FUNCTION LIST with libraries and their functions in
// name order (both servers list them in hash table order).
func canonFunctions(v any) string {
	libs, _ := v.([]any)
	var out []string
	for _, l := range libs {
		kv, _ := l.([]any)
		var parts []string
		for i := 0; i+1 < len(kv); i += 2 {
			if fs, ok := kv[i+1].([]any); ok && kv[i] == "functions" {
				var names []string
				for _, f := range fs {
					names = append(names, fmt.Sprint(f))
				}
				sort.Strings(names)
				parts = append(parts, fmt.Sprint(kv[i], names))
			} else {
				parts = append(parts, fmt.Sprint(kv[i], "=", kv[i+1]))
			}
		}
		out = append(out, strings.Join(parts, " "))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// sameState fails when got differs from want, naming the keys whose
// DIGEST-VALUE, expire time or stream metadata differ.
func sameState(t *testing.T, what string, want dsState, wantAddr string, got dsState, gotAddr string) {
	t.Helper()
	bad := 0
	report := func(f string, a ...any) {
		if bad < 15 {
			t.Errorf(what+": "+f, a...)
		}
		bad++
	}
	if want.digest != got.digest {
		report("DEBUG DIGEST %s vs %s", want.digest, got.digest)
		diff := diffValues(t, wantAddr, gotAddr, want.keys)
		for _, k := range diff {
			report("DEBUG DIGEST-VALUE differs for %s", k)
		}
		if len(diff) == 0 && wantAddr != "" && gotAddr != "" {
			report("the values are alike; the digests agree once %s is deleted", deleteUntilSame(t, wantAddr, gotAddr, want.keys))
		}
	}
	for k, v := range want.keys {
		if g, ok := got.keys[k]; !ok {
			report("key %s missing", k)
		} else if g != v {
			report("key %s PEXPIRETIME %s vs %s", k, v, g)
		}
	}
	for k := range got.keys {
		if _, ok := want.keys[k]; !ok {
			report("extra key %s", k)
		}
	}
	for k, v := range want.streams {
		if got.streams[k] != v {
			report("stream %s metadata:\n want %.1500s\n got  %.1500s", k, v, got.streams[k])
		}
	}
	if want.funcs != got.funcs {
		report("FUNCTION LIST:\n want %.1000s\n got  %.1000s", want.funcs, got.funcs)
	}
	if bad > 0 {
		t.FailNow()
	}
}

// diffValues lists the keys (db/%q names, as in dsState.keys) whose
// DEBUG DIGEST-VALUE differs between the two servers.
func diffValues(t *testing.T, a, b string, keys map[string]string) []string {
	if a == "" || b == "" {
		return nil
	}
	ctx := context.Background()
	ca := redis.NewClient(&redis.Options{Addr: a, Protocol: 2, DisableIdentity: true, PoolSize: 1})
	cb := redis.NewClient(&redis.Options{Addr: b, Protocol: 2, DisableIdentity: true, PoolSize: 1})
	defer ca.Close()
	defer cb.Close()
	var out []string
	for id := range keys {
		db, qk, _ := strings.Cut(id, "/")
		k, _ := strconv.Unquote(qk)
		ca.Do(ctx, "SELECT", db)
		cb.Do(ctx, "SELECT", db)
		va := fmt.Sprint(ca.Do(ctx, "DEBUG", "DIGEST-VALUE", k).Val())
		vb := fmt.Sprint(cb.Do(ctx, "DEBUG", "DIGEST-VALUE", k).Val())
		if va != vb {
			ca, cb := keyContent(ctx, ca, k), keyContent(ctx, cb, k)
			d := 0
			for d < len(ca) && d < len(cb) && ca[d] == cb[d] {
				d++
			}
			out = append(out, fmt.Sprintf("%s (%s, %s) first difference: %q vs %q", id, va, vb, ca[d:min(d+80, len(ca))], cb[d:min(d+80, len(cb))]))
		}
	}
	sort.Strings(out)
	return out
}

// deleteUntilSame deletes the keys from both servers one by one until their
// DEBUG DIGESTs agree (on the failure path only: it empties them).
func deleteUntilSame(t *testing.T, a, b string, keys map[string]string) string {
	ctx := context.Background()
	ca := redis.NewClient(&redis.Options{Addr: a, Protocol: 2, DisableIdentity: true, PoolSize: 1})
	cb := redis.NewClient(&redis.Options{Addr: b, Protocol: 2, DisableIdentity: true, PoolSize: 1})
	defer ca.Close()
	defer cb.Close()
	ids := make([]string, 0, len(keys))
	for id := range keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		db, qk, _ := strings.Cut(id, "/")
		k, _ := strconv.Unquote(qk)
		var seen []string
		for _, c := range []*redis.Client{ca, cb} {
			c.Do(ctx, "SELECT", db)
			seen = append(seen, fmt.Sprintf("%.200s ttl=%v enc=%v", keyContent(ctx, c, k), c.Do(ctx, "PEXPIRETIME", k).Val(), c.ObjectEncoding(ctx, k).Val()))
			c.Del(ctx, k)
		}
		if digestOf(t, ca) == digestOf(t, cb) {
			return fmt.Sprintf("%s: %s vs %s", id, seen[0], seen[1])
		}
	}
	return "(none: they still differ when empty)"
}

// keyContent renders a value for a failure message.
func keyContent(ctx context.Context, c *redis.Client, k string) string {
	var v any
	switch typ := c.Type(ctx, k).Val(); typ {
	case "string":
		v = c.Get(ctx, k).Val()
	case "list":
		v = c.LRange(ctx, k, 0, -1).Val()
	case "set":
		m := c.SMembers(ctx, k).Val()
		sort.Strings(m)
		v = m
	case "zset":
		v = c.Do(ctx, "ZRANGE", k, 0, -1, "WITHSCORES").Val()
	case "hash":
		m := c.HGetAll(ctx, k).Val()
		var kv []string
		for f, x := range m {
			kv = append(kv, fmt.Sprintf("%q=%q", f, x))
		}
		sort.Strings(kv)
		v = kv
	default:
		v = typ
	}
	return fmt.Sprintf("%q", v)
}

// encodings is OBJECT ENCODING of every key.
func encodings(t *testing.T, addr string) map[string]string {
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, PoolSize: 1})
	defer c.Close()
	out := map[string]string{}
	for db := 0; db < 16; db++ {
		c.Do(ctx, "SELECT", db)
		for _, k := range c.Keys(ctx, "*").Val() {
			out[fmt.Sprintf("%d/%q", db, k)] = c.ObjectEncoding(ctx, k).Val()
		}
	}
	return out
}

func sameEncodings(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	n := 0
	for k, v := range want {
		if got[k] != v && n < 10 {
			t.Errorf("%s: OBJECT ENCODING %s: redis %s, redoubt %s", what, k, v, got[k])
			n++
		}
	}
}

func saveFile(t *testing.T, c *redis.Client, dir string, bg bool) []byte {
	t.Helper()
	ctx := context.Background()
	if bg {
		if err := c.BgSave(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		waitBgsave(t, c)
	} else if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "dump.rdb")
	checkRDB(t, path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func dirWith(t *testing.T, name string, data []byte) string {
	t.Helper()
	d := t.TempDir()
	if err := os.WriteFile(filepath.Join(d, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPersistDigest(t *testing.T) {
	skipFormatUnderRace(t)
	expBase := time.Now().Add(3 * time.Hour).UnixMilli()
	work := genWorkload(20240607, expBase)
	ctx := context.Background()

	red := testutil.StartRedis(t, digestArgs...)
	rdt := testutil.StartRedoubt(t, digestArgs...)
	applyWorkload(t, red.Addr, work)
	applyWorkload(t, rdt.Addr, work)
	redSt := stateOf(t, red.Addr, false)
	rdtSt := stateOf(t, rdt.Addr, false)
	// the same commands give the same data set (delivery times aside)
	sameState(t, "redoubt vs redis after the workload", stateOf(t, red.Addr, true), red.Addr, stateOf(t, rdt.Addr, true), rdt.Addr)
	cRed := newClient(t, red.Addr)
	cRdt := newClient(t, rdt.Addr)

	redFile := saveFile(t, cRed, red.Dir, false)
	rdtFile := saveFile(t, cRdt, rdt.Dir, true)
	rdtFileFG := saveFile(t, cRdt, rdt.Dir, false)

	t.Run("rdb", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			kind  string
			file  []byte
			want  dsState
			from  string
			extra []string
		}{
			{"redoubt BGSAVE -> redis", "redis", rdtFile, rdtSt, rdt.Addr, nil},
			{"redoubt SAVE -> redis", "redis", rdtFileFG, rdtSt, rdt.Addr, nil},
			{"redoubt BGSAVE -> redoubt", "redoubt", rdtFile, rdtSt, rdt.Addr, nil},
			{"redis SAVE -> redoubt", "redoubt", redFile, redSt, red.Addr, nil},
			{"redoubt -> redis, small limits", "redis", rdtFile, rdtSt, rdt.Addr, smallLimits},
			{"redis -> redoubt, small limits", "redoubt", redFile, redSt, red.Addr, smallLimits},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := testutil.StartKindIn(t, tc.kind, dirWith(t, "dump.rdb", tc.file), append(digestArgs, tc.extra...)...)
				sameState(t, tc.name, tc.want, tc.from, stateOf(t, p.Addr, false), p.Addr)
			})
		}
	})

	t.Run("load encodings", func(t *testing.T) {
		// one file loaded by both servers: the same encodings
		for _, file := range [][]byte{redFile, rdtFile} {
			for _, extra := range [][]string{nil, smallLimits} {
				a := testutil.StartRedisIn(t, dirWith(t, "dump.rdb", file), append(digestArgs, extra...)...)
				b := testutil.StartRedoubtIn(t, dirWith(t, "dump.rdb", file), append(digestArgs, extra...)...)
				sameEncodings(t, fmt.Sprint("limits ", extra), encodings(t, a.Addr), encodings(t, b.Addr))
			}
		}
	})

	t.Run("debug reload", func(t *testing.T) {
		p := testutil.StartRedoubtIn(t, dirWith(t, "dump.rdb", rdtFile), digestArgs...)
		c := newClient(t, p.Addr)
		if err := c.Do(ctx, "DEBUG", "RELOAD").Err(); err != nil {
			t.Fatal(err)
		}
		sameState(t, "DEBUG RELOAD", rdtSt, rdt.Addr, stateOf(t, p.Addr, false), p.Addr)
		if err := c.ConfigSet(ctx, "hash-max-listpack-entries", "2").Err(); err != nil {
			t.Fatal(err)
		}
		c.ConfigSet(ctx, "zset-max-listpack-entries", "2")
		c.ConfigSet(ctx, "set-max-intset-entries", "4")
		c.ConfigSet(ctx, "list-max-listpack-size", "3")
		if err := c.Do(ctx, "DEBUG", "RELOAD").Err(); err != nil {
			t.Fatal(err)
		}
		sameState(t, "DEBUG RELOAD, small limits", rdtSt, rdt.Addr, stateOf(t, p.Addr, false), p.Addr)
	})

	t.Run("dump restore", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			from, to string
			kind     string
		}{
			{"redoubt -> redis", rdt.Addr, "", "redis"},
			{"redis -> redoubt", red.Addr, "", "redoubt"},
			{"redoubt -> redoubt", rdt.Addr, "", "redoubt"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				dst := testutil.StartKind(t, tc.kind, digestArgs...)
				src := redis.NewClient(&redis.Options{Addr: tc.from, Protocol: 2, DisableIdentity: true, PoolSize: 1})
				defer src.Close()
				dc := redis.NewClient(&redis.Options{Addr: dst.Addr, Protocol: 2, DisableIdentity: true, PoolSize: 1})
				defer dc.Close()
				for db := 0; db < 16; db++ {
					src.Do(ctx, "SELECT", db)
					dc.Do(ctx, "SELECT", db)
					for _, k := range src.Keys(ctx, "*").Val() {
						payload, err := src.Dump(ctx, k).Result()
						if err != nil {
							t.Fatal(err)
						}
						at := src.Do(ctx, "PEXPIRETIME", k).Val().(int64)
						args := []any{"RESTORE", k, 0, payload}
						if at > 0 {
							args = []any{"RESTORE", k, at, payload, "ABSTTL"}
						}
						if err := dc.Do(ctx, args...).Err(); err != nil {
							t.Fatalf("RESTORE db %d %q: %v", db, k, err)
						}
					}
				}
				src.Do(ctx, "SELECT", 0)
				dc.Do(ctx, "FUNCTION", "RESTORE", src.Do(ctx, "FUNCTION", "DUMP").Val())
				want := rdtSt
				if tc.from == red.Addr {
					want = redSt
				}
				sameState(t, tc.name, want, tc.from, stateOf(t, dst.Addr, false), dst.Addr)
			})
		}
	})

	t.Run("aof", func(t *testing.T) {
		for _, pre := range []string{"yes", "no"} {
			t.Run("preamble="+pre, func(t *testing.T) {
				args := append([]string{"--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", pre}, digestArgs...)
				procs := map[string]*testutil.Proc{}
				pres := map[string]dsState{}
				for _, kind := range []string{"redis", "redoubt"} {
					procs[kind] = testutil.StartKindIn(t, kind, t.TempDir(), args...)
					applyWorkload(t, procs[kind].Addr, work)
					pres[kind] = stateOf(t, procs[kind].Addr, false)
				}
				// restart on the AOF as logged, then after a rewrite
				for _, step := range []string{"logged", "rewritten"} {
					loaded := map[string]dsState{}
					for _, kind := range []string{"redis", "redoubt"} {
						p := procs[kind]
						if step == "rewritten" {
							c := newClient(t, p.Addr)
							if err := c.BgRewriteAOF(ctx).Err(); err != nil {
								t.Fatal(err)
							}
							waitAOFRewrite(t, c)
						}
						p.Cmd.Process.Kill()
						<-p.Exited
						// the same AOF directory loaded by both servers,
						// with smaller encoding limits (alike: -0 survives
						// in a skiplist, not in a listpack)
						var got [2]dsState
						var addrs [2]string
						for i, loader := range []string{"redis", "redoubt"} {
							d := t.TempDir()
							copyDir(t, filepath.Join(p.Dir, "appendonlydir"), filepath.Join(d, "appendonlydir"))
							q := testutil.StartKindIn(t, loader, d, append(args, smallLimits...)...)
							got[i], addrs[i] = stateOf(t, q.Addr, false), q.Addr
						}
						sameState(t, fmt.Sprintf("%s AOF (%s) loaded by redis and by redoubt", kind, step), got[0], addrs[0], got[1], addrs[1])
						procs[kind] = testutil.StartKindIn(t, kind, p.Dir, args...)
						loaded[kind] = stateOf(t, procs[kind].Addr, false)
						if loaded[kind].digest != pres[kind].digest {
							t.Errorf("%s AOF (%s): digest %s, before %s", kind, step, loaded[kind].digest, pres[kind].digest)
						}
					}
					// what each restart kept (stream metadata included)
					// is the same on both
					sameState(t, "redis vs redoubt restarted on their "+step+" AOF",
						stateOf(t, procs["redis"].Addr, true), procs["redis"].Addr, stateOf(t, procs["redoubt"].Addr, true), procs["redoubt"].Addr)
				}
			})
		}
	})
}

// TestPersistDigestExpiredAtLoad: keys whose TTL passed between the save
// and the load are dropped by both servers alike (a master's load).
func TestPersistDigestExpiredAtLoad(t *testing.T) {
	skipFormatUnderRace(t)
	ctx := context.Background()
	for _, kind := range []string{"redis", "redoubt"} {
		t.Run("written by "+kind, func(t *testing.T) {
			w := testutil.StartKind(t, kind, digestArgs...)
			c := newClient(t, w.Addr)
			at := time.Now().Add(400 * time.Millisecond).UnixMilli()
			p := c.Pipeline()
			for i := 0; i < 50; i++ {
				p.Set(ctx, fmt.Sprint("keep:", i), i, 0)
				p.Set(ctx, fmt.Sprint("gone:", i), i, 0)
				p.PExpireAt(ctx, fmt.Sprint("gone:", i), time.UnixMilli(at))
				p.HSet(ctx, fmt.Sprint("hgone:", i), "f", "v")
				p.PExpireAt(ctx, fmt.Sprint("hgone:", i), time.UnixMilli(at))
				p.PExpireAt(ctx, fmt.Sprint("keep:", i), time.UnixMilli(at+int64(time.Hour/time.Millisecond)))
			}
			if _, err := p.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			file := saveFile(t, c, w.Dir, false)
			for time.Now().UnixMilli() <= at+50 {
				time.Sleep(20 * time.Millisecond)
			}
			a := testutil.StartRedisIn(t, dirWith(t, "dump.rdb", file), digestArgs...)
			b := testutil.StartRedoubtIn(t, dirWith(t, "dump.rdb", file), digestArgs...)
			sa, sb := stateOf(t, a.Addr, false), stateOf(t, b.Addr, false)
			if len(sa.keys) != 50 {
				t.Errorf("redis loaded %d keys, want the 50 unexpired", len(sa.keys))
			}
			sameState(t, "expired at load", sa, a.Addr, sb, b.Addr)
		})
	}
}

// TestPersistDigestNegZero: Redis 7.0 stores a -0 score as the integer 0
// in a listpack and as -0 in a skiplist, so a small skiplist zset (left so
// by a removed long member) loses it when a load converts it. redoubt does
// the same on every path: each file and DUMP payload loaded by both
// servers gives the same data set, and DEBUG RELOAD the same on both.
func TestPersistDigestNegZero(t *testing.T) {
	skipFormatUnderRace(t)
	ctx := context.Background()
	long := strings.Repeat("L", 80)
	cmds := []wcmd{
		{"ZADD", "lp", "-0", "a", "1", "b"},
		{"ZADD", "small-skiplist", "1", long, "-0", "a", "2", "b"},
		{"ZREM", "small-skiplist", long},
		{"ZADD", "long-member", "-0", "a", "3", long},
		{"ZINCRBY", "incr", "-0", "m"},
	}
	big := wcmd{"ZADD", "big"}
	for i := 0; i < 200; i++ {
		big = append(big, i, fmt.Sprint("m", i))
	}
	cmds = append(cmds, append(big, "-0", "negzero"))
	srv := map[string]*testutil.Proc{}
	files := map[string][]byte{}
	for _, kind := range []string{"redis", "redoubt"} {
		srv[kind] = testutil.StartKind(t, kind, digestArgs...)
		applyWorkload(t, srv[kind].Addr, cmds)
		files[kind] = saveFile(t, newClient(t, srv[kind].Addr), srv[kind].Dir, false)
	}
	sameState(t, "after the commands", stateOf(t, srv["redis"].Addr, false), srv["redis"].Addr, stateOf(t, srv["redoubt"].Addr, false), srv["redoubt"].Addr)
	for writer, file := range files {
		var st [2]dsState
		var addrs [2]string
		for i, kind := range []string{"redis", "redoubt"} {
			p := testutil.StartKindIn(t, kind, dirWith(t, "dump.rdb", file), digestArgs...)
			st[i], addrs[i] = stateOf(t, p.Addr, false), p.Addr
		}
		sameState(t, writer+"'s file loaded by both", st[0], addrs[0], st[1], addrs[1])
	}
	for _, kind := range []string{"redis", "redoubt"} {
		if err := newClient(t, srv[kind].Addr).Do(ctx, "DEBUG", "RELOAD").Err(); err != nil {
			t.Fatal(err)
		}
	}
	sameState(t, "after DEBUG RELOAD", stateOf(t, srv["redis"].Addr, false), srv["redis"].Addr, stateOf(t, srv["redoubt"].Addr, false), srv["redoubt"].Addr)
	// payloads of the data as first written
	for _, src := range []string{"redis", "redoubt"} {
		from := testutil.StartKind(t, src, digestArgs...)
		applyWorkload(t, from.Addr, cmds)
		fc := newClient(t, from.Addr)
		var st [2]dsState
		var addrs [2]string
		for i, kind := range []string{"redis", "redoubt"} {
			to := testutil.StartKind(t, kind, digestArgs...)
			tc := newClient(t, to.Addr)
			for _, k := range fc.Keys(ctx, "*").Val() {
				if err := tc.Restore(ctx, k, 0, fc.Dump(ctx, k).Val()).Err(); err != nil {
					t.Fatal(err)
				}
			}
			st[i], addrs[i] = stateOf(t, to.Addr, false), to.Addr
		}
		sameState(t, src+"'s DUMP payloads restored on both", st[0], addrs[0], st[1], addrs[1])
	}
}

// skipFormatUnderRace skips a test of file and payload content in the race
// pass: it exercises no concurrency the other tests do not, and the normal
// pass runs it.
func skipFormatUnderRace(t *testing.T) {
	t.Helper()
	if testutil.RaceBuilt() {
		t.Skip("content round trips: not under the race detector")
	}
}
