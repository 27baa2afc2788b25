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
			case "hash":
				m := c.HGetAll(ctx, k).Val()
				v = fmt.Sprint(len(m), m["field:7"])
			case "set":
				m := c.SMembers(ctx, k).Val()
				sort.Strings(m)
				v = strings.Join(m, ",")
			case "zset":
				v = fmt.Sprint(c.ZRangeWithScores(ctx, k, 0, -1).Val())
			}
			ttl := c.PTTL(ctx, k).Val()
			hasTTL := ttl > 0
			out = append(out, fmt.Sprintf("%d %s %s %s ttl=%v", db, k, typ, v, hasTTL))
		}
	}
	sort.Strings(out)
	return out
}

func waitBgsave(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
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

func TestRDBInteropBothWays(t *testing.T) {
	for _, dir := range []struct {
		name       string
		writer     func(t testing.TB, args ...string) *testutil.Proc
		reader     func(t testing.TB, dir string, args ...string) *testutil.Proc
		background bool
	}{
		{"redoubt BGSAVE → redis", testutil.StartRedoubt, testutil.StartRedisIn, true},
		{"redoubt SAVE → redis", testutil.StartRedoubt, testutil.StartRedisIn, false},
		{"redis → redoubt", testutil.StartRedis, testutil.StartRedoubtIn, true},
	} {
		t.Run(dir.name, func(t *testing.T) {
			ctx := context.Background()
			w := dir.writer(t)
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
			r := dir.reader(t, rdir)
			got := rdbDatasetState(t, r.Addr)
			if len(got) != len(want) {
				t.Fatalf("loaded %d keys, saved %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("key differs after load:\n  saved:  %.200s\n  loaded: %.200s", want[i], got[i])
				}
			}
		})
	}
}
