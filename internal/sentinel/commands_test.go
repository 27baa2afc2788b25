// commands_test.go checks the SENTINEL subcommands, INFO's section and
// ROLE: reply shapes, and error texts as a real redis-sentinel 7.0.15
// gives them (collected with redis-cli against one monitoring a master
// with a replica).
package sentinel

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// render prints a reply compactly: +status, -error, :int, "bulk",
// [array], {map}, *-1 (null array), $-1 (null bulk).
func render(r Reply) string {
	switch {
	case r.Err != "":
		return "-" + r.Err
	case r.Status:
		return "+" + r.Str
	case r.IsInt:
		return fmt.Sprintf(":%d", r.Int)
	case r.Nil && r.IsArr:
		return "*-1"
	case r.Nil:
		return "$-1"
	case r.IsArr:
		var parts []string
		if r.Map {
			for i := 0; i+1 < len(r.Array); i += 2 {
				parts = append(parts, render(r.Array[i])+": "+render(r.Array[i+1]))
			}
			return "{" + strings.Join(parts, ", ") + "}"
		}
		for _, a := range r.Array {
			parts = append(parts, render(a))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprintf("%q", r.Str)
}

// keys lists a map reply's keys.
func keys(r Reply) string {
	var k []string
	for i := 0; i < len(r.Array); i += 2 {
		k = append(k, r.Array[i].Str)
	}
	return strings.Join(k, " ")
}

// fixture is a sentinel monitoring mymaster (one replica, two other
// sentinels), with links up and some history, at t0.
func fixture(t *testing.T) *Machine {
	m := newTest(t,
		"monitor mymaster 127.0.0.1 17379 2",
		"down-after-milliseconds mymaster 5000",
		"known-replica mymaster 127.0.0.1 17380",
		"known-sentinel mymaster 127.0.0.1 26380 bbbb",
		"known-sentinel mymaster 127.0.0.1 26381 cccc",
	)
	mm := m.Masters["mymaster"]
	up := func(inst *Instance) {
		inst.Link = Link{Connected: true, PubSubConnected: true, LastAvailTime: t0.Add(-955 * time.Millisecond),
			LastPongTime: t0.Add(-955 * time.Millisecond)}
		inst.InfoRefresh = t0.Add(-2006 * time.Millisecond)
		inst.RoleReportedTime = t0.Add(-2011 * time.Millisecond)
	}
	up(&mm.Instance)
	mm.RunID = "b881e9bae8eee513d9cdcdd345792c3ad4347bed"
	mm.Info = "# Server\r\nrole:master\r\n"
	r := mm.Replicas["127.0.0.1:17380"]
	up(r)
	r.RunID = "69fad3bc6215cfbcc497b3f494401aa23d4e9018"
	r.ReplicaMasterHost, r.ReplicaMasterPort, r.ReplicaMasterLinkUp, r.ReplicaReplOffset = "127.0.0.1", 17379, true, 1562
	r.Info = "# Server\r\nrole:slave\r\n"
	s := mm.Sentinels["bbbb"]
	up(s)
	s.LastHelloTime = t0.Add(-300 * time.Millisecond)
	s.Leader, s.LeaderEpoch = "bbbb", 3
	mm.Sentinels["cccc"].Link.Connected = true
	m.Ready()
	return m
}

func cmd(m *Machine, line string) Reply {
	args := strings.Fields(line)
	for i, a := range args {
		if a == `''` {
			args[i] = ""
		}
	}
	return m.Command(t0, args)
}

func TestCommandReplies(t *testing.T) {
	tests := []struct {
		line string
		want string
	}{
		// Arity and lookup, as Redis's command table checks them.
		{"sentinel", "-ERR wrong number of arguments for 'sentinel' command"},
		{"sentinel foo", "-ERR unknown subcommand 'foo'. Try SENTINEL HELP."},
		{"sentinel FooBar", "-ERR unknown subcommand 'FooBar'. Try SENTINEL HELP."},
		{"sentinel masters x", "-ERR wrong number of arguments for 'sentinel|masters' command"},
		{"sentinel MASTER", "-ERR wrong number of arguments for 'sentinel|master' command"},
		{"sentinel set mymaster", "-ERR wrong number of arguments for 'sentinel|set' command"},
		{"sentinel set mymaster quorum", "-ERR wrong number of arguments for 'sentinel|set' command"},
		{"sentinel myid x", "-ERR wrong number of arguments for 'sentinel|myid' command"},
		{"sentinel is-master-down-by-addr a b c", "-ERR wrong number of arguments for 'sentinel|is-master-down-by-addr' command"},
		{"sentinel info-cache", "-ERR wrong number of arguments for 'sentinel|info-cache' command"},
		{"sentinel simulate-failure", "-ERR wrong number of arguments for 'sentinel|simulate-failure' command"},
		{"sentinel help x", "-ERR wrong number of arguments for 'sentinel|help' command"},
		{"sentinel config", "-ERR wrong number of arguments for 'sentinel|config' command"},

		{"sentinel myid", `"` + testID + `"`},
		{"sentinel master nope", "-ERR No such master with that name"},
		{"sentinel replicas nope", "-ERR No such master with that name"},
		{"sentinel slaves nope", "-ERR No such master with that name"},
		{"sentinel sentinels nope", "-ERR No such master with that name"},
		{"sentinel failover nope", "-ERR No such master with that name"},
		{"sentinel remove nope", "-ERR No such master with that name"},
		{"sentinel ckquorum nope", "-ERR No such master with that name"},
		{"sentinel set nope quorum 1", "-ERR No such master with that name"},
		{"sentinel get-master-addr-by-name nope", "*-1"},
		{"sentinel get-master-addr-by-name mymaster", `["127.0.0.1", "17379"]`},
		{"sentinel pending-scripts", "[]"},
		{"sentinel is-master-down-by-addr 127.0.0.1 x 0 *", "-ERR value is not an integer or out of range"},
		{"sentinel is-master-down-by-addr 127.0.0.1 17379 x *", "-ERR value is not an integer or out of range"},
		{"sentinel is-master-down-by-addr 127.0.0.1 +1 0 *", "-ERR value is not an integer or out of range"},
		{"sentinel is-master-down-by-addr 127.0.0.1 17379 0 *", `[:0, "*", :0]`},
		{"sentinel reset nomatch", ":0"},
		{"sentinel reset my*", ":1"},
		{"sentinel reset *", ":1"},

		{"sentinel monitor a 127.0.0.1 1 x", "-ERR Invalid quorum"},
		{"sentinel monitor a 127.0.0.1 x 1", "-ERR Invalid port"},
		{"sentinel monitor a 127.0.0.1 1 0", "-ERR Quorum must be 1 or greater."},
		{"sentinel monitor a notanip 1 1", "-ERR Invalid IP address or hostname specified"},
		{"sentinel monitor mymaster 127.0.0.1 1 1", "-ERR Duplicate master name."},
		{"sentinel monitor a 127.0.0.1 70000 1", "-ERR Invalid port number."},
		{"sentinel monitor a 127.0.0.1 -1 1", "-ERR Invalid port number."},
		{"sentinel monitor a 127.0.0.1 0 1", "+OK"},
		{"sentinel flushconfig", "+OK"},
		{"sentinel remove mymaster", "+OK"},

		// 3 usable of 3 known, quorum 2.
		{"sentinel ckquorum mymaster", "+OK 3 usable Sentinels. Quorum and failover authorization can be reached"},

		{"sentinel set mymaster foo bar", "-ERR Unknown option or number of arguments for SENTINEL SET 'foo'"},
		{"sentinel set mymaster quorum x", "-ERR Invalid argument 'x' for SENTINEL SET 'quorum'"},
		{"sentinel set mymaster quorum 0", "-ERR Invalid argument '0' for SENTINEL SET 'quorum'"},
		{"sentinel set mymaster down-after-milliseconds 0", "-ERR Invalid argument '0' for SENTINEL SET 'down-after-milliseconds'"},
		{"sentinel set mymaster failover-timeout -1", "-ERR Invalid argument '-1' for SENTINEL SET 'failover-timeout'"},
		{"sentinel set mymaster parallel-syncs 0", "-ERR Invalid argument '0' for SENTINEL SET 'parallel-syncs'"},
		{"sentinel set mymaster master-reboot-down-after-period -1", "-ERR Invalid argument '-1' for SENTINEL SET 'master-reboot-down-after-period'"},
		{"sentinel set mymaster notification-script /bin/true", "-ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration"},
		{"sentinel set mymaster client-reconfig-script /bin/true", "-ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration"},
		{"sentinel set mymaster rename-command a", "-ERR Unknown option or number of arguments for SENTINEL SET 'rename-command'"},
		{"sentinel set mymaster rename-command '' b", "-ERR Invalid argument '' for SENTINEL SET 'rename-command'"},
		{"sentinel set mymaster rename-command a ''", "-ERR Invalid argument '' for SENTINEL SET 'rename-command'"},
		{"sentinel set mymaster quorum 1 down-after-milliseconds 1000 failover-timeout 1000 parallel-syncs 2 auth-pass x auth-user y rename-command config xconfig master-reboot-down-after-period 0", "+OK"},

		{"sentinel config get", "-ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."},
		{"sentinel config foo bar", "-ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."},
		{"sentinel config get * x", "-ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."},
		{"sentinel config set foo bar", "-ERR Invalid argument 'foo' to SENTINEL CONFIG SET"},
		{"sentinel config set announce-port x", "-ERR Invalid value 'x' to SENTINEL CONFIG SET 'announce-port'"},
		{"sentinel config set announce-port 65536", "-ERR Invalid value '65536' to SENTINEL CONFIG SET 'announce-port'"},
		{"sentinel config set resolve-hostnames maybe", "-ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'resolve-hostnames'"},
		{"sentinel config set announce-hostnames maybe", "-ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'announce-hostnames'"},
		{"sentinel config set announce-ip 1.2.3.4", "+OK"},
		{"sentinel config get nomatch", "{}"},
		{"sentinel config get announce*", `{"announce-hostnames": "no", "announce-ip": "", "announce-port": "0"}`},
		{"sentinel config get *", `{"resolve-hostnames": "no", "announce-hostnames": "no", "announce-ip": "", "announce-port": "0", "sentinel-user": "", "sentinel-pass": ""}`},
		{"sentinel config get SENTINEL-*", `{"sentinel-user": "", "sentinel-pass": ""}`},

		{"sentinel debug", `{"INFO-PERIOD": "10000", "PING-PERIOD": "1000", "ASK-PERIOD": "1000", "PUBLISH-PERIOD": "2000", "DEFAULT-DOWN-AFTER": "30000", "DEFAULT-FAILOVER-TIMEOUT": "180000", "TILT-TRIGGER": "2000", "TILT-PERIOD": "30000", "SLAVE-RECONF-TIMEOUT": "10000", "MIN-LINK-RECONNECT-PERIOD": "15000", "ELECTION-TIMEOUT": "10000", "SCRIPT-MAX-RUNTIME": "60000", "SCRIPT-RETRY-DELAY": "30000"}`},
		{"sentinel debug foo", "-ERR Unknown option or number of arguments for SENTINEL DEBUG 'foo'"},
		{"sentinel debug info-period x", "-ERR Invalid argument 'x' for SENTINEL DEBUG 'info-period'"},
		{"sentinel debug info-period 0", "-ERR Invalid argument '0' for SENTINEL DEBUG 'info-period'"},
		{"sentinel debug info-period", "-ERR Unknown option or number of arguments for SENTINEL DEBUG 'info-period'"},
		{"sentinel debug info-period 10000 ping-period", "-ERR Unknown option or number of arguments for SENTINEL DEBUG 'ping-period'"},
		{"sentinel debug INFO-PERIOD 500 tilt-period 20", "+OK"},

		{"sentinel simulate-failure help", `["crash-after-election", "crash-after-promotion"]`},
		{"sentinel simulate-failure foo", "-ERR Unknown failure simulation specified"},
		{"sentinel simulate-failure crash-after-election", "+OK"},

		{"sentinel info-cache nope", "[]"},
		{"sentinel info-cache mymaster nope mymaster", `["mymaster", [[:2006, "# Server\r\nrole:master\r\n"], [:2006, "# Server\r\nrole:slave\r\n"]]]`},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			m := fixture(t)
			m.Timing = RedisTiming
			if got := render(cmd(m, tc.line)); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestMonitorResolveHostnames(t *testing.T) {
	defer func(f func(string) bool) { hostResolves = f }(hostResolves)
	hostResolves = func(h string) bool { return h == "db1" }
	m := newTest(t, "resolve-hostnames yes")
	if got := render(cmd(m, "sentinel monitor a db2 6379 1")); got != "-ERR Invalid IP address or hostname specified" {
		t.Errorf("unresolvable: %s", got)
	}
	if got := render(cmd(m, "sentinel monitor a db1 6379 1")); got != "+OK" || m.Masters["a"].Addr.Host != "db1" {
		t.Errorf("resolvable: %s", got)
	}
	m.ResolveHostnames = false
	if got := render(cmd(m, "sentinel monitor b db1 6379 1")); got != "-ERR Invalid IP address or hostname specified" {
		t.Errorf("without resolve-hostnames: %s", got)
	}
}

func TestCommandHelp(t *testing.T) {
	r := cmd(New(testID, 1), "sentinel HELP")
	if len(r.Array) != 49 { // as redis-cli | wc -l shows
		t.Fatalf("%d lines", len(r.Array))
	}
	for i, want := range map[int]string{
		0:  "+SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		1:  "+CKQUORUM <master-name>",
		46: "+    Simulate a Sentinel crash.",
		47: "+HELP",
		48: "+    Prints this help.",
	} {
		if got := render(r.Array[i]); got != want {
			t.Errorf("line %d: %s", i, got)
		}
	}
}

// TestInstanceFields checks the field lists of MASTER, REPLICAS and
// SENTINELS (those of a real sentinel for the first two) and values.
func TestInstanceFields(t *testing.T) {
	m := fixture(t)
	master := cmd(m, "sentinel master mymaster")
	if got, want := keys(master), "name ip port runid flags link-pending-commands link-refcount last-ping-sent last-ok-ping-reply last-ping-reply down-after-milliseconds info-refresh role-reported role-reported-time config-epoch num-slaves num-other-sentinels quorum failover-timeout parallel-syncs"; got != want {
		t.Errorf("master keys\n got %s\nwant %s", got, want)
	}
	if got, want := render(master), `{"name": "mymaster", "ip": "127.0.0.1", "port": "17379", "runid": "b881e9bae8eee513d9cdcdd345792c3ad4347bed", "flags": "master", "link-pending-commands": "0", "link-refcount": "1", "last-ping-sent": "0", "last-ok-ping-reply": "955", "last-ping-reply": "955", "down-after-milliseconds": "5000", "info-refresh": "2006", "role-reported": "master", "role-reported-time": "2011", "config-epoch": "0", "num-slaves": "1", "num-other-sentinels": "2", "quorum": "2", "failover-timeout": "180000", "parallel-syncs": "1"}`; got != want {
		t.Errorf("master\n got %s\nwant %s", got, want)
	}
	if got := render(cmd(m, "sentinel masters")); got != "["+render(master)+"]" {
		t.Errorf("masters: %s", got)
	}
	replicas := cmd(m, "sentinel replicas mymaster")
	if got, want := render(replicas), `[{"name": "127.0.0.1:17380", "ip": "127.0.0.1", "port": "17380", "runid": "69fad3bc6215cfbcc497b3f494401aa23d4e9018", "flags": "slave", "link-pending-commands": "0", "link-refcount": "1", "last-ping-sent": "0", "last-ok-ping-reply": "955", "last-ping-reply": "955", "down-after-milliseconds": "5000", "info-refresh": "2006", "role-reported": "slave", "role-reported-time": "2011", "master-link-down-time": "0", "master-link-status": "ok", "master-host": "127.0.0.1", "master-port": "17379", "slave-priority": "100", "slave-repl-offset": "1562", "replica-announced": "1"}]`; got != want {
		t.Errorf("replicas\n got %s\nwant %s", got, want)
	}
	if got := render(cmd(m, "sentinel slaves mymaster")); got != render(replicas) {
		t.Errorf("slaves: %s", got)
	}
	sentinels := cmd(m, "sentinel sentinels mymaster")
	if len(sentinels.Array) != 2 || !sentinels.Array[0].Map {
		t.Fatalf("sentinels: %s", render(sentinels))
	}
	if got, want := render(sentinels.Array[0]), `{"name": "bbbb", "ip": "127.0.0.1", "port": "26380", "runid": "bbbb", "flags": "sentinel", "link-pending-commands": "0", "link-refcount": "1", "last-ping-sent": "0", "last-ok-ping-reply": "955", "last-ping-reply": "955", "down-after-milliseconds": "5000", "last-hello-message": "300", "voted-leader": "bbbb", "voted-leader-epoch": "3"}`; got != want {
		t.Errorf("sentinel\n got %s\nwant %s", got, want)
	}
	if got := render(sentinels.Array[1]); !strings.Contains(got, `"voted-leader": "?"`) {
		t.Errorf("sentinel without vote: %s", got)
	}

	// Down, failing over, disconnected, unannounced.
	mm := m.Masters["mymaster"]
	mm.Flags |= FlagSDown | FlagODown | FlagFailoverInProgress | FlagForceFailover
	mm.SDownSince, mm.ODownSince = t0.Add(-7*time.Second), t0.Add(-6*time.Second)
	mm.FailoverState = FailoverReconfReplicas
	mm.Link.PubSubConnected = false
	mm.NotificationScript = "/ok-n"
	r := cmd(m, "sentinel master mymaster")
	if got, want := keys(r), "name ip port runid flags link-pending-commands link-refcount failover-state last-ping-sent last-ok-ping-reply last-ping-reply s-down-time o-down-time down-after-milliseconds info-refresh role-reported role-reported-time config-epoch num-slaves num-other-sentinels quorum failover-timeout parallel-syncs notification-script"; got != want {
		t.Errorf("failing master keys: %s", got)
	}
	for _, want := range []string{`"flags": "s_down,o_down,master,disconnected,failover_in_progress,force_failover"`,
		`"failover-state": "reconf_slaves"`, `"s-down-time": "7000"`, `"o-down-time": "6000"`} {
		if !strings.Contains(render(r), want) {
			t.Errorf("missing %s in %s", want, render(r))
		}
	}
	mm.PromotedReplica = mm.Replicas["127.0.0.1:17380"]
	if got := render(cmd(m, "sentinel get-master-addr-by-name mymaster")); got != `["127.0.0.1", "17380"]` {
		t.Errorf("address during failover: %s", got)
	}
	mm.Replicas["127.0.0.1:17380"].ReplicaAnnounced = false
	if got := render(cmd(m, "sentinel replicas mymaster")); got != "[]" {
		t.Errorf("unannounced replica listed: %s", got)
	}
	if got := (FlagReplica | FlagPromoted | FlagReconfSent | FlagReconfInProg | FlagReconfDone | FlagScriptKillSent | FlagMasterDown).String(); got != "slave,master_down,promoted,reconf_sent,reconf_inprog,reconf_done,script_kill_sent" {
		t.Errorf("flags: %s", got)
	}
}

// actions renders the actions a command produced.
func actions(m *Machine) []string {
	var out []string
	for _, a := range m.Ready() {
		switch a := a.(type) {
		case Emit:
			out = append(out, a.Type+" "+a.Text)
		case SaveConfig:
			out = append(out, "save")
		case Disconnect:
			// Removals visit maps in random order: keep each run of
			// disconnects sorted.
			out = append(out, fmt.Sprintf("disconnect %d", a.ID))
			for i := len(out) - 1; i > 0 && strings.HasPrefix(out[i-1], "disconnect") && out[i-1] > out[i]; i-- {
				out[i-1], out[i] = out[i], out[i-1]
			}
		case RunScript:
			out = append(out, "script "+a.Path+" "+strings.Join(a.Args, " "))
		default:
			out = append(out, fmt.Sprintf("%T", a))
		}
	}
	return out
}

func TestCommandEffects(t *testing.T) {
	const mi = "master mymaster 127.0.0.1 17379"
	tests := []struct {
		line    string
		actions []string
		check   func(m *Machine) bool
	}{
		{"sentinel monitor a 10.0.0.1 7000 3", []string{"save", "+monitor master a 10.0.0.1 7000 quorum 3"},
			func(m *Machine) bool { return m.Masters["a"] != nil && m.Masters["a"].Quorum == 3 }},
		{"sentinel remove mymaster", []string{"-monitor " + mi, "disconnect 1", "disconnect 2", "disconnect 3", "disconnect 4", "save"},
			func(m *Machine) bool { return len(m.Masters) == 0 && len(m.instances) == 0 }},
		{"sentinel flushconfig", []string{"save"}, nil},
		{"sentinel reset *", []string{"disconnect 1", "disconnect 2", "disconnect 3", "disconnect 4", "+reset-master " + mi},
			func(m *Machine) bool {
				mm := m.Masters["mymaster"]
				return len(mm.Replicas) == 0 && len(mm.Sentinels) == 0
			}},
		{"sentinel set mymaster quorum 1", []string{"+set " + mi + " quorum 1", "save"},
			func(m *Machine) bool { return m.Masters["mymaster"].Quorum == 1 }},
		{"sentinel set mymaster down-after-milliseconds 1000 failover-timeout 2000", []string{
			"+set " + mi + " down-after-milliseconds 1000", "+set " + mi + " failover-timeout 2000", "save"},
			func(m *Machine) bool {
				mm := m.Masters["mymaster"]
				return mm.DownAfter == time.Second && mm.Replicas["127.0.0.1:17380"].DownAfter == time.Second &&
					mm.Sentinels["bbbb"].DownAfter == time.Second && mm.FailoverTimeout == 2*time.Second
			}},
		{"sentinel set mymaster auth-pass secret", []string{"disconnect 1", "disconnect 2", "+set " + mi + " auth-pass ******", "save"},
			func(m *Machine) bool {
				mm := m.Masters["mymaster"]
				return mm.AuthPass == "secret" && !mm.Link.Connected && !mm.Replicas["127.0.0.1:17380"].Link.Connected
			}},
		{"sentinel set mymaster auth-user bob", []string{"disconnect 1", "disconnect 2", "+set " + mi + " auth-user bob", "save"},
			func(m *Machine) bool { return m.Masters["mymaster"].AuthUser == "bob" }},
		{"sentinel set mymaster rename-command CONFIG xconfig", []string{"+set " + mi + " rename-command CONFIG xconfig", "save"},
			func(m *Machine) bool { return m.commandName(m.Masters["mymaster"], "config") == "xconfig" }},
		{"sentinel set mymaster parallel-syncs 4 quorum 0", []string{"+set " + mi + " parallel-syncs 4", "save"},
			func(m *Machine) bool { return m.Masters["mymaster"].ParallelSyncs == 4 }},
		{"sentinel set mymaster quorum 0", nil, nil},
		{"sentinel set mymaster master-reboot-down-after-period 0", []string{"+set " + mi + " master-reboot-down-after-period 0", "save"}, nil},
		{"sentinel config set sentinel-pass pw", []string{"save", "disconnect 3", "disconnect 4"},
			func(m *Machine) bool { return m.SentinelPass == "pw" }},
		{"sentinel config set announce-port 1234", []string{"save"}, func(m *Machine) bool { return m.AnnouncePort == 1234 }},
		{"sentinel config set resolve-hostnames yes", []string{"save"}, func(m *Machine) bool { return m.ResolveHostnames }},
		{"sentinel debug info-period 500 tilt-period 20", nil, func(m *Machine) bool {
			return m.Timing.InfoPeriod == 500*time.Millisecond && m.Timing.TiltPeriod == 20*time.Millisecond
		}},
		{"sentinel debug info-period 500 tilt-period x", nil, func(m *Machine) bool {
			return m.Timing.InfoPeriod == 500*time.Millisecond && m.Timing.TiltPeriod == DefaultTiming.TiltPeriod
		}},
		{"sentinel simulate-failure crash-after-election crash-after-promotion", nil,
			func(m *Machine) bool { return m.SimFailure == SimCrashAfterElection|SimCrashAfterPromotion }},
		{"sentinel simulate-failure crash-after-promotion help", nil,
			func(m *Machine) bool { return m.SimFailure == SimCrashAfterPromotion }},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			m := fixture(t)
			cmd(m, tc.line)
			if got := actions(m); !reflect.DeepEqual(got, tc.actions) {
				t.Errorf("actions %q\nwant    %q", got, tc.actions)
			}
			if tc.check != nil && !tc.check(m) {
				t.Errorf("state not as expected")
			}
		})
	}
}

// TestSetScripts: with deny-scripts-reconfig off, SET checks the script
// and an empty path removes it; the notification script then runs on
// warnings.
func TestSetScripts(t *testing.T) {
	m := fixture(t)
	m.DenyScriptsReconfig = false
	for _, c := range []struct{ line, want string }{
		{"sentinel set mymaster notification-script /nope", "-ERR Notification script seems non existing or non executable"},
		{"sentinel set mymaster client-reconfig-script /nope", "-ERR Client reconfiguration script seems non existing or non executable"},
		{"sentinel set mymaster client-reconfig-script /ok-c", "+OK"},
		{"sentinel set mymaster notification-script /ok-n", "+OK"},
	} {
		if got := render(cmd(m, c.line)); got != c.want {
			t.Errorf("%s: %s", c.line, got)
		}
	}
	mm := m.Masters["mymaster"]
	if mm.NotificationScript != "/ok-n" || mm.ClientReconfigScript != "/ok-c" {
		t.Fatal("scripts not set")
	}
	m.Ready()
	cmd(m, "sentinel set mymaster quorum 2")
	want := []string{"+set master mymaster 127.0.0.1 17379 quorum 2",
		"script /ok-n +set master mymaster 127.0.0.1 17379 quorum 2", "save"}
	if got := actions(m); !reflect.DeepEqual(got, want) {
		t.Fatalf("script: %q", got)
	}
	// Cleared before the event, so the script does not run for it.
	cmd(m, "sentinel set mymaster notification-script ''")
	want = []string{"+set master mymaster 127.0.0.1 17379 notification-script ", "save"}
	if got := actions(m); mm.NotificationScript != "" || !reflect.DeepEqual(got, want) {
		t.Fatalf("clearing: %q", got)
	}
}

func TestSetErrorSavesEarlierChanges(t *testing.T) {
	m := fixture(t)
	r := cmd(m, "sentinel set mymaster quorum 3 foo bar")
	if render(r) != "-ERR Unknown option or number of arguments for SENTINEL SET 'foo'" {
		t.Fatal(render(r))
	}
	if got := actions(m); !reflect.DeepEqual(got, []string{"+set master mymaster 127.0.0.1 17379 quorum 3", "save"}) {
		t.Fatalf("%q", got)
	}
}

func TestRenameToItselfRemoves(t *testing.T) {
	m := fixture(t)
	cmd(m, "sentinel set mymaster rename-command config xconfig")
	cmd(m, "sentinel set mymaster rename-command CONFIG config")
	if got := m.commandName(m.Masters["mymaster"], "CONFIG"); got != "CONFIG" {
		t.Fatalf("got %s", got)
	}
	if lines := joinLines(m.ConfigLines()); strings.Contains(strings.Join(lines, "\n"), "rename-command") {
		t.Fatalf("%q", lines)
	}
}

func TestCKQuorum(t *testing.T) {
	tests := []struct {
		quorum int
		down   []string
		want   string
	}{
		{2, nil, "+OK 3 usable Sentinels. Quorum and failover authorization can be reached"},
		{3, []string{"bbbb"}, "-NOQUORUM 2 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master"},
		{1, []string{"bbbb", "cccc"}, "-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover"},
		{2, []string{"bbbb", "cccc"}, "-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. Not enough available Sentinels to reach the majority and authorize a failover"},
	}
	for _, tc := range tests {
		m := fixture(t)
		mm := m.Masters["mymaster"]
		mm.Quorum = tc.quorum
		for _, s := range tc.down {
			mm.Sentinels[s].Flags |= FlagSDown
		}
		if got := render(cmd(m, "sentinel ckquorum mymaster")); got != tc.want {
			t.Errorf("quorum %d down %v: %s", tc.quorum, tc.down, got)
		}
	}
}

func TestInfoAndRole(t *testing.T) {
	m := fixture(t)
	cmd(m, "sentinel monitor a 127.0.0.1 0 1")
	cmd(m, "sentinel simulate-failure crash-after-election")
	want := "# Sentinel\r\n" +
		"sentinel_masters:2\r\n" +
		"sentinel_tilt:0\r\n" +
		"sentinel_tilt_since_seconds:-1\r\n" +
		"sentinel_running_scripts:0\r\n" +
		"sentinel_scripts_queue_length:0\r\n" +
		"sentinel_simulate_failure_flags:1\r\n" +
		"master0:name=a,status=ok,address=127.0.0.1:0,slaves=0,sentinels=1\r\n" +
		"master1:name=mymaster,status=ok,address=127.0.0.1:17379,slaves=1,sentinels=3\r\n"
	if got := m.InfoSection(t0); got != want {
		t.Errorf("info:\n%q\nwant\n%q", got, want)
	}
	m.ScriptStats = func() (int, int) { return 2, 5 }
	m.PendingScripts = func() Reply { return arrayReply(bulk("x")) }
	if got := render(cmd(m, "sentinel pending-scripts")); got != `["x"]` {
		t.Errorf("pending-scripts: %s", got)
	}
	m.Tilt, m.TiltStartTime = true, t0.Add(-2500*time.Millisecond)
	m.Masters["a"].Flags |= FlagSDown
	m.Masters["mymaster"].Flags |= FlagSDown | FlagODown
	got := m.InfoSection(t0)
	for _, w := range []string{"sentinel_running_scripts:2\r\nsentinel_scripts_queue_length:5\r\n", "sentinel_tilt:1\r\n", "sentinel_tilt_since_seconds:2\r\n", "name=a,status=sdown", "name=mymaster,status=odown"} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in %q", w, got)
		}
	}
	if got := render(m.RoleReply()); got != `["sentinel", ["a", "mymaster"]]` {
		t.Errorf("role: %s", got)
	}
	if got := render(New(testID, 1).RoleReply()); got != `["sentinel", []]` {
		t.Errorf("empty role: %s", got)
	}
	m.Ready()
	m.GenerateInitialMonitorEvents()
	if got := actions(m); !reflect.DeepEqual(got, []string{"+monitor master a 127.0.0.1 0 quorum 1", "+monitor master mymaster 127.0.0.1 17379 quorum 2"}) {
		t.Errorf("monitor events: %q", got)
	}
}
