// Package proxy_test runs redoubt's proxy (in-process) in front of real
// redis-server backends on loopback ports, and where a behaviour must match
// nutcracker's exactly, runs /usr/sbin/nutcracker on the same config and
// compares the raw replies.
package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt/redoubt/internal/proxy"
	"github.com/redoubt/redoubt/internal/proxy/hashkit"
	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
	"github.com/redoubt/redoubt/test/testutil"
)

var ctx = context.Background()

type (
	proxyconfPool   = proxyconf.Pool
	proxyconfServer = proxyconf.Server
)

// backends starts n redis-servers.
func backends(t *testing.T, n int) []*testutil.Proc {
	var ps []*testutil.Proc
	for i := 0; i < n; i++ {
		ps = append(ps, testutil.StartRedis(t))
	}
	return ps
}

// poolFor is a pool over the backends listening on a free port.
func poolFor(t *testing.T, name string, ps []*testutil.Proc) proxyconf.Pool {
	pc := proxyconf.Pool{
		Name: name, Listen: fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t)),
		Hash: "fnv1a_64", Distribution: "ketama", Redis: true,
		ServerConnections: 1, ServerFailureLimit: 2, ServerRetryTimeout: 30 * time.Second,
	}
	for _, p := range ps {
		pc.Servers = append(pc.Servers, proxyconf.Server{Addr: p.Addr, Weight: 1})
	}
	return pc
}

// startProxy runs the proxy in-process until the test ends.
func startProxy(t *testing.T, pools ...proxyconf.Pool) *proxy.Proxy {
	if os.Getenv("PROXY_LOG") != "" {
		proxy.SetLog(os.Stderr, 7)
	}
	px, err := proxy.New(pools)
	if err != nil {
		t.Fatal(err)
	}
	if err := px.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(px.Close)
	return px
}

// client is a go-redis client with its default connection setup (HELLO,
// CLIENT SETINFO), which the proxy answers with errors that go-redis
// passes over, as it does with a Redis 5 server.
func client(t *testing.T, addr string, opts ...func(*redis.Options)) *redis.Client {
	o := &redis.Options{Addr: addr, MaxRetries: -1, PoolSize: 4, DialTimeout: 2 * time.Second}
	for _, f := range opts {
		f(o)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// owner predicts the backend index of key as twemproxy places it.
func owner(t *testing.T, pc proxyconf.Pool, live []bool, key string) int {
	h, _ := hashkit.Lookup(pc.Hash)
	var hs []hashkit.Server
	for _, s := range pc.Servers {
		hs = append(hs, hashkit.Server{Name: s.Name, Addr: s.Addr, Weight: s.Weight})
	}
	d, err := hashkit.New(pc.Distribution, h, pc.HashTag, hs, live)
	if err != nil {
		t.Fatal(err)
	}
	return d.Pick([]byte(key))
}

// raw is a plain TCP connection for byte-exact exchanges.
type raw struct {
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *raw {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &raw{c: c, r: bufio.NewReader(c)}
}

// exchange sends b and collects everything that comes back within wait,
// noting "<EOF>" when the proxy closes the connection.
func (r *raw) exchange(b string, wait time.Duration) string {
	r.c.Write([]byte(b))
	var sb strings.Builder
	buf := make([]byte, 4096)
	deadline := time.Now().Add(wait)
	for {
		r.c.SetReadDeadline(deadline)
		n, err := r.r.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return sb.String()
			}
			return sb.String() + "<EOF>"
		}
	}
}

func cmd(args ...string) string { return string(testutil.EncodeCommand(args...)) }

// nutcracker runs the real twemproxy on the same pools' YAML, or skips.
func nutcracker(t *testing.T, yml string) {
	bin, err := exec.LookPath("nutcracker")
	if err != nil {
		if _, e := os.Stat("/usr/sbin/nutcracker"); e != nil {
			t.Skip("nutcracker not installed")
		}
		bin = "/usr/sbin/nutcracker"
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "nutcracker.yml")
	os.WriteFile(conf, []byte(yml), 0o644)
	cmd := exec.Command(bin, "-c", conf, "-s", fmt.Sprint(testutil.FreePort(t)), "-o", filepath.Join(dir, "nc.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	time.Sleep(300 * time.Millisecond)
}

// yamlOf writes the pools as nutcracker.yml.
func yamlOf(pools ...proxyconf.Pool) string {
	var b strings.Builder
	for _, p := range pools {
		fmt.Fprintf(&b, "%s:\n  listen: %s\n  hash: %s\n  distribution: %s\n  redis: true\n", p.Name, p.Listen, p.Hash, p.Distribution)
		if p.HashTag != "" {
			fmt.Fprintf(&b, "  hash_tag: \"%s\"\n", p.HashTag)
		}
		if p.Timeout > 0 {
			fmt.Fprintf(&b, "  timeout: %d\n", p.Timeout.Milliseconds())
		}
		if p.RedisAuth != "" {
			fmt.Fprintf(&b, "  redis_auth: %s\n", p.RedisAuth)
		}
		if p.RedisDB != 0 {
			fmt.Fprintf(&b, "  redis_db: %d\n", p.RedisDB)
		}
		if p.AutoEjectHosts {
			fmt.Fprintf(&b, "  auto_eject_hosts: true\n  server_retry_timeout: %d\n  server_failure_limit: %d\n",
				p.ServerRetryTimeout.Milliseconds(), p.ServerFailureLimit)
		}
		b.WriteString("  servers:\n")
		for _, s := range p.Servers {
			fmt.Fprintf(&b, "   - %s:%d", s.Addr, s.Weight)
			if s.Name != "" {
				fmt.Fprintf(&b, " %s", s.Name)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func freePort(t *testing.T) int { return testutil.FreePort(t) }

// stallServer accepts connections and never answers.
func stallServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// do sends one command and reads exactly one reply (2 s at most); "<EOF>"
// when the connection closes first.
func (r *raw) do(c string) string {
	r.c.Write([]byte(c))
	r.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	var out []byte
	for {
		b, err := r.r.ReadByte()
		if err != nil {
			return string(out) + "<EOF>"
		}
		out = append(out, b)
		if n := respLen(out); n == len(out) {
			return string(out)
		}
	}
}

// respLen is the length of the complete reply at the start of b, or -1.
func respLen(b []byte) int {
	i := bytes.Index(b, []byte("\r\n"))
	if i < 0 {
		return -1
	}
	switch b[0] {
	case '$':
		var n int
		fmt.Sscanf(string(b[1:i]), "%d", &n)
		if n < 0 {
			return i + 2
		}
		if len(b) < i+2+n+2 {
			return -1
		}
		return i + 2 + n + 2
	case '*':
		var n int
		fmt.Sscanf(string(b[1:i]), "%d", &n)
		p := i + 2
		for k := 0; k < n; k++ {
			l := respLen(b[p:])
			if l < 0 {
				return -1
			}
			p += l
		}
		return p
	}
	return i + 2
}
