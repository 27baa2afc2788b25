// Tests driving redoubt with the Debian redis-cli: mass insertion with
// --pipe, key listing with --scan, and the binary's role dispatch
// (redis-server link name, --version).
package integration

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/test/testutil"
)

func redisCLI(t *testing.T) string {
	p, err := exec.LookPath("redis-cli")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-cli is not installed (CI must install redis-tools)")
		}
		t.Skip("redis-cli not installed")
	}
	return p
}

func cli(t *testing.T, p *testutil.Proc, args ...string) string {
	t.Helper()
	out, err := exec.Command(redisCLI(t), append([]string{"-p", strconv.Itoa(p.Port)}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestPipeMassInsertion loads one million keys with redis-cli --pipe, as the
// Redis mass-insertion guide does, and checks every reply was counted and
// the keys are there.
func TestPipeMassInsertion(t *testing.T) {
	if testing.Short() {
		t.Skip("mass insertion in -short mode")
	}
	p := testutil.StartRedoubt(t)
	n := 1000000
	if testutil.RaceBuilt() {
		n = 100000
	}
	var buf bytes.Buffer
	buf.Grow(n * 48)
	for i := 0; i < n; i++ {
		k := "key:" + strconv.Itoa(i)
		v := "value:" + strconv.Itoa(i)
		fmt.Fprintf(&buf, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(k), k, len(v), v)
	}
	cmd := exec.Command(redisCLI(t), "-p", strconv.Itoa(p.Port), "--pipe")
	cmd.Stdin = &buf
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --pipe: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), fmt.Sprintf("errors: 0, replies: %d", n)) {
		t.Fatalf("unexpected --pipe summary:\n%s", out)
	}
	if got := cli(t, p, "DBSIZE"); got != strconv.Itoa(n) {
		t.Fatalf("DBSIZE = %s, want %d", got, n)
	}
	for _, i := range []int{0, 1, 4242, n - 1} {
		if got := cli(t, p, "GET", "key:"+strconv.Itoa(i)); got != "value:"+strconv.Itoa(i) {
			t.Fatalf("GET key:%d = %q", i, got)
		}
	}
}

// TestCLIScan lists keys with redis-cli --scan (SCAN iteration to the end)
// with and without a pattern.
func TestCLIScan(t *testing.T) {
	p := testutil.StartRedoubt(t)
	var buf bytes.Buffer
	want := map[string]bool{}
	for i := 0; i < 5000; i++ {
		k := fmt.Sprintf("user:%d", i)
		if i%2 == 1 {
			k = fmt.Sprintf("item:%d", i)
		}
		want[k] = true
		fmt.Fprintf(&buf, "SET %s x\n", k)
	}
	cmd := exec.Command(redisCLI(t), "-p", strconv.Itoa(p.Port))
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("load: %v\n%s", err, out)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(cli(t, p, "--scan")))
	for sc.Scan() {
		seen[sc.Text()] = true
	}
	if len(seen) != len(want) {
		t.Fatalf("--scan returned %d distinct keys, want %d", len(seen), len(want))
	}
	for k := range want {
		if !seen[k] {
			t.Fatalf("--scan missed %s", k)
		}
	}
	users := strings.Fields(cli(t, p, "--scan", "--pattern", "user:*"))
	if len(users) != 2500 {
		t.Fatalf("--scan --pattern user:* returned %d keys, want 2500", len(users))
	}
	for _, k := range users {
		if !strings.HasPrefix(k, "user:") {
			t.Fatalf("pattern scan returned %s", k)
		}
	}
}

// TestBinaryRoles checks the version flags and that a link named
// redis-server behaves as "redoubt server".
func TestBinaryRoles(t *testing.T) {
	bin := testutil.RedoubtBinary(t)
	for _, args := range [][]string{{"--version"}, {"server", "--version"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "redoubt v=") {
			t.Fatalf("%v: %v %q", args, err, out)
		}
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "redis-server")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(link, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "redoubt v=") {
		t.Fatalf("redis-server --version: %v %q", err, out)
	}
	port := testutil.FreePort(t)
	cmd := exec.Command(link, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var got string
	for i := 0; i < 100; i++ {
		out, _ := exec.Command(redisCLI(t), "-p", strconv.Itoa(port), "PING").CombinedOutput()
		if got = strings.TrimSpace(string(out)); got == "PONG" {
			break
		}
		exec.Command("sleep", "0.05").Run()
	}
	if got != "PONG" {
		t.Fatalf("server started through the redis-server link does not answer: %q", got)
	}
}

// TestDaemonize starts the server with daemonize yes: the foreground process
// exits at once, the detached server answers and writes its pidfile.
func TestDaemonize(t *testing.T) {
	bin := testutil.RedoubtBinary(t)
	dir := t.TempDir()
	port := testutil.FreePort(t)
	pidfile := filepath.Join(dir, "redoubt.pid")
	logfile := filepath.Join(dir, "redoubt.log")
	cmd := exec.Command(bin, "server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--daemonize", "yes", "--pidfile", pidfile, "--logfile", logfile)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("daemonize: %v %s", err, out)
	}
	var pid int
	for i := 0; i < 200 && pid == 0; i++ {
		if b, err := os.ReadFile(pidfile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if pid == 0 {
			exec.Command("sleep", "0.02").Run()
		}
	}
	if pid == 0 {
		t.Fatal("no pidfile written by the daemon")
	}
	defer syscallKill(pid)
	p := &testutil.Proc{Port: port}
	if got := cli(t, p, "PING"); got != "PONG" {
		t.Fatalf("daemon PING = %q", got)
	}
	if b, _ := os.ReadFile(logfile); !strings.Contains(string(b), "Ready to accept connections") {
		t.Fatalf("log file lacks the ready line:\n%s", b)
	}
}

func syscallKill(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}
