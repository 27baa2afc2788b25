// Process-level behaviour of "redoubt server": clean shutdown on SIGTERM
// and SIGINT, with Redis's log lines and exit code 0.
package integration

import (
	"os"
	"os/exec"
	"strconv"
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

// TestTCPKeepalive checks that tcp-keepalive arms the kernel's keepalive
// timer on accepted connections (as seen by ss), and that 0 disables it.
func TestTCPKeepalive(t *testing.T) {
	ss, err := exec.LookPath("ss")
	if err != nil {
		t.Skip("ss (iproute2) not installed")
	}
	for _, tc := range []struct {
		interval string
		want     bool
	}{{"120", true}, {"0", false}} {
		p := testutil.StartRedoubt(t, "--tcp-keepalive", tc.interval)
		rc := testutil.DialRaw(t, p.Addr)
		if got := rc.DoRaw("PING"); got != "+PONG\r\n" {
			t.Fatalf("PING: %q", got)
		}
		out, err := exec.Command(ss, "-tno", "state", "established", "( sport = :"+strconv.Itoa(p.Port)+" )").CombinedOutput()
		if err != nil {
			t.Fatalf("ss: %v %s", err, out)
		}
		if !strings.Contains(string(out), "127.0.0.1:"+strconv.Itoa(p.Port)) {
			t.Fatalf("ss does not show the connection:\n%s", out)
		}
		if got := strings.Contains(string(out), "timer:(keepalive"); got != tc.want {
			t.Fatalf("tcp-keepalive %s: keepalive timer present=%v, want %v\n%s", tc.interval, got, tc.want, out)
		}
	}
}
