// down.go is failure detection: SDOWN from this sentinel's own pings
// (sentinelCheckSubjectivelyDown, which also closes links that look
// dead), ODOWN once enough sentinels agree (sentinelCheckObjectivelyDown)
// and the is-master-down-by-addr exchange that gathers their opinions
// and, during a failover, their votes.
package sentinel

import (
	"strconv"
	"time"
)

func (m *Machine) checkSubjectivelyDown(now time.Time, inst *Instance, mm *Master) {
	l := &inst.Link
	var elapsed time.Duration
	if !l.ActPingTime.IsZero() {
		elapsed = now.Sub(l.ActPingTime)
	} else if linkDown(inst) {
		elapsed = now.Sub(l.LastAvailTime)
	}

	// A link connected for a while but with a PING unanswered for half of
	// down-after, or a Pub/Sub link silent for three hello periods (we
	// hear our own hellos), is probably dead: reopen it.
	half := inst.DownAfter / 2
	ccStale := l.Connected && now.Sub(l.ConnectedSince) > m.Timing.MinLinkReconnectPeriod &&
		!l.ActPingTime.IsZero() && now.Sub(l.ActPingTime) > half && now.Sub(l.LastPongTime) > half
	pcStale := l.PubSubConnected && now.Sub(inst.pcConnTime) > m.Timing.MinLinkReconnectPeriod &&
		now.Sub(l.PCLastActivity) > 3*m.Timing.PublishPeriod
	if ccStale || pcStale {
		m.closeLinks(inst)
	}

	down := elapsed > inst.DownAfter
	if inst.Flags&FlagMaster != 0 {
		if inst.RoleReported == RoleReplica && now.Sub(inst.RoleReportedTime) > inst.DownAfter+2*m.Timing.InfoPeriod {
			down = true
		}
		if inst.Flags&FlagMasterReboot != 0 && now.Sub(mm.MasterRebootSince) > mm.RebootDownAfter {
			down = true
		}
	}
	if down {
		if inst.Flags&FlagSDown == 0 {
			m.event(LevelWarning, "+sdown", inst, "%@")
			inst.SDownSince = now
			inst.Flags |= FlagSDown
		}
	} else if inst.Flags&FlagSDown != 0 {
		m.event(LevelWarning, "-sdown", inst, "%@")
		inst.Flags &^= FlagSDown | FlagScriptKillSent
	}
}

func (m *Machine) checkObjectivelyDown(now time.Time, mm *Master) {
	quorum, odown := 0, false
	if mm.Flags&FlagSDown != 0 {
		quorum = 1 // ourselves
		for _, s := range mm.Sentinels {
			if s.Flags&FlagMasterDown != 0 {
				quorum++
			}
		}
		odown = quorum >= mm.Quorum
	}
	if odown {
		if mm.Flags&FlagODown == 0 {
			m.event(LevelWarning, "+odown", &mm.Instance, "%@ #quorum %d/%d", quorum, mm.Quorum)
			mm.Flags |= FlagODown
			mm.ODownSince = now
		}
	} else if mm.Flags&FlagODown != 0 {
		m.event(LevelWarning, "-odown", &mm.Instance, "%@")
		mm.Flags &^= FlagODown
	}
}

// askOtherSentinels is sentinelAskMasterStateToOtherSentinels: while the
// master is SDOWN, ask each connected sentinel every ask period (forced
// right after a failover starts), asking for its vote once we fail over.
// Opinions older than five ask periods are forgotten.
func (m *Machine) askOtherSentinels(now time.Time, mm *Master, forced bool) {
	for _, s := range instancesByName(mm.Sentinels) {
		elapsed := now.Sub(s.LastMasterDownReplyTime)
		if elapsed > 5*m.Timing.AskPeriod {
			s.Flags &^= FlagMasterDown
			s.Leader = ""
		}
		if mm.Flags&FlagSDown == 0 || linkDown(s) {
			continue
		}
		// Besides Redis's check on the last reply, do not repeat a
		// question still unanswered within the ask period.
		if !forced && (elapsed < m.Timing.AskPeriod || now.Sub(s.askSentTime) < m.Timing.AskPeriod) {
			continue
		}
		runID := "*"
		if mm.FailoverState > FailoverNone {
			runID = m.MyID
		}
		if m.send(s, CmdIsMasterDown, m.commandName(mm, "SENTINEL"), "is-master-down-by-addr",
			mm.Addr.Host, strconv.Itoa(mm.Addr.Port), strconv.FormatUint(m.CurrentEpoch, 10), runID) {
			s.askSentTime = now
		}
	}
}

// isMasterDownReply takes a sentinel's answer: its opinion on the master
// and, when it voted, its leader and epoch. Anything malformed is ignored
// (the opinion then times out).
func (m *Machine) isMasterDownReply(now time.Time, s *Instance, r Reply) {
	s.askSentTime = time.Time{}
	if !r.IsArr || len(r.Array) != 3 || !r.Array[0].IsInt || !r.Array[2].IsInt ||
		r.Array[1].Err != "" || r.Array[1].IsArr || r.Array[1].IsInt || r.Array[1].Nil {
		return
	}
	s.LastMasterDownReplyTime = now
	if r.Array[0].Int == 1 {
		s.Flags |= FlagMasterDown
	} else {
		s.Flags &^= FlagMasterDown
	}
	if leader := r.Array[1].Str; leader != "*" {
		s.Leader = leader
		s.LeaderEpoch = uint64(r.Array[2].Int)
	}
}
