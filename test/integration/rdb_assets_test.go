package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// rdb_assets_test.go loads Redis 7.0.15's own RDB fixtures (tests/assets,
// see its README.md) into redoubt and into redis-server and compares what
// each holds afterwards; the corrupt one must stop both from starting.

const redisAssets = "/work/shared/redis-assets"

// keyspaceState renders every key of db 0: type, content and encoding.
func keyspaceState(t *testing.T, addr string) []string {
	t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		typ := c.Type(ctx, k).Val()
		enc := c.ObjectEncoding(ctx, k).Val()
		var v any
		switch typ {
		case "string":
			v = c.Get(ctx, k).Val()
		case "list":
			v = c.LRange(ctx, k, 0, -1).Val()
		case "set":
			m := c.SMembers(ctx, k).Val()
			sort.Strings(m)
			v = m
		case "hash":
			v = c.Do(ctx, "HGETALL", k).Val()
			if enc == "hashtable" {
				v = c.HGetAll(ctx, k).Val() // printed sorted
			}
		case "zset":
			v = c.ZRangeWithScores(ctx, k, 0, -1).Val()
		case "stream":
			v = c.XRange(ctx, k, "-", "+").Val()
		}
		out = append(out, fmt.Sprintf("%s %s %s %v", k, typ, enc, v))
	}
	sort.Strings(out)
	return out
}

func TestRDBAssetsLoadLikeRedis(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(redisAssets, "*.rdb"))
	if len(files) == 0 {
		t.Skip("no Redis RDB fixtures at " + redisAssets)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dirFor := func() string {
				d := t.TempDir()
				if err := os.WriteFile(filepath.Join(d, "dump.rdb"), data, 0o644); err != nil {
					t.Fatal(err)
				}
				return d
			}
			if strings.HasPrefix(name, "corrupt_ziplist") {
				rlog := refusesToStart(t, testutil.RedisServerPath(t), nil, dirFor())
				olog := refusesToStart(t, testutil.RedoubtBinary(t), []string{"server"}, dirFor())
				for _, log := range []string{rlog, olog} {
					if !strings.Contains(strings.ToLower(log), "ziplist") {
						t.Errorf("load failure does not name the ziplist:\n%s", log)
					}
				}
				return
			}
			want := keyspaceState(t, testutil.StartRedisIn(t, dirFor()).Addr)
			got := keyspaceState(t, testutil.StartRedoubtIn(t, dirFor()).Addr)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("after loading %s:\nredoubt:\n  %s\nredis:\n  %s", name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			if name == "encodings.rdb" && len(want) != 13 {
				t.Errorf("redis loaded %d keys from encodings.rdb", len(want))
			}
		})
	}
}

// refusesToStart runs bin on dir's dump.rdb and expects it to exit with
// an error; it returns the output.
func refusesToStart(t *testing.T, bin string, head []string, dir string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append(append([]string{}, head...), "--port", strconv.Itoa(testutil.FreePort(t)), "--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--appendonly", "no")
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Errorf("%s started on a corrupt dump.rdb (err %v):\n%s", bin, err, out)
	}
	return string(out)
}
