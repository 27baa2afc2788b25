// failover.go is the failover itself, as Redis's
// sentinelFailoverStateMachine: start when ODOWN (at most once per two
// failover timeouts), wait to be elected, pick the best replica, promote
// it with SLAVEOF NO ONE, point the other replicas at it a few at a time
// (parallel-syncs), and finally switch the master's address to it.
package sentinel

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

const simFailureReason = "Sentinel CRASH because of SENTINEL simulate-failure"

// ForceFailover starts a failover without agreement (SENTINEL FAILOVER);
// the error text is the whole error reply ("INPROG ...", "NOGOODSLAVE ...").
func (m *Machine) ForceFailover(mm *Master, now time.Time) string {
	if mm.Flags&FlagFailoverInProgress != 0 {
		return "INPROG Failover already in progress"
	}
	if m.selectReplica(now, mm) == nil {
		return "NOGOODSLAVE No suitable replica to promote"
	}
	m.startFailover(now, mm)
	mm.Flags |= FlagForceFailover
	return ""
}

func (m *Machine) startFailover(now time.Time, mm *Master) {
	mm.FailoverState = FailoverWaitStart
	mm.Flags |= FlagFailoverInProgress
	m.CurrentEpoch++
	mm.FailoverEpoch = m.CurrentEpoch
	m.event(LevelWarning, "+new-epoch", &mm.Instance, "%d", m.CurrentEpoch)
	m.event(LevelWarning, "+try-failover", &mm.Instance, "%@")
	mm.FailoverStartTime = now.Add(m.desync())
	mm.FailoverStateChangeTime = now
}

// startFailoverIfNeeded is sentinelStartFailoverIfNeeded.
func (m *Machine) startFailoverIfNeeded(now time.Time, mm *Master) bool {
	if mm.Flags&FlagODown == 0 || mm.Flags&FlagFailoverInProgress != 0 {
		return false
	}
	if now.Sub(mm.FailoverStartTime) < 2*mm.FailoverTimeout {
		// Redis only logs this ("Next failover delay"), once per attempt.
		mm.FailoverDelayLogged = mm.FailoverStartTime
		return false
	}
	m.startFailover(now, mm)
	return true
}

// replicaBetter orders candidates as compareSlavesForPromotion: lower
// priority, then larger offset, then smaller run ID (none last).
func replicaBetter(a, b *Instance) bool {
	if a.ReplicaPriority != b.ReplicaPriority {
		return a.ReplicaPriority < b.ReplicaPriority
	}
	if a.ReplicaReplOffset != b.ReplicaReplOffset {
		return a.ReplicaReplOffset > b.ReplicaReplOffset
	}
	if a.RunID == "" || b.RunID == "" {
		return a.RunID != "" && b.RunID == ""
	}
	return strings.ToLower(a.RunID) < strings.ToLower(b.RunID)
}

// selectReplica is sentinelSelectSlave: among the replicas that are up,
// recently heard from, not priority 0 and not disconnected from the
// master for too long, the best one, or nil.
func (m *Machine) selectReplica(now time.Time, mm *Master) *Instance {
	var maxDown time.Duration
	if mm.Flags&FlagSDown != 0 {
		maxDown = now.Sub(mm.SDownSince)
	}
	maxDown += mm.DownAfter * 10
	infoValidity := 3 * m.Timing.InfoPeriod
	if mm.Flags&FlagSDown != 0 {
		infoValidity = 5 * m.Timing.PingPeriod
	}
	var cands []*Instance
	for _, r := range instancesByName(mm.Replicas) {
		switch {
		case r.Flags&(FlagSDown|FlagODown) != 0, linkDown(r),
			now.Sub(r.Link.LastAvailTime) > 5*m.Timing.PingPeriod,
			r.ReplicaPriority == 0,
			now.Sub(r.InfoRefresh) > infoValidity,
			r.MasterLinkDownTime > maxDown:
			continue
		}
		cands = append(cands, r)
	}
	if len(cands) == 0 {
		return nil
	}
	sort.SliceStable(cands, func(i, j int) bool { return replicaBetter(cands[i], cands[j]) })
	return cands[0]
}

func (m *Machine) failoverStateMachine(now time.Time, mm *Master) {
	if mm.Flags&FlagFailoverInProgress == 0 {
		return
	}
	if mm.PromotedReplica == nil {
		// The promoted replica was removed under us (Redis cannot get
		// here): before the promotion, give up; after, end the failover
		// (the switch then keeps the master's address, as Redis's does
		// without a promoted replica).
		switch mm.FailoverState {
		case FailoverSendReplicaOfNoOne, FailoverWaitPromotion:
			m.abortFailover(now, mm)
			return
		case FailoverReconfReplicas:
			mm.FailoverState = FailoverUpdateConfig
			mm.FailoverStateChangeTime = now
			return
		}
	}
	switch mm.FailoverState {
	case FailoverWaitStart:
		m.failoverWaitStart(now, mm)
	case FailoverSelectReplica:
		m.failoverSelectReplica(now, mm)
	case FailoverSendReplicaOfNoOne:
		m.failoverSendNoOne(now, mm)
	case FailoverWaitPromotion:
		if now.Sub(mm.FailoverStateChangeTime) > mm.FailoverTimeout {
			m.event(LevelWarning, "-failover-abort-slave-timeout", &mm.Instance, "%@")
			m.abortFailover(now, mm)
		}
	case FailoverReconfReplicas:
		m.failoverReconfNextReplica(now, mm)
	}
}

func (m *Machine) failoverWaitStart(now time.Time, mm *Master) {
	leader := m.getLeader(now, mm, mm.FailoverEpoch)
	isLeader := leader != "" && strings.EqualFold(leader, m.MyID)
	if !isLeader && mm.Flags&FlagForceFailover == 0 {
		timeout := m.Timing.ElectionTimeout
		if timeout > mm.FailoverTimeout {
			timeout = mm.FailoverTimeout
		}
		if now.Sub(mm.FailoverStartTime) > timeout {
			m.event(LevelWarning, "-failover-abort-not-elected", &mm.Instance, "%@")
			m.abortFailover(now, mm)
		}
		return
	}
	m.event(LevelWarning, "+elected-leader", &mm.Instance, "%@")
	if m.SimFailure&SimCrashAfterElection != 0 {
		m.do(Crash{Reason: simFailureReason})
	}
	mm.FailoverState = FailoverSelectReplica
	mm.FailoverStateChangeTime = now
	m.event(LevelWarning, "+failover-state-select-slave", &mm.Instance, "%@")
}

func (m *Machine) failoverSelectReplica(now time.Time, mm *Master) {
	r := m.selectReplica(now, mm)
	if r == nil {
		m.event(LevelWarning, "-failover-abort-no-good-slave", &mm.Instance, "%@")
		m.abortFailover(now, mm)
		return
	}
	m.event(LevelWarning, "+selected-slave", r, "%@")
	r.Flags |= FlagPromoted
	mm.PromotedReplica = r
	mm.FailoverState = FailoverSendReplicaOfNoOne
	mm.FailoverStateChangeTime = now
	m.event(LevelNotice, "+failover-state-send-slaveof-noone", r, "%@")
}

func (m *Machine) failoverSendNoOne(now time.Time, mm *Master) {
	p := mm.PromotedReplica
	if linkDown(p) {
		// Keep trying until the failover timeout.
		if now.Sub(mm.FailoverStateChangeTime) > mm.FailoverTimeout {
			m.event(LevelWarning, "-failover-abort-slave-timeout", &mm.Instance, "%@")
			m.abortFailover(now, mm)
		}
		return
	}
	if !m.sendReplicaOf(p, nil) {
		return
	}
	m.event(LevelNotice, "+failover-state-wait-promotion", p, "%@")
	mm.FailoverState = FailoverWaitPromotion
	mm.FailoverStateChangeTime = now
}

// promotionDone: the promoted replica's INFO says master. From here on
// the failover cannot be aborted; the new config epoch is ours.
func (m *Machine) promotionDone(now time.Time, mm *Master, p *Instance) {
	mm.ConfigEpoch = mm.FailoverEpoch
	mm.FailoverState = FailoverReconfReplicas
	mm.FailoverStateChangeTime = now
	m.do(SaveConfig{})
	m.event(LevelWarning, "+promoted-slave", p, "%@")
	if m.SimFailure&SimCrashAfterPromotion != 0 {
		m.do(Crash{Reason: simFailureReason})
	}
	m.event(LevelWarning, "+failover-state-reconf-slaves", &mm.Instance, "%@")
	m.clientReconfScript(mm, "leader", "start", mm.Addr, p.Addr)
	m.forceHelloUpdate(mm)
}

// failoverReconfNextReplica is sentinelFailoverReconfNextSlave: keep up
// to parallel-syncs replicas resyncing with the promoted one; a replica
// silent for the reconf timeout counts as done (a later +fix-slave-config
// repairs it).
func (m *Machine) failoverReconfNextReplica(now time.Time, mm *Master) {
	inProgress := 0
	for _, r := range mm.Replicas {
		if r.Flags&(FlagReconfSent|FlagReconfInProg) != 0 {
			inProgress++
		}
	}
	for _, r := range instancesByName(mm.Replicas) {
		if inProgress >= mm.ParallelSyncs {
			break
		}
		if r.Flags&(FlagPromoted|FlagReconfDone) != 0 {
			continue
		}
		if r.Flags&FlagReconfSent != 0 && now.Sub(r.ReplicaReconfSentTime) > m.Timing.ReplicaReconfTimeout {
			m.event(LevelNotice, "-slave-reconf-sent-timeout", r, "%@")
			r.Flags &^= FlagReconfSent
			r.Flags |= FlagReconfDone
		}
		if r.Flags&(FlagReconfSent|FlagReconfInProg) != 0 || linkDown(r) {
			continue
		}
		if m.sendReplicaOf(r, &mm.PromotedReplica.Addr) {
			r.Flags |= FlagReconfSent
			r.ReplicaReconfSentTime = now
			m.event(LevelNotice, "+slave-reconf-sent", r, "%@")
			inProgress++
		}
	}
	m.failoverDetectEnd(now, mm)
}

// failoverDetectEnd is sentinelFailoverDetectEnd: the failover ends when
// every reachable replica is reconfigured, or at the failover timeout
// (then a best-effort SLAVEOF goes to the ones left).
func (m *Machine) failoverDetectEnd(now time.Time, mm *Master) {
	p := mm.PromotedReplica
	if p == nil || p.Flags&FlagSDown != 0 {
		return
	}
	notReconfigured := 0
	for _, r := range mm.Replicas {
		if r.Flags&(FlagPromoted|FlagReconfDone) != 0 || r.Flags&FlagSDown != 0 {
			continue
		}
		notReconfigured++
	}
	timeout := false
	if now.Sub(mm.FailoverStateChangeTime) > mm.FailoverTimeout {
		notReconfigured = 0
		timeout = true
		m.event(LevelWarning, "+failover-end-for-timeout", &mm.Instance, "%@")
	}
	if notReconfigured == 0 {
		m.event(LevelWarning, "+failover-end", &mm.Instance, "%@")
		mm.FailoverState = FailoverUpdateConfig
		mm.FailoverStateChangeTime = now
	}
	if !timeout {
		return
	}
	for _, r := range instancesByName(mm.Replicas) {
		if r.Flags&(FlagPromoted|FlagReconfDone|FlagReconfSent) != 0 || linkDown(r) {
			continue
		}
		if m.sendReplicaOf(r, &p.Addr) {
			m.event(LevelNotice, "+slave-reconf-sent-be", r, "%@")
			r.Flags |= FlagReconfSent
		}
	}
}

func (m *Machine) abortFailover(now time.Time, mm *Master) {
	mm.Flags &^= FlagFailoverInProgress | FlagForceFailover
	mm.FailoverState = FailoverNone
	mm.FailoverStateChangeTime = now
	if mm.PromotedReplica != nil {
		mm.PromotedReplica.Flags &^= FlagPromoted
		mm.PromotedReplica = nil
	}
}

// switchToPromoted is sentinelFailoverSwitchToPromotedSlave.
func (m *Machine) switchToPromoted(now time.Time, mm *Master) {
	to := mm.Addr
	if mm.PromotedReplica != nil {
		to = mm.PromotedReplica.Addr
	}
	m.event(LevelWarning, "+switch-master", &mm.Instance, "%s %s %d %s %d",
		mm.Name, mm.Addr.Host, mm.Addr.Port, to.Host, to.Port)
	m.resetMasterAndChangeAddress(now, mm, to)
}

// resetMasterAndChangeAddress is sentinelResetMasterAndChangeAddress: the
// master (keeping its name and sentinels) moves to addr; its replicas,
// except the one at addr, plus the old address become its replicas.
func (m *Machine) resetMasterAndChangeAddress(now time.Time, mm *Master, addr Addr) {
	same := func(a, b Addr) bool { return a.Port == b.Port && sameHost(a.Host, b.Host) }
	var replicas []Addr
	for _, r := range instancesByName(mm.Replicas) {
		if !same(r.Addr, addr) {
			replicas = append(replicas, r.Addr)
		}
	}
	if !same(addr, mm.Addr) {
		replicas = append(replicas, mm.Addr)
	}
	m.ResetMaster(mm, ResetOptions{KeepSentinels: true}, now)
	mm.Addr = addr
	mm.ODownSince = time.Time{}
	mm.SDownSince = time.Time{}
	for _, a := range replicas {
		if r, err := m.AddReplica(mm, a, now); err == nil {
			m.event(LevelNotice, "+slave", r, "%@")
		}
	}
	m.do(SaveConfig{})
}

// clientReconfScript queues the client-reconfig-script with Redis's
// arguments: <master-name> <leader|observer> <state> <from-ip>
// <from-port> <to-ip> <to-port>.
func (m *Machine) clientReconfScript(mm *Master, role, state string, from, to Addr) {
	if mm.ClientReconfigScript == "" {
		return
	}
	m.do(RunScript{Path: mm.ClientReconfigScript, Args: []string{
		mm.Name, role, state, from.Host, strconv.Itoa(from.Port), to.Host, strconv.Itoa(to.Port),
	}})
}
