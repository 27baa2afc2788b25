// table.go is the directive table: one row per directive of Redis 7.0's
// config.c, in Redis's order, with its alias, flags, default, bounds and
// the typed field that holds it (nil: generic storage). Rows marked
// fNotImpl are accepted, validated and reported by CONFIG GET, but have
// no effect in redoubt yet.
package config

import (
	"math"
	"strings"
)

var (
	enumPolicy = []enumVal{{"volatile-lru", 0}, {"volatile-lfu", 1}, {"volatile-random", 2}, {"volatile-ttl", 3},
		{"allkeys-lru", 4}, {"allkeys-lfu", 5}, {"allkeys-random", 6}, {"noeviction", 7}}
	enumSyslog = []enumVal{{"user", 0}, {"local0", 1}, {"local1", 2}, {"local2", 3}, {"local3", 4},
		{"local4", 5}, {"local5", 6}, {"local6", 7}, {"local7", 8}}
	enumLoglevel    = []enumVal{{"debug", 0}, {"verbose", 1}, {"notice", 2}, {"warning", 3}}
	enumSupervised  = []enumVal{{"upstart", 0}, {"systemd", 1}, {"auto", 2}, {"no", 3}}
	enumFsync       = []enumVal{{"everysec", 0}, {"always", 1}, {"no", 2}}
	enumShutdown    = []enumVal{{"default", 0}, {"save", 1}, {"nosave", 2}, {"now", 4}, {"force", 8}}
	enumDiskless    = []enumVal{{"disabled", 0}, {"on-empty-db", 1}, {"swapdb", 2}}
	enumTlsauth     = []enumVal{{"no", 0}, {"yes", 1}, {"optional", 2}}
	enumOom         = []enumVal{{"no", 0}, {"yes", 1}, {"relative", 1}, {"absolute", 2}}
	enumPubsub      = []enumVal{{"allchannels", 1}, {"resetchannels", 0}}
	enumSanitize    = []enumVal{{"no", 0}, {"yes", 1}, {"clients", 2}}
	enumProtected   = []enumVal{{"no", 0}, {"yes", 1}, {"local", 2}}
	enumEndpoint    = []enumVal{{"ip", 0}, {"hostname", 1}, {"unknown-endpoint", 2}}
	enumPropagation = []enumVal{{"ignore", 0}, {"panic", 1}, {"panic-on-replicas", 2}}
)

// Shutdown flags of shutdown-on-sigint/sigterm, as SHUTDOWN's options.
const (
	ShutdownSave   = 1
	ShutdownNoSave = 2
	ShutdownNow    = 4
	ShutdownForce  = 8
)

var directives = []*directive{
	{name: "rdbchecksum", kind: kindBool, flags: fImmutable, def: "yes", field: func(c *Config) any { return &c.RDBChecksum }},
	{name: "daemonize", kind: kindBool, flags: fImmutable, def: "no", field: func(c *Config) any { return &c.Daemonize }},
	{name: "io-threads-do-reads", kind: kindBool, flags: fImmutable | fNotImpl, def: "no", field: nil},
	{name: "always-show-logo", kind: kindBool, flags: fImmutable | fNotImpl, def: "no", field: nil},
	{name: "protected-mode", kind: kindBool, flags: 0, def: "yes", field: func(c *Config) any { return &c.ProtectedMode }},
	{name: "rdbcompression", kind: kindBool, flags: 0, def: "yes", field: func(c *Config) any { return &c.RDBCompression }},
	{name: "rdb-del-sync-files", kind: kindBool, flags: fNotImpl, def: "no", field: func(c *Config) any { return &c.RDBDelSyncFiles }},
	{name: "activerehashing", kind: kindBool, flags: fNotImpl, def: "yes", field: func(c *Config) any { return &c.ActiveRehashing }},
	{name: "stop-writes-on-bgsave-error", kind: kindBool, flags: 0, def: "yes", field: func(c *Config) any { return &c.StopWritesOnBgsaveError }},
	{name: "set-proc-title", kind: kindBool, flags: fImmutable | fNotImpl, def: "yes", field: nil},
	{name: "dynamic-hz", kind: kindBool, flags: fNotImpl, def: "yes", field: func(c *Config) any { return &c.DynamicHz }},
	{name: "lazyfree-lazy-eviction", kind: kindBool, flags: fNotImpl, def: "no", field: func(c *Config) any { return &c.LazyfreeEviction }},
	{name: "lazyfree-lazy-expire", kind: kindBool, flags: fNotImpl, def: "no", field: func(c *Config) any { return &c.LazyfreeExpire }},
	{name: "lazyfree-lazy-server-del", kind: kindBool, flags: fNotImpl, def: "no", field: func(c *Config) any { return &c.LazyfreeServerDel }},
	{name: "lazyfree-lazy-user-del", kind: kindBool, flags: fNotImpl, def: "no", field: func(c *Config) any { return &c.LazyfreeUserDel }},
	{name: "lazyfree-lazy-user-flush", kind: kindBool, flags: fNotImpl, def: "no", field: func(c *Config) any { return &c.LazyfreeUserFlush }},
	{name: "repl-disable-tcp-nodelay", kind: kindBool, flags: fNotImpl, def: "no", field: func(c *Config) any { return &c.ReplDisableTCPNoDelay }},
	{name: "repl-diskless-sync", kind: kindBool, def: "yes", field: func(c *Config) any { return &c.ReplDisklessSync }},
	{name: "aof-rewrite-incremental-fsync", kind: kindBool, flags: fNotImpl, def: "yes", field: func(c *Config) any { return &c.AOFRewriteIncrementalFsync }},
	{name: "no-appendfsync-on-rewrite", kind: kindBool, def: "no", field: func(c *Config) any { return &c.NoAppendFsyncOnRewrite }},
	{name: "cluster-require-full-coverage", kind: kindBool, flags: fNotImpl, def: "yes", field: func(c *Config) any { return &c.ClusterRequireFullCoverage }},
	{name: "rdb-save-incremental-fsync", kind: kindBool, flags: fNotImpl, def: "yes", field: func(c *Config) any { return &c.RDBSaveIncrementalFsync }},
	{name: "aof-load-truncated", kind: kindBool, def: "yes", field: func(c *Config) any { return &c.AOFLoadTruncated }},
	{name: "aof-use-rdb-preamble", kind: kindBool, def: "yes", field: func(c *Config) any { return &c.AOFUseRDBPreamble }},
	{name: "aof-timestamp-enabled", kind: kindBool, def: "no", field: func(c *Config) any { return &c.AOFTimestampEnabled }},
	{name: "cluster-replica-no-failover", alias: "cluster-slave-no-failover", kind: kindBool, flags: fNotImpl, def: "no", field: func(c *Config) any { return &c.ClusterReplicaNoFailover }},
	{name: "replica-lazy-flush", alias: "slave-lazy-flush", kind: kindBool, flags: fNotImpl, def: "no", field: func(c *Config) any { return &c.ReplicaLazyFlush }},
	{name: "replica-serve-stale-data", alias: "slave-serve-stale-data", kind: kindBool, def: "yes", field: func(c *Config) any { return &c.ReplicaServeStaleData }},
	{name: "replica-read-only", alias: "slave-read-only", kind: kindBool, def: "yes", field: func(c *Config) any { return &c.ReplicaReadOnly }},
	{name: "replica-ignore-maxmemory", alias: "slave-ignore-maxmemory", kind: kindBool, def: "yes", field: func(c *Config) any { return &c.ReplicaIgnoreMaxMe }},
	{name: "jemalloc-bg-thread", kind: kindBool, flags: fNotImpl, def: "yes", field: nil},
	{name: "activedefrag", kind: kindBool, flags: fNotImpl, def: "no", field: nil, valid: validActiveDefrag},
	{name: "syslog-enabled", kind: kindBool, flags: fImmutable | fNotImpl, def: "no", field: nil},
	{name: "cluster-enabled", kind: kindBool, flags: fImmutable | fNotImpl, def: "no", field: func(c *Config) any { return &c.ClusterEnabled }},
	{name: "appendonly", kind: kindBool, flags: fDenyLoading, def: "no", field: func(c *Config) any { return &c.AppendOnly }},
	{name: "cluster-allow-reads-when-down", kind: kindBool, flags: fNotImpl, def: "no", field: func(c *Config) any { return &c.ClusterAllowReadsWhenDown }},
	{name: "cluster-allow-pubsubshard-when-down", kind: kindBool, flags: fNotImpl, def: "yes", field: func(c *Config) any { return &c.ClusterAllowPubsubDown }},
	{name: "crash-log-enabled", kind: kindBool, flags: fNotImpl, def: "yes", field: nil},
	{name: "crash-memcheck-enabled", kind: kindBool, flags: fNotImpl, def: "yes", field: nil},
	{name: "use-exit-on-panic", kind: kindBool, flags: fHidden | fNotImpl, def: "no", field: nil},
	{name: "disable-thp", kind: kindBool, flags: fImmutable | fNotImpl, def: "yes", field: nil},
	{name: "cluster-allow-replica-migration", kind: kindBool, flags: fNotImpl, def: "yes", field: func(c *Config) any { return &c.ClusterAllowReplicaMigr }},
	{name: "replica-announced", kind: kindBool, def: "yes", field: func(c *Config) any { return &c.ReplicaAnnounced }},
	{name: "latency-tracking", kind: kindBool, def: "yes", field: func(c *Config) any { return &c.LatencyTracking }},
	{name: "aof-disable-auto-gc", kind: kindBool, flags: fNotImpl, def: "no", field: nil},
	{name: "replica-ignore-disk-write-errors", kind: kindBool, flags: fNotImpl, def: "no", field: nil},
	{name: "aclfile", kind: kindString, flags: fImmutable, def: "", field: func(c *Config) any { return &c.ACLFile }},
	{name: "unixsocket", kind: kindString, flags: fImmutable | fNull, def: "", field: func(c *Config) any { return &c.UnixSocket }},
	{name: "pidfile", kind: kindString, flags: fImmutable | fNull, def: "", field: func(c *Config) any { return &c.PidFile }},
	{name: "replica-announce-ip", alias: "slave-announce-ip", kind: kindString, flags: fNull, def: "", field: func(c *Config) any { return &c.ReplicaAnnounceIP }},
	{name: "masteruser", kind: kindString, flags: fNull | fSensitive, def: "", field: func(c *Config) any { return &c.MasterUser }},
	{name: "cluster-announce-ip", kind: kindString, flags: fNotImpl | fNull, def: "", field: func(c *Config) any { return &c.ClusterAnnounceIP }},
	{name: "cluster-config-file", kind: kindString, flags: fImmutable | fNotImpl, def: "nodes.conf", field: func(c *Config) any { return &c.ClusterConfigFile }},
	{name: "cluster-announce-hostname", kind: kindString, flags: fNotImpl | fNull, def: "", field: func(c *Config) any { return &c.ClusterAnnounceHostname }, valid: validHostname},
	{name: "syslog-ident", kind: kindString, flags: fImmutable | fNotImpl, def: "redis", field: nil},
	{name: "dbfilename", kind: kindString, flags: fProtected, def: "dump.rdb", field: func(c *Config) any { return &c.DBFilename }, valid: validDBFilename},
	{name: "appendfilename", kind: kindString, flags: fImmutable, def: "appendonly.aof", field: func(c *Config) any { return &c.AppendFilename }, valid: validAOFFilename},
	{name: "appenddirname", kind: kindString, flags: fImmutable, def: "appendonlydir", field: func(c *Config) any { return &c.AppendDirname }, valid: validAOFDirname},
	{name: "server_cpulist", kind: kindString, flags: fImmutable | fNotImpl | fNull, def: "", field: nil},
	{name: "bio_cpulist", kind: kindString, flags: fImmutable | fNotImpl | fNull, def: "", field: nil},
	{name: "aof_rewrite_cpulist", kind: kindString, flags: fImmutable | fNotImpl | fNull, def: "", field: nil},
	{name: "bgsave_cpulist", kind: kindString, flags: fImmutable | fNotImpl | fNull, def: "", field: nil},
	{name: "ignore-warnings", kind: kindString, flags: fNotImpl, def: "", field: nil},
	{name: "proc-title-template", kind: kindString, flags: fNotImpl, def: "{title} {listen-addr} {server-mode}", field: nil, valid: validProcTitle},
	{name: "bind-source-addr", kind: kindString, flags: fNotImpl | fNull, def: "", field: func(c *Config) any { return &c.BindSourceAddr }},
	{name: "logfile", kind: kindString, flags: fImmutable, def: "", field: func(c *Config) any { return &c.LogFile }},
	{name: "masterauth", kind: kindString, flags: fNull | fSensitive, def: "", field: func(c *Config) any { return &c.MasterAuth }},
	{name: "requirepass", kind: kindString, flags: fNull | fSensitive, def: "", field: func(c *Config) any { return &c.RequirePass }},
	{name: "supervised", kind: kindEnum, flags: fImmutable | fNotImpl, enum: enumSupervised, def: "no", field: func(c *Config) any { return &c.Supervised }},
	{name: "syslog-facility", kind: kindEnum, flags: fImmutable | fNotImpl, enum: enumSyslog, def: "local0", field: nil},
	{name: "repl-diskless-load", kind: kindEnum, flags: fDenyLoading, enum: enumDiskless, def: "disabled", field: func(c *Config) any { return &c.ReplDisklessLoad }},
	{name: "loglevel", kind: kindEnum, flags: 0, enum: enumLoglevel, def: "notice", field: func(c *Config) any { return &c.LogLevel }},
	{name: "maxmemory-policy", kind: kindEnum, enum: enumPolicy, def: "noeviction", field: func(c *Config) any { return &c.MaxMemoryPolicy }},
	{name: "appendfsync", kind: kindEnum, enum: enumFsync, def: "everysec", field: func(c *Config) any { return &c.AppendFsync }},
	{name: "oom-score-adj", kind: kindEnum, flags: fNotImpl, enum: enumOom, def: "no", field: func(c *Config) any { return &c.OOMScoreAdj }},
	{name: "acl-pubsub-default", kind: kindEnum, flags: 0, enum: enumPubsub, def: "resetchannels", field: func(c *Config) any { return &c.ACLPubsubDefault }},
	{name: "sanitize-dump-payload", kind: kindEnum, flags: fNotImpl, enum: enumSanitize, def: "no", field: func(c *Config) any { return &c.SanitizeDumpPayload }},
	{name: "enable-protected-configs", kind: kindEnum, flags: fImmutable, enum: enumProtected, def: "no", field: func(c *Config) any { return &c.EnableProtectedConfigs }},
	{name: "enable-debug-command", kind: kindEnum, flags: fImmutable, enum: enumProtected, def: "no", field: func(c *Config) any { return &c.EnableDebugCommand }},
	{name: "enable-module-command", kind: kindEnum, flags: fImmutable | fNotImpl, enum: enumProtected, def: "no", field: func(c *Config) any { return &c.EnableModuleCommand }},
	{name: "cluster-preferred-endpoint-type", kind: kindEnum, flags: fNotImpl, enum: enumEndpoint, def: "ip", field: func(c *Config) any { return &c.ClusterPreferredEndpoint }},
	{name: "propagation-error-behavior", kind: kindEnum, flags: fNotImpl, enum: enumPropagation, def: "ignore", field: func(c *Config) any { return &c.PropagationErrorBehavior }},
	{name: "shutdown-on-sigint", kind: kindEnum, flags: fNotImpl | fMulti, enum: enumShutdown, def: "default", field: func(c *Config) any { return &c.ShutdownOnSigint }, valid: validShutdownFlags},
	{name: "shutdown-on-sigterm", kind: kindEnum, flags: fNotImpl | fMulti, enum: enumShutdown, def: "default", field: func(c *Config) any { return &c.ShutdownOnSigterm }, valid: validShutdownFlags},
	{name: "databases", kind: kindNum, flags: fImmutable, min: 1, max: math.MaxInt32, def: "16", field: func(c *Config) any { return &c.Databases }},
	{name: "port", kind: kindNum, flags: 0, min: 0, max: 65535, def: "6379", field: func(c *Config) any { return &c.Port }},
	{name: "io-threads", kind: kindNum, flags: fImmutable | fNotImpl, min: 1, max: 128, def: "1", field: nil},
	{name: "auto-aof-rewrite-percentage", kind: kindNum, min: 0, max: math.MaxInt32, def: "100", field: func(c *Config) any { return &c.AutoAOFRewritePercentage }},
	{name: "cluster-replica-validity-factor", alias: "cluster-slave-validity-factor", kind: kindNum, flags: fNotImpl, min: 0, max: math.MaxInt32, def: "10", field: func(c *Config) any { return &c.ClusterReplicaValidity }},
	{name: "list-max-listpack-size", alias: "list-max-ziplist-size", kind: kindNum, flags: fNotImpl, min: math.MinInt32, max: math.MaxInt32, def: "-2", field: func(c *Config) any { return &c.ListMaxListpackSize }},
	{name: "tcp-keepalive", kind: kindNum, min: 0, max: math.MaxInt32, def: "300", field: func(c *Config) any { return &c.TCPKeepalive }},
	{name: "cluster-migration-barrier", kind: kindNum, flags: fNotImpl, min: 0, max: math.MaxInt32, def: "1", field: func(c *Config) any { return &c.ClusterMigrationBarrier }},
	{name: "active-defrag-cycle-min", kind: kindNum, flags: fNotImpl, min: 1, max: 99, def: "1", field: nil},
	{name: "active-defrag-cycle-max", kind: kindNum, flags: fNotImpl, min: 1, max: 99, def: "25", field: nil},
	{name: "active-defrag-threshold-lower", kind: kindNum, flags: fNotImpl, min: 0, max: 1000, def: "10", field: nil},
	{name: "active-defrag-threshold-upper", kind: kindNum, flags: fNotImpl, min: 0, max: 1000, def: "100", field: nil},
	{name: "lfu-log-factor", kind: kindNum, min: 0, max: math.MaxInt32, def: "10", field: func(c *Config) any { return &c.LFULogFactor }},
	{name: "lfu-decay-time", kind: kindNum, min: 0, max: math.MaxInt32, def: "1", field: func(c *Config) any { return &c.LFUDecayTime }},
	{name: "replica-priority", alias: "slave-priority", kind: kindNum, min: 0, max: math.MaxInt32, def: "100", field: func(c *Config) any { return &c.ReplicaPriority }},
	{name: "repl-diskless-sync-delay", kind: kindNum, min: 0, max: math.MaxInt32, def: "5", field: func(c *Config) any { return &c.ReplDisklessSyncDelay }},
	{name: "maxmemory-samples", kind: kindNum, min: 1, max: math.MaxInt32, def: "5", field: func(c *Config) any { return &c.MaxMemorySamples }},
	{name: "maxmemory-eviction-tenacity", kind: kindNum, min: 0, max: 100, def: "10", field: func(c *Config) any { return &c.MaxMemoryTenacity }},
	{name: "timeout", kind: kindNum, flags: 0, min: 0, max: math.MaxInt32, def: "0", field: func(c *Config) any { return &c.Timeout }},
	{name: "replica-announce-port", alias: "slave-announce-port", kind: kindNum, min: 0, max: 65535, def: "0", field: func(c *Config) any { return &c.ReplicaAnnouncePort }},
	{name: "tcp-backlog", kind: kindNum, flags: fImmutable | fNotImpl, min: 0, max: math.MaxInt32, def: "511", field: func(c *Config) any { return &c.TCPBacklog }},
	{name: "cluster-port", kind: kindNum, flags: fImmutable | fNotImpl, min: 0, max: 65535, def: "0", field: func(c *Config) any { return &c.ClusterPort }},
	{name: "cluster-announce-bus-port", kind: kindNum, flags: fNotImpl, min: 0, max: 65535, def: "0", field: func(c *Config) any { return &c.ClusterAnnounceBusPort }},
	{name: "cluster-announce-port", kind: kindNum, flags: fNotImpl, min: 0, max: 65535, def: "0", field: func(c *Config) any { return &c.ClusterAnnouncePort }},
	{name: "cluster-announce-tls-port", kind: kindNum, flags: fNotImpl, min: 0, max: 65535, def: "0", field: func(c *Config) any { return &c.ClusterAnnounceTLSPort }},
	{name: "repl-timeout", kind: kindNum, min: 1, max: math.MaxInt32, def: "60", field: func(c *Config) any { return &c.ReplTimeout }},
	{name: "repl-ping-replica-period", alias: "repl-ping-slave-period", kind: kindNum, min: 1, max: math.MaxInt32, def: "10", field: func(c *Config) any { return &c.ReplPingReplicaPeriod }},
	{name: "list-compress-depth", kind: kindNum, flags: fNotImpl, min: 0, max: math.MaxInt32, def: "0", field: func(c *Config) any { return &c.ListCompressDepth }},
	{name: "rdb-key-save-delay", kind: kindNum, flags: fHidden | fNotImpl, min: math.MinInt32, max: math.MaxInt32, def: "0", field: nil},
	{name: "key-load-delay", kind: kindNum, flags: fHidden | fNotImpl, min: math.MinInt32, max: math.MaxInt32, def: "0", field: nil},
	{name: "active-expire-effort", kind: kindNum, flags: 0, min: 1, max: 10, def: "1", field: func(c *Config) any { return &c.ActiveExpireEffort }},
	{name: "hz", kind: kindNum, flags: 0, min: 0, max: math.MaxInt32, def: "10", field: func(c *Config) any { return &c.Hz }, after: capHz},
	{name: "min-replicas-to-write", alias: "min-slaves-to-write", kind: kindNum, min: 0, max: math.MaxInt32, def: "0", field: func(c *Config) any { return &c.MinReplicasToWrite }},
	{name: "min-replicas-max-lag", alias: "min-slaves-max-lag", kind: kindNum, min: 0, max: math.MaxInt32, def: "10", field: func(c *Config) any { return &c.MinReplicasMaxLag }},
	{name: "watchdog-period", kind: kindNum, flags: fHidden | fNotImpl, min: 0, max: math.MaxInt32, def: "0", field: nil},
	{name: "shutdown-timeout", kind: kindNum, flags: fNotImpl, min: 0, max: math.MaxInt32, def: "10", field: func(c *Config) any { return &c.ShutdownTimeout }},
	{name: "repl-diskless-sync-max-replicas", kind: kindNum, min: 0, max: math.MaxInt32, def: "0", field: func(c *Config) any { return &c.ReplDisklessSyncMaxRepl }},
	{name: "maxclients", kind: kindNum, flags: fUnsigned, min: 1, max: math.MaxUint32, def: "10000", field: func(c *Config) any { return &c.MaxClients }},
	{name: "unixsocketperm", kind: kindNum, flags: fImmutable | fUnsigned | fOctal, min: 0, max: 0o777, def: "0", field: func(c *Config) any { return &c.UnixSocketPerm }},
	{name: "socket-mark-id", kind: kindNum, flags: fImmutable | fNotImpl | fUnsigned, min: 0, max: math.MaxUint32, def: "0", field: nil},
	{name: "active-defrag-max-scan-fields", kind: kindNum, flags: fNotImpl, min: 1, max: math.MaxInt64, def: "1000", field: nil},
	{name: "slowlog-max-len", kind: kindNum, flags: 0, min: 0, max: math.MaxInt64, def: "128", field: func(c *Config) any { return &c.SlowlogMaxLen }},
	{name: "acllog-max-len", kind: kindNum, flags: 0, min: 0, max: math.MaxInt64, def: "128", field: func(c *Config) any { return &c.ACLLogMaxLen }},
	{name: "busy-reply-threshold", alias: "lua-time-limit", kind: kindNum, min: 0, max: math.MaxInt64, def: "5000", field: func(c *Config) any { return &c.BusyReplyThreshold }},
	{name: "cluster-node-timeout", kind: kindNum, flags: fNotImpl, min: 0, max: math.MaxInt64, def: "15000", field: func(c *Config) any { return &c.ClusterNodeTimeout }},
	{name: "slowlog-log-slower-than", kind: kindNum, flags: 0, min: -1, max: math.MaxInt64, def: "10000", field: func(c *Config) any { return &c.SlowlogLogSlowerThan }},
	{name: "latency-monitor-threshold", kind: kindNum, min: 0, max: math.MaxInt64, def: "0", field: func(c *Config) any { return &c.LatencyMonitorThreshold }},
	{name: "proto-max-bulk-len", kind: kindNum, flags: fMemory, min: 1048576, max: math.MaxInt64, def: "536870912", field: func(c *Config) any { return &c.ProtoMaxBulkLen }},
	{name: "stream-node-max-entries", kind: kindNum, flags: fNotImpl, min: 0, max: math.MaxInt64, def: "100", field: func(c *Config) any { return &c.StreamNodeMaxEntries }},
	{name: "repl-backlog-size", kind: kindNum, flags: fMemory, min: 1, max: math.MaxInt64, def: "1048576", field: func(c *Config) any { return &c.ReplBacklogSize }},
	{name: "maxmemory", kind: kindNum, flags: fMemory | fUnsigned, min: 0, max: -1, def: "0", field: func(c *Config) any { return &c.MaxMemory }},
	{name: "cluster-link-sendbuf-limit", kind: kindNum, flags: fNotImpl | fMemory | fUnsigned, min: 0, max: -1, def: "0", field: func(c *Config) any { return &c.ClusterLinkSendbufLimit }},
	{name: "hash-max-listpack-entries", alias: "hash-max-ziplist-entries", kind: kindNum, flags: fUnsigned, min: 0, max: math.MaxInt64, def: "512", field: func(c *Config) any { return &c.HashMaxListpackEntries }},
	{name: "set-max-intset-entries", kind: kindNum, flags: fUnsigned, min: 0, max: math.MaxInt64, def: "512", field: func(c *Config) any { return &c.SetMaxIntsetEntries }},
	{name: "zset-max-listpack-entries", alias: "zset-max-ziplist-entries", kind: kindNum, flags: fUnsigned, min: 0, max: math.MaxInt64, def: "128", field: func(c *Config) any { return &c.ZsetMaxListpackEntries }},
	{name: "active-defrag-ignore-bytes", kind: kindNum, flags: fNotImpl | fMemory | fUnsigned, min: 1, max: math.MaxInt64, def: "104857600", field: nil},
	{name: "hash-max-listpack-value", alias: "hash-max-ziplist-value", kind: kindNum, flags: fMemory | fUnsigned, min: 0, max: math.MaxInt64, def: "64", field: func(c *Config) any { return &c.HashMaxListpackValue }},
	{name: "stream-node-max-bytes", kind: kindNum, flags: fNotImpl | fMemory | fUnsigned, min: 0, max: math.MaxInt64, def: "4096", field: func(c *Config) any { return &c.StreamNodeMaxBytes }},
	{name: "zset-max-listpack-value", alias: "zset-max-ziplist-value", kind: kindNum, flags: fMemory | fUnsigned, min: 0, max: math.MaxInt64, def: "64", field: func(c *Config) any { return &c.ZsetMaxListpackValue }},
	{name: "hll-sparse-max-bytes", kind: kindNum, flags: fMemory | fUnsigned, min: 0, max: math.MaxInt64, def: "3000", field: func(c *Config) any { return &c.HLLSparseMaxBytes }},
	{name: "tracking-table-max-keys", kind: kindNum, flags: fNotImpl | fUnsigned, min: 0, max: math.MaxInt64, def: "1000000", field: func(c *Config) any { return &c.TrackingTableMaxKeys }},
	{name: "client-query-buffer-limit", kind: kindNum, flags: fMemory | fUnsigned, min: 1048576, max: math.MaxInt64, def: "1073741824", field: func(c *Config) any { return &c.ClientQueryBufferLimit }},
	{name: "maxmemory-clients", kind: kindNum, flags: fNotImpl | fMemory | fPercent, min: -100, max: math.MaxInt64, def: "0", field: func(c *Config) any { return &c.MaxMemoryClients }},
	{name: "repl-backlog-ttl", kind: kindNum, min: 0, max: math.MaxInt64, def: "3600", field: func(c *Config) any { return &c.ReplBacklogTTL }},
	{name: "auto-aof-rewrite-min-size", kind: kindNum, flags: fMemory, min: 0, max: math.MaxInt64, def: "67108864", field: func(c *Config) any { return &c.AutoAOFRewriteMinSize }},
	{name: "loading-process-events-interval-bytes", kind: kindNum, flags: fHidden | fNotImpl, min: 1024, max: math.MaxInt32, def: "2097152", field: nil},
	{name: "tls-port", kind: kindNum, flags: fNotImpl, min: 0, max: 65535, def: "0", field: func(c *Config) any { return &c.TLSPort }},
	{name: "tls-session-cache-size", kind: kindNum, flags: fNotImpl, min: 0, max: math.MaxInt32, def: "20480", field: nil},
	{name: "tls-session-cache-timeout", kind: kindNum, flags: fNotImpl, min: 0, max: math.MaxInt32, def: "300", field: nil},
	{name: "tls-cluster", kind: kindBool, flags: fNotImpl, def: "no", field: nil},
	{name: "tls-replication", kind: kindBool, flags: fNotImpl, def: "no", field: nil},
	{name: "tls-auth-clients", kind: kindEnum, flags: fNotImpl, enum: enumTlsauth, def: "yes", field: nil},
	{name: "tls-prefer-server-ciphers", kind: kindBool, flags: fNotImpl, def: "no", field: nil},
	{name: "tls-session-caching", kind: kindBool, flags: fNotImpl, def: "yes", field: nil},
	{name: "tls-cert-file", kind: kindString, flags: fNotImpl | fNull, def: "", field: nil},
	{name: "tls-key-file", kind: kindString, flags: fNotImpl | fNull, def: "", field: nil},
	{name: "tls-key-file-pass", kind: kindString, flags: fNotImpl | fNull, def: "", field: nil},
	{name: "tls-client-cert-file", kind: kindString, flags: fNotImpl | fNull, def: "", field: nil},
	{name: "tls-client-key-file", kind: kindString, flags: fNotImpl | fNull, def: "", field: nil},
	{name: "tls-client-key-file-pass", kind: kindString, flags: fNotImpl | fNull, def: "", field: nil},
	{name: "tls-dh-params-file", kind: kindString, flags: fNotImpl | fNull, def: "", field: nil},
	{name: "tls-ca-cert-file", kind: kindString, flags: fNotImpl | fNull, def: "", field: nil},
	{name: "tls-ca-cert-dir", kind: kindString, flags: fNotImpl | fNull, def: "", field: nil},
	{name: "tls-protocols", kind: kindString, flags: fNotImpl | fNull, def: "", field: nil},
	{name: "tls-ciphers", kind: kindString, flags: fNotImpl | fNull, def: "", field: nil},
	{name: "tls-ciphersuites", kind: kindString, flags: fNotImpl | fNull, def: "", field: nil},
	{name: "dir", kind: kindSpecial, flags: fProtected | fDenyLoading, special: specialDir},
	{name: "save", kind: kindSpecial, flags: fMulti, special: specialSave},
	{name: "client-output-buffer-limit", kind: kindSpecial, flags: fMulti, special: specialCobl},
	{name: "oom-score-adj-values", kind: kindSpecial, flags: fNotImpl | fMulti, special: specialOomvalues},
	{name: "notify-keyspace-events", kind: kindSpecial, special: specialNotify},
	{name: "bind", kind: kindSpecial, flags: fMulti, special: specialBind},
	{name: "replicaof", alias: "slaveof", kind: kindSpecial, flags: fImmutable | fMulti, special: specialReplicaof},
	{name: "latency-tracking-info-percentiles", kind: kindSpecial, flags: fMulti, special: specialPercentiles},
}

// byName maps every name and alias (lower case) to its row.
var byName = func() map[string]entry {
	m := map[string]entry{}
	for _, d := range directives {
		m[d.name] = entry{d: d, name: d.name}
		if d.alias != "" {
			m[d.alias] = entry{d: d, name: d.alias}
		}
	}
	return m
}()

// entry is a row under one of its names: Redis reports errors and GET
// results under the name the user typed (alias or primary).
type entry struct {
	d    *directive
	name string
}

func capHz(c *Config) {
	if c.Hz < 1 {
		c.Hz = 1
	}
	if c.Hz > 500 {
		c.Hz = 500
	}
}

func errorf(s string) error { return configError(s) }

type configError string

func (e configError) Error() string { return string(e) }

func isBaseName(s string) bool { return !strings.ContainsRune(s, '/') }

func validDBFilename(v string) error {
	if !isBaseName(v) {
		return errorf("dbfilename can't be a path, just a filename")
	}
	return nil
}

func validAOFFilename(v string) error {
	if v == "" {
		return errorf("appendfilename can't be empty")
	}
	if !isBaseName(v) {
		return errorf("appendfilename can't be a path, just a filename")
	}
	return nil
}

func validAOFDirname(v string) error {
	if v == "" {
		return errorf("appenddirname can't be empty")
	}
	if !isBaseName(v) {
		return errorf("appenddirname can't be a path, just a dirname")
	}
	return nil
}

func validHostname(v string) error {
	if len(v) >= 256 {
		return errorf("Hostnames must be less than 256 characters")
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.') {
			return errorf("Hostnames may only contain alphanumeric characters, hyphens or dots")
		}
	}
	return nil
}

// validProcTitle expands the template as Redis does with an empty title
// and refuses unknown variables, unterminated braces and empty results.
func validProcTitle(v string) error {
	bad := errorf("template format is invalid or contains unknown variables")
	vars := map[string]string{"title": "", "listen-addr": "*:6379", "server-mode": "",
		"config-file": "-", "port": "6379", "tls-port": "0", "unixsocket": ""}
	var out strings.Builder
	p := v
	for p != "" {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			out.WriteString(p)
			break
		}
		out.WriteString(p[:i])
		p = p[i+1:]
		if p == "" {
			return bad
		}
		if p[0] == '{' {
			out.WriteByte('{')
			p = p[1:]
			continue
		}
		j := strings.IndexByte(p, '}')
		if j < 0 {
			return bad
		}
		val, ok := vars[p[:j]]
		if !ok {
			return bad
		}
		out.WriteString(val)
		p = p[j+1:]
	}
	if out.Len() == 0 {
		return bad
	}
	return nil
}

// validActiveDefrag: like Debian's build, redoubt has no defragmenter.
func validActiveDefrag(v string) error {
	if strings.EqualFold(v, "yes") {
		return errorf("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution")
	}
	return nil
}

// validShutdownFlags gets the OR of the flags, printed in decimal.
func validShutdownFlags(v string) error {
	n, _ := string2ll(v)
	if n&ShutdownSave != 0 && n&ShutdownNoSave != 0 {
		return errorf("shutdown options SAVE and NOSAVE can't be used simultaneously")
	}
	return nil
}

var _ = math.MaxInt32
