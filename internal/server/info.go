// info.go builds the INFO reply: the sections and fields of Redis 7.0, in
// Redis's order and wording, lines ending in CRLF and sections separated by
// a blank line. Features redoubt does not have yet (persistence,
// replication, scripting, modules) report what an idle Redis without them
// reports, so tools parsing INFO keep working.
package server

import (
	"fmt"
	"github.com/redoubt/redoubt/internal/replication"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// infoDefaultSections are what INFO and INFO default show.
var infoDefaultSections = []string{"server", "clients", "memory", "persistence", "stats", "replication",
	"cpu", "module_list", "errorstats", "cluster", "keyspace"}

func init() {
	register("info", cmdInfo)
}

func cmdInfo(c *Client, args [][]byte) {
	if c.srv.sentinelMode() {
		// sentinelInfoCommand answers a plain bulk string, even in RESP3
		c.w.BulkString(c.sentinelInfoString(args[1:]))
		return
	}
	c.w.Verbatim("txt", c.srv.infoString(args[1:]))
}

// infoString renders the sections the arguments select.
func (s *Server) infoString(args [][]byte) string {
	return s.renderInfo(args, infoDefaultSections, nil)
}

// renderInfo renders the sections the arguments select among allowed
// (nil: all), with defaults for no argument and "default".
func (s *Server) renderInfo(args [][]byte, defaults []string, allowed map[string]bool) string {
	want := map[string]bool{}
	all := false
	if len(args) == 0 {
		for _, n := range defaults {
			want[n] = true
		}
	}
	for _, a := range args {
		switch name := strings.ToLower(string(a)); name {
		case "default":
			for _, n := range defaults {
				want[n] = true
			}
		case "all":
			all = true
		case "everything":
			// "all" plus module-provided sections, of which there are none.
			all = true
		default:
			want[name] = true
		}
	}
	var b strings.Builder
	sections := []struct {
		names []string
		gen   func(*strings.Builder)
	}{
		{[]string{"server"}, s.infoServer},
		{[]string{"clients"}, s.infoClients},
		{[]string{"memory"}, s.infoMemory},
		{[]string{"persistence"}, s.infoPersistence},
		{[]string{"stats"}, s.infoStats},
		{[]string{"replication"}, s.infoReplication},
		{[]string{"cpu"}, s.infoCPU},
		{[]string{"module_list", "modules"}, func(b *strings.Builder) { b.WriteString("# Modules\r\n") }},
		{[]string{"commandstats"}, s.infoCommandStats},
		{[]string{"errorstats"}, s.infoErrorStats},
		{[]string{"latencystats"}, s.infoLatencyStats},
		{[]string{"cluster"}, func(b *strings.Builder) { b.WriteString("# Cluster\r\ncluster_enabled:0\r\n") }},
		{[]string{"keyspace"}, s.infoKeyspace},
	}
	n := 0
	for _, sec := range sections {
		selected := all
		for _, name := range sec.names {
			selected = selected || want[name]
		}
		if allowed != nil && !allowed[sec.names[0]] {
			selected = false
		}
		if !selected {
			continue
		}
		if n > 0 {
			b.WriteString("\r\n")
		}
		n++
		sec.gen(&b)
	}
	return b.String()
}

// infoLines appends "name:value" lines from alternating names and values.
func infoLines(b *strings.Builder, kv ...any) {
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(kv[i].(string))
		b.WriteByte(':')
		switch v := kv[i+1].(type) {
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case uint64:
			b.WriteString(strconv.FormatUint(v, 10))
		default:
			fmt.Fprint(b, v)
		}
		b.WriteString("\r\n")
	}
}

// uname is the os field: kernel name, release and machine, as uname(2).
var uname = func() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return runtime.GOOS
	}
	str := func(f [65]int8) string {
		var sb strings.Builder
		for _, ch := range f {
			if ch == 0 {
				break
			}
			sb.WriteByte(byte(ch))
		}
		return sb.String()
	}
	return str(u.Sysname) + " " + str(u.Release) + " " + str(u.Machine)
}()

// executablePath is the absolute path of the running binary.
var executablePath = func() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}()

// lruClock is Redis's 24-bit LRU clock in seconds.
func lruClock(unixMs int64) int64 { return (unixMs / 1000) & (1<<24 - 1) }

func (s *Server) infoServer(b *strings.Builder) {
	now := time.Now()
	uptime := int64(now.Sub(s.startTime) / time.Second)
	hz := s.cfg.Hz
	b.WriteString("# Server\r\n")
	infoLines(b,
		"redis_version", Version,
		"redis_git_sha1", "00000000",
		"redis_git_dirty", 0,
		"redis_build_id", s.runID[:15],
		"redis_mode", s.serverMode(),
		"os", uname,
		"arch_bits", strconv.Itoa(strconv.IntSize),
		"monotonic_clock", "POSIX clock_gettime",
		"multiplexing_api", "epoll",
		"atomicvar_api", "c11-builtin",
		"gcc_version", "0.0.0",
		"process_id", os.Getpid(),
		"process_supervised", "no",
		"run_id", s.runID,
		"tcp_port", s.cfg.Port,
		"server_time_usec", now.UnixMicro(),
		"uptime_in_seconds", uptime,
		"uptime_in_days", uptime/86400,
		"hz", hz,
		"configured_hz", hz,
		"lru_clock", lruClock(now.UnixMilli()),
		"executable", executablePath,
		"config_file", s.cfg.File,
		"io_threads_active", 0,
	)
}

func (s *Server) infoClients(b *strings.Builder) {
	b.WriteString("# Clients\r\n")
	infoLines(b,
		"connected_clients", len(s.clients),
		"cluster_connections", 0,
		"maxclients", s.cfg.MaxClients,
		"client_recent_max_input_buffer", 0,
		"client_recent_max_output_buffer", 0,
		"blocked_clients", s.blockedClientsCount(),
		"tracking_clients", 0,
		"clients_in_timeout_table", s.blocking.withTimeout,
	)
}

// bytesToHuman formats n as Redis does in INFO (B, K, M, G, T, P).
func bytesToHuman(n uint64) string {
	units := []string{"K", "M", "G", "T", "P"}
	if n < 1024 {
		return strconv.FormatUint(n, 10) + "B"
	}
	d := float64(n) / 1024
	for _, u := range units {
		if d < 1024 {
			return strconv.FormatFloat(d, 'f', 2, 64) + u
		}
		d /= 1024
	}
	return strconv.FormatUint(n, 10) + "B"
}

// cfgString reads a directive the configuration table may not have yet,
// falling back to Redis's default.
func (s *Server) cfgString(name, def string) string {
	if v, ok := s.cfg.Get(name); ok {
		return v
	}
	return def
}

func (s *Server) cfgInt(name string, def int64) int64 {
	if v, ok := s.cfg.Get(name); ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return def
}

func ratio2(a, b float64) string {
	if b == 0 {
		return "0.00"
	}
	return strconv.FormatFloat(a/b, 'f', 2, 64)
}

func (s *Server) infoMemory(b *strings.Builder) {
	m := s.memoryOverview()
	sc := s.scriptMemory()
	maxmem := s.cfgInt("maxmemory", 0)
	b.WriteString("# Memory\r\n")
	infoLines(b,
		"used_memory", m.used,
		"used_memory_human", bytesToHuman(m.used),
		"used_memory_rss", m.rss,
		"used_memory_rss_human", bytesToHuman(m.rss),
		"used_memory_peak", m.peak,
		"used_memory_peak_human", bytesToHuman(m.peak),
		"used_memory_peak_perc", strconv.FormatFloat(m.peakPerc, 'f', 2, 64)+"%",
		"used_memory_overhead", m.overhead,
		"used_memory_startup", m.startup,
		"used_memory_dataset", m.dataset,
		"used_memory_dataset_perc", strconv.FormatFloat(m.datasetPerc, 'f', 2, 64)+"%",
		"allocator_allocated", m.allocated,
		"allocator_active", m.active,
		"allocator_resident", m.resident,
		"total_system_memory", m.system,
		"total_system_memory_human", bytesToHuman(m.system),
		"used_memory_lua", 0,
		"used_memory_vm_eval", 0,
		"used_memory_lua_human", "0B",
		"used_memory_scripts_eval", sc.evalBytes,
		"number_of_cached_scripts", s.cachedScripts(),
		"number_of_functions", sc.functions,
		"number_of_libraries", sc.libraries,
		"used_memory_vm_functions", 0,
		"used_memory_vm_total", 0,
		"used_memory_vm_total_human", "0B",
		"used_memory_functions", sc.functionBytes,
		"used_memory_scripts", sc.evalBytes+sc.functionBytes,
		"used_memory_scripts_human", bytesToHuman(uint64(sc.evalBytes+sc.functionBytes)),
		"maxmemory", maxmem,
		"maxmemory_human", bytesToHuman(uint64(maxmem)),
		"maxmemory_policy", s.cfgString("maxmemory-policy", "noeviction"),
		"allocator_frag_ratio", ratio2(float64(m.active), float64(m.allocated)),
		"allocator_frag_bytes", int64(m.active)-int64(m.allocated),
		"allocator_rss_ratio", ratio2(float64(m.resident), float64(m.active)),
		"allocator_rss_bytes", int64(m.resident)-int64(m.active),
		"rss_overhead_ratio", ratio2(float64(m.rss), float64(m.resident)),
		"rss_overhead_bytes", int64(m.rss)-int64(m.resident),
		"mem_fragmentation_ratio", ratio2(float64(m.rss), float64(m.used)),
		"mem_fragmentation_bytes", int64(m.rss)-int64(m.used),
		"mem_not_counted_for_evict", 0,
		"mem_replication_backlog", 0,
		"mem_total_replication_buffers", 0,
		"mem_clients_slaves", 0,
		"mem_clients_normal", m.clientsNormal,
		"mem_cluster_links", 0,
		"mem_aof_buffer", 0,
		"mem_allocator", "go-"+runtime.Version(),
		"active_defrag_running", 0,
		"lazyfree_pending_objects", 0,
		"lazyfreed_objects", 0,
	)
}

func (s *Server) infoPersistence(b *strings.Builder) {
	p := &s.persist
	lastBgsave, currentBgsave := p.lastBgsaveSec, int64(-1)
	var keysDone, keysTotal int64
	if j := p.job; j != nil {
		currentBgsave = int64(time.Since(j.start).Seconds())
		keysDone, keysTotal = j.snap.Visited, j.total
	}
	b.WriteString("# Persistence\r\n")
	infoLines(b,
		"loading", 0,
		"async_loading", 0,
		"current_cow_peak", 0,
		"current_cow_size", 0,
		"current_cow_size_age", 0,
		"current_fork_perc", "0.00",
		"current_save_keys_processed", keysDone,
		"current_save_keys_total", keysTotal,
		"rdb_changes_since_last_save", s.intro.dirty,
		"rdb_bgsave_in_progress", b2i(p.job != nil),
		"rdb_last_save_time", s.intro.lastSave,
		"rdb_last_bgsave_status", okErr(p.lastOK),
		"rdb_last_bgsave_time_sec", lastBgsave,
		"rdb_current_bgsave_time_sec", currentBgsave,
		"rdb_saves", p.saves,
		"rdb_last_cow_size", p.lastCOW,
		"rdb_last_load_keys_expired", p.expiredOnLoad,
		"rdb_last_load_keys_loaded", p.loadedKeys,
	)
	s.infoAOF(b)
	infoLines(b,
		"module_fork_in_progress", 0,
		"module_fork_last_cow_size", 0,
	)
}

// infoAOF is the aof_ part of INFO persistence; the sizes and buffers only
// while the AOF is on, as Redis.
func (s *Server) infoAOF(b *strings.Builder) {
	a := &s.aof
	lastRewrite, currentRewrite := int64(-1), int64(-1)
	if a.rewrites > 0 || a.consecutiveFailures > 0 {
		lastRewrite = a.lastRewriteSec
	}
	if a.job != nil {
		currentRewrite = int64(time.Since(a.job.start).Seconds())
	}
	infoLines(b,
		"aof_enabled", b2i(a.state != aofOff),
		"aof_rewrite_in_progress", b2i(a.job != nil),
		"aof_rewrite_scheduled", b2i(a.scheduled),
		"aof_last_rewrite_time_sec", lastRewrite,
		"aof_current_rewrite_time_sec", currentRewrite,
		"aof_last_bgrewrite_status", okErr(a.lastRewriteOK),
		"aof_rewrites", a.rewrites,
		"aof_rewrites_consecutive_failures", a.consecutiveFailures,
		"aof_last_write_status", okErr(a.writeErr.Load() == nil),
		"aof_last_cow_size", a.lastCOW,
	)
	if a.state == aofOn {
		pending := a.appendedOffset() - a.written.Load()
		infoLines(b,
			"aof_current_size", a.size.Load()+pending,
			"aof_base_size", a.baseSize,
			"aof_pending_rewrite", b2i(a.scheduled),
			"aof_buffer_length", pending,
			"aof_pending_bio_fsync", b2i(a.fsyncing.Load()),
			"aof_delayed_fsync", 0,
		)
	}
}

func kbps(bytesPerSec int64) string {
	return strconv.FormatFloat(float64(float32(bytesPerSec)/1024), 'f', 2, 64)
}

func (s *Server) infoStats(b *strings.Builder) {
	st := &s.stats
	ks := s.ks
	b.WriteString("# Stats\r\n")
	infoLines(b,
		"total_connections_received", st.totalConns,
		"total_commands_processed", st.commands,
		"instantaneous_ops_per_sec", avgSamples(&st.opsSamples),
		"total_net_input_bytes", st.netInput.Load(),
		"total_net_output_bytes", st.netOutput.Load(),
		"total_net_repl_input_bytes", 0,
		"total_net_repl_output_bytes", 0,
		"instantaneous_input_kbps", kbps(avgSamples(&st.inSamples)),
		"instantaneous_output_kbps", kbps(avgSamples(&st.outSamples)),
		"instantaneous_input_repl_kbps", "0.00",
		"instantaneous_output_repl_kbps", "0.00",
		"rejected_connections", st.rejectedConns,
		"sync_full", s.stats.syncFull,
		"sync_partial_ok", s.stats.syncPartialOK,
		"sync_partial_err", s.stats.syncPartialErr,
		"expired_keys", ks.ExpiredKeys,
		"expired_stale_perc", strconv.FormatFloat(ks.ExpiredStalePerc*100, 'f', 2, 64),
		"expired_time_cap_reached_count", ks.ExpiredTimeCapReached,
		"expire_cycle_cpu_milliseconds", ks.ExpireCycleCPUMillis,
		"evicted_keys", st.evictedKeys,
		"evicted_clients", 0,
		"total_eviction_exceeded_time", 0,
		"current_eviction_exceeded_time", 0,
		"keyspace_hits", ks.Hits,
		"keyspace_misses", ks.Misses,
		"pubsub_channels", len(s.pubsub.channels),
		"pubsub_patterns", len(s.pubsub.patterns),
		"pubsubshard_channels", len(s.pubsub.shard),
		"latest_fork_usec", 0,
		"total_forks", 0,
		"migrate_cached_sockets", 0,
		"slave_expires_tracked_keys", 0,
		"active_defrag_hits", 0,
		"active_defrag_misses", 0,
		"active_defrag_key_hits", 0,
		"active_defrag_key_misses", 0,
		"total_active_defrag_time", 0,
		"current_active_defrag_time", 0,
		"tracking_total_keys", 0,
		"tracking_total_items", 0,
		"tracking_total_prefixes", 0,
		"unexpected_error_replies", 0,
		"total_error_replies", st.errorReplies,
		"dump_payload_sanitizations", 0,
		"total_reads_processed", s.intro.readsProcessed.Load(),
		"total_writes_processed", s.intro.writesProcessed.Load(),
		"io_threaded_reads_processed", 0,
		"io_threaded_writes_processed", 0,
		"reply_buffer_shrinks", 0,
		"reply_buffer_expands", 0,
	)
}

func (s *Server) infoReplication(b *strings.Builder) {
	bl := replication.Info(s.repl.backlog, s.cfg.ReplBacklogSize)
	b.WriteString("# Replication\r\n")
	if s.isReplica() {
		s.infoReplicaFields(b)
	} else {
		infoLines(b, "role", "master")
	}
	infoLines(b, "connected_slaves", len(s.repl.replicas))
	for i, l := range s.repl.replicas {
		host := l.host()
		lag := int64(0)
		if !l.ackTime.IsZero() {
			lag = int64(time.Since(l.ackTime).Seconds())
		}
		fmt.Fprintf(b, "slave%d:ip=%s,port=%d,state=%s,offset=%d,lag=%d\r\n", i, host, l.listenPort, l.state, l.ackOffset, lag)
	}
	infoLines(b,
		"master_failover_state", failoverStateNames[s.repl.failover.state],
		"master_replid", s.repl.ids.Replid,
		"master_replid2", s.repl.ids.Replid2,
		"master_repl_offset", s.repl.offset(),
		"second_repl_offset", s.repl.ids.SecondReplidOffset,
		"repl_backlog_active", bl.Active,
		"repl_backlog_size", bl.Size,
		"repl_backlog_first_byte_offset", bl.FirstByteOffset,
		"repl_backlog_histlen", bl.Histlen,
	)
}

func rusageTime(tv syscall.Timeval) string {
	return fmt.Sprintf("%d.%06d", tv.Sec, tv.Usec)
}

func (s *Server) infoCPU(b *strings.Builder) {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	b.WriteString("# CPU\r\n")
	// Commands run on whichever thread holds the executor lock, so the
	// "main thread" figures are the process's.
	infoLines(b,
		"used_cpu_sys", rusageTime(self.Stime),
		"used_cpu_user", rusageTime(self.Utime),
		"used_cpu_sys_children", rusageTime(children.Stime),
		"used_cpu_user_children", rusageTime(children.Utime),
		"used_cpu_sys_main_thread", rusageTime(self.Stime),
		"used_cpu_user_main_thread", rusageTime(self.Utime),
	)
}

// infoSafeName replaces the characters INFO cannot carry in a field name.
func infoSafeName(s string) string {
	return strings.NewReplacer("#", "_", ":", "_", "\n", "_", "\r", "_").Replace(s)
}

// sortedSubs returns sc's subcommands in name order.
func sortedSubs(sc *serverCommand) []*serverCommand {
	subs := make([]*serverCommand, 0, len(sc.subs))
	for _, sub := range sc.subs {
		subs = append(subs, sub)
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].name < subs[j].name })
	return subs
}

// commandsInInfoOrder lists every command, each followed by its
// subcommands, in name order.
func (s *Server) commandsInInfoOrder() []*serverCommand {
	names := make([]string, 0, len(s.commands))
	for n := range s.commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*serverCommand
	for _, n := range names {
		sc := s.commands[n]
		out = append(out, sc)
		out = append(out, sortedSubs(sc)...)
	}
	return out
}

func (s *Server) infoCommandStats(b *strings.Builder) {
	b.WriteString("# Commandstats\r\n")
	for _, sc := range s.commandsInInfoOrder() {
		if sc.calls == 0 && sc.failed == 0 && sc.rejected == 0 {
			continue
		}
		perCall := float32(0)
		if sc.calls > 0 {
			perCall = float32(sc.usec) / float32(sc.calls)
		}
		fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			infoSafeName(sc.name), sc.calls, sc.usec, perCall, sc.rejected, sc.failed)
	}
}

func (s *Server) infoErrorStats(b *strings.Builder) {
	b.WriteString("# Errorstats\r\n")
	codes := make([]string, 0, len(s.stats.errors))
	for code := range s.stats.errors {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		fmt.Fprintf(b, "errorstat_%s:count=%d\r\n", infoSafeName(code), s.stats.errors[code])
	}
}

// latencyPercentiles are the percentiles INFO latencystats shows.
func (s *Server) latencyPercentiles() []float64 {
	var out []float64
	for _, f := range strings.Fields(s.cfgString("latency-tracking-info-percentiles", "50 99 99.9")) {
		if p, err := strconv.ParseFloat(f, 64); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) infoLatencyStats(b *strings.Builder) {
	b.WriteString("# Latencystats\r\n")
	if !s.latencyTrackingEnabled() {
		return
	}
	percentiles := s.latencyPercentiles()
	for _, sc := range s.commandsInInfoOrder() {
		if sc.hist == nil {
			continue
		}
		b.WriteString("latency_percentiles_usec_" + infoSafeName(sc.name) + ":")
		for i, p := range percentiles {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "p%s=%.3f", strconv.FormatFloat(p, 'f', -1, 64), float64(sc.hist.valueAtPercentile(p))/1000)
		}
		b.WriteString("\r\n")
	}
}

func (s *Server) infoKeyspace(b *strings.Builder) {
	b.WriteString("# Keyspace\r\n")
	for _, db := range s.ks.DBs {
		if db.Len() == 0 && db.Expires() == 0 {
			continue
		}
		fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=%d\r\n", db.ID, db.Len(), db.Expires(), db.AvgTTL)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func okErr(ok bool) string {
	if ok {
		return "ok"
	}
	return "err"
}
