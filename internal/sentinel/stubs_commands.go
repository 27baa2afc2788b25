package sentinel

import "time"

// Placeholders for configuration and commands; replaced by config.go,
// commands.go and info.go.

// ApplyConfig applies one "sentinel ..." line of sentinel.conf (args
// without the leading "sentinel"); the error text is what Redis prints.
func (m *Machine) ApplyConfig(args []string, now time.Time) error { return nil }

// ConfigLines are the "sentinel ..." lines CONFIG REWRITE writes, in
// Redis's order, each without the leading "sentinel".
func (m *Machine) ConfigLines() [][]string { return nil }

// Command answers a SENTINEL subcommand (args[0] is "sentinel").
func (m *Machine) Command(now time.Time, args []string) Reply { return Reply{Err: "ERR unimplemented"} }

// InfoSection is INFO's "# Sentinel" section.
func (m *Machine) InfoSection() string { return "" }

// RoleReply is ROLE's reply: "sentinel" and the monitored masters' names.
func (m *Machine) RoleReply() Reply { return Reply{} }

// GenerateInitialMonitorEvents emits +monitor for every master, at start.
func (m *Machine) GenerateInitialMonitorEvents() {}

// commandName is the name to send for a command to mm's instances,
// after "sentinel rename-command" (placeholder: no renames yet).
func (m *Machine) commandName(mm *Master, name string) string { return name }
