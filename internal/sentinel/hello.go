// hello.go is the hello protocol (sentinelSendHello and
// sentinelProcessHelloMessage): every sentinel periodically publishes
// its address, epoch and view of each master on __sentinel__:hello of
// the masters and replicas (and sends it to the other sentinels), which
// is how sentinels discover each other and how a newer configuration
// (a failover done by another sentinel) spreads.
package sentinel

import (
	"strconv"
	"strings"
	"time"
)

// HelloChannel is the Pub/Sub channel of the hello protocol.
const HelloChannel = "__sentinel__:hello"

// Hello processes a hello delivered directly (PUBLISH __sentinel__:hello
// sent to this sentinel), as Redis does without filtering our own ID.
func (m *Machine) Hello(now time.Time, payload string) {
	m.processHello(now, payload)
}

// CurrentAddr is the master's address as announced to others
// (sentinelGetCurrentMasterAddress): once the promoted replica has
// acknowledged its promotion, its address, otherwise the master's.
func (mm *Master) CurrentAddr() Addr {
	if mm.Flags&FlagFailoverInProgress != 0 && mm.PromotedReplica != nil && mm.FailoverState >= FailoverReconfReplicas {
		return mm.PromotedReplica.Addr
	}
	return mm.Addr
}

// sendHello publishes our hello for mm through inst's command link.
func (m *Machine) sendHello(now time.Time, inst *Instance, mm *Master) {
	if linkDown(inst) {
		return
	}
	ip := m.AnnounceIP
	if ip == "" {
		ip = inst.Link.LocalIP
		if ip == "" {
			return // Redis: no local address, no hello
		}
	}
	port := m.Port
	if m.AnnouncePort != 0 {
		port = m.AnnouncePort
	}
	ma := mm.CurrentAddr()
	payload := strings.Join([]string{
		ip, strconv.Itoa(port), m.MyID, strconv.FormatUint(m.CurrentEpoch, 10),
		mm.Name, ma.Host, strconv.Itoa(ma.Port), strconv.FormatUint(mm.ConfigEpoch, 10),
	}, ",")
	if m.send(inst, CmdPublishHello, m.cmdName(inst, "PUBLISH"), HelloChannel, payload) {
		inst.helloPendingID, inst.helloSentTime = inst.ID, now
	}
}

// forceHelloUpdate makes the next tick publish hellos for mm everywhere
// (sentinelForceHelloUpdateForMaster).
func (m *Machine) forceHelloUpdate(mm *Master) {
	back := m.Timing.PublishPeriod + time.Millisecond
	mm.LastPubTime = mm.LastPubTime.Add(-back)
	for _, s := range mm.Sentinels {
		s.LastPubTime = s.LastPubTime.Add(-back)
	}
	for _, r := range mm.Replicas {
		r.LastPubTime = r.LastPubTime.Add(-back)
	}
}

// sentinelByAddrAndRunID finds a sentinel of mm by address and/or run ID
// ("" or port<0 to not match on it), in name order.
func sentinelByAddrAndRunID(mm *Master, host string, port int, runID string) *Instance {
	for _, s := range instancesByName(mm.Sentinels) {
		if runID != "" && s.RunID != runID {
			continue
		}
		if port >= 0 && (s.Addr.Port != port || !sameHost(s.Addr.Host, host)) {
			continue
		}
		return s
	}
	return nil
}

// removeSentinelsWithRunID removes mm's sentinels with runID and says how many.
func (m *Machine) removeSentinelsWithRunID(mm *Master, runID string) int {
	n := 0
	for _, s := range instancesByName(mm.Sentinels) {
		if s.RunID == runID {
			m.RemoveSentinel(s)
			n++
		}
	}
	return n
}

func (m *Machine) processHello(now time.Time, payload string) {
	tok := strings.Split(payload, ",")
	if len(tok) != 8 {
		return
	}
	mm := m.Masters[tok[4]]
	if mm == nil {
		return
	}
	host, port, runID := tok[0], cAtoi(tok[1]), tok[2]
	currentEpoch, _ := strconv.ParseUint(tok[3], 10, 64)
	masterHost, masterPort := tok[5], cAtoi(tok[6])
	masterConfigEpoch, _ := strconv.ParseUint(tok[7], 10, 64)

	si := sentinelByAddrAndRunID(mm, host, port, runID)
	if si == nil {
		// The same sentinel at a new address replaces the old entry; a
		// different sentinel at a known address makes the old one stale
		// everywhere.
		removed := m.removeSentinelsWithRunID(mm, runID)
		if removed > 0 {
			m.event(LevelNotice, "+sentinel-address-switch", &mm.Instance, "%@ ip %s port %d for %s", host, port, runID)
		} else if other := sentinelByAddrAndRunID(mm, host, port, ""); other != nil {
			m.event(LevelNotice, "+sentinel-invalid-addr", other, "%@")
			obsolete := other.RunID
			for _, om := range m.mastersByName() {
				m.removeSentinelsWithRunID(om, obsolete)
			}
		}
		var err error
		si, err = m.AddSentinel(mm, runID, Addr{Host: host, Port: port}, now)
		if err == nil {
			if removed == 0 {
				m.event(LevelNotice, "+sentinel", si, "%@")
			} else {
				m.updateSentinelAddressInAllMasters(si)
			}
			m.do(SaveConfig{})
		} else {
			si = nil
		}
	}

	if currentEpoch > m.CurrentEpoch {
		m.CurrentEpoch = currentEpoch
		m.do(SaveConfig{})
		m.event(LevelWarning, "+new-epoch", &mm.Instance, "%d", m.CurrentEpoch)
	}

	if si != nil && mm.ConfigEpoch < masterConfigEpoch {
		mm.ConfigEpoch = masterConfigEpoch
		if masterPort != mm.Addr.Port || !sameHost(mm.Addr.Host, masterHost) {
			m.event(LevelWarning, "+config-update-from", si, "%@")
			m.event(LevelWarning, "+switch-master", &mm.Instance, "%s %s %d %s %d",
				mm.Name, mm.Addr.Host, mm.Addr.Port, masterHost, masterPort)
			old := mm.Addr
			m.resetMasterAndChangeAddress(now, mm, Addr{Host: masterHost, Port: masterPort})
			m.clientReconfScript(mm, "observer", "start", old, mm.Addr)
		}
	}
	if si != nil {
		si.LastHelloTime = now
	}
}

// updateSentinelAddressInAllMasters gives the entries of the same
// sentinel under other masters the new address (Redis shares one link
// between them; here each entry has its own, so they are all reopened).
func (m *Machine) updateSentinelAddressInAllMasters(si *Instance) {
	n := 0
	for _, mm := range m.mastersByName() {
		match := sentinelByAddrAndRunID(mm, "", -1, si.RunID)
		if match == nil {
			continue
		}
		if match.Link.Connected || match.Link.PubSubConnected {
			m.closeLinks(match)
		}
		if match == si {
			continue
		}
		match.Addr = si.Addr
		n++
	}
	if n > 0 {
		m.event(LevelNotice, "+sentinel-address-update", si, "%@ %d additional matching instances", n)
	}
}
