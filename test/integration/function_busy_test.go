// function_busy_test.go checks a function that never ends, against both
// the real redis-server and redoubt: other clients get the FUNCTION KILL
// flavour of BUSY, FUNCTION STATS shows the running function, SCRIPT KILL
// refuses to stop a function and FUNCTION KILL an EVAL script, and
// FUNCTION KILL ends the function.
package integration

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

func TestFunctionBusyAndKill(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		ctx := context.Background()
		runner := redis.NewClient(&redis.Options{Addr: p.Addr, ReadTimeout: -1, MaxRetries: -1, Protocol: 2})
		other := redis.NewClient(&redis.Options{Addr: p.Addr, MaxRetries: -1, Protocol: 2})
		defer runner.Close()
		defer other.Close()
		if err := other.ConfigSet(ctx, "busy-reply-threshold", "50").Err(); err != nil {
			t.Fatal(err)
		}
		lib := "#!lua name=busy\nredis.register_function('spin', function(keys, args) local n = 0 while true do n = n + 1 end end)"
		if err := other.FunctionLoad(ctx, lib).Err(); err != nil {
			t.Fatal(err)
		}
		if err := other.Do(ctx, "FUNCTION", "KILL").Err(); err == nil || err.Error() != "NOTBUSY No scripts in execution right now." {
			t.Fatalf("FUNCTION KILL with nothing running: %v", err)
		}

		done := make(chan error, 1)
		go func() { done <- runner.Do(ctx, "FCALL", "spin", "1", "somekey", "arg").Err() }()
		waitBusyText(t, ctx, other, busyFunction)

		stats, err := other.Do(ctx, "FUNCTION", "STATS").Slice()
		if err != nil {
			t.Fatalf("FUNCTION STATS while busy: %v", err)
		}
		running, ok := stats[1].([]interface{})
		if !ok || len(running) != 6 || running[0] != "name" || running[1] != "spin" || running[2] != "command" {
			t.Fatalf("running_script: %#v", stats[1])
		}
		cmd := running[3].([]interface{})
		if len(cmd) != 5 || cmd[0] != "FCALL" || cmd[1] != "spin" || cmd[3] != "somekey" {
			t.Fatalf("running_script command: %#v", cmd)
		}
		if ms, ok := running[5].(int64); !ok || ms < 0 {
			t.Fatalf("duration_ms: %#v", running[5])
		}

		if err := other.ScriptKill(ctx).Err(); err == nil || err.Error() != busyFunction {
			t.Fatalf("SCRIPT KILL on a function: %v", err)
		}
		if err := other.Do(ctx, "FUNCTION", "KILL").Err(); err != nil {
			t.Fatalf("FUNCTION KILL: %v", err)
		}
		err = <-done
		if err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:") {
			t.Fatalf("killed function's reply: %v", err)
		}

		// an EVAL script is not FUNCTION KILL's to stop, nor FUNCTION STATS's to show
		go func() { done <- runner.Eval(ctx, "while true do end", nil).Err() }()
		waitBusy(t, ctx, other)
		if err := other.Do(ctx, "FUNCTION", "KILL").Err(); err == nil || err.Error() != busyEval {
			t.Fatalf("FUNCTION KILL on an EVAL script: %v", err)
		}
		if err := other.Do(ctx, "FUNCTION", "STATS").Err(); err == nil || err.Error() != busyEval {
			t.Fatalf("FUNCTION STATS during an EVAL script: %v", err)
		}
		if err := other.ScriptKill(ctx).Err(); err != nil {
			t.Fatalf("SCRIPT KILL: %v", err)
		}
		if err := <-done; err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user") {
			t.Fatalf("killed script's reply: %v", err)
		}
		if err := other.FunctionFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	})
}
