// Tests of the watcher's rules against in-process fake sentinels, which
// can be made to miss an event, go away, or lag behind a failover: cases
// that are slow or impossible to stage with real sentinels.
package sentinelwatch

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSentinel answers SENTINEL get-master-addr-by-name and SENTINEL
// MASTER from a table, and SUBSCRIBE/PING; publish sends a +switch-master
// to the subscribers.
type fakeSentinel struct {
	t  *testing.T
	ln net.Listener

	mu      sync.Mutex
	masters map[string]answer
	// replicas: per master, SENTINEL REPLICAS entries as flat field lists
	replicas map[string][][]string
	conns    map[net.Conn]bool // true: subscribed
	down     bool              // refuse connections
	queries  int
}

func newFakeSentinel(t *testing.T) *fakeSentinel {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSentinel{t: t, ln: ln, masters: map[string]answer{}, replicas: map[string][][]string{}, conns: map[net.Conn]bool{}}
	go f.accept()
	t.Cleanup(func() { ln.Close(); f.drop() })
	return f
}

func (f *fakeSentinel) addr() string { return f.ln.Addr().String() }

func (f *fakeSentinel) set(name, addr string, epoch int64) {
	f.mu.Lock()
	f.masters[name] = answer{addr, epoch}
	f.mu.Unlock()
}

func (f *fakeSentinel) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
	if down {
		f.drop()
	}
}

// drop closes every connection, as a sentinel restart would.
func (f *fakeSentinel) drop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		c.Close()
	}
}

func (f *fakeSentinel) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, sub := range f.conns {
		if sub {
			n++
		}
	}
	return n
}

// setReplicas sets the replicas of a master: each is "ip:port flags
// master-link-status".
func (f *fakeSentinel) setReplicas(name string, reps ...string) {
	var l [][]string
	for _, r := range reps {
		w := strings.Fields(r)
		host, port, _ := net.SplitHostPort(w[0])
		l = append(l, []string{"name", w[0], "ip", host, "port", port, "flags", w[1], "master-link-status", w[2]})
	}
	f.mu.Lock()
	f.replicas[name] = l
	f.mu.Unlock()
}

func (f *fakeSentinel) publish(payload string) { f.publishOn("+switch-master", payload) }

func (f *fakeSentinel) publishOn(channel, payload string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	msg := fmt.Sprintf("*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(channel), channel, len(payload), payload)
	for c, sub := range f.conns {
		if sub {
			c.Write([]byte(msg))
		}
	}
}

func (f *fakeSentinel) accept() {
	for {
		nc, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		if f.down {
			f.mu.Unlock()
			nc.Close()
			continue
		}
		f.conns[nc] = false
		f.mu.Unlock()
		go f.serve(nc)
	}
}

func (f *fakeSentinel) serve(nc net.Conn) {
	defer func() {
		f.mu.Lock()
		delete(f.conns, nc)
		f.mu.Unlock()
		nc.Close()
	}()
	c := &conn{nc: nc, r: bufio.NewReader(nc)}
	for {
		v, err := c.read()
		if err != nil {
			return
		}
		args, _ := v.([]any)
		var words []string
		for _, a := range args {
			s, _ := a.(string)
			words = append(words, s)
		}
		if len(words) == 0 {
			return
		}
		var out string
		f.mu.Lock()
		switch cmd := strings.ToUpper(words[0]); {
		case cmd == "SUBSCRIBE":
			f.conns[nc] = true
			for i, ch := range words[1:] {
				out += fmt.Sprintf("*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:%d\r\n", len(ch), ch, i+1)
			}
		case cmd == "PING":
			out = "*2\r\n$4\r\npong\r\n$0\r\n\r\n"
		case cmd == "SENTINEL" && len(words) == 3 && strings.EqualFold(words[1], "get-master-addr-by-name"):
			f.queries++
			a, ok := f.masters[words[2]]
			if !ok {
				out = "*-1\r\n"
			} else {
				host, port, _ := net.SplitHostPort(a.addr)
				out = fmt.Sprintf("*2\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(host), host, len(port), port)
			}
		case cmd == "SENTINEL" && len(words) == 3 && strings.EqualFold(words[1], "master"):
			a, ok := f.masters[words[2]]
			if !ok {
				out = "-ERR No such master with that name\r\n"
			} else {
				e := fmt.Sprint(a.epoch)
				out = fmt.Sprintf("*4\r\n$4\r\nname\r\n$%d\r\n%s\r\n$12\r\nconfig-epoch\r\n$%d\r\n%s\r\n", len(words[2]), words[2], len(e), e)
			}
		case cmd == "SENTINEL" && len(words) == 3 && strings.EqualFold(words[1], "replicas"):
			if _, ok := f.masters[words[2]]; !ok {
				out = "-ERR No such master with that name\r\n"
				break
			}
			l := f.replicas[words[2]]
			out = fmt.Sprintf("*%d\r\n", len(l))
			for _, fields := range l {
				out += fmt.Sprintf("*%d\r\n", len(fields))
				for _, v := range fields {
					out += fmt.Sprintf("$%d\r\n%s\r\n", len(v), v)
				}
			}
		default:
			out = "-ERR unknown command\r\n"
		}
		f.mu.Unlock()
		if _, err := nc.Write([]byte(out)); err != nil {
			return
		}
	}
}

// call is one SetServerAddr the fake proxy received.
type call struct {
	Shard
	addr string
	at   time.Time
}

// recorder is a Repointer that records its calls.
type recorder struct {
	mu    sync.Mutex
	calls []call
	more  chan struct{}
}

func newRecorder() *recorder { return &recorder{more: make(chan struct{})} }

func (r *recorder) SetServerAddr(pool, server, addr string) error {
	r.mu.Lock()
	r.calls = append(r.calls, call{Shard{pool, server}, addr, time.Now()})
	close(r.more)
	r.more = make(chan struct{})
	r.mu.Unlock()
	return nil
}

func (r *recorder) snapshot() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// waitCall waits for a call for shard s with addr and returns it.
func (r *recorder) waitCall(t *testing.T, s Shard, addr string, timeout time.Duration) call {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		more := r.more
		for _, c := range r.calls {
			if c.Shard == s && c.addr == addr {
				r.mu.Unlock()
				return c
			}
		}
		r.mu.Unlock()
		select {
		case <-more:
		case <-deadline:
			t.Fatalf("no SetServerAddr(%s, %s, %s) within %v; calls: %v", s.Pool, s.Name, addr, timeout, r.snapshot())
		}
	}
}

// logger adapts t.Logf, ignoring lines after the test ended.
func logger(t *testing.T) func(string, ...any) {
	var mu sync.Mutex
	ended := false
	t.Cleanup(func() { mu.Lock(); ended = true; mu.Unlock() })
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !ended {
			t.Logf(format, args...)
		}
	}
}

// fastWatcher is New with test timings and Stop at cleanup (registered
// after logger's, so it runs first).
func fastWatcher(t *testing.T, sentinels []string, shards []Shard, r Repointer, interval time.Duration) *Watcher {
	w := New(sentinels, shards, r, logger(t))
	w.interval = interval
	w.ioTimeout = 500 * time.Millisecond
	w.pingEvery = 200 * time.Millisecond
	w.minBackoff = 20 * time.Millisecond
	w.maxBackoff = 200 * time.Millisecond
	t.Cleanup(w.Stop)
	return w
}

func waitUntil(t *testing.T, desc string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", desc, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const fakeWait = 10 * time.Second

func TestFakeSwitchMaster(t *testing.T) {
	f := newFakeSentinel(t)
	f.set("alpha", "10.0.0.1:6379", 0)
	f.set("beta", "10.0.0.2:6379", 0)
	rec := newRecorder()
	shards := []Shard{{"p1", "alpha"}, {"p1", "beta"}, {"p2", "alpha"}}
	w := fastWatcher(t, []string{f.addr()}, shards, rec, time.Hour)
	got, err := w.Resolve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[Shard]string{shards[0]: "10.0.0.1:6379", shards[1]: "10.0.0.2:6379", shards[2]: "10.0.0.1:6379"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Resolve = %v, want %v", got, want)
	}
	w.Start()
	waitUntil(t, "subscribed", fakeWait, func() bool { return f.subscribers() == 1 })
	// a master of no pool: ignored
	f.publish("gamma 10.0.0.9 6379 10.0.0.8 6379")
	// the sentinel's answer wins over the message's (a later failover)
	f.set("alpha", "10.0.0.4:6379", 1)
	f.publish("alpha 10.0.0.1 6379 10.0.0.3 6379")
	rec.waitCall(t, shards[0], "10.0.0.4:6379", fakeWait)
	rec.waitCall(t, shards[2], "10.0.0.4:6379", fakeWait)
	// the other sentinels' copies of the event change nothing
	f.publish("alpha 10.0.0.1 6379 10.0.0.3 6379")
	f.publish("alpha 10.0.0.1 6379 10.0.0.3 6379")
	waitUntil(t, "the repeated events verified", fakeWait, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.queries >= 4 // Resolve, and the three events
	})
	if calls := rec.snapshot(); len(calls) != 2 {
		t.Fatalf("calls = %v, want the two alpha shards once each", calls)
	}
}

// A failover while the watcher is disconnected from the only sentinel is
// found when it reconnects.
func TestFakeMissedWhileDisconnected(t *testing.T) {
	f := newFakeSentinel(t)
	f.set("alpha", "10.0.0.1:6379", 0)
	f.set("beta", "10.0.0.2:6379", 0)
	rec := newRecorder()
	shards := []Shard{{"p", "alpha"}, {"p", "beta"}}
	w := fastWatcher(t, []string{f.addr()}, shards, rec, time.Hour)
	if _, err := w.Resolve(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.Start()
	waitUntil(t, "subscribed", fakeWait, func() bool { return f.subscribers() == 1 })
	f.setDown(true)
	time.Sleep(300 * time.Millisecond) // a few failed reconnects
	f.set("alpha", "10.0.0.3:6379", 1)
	f.setDown(false)
	rec.waitCall(t, shards[0], "10.0.0.3:6379", fakeWait)
	if calls := rec.snapshot(); len(calls) != 1 {
		t.Fatalf("calls = %v, want one for alpha", calls)
	}
}

// A sentinel that has not heard of a failover yet (older config-epoch)
// neither wins Resolve nor points a shard back in the periodic check.
func TestFakeNewestEpochWins(t *testing.T) {
	ahead, behind := newFakeSentinel(t), newFakeSentinel(t)
	ahead.set("alpha", "10.0.0.3:6379", 2)
	behind.set("alpha", "10.0.0.1:6379", 1)
	rec := newRecorder()
	shards := []Shard{{"p", "alpha"}}
	w := fastWatcher(t, []string{behind.addr(), ahead.addr()}, shards, rec, 50*time.Millisecond)
	got, err := w.Resolve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got[shards[0]] != "10.0.0.3:6379" {
		t.Fatalf("Resolve = %v, want the epoch-2 address", got)
	}
	w.Start()
	// the one that is ahead goes away: the laggard alone must not win
	ahead.setDown(true)
	time.Sleep(500 * time.Millisecond) // ten periodic checks
	if calls := rec.snapshot(); len(calls) != 0 {
		t.Fatalf("calls = %v, want none", calls)
	}
	// the laggard catches up with a newer failover: applied
	behind.set("alpha", "10.0.0.5:6379", 3)
	rec.waitCall(t, shards[0], "10.0.0.5:6379", fakeWait)
}

// Resolve reports the masters no sentinel knows, and still returns the
// others; a dead sentinel in the list costs only its timeout.
func TestFakeResolvePartial(t *testing.T) {
	f := newFakeSentinel(t)
	f.set("alpha", "10.0.0.1:6379", 0)
	dead := newFakeSentinel(t)
	dead.ln.Close()
	w := fastWatcher(t, []string{dead.addr(), f.addr()}, []Shard{{"p", "alpha"}, {"p", "nosuch"}}, newRecorder(), time.Hour)
	got, err := w.Resolve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Fatalf("Resolve error = %v, want one naming nosuch", err)
	}
	if got[Shard{"p", "alpha"}] != "10.0.0.1:6379" || len(got) != 1 {
		t.Fatalf("Resolve = %v", got)
	}
}

// After Stop returns, no event re-points anything, and Stop does not wait
// for a sentinel that never answers.
func TestFakeStop(t *testing.T) {
	f := newFakeSentinel(t)
	f.set("alpha", "10.0.0.1:6379", 0)
	// a listener that accepts and never replies: a hung sentinel
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hung.Close() })
	rec := newRecorder()
	w := fastWatcher(t, []string{f.addr(), hung.Addr().String()}, []Shard{{"p", "alpha"}}, rec, 50*time.Millisecond)
	w.ioTimeout = time.Hour // only Stop (or a context) can end the hung calls
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if got, _ := w.Resolve(ctx); got[Shard{"p", "alpha"}] != "10.0.0.1:6379" {
		t.Fatalf("Resolve = %v despite the hung sentinel", got)
	}
	w.Start()
	waitUntil(t, "subscribed", fakeWait, func() bool { return f.subscribers() == 1 })
	stopped := make(chan struct{})
	go func() { w.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(fakeWait):
		t.Fatal("Stop did not return")
	}
	f.set("alpha", "10.0.0.2:6379", 1)
	f.publish("alpha 10.0.0.1 6379 10.0.0.2 6379")
	time.Sleep(100 * time.Millisecond)
	if calls := rec.snapshot(); len(calls) != 0 {
		t.Fatalf("calls after Stop: %v", calls)
	}
}
