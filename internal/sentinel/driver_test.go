// driver_test.go tests the driver's single path from links to the
// machine: actions the machine returns after an event are carried out,
// a Disconnect silences its connections at once (even a reply already
// read), a new Connect replaces or keeps connections as Redis would, and
// Stop closes everything. The machine's Step is replaced by the step seam.
package sentinel

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// waitLinksGone waits for every link goroutine of d to end.
func waitLinksGone(t *testing.T, d *Driver) {
	t.Helper()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatal("link goroutines still running")
	}
}

func TestDriverDisconnectDropsLateReplies(t *testing.T) {
	s := startRedis(t)
	d, rec := newTestDriver(t)
	// The machine answers the first PONG with Disconnect, as it would a
	// link it has given up on; the second PONG, pipelined behind it and
	// possibly already read, must not reach it.
	d.step = func(now time.Time, ev Event) {
		rec.add(ev)
		if isReply(1, CmdPing)(ev) {
			d.machine.do(Disconnect{ID: 1})
		}
	}
	d.apply(Connect{ID: 1, Addr: s.addr(), PubSub: true},
		Command{ID: 1, Kind: CmdPing, Args: []string{"PING"}},
		Command{ID: 1, Kind: CmdPing, Args: []string{"PING"}},
		Command{ID: 1, Kind: CmdInfo, Args: []string{"INFO"}})
	rec.wait(t, "PONG", isReply(1, CmdPing))
	waitLinksGone(t, d)
	if n := rec.count(isReply(1, CmdPing)); n != 1 {
		t.Errorf("%d PONGs after Disconnect", n)
	}
	if n := rec.count(isReply(1, CmdInfo)); n != 0 {
		t.Errorf("INFO reply after Disconnect")
	}
	// Closing is the machine's own doing: no down event.
	if n := rec.count(isLink(1, false, false)) + rec.count(isLink(1, true, false)); n != 0 {
		t.Errorf("%d down events after Disconnect", n)
	}
}

func TestDriverDisconnectDropsSlowReply(t *testing.T) {
	s := startRedis(t)
	d, rec := newTestDriver(t)
	d.apply(Connect{ID: 1, Addr: s.addr()})
	rec.wait(t, "link up", isLink(1, false, true))
	d.apply(Command{ID: 1, Kind: CmdInfo, Args: []string{"DEBUG", "SLEEP", "0.2"}}, Disconnect{ID: 1})
	waitLinksGone(t, d)
	if n := rec.count(isReply(1, CmdInfo)); n != 0 {
		t.Errorf("reply after Disconnect")
	}
	// Commands for a disconnected instance go nowhere.
	d.apply(Command{ID: 1, Kind: CmdPing, Args: []string{"PING"}})
	if n := rec.count(isReply(1, CmdPing)); n != 0 {
		t.Errorf("reply on a disconnected link")
	}
}

func TestDriverReconnectReplacesOldConnection(t *testing.T) {
	s := startRedis(t)
	d, rec := newTestDriver(t)
	c := Connect{ID: 1, Addr: s.addr(), PubSub: true, ClientName: "sentinel-aaaaaaaa-cmd"}
	d.apply(c)
	rec.wait(t, "link up", isLink(1, false, true))
	rec.wait(t, "pubsub up", isLink(1, true, true))
	// A live link is kept by a second Connect (no second up event) ...
	d.apply(c, Command{ID: 1, Kind: CmdPing, Args: []string{"PING"}})
	rec.wait(t, "PONG", isReply(1, CmdPing))
	if n := rec.count(isLink(1, false, true)); n != 1 {
		t.Errorf("%d up events for a kept link", n)
	}
	// ... and replaced after a Disconnect: the old connections' closing
	// is never reported, only the new ones coming up.
	d.apply(Disconnect{ID: 1}, c, Command{ID: 1, Kind: CmdInfo, Args: []string{"INFO"}})
	rec.wait(t, "INFO", isReply(1, CmdInfo))
	waitCond(t, "new links up", func() bool {
		return rec.count(isLink(1, false, true)) == 2 && rec.count(isLink(1, true, true)) == 2
	})
	// A Connect to another address replaces the link as well.
	other := startRedis(t)
	c.Addr = other.addr()
	d.apply(c, Command{ID: 1, Kind: CmdPing, Args: []string{"PING"}})
	waitCond(t, "PONG from the new address", func() bool { return rec.count(isReply(1, CmdPing)) == 2 })
	cl := other.client(t)
	waitCond(t, "both connections at the new address", func() bool {
		list := cl.do(t, "CLIENT", "LIST").Str
		return strings.Contains(list, "name=sentinel-aaaaaaaa-cmd ") && strings.Contains(list, "name=sentinel-aaaaaaaa-pubsub ")
	})
	old := s.client(t)
	waitCond(t, "old connections closed", func() bool {
		return !strings.Contains(old.do(t, "CLIENT", "LIST").Str, "name=sentinel-")
	})
	if n := rec.count(isLink(1, false, false)) + rec.count(isLink(1, true, false)); n != 0 {
		t.Errorf("%d down events from replaced connections", n)
	}
}

func TestDriverActionsAfterEvent(t *testing.T) {
	s := startRedis(t)
	var mu sync.Mutex
	var emitted []Emit
	d, rec := newTestDriver(t)
	d.hooks.Emit = func(e Emit) {
		mu.Lock()
		emitted = append(emitted, e)
		mu.Unlock()
	}
	// What the machine wants after an event is carried out at once: a
	// PING when the link comes up, an INFO and an event after the PONG.
	d.step = func(now time.Time, ev Event) {
		rec.add(ev)
		switch {
		case isLink(1, false, true)(ev):
			d.machine.do(Command{ID: 1, Kind: CmdPing, Args: []string{"PING"}})
		case isReply(1, CmdPing)(ev):
			d.machine.do(Command{ID: 1, Kind: CmdInfo, Args: []string{"INFO", "server"}})
			d.machine.do(Emit{Level: LevelNotice, Type: "+test", Text: "pong"})
		}
	}
	d.Start()
	d.Do(func(m *Machine, now time.Time) { m.do(Connect{ID: 1, Addr: s.addr()}) })
	info := rec.wait(t, "INFO", isReply(1, CmdInfo)).(CommandReply)
	if !strings.Contains(info.Reply.Str, "# Server") {
		t.Errorf("INFO server: %.100q", info.Reply.Str)
	}
	waitCond(t, "emitted event", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(emitted) == 1 && emitted[0].Type == "+test"
	})
}

func TestDriverStop(t *testing.T) {
	s := startRedis(t)
	d, rec := newTestDriver(t)
	d.Start()
	d.apply(Connect{ID: 1, Addr: s.addr(), PubSub: true, ClientName: "sentinel-aaaaaaaa-cmd"},
		Connect{ID: 2, Addr: Addr{Host: "127.0.0.1", Port: freePort(t)}})
	rec.wait(t, "link up", isLink(1, true, true))
	d.Stop()
	d.Stop() // twice is fine
	cl := s.client(t)
	waitCond(t, "connections closed", func() bool {
		return !strings.Contains(cl.do(t, "CLIENT", "LIST").Str, "name=sentinel-")
	})
	// Nothing starts after Stop.
	before := len(rec.all())
	d.apply(Connect{ID: 3, Addr: s.addr()})
	waitLinksGone(t, d)
	if after := len(rec.all()); after != before {
		t.Errorf("events after Stop: %+v", rec.all()[before:])
	}
}
