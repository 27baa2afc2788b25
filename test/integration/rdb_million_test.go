package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// TestRDBMillionKeysIntoRedis: a dump.rdb of 1M keys of every type and
// compact encoding, a tenth with expiries, written by redoubt's BGSAVE,
// passes redis-check-rdb and loads into redis-server with every key
// identical: the same DUMP payload for compact encodings (the loader keeps
// their bytes as they are, so this compares the files' values byte for
// byte), the same content for hashtable/skiplist ones (whose DUMP order
// is the table's), the same encoding and the same expiry to the
// millisecond.
func TestRDBMillionKeysIntoRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("1M keys in -short mode")
	}
	skipFormatUnderRace(t) // snapshot concurrency: TestBgsaveIsPointInTime, the big-value tests
	n := 1000000
	ctx := context.Background()
	w := testutil.StartRedoubt(t)
	wc := redis.NewClient(&redis.Options{Addr: w.Addr})
	defer wc.Close()
	keys := fillMillion(t, wc, n)
	if err := wc.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitBgsave(t, wc)
	path := filepath.Join(w.Dir, "dump.rdb")
	checkRDB(t, path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rdir := t.TempDir()
	if err := os.WriteFile(filepath.Join(rdir, "dump.rdb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := testutil.StartRedisIn(t, rdir)
	rc := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rc.Close()
	waitLoaded(t, rc)
	if a, b := wc.DBSize(ctx).Val(), rc.DBSize(ctx).Val(); a != b || a != int64(len(keys)) {
		t.Fatalf("DBSIZE: redoubt %d, redis-server %d, written %d", a, b, len(keys))
	}
	for from := 0; from < len(keys); from += 20000 {
		batch := keys[from:min(from+20000, len(keys))]
		want, got := keyStates(t, wc, batch), keyStates(t, rc, batch)
		for i, k := range batch {
			if want[i] != got[i] {
				t.Fatalf("key %s differs:\n  redoubt:      %.300q\n  redis-server: %.300q", k, want[i], got[i])
			}
		}
	}
}

// fillMillion writes n keys (every 20: 10 strings of the int, embedded,
// raw and compressible kinds, 2 listpack hashes, an intset, a small set,
// a list, a listpack zset; every 10000th key a big hashtable hash, set,
// skiplist zset, many-node list and a stream with a group) and returns
// their names. Every tenth key has an expiry a day or more away.
func fillMillion(t *testing.T, c *redis.Client, n int) []string {
	t.Helper()
	ctx := context.Background()
	keys := make([]string, 0, n)
	p := c.Pipeline()
	flush := func() {
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	expireBase := time.Now().Add(24*time.Hour).UnixMilli() + 1
	for i := 0; i < n; i++ {
		k := fmt.Sprint("k:", i)
		keys = append(keys, k)
		switch r := i % 20; {
		case i%10000 == 9999:
			bigValue(ctx, p, k, i)
		case r < 3:
			p.Set(ctx, k, i*7919-3000000, 0)
		case r < 7:
			p.Set(ctx, k, fmt.Sprint("value-", i), 0)
		case r < 9:
			p.Set(ctx, k, strings.Repeat(fmt.Sprint("raw", i%97), 20), 0)
		case r < 10:
			p.Set(ctx, k, strings.Repeat("compress me ", 10)+fmt.Sprint(i), 0)
		case r < 12:
			p.HSet(ctx, k, "name", fmt.Sprint("user", i), "age", i%90, "city", "x")
		case r < 13:
			p.SAdd(ctx, k, i, i+1, -i)
		case r < 14:
			p.SAdd(ctx, k, "a", fmt.Sprint("m", i))
		case r < 17:
			p.RPush(ctx, k, "a", i, strings.Repeat("l", i%50))
		default:
			p.ZAdd(ctx, k, redis.Z{Score: float64(i) / 7, Member: "x"}, redis.Z{Score: -1.5, Member: fmt.Sprint("y", i)})
		}
		if i%10 == 4 {
			p.PExpireAt(ctx, k, time.UnixMilli(expireBase+int64(i)))
		}
		if p.Len() >= 10000 {
			flush()
		}
	}
	flush()
	return keys
}

func bigValue(ctx context.Context, p redis.Pipeliner, k string, i int) {
	switch (i / 10000) % 5 {
	case 0:
		for j := 0; j < 1000; j++ {
			p.HSet(ctx, k, fmt.Sprint("f", j), fmt.Sprint("v", j*i))
		}
	case 1:
		for j := 0; j < 1000; j++ {
			p.SAdd(ctx, k, fmt.Sprint("member", j))
		}
	case 2:
		for j := 0; j < 1000; j++ {
			p.ZAdd(ctx, k, redis.Z{Score: float64(j%100) / 3, Member: fmt.Sprint("m", j)})
		}
	case 3:
		for j := 0; j < 5000; j += 100 {
			vals := make([]any, 100)
			for v := range vals {
				vals[v] = fmt.Sprint("item", j+v)
			}
			p.RPush(ctx, k, vals...)
		}
	default:
		for j := 1; j <= 300; j++ {
			p.XAdd(ctx, &redis.XAddArgs{Stream: k, ID: fmt.Sprint(j, "-1"), Values: []any{"f", j}})
		}
		p.XGroupCreate(ctx, k, "g", "0")
		p.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{k, ">"}, Count: 100})
	}
}

// keyStates reads each key's encoding, expiry and content, as one string.
func keyStates(t *testing.T, c *redis.Client, keys []string) []string {
	t.Helper()
	ctx := context.Background()
	p := c.Pipeline()
	enc := make([]*redis.Cmd, len(keys))
	exp := make([]*redis.Cmd, len(keys))
	for i, k := range keys {
		enc[i] = p.Do(ctx, "OBJECT", "ENCODING", k)
		exp[i] = p.Do(ctx, "PEXPIRETIME", k)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	content := make([]*redis.Cmd, len(keys))
	for i, k := range keys {
		switch enc[i].Val() {
		case "hashtable": // hash or set: DUMP follows the table's order
			content[i] = p.Do(ctx, "EVAL", `if redis.call('TYPE', KEYS[1]).ok == 'hash' then
				return redis.call('HGETALL', KEYS[1]) end
				return redis.call('SMEMBERS', KEYS[1])`, 1, k)
		case "skiplist":
			content[i] = p.Do(ctx, "ZRANGE", k, 0, -1, "WITHSCORES")
		case "stream": // DUMP holds delivery times and the radix tree's shape
			content[i] = p.Do(ctx, "XINFO", "STREAM", k, "FULL")
		default:
			content[i] = p.Do(ctx, "DUMP", k)
		}
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(keys))
	for i := range keys {
		v := content[i].Val()
		switch enc[i].Val() {
		case "hashtable":
			v = sortedPairsOrMembers(v)
		case "stream":
			v = maskStreamTimes(v)
		}
		out[i] = fmt.Sprintf("%v|%v|%v", enc[i].Val(), exp[i].Val(), v)
	}
	return out
}

// sortedPairsOrMembers puts a hash's field/value pairs (or a set's
// members) in order.
func sortedPairsOrMembers(v any) any {
	l, ok := v.([]any)
	if !ok {
		return v
	}
	var items []string
	if len(l)%2 == 0 && len(l) > 0 && fmt.Sprint(l[0])[0] == 'f' { // hash fields are f<N>
		for i := 0; i+1 < len(l); i += 2 {
			items = append(items, fmt.Sprint(l[i], "=", l[i+1]))
		}
	} else {
		for _, x := range l {
			items = append(items, fmt.Sprint(x))
		}
	}
	sort.Strings(items)
	return items
}

// maskStreamTimes drops the millisecond times of XINFO STREAM FULL that
// are read from the clock (seen-time, active-time, delivery times are in
// the file and stay).
func maskStreamTimes(v any) any {
	l, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]any, len(l))
	for i, x := range l {
		if i > 0 && (l[i-1] == "seen-time" || l[i-1] == "active-time") {
			out[i] = "*"
			continue
		}
		out[i] = maskStreamTimes(x)
	}
	return out
}
