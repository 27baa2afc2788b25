// Tests of the stats JSON against a capture from the real nutcracker (run
// here when installed), and of the -D description text.
package proxystats

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
)

const nutcracker = "/usr/sbin/nutcracker"

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestJSONMatchesNutcracker(t *testing.T) {
	if _, err := os.Stat(nutcracker); err != nil {
		t.Skip("nutcracker not installed")
	}
	dir := t.TempDir()
	conf := fmt.Sprintf("alpha:\n  listen: 127.0.0.1:%d\n  redis: true\n  servers:\n   - 127.0.0.1:1:1\n   - 127.0.0.1:2:1 s2\n   - 127.0.0.1:11211:1\nbeta:\n  listen: 127.0.0.1:%d\n  servers:\n   - 127.0.0.1:3:1\n",
		freePort(t), freePort(t))
	path := filepath.Join(dir, "n.yml")
	os.WriteFile(path, []byte(conf), 0o644)
	sport := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nutcracker, "-c", path, "-o", filepath.Join(dir, "log"), "-s", strconv.Itoa(sport), "-a", "127.0.0.1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var real []byte
	for i := 0; i < 50; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", sport))
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		real, _ = io.ReadAll(c)
		c.Close()
		break
	}
	if len(real) == 0 {
		t.Fatal("no stats from nutcracker")
	}
	pools, err := proxyconf.Parse([]byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	st := New("0.5.0", pools, time.Unix(0, 0))
	sn := st.Snapshot(time.Unix(0, 0))
	field := func(name string) int64 {
		m := regexp.MustCompile(`"` + name + `":(\d+)`).FindSubmatch(real)
		v, _ := strconv.ParseInt(string(m[1]), 10, 64)
		return v
	}
	sn.Uptime, sn.Timestamp = field("uptime"), field("timestamp")
	sn.TotalConnections, sn.CurrConnections = field("total_connections"), field("curr_connections")
	got := sn.JSON()
	if !bytes.Equal(got, real) {
		t.Fatalf("got\n%s\nnutcracker\n%s", got, real)
	}
}

func TestJSONLive(t *testing.T) {
	pools, _ := proxyconf.Parse([]byte("p:\n  listen: 127.0.0.1:1\n  servers:\n   - 127.0.0.1:2:1\n"))
	st := New("1.0", pools, time.Unix(100, 0))
	st.Source = "h"
	st.Pools[0].ClientEOF.Add(3)
	st.Pools[0].Servers[0].OutQueueBytes.Store(7)
	want := `{"service":"nutcracker", "source":"h", "version":"1.0", "uptime":5, "timestamp":105, "total_connections":0, "curr_connections":0, "p": {"client_eof":3, "client_err":0, "client_connections":0, "server_ejects":0, "forward_error":0, "fragments":0, "127.0.0.1:2": {"server_eof":0, "server_err":0, "server_timedout":0, "server_connections":0, "server_ejected_at":0, "requests":0, "request_bytes":0, "responses":0, "response_bytes":0, "in_queue":0, "in_queue_bytes":0, "out_queue":0, "out_queue_bytes":7}}}` + "\n"
	if got := string(st.JSON(time.Unix(105, 0))); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go (&Server{Stats: st}).Serve(l)
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(c)
	if !bytes.HasPrefix(doc, []byte(`{"service":"nutcracker", "source":"h"`)) || !bytes.HasSuffix(doc, []byte("}}}\n")) {
		t.Fatalf("served %q", doc)
	}
}

func TestDescribeMatchesNutcracker(t *testing.T) {
	if _, err := os.Stat(nutcracker); err != nil {
		t.Skip("nutcracker not installed")
	}
	out, _ := exec.Command(nutcracker, "-D").CombinedOutput()
	var b bytes.Buffer
	Describe(&b)
	if !bytes.HasSuffix(out, b.Bytes()) {
		t.Fatalf("nutcracker -D:\n%s\nours:\n%s", out, b.Bytes())
	}
}
