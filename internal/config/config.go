// Package config owns redis.conf: the table of directives (name, type,
// default, limits, whether CONFIG SET may change it), the typed values the
// server reads, parsing of the file and of "--name value" arguments, and
// CONFIG GET/SET/REWRITE. Every directive is one row of the table
// (table.go); nothing else in the code lists directive names.
package config

import (
	"fmt"
	"strings"
)

// SaveParam is one "save <seconds> <changes>" rule.
type SaveParam struct {
	Seconds int64
	Changes int
}

// OutputBufferLimit is one class of client-output-buffer-limit.
type OutputBufferLimit struct {
	Hard, Soft  uint64
	SoftSeconds int64
}

// Client classes of client-output-buffer-limit, in Redis's order.
const (
	ClassNormal = iota
	ClassReplica
	ClassPubSub
	numClasses
)

// Config is the server's configuration. The server reads these fields
// under its executor lock; CONFIG SET writes them under the same lock.
// Directives nobody reads yet live in generic storage (see directive.ptr).
type Config struct {
	File string // absolute path of the config file, "" when none

	// Network and clients.
	Port                   int
	Bind                   []string
	BindSourceAddr         string
	ProtectedMode          bool
	UnixSocket             string
	UnixSocketPerm         int
	TCPBacklog             int
	Timeout                int
	TCPKeepalive           int
	MaxClients             int
	ProtoMaxBulkLen        int64
	ClientQueryBufferLimit int64
	ClientOutputBuffer     [numClasses]OutputBufferLimit
	MaxMemoryClients       int64 // negative: percent of maxmemory
	TLSPort                int

	// General.
	Databases               int
	Daemonize               bool
	Supervised              string
	PidFile                 string
	LogFile                 string
	LogLevel                string
	Dir                     string
	Hz                      int
	DynamicHz               bool
	RequirePass             string
	EnableDebugCommand      string
	EnableProtectedConfigs  string
	EnableModuleCommand     string
	SlowlogLogSlowerThan    int64
	SlowlogMaxLen           int
	LatencyMonitorThreshold int64
	LatencyTracking         bool
	LatencyPercentiles      []float64
	ActiveExpireEffort      int
	NotifyKeyspaceEvents    int // NOTIFY_* bits as Redis defines them
	BusyReplyThreshold      int64
	ShutdownTimeout         int
	ShutdownOnSigint        int
	ShutdownOnSigterm       int
	ACLFile                 string
	ACLLogMaxLen            int64
	ACLPubsubDefault        string
	OOMScoreAdj             string
	OOMScoreAdjValues       [3]int
	TrackingTableMaxKeys    int64
	ActiveRehashing         bool

	// Memory and eviction.
	MaxMemory          uint64
	MaxMemoryPolicy    string
	MaxMemorySamples   int
	MaxMemoryTenacity  int
	LFULogFactor       int
	LFUDecayTime       int
	LazyfreeEviction   bool
	LazyfreeExpire     bool
	LazyfreeServerDel  bool
	LazyfreeUserDel    bool
	LazyfreeUserFlush  bool
	ReplicaIgnoreMaxMe bool

	// Encodings.
	HashMaxListpackEntries int64
	HashMaxListpackValue   int64
	ZsetMaxListpackEntries int64
	ZsetMaxListpackValue   int64
	SetMaxIntsetEntries    int64
	ListMaxListpackSize    int
	ListCompressDepth      int
	StreamNodeMaxBytes     int64
	StreamNodeMaxEntries   int64
	HLLSparseMaxBytes      int64

	// Persistence.
	Save                       string // as CONFIG GET prints it
	SaveParams                 []SaveParam
	DBFilename                 string
	RDBCompression             bool
	RDBChecksum                bool
	RDBDelSyncFiles            bool
	StopWritesOnBgsaveError    bool
	AppendOnly                 bool
	AppendFsync                string
	AppendFilename             string
	AppendDirname              string
	NoAppendFsyncOnRewrite     bool
	AutoAOFRewritePercentage   int
	AutoAOFRewriteMinSize      int64
	AOFLoadTruncated           bool
	AOFUseRDBPreamble          bool
	AOFTimestampEnabled        bool
	RDBSaveIncrementalFsync    bool
	AOFRewriteIncrementalFsync bool
	SanitizeDumpPayload        string

	// Replication.
	MasterHost               string // "" when this is a master
	MasterPort               int
	MasterAuth               string
	MasterUser               string
	ReplicaServeStaleData    bool
	ReplicaReadOnly          bool
	ReplicaLazyFlush         bool
	ReplicaPriority          int
	ReplicaAnnounceIP        string
	ReplicaAnnouncePort      int
	ReplicaAnnounced         bool
	ReplDisklessSync         bool
	ReplDisklessSyncDelay    int
	ReplDisklessSyncMaxRepl  int
	ReplDisklessLoad         string
	ReplPingReplicaPeriod    int
	ReplTimeout              int
	ReplDisableTCPNoDelay    bool
	ReplBacklogSize          int64
	ReplBacklogTTL           int64
	MinReplicasToWrite       int
	MinReplicasMaxLag        int
	PropagationErrorBehavior string

	// Cluster.
	ClusterEnabled             bool
	ClusterConfigFile          string
	ClusterNodeTimeout         int64
	ClusterPort                int
	ClusterAnnounceIP          string
	ClusterAnnounceHostname    string
	ClusterAnnouncePort        int
	ClusterAnnounceBusPort     int
	ClusterAnnounceTLSPort     int
	ClusterRequireFullCoverage bool
	ClusterReplicaNoFailover   bool
	ClusterReplicaValidity     int
	ClusterMigrationBarrier    int
	ClusterAllowReplicaMigr    bool
	ClusterAllowReadsWhenDown  bool
	ClusterAllowPubsubDown     bool
	ClusterPreferredEndpoint   string
	ClusterLinkSendbufLimit    uint64

	// File-only directives, kept for the server to apply.
	RenameCommands [][2]string // from, to ("" removes)
	Users          [][]string  // "user" lines, arguments after the keyword
	LoadModules    [][]string  // "loadmodule" lines
	ModuleConfigs  [][2]string // "module.name value" lines

	// Unsupported records directives that were set in the file or the
	// arguments but are not implemented yet, so the server can log them.
	Unsupported []string

	// OnChange, when set, is called after a successful CONFIG SET with
	// the canonical names of the directives it changed.
	OnChange func(names []string)

	// DescribeUsers, when set, returns the "user ..." lines CONFIG
	// REWRITE writes (the ACL owner provides it).
	DescribeUsers func() []string

	// Sentinel mode (sentinel.go): set before the file is read, it makes
	// "sentinel ..." lines legal; they are kept in order for the state
	// machine, and SentinelConfig supplies them back to CONFIG REWRITE.
	SentinelMode   bool
	SentinelLines  []SentinelLine
	SentinelConfig func() [][]string

	// Chdir changes the working directory for "dir"; nil means os.Chdir.
	// Tests replace it so parsing never moves the test process.
	Chdir func(dir string) error

	generic  map[string]any
	appliers map[string]func() error
}

// Default returns the configuration of a redis-server started without a file.
func Default() *Config {
	c := &Config{generic: map[string]any{}}
	c.Chdir = func(string) error { return nil }
	for _, d := range directives {
		if d.field == nil {
			switch d.kind {
			case kindBool:
				c.generic[d.name] = new(bool)
			case kindNum:
				c.generic[d.name] = new(int64)
			case kindString:
				c.generic[d.name] = new(string)
			case kindEnum:
				if d.has(fMulti) {
					c.generic[d.name] = new(int64)
				} else {
					c.generic[d.name] = new(string)
				}
			}
		}
		if d.kind == kindSpecial {
			if d.special.init != nil {
				d.special.init(c)
			}
			continue
		}
		if _, err := d.set(c, nil, []string{d.def}); err != nil {
			panic(fmt.Sprintf("default of %s: %v", d.name, err))
		}
	}
	c.Chdir = nil
	return c
}

// SetApply registers fn to run after CONFIG SET changed the directive
// name (canonical name). A failing apply restores every value of that
// CONFIG SET and its error is the command's error, as Redis's apply
// functions.
func (c *Config) SetApply(name string, fn func() error) {
	if c.appliers == nil {
		c.appliers = map[string]func() error{}
	}
	c.appliers[name] = fn
}

// Get returns the value of one directive by name (or alias), as CONFIG
// GET prints it.
func (c *Config) Get(name string) (string, bool) {
	e, ok := lookup(name)
	if !ok {
		return "", false
	}
	return e.d.get(c), true
}

// SetFromArgs applies one directive as a config-file line would.
func (c *Config) SetFromArgs(name string, args []string) error {
	p := newParser(c)
	p.reading = true
	return p.directive(append([]string{name}, args...))
}

// IsDefault reports whether a directive (by name or alias) is at its
// default value.
func (c *Config) IsDefault(name string) bool {
	e, ok := lookup(name)
	if !ok {
		return false
	}
	return e.d.get(c) == e.d.get(Default())
}

func lookup(name string) (entry, bool) {
	e, ok := byName[strings.ToLower(name)]
	return e, ok
}
