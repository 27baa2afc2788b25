// After a burst of writes is deleted (FLUSHALL) and the server goes idle,
// redoubt's RSS must come back down, as Redis's does: a garbage-collected
// heap would otherwise keep the dead dataset resident indefinitely.
package integration

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

func rssBytes(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory_rss:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatalf("no used_memory_rss in INFO memory:\n%s", info)
	return 0
}

func TestIdleServerReturnsFreedMemory(t *testing.T) {
	if testutil.RaceBuilt() {
		// the race detector's shadow memory is never returned to the OS
		t.Skip("RSS is not meaningful for a server built with -race")
	}
	p := testutil.StartRedoubt(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: p.Addr})
	defer rdb.Close()
	before := rssBytes(t, rdb)
	value := strings.Repeat("v", 200)
	for batch := 0; batch < 30; batch++ {
		pipe := rdb.Pipeline()
		for i := 0; i < 10000; i++ {
			pipe.Set(ctx, "k:"+strconv.Itoa(batch*10000+i), value, 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	loaded := rssBytes(t, rdb)
	if loaded-before < 50<<20 {
		t.Fatalf("loading 300k x 200 bytes grew RSS by only %d bytes", loaded-before)
	}
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// the server releases after one idle second; poll with INFO sparingly
	// (each INFO is a command and restarts the idle second)
	var now int64
	for i := 0; i < 8; i++ {
		time.Sleep(1500 * time.Millisecond)
		if now = rssBytes(t, rdb); now < before+(loaded-before)/4 {
			return
		}
	}
	t.Fatalf("RSS stayed at %d bytes after FLUSHALL (before load %d, loaded %d)", now, before, loaded)
}
