package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// TestAOFAlwaysDiskFullExits: with appendfsync always a write the AOF
// cannot take must not be acknowledged; Redis logs why and exits with
// status 1, and so must redoubt. The disk is a 2 MB tmpfs (needs root).
func TestAOFAlwaysDiskFullExits(t *testing.T) {
	for _, kind := range []string{"redoubt", "redis"} {
		t.Run(kind, func(t *testing.T) {
			// the data directory is the small disk; the log goes elsewhere
			// so that the last line can still be written
			dir := t.TempDir()
			logFile := filepath.Join(t.TempDir(), "server.log")
			if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
				t.Skipf("cannot mount a small tmpfs: %v %s", err, out)
			}
			t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
			args := []string{"--appendonly", "yes", "--appendfsync", "always", "--logfile", logFile}
			var p *testutil.Proc
			if kind == "redoubt" {
				p = testutil.StartRedoubtIn(t, dir, args...)
			} else {
				p = testutil.StartRedisIn(t, dir, args...)
			}
			c := redis.NewClient(&redis.Options{Addr: p.Addr, MaxRetries: -1})
			defer c.Close()
			val := strings.Repeat("x", 64<<10)
			acked := 0
			for i := 0; i < 100; i++ { // 6.4 MB: more than the disk holds
				if err := c.Set(context.Background(), "k", val, 0).Err(); err != nil {
					break
				}
				acked++
			}
			select {
			case <-p.Exited:
			case <-time.After(30 * time.Second):
				t.Fatalf("%s still runs after %d acknowledged 64 KB writes to a 2 MB disk", kind, acked)
			}
			if code := p.Cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit status %d, want 1", code)
			}
			log, _ := os.ReadFile(logFile)
			if !strings.Contains(string(log), "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...") {
				t.Errorf("log lacks Redis's line:\n%s", log)
			}
			if acked >= 32 {
				t.Errorf("%d writes of 64 KB acknowledged on a 2 MB disk", acked)
			}
		})
	}
}
