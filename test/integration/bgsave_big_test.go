package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// Values big enough to be encoded in slices (the lock released between
// them) make files that real Redis loads and checks, and a diskless full
// sync to a real Redis replica; writes to them during the save do not
// reach the file.
func TestBigValuesInterop(t *testing.T) {
	const n = 60000
	p := testutil.StartRedoubt(t, "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0")
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: p.Addr})
	defer c.Close()
	pipe := c.Pipeline()
	for i := 0; i < n; i += 1000 {
		var hv, sv, lv []any
		var zv []redis.Z
		for k := i; k < i+1000; k++ {
			f := "m" + strconv.Itoa(k)
			hv = append(hv, f, k)
			sv = append(sv, f)
			lv = append(lv, f)
			zv = append(zv, redis.Z{Score: float64(k), Member: f})
		}
		pipe.HSet(ctx, "bh", hv...)
		pipe.SAdd(ctx, "bs", sv...)
		pipe.RPush(ctx, "bl", lv...)
		pipe.ZAdd(ctx, "bz", zv...)
	}
	pipe.Set(ctx, "small", "x", 0)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(who string, rc *redis.Client) {
		t.Helper()
		for name, got := range map[string]int64{"HLEN": rc.HLen(ctx, "bh").Val(), "SCARD": rc.SCard(ctx, "bs").Val(),
			"LLEN": rc.LLen(ctx, "bl").Val(), "ZCARD": rc.ZCard(ctx, "bz").Val()} {
			if got != n {
				t.Errorf("%s: %s = %d, want %d", who, name, got, n)
			}
		}
		if v := rc.HGet(ctx, "bh", "m12345").Val(); v != "12345" {
			t.Errorf("%s: HGET bh m12345 = %q", who, v)
		}
		if v := rc.ZScore(ctx, "bz", "m777").Val(); v != 777 {
			t.Errorf("%s: ZSCORE bz m777 = %v", who, v)
		}
		if v := rc.LIndex(ctx, "bl", -1).Val(); v != fmt.Sprintf("m%d", n-1) {
			t.Errorf("%s: LINDEX bl -1 = %q", who, v)
		}
	}

	// BGSAVE, then writes to every big key while it runs
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	c.HSet(ctx, "bh", "after", 1)
	c.SAdd(ctx, "bs", "after")
	c.RPush(ctx, "bl", "after")
	c.ZAdd(ctx, "bz", redis.Z{Score: -1, Member: "after"})
	waitBgsave(t, c)
	dump := filepath.Join(p.Dir, "dump.rdb")
	if out, err := exec.Command("redis-check-rdb", dump).CombinedOutput(); err != nil {
		t.Fatalf("redis-check-rdb: %v\n%s", err, out)
	}
	dir := t.TempDir()
	data, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "dump.rdb"), data, 0o644)
	r := testutil.StartRedisIn(t, dir)
	rc := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rc.Close()
	check("redis-server loading the BGSAVE file", rc)
	if rc.HExists(ctx, "bh", "after").Val() || rc.SIsMember(ctx, "bs", "after").Val() {
		t.Error("a write made after BGSAVE started is in the file")
	}

	// a diskless full sync of the same data to a real Redis replica
	c.HDel(ctx, "bh", "after")
	c.SRem(ctx, "bs", "after")
	c.RPop(ctx, "bl")
	c.ZRem(ctx, "bz", "after")
	rep := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(p.Port))
	repc := redis.NewClient(&redis.Options{Addr: rep.Addr})
	defer repc.Close()
	testutil.WaitFor(t, "the replica synced", time.Minute, func() error {
		if info := repc.Info(ctx, "replication").Val(); !strings.Contains(info, "master_link_status:up") || !strings.Contains(info, "master_sync_in_progress:0") {
			return fmt.Errorf("not synced yet")
		}
		if k := repc.DBSize(ctx).Val(); k != 5 {
			return fmt.Errorf("replica has %d keys", k)
		}
		return nil
	})
	check("redis-server replica after a diskless sync", repc)
}
