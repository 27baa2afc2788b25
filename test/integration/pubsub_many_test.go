// pubsub_many_test.go runs pub/sub at scale through go-redis: many
// subscribers on channels and patterns, several publishers at once. Every
// subscriber must get every message meant for it exactly once and, per
// publisher, in publishing order; PUBLISH must count the receivers and
// PUBSUB NUMSUB/NUMPAT the subscriptions, on both servers alike.
package integration

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt/redoubt/test/testutil"
)

func TestPubSubManySubscribers(t *testing.T) {
	const (
		channelSubs = 150 // each on "room" (and half also on "room.b")
		patternSubs = 50  // each on "room*"
		publishers  = 4
		perPub      = 200
	)
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		opts := &redis.Options{Addr: p.Addr, PoolSize: publishers + 2}
		rdb := redis.NewClient(opts)
		defer rdb.Close()

		type sub struct {
			ps      *redis.PubSub
			pattern bool
			both    bool // also subscribed to room.b
		}
		var subs []sub
		for i := 0; i < channelSubs+patternSubs; i++ {
			s := sub{pattern: i >= channelSubs, both: i < channelSubs && i%2 == 0}
			c := redis.NewClient(opts)
			defer c.Close()
			switch {
			case s.pattern:
				s.ps = c.PSubscribe(ctx, "room*")
			case s.both:
				s.ps = c.Subscribe(ctx, "room", "room.b")
			default:
				s.ps = c.Subscribe(ctx, "room")
			}
			// Receive the confirmations, so the subscriptions exist
			// before anyone publishes.
			confirmations := 1
			if s.both {
				confirmations = 2
			}
			for range confirmations {
				if _, err := s.ps.Receive(ctx); err != nil {
					t.Fatal(err)
				}
			}
			defer s.ps.Close()
			subs = append(subs, s)
		}

		numsub, err := rdb.PubSubNumSub(ctx, "room", "room.b", "none").Result()
		if err != nil {
			t.Fatal(err)
		}
		wantNum := map[string]int64{"room": channelSubs, "room.b": channelSubs / 2, "none": 0}
		for ch, want := range wantNum {
			if numsub[ch] != want {
				t.Errorf("PUBSUB NUMSUB %s = %d, want %d", ch, numsub[ch], want)
			}
		}
		if n, err := rdb.PubSubNumPat(ctx).Result(); err != nil || n != 1 {
			t.Errorf("PUBSUB NUMPAT = %d, %v; want 1 (one pattern, many subscribers)", n, err)
		}

		// Publishers alternate "room" and "room.b"; each message names its
		// publisher and sequence number.
		receivers := map[string]int64{"room": channelSubs + patternSubs, "room.b": channelSubs/2 + patternSubs}
		var wg sync.WaitGroup
		errs := make(chan error, publishers)
		for pub := 0; pub < publishers; pub++ {
			wg.Add(1)
			go func(pub int) {
				defer wg.Done()
				for seq := 0; seq < perPub; seq++ {
					ch := "room"
					if seq%2 == 1 {
						ch = "room.b"
					}
					n, err := rdb.Publish(ctx, ch, fmt.Sprintf("%d:%d", pub, seq)).Result()
					if err == nil && n != receivers[ch] {
						err = fmt.Errorf("PUBLISH %s returned %d, want %d", ch, n, receivers[ch])
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}(pub)
		}

		// Every subscriber reads what it should get: all messages on room,
		// and the room.b ones if it listens there too.
		var rwg sync.WaitGroup
		for i, s := range subs {
			rwg.Add(1)
			go func(i int, s sub) {
				defer rwg.Done()
				want := publishers * perPub / 2
				if s.pattern || s.both {
					want = publishers * perPub
				}
				next := make([]int, publishers) // next sequence expected per publisher
				for got := 0; got < want; got++ {
					m, err := s.ps.ReceiveMessage(ctx)
					if err != nil {
						t.Errorf("subscriber %d after %d messages: %v", i, got, err)
						return
					}
					pubS, seqS, _ := strings.Cut(m.Payload, ":")
					pub, _ := strconv.Atoi(pubS)
					seq, _ := strconv.Atoi(seqS)
					if !s.pattern && !s.both && seq%2 == 1 {
						t.Errorf("subscriber %d got %q from %s, a channel it is not on", i, m.Payload, m.Channel)
						return
					}
					if seq != next[pub] {
						t.Errorf("subscriber %d: publisher %d message %d arrived when %d was due", i, pub, seq, next[pub])
						return
					}
					if s.pattern && m.Pattern != "room*" {
						t.Errorf("subscriber %d: pattern message with pattern %q", i, m.Pattern)
						return
					}
					next[pub] += 1
					if !s.pattern && !s.both {
						next[pub]++ // it skips the room.b messages
					}
				}
			}(i, s)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		rwg.Wait()

		// Half the channel subscribers leave: the counts follow at once.
		for _, s := range subs[:channelSubs/2] {
			if err := s.ps.Unsubscribe(ctx); err != nil {
				t.Fatal(err)
			}
		}
		want := int64(channelSubs - channelSubs/2 + patternSubs)
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, err := rdb.Publish(ctx, "room", "after").Result()
			if err != nil {
				t.Fatal(err)
			}
			if n == want {
				break
			}
			// go-redis sends UNSUBSCRIBE without waiting for its reply
			if time.Now().After(deadline) {
				t.Fatalf("PUBLISH after unsubscribing half: %d receivers, want %d", n, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
