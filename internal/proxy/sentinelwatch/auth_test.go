// Sentinels with requirepass: Follow authenticates with the pool's
// sentinel_username/sentinel_password, and a wrong password is reported
// with the sentinel's own refusal.
package sentinelwatch

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
	"github.com/redoubt/redoubt/test/testutil"
)

func TestSentinelPassword(t *testing.T) {
	kinds := os.Getenv("REDOUBT_SENTINEL_KINDS")
	if kinds == "" {
		kinds = "redis,redoubt"
	}
	for _, kind := range strings.Split(kinds, ",") {
		t.Run(kind, func(t *testing.T) {
			m := testutil.StartRedis(t)
			s := testutil.StartSentinel(t, kind, "requirepass s3cret\nsentinel monitor m1 127.0.0.1 "+strconv.Itoa(m.Port)+" 1\n")
			pool := func(pass string) []proxyconf.Pool {
				return []proxyconf.Pool{{Name: "alpha", Redis: true, Sentinels: []string{s.Addr},
					SentinelMasters: []proxyconf.Server{{Name: "m1", Weight: 1}}, SentinelPassword: pass}}
			}
			var mu sync.Mutex
			var logs []string
			logf := func(format string, args ...any) {
				mu.Lock()
				logs = append(logs, strings.TrimSpace(fmt.Sprintf(format, args...)))
				mu.Unlock()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()

			rec := newRecorder()
			stop := Follow(ctx, pool("s3cret"), rec, logf)
			defer stop()
			rec.waitCall(t, Shard{"alpha", "m1"}, m.Addr, 5*time.Second)

			bad := newRecorder()
			stopBad := Follow(ctx, pool("wrong"), bad, logf)
			stopBad()
			if c := bad.snapshot(); len(c) != 0 {
				t.Fatalf("placed with a wrong password: %+v", c)
			}
			mu.Lock()
			defer mu.Unlock()
			if !strings.Contains(strings.Join(logs, "\n"), "AUTH: WRONGPASS") {
				t.Fatalf("no WRONGPASS in the log:\n%s", strings.Join(logs, "\n"))
			}
		})
	}
}
