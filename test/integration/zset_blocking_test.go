// zset_blocking_test.go runs the BZPOPMIN/BZPOPMAX/BZMPOP scenarios a
// single reply cannot show against the real redis-server and redoubt
// alike: a blocked client served by a later ZADD, FIFO order among blocked
// clients, clients blocked on several keys, and timeouts. Each step waits
// for observable state (INFO blocked_clients), never for an amount of time.
package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

type zpopResult struct {
	val string
	err error
}

// bzpopAsync starts BZPOPMIN (or BZPOPMAX) on its own connection.
func bzpopAsync(t *testing.T, addr string, max bool, keys ...string) <-chan zpopResult {
	c := dedicatedClient(t, addr)
	ch := make(chan zpopResult, 1)
	go func() {
		cmd := c.BZPopMin
		if max {
			cmd = c.BZPopMax
		}
		v, err := cmd(context.Background(), 0, keys...).Result()
		if err != nil {
			ch <- zpopResult{err: err}
			return
		}
		ch <- zpopResult{val: fmt.Sprintf("%s %v %v", v.Key, v.Member, v.Score)}
	}()
	return ch
}

func TestBzpopServedByLaterZadd(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)
		minCh := bzpopAsync(t, addr, false, "z")
		waitBlocked(t, c, 1)
		maxCh := bzpopAsync(t, addr, true, "z")
		waitBlocked(t, c, 2)
		if n := c.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"}, redis.Z{Score: 3, Member: "c"}).Val(); n != 3 {
			t.Fatalf("ZADD replied %d", n)
		}
		if r := recv(t, minCh); r.err != nil || r.val != "z a 1" {
			t.Fatalf("BZPOPMIN got %q %v", r.val, r.err)
		}
		if r := recv(t, maxCh); r.err != nil || r.val != "z c 3" {
			t.Fatalf("BZPOPMAX got %q %v", r.val, r.err)
		}
		if got := c.ZRange(ctx, "z", 0, -1).Val(); fmt.Sprint(got) != "[b]" {
			t.Fatalf("left in zset: %v", got)
		}
		waitBlocked(t, c, 0)

		// BZMPOP: nested reply, COUNT larger than the set empties the key
		b := dedicatedClient(t, addr)
		ch := make(chan string, 1)
		go func() {
			key, members, err := b.BZMPop(ctx, 0, "max", 5, "none", "z2").Result()
			ch <- fmt.Sprint(key, members, err)
		}()
		waitBlocked(t, c, 1)
		// a key of another type does not serve it
		c.RPush(ctx, "none", "x")
		c.ZAdd(ctx, "z2", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"})
		select {
		case got := <-ch:
			if got != "z2[{2 b} {1 a}] <nil>" {
				t.Fatalf("BZMPOP got %s", got)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("BZMPOP never served")
		}
		if c.Exists(ctx, "z2").Val() != 0 {
			t.Fatal("emptied zset not deleted")
		}
		waitBlocked(t, c, 0)
	})
}

func TestBzpopServedInOrder(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)
		var chans []<-chan zpopResult
		for i := 0; i < 3; i++ {
			chans = append(chans, bzpopAsync(t, addr, false, "other", "z"))
			waitBlocked(t, c, i+1)
		}
		multi := bzpopAsync(t, addr, false, "z1", "z2")
		waitBlocked(t, c, 4)
		c.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"},
			redis.Z{Score: 3, Member: "c"}, redis.Z{Score: 4, Member: "d"})
		for i, ch := range chans {
			want := fmt.Sprintf("z %c %d", 'a'+i, i+1)
			if r := recv(t, ch); r.err != nil || r.val != want {
				t.Fatalf("client %d got %q %v, want %q", i, r.val, r.err, want)
			}
		}
		if got := c.ZRange(ctx, "z", 0, -1).Val(); fmt.Sprint(got) != "[d]" {
			t.Fatalf("left in zset: %v", got)
		}
		c.ZAdd(ctx, "z2", redis.Z{Score: 7, Member: "x"})
		if r := recv(t, multi); r.err != nil || r.val != "z2 x 7" {
			t.Fatalf("multi-key client got %q %v", r.val, r.err)
		}
		waitBlocked(t, c, 0)
	})
}

func TestBzpopTimeouts(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)
		raw := testutil.DialRaw(t, addr)
		for _, cmd := range [][]string{
			{"BZPOPMIN", "nokey", "0.02"}, {"BZPOPMAX", "a", "b", "0.001"},
			{"BZMPOP", "0.02", "2", "a", "b", "MIN"},
		} {
			if got := raw.DoRaw(cmd...); got != "*-1\r\n" {
				t.Fatalf("%v timeout reply %q", cmd, got)
			}
		}
		if err := c.BZPopMin(ctx, time.Second, "nokey").Err(); err != redis.Nil {
			t.Fatalf("BZPOPMIN timeout: %v", err)
		}
		waitBlocked(t, c, 0)
	})
}
