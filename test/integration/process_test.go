// Process-level behaviour of "redoubt server": clean shutdown on SIGTERM
// and SIGINT, with Redis's log lines and exit code 0.
package integration

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redoubt/redoubt/test/testutil"
)

func TestSignalShutdown(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			p := testutil.StartRedoubt(t)
			if err := p.Cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-p.Exited:
			case <-time.After(10 * time.Second):
				t.Fatal("server did not exit after the signal")
			}
			if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
				t.Fatalf("exit code %d, want 0", code)
			}
			log, _ := os.ReadFile(p.Log)
			name := map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"}[sig]
			for _, want := range []string{"Received " + name + " scheduling shutdown...", "Redis is now ready to exit, bye bye..."} {
				if !strings.Contains(string(log), want) {
					t.Fatalf("log lacks %q:\n%s", want, log)
				}
			}
		})
	}
}
