// Package servercmds tests redoubt's server-introspection commands against
// real processes: INFO's sections and field names against a real
// redis-server's, MONITOR delivering other clients' commands, the slow log
// recording what Redis records, DEBUG's admission rule and SHUTDOWN.
package servercmds

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// infoSection is one "# Name" block of INFO: its field names in order.
type infoSection struct {
	name   string
	fields []string
}

func parseInfo(t *testing.T, text string) []infoSection {
	t.Helper()
	var out []infoSection
	for _, block := range strings.Split(text, "\r\n\r\n") {
		lines := strings.Split(strings.TrimRight(block, "\r\n"), "\r\n")
		if len(lines) == 0 || !strings.HasPrefix(lines[0], "# ") {
			t.Fatalf("INFO block without a header: %q", block)
		}
		sec := infoSection{name: lines[0][2:]}
		for _, l := range lines[1:] {
			name, _, ok := strings.Cut(l, ":")
			if !ok {
				t.Fatalf("INFO line without ':' in %s: %q", sec.name, l)
			}
			sec.fields = append(sec.fields, name)
		}
		out = append(out, sec)
	}
	return out
}

// infoDataDriven are sections whose lines depend on what ran, not on the
// server: their field names are compared as sets.
var infoDataDriven = map[string]bool{"Commandstats": true, "Errorstats": true, "Latencystats": true, "Keyspace": true}

// infoAllowedDifferences lists fields that legitimately differ, with why.
var infoAllowedDifferences = map[string]string{}

func TestInfoFieldsMatchRedis(t *testing.T) {
	real := testutil.StartRedis(t)
	ours := testutil.StartRedoubt(t)
	infos := map[string][]infoSection{}
	for name, addr := range map[string]string{"redis": real.Addr, "redoubt": ours.Addr} {
		c := testutil.DialRaw(t, addr)
		// The same traffic on both, so the data-driven sections have lines.
		c.Do("SET", "k", "v")
		c.Do("GET", "k")
		c.Do("GET", "missing")
		c.Do("NOSUCHCOMMAND")
		c.Do("SELECT", "3")
		c.Do("SET", "k3", "v")
		infos[name] = parseInfo(t, c.Do("INFO", "everything").Body())
	}
	want, got := infos["redis"], infos["redoubt"]
	names := func(secs []infoSection) []string {
		var n []string
		for _, s := range secs {
			n = append(n, s.name)
		}
		return n
	}
	if !slices.Equal(names(want), names(got)) {
		t.Fatalf("INFO everything sections differ:\n  redis:   %v\n  redoubt: %v", names(want), names(got))
	}
	for i := range want {
		w, g := want[i].fields, got[i].fields
		if infoDataDriven[want[i].name] {
			w, g = slices.Clone(w), slices.Clone(g)
			slices.Sort(w)
			slices.Sort(g)
		}
		for _, f := range w {
			if !slices.Contains(g, f) && infoAllowedDifferences[f] == "" {
				t.Errorf("section %s: redoubt lacks field %s", want[i].name, f)
			}
		}
		for _, f := range g {
			if !slices.Contains(w, f) && infoAllowedDifferences[f] == "" {
				t.Errorf("section %s: redoubt has extra field %s", want[i].name, f)
			}
		}
		if !infoDataDriven[want[i].name] && !slices.Equal(w, g) && !t.Failed() {
			t.Errorf("section %s: field order differs:\n  redis:   %v\n  redoubt: %v", want[i].name, w, g)
		}
	}
	if len(got) != 13 {
		t.Errorf("INFO everything has %d sections, want 13", len(got))
	}
}

func TestInfoSectionSelection(t *testing.T) {
	real := testutil.StartRedis(t)
	ours := testutil.StartRedoubt(t)
	rc, oc := testutil.DialRaw(t, real.Addr), testutil.DialRaw(t, ours.Addr)
	for _, args := range [][]string{
		{"INFO"}, {"INFO", "default"}, {"INFO", "all"}, {"INFO", "CPU", "keyspace", "Server"},
		{"INFO", "nosuch"}, {"INFO", "modules"}, {"INFO", "commandstats", "latencystats"},
		{"INFO", "all", "keyspace"},
	} {
		w := names(parseInfoOrEmpty(t, rc.Do(args...).Body()))
		g := names(parseInfoOrEmpty(t, oc.Do(args...).Body()))
		if !slices.Equal(w, g) {
			t.Errorf("%v: sections differ\n  redis:   %v\n  redoubt: %v", args, w, g)
		}
	}
}

func parseInfoOrEmpty(t *testing.T, text string) []infoSection {
	if text == "" {
		return nil
	}
	return parseInfo(t, text)
}

func names(secs []infoSection) []string {
	var n []string
	for _, s := range secs {
		n = append(n, s.name)
	}
	return n
}

func TestInfoCountsActivity(t *testing.T) {
	ours := testutil.StartRedoubt(t, "--enable-debug-command", "yes")
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: ours.Addr, Protocol: 2, DisableIdentity: true})
	defer rdb.Close()
	rdb.Set(ctx, "a", "1", 0)
	rdb.Get(ctx, "a")
	rdb.Get(ctx, "nope")
	rdb.Do(ctx, "DEBUG", "SLEEP", "0.002")
	info, err := rdb.Info(ctx, "everything").Result()
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, l := range strings.Split(info, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			fields[k] = v
		}
	}
	for k, want := range map[string]string{
		"keyspace_hits": "1", "keyspace_misses": "1", "db0": "keys=1,expires=0,avg_ttl=0",
		"redis_version": "7.0.15", "redis_mode": "standalone", "role": "master", "tcp_port": fmt.Sprint(ours.Port),
	} {
		if fields[k] != want {
			t.Errorf("%s = %q, want %q", k, fields[k], want)
		}
	}
	if !strings.HasPrefix(fields["cmdstat_get"], "calls=2,") {
		t.Errorf("cmdstat_get = %q", fields["cmdstat_get"])
	}
	// DEBUG SLEEP 0.002 took at least 2ms: its p50 must say so.
	lat := fields["latency_percentiles_usec_debug"]
	var p50, p99, p999 float64
	if _, err := fmt.Sscanf(lat, "p50=%f,p99=%f,p99.9=%f", &p50, &p99, &p999); err != nil || p50 < 2000 {
		t.Errorf("latency_percentiles_usec_debug = %q", lat)
	}
}

func TestMonitorReceivesOtherClientsCommands(t *testing.T) {
	ours := testutil.StartRedoubt(t, "--enable-debug-command", "yes")
	mon := testutil.DialRaw(t, ours.Addr)
	if rep := mon.Do("MONITOR"); string(rep.Raw) != "+OK\r\n" {
		t.Fatalf("MONITOR: %q", rep.Raw)
	}
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: ours.Addr, Protocol: 2, DisableIdentity: true, PoolSize: 1})
	defer rdb.Close()
	rdb.Set(ctx, "key", "a \"b\"\n\x01", 0)
	rdb.Do(ctx, "DEBUG", "SLEEP", "0") // admin: not shown
	rdb.Do(ctx, "SELECT", "2")
	rdb.Get(ctx, "key")
	want := []string{
		`"set" "key" "a \"b\"\n\x01"`,
		`"SELECT" "2"`,
		`"get" "key"`,
	}
	mon.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got []string
	for len(got) < len(want) {
		line, err := mon.R.ReadString('\n')
		if err != nil {
			t.Fatalf("monitor read after %q: %v", got, err)
		}
		// "+<sec>.<usec> [<db> <addr>] <args>\r\n"
		_, rest, ok := strings.Cut(strings.TrimSuffix(line, "\r\n"), "] ")
		if !ok || line[0] != '+' {
			t.Fatalf("malformed monitor line %q", line)
		}
		if strings.HasPrefix(rest, `"hello"`) || strings.HasPrefix(rest, `"client"`) {
			continue // connection set-up of the client library
		}
		got = append(got, rest)
		if strings.HasPrefix(rest, `"get"`) && !strings.Contains(line, " [2 127.0.0.1:") {
			t.Errorf("GET after SELECT 2 should show db 2: %q", line)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("monitor saw\n  %q\nwant\n  %q", got, want)
	}
}

func TestSlowlogRecordsLikeRedis(t *testing.T) {
	args := []string{"--slowlog-log-slower-than", "0", "--slowlog-max-len", "3"}
	real := testutil.StartRedis(t, args...)
	ours := testutil.StartRedoubt(t, args...)
	long := strings.Repeat("x", 200)
	many := []string{"LATENCY", "RESET"}
	for i := 0; i < 40; i++ {
		many = append(many, fmt.Sprint("k", i))
	}
	entries := map[string][][]string{}
	for name, addr := range map[string]string{"redis": real.Addr, "redoubt": ours.Addr} {
		ctx := context.Background()
		rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, PoolSize: 1})
		defer rdb.Close()
		rdb.Do(ctx, "SLOWLOG", "RESET")
		rdb.Set(ctx, "k", long, 0)
		rdb.Do(ctx, toAny(many)...)
		n, err := rdb.Do(ctx, "SLOWLOG", "LEN").Int64()
		if err != nil || n != 3 {
			t.Fatalf("%s: SLOWLOG LEN = %d, %v (want 3: capped by slowlog-max-len)", name, n, err)
		}
		logs, err := rdb.SlowLogGet(ctx, -1).Result()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, l := range logs {
			if l.ClientName != "" || !strings.HasPrefix(l.ClientAddr, "127.0.0.1:") {
				t.Errorf("%s: entry %d client %q %q", name, i, l.ClientName, l.ClientAddr)
			}
			if i > 0 && l.ID >= logs[i-1].ID {
				t.Errorf("%s: entries not newest first: %d then %d", name, logs[i-1].ID, l.ID)
			}
			entries[name] = append(entries[name], l.Args)
		}
	}
	if len(entries["redoubt"]) != 3 {
		t.Fatalf("redoubt slowlog: %q", entries["redoubt"])
	}
	for i := range entries["redis"] {
		if !slices.Equal(entries["redis"][i], entries["redoubt"][i]) {
			t.Errorf("entry %d args differ:\n  redis:   %q\n  redoubt: %q", i, entries["redis"][i], entries["redoubt"][i])
		}
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func TestDebugNeedsEnableDebugCommand(t *testing.T) {
	const denied = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
	for _, tc := range []struct {
		setting string
		allowed bool
	}{{"no", false}, {"local", true}, {"yes", true}} {
		ours := testutil.StartRedoubt(t, "--enable-debug-command", tc.setting)
		c := testutil.DialRaw(t, ours.Addr)
		rep := c.Do("DEBUG", "SLEEP", "0")
		if tc.allowed && string(rep.Raw) != "+OK\r\n" {
			t.Errorf("%s: DEBUG SLEEP 0 = %q", tc.setting, rep.Raw)
		}
		if !tc.allowed && string(rep.Raw) != "-"+denied+"\r\n" {
			t.Errorf("%s: DEBUG SLEEP 0 = %q", tc.setting, rep.Raw)
		}
		if !tc.allowed {
			info := c.Do("INFO", "commandstats").Body()
			if !strings.Contains(info, "cmdstat_debug:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0") {
				t.Errorf("denied DEBUG should count as rejected: %q", info)
			}
		}
	}
}

func TestShutdownStopsTheProcess(t *testing.T) {
	ours := testutil.StartRedoubt(t)
	other := testutil.DialRaw(t, ours.Addr)
	other.Do("PING")
	c := testutil.DialRaw(t, ours.Addr)
	if rep := c.Do("SHUTDOWN", "ABORT"); string(rep.Raw) != "-ERR No shutdown in progress.\r\n" {
		t.Fatalf("SHUTDOWN ABORT = %q", rep.Raw)
	}
	c.Send("SHUTDOWN", "NOSAVE")
	if rep, err := testutil.ReadReply(c.R); err == nil {
		t.Fatalf("SHUTDOWN replied %q; the connection should just close", rep.Raw)
	}
	// The other client is disconnected too, and the process exits.
	other.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := other.R.ReadByte(); err == nil {
		t.Error("other client still connected after SHUTDOWN")
	}
	deadline := time.Now().Add(10 * time.Second)
	for ours.Cmd.Process.Signal(syscall.Signal(0)) == nil {
		if time.Now().After(deadline) {
			t.Fatal("process still running after SHUTDOWN")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLatencyMonitorRecordsSlowCommands(t *testing.T) {
	ours := testutil.StartRedoubt(t, "--enable-debug-command", "yes", "--latency-monitor-threshold", "5")
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: ours.Addr, Protocol: 2, DisableIdentity: true})
	defer rdb.Close()
	if err := rdb.Do(ctx, "DEBUG", "SLEEP", "0.02").Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Ping(ctx) // fast and far below the threshold: no event
	latest, err := rdb.Do(ctx, "LATENCY", "LATEST").Slice()
	if err != nil || len(latest) != 1 {
		t.Fatalf("LATENCY LATEST = %v, %v", latest, err)
	}
	ev := latest[0].([]any)
	if ev[0] != "command" || ev[2].(int64) < 20 || ev[3].(int64) < 20 {
		t.Errorf("event = %v, want command with latency >= 20ms", ev)
	}
	hist, err := rdb.Do(ctx, "LATENCY", "HISTORY", "command").Slice()
	if err != nil || len(hist) != 1 {
		t.Fatalf("LATENCY HISTORY command = %v, %v", hist, err)
	}
	graph, err := rdb.Do(ctx, "LATENCY", "GRAPH", "command").Text()
	if err != nil || !strings.HasPrefix(graph, "command - high ") {
		t.Errorf("LATENCY GRAPH = %q, %v", graph, err)
	}
	if n, err := rdb.Do(ctx, "LATENCY", "RESET").Int64(); err != nil || n != 1 {
		t.Errorf("LATENCY RESET = %d, %v", n, err)
	}
	if latest, _ := rdb.Do(ctx, "LATENCY", "LATEST").Slice(); len(latest) != 0 {
		t.Errorf("after RESET, LATENCY LATEST = %v", latest)
	}
	h, err := rdb.Do(ctx, "LATENCY", "HISTOGRAM", "debug").Slice()
	if err != nil || len(h) != 2 || h[0] != "debug" {
		t.Fatalf("LATENCY HISTOGRAM debug = %v, %v", h, err)
	}
}
