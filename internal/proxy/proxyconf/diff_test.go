// A differential test: tricky but plausible files, each accepted or refused
// by nutcracker -t, must be accepted or refused by Parse alike.
package proxyconf

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

var diffCases = []string{
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n  - 127.0.0.1:6379:1\n",
	"a:\n    listen: 127.0.0.1:22121\n    servers:\n        - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121 # comment\n  servers: # c\n   - 127.0.0.1:6379:1 # c\n",
	"# top\na:\n  listen: '127.0.0.1:22121'\n  servers:\n   - \"127.0.0.1:6379:1\"\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1 name with space\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1  two\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - localhost:6379:1\n",
	"a:\n  listen: localhost:22121\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: :22121\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 0.0.0.0:22121\n  servers:\n   - :6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:01\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:+1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:99999999999\n",
	"a:\n  listen: 127.0.0.1:22121\n  timeout: 4000000000\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  timeout: 0\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  redis: True\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  redis: \"true\"\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  hash_tag: \"{}\"\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  hash_tag: {}\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  hash_tag: \"ab\"\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: /tmp/redoubt-diff.sock\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: /tmp/redoubt-diff.sock 0666\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: /tmp/redoubt-diff.sock abc\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - /tmp/redis.sock:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - /tmp/redis.sock:1 n\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n   - 127.0.0.1:6379:2\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:11211:1\n   - 127.0.0.1:11211:2\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\nb:\n  listen: 127.0.0.1:22122\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  redis_auth: \"\"\n  redis: true\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n  redis: true\n",
	"a:\n  servers:\n   - 127.0.0.1:6379:1\n  listen: 127.0.0.1:22121\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   -\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers: 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n...\n",
	"a:\r\n  listen: 127.0.0.1:22121\r\n  servers:\r\n   - 127.0.0.1:6379:1\r\n",
	"\ufeffa:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - ? x\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - x: y\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - - 127.0.0.1:6379:1\n",
	"? a\n: listen: 127.0.0.1:22121\n",
	"a:\n  listen: |\n    127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: >-\n    127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n  x:\n",
	"a:\n  listen: 127.0.0.1:22121\n  backlog: 1e3\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  hash: FNV1A_64\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  client_connections: 5\n  client_connections: 5\n  servers:\n   - 127.0.0.1:6379:1\n",
	"\"\":\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n",
	"1:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\nb:\n",
	"a:\n  listen: 127.0.0.1:65536\n  servers:\n   - 127.0.0.1:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:0:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1::1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - a:b:6379:1\n",
	"a:\n  listen: 127.0.0.1:22121\n  servers:\n   - ::1:6379:1\n",
	"a:\n  listen: ::1:22121\n  servers:\n   - 127.0.0.1:6379:1\n",
	// users' own files (seeds 003 and 004); 004's double space before a
	// name makes nutcracker refuse it ("1 " is not a weight)
	"alpha:\n  listen: 192.168.200.129:22121\n  hash: fnv1a_64\n  distribution: ketama\n  auto_eject_hosts: true\n  redis: true\n  server_retry_timeout: 2000\n  server_failure_limit: 1\n  servers:\n    - 192.168.200.129:7601:1\n    - 192.168.200.129:7602:1\n    - 192.168.200.129:7603:1\n\n",
	"alpha:\n    listen: 127.0.0.1:22222\n    hash: fnv1a_64\n    distribution: ketama \n    auto_eject_hosts: true\n    redis: true\n    server_retry_timeout: 30000\n    server_failure_limit: 1\n    servers:\n      - 192.168.1.10:6379:1 master0\n      - 192.168.1.7:6379:1  master1\n",
	"alpha:\n    listen: 127.0.0.1:22222\n    hash: fnv1a_64\n    distribution: ketama \n    auto_eject_hosts: true\n    redis: true\n    server_retry_timeout: 30000\n    server_failure_limit: 1\n    servers:\n      - 192.168.1.10:6379:1 master0\n      - 192.168.1.7:6379:1 master1\n",
	// seed 001 as its blog printed it: no indentation, en dashes
	"redis:\nlisten: 172.16.10.54:6666 # port\nredis: true\nservers:\n\u2013 172.16.10.55:6379:1\n",
}

func TestDifferential(t *testing.T) {
	if _, err := os.Stat(nutcracker); err != nil {
		t.Skip("nutcracker not installed")
	}
	dir := t.TempDir()
	cases := diffCases
	examples, _ := filepath.Glob("/work/ref_twemproxy/conf/*.yml")
	for _, name := range examples {
		data, _ := os.ReadFile(name)
		cases = append(cases, string(data))
	}
	for i, text := range cases {
		path := filepath.Join(dir, "c.yml")
		os.WriteFile(path, []byte(text), 0o644)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		realOK := exec.CommandContext(ctx, nutcracker, "-t", "-c", path).Run() == nil
		cancel()
		_, err := Parse([]byte(text))
		if (err == nil) != realOK {
			t.Errorf("case %d %q: nutcracker ok=%v, ours err=%v", i, text, realOK, err)
		}
	}
}
