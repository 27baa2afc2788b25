// set_test.go drives the set commands with a real client for what the
// differential cases cannot compare byte for byte because the replies are
// random or hash-ordered: an SSCAN over a hashtable set takes several
// calls with non-zero cursors and returns every member, and SRANDMEMBER /
// SPOP with counts keep their promises (distinct members, repetitions for
// negative counts, popped members really gone).
package integration

import (
	"context"
	"fmt"
	"testing"

	"github.com/redoubt/redoubt/test/testutil"
)

func TestSscanHashtableFullIteration(t *testing.T) {
	srv := testutil.StartRedoubt(t)
	ctx := context.Background()
	c := newClient(t, srv.Addr)
	const n = 1000
	members := make([]any, n)
	for i := range members {
		members[i] = fmt.Sprintf("m:%d", i)
	}
	if err := c.SAdd(ctx, "s", members...).Err(); err != nil {
		t.Fatal(err)
	}
	if enc := c.ObjectEncoding(ctx, "s").Val(); enc != "hashtable" {
		t.Fatalf("encoding %q", enc)
	}
	seen := map[string]int{}
	var cursor uint64
	calls := 0
	for {
		keys, next, err := c.SScan(ctx, "s", cursor, "", 20).Result()
		if err != nil {
			t.Fatal(err)
		}
		calls++
		for _, k := range keys {
			seen[k]++
		}
		cursor = next
		if cursor == 0 {
			break
		}
	}
	if calls < 10 {
		t.Fatalf("a %d-member hashtable set was scanned in %d calls", n, calls)
	}
	if len(seen) != n {
		t.Fatalf("scan returned %d distinct members of %d", len(seen), n)
	}
	// MATCH filters after the bucket walk
	cursor, matched := 0, 0
	for {
		keys, next, err := c.SScan(ctx, "s", cursor, "m:1??", 50).Result()
		if err != nil {
			t.Fatal(err)
		}
		matched += len(keys)
		if cursor = next; cursor == 0 {
			break
		}
	}
	if matched != 100 {
		t.Fatalf("MATCH m:1?? returned %d members, want 100", matched)
	}
}

func TestSetRandomCounts(t *testing.T) {
	srv := testutil.StartRedoubt(t)
	ctx := context.Background()
	c := newClient(t, srv.Addr)
	for _, prefix := range []string{"", "x"} { // intset and hashtable
		key := "r" + prefix
		for i := range 100 {
			c.SAdd(ctx, key, prefix+fmt.Sprint(i))
		}
		for _, count := range []int64{1, 10, 40, 99} {
			got := c.SRandMemberN(ctx, key, count).Val()
			distinct := map[string]bool{}
			for _, m := range got {
				if !c.SIsMember(ctx, key, m).Val() {
					t.Fatalf("SRANDMEMBER %s %d returned non-member %q", key, count, m)
				}
				distinct[m] = true
			}
			if int64(len(got)) != count || int64(len(distinct)) != count {
				t.Fatalf("SRANDMEMBER %s %d: %d replies, %d distinct", key, count, len(got), len(distinct))
			}
		}
		if got := c.SRandMemberN(ctx, key, -500).Val(); len(got) != 500 {
			t.Fatalf("SRANDMEMBER %s -500 returned %d", key, len(got))
		}
		left := int64(100)
		for _, count := range []int64{3, 60, 30} {
			popped := c.SPopN(ctx, key, count).Val()
			left -= count
			distinct := map[string]bool{}
			for _, m := range popped {
				if c.SIsMember(ctx, key, m).Val() {
					t.Fatalf("SPOP %s %d left %q in the set", key, count, m)
				}
				distinct[m] = true
			}
			if int64(len(distinct)) != count || c.SCard(ctx, key).Val() != left {
				t.Fatalf("SPOP %s %d: %d distinct, %d left (want %d)", key, count, len(distinct), c.SCard(ctx, key).Val(), left)
			}
		}
	}
}
