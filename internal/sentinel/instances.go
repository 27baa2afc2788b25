// instances.go creates, resets and removes instances, as
// createSentinelRedisInstance, sentinelResetMaster and
// releaseSentinelRedisInstance: every instance starts disconnected (the
// tick connects it) and gets a fresh ID.
package sentinel

import (
	"errors"
	"time"
)

// ErrDuplicate is returned when a master name, or a replica or sentinel
// address, is already known (Redis's EBUSY).
var ErrDuplicate = errors.New("duplicate master name")

func (m *Machine) initInstance(inst *Instance, flags Flags, name string, addr Addr, master *Master, now time.Time) {
	inst.Flags = flags
	inst.Name = name
	inst.Addr = addr
	inst.Master = master
	inst.LastPubTime = now
	inst.LastHelloTime = now
	inst.LastMasterDownReplyTime = now
	inst.DownAfter = m.Timing.DefaultDownAfter
	if master != nil {
		inst.DownAfter = master.DownAfter
	}
	inst.ReplicaPriority = 100
	inst.ReplicaAnnounced = true
	inst.RoleReported = RoleUnknown
	switch {
	case flags&FlagMaster != 0:
		inst.RoleReported = RoleMaster
	case flags&FlagReplica != 0:
		inst.RoleReported = RoleReplica
	}
	inst.RoleReportedTime = now
	inst.ReplicaConfChangeTime = now
	// As Redis's createInstanceLink: waiting for a first PONG since now,
	// so an instance never reached goes SDOWN after down-after.
	inst.Link = Link{ActPingTime: now, LastAvailTime: now, LastPongTime: now}
	m.register(inst)
}

// AddMaster starts monitoring a master (sentinel monitor).
func (m *Machine) AddMaster(name string, addr Addr, quorum int, now time.Time) (*Master, error) {
	if _, ok := m.Masters[name]; ok {
		return nil, ErrDuplicate
	}
	mm := &Master{
		Sentinels:       map[string]*Instance{},
		Replicas:        map[string]*Instance{},
		Quorum:          quorum,
		ParallelSyncs:   1,
		FailoverTimeout: m.Timing.DefaultFailoverTimeout,
	}
	m.initInstance(&mm.Instance, FlagMaster, name, addr, nil, now)
	m.Masters[name] = mm
	return mm, nil
}

// AddReplica adds a replica of master at addr.
func (m *Machine) AddReplica(master *Master, addr Addr, now time.Time) (*Instance, error) {
	name := addr.String()
	if _, ok := master.Replicas[name]; ok {
		return nil, ErrDuplicate
	}
	inst := &Instance{}
	m.initInstance(inst, FlagReplica, name, addr, master, now)
	master.Replicas[name] = inst
	return inst, nil
}

// AddSentinel adds another sentinel of master, named by its run ID.
func (m *Machine) AddSentinel(master *Master, runID string, addr Addr, now time.Time) (*Instance, error) {
	if _, ok := master.Sentinels[runID]; ok {
		return nil, ErrDuplicate
	}
	inst := &Instance{}
	m.initInstance(inst, FlagSentinel, runID, addr, master, now)
	inst.RunID = runID
	master.Sentinels[runID] = inst
	return inst, nil
}

// RemoveReplica forgets a replica.
func (m *Machine) RemoveReplica(inst *Instance) {
	delete(inst.Master.Replicas, inst.Name)
	if inst.Master.PromotedReplica == inst {
		inst.Master.PromotedReplica = nil
	}
	m.unregister(inst)
}

// RemoveSentinel forgets a sentinel.
func (m *Machine) RemoveSentinel(inst *Instance) {
	delete(inst.Master.Sentinels, inst.Name)
	m.unregister(inst)
}

// RemoveMaster stops monitoring a master and forgets everything of it.
func (m *Machine) RemoveMaster(mm *Master) {
	m.clearReplicasAndSentinels(mm, true)
	delete(m.Masters, mm.Name)
	m.unregister(&mm.Instance)
}

func (m *Machine) clearReplicasAndSentinels(mm *Master, sentinels bool) {
	for _, r := range mm.Replicas {
		m.unregister(r)
	}
	mm.Replicas = map[string]*Instance{}
	if sentinels {
		for _, s := range mm.Sentinels {
			m.unregister(s)
		}
		mm.Sentinels = map[string]*Instance{}
	}
}

// ResetOptions are sentinelResetMaster's flags.
type ResetOptions struct {
	KeepSentinels bool // SENTINEL_RESET_NO_SENTINELS
	Event         bool // SENTINEL_GENERATE_EVENT: emit +reset-master
}

// ResetMaster forgets a master's replicas (and sentinels unless kept),
// failover state and run ID, and reconnects it (sentinelResetMaster).
// The master's ID changes, so replies still in flight are dropped.
func (m *Machine) ResetMaster(mm *Master, opt ResetOptions, now time.Time) {
	m.clearReplicasAndSentinels(mm, !opt.KeepSentinels)
	m.unregister(&mm.Instance)
	m.register(&mm.Instance)
	mm.Link = Link{ActPingTime: now, LastAvailTime: now, LastPongTime: now}
	mm.Flags &= FlagMaster
	mm.Leader = ""
	mm.FailoverState = FailoverNone
	mm.FailoverStateChangeTime = time.Time{}
	mm.FailoverStartTime = time.Time{}
	mm.PromotedReplica = nil
	mm.RunID = ""
	mm.ReplicaMasterHost = ""
	mm.RoleReportedTime = now
	mm.RoleReported = RoleMaster
	if opt.Event {
		m.event(LevelWarning, "+reset-master", &mm.Instance, "%@")
	}
}
