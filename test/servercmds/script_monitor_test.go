package servercmds

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// TestScriptCallsInMonitorAndSlowlog checks, on both servers, that EVAL and
// FCALL show in MONITOR before the commands they run, those as from "lua",
// and that the slow log records a script's commands with Redis's "?:0"
// client address.
func TestScriptCallsInMonitorAndSlowlog(t *testing.T) {
	args := []string{"--slowlog-log-slower-than", "0"}
	for i, p := range []*testutil.Proc{testutil.StartRedis(t, args...), testutil.StartRedoubt(t, args...)} {
		name := []string{"redis", "redoubt"}[i]
		ctx := context.Background()
		rdb := redis.NewClient(&redis.Options{Addr: p.Addr, Protocol: 2, DisableIdentity: true, PoolSize: 1})
		defer rdb.Close()
		if err := rdb.FunctionLoad(ctx, "#!lua name=mon\nredis.register_function('fget', function(keys) return redis.call('GET', keys[1]) end)").Err(); err != nil {
			t.Fatal(err)
		}
		mon := testutil.DialRaw(t, p.Addr)
		if rep := mon.Do("MONITOR"); string(rep.Raw) != "+OK\r\n" {
			t.Fatalf("%s: MONITOR: %q", name, rep.Raw)
		}
		rdb.Do(ctx, "SLOWLOG", "RESET")
		rdb.Eval(ctx, "redis.call('SET', KEYS[1], 'v') return redis.call('GET', KEYS[1])", []string{"sk"})
		rdb.Do(ctx, "FCALL", "fget", "1", "sk")
		rdb.Ping(ctx)
		var got []string
		mon.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			line, err := mon.R.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: monitor read after %q: %v", name, got, err)
			}
			_, rest, _ := strings.Cut(strings.TrimSuffix(line, "\r\n"), " [")
			db, rest, _ := strings.Cut(rest, "] ")
			who := "client"
			if strings.HasSuffix(db, " lua") {
				who = "lua"
			}
			cmd, _, _ := strings.Cut(rest, " ")
			if cmd == `"ping"` {
				break
			}
			if cmd == `"slowlog"` {
				continue
			}
			got = append(got, who+" "+strings.ToLower(cmd))
		}
		wantSeq := []string{`client "eval"`, `lua "set"`, `lua "get"`, `client "fcall"`, `lua "get"`}
		if !slices.Equal(got, wantSeq) {
			t.Errorf("%s: monitor saw %q, want %q", name, got, wantSeq)
		}
		logs, err := rdb.SlowLogGet(ctx, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for i := len(logs) - 1; i >= 0; i-- {
			l := logs[i]
			seen = append(seen, strings.ToLower(l.Args[0])+"@"+l.ClientAddr[:min(3, len(l.ClientAddr))])
		}
		wantLog := []string{"slowlog@127", "set@?:0", "get@?:0", "eval@127", "get@?:0", "fcall@127", "ping@127"}
		if !slices.Equal(seen, wantLog) {
			t.Errorf("%s: slowlog %q, want %q", name, seen, wantLog)
		}
	}
}
