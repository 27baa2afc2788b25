// machine_test.go runs the scripts in testdata/*.txt against a Machine
// with a fake clock and a fake network of Redis instances and sentinels
// that answer the machine's commands (PONG, an INFO made from their
// state, votes, SLAVEOF applied to their role). Each directive prints
// what the machine did, prefixed by the time since the start; run
// `go test ./internal/sentinel -rewrite` to refresh the expected output,
// then read the diff: a golden file recording a wrong behaviour is a bug.
//
// Script format: a directive line, optional input lines, "----", the
// expected output, a blank line. Lines starting with # are comments.
package sentinel

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The -rewrite flag may be declared by another test file of the package
// too: declare it only if nobody has, and read it by name.
func init() {
	if flag.Lookup("rewrite") == nil {
		flag.Bool("rewrite", false, "rewrite the expected output of testdata/*.txt")
	}
}

func smRewrite() bool {
	f := flag.Lookup("rewrite")
	return f != nil && f.Value.String() == "true"
}

func TestScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { smRunScript(t, f) })
	}
}

type smDirective struct {
	comments []string // comment and blank lines before it
	cmd      string
	input    []string
	expected string
	line     int
}

func smParseScript(t *testing.T, path string) ([]smDirective, []string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var ds []smDirective
	var pending []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			pending = append(pending, l)
			continue
		}
		d := smDirective{comments: pending, cmd: l, line: i + 1}
		pending = nil
		i++
		for ; i < len(lines) && lines[i] != "----"; i++ {
			d.input = append(d.input, lines[i])
		}
		var out []string
		for i++; i < len(lines) && lines[i] != ""; i++ {
			out = append(out, lines[i])
		}
		d.expected = strings.Join(out, "\n")
		ds = append(ds, d)
	}
	return ds, pending
}

func smRunScript(t *testing.T, path string) {
	ds, trailing := smParseScript(t, path)
	h := &smHarness{t: t}
	var b strings.Builder
	failed := false
	for _, d := range ds {
		got := strings.TrimRight(h.run(d.cmd, d.input), "\n")
		for _, c := range d.comments {
			b.WriteString(c + "\n")
		}
		b.WriteString(d.cmd + "\n")
		for _, in := range d.input {
			b.WriteString(in + "\n")
		}
		b.WriteString("----\n")
		if got != "" {
			b.WriteString(got + "\n")
		}
		b.WriteString("\n")
		if !smRewrite() && got != d.expected {
			t.Errorf("%s:%d: %s\n--- got:\n%s\n--- want:\n%s", path, d.line, d.cmd, got, d.expected)
			failed = true
		}
	}
	if smRewrite() {
		out := strings.TrimRight(b.String(), "\n") + "\n"
		for _, c := range trailing {
			if strings.HasPrefix(c, "#") {
				out += c + "\n"
			}
		}
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_ = failed
}

// smNode is a fake Redis instance or sentinel.
type smNode struct {
	addr     Addr
	sentinel bool
	alive    bool
	frozen   bool // links stay up but nothing is answered; new links time out
	runID    string

	// Redis
	role      string // "master" or "slave"
	master    Addr
	priority  int
	offset    int64
	announced bool
	sync      string // "", "never" (link to a new master never comes up), "ignore" (SLAVEOF ignored)
	ping      string // reply to PING other than PONG (e.g. "BUSY ...", "LOADING ...")
	downSince time.Time

	// Sentinel: the answer to is-master-down-by-addr.
	down        bool
	vote        string // "auto": votes like Redis; "none": never; "fixed": leader/epoch below
	leader      string
	leaderEpoch uint64
}

type smLink struct {
	addr   Addr
	cc, pc bool
}

type smHarness struct {
	t      *testing.T
	m      *Machine
	start  time.Time
	now    time.Time
	nodes  map[string]*smNode
	links  map[ID]*smLink
	show   map[string]bool
	out    *strings.Builder
	queue  []Event
	lastTS string
}

func (h *smHarness) printf(format string, args ...any) {
	ts := fmt.Sprintf("%.1fs", h.now.Sub(h.start).Seconds())
	fmt.Fprintf(h.out, "[%s] "+format+"\n", append([]any{ts}, args...)...)
}

func smPadID(s string) string {
	if len(s) < 40 {
		s += strings.Repeat("0", 40-len(s))
	}
	return s
}

func smParseAddr(s string) Addr {
	host, port, _ := strings.Cut(s, ":")
	p, _ := strconv.Atoi(port)
	return Addr{Host: host, Port: p}
}

func smKV(args []string) (map[string]string, []string) {
	m := map[string]string{}
	var pos []string
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok {
			m[k] = v
		} else {
			pos = append(pos, a)
		}
	}
	return m, pos
}

func smDur(t *testing.T, s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("bad duration %q", s)
	}
	return d
}

func (h *smHarness) run(cmd string, input []string) string {
	var out strings.Builder
	h.out = &out
	f := strings.Fields(cmd)
	opts, pos := smKV(f[1:])
	t := h.t
	switch f[0] {
	case "new":
		h.start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		h.now = h.start
		port, _ := strconv.Atoi(opts["port"])
		h.m = New(opts["myid"], port)
		h.m.Rand = rand.New(rand.NewPCG(1, 2))
		if opts["timing"] == "redis" {
			h.m.Timing = RedisTiming
		}
		h.m.AnnounceIP = opts["announce-ip"]
		h.nodes = map[string]*smNode{}
		h.links = map[ID]*smLink{}
		h.show = map[string]bool{}
	case "show", "hide":
		for _, c := range pos {
			h.show[c] = f[0] == "show"
		}
	case "redis", "sentinel", "set":
		a := smParseAddr(pos[0])
		n := h.nodes[a.String()]
		if f[0] != "set" {
			n = &smNode{addr: a, alive: true, sentinel: f[0] == "sentinel", role: "master", priority: 100,
				announced: true, runID: smPadID(strconv.Itoa(a.Port)), vote: "auto", down: true}
			h.nodes[a.String()] = n
		}
		for k, v := range opts {
			switch k {
			case "role":
				n.role = v
			case "master":
				n.role, n.master = "slave", smParseAddr(v)
			case "priority":
				n.priority, _ = strconv.Atoi(v)
			case "offset":
				n.offset, _ = strconv.ParseInt(v, 10, 64)
			case "runid":
				n.runID = v
				if !n.sentinel {
					n.runID = smPadID(v)
				}
			case "announced":
				n.announced = v == "1"
			case "sync":
				n.sync = v
			case "ping":
				n.ping = strings.ReplaceAll(v, "_", " ")
			case "down":
				n.down = v == "1"
			case "vote":
				n.vote = v
			case "leader":
				n.leader = v
			case "epoch":
				n.leaderEpoch, _ = strconv.ParseUint(v, 10, 64)
			default:
				t.Fatalf("unknown option %s", k)
			}
		}
	case "monitor":
		port, _ := strconv.Atoi(pos[2])
		q, _ := strconv.Atoi(opts["quorum"])
		mm, err := h.m.AddMaster(pos[0], Addr{Host: pos[1], Port: port}, q, h.now)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := opts["down-after"]; ok {
			mm.DownAfter = smDur(t, v)
		}
		if v, ok := opts["failover-timeout"]; ok {
			mm.FailoverTimeout = smDur(t, v)
		}
		if v, ok := opts["parallel-syncs"]; ok {
			mm.ParallelSyncs, _ = strconv.Atoi(v)
		}
		mm.ClientReconfigScript = opts["client-reconfig-script"]
		mm.NotificationScript = opts["notification-script"]
		mm.AuthPass = opts["auth-pass"]
	case "known-sentinel":
		mm := h.m.Masters[pos[0]]
		if _, err := h.m.AddSentinel(mm, opts["runid"], smParseAddr(pos[1]), h.now); err != nil {
			t.Fatal(err)
		}
	case "known-replica":
		mm := h.m.Masters[pos[0]]
		if _, err := h.m.AddReplica(mm, smParseAddr(pos[1]), h.now); err != nil {
			t.Fatal(err)
		}
	case "tick":
		total := smDur(t, pos[0])
		step := 100 * time.Millisecond
		if v, ok := opts["step"]; ok {
			step = smDur(t, v)
		}
		if total < 0 {
			// The clock going backwards: one tick.
			h.now = h.now.Add(total)
			h.m.Tick(h.now)
			h.pump()
		}
		for end := h.now.Add(total); h.now.Before(end); {
			h.now = h.now.Add(step)
			h.m.Tick(h.now)
			h.pump()
		}
	case "kill", "freeze", "revive":
		n := h.nodes[pos[0]]
		switch f[0] {
		case "kill":
			n.alive, n.downSince = false, h.now
			h.dropLinks(n.addr, "connection reset by peer")
		case "freeze":
			n.frozen = true
		case "revive":
			n.alive, n.frozen = true, false
			if v, ok := opts["runid"]; ok {
				n.runID = smPadID(v)
			}
			if v, ok := opts["role"]; ok {
				n.role = v
			}
		}
		h.pump()
	case "hello":
		payload := pos[0]
		var id ID
		if mm := h.m.Masters[strings.Split(payload, ",")[4]]; mm != nil {
			id = mm.ID
		}
		h.m.Step(h.now, HelloMessage{ID: id, Payload: payload})
		h.pump()
	case "hello-direct":
		h.m.Hello(h.now, pos[0])
		h.pump()
	case "ask":
		// ask <host> <port> <epoch> <runid>: SENTINEL is-master-down-by-addr
		port, _ := strconv.Atoi(pos[1])
		ep, _ := strconv.ParseUint(pos[2], 10, 64)
		down, leader, le := h.m.IsMasterDownByAddr(h.now, pos[0], port, ep, pos[3])
		d := 0
		if down {
			d = 1
		}
		h.pump()
		fmt.Fprintf(&out, "reply: %d %s %d\n", d, leader, le)
	case "failover":
		e := h.m.ForceFailover(h.m.Masters[pos[0]], h.now)
		h.pump()
		if e == "" {
			e = "OK"
		}
		fmt.Fprintf(&out, "reply: %s\n", e)
	case "simfail":
		h.m.SimFailure = 0
		for _, p := range pos {
			switch p {
			case "crash-after-election":
				h.m.SimFailure |= SimCrashAfterElection
			case "crash-after-promotion":
				h.m.SimFailure |= SimCrashAfterPromotion
			}
		}
	case "state":
		h.state(pos[0])
	default:
		t.Fatalf("unknown directive %q", cmd)
	}
	return out.String()
}

func (h *smHarness) state(name string) {
	mm := h.m.Masters[name]
	fmt.Fprintf(h.out, "master %s %s flags=%s failover=%d epoch=%d config-epoch=%d leader=%s/%d\n",
		mm.Name, mm.Addr, smFlagNames(mm.Flags), mm.FailoverState, h.m.CurrentEpoch, mm.ConfigEpoch, mm.Leader, mm.LeaderEpoch)
	for _, r := range instancesByName(mm.Replicas) {
		fmt.Fprintf(h.out, "  slave %s flags=%s prio=%d offset=%d\n", r.Name, smFlagNames(r.Flags), r.ReplicaPriority, r.ReplicaReplOffset)
	}
	for _, s := range instancesByName(mm.Sentinels) {
		fmt.Fprintf(h.out, "  sentinel %s %s flags=%s leader=%s/%d\n", s.Name, s.Addr, smFlagNames(s.Flags), s.Leader, s.LeaderEpoch)
	}
}

func smFlagNames(f Flags) string {
	names := []string{"master", "slave", "sentinel", "s_down", "o_down", "master_down", "failover_in_progress",
		"promoted", "reconf_sent", "reconf_inprog", "reconf_done", "force_failover", "script_kill_sent", "master_reboot"}
	var out []string
	for i, n := range names {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, ",")
}

// dropLinks reports every open link to addr down.
func (h *smHarness) dropLinks(addr Addr, why string) {
	ids := make([]ID, 0)
	for id, l := range h.links {
		if l.addr == addr {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		l := h.links[id]
		if l.cc {
			h.queue = append(h.queue, LinkEvent{ID: id, Up: false, Err: why})
		}
		if l.pc {
			h.queue = append(h.queue, LinkEvent{ID: id, PubSub: true, Up: false, Err: why})
		}
		delete(h.links, id)
	}
}

// pump carries out the machine's actions and feeds the answers back
// until it has nothing more to say.
func (h *smHarness) pump() {
	for i := 0; i < 1000; i++ {
		acts := h.m.Ready()
		if len(acts) == 0 && len(h.queue) == 0 {
			return
		}
		for _, a := range acts {
			h.perform(a)
		}
		q := h.queue
		h.queue = nil
		for _, ev := range q {
			h.m.Step(h.now, ev)
		}
	}
	h.t.Fatal("machine does not settle")
}

func (h *smHarness) addrOf(id ID) Addr {
	if l := h.links[id]; l != nil {
		return l.addr
	}
	if inst := h.m.Instance(id); inst != nil {
		return inst.Addr
	}
	return Addr{Host: "never-connected"}
}

func (h *smHarness) perform(a Action) {
	switch a := a.(type) {
	case Emit:
		lvl := ""
		if a.Level == LevelDebug {
			lvl = "(debug) "
		}
		h.printf("%s%s %s", lvl, a.Type, a.Text)
	case RunScript:
		h.printf("script %s %s", a.Path, strings.Join(a.Args, " "))
	case SaveConfig:
		h.printf("save-config")
	case Crash:
		h.printf("crash: %s", a.Reason)
	case Disconnect:
		if h.show["connect"] {
			h.printf("disconnect %s", h.addrOf(a.ID))
		}
		delete(h.links, a.ID)
	case Connect:
		h.connect(a)
	case Command:
		h.command(a)
	}
}

func (h *smHarness) connect(a Connect) {
	if h.show["connect"] {
		extra := ""
		if a.PubSub {
			extra += " +pubsub"
		}
		if a.Pass != "" {
			extra += " auth=" + a.User + ":" + a.Pass
		}
		h.printf("connect %s%s name=%s", a.Addr, extra, a.ClientName)
	}
	l := h.links[a.ID]
	if l == nil {
		l = &smLink{addr: a.Addr}
		h.links[a.ID] = l
	}
	n := h.nodes[a.Addr.String()]
	up := n != nil && n.alive && !n.frozen
	why := "Connection refused"
	if n != nil && n.frozen {
		why = "Connection timed out"
	}
	if !l.cc {
		l.cc = up
		h.queue = append(h.queue, LinkEvent{ID: a.ID, Up: up, Err: smErrIf(!up, why), LocalIP: smIPIf(up)})
	}
	if a.PubSub && !l.pc {
		l.pc = up
		h.queue = append(h.queue, LinkEvent{ID: a.ID, PubSub: true, Up: up, Err: smErrIf(!up, why), LocalIP: smIPIf(up)})
	}
}

func smErrIf(b bool, s string) string {
	if b {
		return s
	}
	return ""
}

func smIPIf(b bool) string {
	if b {
		return "127.0.0.1"
	}
	return ""
}

var smKindCategory = map[CommandKind]string{CmdPing: "ping", CmdInfo: "info", CmdPublishHello: "hello", CmdIsMasterDown: "ask"}

func (h *smHarness) command(a Command) {
	addr := h.addrOf(a.ID)
	if cat, ok := smKindCategory[a.Kind]; !ok || h.show[cat] {
		text := strings.Join(a.Args, " ")
		if a.Block != nil {
			var parts []string
			for _, c := range a.Block {
				parts = append(parts, strings.Join(c, " "))
			}
			text = "[" + strings.Join(parts, "; ") + "]"
		}
		h.printf("-> %s %s", addr, text)
	}
	n := h.nodes[addr.String()]
	l := h.links[a.ID]
	if n == nil || !n.alive || n.frozen || l == nil || !l.cc {
		return
	}
	reply := func(r Reply) { h.queue = append(h.queue, CommandReply{ID: a.ID, Kind: a.Kind, Reply: r}) }
	switch a.Kind {
	case CmdPing:
		if n.ping != "" {
			reply(Reply{Err: n.ping})
		} else {
			reply(Reply{Str: "PONG", Status: true})
		}
	case CmdInfo:
		reply(Reply{Str: h.info(n)})
	case CmdPublishHello:
		reply(Reply{IsInt: true, Int: 1})
		if !n.sentinel && l.pc {
			h.queue = append(h.queue, HelloMessage{ID: a.ID, Payload: a.Args[2]})
		}
	case CmdIsMasterDown:
		reply(h.voteReply(n, a.Args))
	case CmdScriptKill:
		n.ping = ""
		reply(Reply{Str: "OK", Status: true})
	case CmdReplicaOf:
		if n.sync != "ignore" {
			so := a.Block[1]
			if so[1] == "NO" {
				n.role, n.master = "master", Addr{}
			} else {
				p, _ := strconv.Atoi(so[2])
				n.role, n.master = "slave", Addr{Host: so[1], Port: p}
			}
		}
		reply(Reply{IsArr: true})
	}
}

func (h *smHarness) voteReply(n *smNode, args []string) Reply {
	epoch, _ := strconv.ParseUint(args[4], 10, 64)
	runID := args[5]
	down := int64(0)
	if n.down {
		down = 1
	}
	leader, le := "*", uint64(0)
	if runID != "*" {
		switch n.vote {
		case "auto":
			if epoch > n.leaderEpoch {
				n.leader, n.leaderEpoch = runID, epoch
			}
			leader, le = n.leader, n.leaderEpoch
		case "fixed":
			leader, le = n.leader, n.leaderEpoch
		}
	}
	return Reply{IsArr: true, Array: []Reply{{IsInt: true, Int: down}, {Str: leader}, {IsInt: true, Int: int64(le)}}}
}

// info is the INFO of a fake Redis node.
func (h *smHarness) info(n *smNode) string {
	var b strings.Builder
	b.WriteString("# Server\r\nrun_id:" + n.runID + "\r\n# Replication\r\n")
	if n.role == "master" {
		var reps []*smNode
		for _, o := range h.nodes {
			if !o.sentinel && o.alive && o.role == "slave" && o.master == n.addr {
				reps = append(reps, o)
			}
		}
		sort.Slice(reps, func(i, j int) bool { return reps[i].addr.String() < reps[j].addr.String() })
		fmt.Fprintf(&b, "role:master\r\nconnected_slaves:%d\r\n", len(reps))
		for i, o := range reps {
			fmt.Fprintf(&b, "slave%d:ip=%s,port=%d,state=online,offset=%d,lag=0\r\n", i, o.addr.Host, o.addr.Port, o.offset)
		}
		return b.String()
	}
	m := h.nodes[n.master.String()]
	up := m != nil && m.alive && !m.frozen && m.role == "master" && n.sync != "never"
	fmt.Fprintf(&b, "role:slave\r\nmaster_host:%s\r\nmaster_port:%d\r\n", n.master.Host, n.master.Port)
	if up {
		b.WriteString("master_link_status:up\r\n")
	} else {
		since := int64(0)
		if m != nil && !m.downSince.IsZero() {
			since = int64(h.now.Sub(m.downSince) / time.Second)
		}
		fmt.Fprintf(&b, "master_link_status:down\r\nmaster_link_down_since_seconds:%d\r\n", since)
	}
	ann := 0
	if n.announced {
		ann = 1
	}
	fmt.Fprintf(&b, "slave_repl_offset:%d\r\nslave_priority:%d\r\nreplica_announced:%d\r\n", n.offset, n.priority, ann)
	return b.String()
}
