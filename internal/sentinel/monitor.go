// monitor.go is the monitoring half of the timed logic, as Redis's
// sentinelTimer, sentinelReconnectInstance, sentinelSendPeriodicCommands
// and the reply callbacks: Tick walks every master with its replicas and
// sentinels (in name order, so runs are reproducible), opens links,
// sends PING/INFO/hello, and then runs the acting half (down.go,
// election.go, failover.go) unless in TILT. Step routes the driver's
// events; INFO replies are parsed and acted upon here.
package sentinel

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxPendingCommands bounds the unanswered commands on one link
// (SENTINEL_MAX_PENDING_COMMANDS).
const maxPendingCommands = 100

// maxDesync is the random delay added to a failover start time so that
// sentinels do not keep asking for votes at the same moment.
const maxDesync = 1000 // milliseconds

// Step feeds one event to the machine. Events for instances that no
// longer exist (removed, or reset: IDs are never reused) are dropped.
func (m *Machine) Step(now time.Time, ev Event) {
	switch ev := ev.(type) {
	case LinkEvent:
		if inst := m.instances[ev.ID]; inst != nil {
			m.linkEvent(now, inst, ev)
		}
	case CommandReply:
		if inst := m.instances[ev.ID]; inst != nil {
			m.commandReply(now, inst, ev)
		}
	case HelloMessage:
		if inst := m.instances[ev.ID]; inst != nil {
			inst.Link.PCLastActivity = now
		}
		// Our own hellos come back on the channel too: only the
		// activity above matters for them.
		if strings.Contains(ev.Payload, m.MyID) {
			return
		}
		m.processHello(now, ev.Payload)
	}
}

// Tick runs sentinelTimer: the TILT check, then every instance's
// monitoring and (out of TILT) acting half, then the switch of masters
// whose failover reached the config update.
func (m *Machine) Tick(now time.Time) {
	m.checkTilt(now)
	var switchTo []*Master
	for _, mm := range m.mastersByName() {
		m.handleInstance(now, &mm.Instance, mm)
		for _, r := range instancesByName(mm.Replicas) {
			m.handleInstance(now, r, mm)
		}
		for _, s := range instancesByName(mm.Sentinels) {
			m.handleInstance(now, s, mm)
		}
		if mm.FailoverState == FailoverUpdateConfig {
			switchTo = append(switchTo, mm)
		}
	}
	for _, mm := range switchTo {
		m.switchToPromoted(now, mm)
	}
}

func (m *Machine) checkTilt(now time.Time) {
	if !m.PreviousTime.IsZero() {
		delta := now.Sub(m.PreviousTime)
		if delta < 0 || delta > m.Timing.TiltTrigger {
			m.Tilt = true
			m.TiltStartTime = now
			m.event(LevelWarning, "+tilt", nil, "#tilt mode entered")
		}
	}
	m.PreviousTime = now
}

func (m *Machine) mastersByName() []*Master {
	out := make([]*Master, 0, len(m.Masters))
	for _, mm := range m.Masters {
		out = append(out, mm)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func instancesByName(d map[string]*Instance) []*Instance {
	out := make([]*Instance, 0, len(d))
	for _, inst := range d {
		out = append(out, inst)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// handleInstance is sentinelHandleRedisInstance.
func (m *Machine) handleInstance(now time.Time, inst *Instance, mm *Master) {
	m.reconnect(now, inst, mm)
	m.sendPeriodicCommands(now, inst, mm)

	if m.Tilt {
		if now.Sub(m.TiltStartTime) < m.Timing.TiltPeriod {
			return
		}
		m.Tilt = false
		m.event(LevelWarning, "-tilt", nil, "#tilt mode exited")
	}
	m.checkSubjectivelyDown(now, inst, mm)
	if inst.Flags&FlagMaster != 0 {
		m.checkObjectivelyDown(now, mm)
		if m.startFailoverIfNeeded(now, mm) {
			m.askOtherSentinels(now, mm, true)
		}
		m.failoverStateMachine(now, mm)
		m.askOtherSentinels(now, mm, false)
	}
}

// needsPubSub: masters and replicas get a Pub/Sub link, sentinels not.
func needsPubSub(inst *Instance) bool { return inst.Flags&(FlagMaster|FlagReplica) != 0 }

// linkDown is Redis's link->disconnected: a link the instance needs is
// not up.
func linkDown(inst *Instance) bool {
	return !inst.Link.Connected || (needsPubSub(inst) && !inst.Link.PubSubConnected)
}

// reconnect is sentinelReconnectInstance: ask for the missing links, at
// most once per ping period. An attempt stays pending until the driver
// reports the link up or down.
func (m *Machine) reconnect(now time.Time, inst *Instance, mm *Master) {
	if inst.Addr.Port == 0 {
		return
	}
	needCC := !inst.Link.Connected && inst.ccPendingID != inst.ID
	needPC := needsPubSub(inst) && !inst.Link.PubSubConnected && inst.pcPendingID != inst.ID
	if !needCC && !needPC {
		return
	}
	if !inst.Link.LastReconnTime.IsZero() && now.Sub(inst.Link.LastReconnTime) < m.Timing.PingPeriod {
		return
	}
	inst.Link.LastReconnTime = now
	c := Connect{ID: inst.ID, Addr: inst.Addr, PubSub: needPC, ClientName: m.clientName("cmd")}
	if inst.Flags&FlagSentinel != 0 {
		c.User, c.Pass = m.SentinelUser, m.SentinelPass
	} else {
		c.User, c.Pass = mm.AuthUser, mm.AuthPass
	}
	if needCC {
		inst.ccPendingID = inst.ID
		// Redis queues a PING on the connecting link at once, so an
		// instance that cannot be reached is timed from the first
		// attempt, not from its last PONG: down-after counts from when
		// the link was lost.
		if inst.Link.ActPingTime.IsZero() {
			inst.Link.ActPingTime = now
			inst.Link.LastPingTime = now
		}
	}
	if needPC {
		inst.pcPendingID = inst.ID
	}
	m.do(c)
}

// clientName is CLIENT SETNAME's argument for a link of the given type.
func (m *Machine) clientName(typ string) string {
	id := m.MyID
	if len(id) > 8 {
		id = id[:8]
	}
	return "sentinel-" + id + "-" + typ
}

func (m *Machine) linkEvent(now time.Time, inst *Instance, ev LinkEvent) {
	l := &inst.Link
	if ev.PubSub {
		inst.pcPendingID = 0
		l.PubSubConnected = ev.Up
		if ev.Up {
			inst.pcConnTime = now
			l.PCLastActivity = now
		}
		return
	}
	// A failed attempt is not an event: Redis only reports the rare
	// immediate failures of its asynchronous connect; the driver logs.
	inst.ccPendingID = 0
	l.PendingCommands = 0
	inst.infoPendingID, inst.helloPendingID = 0, 0
	if ev.Up {
		l.Connected = true
		l.ConnectedSince = now
		l.LocalIP = ev.LocalIP
		// As Redis: a PING as soon as the link is there.
		m.sendPing(now, inst)
		return
	}
	l.Connected = false
}

// closeLinks closes every link of inst at once (the Disconnect action
// cannot close one of the two).
func (m *Machine) closeLinks(inst *Instance) {
	inst.Link.Connected = false
	inst.Link.PubSubConnected = false
	inst.Link.PendingCommands = 0
	inst.ccPendingID, inst.pcPendingID = 0, 0
	inst.infoPendingID, inst.helloPendingID = 0, 0
	m.do(Disconnect{ID: inst.ID})
}

// master returns the Master inst belongs to (itself for a master).
func (m *Machine) masterFor(inst *Instance) *Master {
	if inst.Flags&FlagMaster != 0 {
		return m.masterOf(inst)
	}
	return inst.Master
}

// send queues one command on inst's command link.
func (m *Machine) send(inst *Instance, kind CommandKind, args ...string) bool {
	if !inst.Link.Connected {
		return false
	}
	inst.Link.PendingCommands++
	m.do(Command{ID: inst.ID, Kind: kind, Args: args})
	return true
}

func (m *Machine) cmdName(inst *Instance, name string) string {
	mm := m.masterFor(inst)
	if mm == nil {
		return name
	}
	return m.commandName(mm, name)
}

// sendPing is sentinelSendPing: the active ping time keeps the oldest
// unanswered PING.
func (m *Machine) sendPing(now time.Time, inst *Instance) {
	if !m.send(inst, CmdPing, m.cmdName(inst, "PING")) {
		return
	}
	inst.Link.LastPingTime = now
	if inst.Link.ActPingTime.IsZero() {
		inst.Link.ActPingTime = now
	}
}

// sendReplicaOf is sentinelSendSlaveOf: one MULTI block that changes the
// replication, rewrites the config and kills the clients; to nil means
// SLAVEOF NO ONE. Its effect is observed through INFO, not the reply.
func (m *Machine) sendReplicaOf(inst *Instance, to *Addr) bool {
	if !inst.Link.Connected {
		return false
	}
	mm := m.masterFor(inst)
	host, port := "NO", "ONE"
	if to != nil {
		host, port = to.Host, strconv.Itoa(to.Port)
	}
	n := func(s string) string { return m.commandName(mm, s) }
	inst.Link.PendingCommands++
	m.do(Command{ID: inst.ID, Kind: CmdReplicaOf, Block: [][]string{
		{n("MULTI")},
		{n("SLAVEOF"), host, port},
		{n("CONFIG"), "REWRITE"},
		{n("CLIENT"), "KILL", "TYPE", "normal"},
		{n("CLIENT"), "KILL", "TYPE", "pubsub"},
		{n("EXEC")},
	}})
	return true
}

// sendPeriodicCommands is sentinelSendPeriodicCommands. Unlike Redis, an
// INFO or hello still unanswered is not sent again within its period
// (Redis repeats it every tick, up to the pending limit).
func (m *Machine) sendPeriodicCommands(now time.Time, inst *Instance, mm *Master) {
	if linkDown(inst) || inst.Link.PendingCommands >= maxPendingCommands {
		return
	}
	// Replicas are watched closely while their master is in trouble, and
	// every second (as Redis) while they report their link to it down,
	// for a fresh master_link_down_since_seconds.
	infoPeriod := m.Timing.InfoPeriod
	if inst.Flags&FlagReplica != 0 {
		if inst.MasterLinkDownTime != 0 && infoPeriod > time.Second {
			infoPeriod = time.Second
		}
		if mm.Flags&(FlagODown|FlagFailoverInProgress) != 0 || inst.Flags&(FlagReconfSent|FlagReconfInProg) != 0 {
			infoPeriod = m.Timing.FailoverInfoPeriod
		}
	}
	pingPeriod := inst.DownAfter
	if pingPeriod > m.Timing.PingPeriod {
		pingPeriod = m.Timing.PingPeriod
	}
	infoWaiting := inst.infoPendingID == inst.ID && now.Sub(inst.infoSentTime) <= infoPeriod
	if inst.Flags&FlagSentinel == 0 && !infoWaiting &&
		(inst.InfoRefresh.IsZero() || now.Sub(inst.InfoRefresh) > infoPeriod) {
		if m.send(inst, CmdInfo, m.cmdName(inst, "INFO")) {
			inst.infoPendingID, inst.infoSentTime = inst.ID, now
		}
	}
	if now.Sub(inst.Link.LastPongTime) > pingPeriod &&
		(inst.Link.LastPingTime.IsZero() || now.Sub(inst.Link.LastPingTime) > pingPeriod/2) {
		m.sendPing(now, inst)
	}
	helloWaiting := inst.helloPendingID == inst.ID && now.Sub(inst.helloSentTime) <= m.Timing.PublishPeriod
	if now.Sub(inst.LastPubTime) > m.Timing.PublishPeriod && !helloWaiting {
		m.sendHello(now, inst, mm)
	}
}

func (m *Machine) commandReply(now time.Time, inst *Instance, ev CommandReply) {
	if inst.Link.PendingCommands > 0 {
		inst.Link.PendingCommands--
	}
	r := ev.Reply
	switch ev.Kind {
	case CmdPing:
		m.pingReply(now, inst, r)
	case CmdInfo:
		inst.infoPendingID = 0
		if r.Err == "" && !r.Status && !r.IsArr && !r.IsInt && !r.Nil {
			m.refreshInfo(now, inst, r.Str)
		}
	case CmdPublishHello:
		inst.helloPendingID = 0
		if r.Err == "" {
			inst.LastPubTime = now
		}
	case CmdIsMasterDown:
		m.isMasterDownReply(now, inst, r)
	}
}

// pingReply is sentinelPingReplyCallback.
func (m *Machine) pingReply(now time.Time, inst *Instance, r Reply) {
	if r.Err != "" || r.Status {
		s := r.Err
		if s == "" {
			s = r.Str
		}
		switch {
		case strings.HasPrefix(s, "PONG"), strings.HasPrefix(s, "LOADING"), strings.HasPrefix(s, "MASTERDOWN"):
			inst.Link.LastAvailTime = now
			inst.Link.ActPingTime = time.Time{}
			if inst.Flags&FlagMasterReboot != 0 && strings.HasPrefix(s, "PONG") {
				inst.Flags &^= FlagMasterReboot
			}
		case strings.HasPrefix(s, "BUSY") && inst.Flags&FlagSDown != 0 && inst.Flags&FlagScriptKillSent == 0:
			// A script keeps the instance busy: kill it, once per SDOWN.
			m.send(inst, CmdScriptKill, m.cmdName(inst, "SCRIPT"), "KILL")
			inst.Flags |= FlagScriptKillSent
		}
	}
	inst.Link.LastPongTime = now
}

// masterLooksSane is sentinelMasterLooksSane.
func (m *Machine) masterLooksSane(now time.Time, mm *Master) bool {
	return mm.Flags&FlagMaster != 0 && mm.RoleReported == RoleMaster &&
		mm.Flags&(FlagSDown|FlagODown) == 0 &&
		now.Sub(mm.InfoRefresh) < 2*m.Timing.InfoPeriod
}

// noDownFor is sentinelRedisInstanceNoDownFor.
func noDownFor(now time.Time, inst *Instance, d time.Duration) bool {
	recent := inst.SDownSince
	if inst.ODownSince.After(recent) {
		recent = inst.ODownSince
	}
	return recent.IsZero() || now.Sub(recent) > d
}

func sameHost(a, b string) bool { return strings.EqualFold(a, b) }

// refreshInfo is sentinelRefreshInstanceInfo: parse, then act on the role
// an instance reports.
func (m *Machine) refreshInfo(now time.Time, inst *Instance, info string) {
	inst.Info = info
	inst.MasterLinkDownTime = 0
	mm := m.masterFor(inst)
	role := RoleUnknown
	for _, l := range strings.Split(info, "\n") {
		l = strings.TrimSuffix(l, "\r")
		if len(l) >= 47 && strings.HasPrefix(l, "run_id:") {
			id := l[7:47]
			if inst.RunID == "" {
				inst.RunID = id
			} else if inst.RunID != id {
				m.event(LevelNotice, "+reboot", inst, "%@")
				if inst.Flags&FlagMaster != 0 && mm != nil && mm.RebootDownAfter != 0 {
					inst.Flags |= FlagMasterReboot
					mm.MasterRebootSince = now
				}
				inst.RunID = id
			}
		}
		if inst.Flags&FlagMaster != 0 && mm != nil && len(l) >= 7 && strings.HasPrefix(l, "slave") && l[5] >= '0' && l[5] <= '9' {
			m.discoverReplica(now, mm, l)
		}
		if len(l) >= 32 && strings.HasPrefix(l, "master_link_down_since_seconds") {
			secs, _ := strconv.ParseInt(strings.TrimSpace(l[31:]), 10, 64)
			inst.MasterLinkDownTime = time.Duration(secs) * time.Second
		}
		if strings.HasPrefix(l, "role:master") {
			role = RoleMaster
		} else if strings.HasPrefix(l, "role:slave") {
			role = RoleReplica
		}
		if role != RoleReplica {
			continue
		}
		switch {
		case strings.HasPrefix(l, "master_host:"):
			if h := l[12:]; inst.ReplicaMasterHost == "" || !sameHost(h, inst.ReplicaMasterHost) {
				inst.ReplicaMasterHost = h
				inst.ReplicaConfChangeTime = now
			}
		case strings.HasPrefix(l, "master_port:"):
			if p := cAtoi(l[12:]); p != inst.ReplicaMasterPort {
				inst.ReplicaMasterPort = p
				inst.ReplicaConfChangeTime = now
			}
		case strings.HasPrefix(l, "master_link_status:"):
			inst.ReplicaMasterLinkUp = strings.EqualFold(l[19:], "up")
		case strings.HasPrefix(l, "slave_priority:"):
			inst.ReplicaPriority = cAtoi(l[15:])
		case strings.HasPrefix(l, "slave_repl_offset:"):
			inst.ReplicaReplOffset, _ = strconv.ParseInt(l[18:], 10, 64)
		case strings.HasPrefix(l, "replica_announced:"):
			inst.ReplicaAnnounced = cAtoi(l[18:]) != 0
		}
	}
	inst.InfoRefresh = now

	if role != inst.RoleReported {
		inst.RoleReportedTime = now
		inst.RoleReported = role
		if role == RoleReplica {
			inst.ReplicaConfChangeTime = now
		}
		typ := "-role-change"
		if (inst.Flags&FlagMaster != 0 && role == RoleMaster) || (inst.Flags&FlagReplica != 0 && role == RoleReplica) {
			typ = "+role-change"
		}
		name := "slave"
		if role == RoleMaster {
			name = "master"
		}
		m.event(LevelVerbose, typ, inst, "%@ new reported role is %s", name)
	}

	if m.Tilt || inst.Flags&FlagReplica == 0 || mm == nil {
		// A master claiming to be a replica needs nothing here: it will
		// be found SDOWN after a while (down.go).
		return
	}

	if role == RoleMaster {
		if inst.Flags&FlagPromoted != 0 && mm.Flags&FlagFailoverInProgress != 0 && mm.FailoverState == FailoverWaitPromotion {
			m.promotionDone(now, mm, inst)
		} else {
			// A replica turned master outside of our failover: after a
			// while, and if our master is fine, force our view on it.
			wait := 4 * m.Timing.PublishPeriod
			if inst.Flags&FlagPromoted == 0 && m.masterLooksSane(now, mm) &&
				noDownFor(now, inst, wait) && now.Sub(inst.RoleReportedTime) > wait {
				if m.sendReplicaOf(inst, &mm.Addr) {
					m.event(LevelNotice, "+convert-to-slave", inst, "%@")
				}
			}
		}
	}

	if role == RoleReplica && (inst.ReplicaMasterPort != mm.Addr.Port || !sameHost(mm.Addr.Host, inst.ReplicaMasterHost)) {
		wait := mm.FailoverTimeout
		if m.masterLooksSane(now, mm) && noDownFor(now, inst, wait) && now.Sub(inst.ReplicaConfChangeTime) > wait {
			if m.sendReplicaOf(inst, &mm.Addr) {
				m.event(LevelNotice, "+fix-slave-config", inst, "%@")
			}
		}
	}

	if role == RoleReplica && inst.Flags&(FlagReconfSent|FlagReconfInProg) != 0 && mm.PromotedReplica != nil {
		p := mm.PromotedReplica
		if inst.Flags&FlagReconfSent != 0 && inst.ReplicaMasterHost != "" &&
			sameHost(p.Addr.Host, inst.ReplicaMasterHost) && inst.ReplicaMasterPort == p.Addr.Port {
			inst.Flags &^= FlagReconfSent
			inst.Flags |= FlagReconfInProg
			m.event(LevelNotice, "+slave-reconf-inprog", inst, "%@")
		}
		if inst.Flags&FlagReconfInProg != 0 && inst.ReplicaMasterLinkUp {
			inst.Flags &^= FlagReconfInProg
			inst.Flags |= FlagReconfDone
			m.event(LevelNotice, "+slave-reconf-done", inst, "%@")
		}
	}
}

// discoverReplica handles a "slaveN:" line of a master's INFO, in the
// new (ip=...,port=...) or old (ip,port,state) format.
func (m *Machine) discoverReplica(now time.Time, mm *Master, l string) {
	var ip, port string
	if i := strings.Index(l, "ip="); i >= 0 {
		ip = l[i+3:]
		j := strings.Index(l, "port=")
		if j < 0 {
			return
		}
		port = l[j+5:]
		ip, _, _ = strings.Cut(ip, ",")
		port, _, _ = strings.Cut(port, ",")
	} else {
		_, rest, ok := strings.Cut(l, ":")
		if !ok {
			return
		}
		f := strings.Split(rest, ",")
		if len(f) < 3 {
			return
		}
		ip, port = f[0], f[1]
	}
	addr := Addr{Host: ip, Port: cAtoi(port)}
	if _, ok := mm.Replicas[addr.String()]; ok {
		return
	}
	if r, err := m.AddReplica(mm, addr, now); err == nil {
		m.event(LevelNotice, "+slave", r, "%@")
		m.do(SaveConfig{})
	}
}

// atoi is C's atoi: leading digits, 0 when none.
func cAtoi(s string) int {
	s = strings.TrimSpace(s)
	n, i, neg := 0, 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}
