// monitor_test.go checks details of the monitoring half that the
// scripts do not show: what goes into Connect and hello messages, and
// INFO parsing.
package sentinel

import (
	"strings"
	"testing"
	"time"
)

func smActionsOf[T Action](acts []Action) []T {
	var out []T
	for _, a := range acts {
		if t, ok := a.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

func TestConnectAndHello(t *testing.T) {
	m := New("0123456789abcdef0123456789abcdef01234567", 26379)
	m.SentinelUser, m.SentinelPass = "su", "sp"
	mm, _ := m.AddMaster("mym", Addr{"10.0.0.1", 6379}, 2, smT0)
	mm.AuthUser, mm.AuthPass = "mu", "mp"
	s, _ := m.AddSentinel(mm, "bbbb", Addr{"10.0.0.2", 26379}, smT0)

	now := smT0.Add(100 * time.Millisecond)
	m.Tick(now)
	conns := smActionsOf[Connect](m.Ready())
	if len(conns) != 2 {
		t.Fatalf("connects: %+v", conns)
	}
	want := Connect{ID: mm.ID, Addr: mm.Addr, PubSub: true, User: "mu", Pass: "mp", ClientName: "sentinel-01234567-cmd"}
	if conns[0] != want {
		t.Errorf("master connect %+v, want %+v", conns[0], want)
	}
	want = Connect{ID: s.ID, Addr: s.Addr, User: "su", Pass: "sp", ClientName: "sentinel-01234567-cmd"}
	if conns[1] != want {
		t.Errorf("sentinel connect %+v, want %+v", conns[1], want)
	}

	// No new attempt while one is pending, nor within a ping period.
	m.Tick(now.Add(100 * time.Millisecond))
	if c := smActionsOf[Connect](m.Ready()); len(c) != 0 {
		t.Errorf("connect while pending: %+v", c)
	}
	m.Step(now, LinkEvent{ID: mm.ID, Up: true, LocalIP: "10.0.0.9"})
	m.Step(now, LinkEvent{ID: mm.ID, PubSub: true, Up: false, Err: "refused"})
	if cmds := smActionsOf[Command](m.Ready()); len(cmds) != 1 || cmds[0].Kind != CmdPing {
		t.Errorf("a PING when the link comes up: %+v", cmds)
	}
	m.Tick(now.Add(500 * time.Millisecond))
	if c := smActionsOf[Connect](m.Ready()); len(c) != 0 {
		t.Errorf("reconnect within a ping period: %+v", c)
	}
	m.Tick(now.Add(1100 * time.Millisecond))
	if c := smActionsOf[Connect](m.Ready()); len(c) != 1 || !c[0].PubSub {
		t.Errorf("Pub/Sub reconnect: %+v", c)
	}
	m.Step(now, LinkEvent{ID: mm.ID, PubSub: true, Up: true})

	// The hello announces the command link's local address, or announce-ip/port.
	later := smT0.Add(3 * time.Second)
	m.Tick(later)
	hello := func() string {
		for _, c := range smActionsOf[Command](m.Ready()) {
			if c.Kind == CmdPublishHello && c.ID == mm.ID {
				return strings.Join(c.Args, " ")
			}
		}
		return ""
	}
	if got, want := hello(), "PUBLISH __sentinel__:hello 10.0.0.9,26379,0123456789abcdef0123456789abcdef01234567,0,mym,10.0.0.1,6379,0"; got != want {
		t.Errorf("hello %q, want %q", got, want)
	}
	m.AnnounceIP, m.AnnouncePort = "1.2.3.4", 5555
	m.Step(later, CommandReply{ID: mm.ID, Kind: CmdPublishHello, Reply: Reply{IsInt: true, Int: 1}})
	m.Tick(later.Add(2100 * time.Millisecond))
	if got := hello(); !strings.HasPrefix(got, "PUBLISH __sentinel__:hello 1.2.3.4,5555,") {
		t.Errorf("hello with announce: %q", got)
	}
}

func TestInfoParsing(t *testing.T) {
	m := New("0123456789abcdef0123456789abcdef01234567", 26379)
	mm, _ := m.AddMaster("mym", Addr{"10.0.0.1", 6379}, 2, smT0)
	runA := strings.Repeat("a", 40)
	m.refreshInfo(smT0, &mm.Instance, "# Server\r\nrun_id:"+runA+"\r\n# Replication\r\nrole:master\r\n"+
		"slave0:10.0.0.2,6380,online\r\nslave1:ip=10.0.0.3,port=6381,state=online,offset=5,lag=0\r\n")
	if mm.RunID != runA || len(mm.Replicas) != 2 || mm.Replicas["10.0.0.2:6380"] == nil || mm.Replicas["10.0.0.3:6381"] == nil {
		t.Fatalf("run id %q replicas %v", mm.RunID, mm.Replicas)
	}
	acts := m.Ready()
	if n := len(smActionsOf[SaveConfig](acts)); n != 2 {
		t.Errorf("%d SaveConfig for two new replicas", n)
	}
	m.refreshInfo(smT0, &mm.Instance, "run_id:"+strings.Repeat("b", 40)+"\r\nrole:master\r\n")
	if e := smActionsOf[Emit](m.Ready()); len(e) != 1 || e[0].Type != "+reboot" {
		t.Errorf("run ID change: %+v", e)
	}

	r := mm.Replicas["10.0.0.2:6380"]
	m.refreshInfo(smT0, r, "role:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:down\r\n"+
		"master_link_down_since_seconds:12\r\nslave_repl_offset:777\r\nslave_priority:0\r\nreplica_announced:0\r\n")
	if r.ReplicaMasterHost != "10.0.0.1" || r.ReplicaMasterPort != 6379 || r.ReplicaMasterLinkUp ||
		r.MasterLinkDownTime != 12*time.Second || r.ReplicaReplOffset != 777 || r.ReplicaPriority != 0 || r.ReplicaAnnounced {
		t.Errorf("replica fields: %+v", r)
	}
	if r.Info == "" || !r.InfoRefresh.Equal(smT0) {
		t.Errorf("INFO not cached")
	}
	// master_link_down_since_seconds absent means 0.
	m.refreshInfo(smT0, r, "role:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:up\r\n")
	if r.MasterLinkDownTime != 0 || !r.ReplicaMasterLinkUp {
		t.Errorf("link up: %v %v", r.MasterLinkDownTime, r.ReplicaMasterLinkUp)
	}
}
