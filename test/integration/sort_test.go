// sort_test.go checks, against the real redis-server and redoubt alike,
// what SORT ... STORE does beyond its reply: the stored list serves a
// client blocked on the destination, as any list creation does.
package integration

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestSortStoreServesBlockedClient(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)
		ch := blpopAsync(t, addr, "dst")
		waitBlocked(t, c, 1)
		c.RPush(ctx, "src", "3", "1", "2")
		n, err := c.SortStore(ctx, "src", "dst", &redis.Sort{Order: "DESC"}).Result()
		if err != nil || n != 3 {
			t.Fatalf("SORT STORE replied %d %v", n, err)
		}
		if r := recv(t, ch); r.err != nil || fmt.Sprint(r.val) != "[dst 3]" {
			t.Fatalf("BLPOP got %v %v", r.val, r.err)
		}
		if got := c.LRange(ctx, "dst", 0, -1).Val(); fmt.Sprint(got) != "[2 1]" {
			t.Fatalf("left in destination: %v", got)
		}
		waitBlocked(t, c, 0)
	})
}
