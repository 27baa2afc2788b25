package integration

// repl_dataset_test.go holds what the replication interop tests share: a
// load of mixed writes of every type over several databases and clients,
// and a key-by-key dump of a whole data set to compare two servers by.

import (
	"context"
	"fmt"
	"math/rand"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt/redoubt/test/testutil"
)

// mixedWriteDBs are the databases mixedWrites writes to, one client each.
var mixedWriteDBs = []int{0, 1, 5, 9}

// mixedWrites sends n write commands of every type from one client per
// database at once, in pipelines, over a pool of keys that makes them
// create, change and delete the same keys again and again. Expiries are
// hours away or in the past, so a comparison never races one.
func mixedWrites(t *testing.T, addr string, n int, seed int64) {
	t.Helper()
	if testutil.RaceBuilt() {
		n /= 5 // the race detector makes the servers some 5-10 times slower
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(mixedWriteDBs))
	for i, db := range mixedWriteDBs {
		wg.Add(1)
		go func(db int, rng *rand.Rand) {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr, DB: db, ReadTimeout: time.Minute})
			defer c.Close()
			ctx := context.Background()
			per := n / len(mixedWriteDBs)
			for done := 0; done < per; {
				pipe := c.Pipeline()
				for j := 0; j < 500 && done < per; j++ {
					mixedOp(ctx, pipe, rng)
					done++
				}
				cmds, err := pipe.Exec(ctx)
				if err != nil && err != redis.Nil {
					// wrong-type errors are expected (keys change type);
					// anything else is not
					for _, cmd := range cmds {
						if e := cmd.Err(); e != nil && e != redis.Nil && !strings.HasPrefix(e.Error(), "WRONGTYPE") &&
							!strings.Contains(e.Error(), "no such key") && !strings.Contains(e.Error(), "not an integer") &&
							!strings.Contains(e.Error(), "NOGROUP") && !strings.Contains(e.Error(), "BUSYGROUP") &&
							!strings.Contains(e.Error(), "is not a valid float") && !strings.Contains(e.Error(), "objects are the same") && !strings.Contains(e.Error(), "EXECABORT") {
							errs <- fmt.Errorf("db %d: %v: %v", db, cmd.Args(), e)
							return
						}
					}
				}
			}
		}(db, rand.New(rand.NewSource(seed+int64(i))))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// mixedOp queues one random write.
func mixedOp(ctx context.Context, p redis.Pipeliner, rng *rand.Rand) {
	k := func(kind string) string { return fmt.Sprintf("%s:%d", kind, rng.Intn(300)) }
	v := func() string { return strconv.Itoa(rng.Intn(1000)) + strings.Repeat("x", rng.Intn(20)) }
	switch rng.Intn(40) {
	case 0:
		p.Set(ctx, k("str"), v(), 0)
	case 1:
		p.Append(ctx, k("str"), v())
	case 2:
		p.Incr(ctx, k("num"))
	case 3:
		p.IncrByFloat(ctx, k("flt"), 1.5)
	case 4:
		p.Del(ctx, k("str"), k("list"))
	case 5:
		p.Expire(ctx, k("str"), time.Duration(1+rng.Intn(5))*time.Hour)
	case 6:
		p.Persist(ctx, k("str"))
	case 7:
		p.Set(ctx, k("str"), v(), time.Duration(2+rng.Intn(3))*time.Hour)
	case 8:
		p.LPush(ctx, k("list"), v(), v())
	case 9:
		p.RPop(ctx, k("list"))
	case 10:
		p.LMove(ctx, k("list"), k("list"), "LEFT", "RIGHT")
	case 11:
		p.LTrim(ctx, k("list"), 0, 20)
	case 12:
		p.HSet(ctx, k("hash"), "f"+strconv.Itoa(rng.Intn(30)), v())
	case 13:
		p.HDel(ctx, k("hash"), "f"+strconv.Itoa(rng.Intn(30)))
	case 14:
		p.HIncrBy(ctx, k("hash"), "n", 3)
	case 15:
		p.HIncrByFloat(ctx, k("hash"), "fl", 0.25)
	case 16:
		p.SAdd(ctx, k("set"), v(), rng.Intn(100))
	case 17:
		p.SRem(ctx, k("set"), v())
	case 18:
		p.SPop(ctx, k("set"))
	case 19:
		p.SPopN(ctx, k("set"), 3)
	case 20:
		p.ZAdd(ctx, k("zset"), redis.Z{Score: float64(rng.Intn(100)), Member: v()})
	case 21:
		p.ZIncrBy(ctx, k("zset"), 1.5, v())
	case 22:
		p.ZPopMin(ctx, k("zset"))
	case 23:
		p.ZRemRangeByRank(ctx, k("zset"), 0, 1)
	case 24:
		p.XAdd(ctx, &redis.XAddArgs{Stream: k("stream"), MaxLen: 50, Approx: rng.Intn(2) == 0, Values: []any{"f", v()}})
	case 25:
		p.XGroupCreateMkStream(ctx, k("stream"), "g", "0")
	case 26:
		p.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c" + strconv.Itoa(rng.Intn(3)), Streams: []string{k("stream"), ">"}, Count: 2, Block: -1})
	case 27:
		p.XTrimMaxLen(ctx, k("stream"), 10)
	case 28:
		p.PFAdd(ctx, k("hll"), v(), v())
	case 29:
		p.SetBit(ctx, k("bits"), int64(rng.Intn(500)), rng.Intn(2))
	case 30:
		p.Rename(ctx, k("str"), k("str"))
	case 31:
		p.Copy(ctx, k("hash"), k("hash"), 0, true)
	case 32:
		p.GetEx(ctx, k("str"), time.Duration(1+rng.Intn(3))*time.Hour)
	case 33:
		p.SInterStore(ctx, k("set"), k("set"), k("set"))
	case 34:
		p.ZUnionStore(ctx, k("zset"), &redis.ZStore{Keys: []string{k("zset"), k("zset")}})
	case 35:
		p.Eval(ctx, "redis.call('INCR', KEYS[1]); return redis.call('LPUSH', KEYS[2], ARGV[1])", []string{k("num"), k("list")}, v())
	case 36:
		// Do: inside MULTI the replies are QUEUED, whatever the command
		p.Do(ctx, "MULTI")
		p.Do(ctx, "INCR", k("num"))
		p.Do(ctx, "HSET", k("hash"), "m", v())
		p.Do(ctx, "EXEC")
	case 37:
		p.SetRange(ctx, k("str"), int64(rng.Intn(30)), v())
	case 38:
		p.Expire(ctx, k("list"), -time.Second) // a past expiry deletes
	case 39:
		p.LPos(ctx, k("list"), v(), redis.LPosArgs{}) // a read in the mix
	}
}

var radixLayout = regexp.MustCompile(`radix-tree-keys \d+ radix-tree-nodes \d+`)

// datasetDump lists every key of every database with its type, value and
// absolute expire time, sorted: two servers with the same data set give
// the same dump. Hashes, sets and zsets are compared as contents, not
// orders; stream consumer groups with their pending entries.
func datasetDump(t *testing.T, addr string) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for db := 0; db < 16; db++ {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db, ReadTimeout: time.Minute})
		var keys []string
		var cursor uint64
		for {
			ks, next, err := c.Scan(ctx, cursor, "*", 1000).Result()
			if err != nil {
				c.Close()
				t.Fatal(err)
			}
			keys = append(keys, ks...)
			if cursor = next; cursor == 0 {
				break
			}
		}
		for from := 0; from < len(keys); from += 500 {
			batch := keys[from:min(from+500, len(keys))]
			types := make([]*redis.StatusCmd, len(batch))
			pipe := c.Pipeline()
			for i, k := range batch {
				types[i] = pipe.Type(ctx, k)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				c.Close()
				t.Fatal(err)
			}
			pipe = c.Pipeline()
			vals := make([]redis.Cmder, len(batch))
			exps := make([]*redis.DurationCmd, len(batch))
			for i, k := range batch {
				exps[i] = pipe.PExpireTime(ctx, k)
				switch types[i].Val() {
				case "string":
					vals[i] = pipe.Get(ctx, k)
				case "list":
					vals[i] = pipe.LRange(ctx, k, 0, -1)
				case "hash":
					vals[i] = pipe.HGetAll(ctx, k)
				case "set":
					vals[i] = pipe.SMembers(ctx, k)
				case "zset":
					vals[i] = pipe.ZRangeWithScores(ctx, k, 0, -1)
				case "stream":
					vals[i] = pipe.Do(ctx, "XINFO", "STREAM", k, "FULL")
				}
			}
			if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
				c.Close()
				t.Fatal(err)
			}
			for i, k := range batch {
				var v string
				switch cmd := vals[i].(type) {
				case *redis.StringSliceCmd:
					m := cmd.Val()
					if types[i].Val() == "set" {
						m = slices.Clone(m)
						sort.Strings(m)
					}
					v = fmt.Sprint(m)
				case *redis.Cmd:
					// the radix tree's shape is each server's own
					v = radixLayout.ReplaceAllString(fmt.Sprint(maskSeenTime(cmd.Val())), "<layout>")
				case nil:
					v = "?"
				default:
					v = fmt.Sprint(vals[i])
				}
				out = append(out, fmt.Sprintf("db%d %s %s pexpiretime=%d %s", db, k, types[i].Val(), exps[i].Val(), v))
			}
		}
		c.Close()
	}
	sort.Strings(out)
	return out
}
