package integration

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

func infoText(t *testing.T, c *redis.Client, section, field string) string {
	t.Helper()
	for _, l := range strings.Split(c.Info(context.Background(), section).Val(), "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO %s has no %s", section, field)
	return ""
}

// TestSaveRulesMisconfAndShutdown checks on both servers: a save rule
// triggers a background save; a save that cannot write makes writes (and
// PING) answer MISCONF until a save succeeds; SHUTDOWN with save rules
// writes the dataset, which the next start loads.
func TestSaveRulesMisconfAndShutdown(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		ctx := context.Background()
		c := redis.NewClient(&redis.Options{Addr: p.Addr, MaxRetries: -1})
		defer c.Close()
		if err := c.ConfigSet(ctx, "save", "1 1").Err(); err != nil {
			t.Fatal(err)
		}
		c.Set(ctx, "k", "v", 0)
		c.RPush(ctx, "l", "x") // a counted change, whatever SET counts
		deadline := time.Now().Add(10 * time.Second)
		for infoText(t, c, "persistence", "rdb_changes_since_last_save") != "0" {
			if time.Now().After(deadline) {
				t.Fatal("the save rule 1 1 never saved")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := os.Stat(filepath.Join(p.Dir, "dump.rdb")); err != nil {
			t.Fatalf("no dump.rdb after the save rule fired: %v", err)
		}

		// a save that cannot write its file
		gone := filepath.Join(t.TempDir(), "gone")
		os.Mkdir(gone, 0o755)
		if err := c.ConfigSet(ctx, "dir", gone).Err(); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(gone)
		c.ConfigSet(ctx, "save", "")
		c.BgSave(ctx)
		for i := 0; infoText(t, c, "persistence", "rdb_last_bgsave_status") != "err"; i++ {
			if i > 500 {
				t.Fatal("BGSAVE into a missing dir did not fail")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := c.Set(ctx, "k2", "v", 0).Err(); err != nil {
			t.Fatalf("without save rules a failed BGSAVE must not stop writes: %v", err)
		}
		c.ConfigSet(ctx, "save", "3600 1")
		err := c.Set(ctx, "k2", "v", 0).Err()
		if err == nil || !strings.HasPrefix(err.Error(), "MISCONF Redis is configured to save RDB snapshots") {
			t.Fatalf("write after a failed BGSAVE: %v", err)
		}
		if err := c.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "MISCONF") {
			t.Fatalf("PING after a failed BGSAVE: %v", err)
		}
		if err := c.Get(ctx, "k").Err(); err != nil {
			t.Fatalf("reads go on: %v", err)
		}
		c.ConfigSet(ctx, "stop-writes-on-bgsave-error", "no")
		if err := c.Set(ctx, "k3", "v", 0).Err(); err != nil {
			t.Fatalf("stop-writes-on-bgsave-error no: %v", err)
		}
		c.ConfigSet(ctx, "stop-writes-on-bgsave-error", "yes")
		c.ConfigSet(ctx, "dir", p.Dir)
		if err := c.BgSave(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		waitBgsave(t, c)
		if err := c.Set(ctx, "k4", "after", 0).Err(); err != nil {
			t.Fatalf("writes after a good save: %v", err)
		}

		// SHUTDOWN saves (save rules are set) and the next start loads it
		c.Shutdown(ctx)
		select {
		case <-p.Exited:
		case <-time.After(30 * time.Second):
			t.Fatal("no exit after SHUTDOWN")
		}
		data, err := os.ReadFile(filepath.Join(p.Dir, "dump.rdb"))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "dump.rdb"), data, 0o644)
		var q *testutil.Proc
		if strings.Contains(t.Name(), "redis") && !strings.Contains(t.Name(), "redoubt") {
			q = testutil.StartRedisIn(t, dir)
		} else {
			q = testutil.StartRedoubtIn(t, dir)
		}
		c2 := redis.NewClient(&redis.Options{Addr: q.Addr})
		defer c2.Close()
		if v := c2.Get(ctx, "k4").Val(); v != "after" {
			t.Fatalf("after restart k4 = %q", v)
		}
	}, "--enable-protected-configs", "yes")
}

// TestFlushallCancelsBgsave: FLUSHALL during a BGSAVE cancels it (its temp
// file is removed) without marking the save failed, and a new BGSAVE can
// start at once and succeed.
func TestFlushallCancelsBgsave(t *testing.T) {
	p := testutil.StartRedoubt(t)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: p.Addr})
	defer c.Close()
	pipe := c.Pipeline()
	for i := 0; i < 300000; i++ {
		pipe.Set(ctx, "key:"+strconv.Itoa(i), strings.Repeat("v", 50), 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatalf("BGSAVE right after FLUSHALL cancelled the running one: %v", err)
	}
	waitBgsave(t, c)
	if st := infoText(t, c, "persistence", "rdb_last_bgsave_status"); st != "ok" {
		t.Fatalf("status after a cancelled and a completed save: %s", st)
	}
	time.Sleep(100 * time.Millisecond)
	matches, _ := filepath.Glob(filepath.Join(p.Dir, "temp-*.rdb"))
	if len(matches) != 0 {
		t.Fatalf("temp files left: %v", matches)
	}
}
