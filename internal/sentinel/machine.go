// machine.go holds the Machine: the whole state of one sentinel and the
// three calls that move it (Step with an event, Tick with the clock,
// Ready to collect the actions). Everything runs on the caller's
// goroutine; the driver serialises events, ticks and client commands.
package sentinel

import (
	"math/rand/v2"
	"time"
)

// Machine is one sentinel's state.
type Machine struct {
	MyID         string // 40 hex characters, "sentinel myid"
	CurrentEpoch uint64
	Masters      map[string]*Master // by name

	// This sentinel's own address as announced in hello messages: the
	// listening port, or announce-ip/announce-port when set.
	Port         int
	AnnounceIP   string
	AnnouncePort int

	ResolveHostnames    bool
	AnnounceHostnames   bool
	DenyScriptsReconfig bool
	// SentinelUser/SentinelPass authenticate to other sentinels
	// ("sentinel sentinel-user/sentinel-pass").
	SentinelUser string
	SentinelPass string

	Timing Timing

	// TILT mode: entered when the clock jumps (a tick too late or
	// backwards); no action is taken while in it.
	Tilt          bool
	TiltStartTime time.Time
	PreviousTime  time.Time

	// SimFailure holds SENTINEL SIMULATE-FAILURE flags.
	SimFailure SimFailure

	// Rand is the random source (failover desync, leader choice among
	// equals); tests seed it.
	Rand *rand.Rand

	nextID    ID
	instances map[ID]*Instance
	out       []Action

	// --- fields of the timed logic (monitor, down, election, failover) ---

	// --- fields of configuration and commands (config, commands, info) ---

	// renamed holds each master's "rename-command" table, keyed by the
	// lower-cased original name (Redis compares command names without
	// case). Kept here rather than in Master so types.go stays untouched.
	renamed map[*Master]map[string]renamedCommand
	// Scripts are run by the driver, which the machine does not see:
	// these, when set, give what INFO (sentinel_running_scripts,
	// sentinel_scripts_queue_length) and SENTINEL PENDING-SCRIPTS show,
	// e.g. Driver.ScriptStats and Driver.PendingScriptsReply. Unset, no
	// script is reported.
	ScriptStats    func() (running, queued int)
	PendingScripts func() Reply
}

// SimFailure is SENTINEL SIMULATE-FAILURE's flags.
type SimFailure int

const (
	SimCrashAfterElection SimFailure = 1 << iota
	SimCrashAfterPromotion
)

// New returns a machine with Redis's timings and no masters.
func New(myID string, port int) *Machine {
	return &Machine{
		MyID:                myID,
		Masters:             map[string]*Master{},
		Port:                port,
		DenyScriptsReconfig: true,
		Timing:              DefaultTiming,
		Rand:                rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		instances:           map[ID]*Instance{},
	}
}

// Ready returns the actions produced since the last call and forgets them.
func (m *Machine) Ready() []Action {
	out := m.out
	m.out = nil
	return out
}

func (m *Machine) do(a Action) { m.out = append(m.out, a) }

// register gives inst a fresh ID and makes it reachable from events.
func (m *Machine) register(inst *Instance) {
	m.nextID++
	inst.ID = m.nextID
	m.instances[inst.ID] = inst
}

// unregister forgets inst: events still in flight for it are dropped.
func (m *Machine) unregister(inst *Instance) {
	delete(m.instances, inst.ID)
	m.do(Disconnect{ID: inst.ID})
}

// Instance returns the live instance with id, or nil.
func (m *Machine) Instance(id ID) *Instance { return m.instances[id] }
