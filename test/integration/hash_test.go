// Tests of hash behaviour the differential compat cases cannot pin down
// because it is random or depends on hash table layout: a full HSCAN
// iteration of a hashtable-encoded hash with small COUNTs, and the
// properties of HRANDFIELD's random replies in both protocols.
package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt/redoubt/test/testutil"
)

func hashClient(t *testing.T, p *testutil.Proc, proto int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: p.Addr, Protocol: proto})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestHashScanHashtable(t *testing.T) {
	p := testutil.StartRedoubt(t)
	ctx := context.Background()
	c := hashClient(t, p, 2)
	if err := c.ConfigSet(ctx, "hash-max-listpack-entries", "16").Err(); err != nil {
		t.Fatal(err)
	}
	const n = 500
	for i := 0; i < n; i++ {
		c.HSet(ctx, "h", fmt.Sprint("f", i), fmt.Sprint("v", i))
	}
	if enc := c.ObjectEncoding(ctx, "h").Val(); enc != "hashtable" {
		t.Fatalf("encoding %s", enc)
	}
	for _, match := range []string{"", "f1*"} {
		seen := map[string]bool{}
		cursor, calls := uint64(0), 0
		for {
			items, next, err := c.HScan(ctx, "h", cursor, match, 7).Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(items)%2 != 0 {
				t.Fatalf("odd reply %v", items)
			}
			for i := 0; i < len(items); i += 2 {
				f, v := items[i], items[i+1]
				if v != "v"+strings.TrimPrefix(f, "f") {
					t.Fatalf("field %s came with value %s", f, v)
				}
				if match != "" && !strings.HasPrefix(f, "f1") {
					t.Fatalf("MATCH %s returned %s", match, f)
				}
				seen[f] = true
			}
			calls++
			cursor = next
			if cursor == 0 {
				break
			}
		}
		want := n
		if match != "" {
			want = 111 // f1, f10..f19, f100..f199
		}
		if len(seen) != want {
			t.Fatalf("MATCH %q: saw %d distinct fields, want %d", match, len(seen), want)
		}
		if calls < 2 {
			t.Fatalf("a hashtable with COUNT 7 came back in %d call", calls)
		}
	}
}

func TestHrandfieldRandomReplies(t *testing.T) {
	p := testutil.StartRedoubt(t)
	ctx := context.Background()
	setup := hashClient(t, p, 2)
	setup.ConfigSet(ctx, "hash-max-listpack-entries", "40")
	for i := 0; i < 30; i++ {
		setup.HSet(ctx, "lp", fmt.Sprint("f", i), fmt.Sprint("v", i))
	}
	for i := 0; i < 60; i++ {
		setup.HSet(ctx, "ht", fmt.Sprint("f", i), fmt.Sprint("v", i))
	}
	for key, enc := range map[string]string{"lp": "listpack", "ht": "hashtable"} {
		if got := setup.ObjectEncoding(ctx, key).Val(); got != enc {
			t.Fatalf("%s: encoding %s", key, got)
		}
	}
	for _, proto := range []int{2, 3} {
		c := hashClient(t, p, proto)
		for _, key := range []string{"lp", "ht"} {
			size := int(c.HLen(ctx, key).Val())
			// positive counts below the size: distinct fields (both sampling strategies)
			for _, count := range []int{2, 5, size/3 + 1, size - 1} {
				pairs, err := c.HRandFieldWithValues(ctx, key, count).Result()
				if err != nil {
					t.Fatal(err)
				}
				if len(pairs) != count {
					t.Fatalf("resp%d %s count %d: %d pairs", proto, key, count, len(pairs))
				}
				seen := map[string]bool{}
				for _, kv := range pairs {
					if seen[kv.Key] {
						t.Fatalf("resp%d %s count %d: %s twice", proto, key, count, kv.Key)
					}
					seen[kv.Key] = true
					if kv.Value != "v"+strings.TrimPrefix(kv.Key, "f") {
						t.Fatalf("resp%d %s: %s paired with %s", proto, key, kv.Key, kv.Value)
					}
				}
			}
			// negative counts repeat fields: exactly |count| existing ones
			fields, err := c.HRandField(ctx, key, -200).Result()
			if err != nil {
				t.Fatal(err)
			}
			distinct := map[string]bool{}
			for _, f := range fields {
				if c.HExists(ctx, key, f).Val() != true {
					t.Fatalf("%s: random field %s does not exist", key, f)
				}
				distinct[f] = true
			}
			if len(fields) != 200 || len(distinct) == 200 || len(distinct) < 2 {
				t.Fatalf("%s -200: %d fields, %d distinct", key, len(fields), len(distinct))
			}
		}
	}
}
