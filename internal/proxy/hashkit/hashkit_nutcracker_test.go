// End-to-end placement check against the real nutcracker binary: four
// redis-server backends (one on a unix socket), one nutcracker per
// hash × distribution × server list, 2,000 keys written through it, and each
// key looked up on the backends directly to confirm it sits where Pick says.
// Skipped when nutcracker or redis-server is not installed.

package hashkit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// respConn is the least RESP client the test needs.
type respConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialResp(t testing.TB, network, addr string) *respConn {
	t.Helper()
	r, err := tryDial(network, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// tryDial retries for up to two seconds, or until exited is closed.
func tryDial(network, addr string, exited <-chan struct{}) (*respConn, error) {
	var err error
	for range 200 {
		var c net.Conn
		if c, err = net.Dial(network, addr); err == nil {
			return &respConn{c, bufio.NewReader(c)}, nil
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("dial %s: process exited", addr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("dial %s: %v", addr, err)
}

func encodeCmd(buf *bytes.Buffer, args ...[]byte) {
	fmt.Fprintf(buf, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(buf, "$%d\r\n", len(a))
		buf.Write(a)
		buf.WriteString("\r\n")
	}
}

// reply reads one reply: string, int64, []any, nil, or error for "-ERR".
func (r *respConn) reply() (any, error) {
	line, err := r.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return errors.New(line[1:]), nil
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r.r, b); err != nil {
			return nil, err
		}
		return string(b[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		out := make([]any, 0, max(n, 0))
		for range n {
			v, err := r.reply()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("bad reply %q", line)
}

func (r *respConn) do(t testing.TB, args ...string) any {
	t.Helper()
	var buf bytes.Buffer
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	encodeCmd(&buf, bs...)
	if _, err := r.c.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	v, err := r.reply()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProc runs a command until the test ends.
func startProc(t testing.TB, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() && out.Len() > 0 {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	return cmd
}

type backend struct {
	network, addr string // how the test reaches it directly
	conn          *respConn
}

// e2eKeys are the keys written through nutcracker: plain, hash-tagged and
// binary ones with bytes >= 0x80 (the signed-char quirks).
func e2eKeys() [][]byte {
	keys := make([][]byte, 0, 2000)
	for i := range 2000 {
		switch i % 4 {
		case 0:
			keys = append(keys, []byte("key:"+strconv.Itoa(i)))
		case 1:
			keys = append(keys, []byte(fmt.Sprintf("obj{%d}:%d", i/8, i)))
		case 2:
			k := []byte(fmt.Sprintf("b%d-", i))
			for j := range i % 23 {
				k = append(k, byte(0x80+i*7+j*13))
			}
			keys = append(keys, k)
		default:
			// Key 3 is empty: nutcracker hashes it as 0 whatever the function.
			n := 1 + i%61
			if i == 3 {
				n = 0
			}
			keys = append(keys, bytes.Repeat([]byte{byte('a' + i%26)}, n))
		}
	}
	return keys
}

func TestNutcrackerPlacement(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers")
	}
	nutcracker, err := exec.LookPath("nutcracker")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/nutcracker"); err2 != nil {
			t.Skip("nutcracker not installed")
		}
		nutcracker = "/usr/sbin/nutcracker"
	}
	redisServer, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	dir := t.TempDir()

	// Four backends (maybe five); the first also listens on a unix socket so a config can
	// name it by path.
	var backends []*backend
	sock := filepath.Join(dir, "r0.sock")
	// A fifth backend on 11211, when that port is free, checks libmemcached's
	// rule that a server on 11211 is known by its host alone.
	on11211 := false
	if l, err := net.Listen("tcp", "127.0.0.1:11211"); err == nil {
		l.Close()
		on11211 = true
	}
	for i := range 5 {
		port := freePort(t)
		if i == 4 {
			if !on11211 {
				break
			}
			port = 11211
		}
		args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
			"--appendonly", "no", "--dir", dir, "--dbfilename", fmt.Sprintf("d%d.rdb", i)}
		if i == 0 {
			args = append(args, "--unixsocket", sock, "--unixsocketperm", "700")
		}
		startProc(t, redisServer, args...)
		b := &backend{network: "tcp", addr: fmt.Sprintf("127.0.0.1:%d", port)}
		b.conn = dialResp(t, b.network, b.addr)
		t.Cleanup(func() { b.conn.c.Close() })
		backends = append(backends, b)
	}
	for range 100 {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	type layout struct {
		id      string
		tag     string
		servers []Server
	}
	tcp := func(i int) string { return backends[i].addr }
	layouts := []layout{
		{"plain", "", []Server{{"", tcp(0), 1}, {"", tcp(1), 1}, {"", tcp(2), 1}, {"", tcp(3), 1}}},
		{"named", "{}", []Server{{"alpha", tcp(0), 1}, {"beta", tcp(1), 2}, {"gamma", tcp(2), 3}, {"delta", tcp(3), 1}}},
		{"unix", "", []Server{{"", sock, 2}, {"", tcp(1), 1}, {"", tcp(2), 1}, {"", tcp(3), 3}}},
	}
	if on11211 {
		layouts = append(layouts, layout{"port11211", "",
			[]Server{{"", tcp(0), 1}, {"", tcp(1), 2}, {"", "127.0.0.1:11211", 1}, {"", tcp(3), 1}}})
	}
	keys := e2eKeys()
	for _, lay := range layouts {
		for _, dist := range Distributions {
			for _, hash := range Names {
				t.Run(lay.id+"/"+dist+"/"+hash, func(t *testing.T) {
					checkPlacement(t, nutcracker, dir, backends, lay.servers, lay.tag, dist, hash, keys, -1)
				})
			}
		}
	}
	// Ejection: a fifth server that refuses connections is ejected on its
	// first failure and twemproxy rebuilds the continuum without it.
	dead := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ejl := []Server{{"", tcp(0), 1}, {"", dead, 2}, {"", tcp(1), 1}, {"", tcp(2), 3}, {"", tcp(3), 1}}
	for _, dist := range []string{"ketama", "modula"} {
		for _, hash := range Names {
			t.Run("ejected/"+dist+"/"+hash, func(t *testing.T) {
				checkPlacement(t, nutcracker, dir, backends, ejl, "", dist, hash, keys, 1)
			})
		}
	}
}

// startNutcracker writes a nutcracker.yml for the pool and starts nutcracker
// on it. Its ports are picked free but may be taken by another process before
// nutcracker binds them, so a start that fails is retried on new ports.
func startNutcracker(t *testing.T, nutcracker, dir string, servers []Server, tag, dist, hash string, eject bool) *respConn {
	t.Helper()
	var lastErr error
	for attempt := range 5 {
		listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		var yml strings.Builder
		fmt.Fprintf(&yml, "pool:\n  listen: %s\n  hash: %s\n  distribution: %s\n  redis: true\n", listen, hash, dist)
		if tag != "" {
			fmt.Fprintf(&yml, "  hash_tag: %q\n", tag)
		}
		if eject {
			yml.WriteString("  auto_eject_hosts: true\n  server_failure_limit: 1\n  server_retry_timeout: 600000\n")
		} else {
			yml.WriteString("  auto_eject_hosts: false\n")
		}
		yml.WriteString("  servers:\n")
		for _, s := range servers {
			fmt.Fprintf(&yml, "   - %s:%d", s.Addr, s.Weight)
			if s.Name != "" {
				fmt.Fprintf(&yml, " %s", s.Name)
			}
			yml.WriteString("\n")
		}
		conf := filepath.Join(dir, "nutcracker.yml")
		if err := os.WriteFile(conf, []byte(yml.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		logf := filepath.Join(dir, fmt.Sprintf("nutcracker-%d.log", attempt))
		cmd := exec.Command(nutcracker, "-c", conf, "-s", strconv.Itoa(freePort(t)), "-a", "127.0.0.1", "-o", logf)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() { cmd.Process.Kill(); <-exited }
		px, err := tryDial("tcp", listen, exited)
		if err == nil {
			// If another process owned the port, the dial reached it and
			// nutcracker, failing to bind, is about to exit.
			select {
			case <-exited:
				px.c.Close()
				err = errors.New("nutcracker exited after start")
			case <-time.After(30 * time.Millisecond):
				t.Cleanup(stop)
				return px
			}
		}
		stop()
		log, _ := os.ReadFile(logf)
		lastErr = fmt.Errorf("%v; nutcracker log:\n%s", err, log)
	}
	t.Fatal(lastErr)
	return nil
}

// checkPlacement runs one nutcracker over servers and checks every key's
// backend. deadIdx >= 0 names a server that is down and must be ejected first.
func checkPlacement(t *testing.T, nutcracker, dir string, backends []*backend, servers []Server,
	tag, dist, hash string, keys [][]byte, deadIdx int) {
	for _, b := range backends {
		if v := b.conn.do(t, "FLUSHALL"); v != "OK" {
			t.Fatalf("FLUSHALL: %v", v)
		}
	}
	px := startNutcracker(t, nutcracker, dir, servers, tag, dist, hash, deadIdx >= 0)
	defer px.c.Close()

	var live []bool
	var probes []string
	if deadIdx >= 0 {
		// A key that the full pool places on the dead server fails and gets
		// that server ejected (server_failure_limit 1); a second one then
		// succeeds, on the continuum rebuilt without it.
		fn, _ := Lookup(hash)
		full, err := New(dist, fn, tag, servers, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; len(probes) < 2 && i < 100000; i++ {
			if k := "probe:" + strconv.Itoa(i); full.Pick([]byte(k)) == deadIdx {
				probes = append(probes, k)
			}
		}
		switch {
		case len(probes) == 0 && dist == "ketama" && hash == "crc32":
			// crc32 yields 15 bits, so every key falls before the same
			// first ketama point; if the dead server does not own it, no
			// key ever reaches it and nothing is ejected.
			deadIdx = -1
		case len(probes) < 2:
			t.Fatal("no probe key for the dead server")
		}
	}
	if deadIdx >= 0 {
		if v, ok := px.do(t, "SET", probes[0], "x").(error); !ok {
			t.Fatalf("SET to the dead server answered %v", v)
		}
		if v := px.do(t, "SET", probes[1], "x"); v != "OK" {
			t.Fatalf("SET after the ejection answered %v", v)
		}
		for _, b := range backends {
			b.conn.do(t, "FLUSHALL")
		}
		live = make([]bool, len(servers))
		for i := range live {
			live[i] = i != deadIdx
		}
	}

	// Pipeline all SETs: the writer runs beside the reader so neither blocks.
	var buf bytes.Buffer
	for i, k := range keys {
		encodeCmd(&buf, []byte("SET"), k, []byte(strconv.Itoa(i)))
	}
	go px.c.Write(buf.Bytes())
	px.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for i := range keys {
		v, err := px.reply()
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if v != "OK" {
			t.Fatalf("SET %x through nutcracker: %v", keys[i], v)
		}
	}

	// Where each key actually is: backend i holds servers whose Addr is its
	// address or (for index 0) the unix socket.
	where := map[string][]int{}
	for bi, b := range backends {
		ks, ok := b.conn.do(t, "KEYS", "*").([]any)
		if !ok {
			t.Fatal("KEYS failed")
		}
		for _, k := range ks {
			where[k.(string)] = append(where[k.(string)], bi)
		}
	}
	backendOf := func(s Server) int {
		for bi, b := range backends {
			if s.Addr == b.addr {
				return bi
			}
		}
		if strings.HasPrefix(s.Addr, "/") {
			return 0
		}
		return -1
	}
	fn, _ := Lookup(hash)
	d, err := New(dist, fn, tag, servers, live)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, k := range keys {
		got := where[string(k)]
		if len(got) != 1 {
			t.Fatalf("key %x is on backends %v", k, got)
		}
		if dist == "random" {
			continue
		}
		want := backendOf(servers[d.Pick(k)])
		if got[0] != want {
			if bad++; bad <= 5 {
				t.Errorf("key %q: nutcracker put it on backend %d, Pick says %d", k, got[0], want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d keys misplaced", bad, len(keys))
	}
	if len(where) != len(keys) {
		t.Errorf("%d keys on backends, %d written", len(where), len(keys))
	}
}
