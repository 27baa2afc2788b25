// commands.go answers the SENTINEL command as Redis 7.0's sentinelCommand
// does, subcommand by subcommand, with its reply shapes and error texts.
// The arity checks Redis makes from its command table (before the
// command runs) are made here too, so the server can route the whole
// command to Command. Changes that Redis saves at once (MONITOR, SET,
// REMOVE, CONFIG SET, FLUSHCONFIG) come out as a SaveConfig action; the
// reply is +OK without waiting for the save, which the driver logs if it
// fails.
package sentinel

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redoubt/redoubt/internal/glob"
)

// subcommandArity is the arity of each SENTINEL subcommand in Redis
// 7.0's command table (counting "sentinel" and the subcommand; negative
// means at least that many).
var subcommandArity = map[string]int{
	"ckquorum": 3, "config": -3, "debug": -2, "failover": 3, "flushconfig": 2,
	"get-master-addr-by-name": 3, "help": 2, "info-cache": -3,
	"is-master-down-by-addr": 6, "master": 3, "masters": 2, "monitor": 6,
	"myid": 2, "pending-scripts": 2, "remove": 3, "replicas": 3, "reset": 3,
	"sentinels": 3, "set": -5, "simulate-failure": -3, "slaves": 3,
}

var sentinelHelp = []string{
	"CKQUORUM <master-name>",
	"    Check if the current Sentinel configuration is able to reach the quorum",
	"    needed to failover a master and the majority needed to authorize the",
	"    failover.",
	"CONFIG SET <param> <value>",
	"    Set a global Sentinel configuration parameter.",
	"CONFIG GET <param>",
	"    Get global Sentinel configuration parameter.",
	"DEBUG [<param> <value> ...]",
	"    Show a list of configurable time parameters and their values (milliseconds).",
	"    Or update current configurable parameters values (one or more).",
	"GET-MASTER-ADDR-BY-NAME <master-name>",
	"    Return the ip and port number of the master with that name.",
	"FAILOVER <master-name>",
	"    Manually failover a master node without asking for agreement from other",
	"    Sentinels",
	"FLUSHCONFIG",
	"    Force Sentinel to rewrite its configuration on disk, including the current",
	"    Sentinel state.",
	"INFO-CACHE <master-name>",
	"    Return last cached INFO output from masters and all its replicas.",
	"IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
	"    Check if the master specified by ip:port is down from current Sentinel's",
	"    point of view.",
	"MASTER <master-name>",
	"    Show the state and info of the specified master.",
	"MASTERS",
	"    Show a list of monitored masters and their state.",
	"MONITOR <name> <ip> <port> <quorum>",
	"    Start monitoring a new master with the specified name, ip, port and quorum.",
	"MYID",
	"    Return the ID of the Sentinel instance.",
	"PENDING-SCRIPTS",
	"    Get pending scripts information.",
	"REMOVE <master-name>",
	"    Remove master from Sentinel's monitor list.",
	"REPLICAS <master-name>",
	"    Show a list of replicas for this master and their state.",
	"RESET <pattern>",
	"    Reset masters for specific master name matching this pattern.",
	"SENTINELS <master-name>",
	"    Show a list of Sentinel instances for this master and their state.",
	"SET <master-name> <option> <value> [<option> <value> ...]",
	"    Set configuration parameters for certain masters.",
	"SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
	"    Simulate a Sentinel crash.",
}

// Reply constructors.
func errReply(format string, args ...any) Reply {
	return Reply{Err: fmt.Sprintf(format, args...)}
}
func statusReply(s string) Reply { return Reply{Status: true, Str: s} }
func bulk(s string) Reply        { return Reply{Str: s} }
func bulkInt(n int64) Reply      { return Reply{Str: strconv.FormatInt(n, 10)} }
func intReply(n int64) Reply     { return Reply{IsInt: true, Int: n} }
func arrayReply(a ...Reply) Reply {
	if a == nil {
		a = []Reply{}
	}
	return Reply{IsArr: true, Array: a}
}

var okReply = statusReply("OK")

// hostResolves reports whether a host name resolves, for SENTINEL
// MONITOR with resolve-hostnames (Redis's anetResolve, which blocks the
// same way). A variable so tests need no DNS.
var hostResolves = func(host string) bool {
	if host == "" {
		return false
	}
	_, err := net.LookupHost(host)
	return err == nil
}

const noSuchMaster = "ERR No such master with that name"

// sanitize is what Redis does to user text in an error: at most n bytes,
// line breaks turned into spaces so the reply stays one line.
func sanitize(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// Command answers a SENTINEL subcommand (args[0] is "sentinel").
func (m *Machine) Command(now time.Time, args []string) Reply {
	if len(args) < 2 {
		return errReply("ERR wrong number of arguments for 'sentinel' command")
	}
	sub := strings.ToLower(args[1])
	arity, ok := subcommandArity[sub]
	if !ok {
		return errReply("ERR unknown subcommand '%s'. Try %s HELP.",
			sanitize(args[1], 128), strings.ToUpper(sanitize(args[0], 128)))
	}
	if (arity > 0 && len(args) != arity) || (arity < 0 && len(args) < -arity) {
		return errReply("ERR wrong number of arguments for 'sentinel|%s' command", sub)
	}
	switch sub {
	case "help":
		lines := []Reply{statusReply(strings.ToUpper(args[0]) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")}
		for _, l := range sentinelHelp {
			lines = append(lines, statusReply(l))
		}
		lines = append(lines, statusReply("HELP"), statusReply("    Prints this help."))
		return arrayReply(lines...)
	case "masters":
		var out []Reply
		for _, name := range m.masterNames() {
			out = append(out, m.instanceReply(now, &m.Masters[name].Instance, m.Masters[name]))
		}
		return arrayReply(out...)
	case "master":
		mm := m.Masters[args[2]]
		if mm == nil {
			return errReply(noSuchMaster)
		}
		return m.instanceReply(now, &mm.Instance, mm)
	case "replicas", "slaves":
		mm := m.Masters[args[2]]
		if mm == nil {
			return errReply(noSuchMaster)
		}
		var out []Reply
		for _, name := range sortedKeys(mm.Replicas) {
			r := mm.Replicas[name]
			if !r.ReplicaAnnounced {
				continue // replica-announced no: not listed
			}
			out = append(out, m.instanceReply(now, r, nil))
		}
		return arrayReply(out...)
	case "sentinels":
		mm := m.Masters[args[2]]
		if mm == nil {
			return errReply(noSuchMaster)
		}
		var out []Reply
		for _, name := range sortedKeys(mm.Sentinels) {
			out = append(out, m.instanceReply(now, mm.Sentinels[name], nil))
		}
		return arrayReply(out...)
	case "myid":
		return bulk(m.MyID)
	case "is-master-down-by-addr":
		port, ok1 := parseLL(args[3])
		epoch, ok2 := parseLL(args[4])
		if !ok1 || !ok2 {
			return errReply("ERR value is not an integer or out of range")
		}
		down, leader, leaderEpoch := m.IsMasterDownByAddr(now, args[2], int(port), uint64(epoch), args[5])
		d := int64(0)
		if down {
			d = 1
		}
		if leader == "" {
			leader = "*"
		}
		return arrayReply(intReply(d), bulk(leader), intReply(int64(leaderEpoch)))
	case "reset":
		n := 0
		for _, name := range m.masterNames() {
			if glob.MatchString(args[2], name, false) {
				m.ResetMaster(m.Masters[name], ResetOptions{Event: true}, now)
				n++
			}
		}
		return intReply(int64(n))
	case "get-master-addr-by-name":
		mm := m.Masters[args[2]]
		if mm == nil {
			return Reply{IsArr: true, Nil: true}
		}
		a := mm.CurrentAddr()
		return arrayReply(bulk(a.Host), bulkInt(int64(a.Port)))
	case "failover":
		mm := m.Masters[args[2]]
		if mm == nil {
			return errReply(noSuchMaster)
		}
		if e := m.ForceFailover(mm, now); e != "" {
			return Reply{Err: strings.TrimPrefix(e, "-")}
		}
		return okReply
	case "pending-scripts":
		if m.PendingScripts != nil {
			return m.PendingScripts()
		}
		return arrayReply()
	case "monitor":
		return m.monitorCommand(now, args)
	case "flushconfig":
		m.do(SaveConfig{})
		return okReply
	case "remove":
		mm := m.Masters[args[2]]
		if mm == nil {
			return errReply(noSuchMaster)
		}
		m.event(LevelWarning, "-monitor", &mm.Instance, "%@")
		m.RemoveMaster(mm)
		delete(m.renamed, mm)
		m.do(SaveConfig{})
		return okReply
	case "ckquorum":
		mm := m.Masters[args[2]]
		if mm == nil {
			return errReply(noSuchMaster)
		}
		return ckquorum(mm)
	case "set":
		return m.setCommand(now, args)
	case "config":
		switch {
		case strings.EqualFold(args[2], "set") && len(args) == 5:
			return m.configSet(args[3], args[4])
		case strings.EqualFold(args[2], "get") && len(args) == 4:
			return m.configGet(args[3])
		}
		return errReply("ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.")
	case "info-cache":
		return m.infoCache(now, args[2:])
	case "simulate-failure":
		m.SimFailure = 0
		for _, a := range args[2:] {
			switch strings.ToLower(a) {
			case "crash-after-election":
				m.SimFailure |= SimCrashAfterElection
			case "crash-after-promotion":
				m.SimFailure |= SimCrashAfterPromotion
			case "help":
				return arrayReply(bulk("crash-after-election"), bulk("crash-after-promotion"))
			default:
				return errReply("ERR Unknown failure simulation specified")
			}
		}
		return okReply
	case "debug":
		if len(args) == 2 {
			return m.debugInfo()
		}
		return m.debugSet(args)
	}
	return errReply("ERR unknown subcommand '%s'. Try SENTINEL HELP.", sanitize(args[1], 128))
}

// monitorCommand is SENTINEL MONITOR <name> <ip> <port> <quorum>.
func (m *Machine) monitorCommand(now time.Time, args []string) Reply {
	quorum, ok := parseLL(args[5])
	if !ok {
		return errReply("ERR Invalid quorum")
	}
	port, ok := parseLL(args[4])
	if !ok {
		return errReply("ERR Invalid port")
	}
	if quorum <= 0 {
		return errReply("ERR Quorum must be 1 or greater.")
	}
	// Without resolve-hostnames only an IP address will do; with it the
	// name must resolve now (the links resolve it again when connecting).
	if net.ParseIP(args[3]) == nil && (!m.ResolveHostnames || !hostResolves(args[3])) {
		return errReply("ERR Invalid IP address or hostname specified")
	}
	if port < 0 || port > 65535 {
		return errReply("ERR Invalid port number.")
	}
	mm, err := m.AddMaster(args[2], Addr{Host: args[3], Port: int(port)}, int(quorum), now)
	if err != nil {
		return errReply("ERR Duplicate master name.")
	}
	m.do(SaveConfig{})
	m.event(LevelWarning, "+monitor", &mm.Instance, "%@ quorum %d", mm.Quorum)
	return okReply
}

// ckquorum is SENTINEL CKQUORUM (sentinelIsQuorumReachable): this
// sentinel plus every other one not down must reach the quorum and a
// majority of all the known sentinels.
func ckquorum(mm *Master) Reply {
	usable := 1
	for _, s := range mm.Sentinels {
		if s.Flags&(FlagSDown|FlagODown) == 0 {
			usable++
		}
	}
	voters := len(mm.Sentinels) + 1
	noQuorum := usable < mm.Quorum
	noAuth := usable < voters/2+1
	if !noQuorum && !noAuth {
		return statusReply(fmt.Sprintf("OK %d usable Sentinels. Quorum and failover authorization can be reached", usable))
	}
	e := fmt.Sprintf("NOQUORUM %d usable Sentinels. ", usable)
	if noQuorum {
		e += "Not enough available Sentinels to reach the specified quorum for this master"
	}
	if noAuth {
		if noQuorum {
			e += ". "
		}
		e += "Not enough available Sentinels to reach the majority and authorize a failover"
	}
	return Reply{Err: e}
}

// setCommand is SENTINEL SET <master> <option> <value> ...: options are
// applied one by one, each with a +set event; an error stops there,
// keeping (and saving) what was already applied, as Redis does.
func (m *Machine) setCommand(now time.Time, args []string) Reply {
	mm := m.Masters[args[2]]
	if mm == nil {
		return errReply(noSuchMaster)
	}
	changes := 0
	fail := func(r Reply) Reply {
		if changes > 0 {
			m.do(SaveConfig{})
		}
		return r
	}
	for j := 3; j < len(args); j++ {
		more := len(args) - 1 - j
		option := args[j]
		oldJ := j
		redacted := false
		badfmt := func(bad int) Reply {
			return fail(errReply("ERR Invalid argument '%s' for SENTINEL SET '%s'", sanitize(args[bad], 1<<20), sanitize(option, 1<<20)))
		}
		// positive reads a value that must be > 0 (>= 0 with zeroOK).
		positive := func(zeroOK bool) (int64, bool) {
			j++
			v, ok := parseLL(args[j])
			if !ok || v < 0 || (v == 0 && !zeroOK) {
				return 0, false
			}
			return v, true
		}
		lo := strings.ToLower(option)
		switch {
		case lo == "down-after-milliseconds" && more > 0:
			v, ok := positive(false)
			if !ok {
				return badfmt(j)
			}
			m.setDownAfter(mm, msDuration(v))
		case lo == "failover-timeout" && more > 0:
			v, ok := positive(false)
			if !ok {
				return badfmt(j)
			}
			mm.FailoverTimeout = msDuration(v)
		case lo == "parallel-syncs" && more > 0:
			v, ok := positive(false)
			if !ok {
				return badfmt(j)
			}
			mm.ParallelSyncs = int(v)
		case (lo == "notification-script" || lo == "client-reconfig-script") && more > 0:
			j++
			value := args[j]
			if m.DenyScriptsReconfig {
				return fail(errReply("ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration"))
			}
			if value != "" && !scriptExecutable(value) {
				if lo == "notification-script" {
					return fail(errReply("ERR Notification script seems non existing or non executable"))
				}
				return fail(errReply("ERR Client reconfiguration script seems non existing or non executable"))
			}
			if lo == "notification-script" {
				mm.NotificationScript = value
			} else {
				mm.ClientReconfigScript = value
			}
		case lo == "auth-pass" && more > 0:
			j++
			mm.AuthPass = args[j]
			m.dropMasterLinks(mm)
			redacted = true
		case lo == "auth-user" && more > 0:
			j++
			mm.AuthUser = args[j]
			m.dropMasterLinks(mm)
		case lo == "quorum" && more > 0:
			v, ok := positive(false)
			if !ok {
				return badfmt(j)
			}
			mm.Quorum = int(v)
		case lo == "rename-command" && more > 1:
			oldName, newName := args[j+1], args[j+2]
			j += 2
			if oldName == "" || newName == "" {
				if newName != "" {
					return badfmt(j - 1)
				}
				return badfmt(j)
			}
			delete(m.renamed[mm], strings.ToLower(oldName))
			// Renaming a command to itself just removes the renaming.
			if !strings.EqualFold(oldName, newName) {
				m.setRename(mm, oldName, newName)
			}
		case lo == "master-reboot-down-after-period" && more > 0:
			v, ok := positive(true)
			if !ok {
				return badfmt(j)
			}
			mm.RebootDownAfter = msDuration(v)
		default:
			return fail(errReply("ERR Unknown option or number of arguments for SENTINEL SET '%s'", sanitize(option, 1<<20)))
		}
		changes++
		switch j - oldJ + 1 {
		case 2:
			v := args[oldJ+1]
			if redacted {
				v = "******"
			}
			m.event(LevelWarning, "+set", &mm.Instance, "%@ %s %s", args[oldJ], v)
		case 3:
			m.event(LevelWarning, "+set", &mm.Instance, "%@ %s %s %s", args[oldJ], args[oldJ+1], args[oldJ+2])
		default:
			m.event(LevelWarning, "+set", &mm.Instance, "%@ %s", args[oldJ])
		}
	}
	m.do(SaveConfig{})
	return okReply
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// dropMasterLinks is dropInstanceConnections: the master and its
// replicas, after auth-pass or auth-user changed.
func (m *Machine) dropMasterLinks(mm *Master) {
	m.closeLinks(&mm.Instance)
	for _, name := range sortedKeys(mm.Replicas) {
		m.closeLinks(mm.Replicas[name])
	}
}

// configSet is SENTINEL CONFIG SET <param> <value>.
func (m *Machine) configSet(param, value string) Reply {
	badfmt := func() Reply {
		return errReply("ERR Invalid value '%s' to SENTINEL CONFIG SET '%s'", sanitize(value, 1<<20), sanitize(param, 1<<20))
	}
	dropSentinels := false
	switch strings.ToLower(param) {
	case "resolve-hostnames":
		v, ok := yesNo(value)
		if !ok {
			return badfmt()
		}
		m.ResolveHostnames = v
	case "announce-hostnames":
		v, ok := yesNo(value)
		if !ok {
			return badfmt()
		}
		m.AnnounceHostnames = v
	case "announce-ip":
		m.AnnounceIP = value
	case "announce-port":
		v, ok := parseLL(value)
		if !ok || v < 0 || v > 65535 {
			return badfmt()
		}
		m.AnnouncePort = int(v)
	case "sentinel-user":
		m.SentinelUser = value
		dropSentinels = true
	case "sentinel-pass":
		m.SentinelPass = value
		dropSentinels = true
	default:
		return errReply("ERR Invalid argument '%s' to SENTINEL CONFIG SET", sanitize(param, 1<<20))
	}
	m.do(SaveConfig{})
	if dropSentinels {
		// sentinelDropConnections: reconnect to every sentinel with the
		// new credentials.
		for _, name := range m.masterNames() {
			mm := m.Masters[name]
			for _, sn := range sortedKeys(mm.Sentinels) {
				m.closeLinks(mm.Sentinels[sn])
			}
		}
	}
	return okReply
}

// configGet is SENTINEL CONFIG GET <pattern>: a map of the matching
// parameters, in Redis's order.
func (m *Machine) configGet(pattern string) Reply {
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	params := [][2]string{
		{"resolve-hostnames", yn(m.ResolveHostnames)},
		{"announce-hostnames", yn(m.AnnounceHostnames)},
		{"announce-ip", m.AnnounceIP},
		{"announce-port", strconv.Itoa(m.AnnouncePort)},
		{"sentinel-user", m.SentinelUser},
		{"sentinel-pass", m.SentinelPass},
	}
	out := Reply{IsArr: true, Map: true, Array: []Reply{}}
	for _, p := range params {
		if glob.MatchString(pattern, p[0], true) {
			out.Array = append(out.Array, bulk(p[0]), bulk(p[1]))
		}
	}
	return out
}

// infoCache is SENTINEL INFO-CACHE <master> ...: for each named master
// (unknown and repeated names skipped) its last INFO and its replicas',
// each with its age in milliseconds.
func (m *Machine) infoCache(now time.Time, names []string) Reply {
	seen := map[string]bool{}
	out := arrayReply()
	entry := func(age int64, info string) Reply {
		r := arrayReply(intReply(age), Reply{Nil: true})
		if info != "" {
			r.Array[1] = bulk(info)
		}
		return r
	}
	for _, name := range names {
		mm := m.Masters[name]
		if mm == nil || seen[name] {
			continue
		}
		seen[name] = true
		list := []Reply{entry(sinceMs(now, mm.InfoRefresh), mm.Info)}
		for _, rn := range sortedKeys(mm.Replicas) {
			r := mm.Replicas[rn]
			age := int64(0)
			// Redis tests the master's refresh time here, not the
			// replica's; kept for identical output.
			if !mm.InfoRefresh.IsZero() {
				age = sinceMs(now, r.InfoRefresh)
			}
			list = append(list, entry(age, r.Info))
		}
		out.Array = append(out.Array, bulk(mm.Name), arrayReply(list...))
	}
	return out
}

// debugParams are SENTINEL DEBUG's names for the Timing fields, in the
// order Redis lists them.
func (m *Machine) debugParams() []struct {
	name string
	d    *time.Duration
} {
	t := &m.Timing
	return []struct {
		name string
		d    *time.Duration
	}{
		{"info-period", &t.InfoPeriod},
		{"ping-period", &t.PingPeriod},
		{"ask-period", &t.AskPeriod},
		{"publish-period", &t.PublishPeriod},
		{"default-down-after", &t.DefaultDownAfter},
		{"default-failover-timeout", &t.DefaultFailoverTimeout},
		{"tilt-trigger", &t.TiltTrigger},
		{"tilt-period", &t.TiltPeriod},
		{"slave-reconf-timeout", &t.ReplicaReconfTimeout},
		{"min-link-reconnect-period", &t.MinLinkReconnectPeriod},
		{"election-timeout", &t.ElectionTimeout},
		{"script-max-runtime", &t.ScriptMaxRuntime},
		{"script-retry-delay", &t.ScriptRetryDelay},
	}
}

func (m *Machine) debugInfo() Reply {
	out := Reply{IsArr: true, Map: true, Array: []Reply{}}
	for _, p := range m.debugParams() {
		out.Array = append(out.Array, bulk(strings.ToUpper(p.name)), bulkInt(p.d.Milliseconds()))
	}
	return out
}

// debugSet is SENTINEL DEBUG <param> <ms> ...: applied in order up to
// the first bad one, as Redis does.
func (m *Machine) debugSet(args []string) Reply {
	params := m.debugParams()
	for j := 2; j < len(args); j++ {
		option := args[j]
		var target *time.Duration
		if len(args)-1-j > 0 {
			for _, p := range params {
				if strings.EqualFold(p.name, option) {
					target = p.d
				}
			}
		}
		if target == nil {
			return errReply("ERR Unknown option or number of arguments for SENTINEL DEBUG '%s'", sanitize(option, 1<<20))
		}
		j++
		v, ok := parseLL(args[j])
		if !ok || v <= 0 {
			return errReply("ERR Invalid argument '%s' for SENTINEL DEBUG '%s'", sanitize(args[j], 1<<20), sanitize(option, 1<<20))
		}
		*target = msDuration(v)
	}
	return okReply
}

// instanceReply is addReplySentinelRedisInstance: the state of a
// master (mm set), a replica or a sentinel as a map, numbers as bulk
// strings as Redis sends them.
func (m *Machine) instanceReply(now time.Time, inst *Instance, mm *Master) Reply {
	var f []Reply
	add := func(k string, v Reply) { f = append(f, bulk(k), v) }
	addInt := func(k string, v int64) { add(k, bulkInt(v)) }

	add("name", bulk(inst.Name))
	add("ip", bulk(inst.Addr.Host))
	addInt("port", int64(inst.Addr.Port))
	add("runid", bulk(inst.RunID))
	add("flags", bulk(inst.FlagsString()))
	addInt("link-pending-commands", int64(inst.Link.PendingCommands))
	addInt("link-refcount", 1) // links are never shared between masters here
	if mm != nil && inst.Flags&FlagFailoverInProgress != 0 {
		add("failover-state", bulk(mm.FailoverState.String()))
	}
	addInt("last-ping-sent", sinceMs(now, inst.Link.ActPingTime))
	addInt("last-ok-ping-reply", sinceMs(now, inst.Link.LastAvailTime))
	addInt("last-ping-reply", sinceMs(now, inst.Link.LastPongTime))
	if inst.Flags&FlagSDown != 0 {
		addInt("s-down-time", sinceMs(now, inst.SDownSince))
	}
	if inst.Flags&FlagODown != 0 {
		addInt("o-down-time", sinceMs(now, inst.ODownSince))
	}
	addInt("down-after-milliseconds", inst.DownAfter.Milliseconds())
	if inst.Flags&(FlagMaster|FlagReplica) != 0 {
		addInt("info-refresh", sinceMs(now, inst.InfoRefresh))
		role := "slave"
		if inst.RoleReported == RoleMaster {
			role = "master"
		}
		add("role-reported", bulk(role))
		addInt("role-reported-time", sinceMs(now, inst.RoleReportedTime))
	}
	if mm != nil {
		addInt("config-epoch", int64(mm.ConfigEpoch))
		addInt("num-slaves", int64(len(mm.Replicas)))
		addInt("num-other-sentinels", int64(len(mm.Sentinels)))
		addInt("quorum", int64(mm.Quorum))
		addInt("failover-timeout", mm.FailoverTimeout.Milliseconds())
		addInt("parallel-syncs", int64(mm.ParallelSyncs))
		if mm.NotificationScript != "" {
			add("notification-script", bulk(mm.NotificationScript))
		}
		if mm.ClientReconfigScript != "" {
			add("client-reconfig-script", bulk(mm.ClientReconfigScript))
		}
	}
	if inst.Flags&FlagReplica != 0 {
		addInt("master-link-down-time", inst.MasterLinkDownTime.Milliseconds())
		status := "err"
		if inst.ReplicaMasterLinkUp {
			status = "ok"
		}
		add("master-link-status", bulk(status))
		host := inst.ReplicaMasterHost
		if host == "" {
			host = "?"
		}
		add("master-host", bulk(host))
		addInt("master-port", int64(inst.ReplicaMasterPort))
		addInt("slave-priority", int64(inst.ReplicaPriority))
		addInt("slave-repl-offset", inst.ReplicaReplOffset)
		announced := int64(0)
		if inst.ReplicaAnnounced {
			announced = 1
		}
		addInt("replica-announced", announced)
	}
	if inst.Flags&FlagSentinel != 0 {
		addInt("last-hello-message", sinceMs(now, inst.LastHelloTime))
		leader := inst.Leader
		if leader == "" {
			leader = "?"
		}
		add("voted-leader", bulk(leader))
		addInt("voted-leader-epoch", int64(inst.LeaderEpoch))
	}
	return Reply{IsArr: true, Map: true, Array: f}
}

// sinceMs is the milliseconds from t to now, 0 for a time never set
// (Redis's "x ? now - x : 0").
func sinceMs(now, t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return now.Sub(t).Milliseconds()
}

// String is sentinelFailoverStateStr.
func (s FailoverState) String() string {
	switch s {
	case FailoverNone:
		return "none"
	case FailoverWaitStart:
		return "wait_start"
	case FailoverSelectReplica:
		return "select_slave"
	case FailoverSendReplicaOfNoOne:
		return "send_slaveof_noone"
	case FailoverWaitPromotion:
		return "wait_promotion"
	case FailoverReconfReplicas:
		return "reconf_slaves"
	case FailoverUpdateConfig:
		return "update_config"
	}
	return "unknown"
}

// String is the flags as SENTINEL MASTER shows them
// ("s_down,o_down,master,..."), without the link's "disconnected"
// (see Instance.FlagsString).
func (f Flags) String() string { return flagsString(f, false) }

// FlagsString is the "flags" field of SENTINEL MASTER/REPLICAS/SENTINELS,
// with "disconnected" when a link is down (both links for masters and
// replicas, the command link for sentinels).
func (inst *Instance) FlagsString() string {
	disc := !inst.Link.Connected
	if inst.Flags&FlagSentinel == 0 && !inst.Link.PubSubConnected {
		disc = true
	}
	return flagsString(inst.Flags, disc)
}

func flagsString(f Flags, disconnected bool) string {
	var parts []string
	add := func(flag Flags, name string) {
		if f&flag != 0 {
			parts = append(parts, name)
		}
	}
	add(FlagSDown, "s_down")
	add(FlagODown, "o_down")
	add(FlagMaster, "master")
	add(FlagReplica, "slave")
	add(FlagSentinel, "sentinel")
	if disconnected {
		parts = append(parts, "disconnected")
	}
	add(FlagMasterDown, "master_down")
	add(FlagFailoverInProgress, "failover_in_progress")
	add(FlagPromoted, "promoted")
	add(FlagReconfSent, "reconf_sent")
	add(FlagReconfInProg, "reconf_inprog")
	add(FlagReconfDone, "reconf_done")
	add(FlagForceFailover, "force_failover")
	add(FlagScriptKillSent, "script_kill_sent")
	return strings.Join(parts, ",")
}

// parseLL is Redis's string2ll: an optional '-', then "0" or digits not
// starting with 0, fitting in 64 bits; no blanks, no '+'.
func parseLL(s string) (int64, bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	d := s
	if d[0] == '-' {
		d = d[1:]
	}
	if d == "" || (d[0] == '0' && len(d) > 1) || (d == "0" && len(s) > 1) {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}
