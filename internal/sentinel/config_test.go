// config_test.go checks every sentinel.conf statement against Redis
// 7.0.15's behaviour and error texts (taken from a real redis-sentinel's
// FATAL CONFIG FILE ERROR output), and that ConfigLines read back by
// ApplyConfigLines gives the same lines.
package sentinel

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Unix(1_700_000_000, 0)

const testID = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func init() {
	// Scripts named "/ok..." exist and are executable; others do not.
	scriptExecutable = func(p string) bool { return strings.HasPrefix(p, "/ok") }
}

func newTest(t *testing.T, lines ...string) *Machine {
	t.Helper()
	m := New(testID, 26379)
	var all [][]string
	for _, l := range lines {
		all = append(all, strings.Fields(l))
	}
	if err := m.ApplyConfigLines(all, t0); err != nil {
		t.Fatalf("setup %q: %v", lines, err)
	}
	return m
}

func TestApplyConfigStatements(t *testing.T) {
	base := "monitor m 127.0.0.1 6379 2"
	tests := []struct {
		line  string
		check func(m *Machine) bool
	}{
		{"monitor x 10.0.0.1 7000 3", func(m *Machine) bool {
			x := m.Masters["x"]
			return x != nil && x.Addr == Addr{"10.0.0.1", 7000} && x.Quorum == 3 && x.ParallelSyncs == 1 &&
				x.DownAfter == 30*time.Second && x.FailoverTimeout == 3*time.Minute
		}},
		{"MONITOR x ::1 0 1", func(m *Machine) bool { return m.Masters["x"].Addr == Addr{"::1", 0} }},
		{"monitor x 127.0.0.1 abc 1", func(m *Machine) bool { return m.Masters["x"].Addr.Port == 0 }}, // atoi
		{"down-after-milliseconds m 5000", func(m *Machine) bool { return m.Masters["m"].DownAfter == 5*time.Second }},
		{"failover-timeout m 6000", func(m *Machine) bool { return m.Masters["m"].FailoverTimeout == 6*time.Second }},
		{"parallel-syncs m 3", func(m *Machine) bool { return m.Masters["m"].ParallelSyncs == 3 }},
		{"parallel-syncs m 0", func(m *Machine) bool { return m.Masters["m"].ParallelSyncs == 0 }}, // not checked by Redis
		{"notification-script m /ok.sh", func(m *Machine) bool { return m.Masters["m"].NotificationScript == "/ok.sh" }},
		{"client-reconfig-script m /ok2.sh", func(m *Machine) bool { return m.Masters["m"].ClientReconfigScript == "/ok2.sh" }},
		{"auth-pass m secret", func(m *Machine) bool { return m.Masters["m"].AuthPass == "secret" }},
		{"auth-user m bob", func(m *Machine) bool { return m.Masters["m"].AuthUser == "bob" }},
		{"current-epoch 7", func(m *Machine) bool { return m.CurrentEpoch == 7 }},
		{"myid 0123456789012345678901234567890123456789", func(m *Machine) bool {
			return m.MyID == "0123456789012345678901234567890123456789"
		}},
		{"config-epoch m 9", func(m *Machine) bool { return m.Masters["m"].ConfigEpoch == 9 && m.CurrentEpoch == 9 }},
		{"leader-epoch m 4", func(m *Machine) bool { return m.Masters["m"].LeaderEpoch == 4 && m.CurrentEpoch == 0 }},
		{"known-slave m 127.0.0.1 6380", func(m *Machine) bool { return m.Masters["m"].Replicas["127.0.0.1:6380"] != nil }},
		{"known-replica m 127.0.0.1 6381", func(m *Machine) bool {
			r := m.Masters["m"].Replicas["127.0.0.1:6381"]
			return r != nil && r.Flags&FlagReplica != 0 && r.Master == m.Masters["m"]
		}},
		{"known-sentinel m 127.0.0.1 26380 bbbb", func(m *Machine) bool {
			s := m.Masters["m"].Sentinels["bbbb"]
			return s != nil && s.RunID == "bbbb" && s.Addr == Addr{"127.0.0.1", 26380}
		}},
		{"known-sentinel m 127.0.0.1 26380", func(m *Machine) bool { return len(m.Masters["m"].Sentinels) == 0 }}, // old form ignored
		{"rename-command m CONFIG xconfig", func(m *Machine) bool {
			mm := m.Masters["m"]
			return m.commandName(mm, "config") == "xconfig" && m.commandName(mm, "CONFIG") == "xconfig" &&
				m.commandName(mm, "SLAVEOF") == "SLAVEOF" && m.commandName(nil, "config") == "config"
		}},
		{"announce-ip 10.1.1.1", func(m *Machine) bool { return m.AnnounceIP == "10.1.1.1" }},
		{"announce-port 1234", func(m *Machine) bool { return m.AnnouncePort == 1234 }},
		{"deny-scripts-reconfig no", func(m *Machine) bool { return !m.DenyScriptsReconfig }},
		{"deny-scripts-reconfig YES", func(m *Machine) bool { return m.DenyScriptsReconfig }},
		{"sentinel-user su", func(m *Machine) bool { return m.SentinelUser == "su" }},
		{"sentinel-pass sp", func(m *Machine) bool { return m.SentinelPass == "sp" }},
		{"resolve-hostnames yes", func(m *Machine) bool { return m.ResolveHostnames }},
		{"announce-hostnames yes", func(m *Machine) bool { return m.AnnounceHostnames }},
		{"master-reboot-down-after-period m 0", func(m *Machine) bool { return m.Masters["m"].RebootDownAfter == 0 }},
		{"master-reboot-down-after-period m 100", func(m *Machine) bool {
			return m.Masters["m"].RebootDownAfter == 100*time.Millisecond
		}},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			m := newTest(t, base)
			if err := m.ApplyConfig(strings.Fields(tc.line), t0); err != nil {
				t.Fatalf("error %q", err)
			}
			if !tc.check(m) {
				t.Fatalf("state not as expected")
			}
		})
	}
}

// TestDownAfterPropagates: down-after reaches the replicas and
// sentinels already known (sentinelPropagateDownAfterPeriod), and new
// ones inherit it.
func TestDownAfterPropagates(t *testing.T) {
	m := newTest(t, "monitor m 127.0.0.1 6379 2", "known-replica m 127.0.0.1 6380",
		"known-sentinel m 127.0.0.1 26380 bbbb", "down-after-milliseconds m 1234", "known-replica m 127.0.0.1 6381")
	mm := m.Masters["m"]
	for _, inst := range []*Instance{mm.Replicas["127.0.0.1:6380"], mm.Replicas["127.0.0.1:6381"], mm.Sentinels["bbbb"]} {
		if inst.DownAfter != 1234*time.Millisecond {
			t.Errorf("%s: down-after %v", inst.Name, inst.DownAfter)
		}
	}
}

// The expected texts are what redis-sentinel 7.0.15 prints for each line.
func TestApplyConfigErrors(t *testing.T) {
	tests := []struct{ setup, line, want string }{
		{"", "monitor m 127.0.0.1 6379 0", "Quorum must be 1 or greater."},
		{"", "monitor m 127.0.0.1 6379 x", "Quorum must be 1 or greater."},
		{"", "monitor m localhost 6379 1", "Can't resolve instance hostname."},
		{"", "monitor m 127.0.0.1 70000 1", "Invalid port number."},
		{"", "monitor m 127.0.0.1 -1 1", "Invalid port number."},
		{"m", "monitor m 127.0.0.2 6379 1", "Duplicate master name."},
		{"", "monitor m 127.0.0.1 6379", "Unrecognized sentinel configuration statement."},
		{"", "down-after-milliseconds nope 10", "No such master with specified name."},
		{"m", "down-after-milliseconds m 0", "negative or zero time parameter."},
		{"m", "failover-timeout m -1", "negative or zero time parameter."},
		{"", "failover-timeout nope 1", "No such master with specified name."},
		{"", "parallel-syncs nope 1", "No such master with specified name."},
		{"m", "notification-script m /nonexistent", "Notification script seems non existing or non executable."},
		{"m", "client-reconfig-script m /nonexistent", "Client reconfiguration script seems non existing or non executable."},
		{"", "notification-script nope /ok", "No such master with specified name."},
		{"", "client-reconfig-script nope /ok", "No such master with specified name."},
		{"", "auth-pass nope x", "No such master with specified name."},
		{"", "auth-user nope x", "No such master with specified name."},
		{"", "config-epoch nope 1", "No such master with specified name."},
		{"", "leader-epoch nope 1", "No such master with specified name."},
		{"", "myid abc", "Malformed Sentinel id in myid option."},
		{"", "known-replica nope 127.0.0.1 6380", "No such master with specified name."},
		{"m", "known-replica m host 6380", "Can't resolve instance hostname."},
		{"m", "known-replica m 127.0.0.1 6380\nknown-replica m 127.0.0.1 6380", "Duplicate hostname and port for replica."},
		{"m", "known-slave m 127.0.0.1 99999", "Invalid port number."},
		{"", "known-sentinel nope 127.0.0.1 26380 bbbb", "No such master with specified name."},
		{"m", "known-sentinel m 127.0.0.1 26380 aaaa\nknown-sentinel m 127.0.0.1 26381 aaaa", "Duplicate runid for sentinel."},
		{"m", "rename-command m CONFIG a\nrename-command m config b", "Same command renamed multiple times with rename-command."},
		{"", "rename-command nope a b", "No such master with specified name."},
		{"", "deny-scripts-reconfig maybe", "Please specify yes or no for the deny-scripts-reconfig options."},
		{"", "resolve-hostnames x", "Please specify yes or no for the resolve-hostnames option."},
		{"", "announce-hostnames x", "Please specify yes or no for the announce-hostnames option."},
		{"m", "master-reboot-down-after-period m -5", "negative time parameter."},
		{"", "master-reboot-down-after-period nope 5", "No such master with specified name."},
		{"", "foo bar", "Unrecognized sentinel configuration statement."},
		{"", "myid", "Unrecognized sentinel configuration statement."},
		{"m", "auth-pass m", "Unrecognized sentinel configuration statement."},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			m := New(testID, 26379)
			if tc.setup == "m" {
				if err := m.ApplyConfig(strings.Fields("monitor m 127.0.0.1 6379 1"), t0); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			for _, l := range strings.Split(tc.line, "\n") {
				if err = m.ApplyConfig(strings.Fields(l), t0); err != nil {
					break
				}
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestApplyConfigLinesOrder: global options apply before monitors, and
// monitors before the rest, whatever the file's order.
func TestApplyConfigLinesOrder(t *testing.T) {
	m := New(testID, 26379)
	lines := [][]string{
		{"known-replica", "m", "db2", "6380"},
		{"monitor", "m", "db1", "6379", "2"},
		{"resolve-hostnames", "yes"},
	}
	if err := m.ApplyConfigLines(lines, t0); err != nil {
		t.Fatal(err)
	}
	if m.Masters["m"].Replicas["db2:6380"] == nil {
		t.Fatal("replica missing")
	}
	err := m.ApplyConfigLines([][]string{{"current-epoch", "1"}, {"parallel-syncs", "x", "1"}}, t0)
	ce, ok := err.(*ConfigLineError)
	if !ok || ce.Index != 1 || ce.Error() != "No such master with specified name." {
		t.Fatalf("got %#v", err)
	}
}

func TestConfigLinesRoundTrip(t *testing.T) {
	m := newTest(t,
		"myid "+testID,
		"deny-scripts-reconfig no",
		"monitor m 127.0.0.1 6379 2",
		"down-after-milliseconds m 5000",
		"failover-timeout m 6000",
		"parallel-syncs m 3",
		"notification-script m /ok-n.sh",
		"client-reconfig-script m /ok-c.sh",
		"auth-pass m secret",
		"auth-user m bob",
		"master-reboot-down-after-period m 100",
		"config-epoch m 3",
		"leader-epoch m 2",
		"known-replica m 127.0.0.1 6381",
		"known-replica m 127.0.0.1 6380",
		"known-sentinel m 127.0.0.1 26380 cccc",
		"known-sentinel m 127.0.0.1 26381 bbbb",
		"rename-command m SLAVEOF xslaveof",
		"rename-command m CONFIG xconfig",
		"monitor a 10.0.0.1 7000 1",
		"current-epoch 5",
		"announce-ip 10.9.9.9",
		"announce-port 1234",
		"sentinel-user su",
		"sentinel-pass sp",
	)
	want := []string{
		"myid " + testID,
		"deny-scripts-reconfig no",
		"monitor a 10.0.0.1 7000 1",
		"config-epoch a 0",
		"leader-epoch a 0",
		"monitor m 127.0.0.1 6379 2",
		"down-after-milliseconds m 5000",
		"failover-timeout m 6000",
		"parallel-syncs m 3",
		"notification-script m /ok-n.sh",
		"client-reconfig-script m /ok-c.sh",
		"auth-pass m secret",
		"auth-user m bob",
		"master-reboot-down-after-period m 100",
		"config-epoch m 3",
		"leader-epoch m 2",
		"known-replica m 127.0.0.1 6380",
		"known-replica m 127.0.0.1 6381",
		"known-sentinel m 127.0.0.1 26381 bbbb",
		"known-sentinel m 127.0.0.1 26380 cccc",
		"rename-command m CONFIG xconfig",
		"rename-command m SLAVEOF xslaveof",
		"current-epoch 5",
		"announce-ip 10.9.9.9",
		"announce-port 1234",
		"sentinel-user su",
		"sentinel-pass sp",
	}
	got := joinLines(m.ConfigLines())
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ConfigLines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	m2 := New("", 26379)
	if err := m2.ApplyConfigLines(m.ConfigLines(), t0); err != nil {
		t.Fatal(err)
	}
	if got2 := joinLines(m2.ConfigLines()); !reflect.DeepEqual(got2, want) {
		t.Fatalf("round trip:\n%s", strings.Join(got2, "\n"))
	}

	// Defaults write only what Redis always writes.
	m3 := newTest(t, "monitor m 127.0.0.1 6379 2")
	if got := joinLines(m3.ConfigLines()); !reflect.DeepEqual(got, []string{
		"myid " + testID, "monitor m 127.0.0.1 6379 2", "config-epoch m 0", "leader-epoch m 0", "current-epoch 0",
	}) {
		t.Fatalf("defaults: %q", got)
	}
	m4 := newTest(t, "resolve-hostnames yes", "announce-hostnames yes")
	if got := joinLines(m4.ConfigLines()); !reflect.DeepEqual(got, []string{
		"myid " + testID, "resolve-hostnames yes", "announce-hostnames yes", "current-epoch 0",
	}) {
		t.Fatalf("hostnames: %q", got)
	}
}

// TestConfigLinesDuringFailover: once the promoted replica is being
// announced, the monitor line names it and the old master is written
// as a replica in its place (rewriteConfigSentinelOption).
func TestConfigLinesDuringFailover(t *testing.T) {
	m := newTest(t, "monitor m 127.0.0.1 6379 2", "known-replica m 127.0.0.1 6380", "known-replica m 127.0.0.1 6381")
	mm := m.Masters["m"]
	mm.Flags |= FlagFailoverInProgress
	mm.PromotedReplica = mm.Replicas["127.0.0.1:6381"]
	mm.FailoverState = FailoverWaitPromotion
	if got := joinLines(m.ConfigLines())[1]; got != "monitor m 127.0.0.1 6379 2" {
		t.Fatalf("before reconf: %q", got)
	}
	mm.FailoverState = FailoverReconfReplicas
	got := joinLines(m.ConfigLines())
	want := []string{"myid " + testID, "monitor m 127.0.0.1 6381 2", "config-epoch m 0", "leader-epoch m 0",
		"known-replica m 127.0.0.1 6380", "known-replica m 127.0.0.1 6379", "current-epoch 0"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
}

func joinLines(lines [][]string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, strings.Join(l, " "))
	}
	return out
}

func TestAtoiStrtoull(t *testing.T) {
	for s, want := range map[string]int{"12": 12, " 7": 7, "12x": 12, "x": 0, "-3": -3, "+4": 4, "": 0} {
		if got := confAtoi(s); got != want {
			t.Errorf("confAtoi(%q) = %d", s, got)
		}
	}
	for s, want := range map[string]uint64{"12": 12, "x": 0, "18446744073709551615": 1<<64 - 1, "99999999999999999999": 1<<64 - 1} {
		if got := strtoull(s); got != want {
			t.Errorf("strtoull(%q) = %d", s, got)
		}
	}
}
