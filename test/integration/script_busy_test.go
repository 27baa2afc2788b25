// script_busy_test.go checks a script that never ends, against both the
// real redis-server and redoubt: past busy-reply-threshold other clients
// are answered BUSY, SCRIPT KILL ends a script that has not written (its
// caller gets the kill error), and one that wrote is UNKILLABLE until
// SHUTDOWN NOSAVE.
package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

const (
	busyEval     = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	busyFunction = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
)

// waitBusy polls PING until the server answers BUSY (for a script).
func waitBusy(t *testing.T, ctx context.Context, c *redis.Client) { waitBusyText(t, ctx, c, busyEval) }

// waitBusyText polls PING until the server answers BUSY with text want.
func waitBusyText(t *testing.T, ctx context.Context, c *redis.Client, want string) {
	t.Helper()
	for i := 0; i < 2000; i++ {
		err := c.Ping(ctx).Err()
		if err != nil && strings.HasPrefix(err.Error(), "BUSY ") {
			if err.Error() != want {
				t.Fatalf("BUSY text: %q", err)
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("server never became BUSY")
}

func TestScriptBusyAndKill(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *testutil.Proc) {
		addr := p.Addr
		ctx := context.Background()
		runner := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: -1, MaxRetries: -1})
		other := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer runner.Close()
		defer other.Close()
		if err := other.ConfigSet(ctx, "busy-reply-threshold", "50").Err(); err != nil {
			t.Fatal(err)
		}
		if err := other.ScriptKill(ctx).Err(); err == nil || err.Error() != "NOTBUSY No scripts in execution right now." {
			t.Fatalf("SCRIPT KILL with no script: %v", err)
		}

		// a read-only infinite loop, even one that catches errors, is killed
		done := make(chan error, 1)
		go func() {
			done <- runner.Eval(ctx, "local n = 0 while true do pcall(function() n = n + 1 end) end", nil).Err()
		}()
		waitBusy(t, ctx, other)
		if err := other.Get(ctx, "k").Err(); err == nil || !strings.HasPrefix(err.Error(), "BUSY ") {
			t.Fatalf("GET while busy: %v", err)
		}
		if err := other.ScriptKill(ctx).Err(); err != nil {
			t.Fatalf("SCRIPT KILL: %v", err)
		}
		err := <-done
		if err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL... script: ") {
			t.Fatalf("killed script's reply: %v", err)
		}
		if err := other.Ping(ctx).Err(); err != nil {
			t.Fatalf("PING after kill: %v", err)
		}

		// a script that wrote cannot be killed
		go func() {
			done <- runner.Eval(ctx, "redis.call('set', KEYS[1], 'x') while true do end", []string{"w"}).Err()
		}()
		waitBusy(t, ctx, other)
		err = other.ScriptKill(ctx).Err()
		if err == nil || !strings.HasPrefix(err.Error(), "UNKILLABLE Sorry the script already executed write commands") {
			t.Fatalf("SCRIPT KILL after a write: %v", err)
		}
		// SHUTDOWN NOSAVE is allowed while busy and ends the server
		other.Do(ctx, "SHUTDOWN", "NOSAVE")
		<-done
		// the server process exits (it used to wait for the script forever)
		select {
		case <-p.Exited:
		case <-time.After(time.Minute):
			t.Fatal("server did not exit after SHUTDOWN NOSAVE during a script")
		}
	})
}
