// Tests of the nutcracker.yml parser: defaults of every key, the extension
// keys, and each refusal compared with the line the real nutcracker logs for
// the same file (when /usr/sbin/nutcracker is installed).
package proxyconf

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// badFiles maps each file of testdata/bad to the message nutcracker logs.
var badFiles = map[string]string{
	"anchor.yml":           `conf: anchor token (19) is disallowed`,
	"auth.yml":             `conf: directive "redis_auth:" is only valid for a redis pool`,
	"baddist.yml":          `conf: directive "distribution" is not a valid distribution`,
	"badhash.yml":          `conf: directive "hash" is not a valid hash`,
	"badyaml.yml":          `conf: failed (err 3) to get the next yaml document`,
	"deep.yml":             `conf: 'deep.yml' has a depth greater than 2`,
	"docstart.yml":         `conf: document start token (5) is disallowed`,
	"dupkey.yml":           `conf: directive "redis" is a duplicate`,
	"duplisten.yml":        `conf: pools 'a' and 'b' have the same listen address '127.0.0.1:1'`,
	"dupname.yml":          `conf: pool 'a' has servers with same name 'x'`,
	"duppool.yml":          `conf: 'duppool.yml' has pools with same name a'`,
	"empty.yml":            `conf: 'empty.yml' must contain only 1 document; found 0 documents`,
	"flat.yml":             `conf: 'flat.yml' has invalid mapping "key:" at depth 1`,
	"flow.yml":             `conf: flow sequence start token (10) is disallowed`,
	"hashtag.yml":          `conf: directive "hash_tag" is not a valid hash tag string with two characters`,
	"keepalive.yml":        `conf: directive "tcpkeepalive" is not "true" or "false"`,
	"listenform.yml":       `conf: directive "listen" has an invalid "hostname:port" format string`,
	"listenport.yml":       `conf: directive "listen" has an invalid port in "hostname:port" format string`,
	"nolisten.yml":         `conf: directive "listen:" is missing`,
	"noseq.yml":            `conf: 'noseq.yml' missing sequence directive at depth 2`,
	"noservers.yml":        `conf: 'noservers.yml' missing sequence directive at depth 2`,
	"notbool.yml":          `conf: directive "redis" is not "true" or "false"`,
	"notnum.yml":           `conf: directive "timeout" is not a number`,
	"perm.yml":             `conf: directive "listen" has an invalid file permission in "socket_path permission" format string`,
	"portbad.yml":          `conf: directive "servers" has an invalid port in "hostname:port:weight [name]" format string`,
	"scalar.yml":           `conf: 'scalar.yml' has invalid empty "key:" at depth 0`,
	"sc0.yml":              `conf: directive "server_connections:" cannot be 0`,
	"seqroot.yml":          `conf: 'seqroot.yml' has sequence at depth 0 instead of 2`,
	"srvform.yml":          `conf: directive "servers" has an invalid "hostname:port:weight [name]"or "/path/unix_socket:weight [name]" format string`,
	"tab.yml":              `conf: failed (err 3) to get the next yaml document`,
	"tag.yml":              `conf: tag token (20) is disallowed`,
	"twodocs.yml":          `conf: 'twodocs.yml' must contain only 1 document; found 2 documents`,
	"twoseq.yml":           `conf: 'twoseq.yml' has more than one sequence directive`,
	"unixsrv.yml":          `conf: directive "servers" has an invalid "hostname:port:weight [name]"or "/path/unix_socket:weight [name]" format string`,
	"unknown.yml":          `conf: directive "foo" is unknown`,
	"weight0.yml":          `conf: directive "servers" has a zero weight in "hostname:port:weight [name]" format string`,
	"yamlalias.yml":        `conf: failed (err 5) to get the next yaml document`,
	"yamlctl.yml":          `conf: failed (err 2) to get the next yaml document`,
	"yamldirective.yml":    `conf: failed (err 3) to get the next yaml document`,
	"yamlindent.yml":       `conf: failed (err 4) to get the next yaml document`,
	"yamlmapval.yml":       `conf: failed (err 3) to get the next yaml document`,
	"yamlparser.yml":       `conf: failed (err 4) to get the next yaml document`,
	"yamlquote.yml":        `conf: failed (err 3) to get the next yaml document`,
	"tagdirective.yml":     `conf: tag directive token (4) is disallowed`,
	"versiondirective.yml": `conf: version directive token (3) is disallowed`,
	"weightbad.yml":        `conf: directive "servers" has an invalid weight in "hostname:port:weight [name]" format string`,
}

const nutcracker = "/usr/sbin/nutcracker"

var confLine = regexp.MustCompile(`nc_conf\.c:\d+ (.*)`)

// realMessage runs nutcracker on a bad file (without -t, which logs
// nothing) and returns the nc_conf.c line of its log.
func realMessage(t *testing.T, dir, name string) string {
	t.Helper()
	log := filepath.Join(t.TempDir(), "nc.log")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nutcracker, "-c", name, "-o", log, "-s", "1", "-a", "127.0.0.1")
	cmd.Dir = dir
	if err := cmd.Run(); err == nil {
		t.Fatalf("nutcracker accepted %s", name)
	}
	data, _ := os.ReadFile(log)
	m := confLine.FindStringSubmatch(string(data))
	if m == nil {
		t.Fatalf("no nc_conf.c line in nutcracker's log for %s: %q", name, data)
	}
	return m[1]
}

func TestBadFiles(t *testing.T) {
	dir, _ := filepath.Abs("testdata/bad")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, haveReal := os.Stat(nutcracker)
	for _, e := range entries {
		name := e.Name()
		want, ok := badFiles[name]
		if !ok {
			t.Errorf("%s has no expected message", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			data, _ := os.ReadFile(filepath.Join(dir, name))
			_, err := ParseFile(name, data)
			if err == nil || err.Error() != want {
				t.Errorf("got %v, want %q", err, want)
			}
			if haveReal == nil {
				if real := realMessage(t, dir, name); real != want {
					t.Errorf("nutcracker says %q, table says %q", real, want)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	pools, err := Parse([]byte("p:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := pools[0]
	want := Pool{Name: "p", Listen: "127.0.0.1:22121", Hash: "fnv1a_64", Distribution: "ketama",
		Backlog: 512, ServerConnections: 1, ServerRetryTimeout: 30 * time.Second, ServerFailureLimit: 2,
		Servers: []Server{{Addr: "127.0.0.1:6379", Weight: 1}}}
	if !equalPool(p, want) {
		t.Fatalf("got %+v\nwant %+v", p, want)
	}
}

func equalPool(a, b Pool) bool { return fmtAny(a) == fmtAny(b) }

func TestEveryKey(t *testing.T) {
	text := `beta:
  listen: /tmp/redoubt-test.sock 0600
  hash: murmur
  hash_tag: "{}"
  distribution: modula
  timeout: 400
  backlog: 1024
  client_connections: 10
  redis: true
  tcpkeepalive: true
  reuseport: true
  redis_auth: secret
  redis_db: 3
  preconnect: true
  auto_eject_hosts: true
  server_connections: 4
  server_retry_timeout: 2000
  server_failure_limit: 5
  servers:
   - 127.0.0.1:6380:1 server1
   - /tmp/r.sock:2
   - 10.0.0.1:11211:3
alpha:
  listen: 127.0.0.1:22122
  redis: true
  servers:
   - 127.0.0.1:6379:1
`
	pools, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(pools) != 2 || pools[0].Name != "beta" || pools[1].Name != "alpha" {
		t.Fatalf("pools not in nutcracker's order (shorter name first): %+v", pools)
	}
	p := pools[0]
	want := Pool{Name: "beta", Listen: "/tmp/redoubt-test.sock", ListenPerm: 0o600, Hash: "murmur", HashTag: "{}",
		Distribution: "modula", Timeout: 400 * time.Millisecond, Backlog: 1024, Preconnect: true, Redis: true,
		RedisAuth: "secret", RedisDB: 3, ServerConnections: 4, AutoEjectHosts: true,
		ServerRetryTimeout: 2 * time.Second, ServerFailureLimit: 5, TCPKeepalive: true, ReusePort: true,
		// sorted by hash name, shorter first: "server1", "10.0.0.1", "/tmp/r.sock:"
		Servers: []Server{{Addr: "127.0.0.1:6380", Weight: 1, Name: "server1"}, {Addr: "10.0.0.1:11211", Weight: 3}, {Addr: "/tmp/r.sock", Weight: 2}}}
	if fmtAny(p) != fmtAny(want) {
		t.Fatalf("got  %s\nwant %s", fmtAny(p), fmtAny(want))
	}
	if h := p.Servers[2].HashName(); h != "/tmp/r.sock:" {
		t.Errorf("unix hash name %q", h)
	}
}

func TestExtension(t *testing.T) {
	text := `s:
  listen: 127.0.0.1:22121
  redis: true
  sentinels:
   - 10.0.0.1:26379
   - 10.0.0.2:26379
  servers:
   - 10.0.0.5:6379:1 shard1
  sentinel_masters:
   - shard2:1
   - shard3:2
  read_from_replicas: true
  sentinel_username: proxy
  sentinel_password: "s3 cret"
`
	pools, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	p := pools[0]
	if len(p.Sentinels) != 2 || len(p.Servers) != 1 || len(p.SentinelMasters) != 2 || !p.ReadFromReplicas {
		t.Fatalf("%+v", p)
	}
	if p.SentinelUsername != "proxy" || p.SentinelPassword != "s3 cret" {
		t.Errorf("sentinel auth %q %q", p.SentinelUsername, p.SentinelPassword)
	}
	if p.SentinelMasters[1] != (Server{Name: "shard3", Weight: 2}) {
		t.Errorf("%+v", p.SentinelMasters)
	}
	bad := map[string]string{
		"s:\n  listen: 127.0.0.1:1\n  sentinels:\n   - 10.0.0.1:26379\n  servers:\n   - 10.0.0.5:6379:1\n":                                   `conf: pool 's' server '10.0.0.5:6379' has no name: with "sentinels:", a server's name is its Sentinel master name`,
		"s:\n  listen: 127.0.0.1:1\n  sentinel_masters:\n   - m:1\n":                                                                         `conf: directive "sentinel_masters:" needs "sentinels:" in pool 's'`,
		"s:\n  listen: 127.0.0.1:1\n  sentinels:\n   - x\n  sentinel_masters:\n   - m:1\n":                                                   `conf: directive "sentinels" has an invalid "hostname:port" format string`,
		"s:\n  listen: 127.0.0.1:1\n  sentinels:\n   - h:1\n  sentinel_masters:\n   - m:0\n":                                                 `conf: directive "sentinel_masters" has a zero weight in "name:weight" format string`,
		"s:\n  listen: 127.0.0.1:1\n  sentinels:\n   - h:1\n  servers:\n   - a:1:1 m\n  sentinel_masters:\n   - m:1\n":                       `conf: pool 's' has servers with same name 'm'`,
		"s:\n  listen: 127.0.0.1:1\n  sentinel_password: p\n  servers:\n   - a:1:1\n":                                                        `conf: directive "sentinel_password:" needs "sentinels:" in pool 's'`,
		"s:\n  listen: 127.0.0.1:1\n  sentinels:\n   - h:1\n  sentinel_username: u\n  sentinel_masters:\n   - m:1\n":                         `conf: directive "sentinel_username:" needs "sentinel_password:" in pool 's'`,
		"s:\n  listen: 127.0.0.1:1\n  sentinels:\n   - h:1\n  sentinel_password: a\n  sentinel_password: b\n  sentinel_masters:\n   - m:1\n": `conf: directive "sentinel_password" is a duplicate`,
	}
	for text, want := range bad {
		if _, err := Parse([]byte(text)); err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %q", text, err, want)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load("/nonexistent/x.yml")
	if err == nil || err.Error() != "conf: failed to open configuration '/nonexistent/x.yml': No such file or directory" {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	LookupHost = func(string) error { return nil }
	for _, s := range []string{"", "a:\n  listen: 1:1\n  servers:\n   - 1:1:1\n", "- x", "a: {b: c}"} {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob("testdata/bad/*.yml")
	for _, name := range files {
		data, _ := os.ReadFile(name)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pools, err := Parse(data)
		if err == nil && len(pools) == 0 {
			t.Fatal("no pools and no error")
		}
	})
}

func TestRedisOnly(t *testing.T) {
	pools, _ := Parse([]byte("m:\n  listen: 127.0.0.1:1\n  servers:\n   - 127.0.0.1:11211:1\n"))
	if err := RedisOnly(pools); err == nil || !strings.Contains(err.Error(), "memcache") {
		t.Fatal(err)
	}
}
