// eviction_test.go checks maxmemory on both servers: every policy evicts
// the keys it should (and only those), OOM is refused with Redis's text
// when nothing can be evicted, and a write flood several times maxmemory
// leaves used memory near the limit.
package integration

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt/redoubt/test/testutil"
)

const (
	evictLimit  = 10 << 20
	evictValLen = 1000
	oomText     = "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
)

var evictVal = strings.Repeat("v", evictValLen)

// writeKeys SETs prefix:0..n-1 pipelined (with extra SET options) and
// returns how many were refused with OOM; other errors fail the test.
func writeKeys(t *testing.T, c *testutil.RawConn, prefix string, n int, extra ...string) (ooms int) {
	t.Helper()
	const batch = 200
	for i := 0; i < n; i += batch {
		end := min(i+batch, n)
		for j := i; j < end; j++ {
			c.Send(append([]string{"SET", prefix + ":" + strconv.Itoa(j), evictVal}, extra...)...)
		}
		for j := i; j < end; j++ {
			switch raw := c.ReadRaw(); raw {
			case "+OK\r\n":
			case oomText:
				ooms++
			default:
				t.Fatalf("SET %s:%d: %q", prefix, j, raw)
			}
		}
	}
	return ooms
}

func evictInfoField(t *testing.T, c *testutil.RawConn, section, name string) int64 {
	t.Helper()
	for _, line := range strings.Split(c.Do("INFO", section).Body(), "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("%s: %q", name, v)
			}
			return n
		}
	}
	t.Fatalf("INFO %s has no %s", section, name)
	return 0
}

func countExisting(t *testing.T, c *testutil.RawConn, prefix string, n int) int {
	t.Helper()
	for j := 0; j < n; j++ {
		c.Send("EXISTS", prefix+":"+strconv.Itoa(j))
	}
	found := 0
	for j := 0; j < n; j++ {
		if c.ReadRaw() == ":1\r\n" {
			found++
		}
	}
	return found
}

// keysFitting is about how many evictVal keys fill maxmemory.
const keysFitting = evictLimit / (evictValLen + 80)

func startEvicting(t *testing.T, s server, policy string) *testutil.RawConn {
	p := s.start(t, "--maxmemory", strconv.Itoa(evictLimit), "--maxmemory-policy", policy, "--maxmemory-samples", "10")
	return testutil.DialRaw(t, p.Addr)
}

// assertNearLimit checks that used memory ended at the limit: neither far
// under it (evicting too much) nor over it.
func assertNearLimit(t *testing.T, c *testutil.RawConn) {
	t.Helper()
	used := evictInfoField(t, c, "memory", "used_memory")
	if used > evictLimit*105/100 || used < evictLimit*80/100 {
		t.Errorf("used_memory %d, maxmemory %d", used, evictLimit)
	}
	if got := evictInfoField(t, c, "memory", "maxmemory"); got != evictLimit {
		t.Errorf("INFO maxmemory %d", got)
	}
}

func TestEvictionAllKeysLRUKeepsHotSet(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			c := startEvicting(t, s, "allkeys-lru")
			writeKeys(t, c, "hot", 100)
			writeKeys(t, c, "cold", keysFitting*8/10)
			// the LRU clock ticks in seconds: let the cold keys age
			time.Sleep(2100 * time.Millisecond)
			for j := 0; j < 100; j++ {
				c.Do("GET", "hot:"+strconv.Itoa(j))
			}
			if ooms := writeKeys(t, c, "new", keysFitting/2); ooms != 0 {
				t.Fatalf("%d OOM under allkeys-lru", ooms)
			}
			if n := countExisting(t, c, "hot", 100); n != 100 {
				t.Errorf("%d of 100 recently read keys left", n)
			}
			// Sampled LRU is approximate: a round whose whole sample is
			// recent keys (an empty pool at the first eviction) takes
			// one of them, in Redis too. One in a hundred is the bound.
			if n := countExisting(t, c, "new", keysFitting/2); n < keysFitting/2*99/100 {
				t.Errorf("%d of %d just written keys left", n, keysFitting/2)
			}
			if evictInfoField(t, c, "stats", "evicted_keys") == 0 || countExisting(t, c, "cold", keysFitting*8/10) == keysFitting*8/10 {
				t.Error("no cold key evicted")
			}
			assertNearLimit(t, c)
		})
	}
}

func TestEvictionAllKeysLFUKeepsFrequent(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			c := startEvicting(t, s, "allkeys-lfu")
			writeKeys(t, c, "hot", 100)
			for range 100 { // enough reads that a minute's decay still leaves them above new keys
				for j := 0; j < 100; j++ {
					c.Send("GET", "hot:"+strconv.Itoa(j))
				}
				for j := 0; j < 100; j++ {
					c.Read()
				}
			}
			if f := c.DoRaw("OBJECT", "FREQ", "hot:1"); f == ":5\r\n" || f[0] != ':' {
				t.Errorf("OBJECT FREQ of a frequently read key: %q", f)
			}
			writeKeys(t, c, "flood", keysFitting*3)
			if n := countExisting(t, c, "hot", 100); n != 100 {
				t.Errorf("%d of 100 frequently read keys left", n)
			}
			if evictInfoField(t, c, "stats", "evicted_keys") < int64(keysFitting) {
				t.Error("too few keys evicted")
			}
			assertNearLimit(t, c)
		})
	}
}

func TestEvictionAllKeysRandomFlood(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			c := startEvicting(t, s, "allkeys-random")
			c.Do("CONFIG", "SET", "notify-keyspace-events", "Ee")
			sub := testutil.DialRaw(t, c.Conn.RemoteAddr().String())
			sub.Do("SUBSCRIBE", "__keyevent@0__:evicted")
			watcher := testutil.DialRaw(t, c.Conn.RemoteAddr().String())
			watcher.Do("SET", "watched", "x")
			watcher.Do("WATCH", "watched")

			if ooms := writeKeys(t, c, "k", keysFitting*3); ooms != 0 {
				t.Fatalf("%d OOM under allkeys-random", ooms)
			}
			evicted := evictInfoField(t, c, "stats", "evicted_keys")
			dbsize, _ := strconv.Atoi(strings.Trim(c.DoRaw("DBSIZE"), ":\r\n"))
			if evicted == 0 || dbsize >= keysFitting*3 || int64(dbsize)+evicted > int64(keysFitting*3)+1 {
				t.Errorf("evicted %d, dbsize %d, written %d", evicted, dbsize, keysFitting*3+1)
			}
			msg := sub.Read()
			if msg.Kind != '*' || !strings.Contains(string(msg.Raw), "evicted") {
				t.Errorf("evicted event: %q", msg.Raw)
			}
			assertNearLimit(t, c)
			if c.DoRaw("EXISTS", "watched") == ":0\r\n" {
				// an evicted watched key aborts the transaction
				watcher.Do("MULTI")
				watcher.Do("SET", "watched", "y")
				if got := watcher.DoRaw("EXEC"); got != "*-1\r\n" {
					t.Errorf("EXEC after the watched key was evicted: %q", got)
				}
			}
		})
	}
}

func TestEvictionVolatileTTLNearestFirst(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			c := startEvicting(t, s, "volatile-ttl")
			n := keysFitting * 3 / 10
			writeKeys(t, c, "far", n, "EX", "100000")
			writeKeys(t, c, "near", n, "EX", "1000")
			writeKeys(t, c, "plain", n)
			// over the limit by about half the near keys
			if ooms := writeKeys(t, c, "more", n*6/10); ooms != 0 {
				t.Fatalf("%d OOM while volatile keys remain", ooms)
			}
			if got := countExisting(t, c, "far", n); got != n {
				t.Errorf("%d of %d far-TTL keys left", got, n)
			}
			if got := countExisting(t, c, "plain", n); got != n {
				t.Errorf("%d of %d keys without TTL left", got, n)
			}
			if got := countExisting(t, c, "near", n); got == n {
				t.Error("no near-TTL key evicted")
			}
			assertNearLimit(t, c)
		})
	}
}

func TestEvictionVolatileNeverTouchesPersistentKeys(t *testing.T) {
	for _, policy := range []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		for _, s := range servers {
			t.Run(policy+"/"+s.name, func(t *testing.T) {
				c := startEvicting(t, s, policy)
				writeKeys(t, c, "vol", 50, "EX", "100000")
				total := keysFitting * 2
				ooms := writeKeys(t, c, "plain", total)
				if ooms == 0 {
					t.Fatal("no OOM once only keys without TTL are left")
				}
				if got := countExisting(t, c, "plain", total); got != total-ooms {
					t.Errorf("%d keys without TTL left, %d were written", got, total-ooms)
				}
				if got := countExisting(t, c, "vol", 50); got != 0 {
					t.Errorf("%d volatile keys left", got)
				}
				if got := evictInfoField(t, c, "stats", "evicted_keys"); got != 50 {
					t.Errorf("evicted_keys %d", got)
				}
			})
		}
	}
}

func TestEvictionNoEvictionRefusesWrites(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			c := startEvicting(t, s, "noeviction")
			total := keysFitting * 2
			ooms := writeKeys(t, c, "k", total)
			if ooms == 0 {
				t.Fatal("no OOM under noeviction")
			}
			written := total - ooms
			if got := countExisting(t, c, "k", total); got != written {
				t.Errorf("%d keys left, %d written", got, written)
			}
			// far over the limit from here on, whatever the tables do
			used := evictInfoField(t, c, "memory", "used_memory")
			c.Do("CONFIG", "SET", "maxmemory", strconv.FormatInt(used/2, 10))
			if got := c.Do("GET", "k:0").Body(); got != evictVal {
				t.Errorf("GET under OOM: %q", got)
			}
			for _, cmd := range [][]string{{"LPUSH", "l", "x"}, {"SET", "k:0", "x"}, {"APPEND", "k:0", "x"}, {"SADD", "s", "x"}} {
				if got := c.DoRaw(cmd...); got != oomText {
					t.Errorf("%v under OOM: %q", cmd, got)
				}
			}
			// inside MULTI every queued command is refused, EXEC aborts
			c.Do("MULTI")
			if got := c.DoRaw("GET", "k:0"); got != oomText {
				t.Errorf("GET queued under OOM: %q", got)
			}
			if got := c.DoRaw("EXEC"); !strings.HasPrefix(got, "-EXECABORT") {
				t.Errorf("EXEC: %q", got)
			}
			for j := 0; j < 200; j++ {
				if got := c.DoRaw("DEL", fmt.Sprintf("k:%d", j)); got != ":1\r\n" {
					t.Fatalf("DEL under OOM: %q", got)
				}
			}
			if got := c.DoRaw("SET", "again", "x"); got != oomText {
				t.Errorf("SET still over the limit: %q", got)
			}
			c.Do("CONFIG", "SET", "maxmemory", strconv.Itoa(evictLimit*2))
			if got := c.DoRaw("SET", "again", "x"); got != "+OK\r\n" {
				t.Errorf("SET under a raised limit: %q", got)
			}
			if got := evictInfoField(t, c, "stats", "evicted_keys"); got != 0 {
				t.Errorf("evicted_keys %d under noeviction", got)
			}
		})
	}
}

// TestEvictionFloodOfSmallKeys floods LRU and LFU servers with many small
// keys, so eviction runs against a large hash table that grows and thins
// while keys are evicted: no write may be refused with OOM (a sampler
// that finds no key in a sparse table must look again, as Redis does).
func TestEvictionFloodOfSmallKeys(t *testing.T) {
	limit, keys := 16<<20, 300000
	if testutil.RaceBuilt() {
		// a -race server is ~10x slower; a smaller flood still races
		// eviction against the writers
		limit, keys = 4<<20, 75000
	}
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu"} {
		for _, s := range servers {
			t.Run(policy+"/"+s.name, func(t *testing.T) {
				p := s.start(t, "--maxmemory", strconv.Itoa(limit), "--maxmemory-policy", policy)
				c := testutil.DialRaw(t, p.Addr)
				const batch = 500
				ooms := 0
				for i := 0; i < keys; i += batch {
					for j := i; j < i+batch; j++ {
						c.Send("SET", "small:"+strconv.Itoa(j), "0123456789abcdef0123456789abcdef")
					}
					for j := i; j < i+batch; j++ {
						switch raw := c.ReadRaw(); raw {
						case "+OK\r\n":
						case oomText:
							ooms++
						default:
							t.Fatalf("SET small:%d: %q", j, raw)
						}
					}
				}
				if ooms != 0 {
					t.Errorf("%d of %d writes refused with OOM under %s", ooms, keys, policy)
				}
				if evicted := evictInfoField(t, c, "stats", "evicted_keys"); evicted < int64(keys/4) {
					t.Errorf("evicted_keys %d after %d writes over a %d-byte limit", evicted, keys, limit)
				}
				if used := evictInfoField(t, c, "memory", "used_memory"); used > int64(limit*105/100) {
					t.Errorf("used_memory %d, maxmemory %d", used, limit)
				}
			})
		}
	}
}
