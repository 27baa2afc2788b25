// multi_test.go checks transactions across connections, against both the
// real redis-server and redoubt: a WATCHed key changed by another client
// (write, expiry, FLUSHDB, FLUSHALL, SWAPDB) makes EXEC fail, go-redis's
// TxPipelined and Watch helpers work (including many clients racing on one
// key with optimistic retries), and what other clients see of a
// transaction (CLIENT LIST multi=/flags, commandstats, MONITOR) matches.
package integration

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// watchedTx runs WATCH key on watcher, then touch (with another client),
// then MULTI/SET key/EXEC on the watching connection, and reports whether
// the transaction ran.
func watchedTx(t *testing.T, watcher *redis.Client, key string, touch func()) bool {
	t.Helper()
	ctx := context.Background()
	err := watcher.Watch(ctx, func(tx *redis.Tx) error {
		touch()
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, "from-tx", 0)
			return nil
		})
		return err
	}, key)
	if errors.Is(err, redis.TxFailedErr) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

func TestWatchInvalidatedByOtherClients(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c1, c2 := newClient(t, addr), newClient(t, addr)
		must := func(err error) {
			t.Helper()
			if err != nil && err != redis.Nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name  string
			setup func()
			touch func()
			ran   bool
		}{
			{"untouched", func() { must(c2.Set(ctx, "k", "v", 0).Err()) }, func() {}, true},
			{"read by other", func() { must(c2.Set(ctx, "k", "v", 0).Err()) }, func() { must(c2.Get(ctx, "k").Err()) }, true},
			{"other key written", func() {}, func() { must(c2.Set(ctx, "other", "x", 0).Err()) }, true},
			{"written", func() {}, func() { must(c2.Set(ctx, "k", "x", 0).Err()) }, false},
			{"incremented", func() { must(c2.Set(ctx, "k", "1", 0).Err()) }, func() { must(c2.Incr(ctx, "k").Err()) }, false},
			{"deleted", func() { must(c2.Set(ctx, "k", "1", 0).Err()) }, func() { must(c2.Del(ctx, "k").Err()) }, false},
			{"delete of missing key", func() { must(c2.Del(ctx, "k").Err()) }, func() { must(c2.Del(ctx, "k").Err()) }, true},
			{"created", func() { must(c2.Del(ctx, "k").Err()) }, func() { must(c2.Set(ctx, "k", "x", 0).Err()) }, false},
			{"expire set", func() { must(c2.Set(ctx, "k", "1", 0).Err()) }, func() { must(c2.Expire(ctx, "k", time.Hour).Err()) }, false},
			{"renamed away", func() { must(c2.Set(ctx, "k", "1", 0).Err()) }, func() { must(c2.Rename(ctx, "k", "k2").Err()) }, false},
			{"same name in other db", func() { must(c2.Set(ctx, "k", "1", 0).Err()) }, func() {
				pipe := c2.Pipeline()
				pipe.Select(ctx, 1)
				pipe.Set(ctx, "k", "db1", 0)
				pipe.Select(ctx, 0)
				_, err := pipe.Exec(ctx)
				must(err)
			}, true},
			{"flushdb with key", func() { must(c2.Set(ctx, "k", "1", 0).Err()) }, func() { must(c2.FlushDB(ctx).Err()) }, false},
			{"flushdb without key", func() { must(c2.FlushAll(ctx).Err()); must(c2.Set(ctx, "x", "1", 0).Err()) }, func() { must(c2.FlushDB(ctx).Err()) }, true},
			{"flushall", func() { must(c2.Set(ctx, "k", "1", 0).Err()) }, func() { must(c2.FlushAll(ctx).Err()) }, false},
			{"swapdb, key in this db", func() { must(c2.Set(ctx, "k", "1", 0).Err()) }, func() { must(c2.Do(ctx, "SWAPDB", 0, 1).Err()) }, false},
			{"swapdb, key in the other db", func() {
				must(c2.FlushAll(ctx).Err())
				must(c2.Do(ctx, "SWAPDB", 0, 1).Err())
				must(c2.Set(ctx, "k", "1", 0).Err())
				must(c2.Do(ctx, "SWAPDB", 0, 1).Err())
			}, func() { must(c2.Do(ctx, "SWAPDB", 0, 1).Err()) }, false},
			{"swapdb, key in neither", func() { must(c2.FlushAll(ctx).Err()); must(c2.Set(ctx, "x", "1", 0).Err()) }, func() { must(c2.Do(ctx, "SWAPDB", 0, 1).Err()) }, true},
		}
		for _, tc := range cases {
			must(c2.FlushAll(ctx).Err())
			tc.setup()
			if ran := watchedTx(t, c1, "k", tc.touch); ran != tc.ran {
				t.Errorf("%s: transaction ran=%v, want %v", tc.name, ran, tc.ran)
			}
			got, err := c2.Get(ctx, "k").Result()
			if tc.ran && (err != nil || got != "from-tx") {
				t.Errorf("%s: after EXEC k=%q (%v), want from-tx", tc.name, got, err)
			}
			if !tc.ran && got == "from-tx" {
				t.Errorf("%s: the failed transaction wrote k", tc.name)
			}
		}
	})
}

// TestWatchInvalidatedByExpiry covers the three ways a watched key's TTL
// runs out: nobody touches it (EXEC itself sees it expired), another
// client's read deletes it, or active expiry reclaims it.
func TestWatchInvalidatedByExpiry(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c1, c2 := newClient(t, addr), newClient(t, addr)
		expireSoon := func() {
			if err := c2.Set(ctx, "k", "v", 20*time.Millisecond).Err(); err != nil {
				t.Fatal(err)
			}
		}
		waitPast := func() { time.Sleep(60 * time.Millisecond) }

		c2.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
		expireSoon()
		if watchedTx(t, c1, "k", waitPast) {
			t.Error("key expired (not yet deleted) while watched: EXEC ran")
		}
		expireSoon()
		if watchedTx(t, c1, "k", func() {
			waitPast()
			if n := c2.Exists(ctx, "k").Val(); n != 0 {
				t.Errorf("EXISTS of an expired key = %d", n)
			}
		}) {
			t.Error("key lazily expired by another client while watched: EXEC ran")
		}
		// a key already expired when watched is no change
		expireSoon()
		waitPast()
		if !watchedTx(t, c1, "k", func() {}) {
			t.Error("key expired before WATCH: EXEC failed")
		}
		c2.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "1")
		expireSoon()
		if watchedTx(t, c1, "k", func() {
			for c2.DBSize(ctx).Val() != 0 { // active expiry reclaims it
				time.Sleep(10 * time.Millisecond)
			}
		}) {
			t.Error("key reclaimed by active expiry while watched: EXEC ran")
		}
	})
}

func TestTxPipelined(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := newClient(t, addr)
		c.Set(ctx, "text", "abc", 0)
		var incr, bad *redis.IntCmd
		var get *redis.StringCmd
		cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "n", "41", 0)
			incr = p.Incr(ctx, "n")
			bad = p.Incr(ctx, "text")
			get = p.Get(ctx, "n")
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "not an integer") {
			t.Errorf("TxPipelined error = %v, want the INCR of text's error", err)
		}
		if len(cmds) != 4 {
			t.Fatalf("%d results", len(cmds))
		}
		if incr.Val() != 42 || get.Val() != "42" {
			t.Errorf("INCR=%d GET=%q, want 42", incr.Val(), get.Val())
		}
		if bad.Err() == nil {
			t.Error("INCR of a non-integer inside EXEC did not fail")
		}
		// a queueing error discards everything
		_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "n", "0", 0)
			p.Do(ctx, "NOSUCHCOMMAND")
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "EXECABORT") {
			t.Errorf("queueing error: %v, want EXECABORT", err)
		}
		if v := c.Get(ctx, "n").Val(); v != "42" {
			t.Errorf("n = %q after an aborted transaction", v)
		}
	})
}

// TestWatchOptimisticIncrement has several clients increment one counter
// with WATCH/GET/MULTI/SET/EXEC, retrying when EXEC fails: no increment
// may be lost, which needs both WATCH invalidation and atomic EXEC.
func TestWatchOptimisticIncrement(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		const workers, each = 4, 50
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			c := newClient(t, addr)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					for {
						err := c.Watch(ctx, func(tx *redis.Tx) error {
							n, err := tx.Get(ctx, "counter").Int()
							if err != nil && err != redis.Nil {
								return err
							}
							_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
								p.Set(ctx, "counter", n+1, 0)
								return nil
							})
							return err
						}, "counter")
						if err == nil {
							break
						}
						if errors.Is(err, redis.TxFailedErr) {
							continue // another client won: retry
						}
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		c := newClient(t, addr)
		if n, _ := c.Get(ctx, "counter").Int(); n != workers*each {
			t.Errorf("counter = %d, want %d", n, workers*each)
		}
	})
}

var clientField = regexp.MustCompile(`\b(flags|multi|multi-mem|cmd)=(\S*)`)

// TestMultiStateInClientList checks what CLIENT LIST shows of a client in
// a transaction: multi= counts queued commands (multi-mem their size),
// flag x while in MULTI, flag d once a watched key was touched.
func TestMultiStateInClientList(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		tx := testutil.DialRaw(t, addr)
		other := newClient(t, addr)
		id := strings.TrimPrefix(strings.TrimSpace(tx.DoRaw("CLIENT", "ID")), ":")
		fields := func() string {
			line := other.Do(ctx, "CLIENT", "LIST", "ID", id).String()
			var parts []string
			for _, m := range clientField.FindAllStringSubmatch(line, -1) {
				parts = append(parts, m[1]+"="+m[2])
			}
			return strings.Join(parts, " ")
		}
		steps := []struct {
			cmd  []string
			want string
		}{
			{nil, "flags=N multi=-1 multi-mem=0 cmd=client|id"},
			{[]string{"WATCH", "w"}, "flags=N multi=-1 multi-mem=0 cmd=watch"},
			{[]string{"MULTI"}, "flags=x multi=0 multi-mem=0 cmd=multi"},
			{[]string{"SET", "a", "1"}, "flags=x multi=1 multi-mem=29 cmd=set"},
			{[]string{"INCR", "a"}, "flags=x multi=2 multi-mem=50 cmd=incr"},
			{[]string{"NOSUCH"}, "flags=x multi=2 multi-mem=50 cmd=NULL"},
			{[]string{"GET", "a"}, "flags=x multi=2 multi-mem=50 cmd=get"},
			{[]string{"DISCARD"}, "flags=N multi=-1 multi-mem=0 cmd=discard"},
			{[]string{"WATCH", "w"}, "flags=N multi=-1 multi-mem=0 cmd=watch"},
			{[]string{"MULTI"}, "flags=x multi=0 multi-mem=0 cmd=multi"},
		}
		for _, s := range steps {
			if s.cmd != nil {
				tx.Do(s.cmd...)
			}
			if got := fields(); got != s.want {
				t.Errorf("after %v: %s, want %s", s.cmd, got, s.want)
			}
		}
		other.Set(ctx, "w", "touched", 0)
		if got, want := fields(), "flags=xd multi=0 multi-mem=0 cmd=multi"; got != want {
			t.Errorf("after the watched key changed: %s, want %s", got, want)
		}
		if r := tx.DoRaw("EXEC"); r != "*-1\r\n" {
			t.Errorf("EXEC = %q", r)
		}
		if got, want := fields(), "flags=N multi=-1 multi-mem=0 cmd=exec"; got != want {
			t.Errorf("after EXEC: %s, want %s", got, want)
		}
	})
}

// commandStats returns calls, rejected_calls and failed_calls per command.
func commandStats(t *testing.T, c *redis.Client) map[string]string {
	t.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`cmdstat_(\S+):calls=(\d+),.*rejected_calls=(\d+),failed_calls=(\d+)`)
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(info, -1) {
		out[m[1]] = fmt.Sprintf("calls=%s rejected=%s failed=%s", m[2], m[3], m[4])
	}
	return out
}

func TestMultiCommandStats(t *testing.T) {
	stats := map[string]map[string]string{}
	var total = map[string]int{}
	onBothServers(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		c := testutil.DialRaw(t, addr)
		admin := newClient(t, addr)
		admin.ConfigResetStat(ctx)
		for _, cmd := range [][]string{
			{"SET", "s", "text"},
			{"MULTI"}, {"SET", "a", "1"}, {"INCR", "a"}, {"INCR", "s"}, {"EXEC"},
			{"MULTI"}, {"SET", "a"}, {"NOSUCH"}, {"EXEC"},
			{"EXEC"},
			{"MULTI"}, {"EXEC", "extra"},
			{"WATCH", "a"}, {"SET", "a", "2"}, {"MULTI"}, {"GET", "a"}, {"EXEC"},
		} {
			c.Do(cmd...)
		}
		st := commandStats(t, admin)
		delete(st, "config|resetstat")
		delete(st, "info")
		name := t.Name()[strings.LastIndex(t.Name(), "/")+1:]
		stats[name] = st
		info := admin.Info(ctx, "stats").Val()
		m := regexp.MustCompile(`total_commands_processed:(\d+)`).FindStringSubmatch(info)
		total[name], _ = strconv.Atoi(m[1])
	})
	if len(stats) != 2 {
		return
	}
	for cmd, want := range stats["redis"] {
		if got := stats["redoubt"][cmd]; got != want {
			t.Errorf("cmdstat_%s: redoubt %q, redis %q", cmd, got, want)
		}
	}
	for cmd := range stats["redoubt"] {
		if _, ok := stats["redis"][cmd]; !ok {
			t.Errorf("cmdstat_%s only in redoubt: %s", cmd, stats["redoubt"][cmd])
		}
	}
	if stats["redis"]["exec"] == "" || total["redis"] != total["redoubt"] {
		t.Errorf("total_commands_processed: redis %d, redoubt %d", total["redis"], total["redoubt"])
	}
}

// TestMultiMonitor checks the order in which MONITOR shows a transaction:
// MULTI when it runs, the queued commands as EXEC runs them, then EXEC;
// a refused EXEC is shown too.
func TestMultiMonitor(t *testing.T) {
	onBothServers(t, func(t *testing.T, addr string) {
		mon := testutil.DialRaw(t, addr)
		if r := mon.DoRaw("MONITOR"); r != "+OK\r\n" {
			t.Fatalf("MONITOR: %q", r)
		}
		c := testutil.DialRaw(t, addr)
		script := [][]string{
			{"MULTI"}, {"SET", "a", "1"}, {"GET", "a"}, {"EXEC"},
			{"MULTI"}, {"SET", "b", "1"}, {"EXEC", "extra"},
			{"MULTI"}, {"NOSUCH"}, {"EXEC"},
			{"PING", "end"},
		}
		for _, cmd := range script {
			c.Do(cmd...)
		}
		var got []string
		for {
			line := mon.ReadRaw()
			_, cmd, _ := strings.Cut(line, "] ")
			cmd = strings.TrimSpace(cmd)
			got = append(got, cmd)
			if cmd == `"PING" "end"` {
				break
			}
		}
		want := []string{`"MULTI"`, `"SET" "a" "1"`, `"GET" "a"`, `"EXEC"`,
			`"MULTI"`, `"EXEC" "extra"`,
			`"MULTI"`, `"EXEC"`,
			`"PING" "end"`}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("MONITOR saw:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}
