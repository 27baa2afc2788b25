// Package testutil starts real server processes for integration tests: the
// redoubt binary (built once per test binary) and Debian's redis-server, on
// free loopback ports, waits until they answer PING and stops them when the
// test ends.
package testutil

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// RepoRoot is the module root (where go.mod is).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// RedoubtBinary builds cmd/redoubt once and returns its path.
func RedoubtBinary(t testing.TB) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "redoubt-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "redoubt")
		args := []string{"build", "-o", binPath}
		if RaceBuilt() {
			// servers started by the tests run under the race detector
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./cmd/redoubt")...)
		cmd.Dir = RepoRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// FreePort returns a currently free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Proc is a running server process.
type Proc struct {
	Cmd  *exec.Cmd
	Port int
	Addr string
	Dir  string
	Log  string // path of the captured stdout+stderr
	Conf string // config file it was started with, if any
	// Exited is closed once the process has exited and Cmd.ProcessState is set.
	Exited <-chan struct{}
}

// StartRedoubt runs "redoubt server" with the given extra arguments
// (directives as --name value) on a free port in a temp dir.
func StartRedoubt(t testing.TB, args ...string) *Proc {
	return start(t, RedoubtBinary(t), append([]string{"server"}, args...))
}

// RedisServerPath returns the real redis-server, skipping the test when it
// is not installed.
func RedisServerPath(t testing.TB) string {
	p, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed (CI must install it)")
		}
		t.Skip("redis-server not installed")
	}
	return p
}

// StartRedis runs the real Debian redis-server with the given arguments.
func StartRedis(t testing.TB, args ...string) *Proc {
	return start(t, RedisServerPath(t), args)
}

// StartRedoubtIn is StartRedoubt with dir as the working directory (where
// a dump.rdb placed beforehand is loaded from).
func StartRedoubtIn(t testing.TB, dir string, args ...string) *Proc {
	return startIn(t, RedoubtBinary(t), dir, append([]string{"server"}, args...))
}

// StartRedisIn is StartRedis with dir as the working directory.
func StartRedisIn(t testing.TB, dir string, args ...string) *Proc {
	return startIn(t, RedisServerPath(t), dir, args)
}

// StartKind starts redis-server when kind is "redis", else redoubt: for
// tests that run the same steps against both.
func StartKind(t testing.TB, kind string, args ...string) *Proc {
	if kind == "redis" {
		return StartRedis(t, args...)
	}
	return StartRedoubt(t, args...)
}

// StartKindIn is StartKind with dir as the working directory.
func StartKindIn(t testing.TB, kind, dir string, args ...string) *Proc {
	if kind == "redis" {
		return StartRedisIn(t, dir, args...)
	}
	return StartRedoubtIn(t, dir, args...)
}

func start(t testing.TB, bin string, args []string) *Proc {
	t.Helper()
	return startIn(t, bin, t.TempDir(), args)
}

func startIn(t testing.TB, bin, dir string, args []string) *Proc {
	t.Helper()
	return startAt(t, bin, dir, 0, args)
}

// StartKindAt is StartKindIn on a fixed port (0: a free one), for a test
// that restarts a node where its peers (and sentinels) expect it.
func StartKindAt(t testing.TB, kind, dir string, port int, args ...string) *Proc {
	t.Helper()
	if kind == "redis" {
		return startAt(t, RedisServerPath(t), dir, port, args)
	}
	return startAt(t, RedoubtBinary(t), dir, port, append([]string{"server"}, args...))
}

// startAt starts bin in dir on port, or on a free port (with retries, as
// another process may take it first) when port is 0.
func startAt(t testing.TB, bin, dir string, fixed int, args []string) *Proc {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := fixed
		if port == 0 {
			port = FreePort(t)
		}
		// --port goes after the role and the config file, if any
		head := 0
		if head < len(args) && args[head] == "server" {
			head++
		}
		if head < len(args) && !strings.HasPrefix(args[head], "--") {
			head++
		}
		full := append(append(append([]string{}, args[:head]...), "--port", strconv.Itoa(port)), args[head:]...)
		full = append(full, "--bind", "127.0.0.1", "--dir", dir)
		// persistence off unless the test asked for it
		if !slices.Contains(args, "--save") {
			full = append(full, "--save", "")
		}
		if !slices.Contains(args, "--appendonly") {
			full = append(full, "--appendonly", "no")
		}
		logPath := filepath.Join(dir, fmt.Sprintf("server-%d.log", port))
		p, err := launch(t, bin, dir, full, port, logPath, "", false)
		if err != nil {
			lastErr = err
			if fixed != 0 {
				// the port may still be in TIME_WAIT/closing: wait a little
				time.Sleep(500 * time.Millisecond)
			}
			continue
		}
		return p
	}
	t.Fatal(lastErr)
	return nil
}

// launch runs bin with args in dir, its output appended to logPath, waits
// until port answers PING and registers the cleanup that stops it. With
// graceful set, cleanup sends SIGTERM and waits a few seconds before SIGKILL
// (sentinels rewrite their config on the way out); else it kills at once.
func launch(t testing.TB, bin, dir string, args []string, port int, logPath, conf string, graceful bool) (*Proc, error) {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	exited := make(chan struct{})
	p := &Proc{Cmd: cmd, Port: port, Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: dir, Log: logPath, Conf: conf, Exited: exited}
	go func() { cmd.Wait(); close(exited); logf.Close() }()
	if err := waitPing(p.Addr, exited, 10*time.Second); err != nil {
		cmd.Process.Kill()
		<-exited
		return nil, fmt.Errorf("%s did not start: %v\n%s", bin, err, p.LogTail(40))
	}
	t.Cleanup(func() {
		if graceful {
			p.Stop(5 * time.Second)
		} else {
			cmd.Process.Kill()
			<-exited
		}
		// a server built with REDOUBT_RACE reports races in its log
		if out, _ := os.ReadFile(logPath); bytes.Contains(out, []byte("WARNING: DATA RACE")) {
			t.Errorf("%s reported a data race:\n%s", bin, out)
		}
	})
	return p, nil
}

// Stop sends SIGTERM, and SIGKILL if the process has not exited within
// grace; it returns once the process is gone. Safe to call more than once.
func (p *Proc) Stop(grace time.Duration) {
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Exited:
	case <-time.After(grace):
		p.Cmd.Process.Kill()
		<-p.Exited
	}
}

// Signal sends sig (kill -9, kill -QUIT ...) and waits until the process
// has exited.
func (p *Proc) Signal(sig os.Signal) {
	p.Cmd.Process.Signal(sig)
	<-p.Exited
}

// LogPath is the file holding the process's log (its stdout and stderr).
func (p *Proc) LogPath() string { return p.Log }

// ConfPath is the config file the process was started with ("" if none);
// a sentinel rewrites it as it learns the topology.
func (p *Proc) ConfPath() string { return p.Conf }

// LogTail returns the last n lines of the log, for failure messages.
func (p *Proc) LogTail(n int) string {
	out, err := os.ReadFile(p.Log)
	if err != nil {
		return fmt.Sprintf("(log %s: %v)", p.Log, err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return fmt.Sprintf("--- last %d lines of %s ---\n%s", len(lines), p.Log, strings.Join(lines, "\n"))
}

func waitPing(addr string, exited chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("process exited")
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.SetDeadline(time.Now().Add(time.Second))
			conn.Write([]byte("PING\r\n"))
			line, err := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if err == nil && (line == "+PONG\r\n" || line[0] == '-') {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no PING reply within %v", timeout)
}

// RaceBuilt reports whether the servers the tests start are built with
// the race detector (REDOUBT_RACE set), which makes them 5-10 times slower:
// tests that exist for volume rather than interleavings scale down then.
func RaceBuilt() bool { return os.Getenv("REDOUBT_RACE") != "" }
