// rdb_interop_test.go moves datasets between redoubt and the real
// redis-server through dump.rdb, both ways: the file one writes (BGSAVE and
// SAVE) is loaded by the other, passes redis-check-rdb, and every key comes
// back with the same DUMP-independent content and TTL.
package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// fillRDBDataset writes keys of the value shapes both servers save alike,
// in two databases, some with TTLs.
func fillRDBDataset(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	ctx := context.Background()
	p := c.Pipeline()
	for i := 0; i < n; i++ {
		p.Set(ctx, fmt.Sprint("str:", i), strings.Repeat(fmt.Sprint("v", i), 1+i%40), 0)
		if i%7 == 0 {
			p.Set(ctx, fmt.Sprint("int:", i), i*1000003-500000000, time.Hour)
		}
	}
	for i := 0; i < 600; i++ {
		p.HSet(ctx, "bighash", fmt.Sprint("field:", i), fmt.Sprint("value:", i))
		p.SAdd(ctx, "bigset", fmt.Sprint("member:", i))
		p.ZAdd(ctx, "bigzset", redis.Z{Score: float64(i) / 3, Member: fmt.Sprint("m:", i)})
	}
	p.Set(ctx, "compressible", strings.Repeat("abcdefgh", 1000), 0)
	// compact encodings: listpack hashes and zsets, intsets of each width
	for i := 0; i < 50; i++ {
		p.HSet(ctx, fmt.Sprint("smallhash:", i%5), fmt.Sprint("f", i), fmt.Sprint(i*i))
		p.ZAdd(ctx, fmt.Sprint("smallzset:", i%5), redis.Z{Score: float64(i)/4 - 3, Member: fmt.Sprint("m", i)})
		p.SAdd(ctx, "intset16", i*37-900)
		p.SAdd(ctx, "intset32", i*100003)
		p.SAdd(ctx, "intset64", int64(i)*5000000000)
	}
	p.SAdd(ctx, "intset-shrunk", 1, 2, 5000000000)
	p.SRem(ctx, "intset-shrunk", 5000000000)
	// lists: small, large (many quicklist nodes), with a long element
	p.RPush(ctx, "smalllist", "a", "1", "", "-7", strings.Repeat("z", 70))
	for i := 0; i < 3000; i += 500 {
		args := make([]any, 500)
		for j := range args {
			args[j] = fmt.Sprint("item:", i+j)
		}
		p.RPush(ctx, "biglist", args...)
	}
	p.RPush(ctx, "biglist", strings.Repeat("long", 5000))
	// streams: several nodes, tombstones, groups with pending entries
	for i := 0; i < 300; i++ {
		vals := []any{"name", fmt.Sprint("n", i), "n", i}
		if i%11 == 0 {
			vals = []any{"other", strings.Repeat("o", i%50)}
		}
		p.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: fmt.Sprintf("1700000000%03d-%d", i/4, i%4), Values: vals})
	}
	p.XDel(ctx, "stream", "1700000000005-1", "1700000000006-0")
	p.XGroupCreate(ctx, "stream", "readers", "0")
	p.XGroupCreate(ctx, "stream", "late", "$")
	p.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "readers", Consumer: "alice", Streams: []string{"stream", ">"}, Count: 5})
	p.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "readers", Consumer: "bob", Streams: []string{"stream", ">"}, Count: 4})
	p.XAck(ctx, "stream", "readers", "1700000000001-0")
	p.XGroupCreateConsumer(ctx, "stream", "late", "carol")
	p.XAdd(ctx, &redis.XAddArgs{Stream: "smallstream", ID: "5-1", Values: []any{"a", "1"}})
	p.XGroupCreateMkStream(ctx, "emptystream", "g", "$")
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	c.Do(ctx, "SELECT", "3")
	p2 := c.Pipeline()
	p2.Select(ctx, 3)
	p2.Set(ctx, "in-db-3", "x", 10*time.Hour)
	if _, err := p2.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// rdbDatasetState reads back what fillRDBDataset wrote, as comparable text.
func rdbDatasetState(t *testing.T, addr string) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, db := range []int{0, 3} {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db})
		defer c.Close()
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			typ := c.Type(ctx, k).Val()
			var v string
			switch typ {
			case "string":
				v = c.Get(ctx, k).Val()
			case "list":
				v = strings.Join(c.LRange(ctx, k, 0, -1).Val(), ",")
			case "hash":
				// HGETALL order: insertion order for listpacks
				v = fmt.Sprint(c.Do(ctx, "HGETALL", k).Val())
				if c.ObjectEncoding(ctx, k).Val() == "hashtable" {
					m := c.HGetAll(ctx, k).Val()
					v = fmt.Sprint(len(m), m["field:7"])
				}
			case "set":
				m := c.SMembers(ctx, k).Val()
				sort.Strings(m)
				v = strings.Join(m, ",")
			case "zset":
				v = fmt.Sprint(c.ZRangeWithScores(ctx, k, 0, -1).Val())
			case "stream":
				v = fmt.Sprint(c.XRange(ctx, k, "-", "+").Val(), c.XLen(ctx, k).Val())
				info := c.Do(ctx, "XINFO", "STREAM", k).Val()
				v += fmt.Sprint(" info=", streamInfoFields(info))
				for _, g := range c.XInfoGroups(ctx, k).Val() {
					v += fmt.Sprintf(" group=%s consumers=%d pending=%d last=%s read=%d lag=%d",
						g.Name, g.Consumers, g.Pending, g.LastDeliveredID, g.EntriesRead, g.Lag)
					v += fmt.Sprint(" xpending=", c.Do(ctx, "XPENDING", k, g.Name).Val())
					for _, pe := range c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: k, Group: g.Name, Start: "-", End: "+", Count: 100}).Val() {
						// not the idle time, which moves on
						v += fmt.Sprintf(" pel=%s/%s/%d", pe.ID, pe.Consumer, pe.RetryCount)
					}
					for _, cs := range c.XInfoConsumers(ctx, k, g.Name).Val() {
						v += fmt.Sprintf(" consumer=%s/%d", cs.Name, cs.Pending)
					}
				}
			}
			v += " enc=" + c.ObjectEncoding(ctx, k).Val()
			ttl := c.PTTL(ctx, k).Val()
			hasTTL := ttl > 0
			out = append(out, fmt.Sprintf("%d %s %s %s ttl=%v", db, k, typ, v, hasTTL))
		}
	}
	sort.Strings(out)
	return out
}

// streamInfoFields keeps XINFO STREAM's saved metadata (not the node
// layout fields, radix-tree-keys and -nodes, which differ by design, nor
// the entries, compared through XRANGE).
func streamInfoFields(info any) string {
	var out []string
	switch m := info.(type) {
	case map[any]any:
		for _, f := range []string{"length", "last-generated-id", "max-deleted-entry-id", "entries-added", "recorded-first-entry-id", "groups"} {
			out = append(out, fmt.Sprint(f, "=", m[f]))
		}
	case []any:
		for i := 0; i+1 < len(m); i += 2 {
			switch m[i] {
			case "length", "last-generated-id", "max-deleted-entry-id", "entries-added", "recorded-first-entry-id", "groups":
				out = append(out, fmt.Sprint(m[i], "=", m[i+1]))
			}
		}
	}
	return strings.Join(out, " ")
}

func waitBgsave(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := context.Background()
	// a hang detector, not a speed limit: the race-built server on a busy
	// CI machine is slow
	for end := time.Now().Add(time.Minute); time.Now().Before(end); {
		info := c.Info(ctx, "persistence").Val()
		if strings.Contains(info, "rdb_bgsave_in_progress:0") {
			if !strings.Contains(info, "rdb_last_bgsave_status:ok") {
				t.Fatalf("BGSAVE failed:\n%s", info)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("BGSAVE did not finish")
}

func checkRDB(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath("redis-check-rdb"); err != nil {
		return // redis-tools without the checker: nothing to run
	}
	out, err := exec.Command("redis-check-rdb", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "RDB looks OK") {
		t.Errorf("redis-check-rdb %s: %v\n%s", path, err, out)
	}
}

var tunedArgs = []string{"--list-max-listpack-size", "5", "--list-compress-depth", "1",
	"--stream-node-max-entries", "7", "--stream-node-max-bytes", "300", "--rdbcompression", "no",
	"--hash-max-listpack-entries", "4", "--zset-max-listpack-entries", "4", "--set-max-intset-entries", "20"}

func TestRDBInteropBothWays(t *testing.T) {
	for _, dir := range []struct {
		name       string
		writer     func(t testing.TB, args ...string) *testutil.Proc
		reader     func(t testing.TB, dir string, args ...string) *testutil.Proc
		background bool
		args       []string
	}{
		{"redoubt BGSAVE → redis", testutil.StartRedoubt, testutil.StartRedisIn, true, nil},
		{"redoubt SAVE → redis", testutil.StartRedoubt, testutil.StartRedisIn, false, nil},
		{"redis → redoubt", testutil.StartRedis, testutil.StartRedoubtIn, true, nil},
		// other node shapes: small compressed list nodes, small stream
		// nodes, no string compression, small encoding limits
		{"redoubt → redis, tuned", testutil.StartRedoubt, testutil.StartRedisIn, true, tunedArgs},
		{"redis → redoubt, tuned", testutil.StartRedis, testutil.StartRedoubtIn, true, tunedArgs},
	} {
		t.Run(dir.name, func(t *testing.T) {
			if testutil.RaceBuilt() && dir.name != "redoubt BGSAVE → redis" {
				// the other directions test the format alone: the
				// normal pass runs them
				t.Skip("format only: not under the race detector")
			}
			ctx := context.Background()
			w := dir.writer(t, dir.args...)
			c := redis.NewClient(&redis.Options{Addr: w.Addr})
			defer c.Close()
			fillRDBDataset(t, c, 5000)
			want := rdbDatasetState(t, w.Addr)
			if dir.background {
				if err := c.BgSave(ctx).Err(); err != nil {
					t.Fatal(err)
				}
				waitBgsave(t, c)
			} else if err := c.Save(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(w.Dir, "dump.rdb"))
			if err != nil {
				t.Fatal(err)
			}
			checkRDB(t, filepath.Join(w.Dir, "dump.rdb"))
			rdir := t.TempDir()
			if err := os.WriteFile(filepath.Join(rdir, "dump.rdb"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			r := dir.reader(t, rdir, dir.args...)
			got := rdbDatasetState(t, r.Addr)
			if len(got) != len(want) {
				t.Fatalf("loaded %d keys, saved %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					d := 0
					for d < len(got[i]) && d < len(want[i]) && got[i][d] == want[i][d] {
						d++
					}
					d = max(d-60, 0)
					t.Fatalf("key differs after load:\n  saved:  %.60s ...%.300s\n  loaded: %.60s ...%.300s", want[i], want[i][d:], got[i], got[i][d:])
				}
			}
		})
	}
}
