// config.go reads and writes the "sentinel ..." statements of
// sentinel.conf, as Redis 7.0's sentinelHandleConfiguration and
// rewriteConfigSentinelOption do: ApplyConfig takes one statement (and
// ApplyConfigLines a whole file's worth, in Redis's three-phase order),
// ConfigLines gives back what CONFIG REWRITE writes. Error texts are
// Redis's, since the server prints them in its FATAL CONFIG FILE ERROR
// block. rename-command tables live here too (commandName).
package sentinel

import (
	"errors"
	"net"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// renamedCommand is one "rename-command" entry: the original spelling is
// kept so the rewrite writes back what the user wrote.
type renamedCommand struct{ old, new string }

// scriptExecutable reports whether path can be executed, as Redis's
// access(path, X_OK). A variable so tests need no real scripts.
var scriptExecutable = func(path string) bool {
	return syscall.Access(path, 0x1) == nil
}

// preMonitorStatements are applied before any "monitor" and monitors
// before everything else (Redis's preMonitorCfgName), so a file's order
// does not matter.
var preMonitorStatements = map[string]bool{
	"announce-ip": true, "announce-port": true, "deny-scripts-reconfig": true,
	"sentinel-user": true, "sentinel-pass": true, "current-epoch": true,
	"myid": true, "resolve-hostnames": true, "announce-hostnames": true,
}

// ConfigLineError is ApplyConfigLines's failure: which line (an index
// into its argument) and Redis's message for it.
type ConfigLineError struct {
	Index int
	Err   error
}

func (e *ConfigLineError) Error() string { return e.Err.Error() }

// ApplyConfigLines applies a config file's "sentinel" statements (each
// without the leading "sentinel") in Redis's order: the global options
// first, then the monitors, then the rest. The error, if any, is a
// *ConfigLineError naming the first line that failed in that order.
func (m *Machine) ApplyConfigLines(lines [][]string, now time.Time) error {
	for phase := 0; phase < 3; phase++ {
		for i, args := range lines {
			if len(args) == 0 || configPhase(args[0]) != phase {
				continue
			}
			if err := m.ApplyConfig(args, now); err != nil {
				return &ConfigLineError{Index: i, Err: err}
			}
		}
	}
	return nil
}

func configPhase(stmt string) int {
	stmt = strings.ToLower(stmt)
	switch {
	case preMonitorStatements[stmt]:
		return 0
	case stmt == "monitor":
		return 1
	}
	return 2
}

// ApplyConfig applies one "sentinel ..." line of sentinel.conf (args
// without the leading "sentinel"); the error text is what Redis prints.
func (m *Machine) ApplyConfig(args []string, now time.Time) error {
	if len(args) == 0 {
		return errors.New("Unrecognized sentinel configuration statement.")
	}
	if msg := m.applyConfig(args, now); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// masterStatement is a statement whose second word names a master:
// the arities it takes and what it does once the master is found.
type masterStatement struct {
	argc  int
	apply func(m *Machine, mm *Master, argv []string, now time.Time) string
}

// masterStatements are sentinel.conf's per-master statements.
var masterStatements = map[string]masterStatement{
	"down-after-milliseconds": {3, func(m *Machine, mm *Master, argv []string, _ time.Time) string {
		ms := confAtoi(argv[2])
		if ms <= 0 {
			return "negative or zero time parameter."
		}
		m.setDownAfter(mm, msDuration(int64(ms)))
		return ""
	}},
	"failover-timeout": {3, func(_ *Machine, mm *Master, argv []string, _ time.Time) string {
		ms := confAtoi(argv[2])
		if ms <= 0 {
			return "negative or zero time parameter."
		}
		mm.FailoverTimeout = msDuration(int64(ms))
		return ""
	}},
	"parallel-syncs": {3, func(_ *Machine, mm *Master, argv []string, _ time.Time) string {
		mm.ParallelSyncs = confAtoi(argv[2])
		return ""
	}},
	"notification-script": {3, func(_ *Machine, mm *Master, argv []string, _ time.Time) string {
		if !scriptExecutable(argv[2]) {
			return "Notification script seems non existing or non executable."
		}
		mm.NotificationScript = argv[2]
		return ""
	}},
	"client-reconfig-script": {3, func(_ *Machine, mm *Master, argv []string, _ time.Time) string {
		if !scriptExecutable(argv[2]) {
			return "Client reconfiguration script seems non existing or non executable."
		}
		mm.ClientReconfigScript = argv[2]
		return ""
	}},
	"auth-pass": {3, func(_ *Machine, mm *Master, argv []string, _ time.Time) string {
		mm.AuthPass = argv[2]
		return ""
	}},
	"auth-user": {3, func(_ *Machine, mm *Master, argv []string, _ time.Time) string {
		mm.AuthUser = argv[2]
		return ""
	}},
	"config-epoch": {3, func(m *Machine, mm *Master, argv []string, _ time.Time) string {
		mm.ConfigEpoch = strtoull(argv[2])
		if mm.ConfigEpoch > m.CurrentEpoch {
			m.CurrentEpoch = mm.ConfigEpoch
		}
		return ""
	}},
	"leader-epoch": {3, func(_ *Machine, mm *Master, argv []string, _ time.Time) string {
		mm.LeaderEpoch = strtoull(argv[2])
		return ""
	}},
	"known-slave":   {4, knownReplica},
	"known-replica": {4, knownReplica},
	"known-sentinel": {5, func(m *Machine, mm *Master, argv []string, now time.Time) string {
		addr, msg := m.checkAddr(argv[2], confAtoi(argv[3]))
		if msg != "" {
			return msg
		}
		if _, err := m.AddSentinel(mm, argv[4], addr, now); err != nil {
			return "Duplicate runid for sentinel."
		}
		return ""
	}},
	"rename-command": {4, func(m *Machine, mm *Master, argv []string, _ time.Time) string {
		if _, ok := m.renamed[mm][strings.ToLower(argv[2])]; ok {
			return "Same command renamed multiple times with rename-command."
		}
		m.setRename(mm, argv[2], argv[3])
		return ""
	}},
	"master-reboot-down-after-period": {3, func(_ *Machine, mm *Master, argv []string, _ time.Time) string {
		ms := confAtoi(argv[2])
		if ms < 0 {
			return "negative time parameter."
		}
		mm.RebootDownAfter = msDuration(int64(ms))
		return ""
	}},
}

func knownReplica(m *Machine, mm *Master, argv []string, now time.Time) string {
	addr, msg := m.checkAddr(argv[2], confAtoi(argv[3]))
	if msg != "" {
		return msg
	}
	if _, err := m.AddReplica(mm, addr, now); err != nil {
		return "Duplicate hostname and port for replica."
	}
	return ""
}

func (m *Machine) applyConfig(argv []string, now time.Time) string {
	argc := len(argv)
	stmt := strings.ToLower(argv[0])
	if stmt == "known-sentinel" && argc == 4 {
		// The old form without a run ID is ignored, as Redis does.
		return ""
	}
	if st, ok := masterStatements[stmt]; ok && argc == st.argc {
		mm := m.Masters[argv[1]]
		if mm == nil {
			return "No such master with specified name."
		}
		return st.apply(m, mm, argv, now)
	}
	switch {
	case stmt == "monitor" && argc == 5:
		quorum := confAtoi(argv[4])
		if quorum <= 0 {
			return "Quorum must be 1 or greater."
		}
		addr, msg := m.checkAddr(argv[2], confAtoi(argv[3]))
		if msg != "" {
			return msg
		}
		if _, err := m.AddMaster(argv[1], addr, quorum, now); err != nil {
			return "Duplicate master name."
		}
	case stmt == "current-epoch" && argc == 2:
		if e := strtoull(argv[1]); e > m.CurrentEpoch {
			m.CurrentEpoch = e
		}
	case stmt == "myid" && argc == 2:
		if len(argv[1]) != 40 {
			return "Malformed Sentinel id in myid option."
		}
		m.MyID = argv[1]
	case stmt == "announce-ip" && argc == 2:
		if argv[1] != "" {
			m.AnnounceIP = argv[1]
		}
	case stmt == "announce-port" && argc == 2:
		m.AnnouncePort = confAtoi(argv[1])
	case stmt == "deny-scripts-reconfig" && argc == 2:
		v, ok := yesNo(argv[1])
		if !ok {
			return "Please specify yes or no for the deny-scripts-reconfig options."
		}
		m.DenyScriptsReconfig = v
	case stmt == "sentinel-user" && argc == 2:
		if argv[1] != "" {
			m.SentinelUser = argv[1]
		}
	case stmt == "sentinel-pass" && argc == 2:
		if argv[1] != "" {
			m.SentinelPass = argv[1]
		}
	case stmt == "resolve-hostnames" && argc == 2:
		v, ok := yesNo(argv[1])
		if !ok {
			return "Please specify yes or no for the resolve-hostnames option."
		}
		m.ResolveHostnames = v
	case stmt == "announce-hostnames" && argc == 2:
		v, ok := yesNo(argv[1])
		if !ok {
			return "Please specify yes or no for the announce-hostnames option."
		}
		m.AnnounceHostnames = v
	default:
		return "Unrecognized sentinel configuration statement."
	}
	return ""
}

// checkAddr validates an instance address as createSentinelAddr does:
// the port range, and, unless resolve-hostnames is on, that host is an
// IP address (with it on, Redis accepts a name it cannot resolve yet).
func (m *Machine) checkAddr(host string, port int) (Addr, string) {
	if port < 0 || port > 65535 {
		return Addr{}, "Invalid port number."
	}
	if !m.ResolveHostnames && net.ParseIP(host) == nil {
		return Addr{}, "Can't resolve instance hostname."
	}
	return Addr{Host: host, Port: port}, ""
}

// setDownAfter sets a master's down-after period and hands it to its
// replicas and sentinels (sentinelPropagateDownAfterPeriod).
func (m *Machine) setDownAfter(mm *Master, d time.Duration) {
	mm.DownAfter = d
	for _, r := range mm.Replicas {
		r.DownAfter = d
	}
	for _, s := range mm.Sentinels {
		s.DownAfter = d
	}
}

// setRename records that command old is called new on mm's instances.
func (m *Machine) setRename(mm *Master, old, new string) {
	if m.renamed == nil {
		m.renamed = map[*Master]map[string]renamedCommand{}
	}
	if m.renamed[mm] == nil {
		m.renamed[mm] = map[string]renamedCommand{}
	}
	m.renamed[mm][strings.ToLower(old)] = renamedCommand{old: old, new: new}
}

// commandName is the name to send for command name to mm's instances
// (the master and its replicas), after "sentinel rename-command".
func (m *Machine) commandName(mm *Master, name string) string {
	if mm == nil {
		return name
	}
	if r, ok := m.renamed[mm][strings.ToLower(name)]; ok {
		return r.new
	}
	return name
}

// CommandName is commandName for callers outside the package.
func (m *Machine) CommandName(mm *Master, name string) string { return m.commandName(mm, name) }

// ConfigLines are the "sentinel ..." lines CONFIG REWRITE writes, in
// Redis's order, each without the leading "sentinel". Masters, replicas,
// sentinels and renames are sorted by name so the output is stable.
// Arguments are raw: the writer quotes those that need it (Redis writes
// announce-ip always quoted, as sdscatrepr does).
func (m *Machine) ConfigLines() [][]string {
	var out [][]string
	add := func(args ...string) { out = append(out, args) }
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }

	if m.MyID != "" {
		add("myid", m.MyID)
	}
	if !m.DenyScriptsReconfig {
		add("deny-scripts-reconfig", yn(m.DenyScriptsReconfig))
	}
	if m.ResolveHostnames {
		add("resolve-hostnames", "yes")
	}
	if m.AnnounceHostnames {
		add("announce-hostnames", "yes")
	}
	for _, name := range m.masterNames() {
		mm := m.Masters[name]
		cur := mm.CurrentAddr()
		add("monitor", name, cur.Host, strconv.Itoa(cur.Port), strconv.Itoa(mm.Quorum))
		if mm.DownAfter != m.Timing.DefaultDownAfter {
			add("down-after-milliseconds", name, ms(mm.DownAfter))
		}
		if mm.FailoverTimeout != m.Timing.DefaultFailoverTimeout {
			add("failover-timeout", name, ms(mm.FailoverTimeout))
		}
		if mm.ParallelSyncs != 1 {
			add("parallel-syncs", name, strconv.Itoa(mm.ParallelSyncs))
		}
		if mm.NotificationScript != "" {
			add("notification-script", name, mm.NotificationScript)
		}
		if mm.ClientReconfigScript != "" {
			add("client-reconfig-script", name, mm.ClientReconfigScript)
		}
		if mm.AuthPass != "" {
			add("auth-pass", name, mm.AuthPass)
		}
		if mm.AuthUser != "" {
			add("auth-user", name, mm.AuthUser)
		}
		if mm.RebootDownAfter != 0 {
			add("master-reboot-down-after-period", name, ms(mm.RebootDownAfter))
		}
		add("config-epoch", name, u(mm.ConfigEpoch))
		add("leader-epoch", name, u(mm.LeaderEpoch))
		for _, rn := range sortedKeys(mm.Replicas) {
			ra := mm.Replicas[rn].Addr
			// The promoted replica is now the master: it is written as
			// the old master's address, which becomes a replica.
			if ra.Port == cur.Port && strings.EqualFold(ra.Host, cur.Host) {
				ra = mm.Addr
			}
			add("known-replica", name, ra.Host, strconv.Itoa(ra.Port))
		}
		for _, sn := range sortedKeys(mm.Sentinels) {
			s := mm.Sentinels[sn]
			if s.RunID == "" {
				continue
			}
			add("known-sentinel", name, s.Addr.Host, strconv.Itoa(s.Addr.Port), s.RunID)
		}
		rn := m.renamed[mm]
		keys := make([]string, 0, len(rn))
		for k := range rn {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			add("rename-command", name, rn[k].old, rn[k].new)
		}
	}
	add("current-epoch", u(m.CurrentEpoch))
	if m.AnnounceIP != "" {
		add("announce-ip", m.AnnounceIP)
	}
	if m.AnnouncePort != 0 {
		add("announce-port", strconv.Itoa(m.AnnouncePort))
	}
	if m.SentinelUser != "" {
		add("sentinel-user", m.SentinelUser)
	}
	if m.SentinelPass != "" {
		add("sentinel-pass", m.SentinelPass)
	}
	return out
}

func (m *Machine) masterNames() []string { return sortedKeys(m.Masters) }

func sortedKeys[V any](mp map[string]V) []string {
	keys := make([]string, 0, len(mp))
	for k := range mp {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// confAtoi is C's atoi: leading blanks, an optional sign, then as many
// digits as there are; anything else gives 0 (so "abc" is 0, "12x" 12).
func confAtoi(s string) int {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := int64(0)
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int64(s[i]-'0')
		if n > 1<<31 {
			break // C's int overflows; any out-of-range value will do
		}
	}
	if neg {
		n = -n
	}
	return int(int32(n))
}

// strtoull is C's strtoull(s, NULL, 10) for the epochs: leading digits,
// a negative number wraps as in C.
func strtoull(s string) uint64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	v, err := strconv.ParseUint(s[:end], 10, 64)
	if err != nil && end > 0 {
		v = ^uint64(0) // overflow saturates, as strtoull's ULLONG_MAX
	}
	if neg {
		v = -v
	}
	return v
}

// yesNo is Redis's yesnotoi.
func yesNo(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "yes":
		return true, true
	case "no":
		return false, true
	}
	return false, false
}
