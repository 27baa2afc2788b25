// info.go is what a sentinel adds to INFO and ROLE, and the +monitor
// events it emits at start (sentinelInfoCommand's "# Sentinel" section,
// sentinelRoleCommand, sentinelGenerateInitialMonitorEvents).
package sentinel

import (
	"fmt"
	"strings"
	"time"
)

// InfoSection is INFO's "# Sentinel" section, every line ending in
// "\r\n" (the server separates sections with a further "\r\n").
func (m *Machine) InfoSection(now time.Time) string {
	var b strings.Builder
	tilt, since := 0, int64(-1)
	if m.Tilt {
		tilt = 1
		since = now.Sub(m.TiltStartTime).Milliseconds() / 1000
	}
	running, queued := 0, 0
	if m.ScriptStats != nil {
		running, queued = m.ScriptStats()
	}
	fmt.Fprintf(&b, "# Sentinel\r\n"+
		"sentinel_masters:%d\r\n"+
		"sentinel_tilt:%d\r\n"+
		"sentinel_tilt_since_seconds:%d\r\n"+
		"sentinel_running_scripts:%d\r\n"+
		"sentinel_scripts_queue_length:%d\r\n"+
		"sentinel_simulate_failure_flags:%d\r\n",
		len(m.Masters), tilt, since, running, queued, int(m.SimFailure))
	for i, name := range m.masterNames() {
		mm := m.Masters[name]
		status := "ok"
		if mm.Flags&FlagODown != 0 {
			status = "odown"
		} else if mm.Flags&FlagSDown != 0 {
			status = "sdown"
		}
		// The configured address, not the promoted replica's: Redis
		// shows ri->addr here.
		fmt.Fprintf(&b, "master%d:name=%s,status=%s,address=%s:%d,slaves=%d,sentinels=%d\r\n",
			i, name, status, mm.Addr.Host, mm.Addr.Port, len(mm.Replicas), len(mm.Sentinels)+1)
	}
	return b.String()
}

// RoleReply is ROLE's reply: "sentinel" and the monitored masters' names.
func (m *Machine) RoleReply() Reply {
	names := arrayReply()
	for _, name := range m.masterNames() {
		names.Array = append(names.Array, bulk(name))
	}
	return arrayReply(bulk("sentinel"), names)
}

// GenerateInitialMonitorEvents emits +monitor for every master, at start.
func (m *Machine) GenerateInitialMonitorEvents() {
	for _, name := range m.masterNames() {
		mm := m.Masters[name]
		m.event(LevelWarning, "+monitor", &mm.Instance, "%@ quorum %d", mm.Quorum)
	}
}
