// events.go formats sentinel events as sentinelEvent does: "%@" stands
// for the instance ("master <name> <ip> <port>", or "<type> <ip:port>
// <ip> <port> @ <master> <ip> <port>" for replicas and sentinels).
package sentinel

import (
	"fmt"
	"strconv"
)

// TypeName is "master", "slave" or "sentinel", as Redis prints it.
func (inst *Instance) TypeName() string {
	switch {
	case inst.Flags&FlagMaster != 0:
		return "master"
	case inst.Flags&FlagReplica != 0:
		return "slave"
	case inst.Flags&FlagSentinel != 0:
		return "sentinel"
	}
	return "unknown"
}

// describe is "%@" for inst.
func (inst *Instance) describe() string {
	s := inst.TypeName() + " " + inst.Name + " " + inst.Addr.Host + " " + strconv.Itoa(inst.Addr.Port)
	if inst.Flags&FlagMaster == 0 && inst.Master != nil {
		mi := &inst.Master.Instance
		s += " @ " + mi.Name + " " + mi.Addr.Host + " " + strconv.Itoa(mi.Addr.Port)
	}
	return s
}

// event emits an event about inst (nil for none). When format starts
// with "%@" the instance's description replaces it; warnings also run
// the master's notification-script with the type and the message.
func (m *Machine) event(level Level, typ string, inst *Instance, format string, args ...any) {
	msg := ""
	if len(format) >= 2 && format[:2] == "%@" {
		if inst != nil {
			msg = inst.describe()
		}
		format = format[2:]
	}
	if format != "" {
		msg += fmt.Sprintf(format, args...)
	}
	m.do(Emit{Level: level, Type: typ, Text: msg})
	if level != LevelWarning || inst == nil {
		return
	}
	master := inst.Master
	if inst.Flags&FlagMaster != 0 {
		master = m.masterOf(inst)
	}
	if master != nil && master.NotificationScript != "" {
		m.do(RunScript{Path: master.NotificationScript, Args: []string{typ, msg}})
	}
}

// masterOf returns the Master whose embedded Instance is inst.
func (m *Machine) masterOf(inst *Instance) *Master {
	if mm, ok := m.Masters[inst.Name]; ok && &mm.Instance == inst {
		return mm
	}
	return nil
}
