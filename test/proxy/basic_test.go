package proxy_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Keys land on the backend twemproxy would pick, and multi-key commands
// split across 4 backends give the same answers as direct reads.
func TestRoutingAndMultiKey(t *testing.T) {
	bs := backends(t, 4)
	pc := poolFor(t, "alpha", bs)
	startProxy(t, pc)
	c := client(t, pc.Listen)
	direct := make([]*redis.Client, len(bs))
	for i, b := range bs {
		direct[i] = client(t, b.Addr)
	}
	// keys until every backend holds some (fnv1a_64 clusters similar keys)
	var keys []string
	per := make([]int, len(bs))
	for i := 0; len(keys) < 400; i++ {
		k := fmt.Sprintf("key:%d", i)
		o := owner(t, pc, nil, k)
		if per[o] >= 100 {
			continue
		}
		per[o]++
		keys = append(keys, k)
	}
	for i, k := range keys {
		if err := c.Set(ctx, k, "v"+strconv.Itoa(i), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i, k := range keys {
		o := owner(t, pc, nil, k)
		if v, err := direct[o].Get(ctx, k).Result(); err != nil || v != "v"+strconv.Itoa(i) {
			t.Fatalf("%s not on backend %d: %q %v", k, o, v, err)
		}
	}
	// MGET across backends, with a missing key in the middle
	var mk []string
	for i := 0; i < len(keys); i += 4 {
		mk = append(mk, keys[i])
		if i == 200 {
			mk = append(mk, "missing")
		}
	}
	vals, err := c.MGet(ctx, mk...).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range mk {
		if k == "missing" {
			if vals[i] != nil {
				t.Fatalf("missing key gave %v", vals[i])
			}
			continue
		}
		want, _ := direct[owner(t, pc, nil, k)].Get(ctx, k).Result()
		if vals[i] != want {
			t.Fatalf("MGET %s = %v, want %v", k, vals[i], want)
		}
	}
	// MSET then direct reads
	var kv []any
	for i := 0; i < 40; i++ {
		kv = append(kv, fmt.Sprintf("m:%d", i), fmt.Sprintf("mv%d", i))
	}
	if s, err := c.MSet(ctx, kv...).Result(); err != nil || s != "OK" {
		t.Fatalf("MSET %q %v", s, err)
	}
	for i := 0; i < 40; i++ {
		k := fmt.Sprintf("m:%d", i)
		if v, _ := direct[owner(t, pc, nil, k)].Get(ctx, k).Result(); v != fmt.Sprintf("mv%d", i) {
			t.Fatalf("MSET %s -> %q", k, v)
		}
	}
	if n, err := c.Exists(ctx, keys[0]).Result(); err != nil || n != 1 {
		t.Fatalf("EXISTS %d %v", n, err)
	}
	if n, err := c.Touch(ctx, keys[:30]...).Result(); err != nil || n != 30 {
		t.Fatalf("TOUCH %d %v", n, err)
	}
	if n, err := c.Del(ctx, append(append([]string{}, keys[:20]...), "nope1", "nope2")...).Result(); err != nil || n != 20 {
		t.Fatalf("DEL %d %v", n, err)
	}
	if n, err := c.Unlink(ctx, keys[20:25]...).Result(); err != nil || n != 5 {
		t.Fatalf("UNLINK %d %v", n, err)
	}
	if n, err := c.Exists(ctx, keys[0]).Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS after DEL %d %v", n, err)
	}
	// hashes, lists, sets through the proxy
	c.HSet(ctx, "h", "f", "1")
	if v, _ := c.HGet(ctx, "h", "f").Result(); v != "1" {
		t.Fatal("HGET", v)
	}
	c.RPush(ctx, "l", "a", "b", "c")
	if v, _ := c.LRange(ctx, "l", 0, -1).Result(); len(v) != 3 {
		t.Fatal("LRANGE", v)
	}
	if v, _ := c.Ping(ctx).Result(); v != "PONG" {
		t.Fatal("PING", v)
	}
	// EVAL goes to the first key's backend
	k := "evalkey"
	if err := c.Eval(ctx, "return redis.call('set', KEYS[1], ARGV[1])", []string{k}, "x").Err(); err != nil {
		t.Fatal(err)
	}
	if v, _ := direct[owner(t, pc, nil, k)].Get(ctx, k).Result(); v != "x" {
		t.Fatalf("EVAL did not run on the key's backend: %q", v)
	}
}

// Many clients pipelining mixed commands each get their replies in order.
func TestPipelineOrder(t *testing.T) {
	nclients := 32
	if os.Getenv("NCLI") != "" {
		nclients, _ = strconv.Atoi(os.Getenv("NCLI"))
	}
	bs := backends(t, 3)
	pc := poolFor(t, "alpha", bs)
	pc.ServerConnections = 2
	startProxy(t, pc)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < nclients; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			c := client(t, pc.Listen)
			for round := 0; round < 20; round++ {
				pipe := c.Pipeline()
				var gets []*redis.StringCmd
				var incrs []*redis.IntCmd
				for i := 0; i < 50; i++ {
					k := fmt.Sprintf("p:%d:%d", g, i)
					pipe.Set(ctx, k, fmt.Sprintf("%d-%d", round, i), 0)
					gets = append(gets, pipe.Get(ctx, k))
					incrs = append(incrs, pipe.Incr(ctx, fmt.Sprintf("ctr:%d:%d", g, i%7)))
				}
				mg := pipe.MGet(ctx, fmt.Sprintf("p:%d:1", g), fmt.Sprintf("p:%d:2", g), fmt.Sprintf("p:%d:3", g))
				if cmds, err := pipe.Exec(ctx); err != nil {
					for _, c := range cmds {
						if c.Err() != nil {
							err = fmt.Errorf("%v: %v", c.Args(), c.Err())
							break
						}
					}
					errs <- err
					return
				}
				for i, gc := range gets {
					if gc.Val() != fmt.Sprintf("%d-%d", round, i) {
						errs <- fmt.Errorf("client %d round %d: GET %d = %q", g, round, i, gc.Val())
						return
					}
				}
				for i, ic := range incrs {
					want := int64(round*8 + i/7 + 1)
					if i%7 >= 50%7 {
						want = int64(round*7 + i/7 + 1)
					}
					if ic.Val() != want {
						errs <- fmt.Errorf("client %d round %d: INCR %d = %d want %d", g, round, i, ic.Val(), want)
						return
					}
				}
				v := mg.Val()
				if len(v) != 3 || v[0] != fmt.Sprintf("%d-1", round) || v[2] != fmt.Sprintf("%d-3", round) {
					errs <- fmt.Errorf("MGET %v", v)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// Big values pipelined (requests and replies larger than every buffer),
// and hash_tag: keys sharing a tag share a backend.
func TestBigValuesAndHashTag(t *testing.T) {
	bs := backends(t, 3)
	pc := poolFor(t, "alpha", bs)
	pc.HashTag = "{}"
	startProxy(t, pc)
	c := client(t, pc.Listen)
	big := strings.Repeat("x", 3<<20)
	pipe := c.Pipeline()
	for i := 0; i < 4; i++ {
		pipe.Set(ctx, fmt.Sprintf("big:%d", i), big+strconv.Itoa(i), 0)
	}
	gets := make([]*redis.StringCmd, 4)
	for i := range gets {
		gets[i] = pipe.Get(ctx, fmt.Sprintf("big:%d", i))
	}
	mg := pipe.MGet(ctx, "big:0", "big:1", "big:2", "big:3")
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for i, g := range gets {
		if g.Val() != big+strconv.Itoa(i) {
			t.Fatalf("big value %d corrupted (len %d)", i, len(g.Val()))
		}
		if mg.Val()[i] != big+strconv.Itoa(i) {
			t.Fatalf("MGET big value %d corrupted", i)
		}
	}
	direct := make([]*redis.Client, len(bs))
	for i, b := range bs {
		direct[i] = client(t, b.Addr)
	}
	for i := 0; i < 20; i++ {
		tag := fmt.Sprintf("user%d", i)
		a, b := "{"+tag+"}:name", "x{"+tag+"}:mail"
		c.MSet(ctx, a, "1", b, "2")
		o := owner(t, pc, nil, tag)
		if n, _ := direct[o].Exists(ctx, a, b).Result(); n != 2 {
			t.Fatalf("tag %s: keys not both on backend %d", tag, o)
		}
	}
}
