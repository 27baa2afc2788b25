// stream_blocking_test.go runs blocking XREAD/XREADGROUP scenarios against
// the real redis-server and redoubt alike: consumers of one group on
// several connections (each entry delivered to exactly one consumer, PELs
// and XACK), FIFO serving, XADD inside MULTI, timeouts and XGROUP DESTROY
// unblocking readers. Steps wait for INFO blocked_clients, not for time.
package integration

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

type xreadResult struct {
	ids []string
	err error
}

func xreadgroupAsync(t *testing.T, addr, group, consumer string, count int64) <-chan xreadResult {
	c := dedicatedClient(t, addr)
	ch := make(chan xreadResult, 1)
	go func() {
		res, err := c.XReadGroup(context.Background(), &redis.XReadGroupArgs{
			Group: group, Consumer: consumer, Streams: []string{"s", ">"}, Count: count, Block: 0,
		}).Result()
		var ids []string
		for _, st := range res {
			for _, m := range st.Messages {
				ids = append(ids, m.ID)
			}
		}
		ch <- xreadResult{ids, err}
	}()
	return ch
}

func TestXreadgroupBlockedConsumersFIFO(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)
		if err := c.XGroupCreateMkStream(ctx, "s", "g", "$").Err(); err != nil {
			t.Fatal(err)
		}
		var chans []<-chan xreadResult
		for i := 0; i < 3; i++ {
			chans = append(chans, xreadgroupAsync(t, addr, "g", fmt.Sprintf("c%d", i), 10))
			waitBlocked(t, c, i+1)
		}
		for i := 0; i < 3; i++ {
			id := fmt.Sprintf("%d-0", i+1)
			c.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: id, Values: []string{"f", "v"}})
			// the first blocked consumer takes it; the others keep waiting
			if r := recv(t, chans[i]); r.err != nil || fmt.Sprint(r.ids) != "["+id+"]" {
				t.Fatalf("consumer c%d got %v %v", i, r.ids, r.err)
			}
			waitBlocked(t, c, 2-i)
		}
		p := c.XPending(ctx, "s", "g").Val()
		if p.Count != 3 || fmt.Sprint(p.Consumers) != "map[c0:1 c1:1 c2:1]" {
			t.Fatalf("XPENDING %+v", p)
		}
		if n := c.XAck(ctx, "s", "g", "1-0", "2-0", "3-0").Val(); n != 3 {
			t.Fatalf("XACK %d", n)
		}
		if p := c.XPending(ctx, "s", "g").Val(); p.Count != 0 {
			t.Fatalf("XPENDING after ack %+v", p)
		}
	})
}

func TestXreadgroupConsumersShareEntries(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)
		c.XGroupCreateMkStream(ctx, "s", "g", "$")
		const total, consumers = 300, 4
		var mu sync.Mutex
		got := map[string][]string{} // consumer -> ids
		seen := 0
		done := make(chan struct{})
		for i := 0; i < consumers; i++ {
			name := fmt.Sprintf("c%d", i)
			cl := dedicatedClient(t, addr)
			go func() {
				for {
					res, err := cl.XReadGroup(ctx, &redis.XReadGroupArgs{
						Group: "g", Consumer: name, Streams: []string{"s", ">"}, Count: 7, Block: 0,
					}).Result()
					if err != nil {
						return // connection closed at cleanup
					}
					mu.Lock()
					for _, m := range res[0].Messages {
						got[name] = append(got[name], m.ID)
						seen++
					}
					if seen == total {
						close(done)
					}
					mu.Unlock()
				}
			}()
		}
		waitBlocked(t, c, consumers)
		for i := 1; i <= total; i++ {
			c.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: fmt.Sprintf("%d-1", i), Values: []string{"n", fmt.Sprint(i)}})
		}
		recv(t, done)
		mu.Lock()
		defer mu.Unlock()
		var all []string
		for name, ids := range got {
			all = append(all, ids...)
			pend := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "s", Group: "g", Start: "-", End: "+", Count: 1000, Consumer: name}).Val()
			if len(pend) != len(ids) {
				t.Fatalf("%s: %d pending, %d delivered", name, len(pend), len(ids))
			}
			for i, p := range pend {
				if p.ID != ids[i] || p.RetryCount != 1 {
					t.Fatalf("%s: pending %+v, delivered %s", name, p, ids[i])
				}
			}
		}
		sort.Slice(all, func(i, j int) bool {
			var a, b int
			fmt.Sscanf(all[i], "%d-", &a)
			fmt.Sscanf(all[j], "%d-", &b)
			return a < b
		})
		if len(all) != total {
			t.Fatalf("%d entries delivered, want %d", len(all), total)
		}
		for i, id := range all {
			if id != fmt.Sprintf("%d-1", i+1) {
				t.Fatalf("entry %d delivered as %s (duplicate or missing)", i+1, id)
			}
		}
		if p := c.XPending(ctx, "s", "g").Val(); p.Count != total {
			t.Fatalf("group PEL %d", p.Count)
		}
		if n := c.XAck(ctx, "s", "g", all...).Val(); n != total {
			t.Fatalf("XACK %d", n)
		}
		if p := c.XPending(ctx, "s", "g").Val(); p.Count != 0 {
			t.Fatalf("XPENDING after ack %+v", p)
		}
	})
}

func TestXreadBlockingWakeups(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)

		// XREAD $ on a missing key, served by an XADD inside MULTI/EXEC
		r := dedicatedClient(t, addr)
		ch := make(chan string, 1)
		go func() {
			res, err := r.XRead(ctx, &redis.XReadArgs{Streams: []string{"x", "$"}, Block: 0}).Result()
			ch <- fmt.Sprint(res, err)
		}()
		waitBlocked(t, c, 1)
		if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.XAdd(ctx, &redis.XAddArgs{Stream: "x", ID: "5-5", Values: []string{"a", "1"}})
			p.XAdd(ctx, &redis.XAddArgs{Stream: "x", ID: "6-6", Values: []string{"b", "2"}})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got := recv(t, ch); got != "[{x [{5-5 map[a:1] 0 0} {6-6 map[b:2] 0 0}]}] <nil>" {
			t.Fatalf("XREAD got %s", got)
		}

		// timeout: a nil reply
		if err := c.Do(ctx, "XREAD", "BLOCK", "20", "STREAMS", "x", "$").Err(); err != redis.Nil {
			t.Fatalf("XREAD timeout: %v", err)
		}

		// XGROUP DESTROY unblocks XREADGROUP with NOGROUP
		c.XGroupCreateMkStream(ctx, "s", "g", "$")
		gch := xreadgroupAsync(t, addr, "g", "c", 1)
		waitBlocked(t, c, 1)
		c.XGroupDestroy(ctx, "s", "g")
		if res := recv(t, gch); res.err == nil || !strings.HasPrefix(res.err.Error(), "NOGROUP") {
			t.Fatalf("XREADGROUP after DESTROY: %v %v", res.ids, res.err)
		} else if res.err.Error() != "NOGROUP the consumer group this client was blocked on no longer exists" {
			t.Fatalf("error text %q", res.err)
		}
		waitBlocked(t, c, 0)
	})
}
