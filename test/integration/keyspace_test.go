// keyspace_test.go drives redoubt with a real client (go-redis) to check
// the keyspace guarantees no single reply shows: a SCAN iteration that runs
// while other clients add and delete keys still returns every key present
// throughout; keys with a TTL are reclaimed by active expiry when nobody
// touches them; and logically expired keys are invisible to reads (and
// reclaimed by them) before active expiry gets to them.
package integration

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

func newClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// setKeys stores keys prefix:0..n-1 in one pipeline.
func setKeys(t *testing.T, ctx context.Context, c *redis.Client, prefix string, n int) {
	t.Helper()
	pipe := c.Pipeline()
	for i := 0; i < n; i++ {
		pipe.Set(ctx, fmt.Sprintf("%s:%d", prefix, i), "v", 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestScanFullIterationWithConcurrentWrites(t *testing.T) {
	srv := testutil.StartRedoubt(t)
	ctx := context.Background()
	scanner := newClient(t, srv.Addr)
	writer := newClient(t, srv.Addr)

	const stable = 3000
	setKeys(t, ctx, scanner, "stable", stable)

	// The writer adds keys in bursts (forcing the table to grow several
	// times, with rehashing spread over the scan) and deletes older ones.
	stop := make(chan struct{})
	var writes atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		next, oldest := 0, 0
		for {
			select {
			case <-stop:
				return
			default:
			}
			pipe := writer.Pipeline()
			for i := 0; i < 200; i++ {
				pipe.Set(ctx, fmt.Sprintf("volatile:%d", next), "v", 0)
				next++
			}
			if next > 8000 {
				for i := 0; i < 150; i++ {
					pipe.Del(ctx, fmt.Sprintf("volatile:%d", oldest))
					oldest++
				}
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Error(err)
				return
			}
			writes.Add(1)
		}
	}()

	seen := map[string]bool{}
	var cursor uint64
	calls := 0
	writesAtStart := writes.Load()
	for {
		keys, next, err := scanner.Scan(ctx, cursor, "", 20).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			seen[k] = true
		}
		calls++
		cursor = next
		if cursor == 0 {
			break
		}
		// give the writer a turn between calls
		if calls%10 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	writesDuring := writes.Load() - writesAtStart
	close(stop)
	wg.Wait()

	if writesDuring == 0 {
		t.Fatal("no concurrent write happened during the scan; the test proves nothing")
	}
	for i := 0; i < stable; i++ {
		if k := fmt.Sprintf("stable:%d", i); !seen[k] {
			t.Fatalf("%s was present for the whole iteration but SCAN never returned it (%d calls, %d write batches during the scan)", k, calls, writesDuring)
		}
	}
	t.Logf("scan: %d calls, %d keys seen, %d write batches interleaved", calls, len(seen), writesDuring)
}

func TestActiveExpiry(t *testing.T) {
	srv := testutil.StartRedoubt(t)
	ctx := context.Background()
	c := newClient(t, srv.Addr)

	const n = 10000
	pipe := c.Pipeline()
	sets := make([]*redis.StatusCmd, n)
	expires := make([]*redis.BoolCmd, n)
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("ttl:%d", i)
		sets[i] = pipe.Set(ctx, k, "v", 0)
		expires[i] = pipe.PExpire(ctx, k, 100*time.Millisecond)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range expires {
		if ok, err := expires[i].Result(); err != nil || !ok {
			t.Fatalf("PEXPIRE ttl:%d = %v, %v: the key should exist", i, ok, err)
		}
	}
	// only DBSIZE from now on: it counts keys without looking any up, so
	// every key that disappears was reclaimed by the server on its own
	deadline := time.Now().Add(60 * time.Second)
	for {
		size, err := c.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if size == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("DBSIZE still %d long after every TTL passed", size)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLazyExpiry(t *testing.T) {
	// hz 1: active expiry runs once a second, leaving a window in which
	// expired keys are still stored and only lazy expiry can hide them
	srv := testutil.StartRedoubt(t, "--hz", "1")
	ctx := context.Background()
	c := newClient(t, srv.Addr)

	const n = 200
	for round := 0; round < 10; round++ {
		if err := c.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		setKeys(t, ctx, c, "lazy", n)
		if err := c.Set(ctx, "keeper", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		pipe := c.Pipeline()
		for i := 0; i < n; i++ {
			pipe.PExpire(ctx, fmt.Sprintf("lazy:%d", i), 50*time.Millisecond)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(120 * time.Millisecond)
		stored, err := c.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if stored != n+1 {
			continue // active expiry ran in the window; try again
		}
		// every expired key is still stored; reads must not see them
		if keys, err := c.Keys(ctx, "*").Result(); err != nil || len(keys) != 1 || keys[0] != "keeper" {
			t.Fatalf("KEYS * = %v, %v; want only keeper", keys, err)
		}
		if ttl, err := c.TTL(ctx, "lazy:0").Result(); err != nil || ttl != -2 {
			t.Fatalf("TTL of an expired key = %v, %v; want -2", ttl, err)
		}
		if exists, err := c.Exists(ctx, "lazy:1").Result(); err != nil || exists != 0 {
			t.Fatalf("EXISTS of an expired key = %v, %v", exists, err)
		}
		for i := 2; i < n; i++ {
			if err := c.Get(ctx, fmt.Sprintf("lazy:%d", i)).Err(); err != redis.Nil {
				t.Fatalf("GET of an expired key: %v, want nil", err)
			}
		}
		// the lookups reclaimed what they met
		if size, err := c.DBSize(ctx).Result(); err != nil || size != 1 {
			t.Fatalf("DBSIZE after reading every expired key = %v, %v; want 1", size, err)
		}
		return
	}
	t.Fatal("active expiry always ran before the first read; could not observe lazy expiry")
}
