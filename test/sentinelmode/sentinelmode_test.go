// Package sentinelmode tests the process side of Sentinel: "redoubt
// sentinel sentinel.conf" (and its other spellings) next to the real
// redis-sentinel 7.0.15 given the same file — start-up and its errors,
// the restricted command table, INFO, the rewritten config file,
// restarts and shutdown. Sentinel's monitoring and failover are tested
// in test/sentinel.
//
// Checks that need the state machine's config and commands
// (internal/sentinel's ApplyConfig, ConfigLines, InfoSection, RoleReply)
// are skipped while those are still placeholders.
package sentinelmode

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redoubt/redoubt/internal/sentinel"
	"github.com/redoubt/redoubt/test/testutil"
)

// machineReady tells whether the state machine's config side is real:
// any machine writes at least its "myid" line.
func machineReady() bool { return sentinel.New("0123", 1).ConfigLines() != nil }

func needMachine(t *testing.T) {
	if !machineReady() {
		t.Skip("internal/sentinel config and commands are still placeholders")
	}
}

// sentinelProc is a running sentinel.
type sentinelProc struct {
	cmd    *exec.Cmd
	port   int
	addr   string
	conf   string
	log    string
	exited chan struct{}
}

// sentinelCommand is the command line of a sentinel of kind ("redis" or
// "redoubt") on conf with extra arguments.
func sentinelCommand(t *testing.T, kind, conf string, extra ...string) *exec.Cmd {
	t.Helper()
	if kind == "redis" {
		p, err := exec.LookPath("redis-sentinel")
		if err != nil {
			t.Skip("redis-sentinel not installed")
		}
		if conf != "" {
			extra = append([]string{conf}, extra...)
		}
		return exec.Command(p, extra...)
	}
	args := []string{"sentinel"}
	if conf != "" {
		args = append(args, conf)
	}
	return exec.Command(testutil.RedoubtBinary(t), append(args, extra...)...)
}

// startSentinel writes text to dir/sentinel.conf (unless it exists) and
// starts a sentinel on it on a free port, waiting until it answers PING.
func startSentinel(t *testing.T, kind, dir, text string) *sentinelProc {
	t.Helper()
	conf := filepath.Join(dir, "sentinel.conf")
	if _, err := os.Stat(conf); os.IsNotExist(err) {
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return startOn(t, sentinelCommand, kind, dir, conf)
}

func startOn(t *testing.T, build func(t *testing.T, kind, conf string, extra ...string) *exec.Cmd, kind, dir, conf string) *sentinelProc {
	t.Helper()
	port := testutil.FreePort(t)
	cmd := build(t, kind, conf, "--port", strconv.Itoa(port), "--bind", "127.0.0.1")
	cmd.Dir = dir
	logPath := filepath.Join(dir, fmt.Sprintf("sentinel-%d.log", port))
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &sentinelProc{cmd: cmd, port: port, addr: fmt.Sprintf("127.0.0.1:%d", port), conf: conf, log: logPath, exited: make(chan struct{})}
	go func() { cmd.Wait(); logf.Close(); close(p.exited) }()
	t.Cleanup(p.kill)
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-p.exited:
			out, _ := os.ReadFile(logPath)
			t.Fatalf("%s sentinel exited at start:\n%s", kind, out)
		default:
		}
		if c, err := tryDial(p.addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s sentinel did not start", kind)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

func (p *sentinelProc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// run runs a sentinel command line to its end.
func run(t *testing.T, cmd *exec.Cmd) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not exit", cmd.Args)
	}
	return o.String(), e.String(), cmd.ProcessState.ExitCode()
}

func masterConf(t *testing.T) string {
	master := testutil.StartRedis(t)
	return fmt.Sprintf("sentinel monitor mym 127.0.0.1 %d 2\n", master.Port)
}

var kinds = []string{"redis", "redoubt"}

// TestCommandTable: the same answers from both for the commands a
// sentinel has and does not have.
func TestCommandTable(t *testing.T) {
	conf := masterConf(t)
	got := map[string][]string{}
	for _, kind := range kinds {
		p := startSentinel(t, kind, t.TempDir(), conf)
		c := testutil.DialRaw(t, p.addr)
		var out []string
		for _, cmd := range [][]string{
			{"PING"}, {"COMMAND", "COUNT"}, {"GET", "x"}, {"SET", "k", "v"}, {"CONFIG", "GET", "port"},
			{"PUBLISH", "foo", "bar"}, {"SENTINEL"}, {"SENTINEL", "nosuch"}, {"SENTINEL", "MYID", "extra"},
			{"INFO", "keyspace"}, {"INFO", "nosuch"},
		} {
			out = append(out, fmt.Sprintf("%v -> %q", cmd, c.DoRaw(cmd...)))
		}
		// CLIENT's subcommands are the server's (some are missing there)
		var list []string
		for _, e := range sortedElems(c.Do("COMMAND", "LIST")) {
			if !strings.Contains(e, "client|") {
				list = append(list, e)
			}
		}
		out = append(out, "COMMAND LIST: "+strings.Join(list, " "))
		out = append(out, "COMMAND INFO sentinel: "+sortedLines(c.DoRaw("COMMAND", "INFO", "sentinel")))
		out = append(out, "COMMAND INFO ping acl: "+sortedLines(c.DoRaw("COMMAND", "INFO", "ping", "acl")))
		hello := c.DoRaw("HELLO", "3")
		out = append(out, "HELLO mode sentinel: "+strconv.FormatBool(strings.Contains(hello, "$4\r\nmode\r\n$8\r\nsentinel\r\n")))
		got[kind] = out
	}
	if !slices.Equal(got["redis"], got["redoubt"]) {
		for i := range got["redis"] {
			if i < len(got["redoubt"]) && got["redis"][i] != got["redoubt"][i] {
				t.Errorf("redis-sentinel: %s\nredoubt:        %s", got["redis"][i], got["redoubt"][i])
			}
		}
	}
	if !strings.Contains(got["redoubt"][1], `":15\r\n"`) {
		t.Errorf("COMMAND COUNT: %s", got["redoubt"][1])
	}
}

// TestInfo: redis_mode:sentinel, the sections a sentinel has, for every
// way of asking.
func TestInfo(t *testing.T) {
	conf := masterConf(t)
	got := map[string][]string{}
	for _, kind := range kinds {
		p := startSentinel(t, kind, t.TempDir(), conf)
		c := testutil.DialRaw(t, p.addr)
		var out []string
		for _, args := range [][]string{{}, {"default"}, {"all"}, {"everything"}, {"server"}, {"sentinel"}, {"server", "cpu"}, {"memory"}} {
			body := c.Do(append([]string{"INFO"}, args...)...).Body()
			if machineReady() || !slices.Contains(args, "sentinel") && len(args) > 0 && args[0] != "default" && args[0] != "all" && args[0] != "everything" {
				out = append(out, fmt.Sprintf("%v: %s", args, sectionHeaders(body)))
			}
			if len(args) == 0 && !strings.Contains(body, "redis_mode:sentinel\r\n") {
				t.Errorf("%s: INFO without redis_mode:sentinel", kind)
			}
		}
		got[kind] = out
	}
	if !slices.Equal(got["redis"], got["redoubt"]) {
		t.Errorf("INFO sections differ:\nredis-sentinel: %v\nredoubt:        %v", got["redis"], got["redoubt"])
	}
}

func sectionHeaders(info string) string {
	var h []string
	for _, l := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(l, "# ") {
			h = append(h, l[2:])
		}
	}
	return strings.Join(h, ",")
}

func sortedElems(r *testutil.Reply) []string {
	var out []string
	for _, e := range r.Elems {
		out = append(out, string(e))
	}
	slices.Sort(out)
	return out
}

// sortedLines compares aggregate replies whose order is a hash table's.
func sortedLines(raw string) string {
	lines := strings.Split(raw, "\r\n")
	slices.Sort(lines)
	return strings.Join(lines, "|")
}

// TestStartErrors: the messages and exit codes of redis-sentinel when it
// cannot start.
func TestStartErrors(t *testing.T) {
	logLine := regexp.MustCompile(`^\d+:X \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} # `)
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			// no config file
			out, _, code := run(t, sentinelCommand(t, kind, "", "--port", strconv.Itoa(testutil.FreePort(t))))
			if code != 1 || !logLine.MatchString(out) || !strings.HasSuffix(out, "# Sentinel needs config file on disk to save state. Exiting...\n") {
				t.Errorf("no config file: exit %d, stdout %q", code, out)
			}
			// a config file that does not exist
			out, _, code = run(t, sentinelCommand(t, kind, "/nonexistent/sentinel.conf"))
			if code != 1 || !strings.HasSuffix(out, "# Fatal error, can't open config file '/nonexistent/sentinel.conf': No such file or directory\n") {
				t.Errorf("missing file: exit %d, stdout %q", code, out)
			}
			// a bad ordinary directive
			dir := t.TempDir()
			bad := filepath.Join(dir, "bad.conf")
			os.WriteFile(bad, []byte("port 1\n\nfoo bar\n"), 0o644)
			_, errOut, code := run(t, sentinelCommand(t, kind, bad))
			want := "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'foo bar'\nBad directive or wrong number of arguments\n"
			if code != 1 || errOut != want {
				t.Errorf("bad directive: exit %d, stderr %q", code, errOut)
			}
			if os.Geteuid() != 0 {
				ro := filepath.Join(dir, "ro.conf")
				os.WriteFile(ro, []byte("sentinel monitor m 127.0.0.1 1 1\n"), 0o444)
				out, _, code = run(t, sentinelCommand(t, kind, ro))
				if code != 1 || !strings.HasSuffix(out, "# Sentinel config file "+ro+" is not writable: Permission denied. Exiting...\n") {
					t.Errorf("read-only file: exit %d, stdout %q", code, out)
				}
			}
		})
	}
}

// TestBadSentinelLine: the fatal report names the sentinel line and the
// machine's reason, after the whole file was read.
func TestBadSentinelLine(t *testing.T) {
	needMachine(t)
	for _, text := range []string{
		"port 1\n\nsentinel monitor mym 127.0.0.1 6379 2\nsentinel bogus 1 2\n",
		"sentinel down-after-milliseconds nosuch 100\n",
		"sentinel down-after-milliseconds mym 100\nsentinel monitor mym 127.0.0.1 6379 2\nsentinel quorum\n",
	} {
		var got [2]string
		for i, kind := range kinds {
			conf := filepath.Join(t.TempDir(), "s.conf")
			os.WriteFile(conf, []byte(text), 0o644)
			_, errOut, code := run(t, sentinelCommand(t, kind, conf))
			got[i] = fmt.Sprintf("exit %d: %s", code, errOut)
		}
		if got[0] != got[1] {
			t.Errorf("%q:\nredis-sentinel: %s\nredoubt:        %s", text, got[0], got[1])
		}
	}
}

// TestRewrittenConfig: at start a sentinel without an ID saves one, and
// the file takes the shape redis-sentinel gives it: user lines kept in
// place, the rest after the signature — server directives (in Redis's
// hash order there, so compared as a set), then the sentinel lines in
// order. A restart keeps the ID.
func TestRewrittenConfig(t *testing.T) {
	master := testutil.StartRedis(t)
	text := fmt.Sprintf("# my sentinel\nsentinel monitor mym 127.0.0.1 %d 2\nsentinel down-after-milliseconds mym 5000\n\nloglevel notice\n", master.Port)
	files := map[string]string{}
	var redoubtDir string
	for _, kind := range kinds {
		dir := t.TempDir()
		p := startSentinel(t, kind, dir, text)
		// the file is saved before the ID is logged
		waitLog(t, p, "Sentinel ID is ")
		p.kill()
		data, err := os.ReadFile(p.conf)
		if err != nil {
			t.Fatal(err)
		}
		files[kind] = normalizeConf(string(data), dir, p.port)
		if kind == "redoubt" {
			redoubtDir = dir
			log, _ := os.ReadFile(p.log)
			for _, want := range []string{":X ", fmt.Sprintf("* Running mode=sentinel, port=%d.", p.port), "* Sentinel new configuration saved on disk", "# Sentinel ID is ", "# Sentinel is now ready to exit, bye bye..."} {
				if !bytes.Contains(log, []byte(want)) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
		}
	}
	head := func(s string) string { h, _, _ := strings.Cut(s, "# Generated by CONFIG REWRITE\n"); return h }
	tail := func(s string, sentinelLines bool) []string {
		_, tl, _ := strings.Cut(s, "# Generated by CONFIG REWRITE\n")
		var out []string
		for _, l := range strings.Split(strings.TrimSuffix(tl, "\n"), "\n") {
			if strings.HasPrefix(l, "sentinel ") == sentinelLines {
				out = append(out, l)
			}
		}
		if !sentinelLines {
			slices.Sort(out)
		}
		return out
	}
	r, d := files["redis"], files["redoubt"]
	if !machineReady() {
		// without the machine's lines only the server part can match
		if got, want := tail(d, false), tail(r, false); !slices.Equal(got, want) {
			t.Errorf("server directives:\nredis-sentinel: %q\nredoubt:        %q", want, got)
		}
		t.Skip("internal/sentinel config and commands are still placeholders")
	}
	if head(r) != head(d) {
		t.Errorf("kept part:\nredis-sentinel:\n%s\nredoubt:\n%s", head(r), head(d))
	}
	for _, sl := range []bool{false, true} {
		if got, want := tail(d, sl), tail(r, sl); !slices.Equal(got, want) {
			t.Errorf("generated part:\nredis-sentinel: %q\nredoubt:        %q", want, got)
		}
	}
	// a restart keeps the ID and leaves the file as it was
	before, _ := os.ReadFile(filepath.Join(redoubtDir, "sentinel.conf"))
	id := regexp.MustCompile(`sentinel myid ([0-9a-f]{40})`).FindStringSubmatch(string(before))
	if id == nil {
		t.Fatalf("no myid in\n%s", before)
	}
	p := startSentinel(t, "redoubt", redoubtDir, "")
	c := testutil.DialRaw(t, p.addr)
	if got := c.Do("SENTINEL", "MYID").Body(); got != id[1] {
		t.Errorf("myid after restart %q, file has %q", got, id[1])
	}
	waitLog(t, p, "Sentinel ID is "+id[1])
	p.kill()
	log, _ := os.ReadFile(p.log)
	if bytes.Contains(log, []byte("Sentinel new configuration saved on disk")) {
		t.Errorf("a sentinel with an ID saved its config at start:\n%s", log)
	}
}

// normalizeConf replaces what differs between two runs (ID, port, dir).
func normalizeConf(s, dir string, port int) string {
	s = regexp.MustCompile(`[0-9a-f]{40}`).ReplaceAllString(s, "<id>")
	s = strings.ReplaceAll(s, dir, "<dir>")
	return strings.ReplaceAll(s, "port "+strconv.Itoa(port), "port <port>")
}

func waitLog(t *testing.T, p *sentinelProc, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if out, _ := os.ReadFile(p.log); bytes.Contains(out, []byte(want)) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	out, _ := os.ReadFile(p.log)
	t.Fatalf("log never had %q:\n%s", want, out)
}

// TestShutdown: SHUTDOWN (even SHUTDOWN SAVE) ends a sentinel without
// writing a dataset.
func TestShutdown(t *testing.T) {
	conf := masterConf(t)
	for _, kind := range kinds {
		dir := t.TempDir()
		p := startSentinel(t, kind, dir, conf)
		c := testutil.DialRaw(t, p.addr)
		c.Send("SHUTDOWN", "SAVE")
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still running after SHUTDOWN", kind)
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			log, _ := os.ReadFile(p.log)
			t.Errorf("%s: exit code %d\n%s", kind, code, log)
		}
		if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err == nil {
			t.Errorf("%s: wrote dump.rdb", kind)
		}
		log, _ := os.ReadFile(p.log)
		if !bytes.Contains(log, []byte("# User requested shutdown...")) || !bytes.Contains(log, []byte("# Sentinel is now ready to exit, bye bye...")) {
			t.Errorf("%s: shutdown log:\n%s", kind, log)
		}
	}
}

// TestOtherSpellings: "redoubt server x.conf --sentinel" and a link
// named redis-sentinel start sentinel mode too.
func TestOtherSpellings(t *testing.T) {
	conf := masterConf(t)
	bin := testutil.RedoubtBinary(t)
	linkDir := t.TempDir()
	link := filepath.Join(linkDir, "redis-sentinel")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	builds := map[string]func(t *testing.T, kind, conf string, extra ...string) *exec.Cmd{
		"--sentinel": func(t *testing.T, _, conf string, extra ...string) *exec.Cmd {
			return exec.Command(bin, append([]string{"server", conf, "--sentinel"}, extra...)...)
		},
		"link": func(t *testing.T, _, conf string, extra ...string) *exec.Cmd {
			return exec.Command(link, append([]string{conf}, extra...)...)
		},
	}
	for name, build := range builds {
		dir := t.TempDir()
		path := filepath.Join(dir, "sentinel.conf")
		os.WriteFile(path, []byte(conf), 0o644)
		p := startOn(t, build, "redoubt", dir, path)
		c := testutil.DialRaw(t, p.addr)
		if info := c.Do("INFO", "server").Body(); !strings.Contains(info, "redis_mode:sentinel\r\n") {
			t.Errorf("%s: not in sentinel mode:\n%s", name, info)
		}
		if got := c.DoRaw("COMMAND", "COUNT"); got != ":15\r\n" {
			t.Errorf("%s: COMMAND COUNT %q", name, got)
		}
	}
}

func tryDial(addr string) (net.Conn, error) {
	return net.DialTimeout("tcp", addr, 200*time.Millisecond)
}

// TestEventsAndReplies: a SENTINEL command's events reach subscribers
// (published from inside the command), and replies take the client's
// protocol: SENTINEL MASTER is a map in RESP3, a flat array in RESP2.
func TestEventsAndReplies(t *testing.T) {
	needMachine(t)
	conf := masterConf(t)
	got := map[string][]string{}
	for _, kind := range kinds {
		p := startSentinel(t, kind, t.TempDir(), conf)
		sub := testutil.DialRaw(t, p.addr)
		sub.Do("PSUBSCRIBE", "*")
		c := testutil.DialRaw(t, p.addr)
		var out []string
		out = append(out, c.DoRaw("SENTINEL", "SET", "mym", "down-after-milliseconds", "4321"))
		msg := sub.Read()
		out = append(out, string(msg.Raw))
		out = append(out, c.DoRaw("ROLE"))
		out = append(out, c.DoRaw("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"))
		out = append(out, c.DoRaw("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mym"))
		out = append(out, string(c.Do("SENTINEL", "MASTER", "mym").Raw[:3]))
		c.Do("HELLO", "3")
		out = append(out, c.DoRaw("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"))
		out = append(out, string(c.Do("SENTINEL", "MASTER", "mym").Raw[:3]))
		out = append(out, c.DoRaw("PUBLISH", "__sentinel__:hello", "garbage"))
		got[kind] = out
	}
	if !slices.Equal(got["redis"], got["redoubt"]) {
		t.Errorf("\nredis-sentinel: %q\nredoubt:        %q", got["redis"], got["redoubt"])
	}
}
