// driver.go is the thin I/O shell around a Machine: it owns the lock
// that serialises events, ticks and client commands, runs the tick loop,
// and carries out the actions the machine returns. Network links
// (link.go) and scripts (scripts.go) are driven from here.
//
// Every path into the machine (Do, the tick loop, an event from a link)
// goes the same way: take the lock, step the machine, collect Ready(),
// note under the lock which connections the actions open or close
// (claim), release the lock, then do the I/O (perform). Actions are never
// carried out with the lock held, so a hook or a link may call back into
// the driver without deadlocking.
package sentinel

import (
	"sync"
	"time"
)

// Hooks are what the driver asks of the process hosting it (the server
// in sentinel mode). They may be called from several goroutines at once
// (scripts report from their own), never with the driver's lock held.
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
	// ConnectTimeout bounds a link's TCP connect; WriteTimeout a write
	// to an instance. Set them before Start.
	ConnectTimeout time.Duration
	WriteTimeout   time.Duration

	hooks Hooks
	now   func() time.Time

	mu      sync.Mutex
	machine *Machine
	// step feeds an event to the machine (d.machine.Step); tests replace
	// it to watch the events the links produce.
	step    func(now time.Time, ev Event)
	links   map[ID]*instLink // under mu: the connections the machine wants
	stopped bool             // under mu: Stop was called; nothing new starts
	wg      sync.WaitGroup   // link goroutines, waited for by Stop

	scripts scriptRunner

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// TickPeriod is how often the machine's Tick runs. Redis runs its
// sentinel timer at about 10 Hz; a finer tick lets replies and timeouts
// be acted on sooner without changing any configured period.
const TickPeriod = 10 * time.Millisecond

// NewDriver returns a driver for m; Start begins its work.
func NewDriver(m *Machine, hooks Hooks) *Driver {
	d := &Driver{
		ConnectTimeout: DefaultConnectTimeout,
		WriteTimeout:   DefaultWriteTimeout,
		hooks:          hooks,
		now:            time.Now,
		machine:        m,
		step:           m.Step,
		links:          map[ID]*instLink{},
	}
	d.scripts.d = d
	return d
}

// Do runs f with the machine locked, then carries out the actions it
// (and anything before it) produced. Every access to the machine from
// outside the driver goes through Do.
func (d *Driver) Do(f func(m *Machine, now time.Time)) {
	d.mu.Lock()
	f(d.machine, d.now())
	actions := d.machine.Ready()
	prep := d.claim(actions)
	d.mu.Unlock()
	d.perform(actions, prep)
}

// apply carries out actions as if the machine had produced them (tests).
func (d *Driver) apply(actions ...Action) {
	d.mu.Lock()
	prep := d.claim(actions)
	d.mu.Unlock()
	d.perform(actions, prep)
}

// deliver feeds an event from connection c to the machine, unless c is
// no longer the instance's current connection (closed by Disconnect, a
// newer Connect or Stop) or, for anything but its down event, has
// failed. It reports whether c is still wanted.
func (d *Driver) deliver(c *conn, ev Event, down bool) bool {
	d.mu.Lock()
	c.mu.Lock()
	ok := !c.closed && (down || !c.dead)
	c.mu.Unlock()
	if ok {
		l := d.links[c.link.id]
		ok = l == c.link && (l.cmd == c || l.pubsub == c)
	}
	if !ok {
		d.mu.Unlock()
		return false
	}
	d.step(d.now(), ev)
	actions := d.machine.Ready()
	prep := d.claim(actions)
	d.mu.Unlock()
	d.perform(actions, prep)
	return true
}

// Start begins the tick loop.
func (d *Driver) Start() {
	d.stop = make(chan struct{})
	d.done = make(chan struct{})
	go d.loop()
}

// Stop ends the tick loop, closes every link (waiting for their
// goroutines) and cancels scripts' pending retries. Scripts already
// running are left to finish, as Redis leaves its children.
func (d *Driver) Stop() {
	d.stopOnce.Do(func() {
		if d.stop != nil {
			close(d.stop)
			<-d.done
		}
		d.mu.Lock()
		d.stopped = true
		var conns []*conn
		for id, l := range d.links {
			conns = append(conns, d.letGo(l.cmd), d.letGo(l.pubsub))
			delete(d.links, id)
		}
		d.mu.Unlock()
		for _, c := range conns {
			if c != nil {
				c.shutdown()
			}
		}
		d.scripts.stop()
		d.wg.Wait()
	})
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

// prepared is what claim decided for one action: connections to start
// and to close, or the connection a Command goes to.
type prepared struct {
	start []*conn
	close []*conn
	cmd   *conn
}

// claim runs under d.mu, right where the machine's actions are collected:
// it records which connections Connect and Disconnect open and close and
// which connection each Command goes to, touching no socket. Doing it
// under the lock is what makes "closed" exact: once the machine has said
// Disconnect, no event of the old connection can reach it, even one
// already read and waiting for the lock.
func (d *Driver) claim(actions []Action) []prepared {
	var prep []prepared
	for i, a := range actions {
		var p prepared
		switch a := a.(type) {
		case Connect:
			if d.stopped {
				break
			}
			p = d.claimConnect(a)
		case Disconnect:
			if l := d.links[a.ID]; l != nil {
				delete(d.links, a.ID)
				p.close = append(p.close, d.letGo(l.cmd), d.letGo(l.pubsub))
			}
		case Command:
			if l := d.links[a.ID]; l != nil {
				p.cmd = l.cmd
			}
		default:
			continue
		}
		if prep == nil {
			prep = make([]prepared, len(actions))
		}
		prep[i] = p
	}
	return prep
}

// claimConnect opens the connections of a Connect that are not already
// up or on their way; like Redis's sentinelReconnectInstance, a live one
// is kept (with its pending commands) unless the address or credentials
// changed.
func (d *Driver) claimConnect(a Connect) prepared {
	var p prepared
	old := d.links[a.ID]
	l := &instLink{id: a.ID, cfg: a}
	if old != nil && old.cfg.sameTarget(a) {
		l = old
		l.cfg = a
	} else if old != nil {
		p.close = append(p.close, d.letGo(old.cmd), d.letGo(old.pubsub))
		old.cmd, old.pubsub = nil, nil
	}
	d.links[a.ID] = l
	if !alive(l.cmd) {
		p.close = append(p.close, d.letGo(l.cmd))
		l.cmd = d.newConn(l, false)
		p.start = append(p.start, l.cmd)
	}
	switch {
	case a.PubSub && !alive(l.pubsub):
		p.close = append(p.close, d.letGo(l.pubsub))
		l.pubsub = d.newConn(l, true)
		p.start = append(p.start, l.pubsub)
	case !a.PubSub && l.pubsub != nil:
		p.close = append(p.close, d.letGo(l.pubsub))
		l.pubsub = nil
	}
	for range p.start {
		d.wg.Add(1) // here, under d.mu, so Stop's Wait cannot miss it
	}
	return p
}

// alive reports whether c is connected or connecting.
func alive(c *conn) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.closed && !c.dead
}

// letGo marks c closed (under d.mu) and returns it for shutdown.
func (d *Driver) letGo(c *conn) *conn {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return c
}

// perform carries out actions outside the lock, in order; prep is claim's
// plan for them (nil when none touches a link).
func (d *Driver) perform(actions []Action, prep []prepared) {
	for i, a := range actions {
		var p prepared
		if prep != nil {
			p = prep[i]
		}
		for _, c := range p.close {
			if c != nil {
				c.shutdown()
			}
		}
		switch a := a.(type) {
		case Emit:
			if d.hooks.Emit != nil {
				d.hooks.Emit(a)
			}
		case SaveConfig:
			if d.hooks.Save != nil {
				if err := d.hooks.Save(); err != nil {
					d.logf(LevelWarning, "WARNING: Sentinel was not able to save the new configuration on disk!!!: %v", err)
				}
			}
		case Crash:
			if d.hooks.Crash != nil {
				d.hooks.Crash(a.Reason)
			}
		case Connect:
			for _, c := range p.start {
				go c.run()
			}
		case Command:
			if p.cmd != nil {
				p.cmd.send(a)
			}
		case RunScript:
			d.scripts.schedule(a)
		}
	}
}

func (d *Driver) logf(level Level, format string, args ...any) {
	if d.hooks.Logf != nil {
		d.hooks.Logf(level, format, args...)
	}
}

// timing reads the machine's Timing (SENTINEL DEBUG may change it).
func (d *Driver) timing() Timing {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.machine.Timing
}
