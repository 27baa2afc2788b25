// Package sentinel is Redis 7 Sentinel as a pure state machine: a Machine
// holds what one sentinel knows about the masters it monitors, their
// replicas and the other sentinels, and is stepped by events (a link came
// up, a reply arrived, a hello message was heard) and by Tick(now). It
// never touches a socket or the clock itself: what it wants done comes out
// of Ready as actions (connect, send a command, emit an event, run a
// script, save the config) which a thin driver (driver.go) carries out.
// That keeps failure detection, voting and failover deterministic under a
// fake clock in tests (see testdata/*.txt).
//
// The names follow Redis's sentinel.c: an instance is a master, a replica
// or another sentinel; flags are SRI_*; the failover states are
// SENTINEL_FAILOVER_STATE_*.
package sentinel

import (
	"strconv"
	"time"
)

// Addr is an instance's announced address.
type Addr struct {
	Host string
	Port int
}

func (a Addr) String() string { return a.Host + ":" + strconv.Itoa(a.Port) }

// Flags are an instance's SRI_* flags.
type Flags uint32

const (
	FlagMaster             Flags = 1 << iota // SRI_MASTER
	FlagReplica                              // SRI_SLAVE
	FlagSentinel                             // SRI_SENTINEL
	FlagSDown                                // SRI_S_DOWN: subjectively down
	FlagODown                                // SRI_O_DOWN: objectively down
	FlagMasterDown                           // SRI_MASTER_DOWN: this sentinel says the master is down
	FlagFailoverInProgress                   // SRI_FAILOVER_IN_PROGRESS
	FlagPromoted                             // SRI_PROMOTED: the replica chosen for promotion
	FlagReconfSent                           // SRI_RECONF_SENT
	FlagReconfInProg                         // SRI_RECONF_INPROG
	FlagReconfDone                           // SRI_RECONF_DONE
	FlagForceFailover                        // SRI_FORCE_FAILOVER
	FlagScriptKillSent                       // SRI_SCRIPT_KILL_SENT
	FlagMasterReboot                         // SRI_MASTER_REBOOT
)

// FailoverState is a master's SENTINEL_FAILOVER_STATE_*.
type FailoverState int

const (
	FailoverNone FailoverState = iota
	FailoverWaitStart
	FailoverSelectReplica
	FailoverSendReplicaOfNoOne
	FailoverWaitPromotion
	FailoverReconfReplicas
	FailoverUpdateConfig
)

// Role is what an instance's INFO says it is.
type Role int

const (
	RoleUnknown Role = iota
	RoleMaster
	RoleReplica
)

// ID names an instance across the driver boundary: actions carry it out,
// events carry it back. IDs are never reused, so a reply for an instance
// that was removed or reset in the meantime is recognised and dropped.
type ID uint64

// Link is the state of the connections to an instance, as Redis's
// instanceLink: a command link to every instance and a Pub/Sub link
// (subscribed to __sentinel__:hello) to masters and replicas.
type Link struct {
	Connected       bool // the command link is up
	PubSubConnected bool // the Pub/Sub link is up (masters and replicas)
	PendingCommands int  // commands sent and not yet answered
	ConnectedSince  time.Time
	// ActPingTime is when the oldest still unanswered PING was sent
	// (zero once answered); LastPingTime when the last PING was sent.
	ActPingTime  time.Time
	LastPingTime time.Time
	// LastAvailTime is the last reply that shows the instance is
	// available (PONG, LOADING or MASTERDOWN), LastPongTime the last
	// reply of any kind to a PING.
	LastAvailTime time.Time
	LastPongTime  time.Time
	// PCLastActivity is the last message on the Pub/Sub link.
	PCLastActivity time.Time
	// LastReconnTime is the last connection attempt (throttled by
	// Timing.MinLinkReconnectPeriod).
	LastReconnTime time.Time
	// LocalIP is this side's address of the command link (what hello
	// messages announce when announce-ip is not set).
	LocalIP string
}

// Instance is a master, a replica or another sentinel, as
// sentinelRedisInstance. Fields that only make sense for one kind say so.
type Instance struct {
	ID          ID
	Flags       Flags
	Name        string // the master's name; "ip:port" for replicas; the run ID for sentinels
	RunID       string // from INFO (masters, replicas) or hello (sentinels)
	ConfigEpoch uint64 // masters: the epoch of the configuration in use
	Addr        Addr
	Master      *Master // replicas and sentinels: the master they belong to
	Link        Link

	LastPubTime             time.Time // sentinels: last hello we published to them (unused for masters)
	LastHelloTime           time.Time // sentinels: last hello heard from them
	LastMasterDownReplyTime time.Time // sentinels: last is-master-down-by-addr reply
	SDownSince              time.Time
	ODownSince              time.Time
	DownAfter               time.Duration
	InfoRefresh             time.Time // when the last INFO reply arrived
	Info                    string    // the last INFO reply (SENTINEL INFO-CACHE)
	RoleReported            Role
	RoleReportedTime        time.Time
	ReplicaConfChangeTime   time.Time // last time a replica's reported master changed

	// Replicas (from their INFO).
	MasterLinkDownTime    time.Duration // master_link_down_since_seconds
	ReplicaPriority       int           // slave_priority
	ReplicaAnnounced      bool          // replica_announced
	ReplicaReconfSentTime time.Time     // when SLAVEOF was sent during a failover
	ReplicaMasterHost     string        // master_host
	ReplicaMasterPort     int           // master_port
	ReplicaMasterLinkUp   bool          // master_link_status:up
	ReplicaReplOffset     int64         // slave_repl_offset

	// Sentinels: the leader they voted for and in which epoch.
	Leader      string
	LeaderEpoch uint64

	// Bookkeeping of the timed logic. The *ID fields hold the instance ID
	// they were set for, so a reset (which gives a new ID) voids them.
	ccPendingID    ID        // a command link connection attempt is under way
	pcPendingID    ID        // a Pub/Sub link connection attempt is under way
	infoPendingID  ID        // an INFO is unanswered
	helloPendingID ID        // a hello PUBLISH is unanswered
	pcConnTime     time.Time // when the Pub/Sub link came up
	askSentTime    time.Time // last is-master-down-by-addr sent (sentinels)
	infoSentTime   time.Time // when the pending INFO was sent
	helloSentTime  time.Time // when the pending hello was sent
}

// Master is a monitored master with what belongs to it.
type Master struct {
	Instance
	Sentinels map[string]*Instance // by name, which for a sentinel is its run ID
	Replicas  map[string]*Instance // by name, "ip:port"

	Quorum               int
	ParallelSyncs        int
	FailoverTimeout      time.Duration
	AuthPass             string
	AuthUser             string
	NotificationScript   string
	ClientReconfigScript string

	// This sentinel's own vote for this master: the leader and epoch.
	Leader      string
	LeaderEpoch uint64

	FailoverEpoch           uint64
	FailoverState           FailoverState
	FailoverStateChangeTime time.Time
	FailoverStartTime       time.Time
	FailoverDelayLogged     time.Time
	PromotedReplica         *Instance
	RebootDownAfter         time.Duration // master-reboot-down-after-period
	MasterRebootSince       time.Time
}

// Timing holds the periods Redis keeps as constants and exposes through
// SENTINEL DEBUG (milliseconds there).
type Timing struct {
	InfoPeriod             time.Duration // info-period: INFO to masters and replicas
	PingPeriod             time.Duration // ping-period
	AskPeriod              time.Duration // ask-period: is-master-down-by-addr while SDOWN
	PublishPeriod          time.Duration // publish-period: hello messages
	DefaultDownAfter       time.Duration // default-down-after
	DefaultFailoverTimeout time.Duration // default-failover-timeout
	TiltTrigger            time.Duration // tilt-trigger: a tick later than this means TILT
	TiltPeriod             time.Duration // tilt-period
	ReplicaReconfTimeout   time.Duration // slave-reconf-timeout
	MinLinkReconnectPeriod time.Duration // min-link-reconnect-period
	ElectionTimeout        time.Duration // election-timeout
	ScriptMaxRuntime       time.Duration // script-max-runtime
	ScriptRetryDelay       time.Duration // script-retry-delay
	// FailoverInfoPeriod is the INFO period towards a master's replicas
	// while it is ODOWN or failing over (Redis: 1 s, fixed).
	FailoverInfoPeriod time.Duration
}

// RedisTiming is Redis 7.0's values.
var RedisTiming = Timing{
	InfoPeriod:             10 * time.Second,
	PingPeriod:             time.Second,
	AskPeriod:              time.Second,
	PublishPeriod:          2 * time.Second,
	DefaultDownAfter:       30 * time.Second,
	DefaultFailoverTimeout: 3 * time.Minute,
	TiltTrigger:            2 * time.Second,
	TiltPeriod:             30 * time.Second,
	ReplicaReconfTimeout:   10 * time.Second,
	MinLinkReconnectPeriod: 15 * time.Second,
	ElectionTimeout:        10 * time.Second,
	ScriptMaxRuntime:       60 * time.Second,
	ScriptRetryDelay:       30 * time.Second,
	FailoverInfoPeriod:     time.Second,
}

// DefaultTiming is redoubt's: Redis's, except that a failing-over
// sentinel polls replicas and asks its peers ten times as often, which
// is most of why a failover completes sooner; the detection rules and
// timeouts that users configure are unchanged.
var DefaultTiming = func() Timing {
	t := RedisTiming
	t.FailoverInfoPeriod = 100 * time.Millisecond
	t.AskPeriod = 100 * time.Millisecond
	return t
}()

// CommandKind says what a Command action asks of an instance, so the
// reply event can be routed without parsing the arguments again.
type CommandKind int

const (
	CmdPing         CommandKind = iota
	CmdInfo                     // INFO
	CmdPublishHello             // PUBLISH __sentinel__:hello <payload> (to masters and replicas)
	CmdIsMasterDown             // SENTINEL is-master-down-by-addr (to sentinels)
	CmdReplicaOf                // MULTI, SLAVEOF, CONFIG REWRITE, CLIENT KILL TYPE normal, CLIENT KILL TYPE pubsub, EXEC
	CmdScriptKill               // SCRIPT KILL, after a -BUSY reply
)

// Reply is a RESP reply, both as the machine sees an instance's answer
// and as it answers a client's SENTINEL command (the server encodes it
// for the client's protocol).
type Reply struct {
	Err    string // an error reply's whole text, "ERR ..." ("" if not an error)
	Str    string // simple (Status) or bulk string
	Status bool   // Str is a simple string (+OK)
	IsInt  bool   // an integer reply
	Int    int64
	Array  []Reply
	IsArr  bool // an array (possibly empty)
	Map    bool // Array holds key, value pairs: a map in RESP3, flat in RESP2
	Nil    bool
}

// Action is something the machine wants done.
type Action interface{ isAction() }

// Connect asks the driver to open (or re-open) the links to an instance:
// a command link, and a Pub/Sub link subscribed to __sentinel__:hello
// when PubSub. AUTH with User/Pass if set, then CLIENT SETNAME
// ClientName ("sentinel-<id8>-cmd" / "-pubsub") as Redis does. The driver
// answers with LinkEvent.
type Connect struct {
	ID         ID
	Addr       Addr
	PubSub     bool
	User, Pass string
	ClientName string
}

// Disconnect closes an instance's links (instance removed, or a link
// considered broken: no PONG for half of down-after).
type Disconnect struct{ ID ID }

// Command sends one command (or, for CmdReplicaOf, one MULTI ... EXEC
// block whose commands are Args split at "\n" boundaries: see Block) on
// the command link. Its reply comes back as a CommandReply.
type Command struct {
	ID   ID
	Kind CommandKind
	Args []string
	// Block, when set, is sent as it is (several commands) and answered
	// with one CommandReply carrying the last reply (EXEC's).
	Block [][]string
}

// Level is a log level of Redis's: debug events are only logged,
// the others are also published.
type Level int

const (
	LevelDebug Level = iota
	LevelVerbose
	LevelNotice
	LevelWarning
)

// Emit is an event to log ("<Type> <Text>") and, above debug level, to
// publish on the sentinel's own Pub/Sub channel named Type (+sdown,
// +switch-master, ...) with Text as message. The machine itself adds the
// RunScript for a master's notification-script on warnings.
type Emit struct {
	Level Level
	Type  string
	Text  string
}

// RunScript runs a notification or client-reconfig script.
type RunScript struct {
	Path string
	Args []string
}

// SaveConfig asks for the config file to be rewritten (sentinelFlushConfig).
type SaveConfig struct{}

// Crash asks the process to exit at once (SENTINEL SIMULATE-FAILURE).
type Crash struct{ Reason string }

func (Connect) isAction()    {}
func (Disconnect) isAction() {}
func (Command) isAction()    {}
func (Emit) isAction()       {}
func (RunScript) isAction()  {}
func (SaveConfig) isAction() {}
func (Crash) isAction()      {}

// Event is something that happened.
type Event interface{ isEvent() }

// LinkEvent reports a link coming up or going down. Err says why it went
// down (or failed to come up), for the log.
type LinkEvent struct {
	ID      ID
	PubSub  bool
	Up      bool
	Err     string
	LocalIP string // the link's local address, when Up
}

// CommandReply is the reply to a Command action.
type CommandReply struct {
	ID    ID
	Kind  CommandKind
	Reply Reply
}

// HelloMessage is a message heard on __sentinel__:hello through the
// Pub/Sub link of instance ID (or received directly: see Machine.Hello).
type HelloMessage struct {
	ID      ID
	Payload string
}

func (LinkEvent) isEvent()    {}
func (CommandReply) isEvent() {}
func (HelloMessage) isEvent() {}
