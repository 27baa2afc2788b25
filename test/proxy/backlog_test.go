// backlog: the listen queue nutcracker.yml asks for, read back with ss(8)
// (the Send-Q of a listening socket is its backlog).

package proxy_test

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// listenBacklog returns the backlog of the socket listening on addr.
func listenBacklog(t *testing.T, addr string) int {
	t.Helper()
	_, port, _ := strings.Cut(addr, ":")
	out, err := exec.Command("ss", "-ltnH", "sport = :"+port).Output()
	if err != nil {
		t.Skipf("ss not usable: %v", err)
	}
	f := strings.Fields(string(out))
	if len(f) < 3 {
		t.Fatalf("ss shows no listener on %s: %q", addr, out)
	}
	n, err := strconv.Atoi(f[2])
	if err != nil {
		t.Fatalf("ss output %q", out)
	}
	return n
}

func TestBacklog(t *testing.T) {
	bs := backends(t, 1)
	pc := poolFor(t, "alpha", bs)
	pc.Backlog = 77
	px := startProxy(t, pc)
	if got := listenBacklog(t, pc.Listen); got != 77 {
		t.Fatalf("backlog %d, want 77", got)
	}
	// a reload with a new backlog and the same address applies it in place
	pc.Backlog = 33
	if err := px.Reload([]proxyconfPool{pc}); err != nil {
		t.Fatal(err)
	}
	if got := listenBacklog(t, pc.Listen); got != 33 {
		t.Fatalf("backlog after reload %d, want 33", got)
	}
}
