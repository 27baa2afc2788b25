// The stock redis.conf shipped by Debian's redis-server package must load
// in redoubt unchanged (only the process-placement directives overridden on
// the command line, for both servers), and CONFIG GET * must then report
// the same value for every directive as the real server loaded with the
// same file and arguments.
package config_test

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/test/testutil"
)

const stockConf = "/etc/redis/redis.conf"

func configMap(t *testing.T, rc *testutil.RawConn) map[string]string {
	t.Helper()
	rep := rc.Do("CONFIG", "GET", "*")
	if rep.Kind != '*' || len(rep.Elems)%2 != 0 {
		t.Fatalf("CONFIG GET * reply: %q", rep.Raw)
	}
	m := map[string]string{}
	for i := 0; i < len(rep.Elems); i += 2 {
		k := (&testutil.Reply{Raw: rep.Elems[i], Kind: '$'}).Body()
		v := (&testutil.Reply{Raw: rep.Elems[i+1], Kind: '$'}).Body()
		m[k] = v
	}
	return m
}

func TestStockRedisConfLoads(t *testing.T) {
	data, err := os.ReadFile(stockConf)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: CI must install redis-server", stockConf)
		}
		t.Skip(stockConf + " not installed")
	}
	dir := t.TempDir()
	conf := dir + "/redis.conf"
	if err := os.WriteFile(conf, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// StartRedis/StartRedoubt add --port, --bind, --dir, --save and --appendonly.
	over := []string{"--daemonize", "no", "--logfile", "", "--pidfile", ""}
	real := testutil.StartRedis(t, append([]string{conf}, over...)...)
	ours := testutil.StartRedoubt(t, append([]string{conf}, over...)...)
	want := configMap(t, testutil.DialRaw(t, real.Addr))
	got := configMap(t, testutil.DialRaw(t, ours.Addr))
	var diffs []string
	for k, v := range want {
		switch k {
		case "port", "dir", "pidfile", "logfile", "unixsocket":
			continue // placement differs by construction
		}
		if g, ok := got[k]; !ok {
			diffs = append(diffs, "missing "+k)
		} else if g != v {
			diffs = append(diffs, k+": redis="+v+" redoubt="+g)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "extra "+k)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Fatalf("CONFIG GET * differs after loading the stock redis.conf:\n%s", strings.Join(diffs, "\n"))
	}
}
