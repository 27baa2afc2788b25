// Sentinel processes for tests: the real Debian redis-sentinel (kind
// "redis") or "redoubt sentinel" (kind "redoubt"), each with its own config
// file in a temp dir (Sentinel insists on a writable config: it rewrites it
// with what it learns), on 127.0.0.1, stopped with SIGTERM (then SIGKILL)
// when the test ends.
package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// RedisSentinelPath returns the real redis-sentinel, skipping the test when
// it is not installed.
func RedisSentinelPath(t testing.TB) string {
	p, err := exec.LookPath("redis-sentinel")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-sentinel is not installed (CI must install it)")
		}
		t.Skip("redis-sentinel not installed")
	}
	return p
}

// StartSentinel starts a sentinel of kind ("redis" or "redoubt") on a free
// port with confText (sentinel monitor ... lines and the like; port, bind
// and dir are added here). The returned Proc's ConfPath is the config file
// (rewritten by the sentinel), LogPath its log (stdout/stderr).
func StartSentinel(t testing.TB, kind, confText string) *Proc {
	t.Helper()
	return StartSentinelAt(t, kind, 0, confText)
}

// StartSentinelAt is StartSentinel on a fixed port (0: a free one).
func StartSentinelAt(t testing.TB, kind string, port int, confText string) *Proc {
	t.Helper()
	var bin string
	var pre []string
	switch kind {
	case "redis":
		bin = RedisSentinelPath(t)
	case "redoubt":
		bin, pre = RedoubtBinary(t), []string{"sentinel"}
	default:
		t.Fatalf("unknown sentinel kind %q", kind)
	}
	dir := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		p := port
		if p == 0 {
			p = FreePort(t)
		}
		conf := filepath.Join(dir, fmt.Sprintf("sentinel-%d.conf", p))
		// our lines first: a later directive in confText may override them
		text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n%s\n", p, dir, confText)
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		logPath := filepath.Join(dir, fmt.Sprintf("sentinel-%d.log", p))
		proc, err := launch(t, bin, dir, append(pre, conf), p, logPath, conf, true)
		if err != nil {
			lastErr = err
			if port != 0 {
				time.Sleep(500 * time.Millisecond)
			}
			continue
		}
		return proc
	}
	t.Fatal(lastErr)
	return nil
}
