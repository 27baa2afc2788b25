// driver.go is the thin I/O shell around a Machine: it owns the lock
// that serialises events, ticks and client commands, runs the tick loop,
// and carries out the actions the machine returns. Network links
// (link.go) and scripts (scripts.go) are driven from here.
package sentinel

import (
	"sync"
	"time"
)

// Hooks are what the driver asks of the process hosting it (the server
// in sentinel mode).
type Hooks struct {
	// Emit logs an event and, above debug level, publishes it on the
	// sentinel's own Pub/Sub channel named e.Type.
	Emit func(e Emit)
	// Save rewrites the config file with the machine's ConfigLines.
	Save func() error
	// Crash ends the process (SENTINEL SIMULATE-FAILURE).
	Crash func(reason string)
	// Logf writes a log line at the given level (link errors and the like).
	Logf func(level Level, format string, args ...any)
}

// Driver runs one Machine.
type Driver struct {
	hooks Hooks
	now   func() time.Time

	mu      sync.Mutex
	machine *Machine
	stop    chan struct{}
	done    chan struct{}
}

// TickPeriod is how often the machine's Tick runs. Redis runs its
// sentinel timer at about 10 Hz; a finer tick lets replies and timeouts
// be acted on sooner without changing any configured period.
const TickPeriod = 10 * time.Millisecond

// NewDriver returns a driver for m; Start begins its work.
func NewDriver(m *Machine, hooks Hooks) *Driver {
	return &Driver{hooks: hooks, now: time.Now, machine: m}
}

// Do runs f with the machine locked, then carries out the actions it
// (and anything before it) produced. Every access to the machine from
// outside the driver goes through Do.
func (d *Driver) Do(f func(m *Machine, now time.Time)) {
	d.mu.Lock()
	f(d.machine, d.now())
	actions := d.machine.Ready()
	d.mu.Unlock()
	d.perform(actions)
}

// Start begins the tick loop.
func (d *Driver) Start() {
	d.stop = make(chan struct{})
	d.done = make(chan struct{})
	go d.loop()
}

// Stop ends the tick loop and closes every link.
func (d *Driver) Stop() {
	if d.stop == nil {
		return
	}
	close(d.stop)
	<-d.done
}

func (d *Driver) loop() {
	defer close(d.done)
	t := time.NewTicker(TickPeriod)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			d.Do(func(m *Machine, now time.Time) { m.Tick(now) })
		}
	}
}

// perform carries out actions outside the lock, in order.
func (d *Driver) perform(actions []Action) {
	for _, a := range actions {
		switch a := a.(type) {
		case Emit:
			if d.hooks.Emit != nil {
				d.hooks.Emit(a)
			}
		case SaveConfig:
			if d.hooks.Save != nil {
				if err := d.hooks.Save(); err != nil && d.hooks.Logf != nil {
					d.hooks.Logf(LevelWarning, "WARNING: Sentinel was not able to save the new configuration on disk!!!: %v", err)
				}
			}
		case Crash:
			if d.hooks.Crash != nil {
				d.hooks.Crash(a.Reason)
			}
		case Connect, Disconnect, Command, RunScript:
			// carried out by link.go and scripts.go (not yet written)
		}
	}
}
