// Shared machinery for the Sentinel tests: which kinds to run, data nodes
// with a password, sentinel groups whose Pub/Sub events are all recorded
// (one subscriber per sentinel), and waits with generous deadlines (no
// timing assertions: a loaded machine may be slow, never wrong).
package sentinel

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt/redoubt/test/testutil"
)

// envList reads a comma-separated list from the environment.
func envList(name, def string) []string {
	v := os.Getenv(name)
	if v == "" {
		v = def
	}
	var out []string
	for _, k := range strings.Split(v, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// sentinelKinds are the sentinel implementations under test; the lead
// turns redoubt on with REDOUBT_SENTINEL_KINDS=redis,redoubt.
func sentinelKinds() []string { return envList("REDOUBT_SENTINEL_KINDS", "redis,redoubt") }

// dataKinds are the data node kinds of the mixed-group test.
func dataKinds() []string { return envList("REDOUBT_SENTINEL_DATA_KINDS", "redis,redoubt") }

// Generous deadlines: each covers what takes a few seconds on an idle
// machine (or one INFO period, 10 s, for discovery) many times over.
const (
	discoverWait = 60 * time.Second
	failoverWait = 90 * time.Second
)

// event is one Pub/Sub message a sentinel published about itself.
type event struct {
	sentinel int // index in the group
	channel  string
	payload  string
	at       time.Time
}

func (e event) String() string {
	return fmt.Sprintf("%s s%d %s %s", e.at.Format("15:04:05.000"), e.sentinel, e.channel, e.payload)
}

// events collects the messages of all sentinels of a group.
type events struct {
	mu   sync.Mutex
	list []event
	more chan struct{} // closed and replaced on each append
}

func newEvents() *events { return &events{more: make(chan struct{})} }

func (e *events) add(ev event) {
	e.mu.Lock()
	e.list = append(e.list, ev)
	close(e.more)
	e.more = make(chan struct{})
	e.mu.Unlock()
}

// matching returns the events on channel (all channels when "") for which
// keep, if given, is true.
func (e *events) matching(channel string, keep func(event) bool) []event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []event
	for _, ev := range e.list {
		if (channel == "" || ev.channel == channel) && (keep == nil || keep(ev)) {
			out = append(out, ev)
		}
	}
	return out
}

// wait blocks until an event on channel satisfies keep, and returns it;
// ok is false at the deadline.
func (e *events) wait(channel string, keep func(event) bool, timeout time.Duration) (event, bool) {
	deadline := time.After(timeout)
	for {
		e.mu.Lock()
		more := e.more
		e.mu.Unlock()
		if got := e.matching(channel, keep); len(got) > 0 {
			return got[0], true
		}
		select {
		case <-more:
		case <-deadline:
			return event{}, false
		}
	}
}

func (e *events) dump() string {
	var b strings.Builder
	for _, ev := range e.matching("", nil) {
		b.WriteString(ev.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// onMaster keeps the events about the master itself (their payload starts
// with "master <name>"), not about replicas or sentinels.
func onMaster(name string) func(event) bool {
	return func(ev event) bool { return strings.HasPrefix(ev.payload, "master "+name+" ") }
}

// group is three (or more) sentinels watching one master.
type group struct {
	t         *testing.T
	name      string
	pass      string // the data nodes' requirepass, "" for none
	kinds     []string
	sentinels []*testutil.Proc
	clients   []*redis.Client
	ev        *events
}

// groupConf is what every sentinel of a group is started with.
type groupConf struct {
	name            string
	masterPort      int
	quorum          int
	pass            string
	downAfter       int // ms
	failoverTimeout int // ms
	// downAfterByKind overrides downAfter for the sentinels of a kind.
	downAfterByKind map[string]int
}

func (c groupConf) text(kind string) string {
	var b strings.Builder
	downAfter := c.downAfter
	if ms, ok := c.downAfterByKind[kind]; ok {
		downAfter = ms
	}
	fmt.Fprintf(&b, "sentinel monitor %s 127.0.0.1 %d %d\n", c.name, c.masterPort, c.quorum)
	fmt.Fprintf(&b, "sentinel down-after-milliseconds %s %d\n", c.name, downAfter)
	fmt.Fprintf(&b, "sentinel failover-timeout %s %d\n", c.name, c.failoverTimeout)
	if c.pass != "" {
		fmt.Fprintf(&b, "sentinel auth-pass %s %s\n", c.name, c.pass)
	}
	return b.String()
}

// startGroup starts one sentinel per kind with the same configuration and
// subscribes to all their events.
func startGroup(t *testing.T, kinds []string, c groupConf) *group {
	t.Helper()
	g := &group{t: t, name: c.name, pass: c.pass, kinds: kinds, ev: newEvents()}
	for i, k := range kinds {
		s := testutil.StartSentinel(t, k, c.text(k))
		g.sentinels = append(g.sentinels, s)
		cl := redis.NewClient(&redis.Options{Addr: s.Addr, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second})
		t.Cleanup(func() { cl.Close() })
		g.clients = append(g.clients, cl)
		g.subscribe(i, s.Addr)
	}
	return g
}

// subscribe records every message sentinel i publishes (PSUBSCRIBE *) and
// returns once the subscription is in place.
func (g *group) subscribe(i int, addr string) {
	t := g.t
	cl := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 2 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	ps := cl.PSubscribe(ctx, "*")
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatalf("psubscribe on sentinel %d (%s): %v", i, addr, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for msg := range ps.Channel() {
			g.ev.add(event{sentinel: i, channel: msg.Channel, payload: msg.Payload, at: time.Now()})
		}
	}()
	t.Cleanup(func() { cancel(); ps.Close(); cl.Close(); <-done })
}

// cmd runs a command on sentinel i.
func (g *group) cmd(i int, args ...any) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return g.clients[i].Do(ctx, args...).Result()
}

// masterAddr is SENTINEL get-master-addr-by-name on sentinel i, as host:port.
func (g *group) masterAddr(i int) (string, error) {
	v, err := g.cmd(i, "SENTINEL", "get-master-addr-by-name", g.name)
	if err != nil {
		return "", err
	}
	a, ok := v.([]any)
	if !ok || len(a) != 2 {
		return "", fmt.Errorf("get-master-addr-by-name: unexpected reply %#v", v)
	}
	return fmt.Sprintf("%v:%v", a[0], a[1]), nil
}

// count is the number of entries SENTINEL <sub> <name> lists on sentinel i
// (replicas, sentinels).
func (g *group) count(i int, sub string) (int, error) {
	v, err := g.cmd(i, "SENTINEL", sub, g.name)
	if err != nil {
		return 0, err
	}
	a, ok := v.([]any)
	if !ok {
		return 0, fmt.Errorf("SENTINEL %s: unexpected reply %#v", sub, v)
	}
	return len(a), nil
}

// masterField reads one field of SENTINEL master <name> on sentinel i.
func (g *group) masterField(i int, field string) (string, error) {
	v, err := g.cmd(i, "SENTINEL", "master", g.name)
	if err != nil {
		return "", err
	}
	switch m := v.(type) {
	case []any: // RESP2: flat list
		for j := 0; j+1 < len(m); j += 2 {
			if fmt.Sprint(m[j]) == field {
				return fmt.Sprint(m[j+1]), nil
			}
		}
	case map[any]any: // RESP3: a map
		if f, ok := m[field]; ok {
			return fmt.Sprint(f), nil
		}
	}
	return "", fmt.Errorf("SENTINEL master %s: no %q in %#v", g.name, field, v)
}

// waitDiscovery waits until every sentinel knows the others and the given
// number of replicas: a failover before that could not reach a majority
// or pick a replica.
func (g *group) waitDiscovery(replicas int) {
	g.t.Helper()
	others := len(g.sentinels) - 1
	g.waitFor("sentinels and replicas discovered", discoverWait, func() error {
		for i := range g.sentinels {
			n, err := g.count(i, "sentinels")
			if err != nil {
				return err
			}
			if n != others {
				return fmt.Errorf("sentinel %d knows %d other sentinels, want %d", i, n, others)
			}
			r, err := g.count(i, "replicas")
			if err != nil {
				return err
			}
			if r != replicas {
				return fmt.Errorf("sentinel %d knows %d replicas, want %d", i, r, replicas)
			}
		}
		return nil
	})
}

// waitAgree waits until all sentinels report the same master address,
// one that keep accepts, and returns it.
func (g *group) waitAgree(desc string, timeout time.Duration, keep func(addr string) bool) string {
	g.t.Helper()
	var agreed string
	g.waitFor(desc, timeout, func() error {
		first := ""
		for i := range g.sentinels {
			a, err := g.masterAddr(i)
			if err != nil {
				return err
			}
			if !keep(a) {
				return fmt.Errorf("sentinel %d says the master is %s", i, a)
			}
			if i == 0 {
				first = a
			} else if a != first {
				return fmt.Errorf("sentinel 0 says %s, sentinel %d says %s", first, i, a)
			}
		}
		agreed = first
		return nil
	})
	return agreed
}

// waitFor polls check until it returns nil, failing the test with the last
// error, the events and the sentinels' logs at the deadline.
func (g *group) waitFor(desc string, timeout time.Duration, check func() error) {
	g.t.Helper()
	if err := testutil.Poll(timeout, check); err != nil {
		g.t.Fatalf("%s: not within %v: %v\n%s", desc, timeout, err, g.diag())
	}
}

// diag is what a failure message carries: the events so far and the tail
// of every sentinel's log.
func (g *group) diag() string {
	var b strings.Builder
	b.WriteString("--- events ---\n")
	b.WriteString(g.ev.dump())
	for i, s := range g.sentinels {
		fmt.Fprintf(&b, "--- sentinel %d (%s, %s) ---\n%s\n", i, g.kinds[i], s.Addr, s.LogTail(30))
	}
	return b.String()
}

// waitEvent waits for an event and fails the test when none comes.
func (g *group) waitEvent(channel string, keep func(event) bool, timeout time.Duration) event {
	g.t.Helper()
	ev, ok := g.ev.wait(channel, keep, timeout)
	if !ok {
		g.t.Fatalf("no %s event within %v\n%s", channel, timeout, g.diag())
	}
	return ev
}

// dataArgs are the arguments of a data node: password on both sides (a
// replica must also authenticate to whichever node becomes its master).
func dataArgs(pass string, extra ...string) []string {
	var args []string
	if pass != "" {
		args = append(args, "--requirepass", pass, "--masterauth", pass)
	}
	return append(args, extra...)
}

// replicaArgs are dataArgs plus --replicaof the master's port.
func replicaArgs(pass string, masterPort int, extra ...string) []string {
	return dataArgs(pass, append([]string{"--replicaof", "127.0.0.1", strconv.Itoa(masterPort)}, extra...)...)
}

// node is a client to a data node.
func node(t *testing.T, addr, pass string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Password: pass, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// role is the first element of ROLE: "master" or "slave".
func role(c *redis.Client) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := c.Do(ctx, "ROLE").Slice()
	if err != nil {
		return "", err
	}
	if len(v) == 0 {
		return "", fmt.Errorf("empty ROLE reply")
	}
	return fmt.Sprint(v[0]), nil
}

// waitSynced waits until the replica's link to its master is up.
func waitSynced(t *testing.T, c *redis.Client) {
	t.Helper()
	err := testutil.Poll(discoverWait, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		info, err := c.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "master_link_status:up") {
			return fmt.Errorf("replica link not up:\n%s", info)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("replica %s not synced: %v", c.Options().Addr, err)
	}
}

// waitRole waits until the node at c reports role want.
func waitRole(t *testing.T, c *redis.Client, want string, timeout time.Duration) {
	t.Helper()
	err := testutil.Poll(timeout, func() error {
		r, err := role(c)
		if err != nil {
			return err
		}
		if r != want {
			return fmt.Errorf("role %s", r)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s did not become %s within %v: %v", c.Options().Addr, want, timeout, err)
	}
}

// dbClient is node on database db (the seed's data lives in db 1).
func dbClient(t *testing.T, addr, pass string, db int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Password: pass, DB: db, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// waitLog waits until sentinel i's log has a line containing substr.
func (g *group) waitLog(i int, substr string, timeout time.Duration) {
	g.t.Helper()
	g.waitFor(fmt.Sprintf("sentinel %d logs %q", i, substr), timeout, func() error {
		out, err := os.ReadFile(g.sentinels[i].LogPath())
		if err != nil {
			return err
		}
		if !strings.Contains(string(out), substr) {
			return fmt.Errorf("not in %s", g.sentinels[i].LogPath())
		}
		return nil
	})
}

// waitConf waits until sentinel i's rewritten config file has a line
// starting with each prefix.
func (g *group) waitConf(i int, timeout time.Duration, prefixes ...string) {
	g.t.Helper()
	g.waitFor(fmt.Sprintf("sentinel %d config rewritten", i), timeout, func() error {
		out, err := os.ReadFile(g.sentinels[i].ConfPath())
		if err != nil {
			return err
		}
		for _, p := range prefixes {
			found := false
			for _, line := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(line, p) {
					found = true
					break
				}
			}
			if !found {
				return fmt.Errorf("no line starting %q in %s:\n%s", p, g.sentinels[i].ConfPath(), out)
			}
		}
		return nil
	})
}
