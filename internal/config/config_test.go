// config_test.go checks the directive table, the loader, CONFIG SET and
// CONFIG REWRITE against outputs recorded from a real redis-server 7.0.15
// (testdata/*.redis.*).
package config

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// TestDefaultsMatchRedis compares every directive and alias with CONFIG
// GET * of redis-server started as "--port 7777 --daemonize yes --save ”
// --enable-debug-command yes" (dir is the working directory, left out).
func TestDefaultsMatchRedis(t *testing.T) {
	want, err := os.ReadFile("testdata/defaults.redis.txt")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("port 7777\ndaemonize yes\nsave \"\"\nenable-debug-command yes\npidfile /var/run/redis.pid\n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, kv := range c.GetMatching([]string{"*"}) {
		if kv[0] != "dir" {
			got = append(got, kv[0]+"\t"+kv[1])
		}
	}
	sort.Strings(got)
	if g, w := strings.Join(got, "\n")+"\n", string(want); g != w {
		t.Errorf("CONFIG GET * differs from Redis:\n got %d lines\nwant %d lines\n%s", len(got), strings.Count(w, "\n"), firstDiff(g, w))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d: got %q want %q", i+1, al[i], bl[i])
		}
	}
	return "length differs"
}

func fatal(line int, text, msg string) string {
	return fmt.Sprintf("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line %d\n>>> '%s'\n%s", line, text, msg)
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ text, line, msg string }{
		{"foo bar", "foo bar", "Bad directive or wrong number of arguments"},
		{"port abc", "port abc", "argument couldn't be parsed into an integer"},
		{"port 1 2", "port 1 2", "wrong number of arguments"},
		{"port", "port", "wrong number of arguments"},
		{"port 70000", "port 70000", "argument must be between 0 and 65535 inclusive"},
		{"maxmemory 10x", "maxmemory 10x", "argument must be a memory value"},
		{"save 1", "save 1", "Invalid save parameters"},
		{`save "100 1 200"`, `save "100 1 200"`, "Invalid save parameters"},
		{"notify-keyspace-events Q", "notify-keyspace-events Q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
		{"foo.bar", "foo.bar", "Module config specified without value"},
		{"sentinel x", "sentinel x", "sentinel directive while not in sentinel mode"},
		{"appendfsync sometimes", "appendfsync sometimes", "argument(s) must be one of the following: everysec, always, no"},
		{`port "1`, `port "1`, "Unbalanced quotes in configuration line"},
		{"rename-command nosuch x", "rename-command nosuch x", "No such command in rename-command"},
		{"rename-command get set", "rename-command get set", "Target command name already exists"},
		{"maxmemory-clients -200%", "maxmemory-clients -200%", "argument must be a memory or percent value"},
		{"maxmemory-clients 200%", "maxmemory-clients 200%", "percentage argument must be less or equal to 100"},
		{"unixsocketperm 999", "unixsocketperm 999", "argument couldn't be parsed as an octal number"},
		{"unixsocketperm 1000", "unixsocketperm 1000", "argument must be between 0 and 777 inclusive"},
		{"maxclients -1", "maxclients -1", "argument must be between 1 and 4294967295 inclusive"},
		{`shutdown-on-sigint "save nosave"`, `shutdown-on-sigint "save nosave"`, "shutdown options SAVE and NOSAVE can't be used simultaneously"},
		{"user", "user", "Bad directive or wrong number of arguments"},
		{"replicaof a b", "replicaof a b", "Invalid master port"},
		{"cluster-announce-hostname a_b", "cluster-announce-hostname a_b", "Hostnames may only contain alphanumeric characters, hyphens or dots"},
		{`latency-tracking-info-percentiles "1 x"`, `latency-tracking-info-percentiles "1 x"`, "Invalid latency-tracking-info-percentiles parameters"},
		{"bind " + strings.Repeat("a ", 17), "bind " + strings.TrimSpace(strings.Repeat("a ", 17)), "Too many bind addresses specified."},
		{"loglevel nothing", "loglevel nothing", "argument(s) must be one of the following: debug, verbose, notice, warning"},
		{"protected-mode maybe", "protected-mode maybe", "argument must be 'yes' or 'no'"},
		{"activedefrag yes", "activedefrag yes", "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"},
		{"appendfilename a/b", "appendfilename a/b", "appendfilename can't be a path, just a filename"},
		{"client-output-buffer-limit master 0 0 0", "client-output-buffer-limit master 0 0 0", "Invalid client class specified in buffer limit configuration."},
	} {
		_, err := Parse("# comment\n" + tc.text + "\n")
		want := fatal(2, tc.line, tc.msg)
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v\nwant %s", tc.text, err, want)
		}
	}
	_, err := Parse("cluster-enabled yes\nreplicaof h 1\n")
	if err == nil || !strings.HasSuffix(err.Error(), "***\nreplicaof directive not allowed in cluster mode") {
		t.Errorf("cluster + replicaof: %v", err)
	}
}

func TestParseValues(t *testing.T) {
	for _, tc := range []struct{ text, name, want string }{
		{"maxmemory 1k", "maxmemory", "1000"},
		{"maxmemory 1kb", "maxmemory", "1024"},
		{"maxmemory 1KB", "maxmemory", "1024"},
		{"maxmemory 2Mb", "maxmemory", "2097152"},
		{"maxmemory 3g", "maxmemory", "3000000000"},
		{"maxmemory 1gb", "maxmemory", "1073741824"},
		{"maxmemory 7b", "maxmemory", "7"},
		{"maxmemory 99999999999999999999", "maxmemory", "18446744073709551615"},
		{"maxmemory-clients 10%", "maxmemory-clients", "10%"},
		{"maxmemory-clients 0%", "maxmemory-clients", "0"},
		{"unixsocketperm 700", "unixsocketperm", "700"},
		{"hz 1000", "hz", "500"},
		{"hz 0", "hz", "1"},
		{"save 900 1\nsave 300 10", "save", "900 1 300 10"},
		{"save 900 1\nsave \"\"\nsave 5 5", "save", "5 5"},
		{"save \"\"", "save", ""},
		{"save \"100 1 200 2\"", "save", "100 1 200 2"},
		{"save 100 4294967297", "save", "100 1"},
		{"bind 127.0.0.1 ::1", "bind", "127.0.0.1 ::1"},
		{"bind \"\"", "bind", ""},
		{"slaveof 10.0.0.1 6380", "replicaof", "10.0.0.1 6380"},
		{"replicaof h 1\nreplicaof no one", "slaveof", ""},
		{"notify-keyspace-events KEA", "notify-keyspace-events", "AKE"},
		{"notify-keyspace-events gx$KlszhtdnemE", "notify-keyspace-events", "AKEm"},
		{"notify-keyspace-events Exn", "notify-keyspace-events", "xnE"},
		{"client-output-buffer-limit replica 1gb 2mb 30 pubsub 1 2 3", "client-output-buffer-limit", "normal 0 0 0 slave 1073741824 2097152 30 pubsub 1 2 3"},
		{"oom-score-adj-values \"-1 2 3\"", "oom-score-adj-values", "-1 2 3"},
		{"oom-score-adj relative", "oom-score-adj", "yes"},
		{"shutdown-on-sigterm now save", "shutdown-on-sigterm", "save now"},
		{"latency-tracking-info-percentiles 0.000001 100.0 50", "latency-tracking-info-percentiles", "0.000001 100 50"},
		{"latency-tracking-info-percentiles \"\"", "latency-tracking-info-percentiles", ""},
		{"slave-priority 5", "replica-priority", "5"},
		{"LUA-TIME-LIMIT 7", "busy-reply-threshold", "7"},
		{"hash-max-ziplist-entries 7", "hash-max-listpack-entries", "7"},
		{"list-max-ziplist-entries 7", "list-max-listpack-size", "-2"},
		{"  maxmemory-policy   ALLKEYS-LRU  ", "maxmemory-policy", "allkeys-lru"},
		{"requirepass \"a b\\x41\"", "requirepass", "a bA"},
		{"rename-command get x\nrename-command x get", "port", "6379"},
		{"include /nonexist/*.conf", "port", "6379"},
		{"foo.bar 1 2", "port", "6379"},
	} {
		c, err := Parse(tc.text)
		if err != nil {
			t.Errorf("%q: %v", tc.text, err)
			continue
		}
		if got, _ := c.Get(tc.name); got != tc.want {
			t.Errorf("%q: %s = %q, want %q", tc.text, tc.name, got, tc.want)
		}
	}
}

func TestUnsupportedListed(t *testing.T) {
	c, err := Parse("lazyfree-lazy-eviction yes\nport 1\nlazyfree-lazy-eviction no\nrename-command keys \"\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Unsupported, ","); got != "lazyfree-lazy-eviction,rename-command" {
		t.Errorf("Unsupported = %q", got)
	}
	if len(c.RenameCommands) != 1 || c.RenameCommands[0] != [2]string{"keys", ""} {
		t.Errorf("RenameCommands = %v", c.RenameCommands)
	}
}

func TestLoadArgs(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/r.conf"
	os.WriteFile(path, []byte("hz 7\nsave 5 5\n"), 0o644)
	for _, tc := range []struct {
		args  []string
		stdin string
		name  string
		want  string
	}{
		{[]string{path, "--hz", "8"}, "", "hz", "8"},
		{[]string{path, "--save", "1", "2", "3", "4"}, "", "save", "5 5 1 2 3 4"},
		{[]string{path, "--save"}, "", "save", ""},
		{[]string{path, "--save", "--hz", "9"}, "", "save", ""},
		{[]string{"--save", "--hz", "9"}, "", "hz", "9"},
		{[]string{"-", "--port", "0"}, "hz 11\n", "hz", "11"},
		{[]string{path, "--port", "0", "-"}, "hz 12\n", "hz", "12"},
		{[]string{"--requirepass", "--weird"}, "", "requirepass", "--weird"},
		{[]string{"--maxmemory 5mb"}, "", "maxmemory", "5242880"},
		{[]string{"--bind", "1.2.3.4", "::1"}, "", "bind", "1.2.3.4 ::1"},
		{[]string{"--requirepass", "a\"b\n"}, "", "requirepass", "a\"b\n"},
	} {
		c, err := LoadArgs(tc.args, strings.NewReader(tc.stdin))
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if got, _ := c.Get(tc.name); got != tc.want {
			t.Errorf("%q: %s = %q, want %q", tc.args, tc.name, got, tc.want)
		}
	}
	_, err := LoadArgs([]string{path, "--hz", "1", "2"}, nil)
	if want := fatal(4, `hz "1" "2"`, "wrong number of arguments"); err == nil || err.Error() != want {
		t.Errorf("args error: %v", err)
	}
	_, err = LoadArgs([]string{dir + "/none.conf"}, nil)
	if err == nil || !strings.Contains(err.Error(), "Fatal error, can't open config file '"+dir+"/none.conf': No such file or directory") {
		t.Errorf("missing file: %v", err)
	}
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // "--dir" below really changes directory; restored after the test
	os.WriteFile(dir+"/a.conf", []byte("hz 7\nsave 1 1\n"), 0o644)
	os.WriteFile(dir+"/b.conf", []byte("# c\nport x\n"), 0o644)
	main := dir + "/main.conf"
	os.WriteFile(main, []byte("save 9 9\ninclude "+dir+"/a.conf\nsave 2 2\n"), 0o644)
	c, err := LoadArgs([]string{main, "--dir", dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Redis's reading_config_file is cleared when the included file ends,
	// so the last save line replaces the earlier rules.
	if got, _ := c.Get("save"); got != "2 2" {
		t.Errorf("save = %q", got)
	}
	if got, _ := c.Get("hz"); got != "7" {
		t.Errorf("hz = %q", got)
	}
	os.WriteFile(main, []byte("include "+dir+"/b.conf\n"), 0o644)
	_, err = LoadArgs([]string{main}, nil)
	if want := fatal(2, "port x", "argument couldn't be parsed into an integer"); err == nil || err.Error() != want {
		t.Errorf("included error: %v", err)
	}
}

func TestSetMany(t *testing.T) {
	for _, tc := range []struct {
		pairs [][2]string
		err   string
	}{
		{[][2]string{{"foo", "1"}}, "Unknown option or number of arguments for CONFIG SET - 'foo'"},
		{[][2]string{{"hz", "5"}, {"foo", "1"}}, "Unknown option or number of arguments for CONFIG SET - 'foo'"},
		{[][2]string{{"daemonize", "yes"}, {"foo", "1"}}, "CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
		{[][2]string{{"DAEMONIZE", "yes"}}, "CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable config"},
		{[][2]string{{"dir", "/tmp"}}, "CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"},
		{[][2]string{{"hz", "5"}, {"HZ", "6"}}, "CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter"},
		{[][2]string{{"hz", "5"}, {"timeout", "x"}}, "CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"},
		{[][2]string{{"SLAVE-PRIORITY", "x"}}, "CONFIG SET failed (possibly related to argument 'slave-priority') - argument couldn't be parsed into an integer"},
		{[][2]string{{"save", " 100 10"}}, "CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
		{[][2]string{{"shutdown-on-sigint", ""}}, "CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - argument(s) must be one of the following: default, save, nosave, now, force"},
		{[][2]string{{"hash-max-listpack-entries", "-1"}}, "CONFIG SET failed (possibly related to argument 'hash-max-listpack-entries') - argument must be between 0 and 9223372036854775807 inclusive"},
	} {
		c := Default()
		err := c.SetMany(tc.pairs, true)
		if err == nil || err.Error() != tc.err {
			t.Errorf("%v: got %v, want %s", tc.pairs, err, tc.err)
		}
		if c.Hz != 10 {
			t.Errorf("%v: hz not restored: %d", tc.pairs, c.Hz)
		}
	}
	c := Default()
	var changed []string
	c.OnChange = func(names []string) { changed = names }
	applied := 0
	c.SetApply("maxmemory", func() error { applied++; return nil })
	if err := c.SetMany([][2]string{{"maxmemory", "1mb"}, {"save", ""}, {"slave-priority", "3"}, {"hz", "10"}}, false); err != nil {
		t.Fatal(err)
	}
	if c.MaxMemory != 1<<20 || len(c.SaveParams) != 0 || c.ReplicaPriority != 3 || applied != 1 {
		t.Errorf("values not set: %d %v %d %d", c.MaxMemory, c.SaveParams, c.ReplicaPriority, applied)
	}
	if strings.Join(changed, ",") != "maxmemory,save,replica-priority" {
		t.Errorf("OnChange got %v", changed)
	}
	c.SetApply("timeout", func() error { return fmt.Errorf("nope") })
	err := c.SetMany([][2]string{{"hz", "20"}, {"timeout", "9"}}, false)
	if err == nil || err.Error() != "CONFIG SET failed (possibly related to argument 'timeout') - nope" || c.Hz != 10 || c.Timeout != 0 {
		t.Errorf("apply failure: %v hz=%d timeout=%d", err, c.Hz, c.Timeout)
	}
	c.EnableProtectedConfigs = "local"
	if err := c.SetMany([][2]string{{"dbfilename", "x.rdb"}}, true); err != nil || c.DBFilename != "x.rdb" {
		t.Errorf("protected local: %v", err)
	}
}

// TestRewriteMatchesRedis replays a CONFIG SET on testdata/rewrite.in.conf
// and compares with the file Redis wrote. Lines after the signature are
// compared as a set: Redis appends them in its hash table's random order.
func TestRewriteMatchesRedis(t *testing.T) {
	in, err := os.ReadFile("testdata/rewrite.in.conf")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/rewrite.redis.conf")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(string(in))
	if err != nil {
		t.Fatal(err)
	}
	c.Dir = "/tmp/rw2"
	pairs := [][2]string{{"hz", "30"}, {"timeout", "5"}, {"appendfsync", "always"}, {"maxmemory", "2gb"},
		{"notify-keyspace-events", "KEA"}, {"client-output-buffer-limit", "pubsub 1mb 2mb 3"},
		{"oom-score-adj-values", "1 2 3"}, {"latency-tracking-info-percentiles", "50.5 99"},
		{"slave-priority", "100"}, {"protected-mode", "no"}, {"maxmemory-policy", "volatile-lru"},
		{"maxmemory-clients", "0"}, {"save", "60 5"}, {"hll-sparse-max-bytes", "4kb"},
		{"hash-max-listpack-entries", "128"}, {"requirepass", ""}, {"masteruser", "bob"},
		{"proc-title-template", "{title} x"}}
	if err := c.SetMany(pairs, true); err != nil {
		t.Fatal(err)
	}
	got := c.RewriteContent(string(in))
	if g, w := normaliseRewrite(got), normaliseRewrite(string(want)); g != w {
		t.Errorf("rewrite differs:\n--- got\n%s\n--- want\n%s", g, w)
	}
	// The rewritten file loads back to the same configuration.
	back, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range directives {
		if d.name != "dir" && d.get(back) != d.get(c) {
			t.Errorf("%s: reloaded %q, was %q", d.name, d.get(back), d.get(c))
		}
	}
}

func normaliseRewrite(s string) string {
	head, tail, ok := strings.Cut(s, rewriteSignature+"\n")
	if !ok {
		return s
	}
	lines := strings.Split(strings.TrimRight(tail, "\n"), "\n")
	sort.Strings(lines)
	return head + rewriteSignature + "\n" + strings.Join(lines, "\n") + "\n"
}

func TestRewriteFile(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/r.conf"
	os.WriteFile(path, []byte("# hello\nport 7000\nfoo bar\nsave 1 1\nsave 2 2\n"), 0o644)
	c, err := Parse("port 7000\nsave 1 1\n")
	if err != nil {
		t.Fatal(err)
	}
	c.File = path
	c.Dir = "/d"
	c.SetMany([][2]string{{"maxmemory", "3mb"}}, true)
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# hello\nport 7000\n# ??? foo bar\nsave 1 1\n\n# Generated by CONFIG REWRITE\nmaxmemory 3mb\ndir \"/d\"\nlatency-tracking-info-percentiles 50 99 99.9\nuser default on nopass ~* &* +@all\n"
	if string(got) != want {
		t.Errorf("rewritten file:\n%s\nwant:\n%s", got, want)
	}
	c.File = ""
	if err := c.Rewrite(); err != ErrNoConfigFile {
		t.Errorf("no file: %v", err)
	}
}
