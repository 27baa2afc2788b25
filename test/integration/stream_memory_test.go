// MEMORY USAGE of a stream must follow what the server holds for it: the
// entries, a consumer group, its consumers and pending entries, and give
// the bytes back when entries are trimmed and NACKs acknowledged.
package integration

import (
	"context"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

func TestStreamMemoryUsage(t *testing.T) {
	p := testutil.StartRedoubt(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: p.Addr})
	defer rdb.Close()
	usage := func(what string) int64 {
		t.Helper()
		n, err := rdb.MemoryUsage(ctx, "s", 0).Result()
		if err != nil {
			t.Fatalf("%s: MEMORY USAGE: %v", what, err)
		}
		t.Logf("%s: %d bytes", what, n)
		return n
	}
	add := func(from, to int) {
		t.Helper()
		pipe := rdb.Pipeline()
		for i := from; i < to; i++ {
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: strconv.Itoa(i+1) + "-0",
				Values: []string{"user", strconv.Itoa(i), "action", "element:" + strconv.Itoa(i)}})
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}

	add(0, 10)
	small := usage("10 entries")
	add(10, 10000)
	big := usage("10000 entries")
	// Each entry stores at least its two values (~15 bytes here); the
	// packed layout stays well under 60 bytes an entry.
	if big-small < 9990*15 || big-small > 9990*60 {
		t.Fatalf("9990 more entries changed MEMORY USAGE by %d bytes", big-small)
	}

	if err := rdb.XGroupCreate(ctx, "s", "g", "0").Err(); err != nil {
		t.Fatal(err)
	}
	group := usage("with a group")
	if group <= big {
		t.Fatalf("a group added nothing: %d -> %d", big, group)
	}
	for _, c := range []string{"alice", "bob"} {
		if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: c, Streams: []string{"s", ">"}, Count: 2000}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	pending := usage("4000 pending")
	// A NACK and its ID in the group's and the consumer's PEL.
	if pending-group < 4000*(24+2*(16+8)) {
		t.Fatalf("4000 pending entries added %d bytes", pending-group)
	}

	ids := make([]string, 0, 4000)
	for i := 1; i <= 4000; i++ {
		ids = append(ids, strconv.Itoa(i)+"-0")
	}
	if n, err := rdb.XAck(ctx, "s", "g", ids...).Result(); err != nil || n != 4000 {
		t.Fatalf("XACK: %d %v", n, err)
	}
	acked := usage("all acknowledged")
	if acked >= pending-4000*24 {
		t.Fatalf("acknowledging 4000 entries freed %d bytes", pending-acked)
	}

	if err := rdb.XTrimMaxLen(ctx, "s", 100).Err(); err != nil {
		t.Fatal(err)
	}
	trimmed := usage("trimmed to 100")
	if acked-trimmed < 9900*15 {
		t.Fatalf("trimming 9900 entries freed %d bytes", acked-trimmed)
	}
}
