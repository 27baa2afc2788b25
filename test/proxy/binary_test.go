package proxy_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/redoubt/redoubt/test/testutil"
)

// The built binary as "redoubt proxy": serves the config, the stats port,
// and on SIGHUP reloads the file (a new pool appears) while connected
// clients stay connected; SIGTERM stops it.
func TestBinarySighupReload(t *testing.T) {
	bs := backends(t, 2)
	alpha := poolFor(t, "alpha", bs)
	dir := t.TempDir()
	conf := filepath.Join(dir, "nutcracker.yml")
	if err := os.WriteFile(conf, []byte(yamlOf(alpha)), 0o644); err != nil {
		t.Fatal(err)
	}
	statsPort := freePort(t)
	proc := exec.Command(testutil.RedoubtBinary(t), "proxy", "-c", conf, "-s", fmt.Sprint(statsPort),
		"-a", "127.0.0.1", "-i", "100", "-o", filepath.Join(dir, "proxy.log"), "-p", filepath.Join(dir, "proxy.pid"))
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { proc.Wait(); close(exited) }()
	t.Cleanup(func() { proc.Process.Kill(); <-exited })
	var r *raw
	for i := 0; i < 50; i++ {
		if c, err := net.Dial("tcp", alpha.Listen); err == nil {
			c.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	r = dialRaw(t, alpha.Listen)
	if got := r.do(cmd("SET", "hk", "1")); got != "+OK\r\n" {
		t.Fatalf("SET: %q", got)
	}
	beta := poolFor(t, "beta", bs[:1])
	os.WriteFile(conf, []byte(yamlOf(alpha, beta)), 0o644)
	proc.Process.Signal(syscall.SIGHUP)
	ok := false
	for i := 0; i < 50 && !ok; i++ {
		time.Sleep(50 * time.Millisecond)
		if c, err := net.Dial("tcp", beta.Listen); err == nil {
			c.Close()
			ok = true
		}
	}
	if !ok {
		b, _ := os.ReadFile(filepath.Join(dir, "proxy.log"))
		t.Fatalf("new pool not listening after SIGHUP; log:\n%s", b)
	}
	if got := r.do(cmd("GET", "hk")); got != "$1\r\n1\r\n" {
		t.Fatalf("client after SIGHUP: %q", got)
	}
	if got := dialRaw(t, beta.Listen).do(cmd("PING")); got != "+PONG\r\n" {
		t.Fatalf("new pool: %q", got)
	}
	// stats: one JSON document per connection
	time.Sleep(200 * time.Millisecond)
	sc, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", statsPort))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(sc)
	sc.Close()
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("stats: %v\n%s", err, body)
	}
	if _, ok := doc["alpha"]; !ok {
		t.Fatalf("stats without pool alpha: %s", body)
	}
	proc.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM did not stop the proxy")
	}
	if _, err := os.Stat(filepath.Join(dir, "proxy.pid")); err == nil {
		t.Fatal("pid file left behind")
	}
}
