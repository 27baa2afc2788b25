// The Watcher: one subscription per sentinel, the re-resolution loop, and
// the one place (apply) where an answer becomes a SetServerAddr call.
package sentinelwatch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Repointer is the proxy: SetServerAddr re-points one server (shard) of a
// pool, identified by its name, to addr ("host:port").
type Repointer interface {
	SetServerAddr(pool, server, addr string) error
}

// ReplicaSetter is optionally implemented by the Repointer: it receives
// the usable replicas of a shard whose pool reads from replicas.
type ReplicaSetter interface {
	SetServerReplicas(pool, server string, addrs []string) error
}

// Shard is one server of a pool; Name is the Sentinel master name.
type Shard struct{ Pool, Name string }

// Watcher follows the sentinels for a set of shards.
type Watcher struct {
	sentinels  []string
	user, pass string // AUTH on every connection (SetAuth)
	shards     []Shard
	byName     map[string][]Shard
	names      []string // the distinct master names, sorted
	r          Repointer
	logf       func(format string, args ...any)

	// Timings; tests shorten them.
	interval    time.Duration // safety-net re-resolution period
	ioTimeout   time.Duration // dial and one query round trip
	pingEvery   time.Duration // keepalive on the subscription
	minBackoff  time.Duration // first reconnect delay
	maxBackoff  time.Duration
	eventWaitOK func(sentinel string) // test hook: subscription in place

	mu      sync.Mutex // serialises applies, so answers land in order
	known   map[string]answer
	applied map[Shard]string
	ignored map[string]answer // the stale answer last logged, per master

	// replicas, for the names some shard of wantRep reads from
	wantRep    map[Shard]bool
	repNames   map[string]bool
	appliedRep map[Shard]string // the list last set, joined

	kick     chan struct{} // asks for a re-resolution of every shard
	done     chan struct{}
	ctx      context.Context // cancelled by Stop: ends queries in flight
	cancel   context.CancelFunc
	start    sync.Once
	stop     sync.Once
	wg       sync.WaitGroup
	connMu   sync.Mutex
	conns    map[*conn]struct{} // live subscriptions, closed by Stop
	stopping bool
}

// answer is one sentinel's view of a master.
type answer struct {
	addr  string
	epoch int64 // config-epoch; -1 when the sentinel did not say
}

// New returns a Watcher for shards, whose masters the given sentinels
// ("host:port") monitor. logf (may be nil) receives what the watcher does:
// re-points, lost and regained sentinels.
func New(sentinels []string, shards []Shard, r Repointer, logf func(format string, args ...any)) *Watcher {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	w := &Watcher{
		sentinels:  slices.Clone(sentinels),
		shards:     slices.Clone(shards),
		byName:     map[string][]Shard{},
		r:          r,
		logf:       logf,
		interval:   5 * time.Second,
		ioTimeout:  time.Second,
		pingEvery:  time.Second,
		minBackoff: 100 * time.Millisecond,
		maxBackoff: 5 * time.Second,
		known:      map[string]answer{},
		applied:    map[Shard]string{},
		ignored:    map[string]answer{},
		wantRep:    map[Shard]bool{},
		repNames:   map[string]bool{},
		appliedRep: map[Shard]string{},
		kick:       make(chan struct{}, 1),
		done:       make(chan struct{}),
		conns:      map[*conn]struct{}{},
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	for _, s := range shards {
		if _, ok := w.byName[s.Name]; !ok {
			w.names = append(w.names, s.Name)
		}
		w.byName[s.Name] = append(w.byName[s.Name], s)
	}
	sort.Strings(w.names)
	return w
}

// SetAuth makes every connection to the sentinels start with AUTH
// [user] pass (sentinels with requirepass or ACL users). Call before
// Resolve and Start.
func (w *Watcher) SetAuth(user, pass string) { w.user, w.pass = user, pass }

// dial connects to a sentinel and authenticates when a password is set;
// the sentinel's refusal (WRONGPASS ...) is the error.
func (w *Watcher) dial(sentinel string, timeout time.Duration) (*conn, error) {
	c, err := dial(sentinel, timeout)
	if err != nil || w.pass == "" {
		return c, err
	}
	c.nc.SetDeadline(time.Now().Add(timeout))
	if w.user != "" {
		c.send("AUTH", w.user, w.pass)
	} else {
		c.send("AUTH", w.pass)
	}
	err = c.flush()
	var reply any
	if err == nil {
		reply, err = c.read()
	}
	if err == nil {
		if e, ok := reply.(respError); ok {
			err = fmt.Errorf("AUTH: %w", e)
		}
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.nc.SetDeadline(time.Time{})
	return c, nil
}

// WantReplicas makes the Watcher also follow the usable replicas of these
// shards and hand them to the Repointer if it is a ReplicaSetter. Call it
// before Resolve and Start.
func (w *Watcher) WantReplicas(shards ...Shard) {
	for _, s := range shards {
		w.wantRep[s] = true
		w.repNames[s.Name] = true
	}
}

// Resolve asks every sentinel (all at once, so a dead one costs no more
// than its timeout) for the master of every shard and returns the newest
// answer per shard. The addresses are taken as what the proxy starts with:
// the Watcher re-points a shard only when its master changes later. The
// error names the masters no sentinel could tell; the map holds the rest.
func (w *Watcher) Resolve(ctx context.Context) (map[Shard]string, error) {
	best, reps, errs := w.ask(ctx)
	defer w.setReplicas(reps)
	out := map[Shard]string{}
	w.mu.Lock()
	defer w.mu.Unlock()
	var missing []string
	for _, name := range w.names {
		a, ok := best[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		if old, ok := w.known[name]; !ok || a.epoch >= old.epoch {
			w.known[name] = a
		}
		for _, s := range w.byName[name] {
			out[s] = w.known[name].addr
			w.applied[s] = w.known[name].addr
		}
	}
	if len(missing) > 0 {
		return out, fmt.Errorf("sentinelwatch: no sentinel knows the master of %s (%v)", strings.Join(missing, ", "), errors.Join(errs...))
	}
	return out, nil
}

// Start connects to every sentinel and follows them until Stop.
func (w *Watcher) Start() {
	w.start.Do(func() {
		for _, s := range w.sentinels {
			w.wg.Add(1)
			go w.subscribe(s)
		}
		w.wg.Add(1)
		go w.safetyNet()
	})
}

// Stop closes the sentinel connections and waits for the watcher's
// goroutines; no SetServerAddr call happens after it returns.
func (w *Watcher) Stop() {
	w.stop.Do(func() {
		close(w.done)
		w.cancel()
		w.connMu.Lock()
		w.stopping = true
		for c := range w.conns {
			c.Close()
		}
		w.connMu.Unlock()
		w.wg.Wait()
	})
}

// ask queries all sentinels for all names and keeps, per name, the answer
// with the highest config-epoch (on a tie, the one most sentinels gave),
// and for the names we want replicas of, the replica list chosen by
// pickReplicas among the sentinels that gave that answer.
func (w *Watcher) ask(ctx context.Context) (map[string]answer, map[string][]string, []error) {
	type result struct {
		answers map[string]answer
		reps    map[string][]string
		err     error
	}
	results := make([]result, len(w.sentinels))
	var wg sync.WaitGroup
	for i, s := range w.sentinels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, reps, err := w.query(ctx, s, w.names)
			results[i] = result{a, reps, err}
		}()
	}
	wg.Wait()
	best := map[string]answer{}
	votes := map[string]map[answer]int{}
	var errs []error
	for i, r := range results {
		if r.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", w.sentinels[i], r.err))
			continue
		}
		for name, a := range r.answers {
			if votes[name] == nil {
				votes[name] = map[answer]int{}
			}
			votes[name][a]++
		}
	}
	for name, v := range votes {
		for a, n := range v {
			b, ok := best[name]
			if !ok || a.epoch > b.epoch || (a.epoch == b.epoch && (n > v[b] || (n == v[b] && a.addr < b.addr))) {
				best[name] = a
			}
		}
	}
	reps := map[string][]string{}
	for name, b := range best {
		if !w.repNames[name] {
			continue
		}
		var lists [][]string
		for _, r := range results {
			if l, ok := r.reps[name]; ok && r.err == nil && r.answers[name] == b {
				lists = append(lists, l)
			}
		}
		if len(lists) > 0 {
			reps[name] = pickReplicas(lists)
		}
	}
	return best, reps, errs
}

// pickReplicas chooses among the (sorted) replica lists of the sentinels
// that agree on the master: the one most of them gave; on a tie the
// shorter, so that a replica one sentinel already sees down is left out.
func pickReplicas(lists [][]string) []string {
	votes := map[string]int{}
	byKey := map[string][]string{}
	for _, l := range lists {
		k := strings.Join(l, ",")
		votes[k]++
		byKey[k] = l
	}
	var best string
	first := true
	for k, n := range votes {
		b := votes[best]
		if first || n > b || (n == b && (len(byKey[k]) < len(byKey[best]) || (len(byKey[k]) == len(byKey[best]) && k < best))) {
			best, first = k, false
		}
	}
	return byKey[best]
}

// query asks one sentinel, in one round trip, for the address and the
// config-epoch of each named master, and the usable replicas of those we
// want replicas of. A name the sentinel does not monitor is left out of
// the result; so is a replica list the sentinel would not give.
func (w *Watcher) query(ctx context.Context, sentinel string, names []string) (map[string]answer, map[string][]string, error) {
	deadline := time.Now().Add(w.ioTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c, err := w.dial(sentinel, time.Until(deadline))
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	// the context may end before the deadline: closing the connection
	// unblocks the read
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	c.nc.SetDeadline(deadline)
	for _, n := range names {
		c.send("SENTINEL", "get-master-addr-by-name", n)
		c.send("SENTINEL", "MASTER", n)
		if w.repNames[n] {
			c.send("SENTINEL", "REPLICAS", n)
		}
	}
	if err := c.flush(); err != nil {
		return nil, nil, err
	}
	out := map[string]answer{}
	reps := map[string][]string{}
	for _, n := range names {
		addrReply, err := c.read()
		if err != nil {
			return nil, nil, err
		}
		masterReply, err := c.read()
		if err != nil {
			return nil, nil, err
		}
		if w.repNames[n] {
			repReply, err := c.read()
			if err != nil {
				return nil, nil, err
			}
			if l, ok := usableReplicas(repReply); ok {
				reps[n] = l
			}
		}
		pair, ok := addrReply.([]any)
		if !ok || len(pair) != 2 {
			continue // nil: not monitored; an error reply: not usable
		}
		host, _ := pair[0].(string)
		port, _ := pair[1].(string)
		if host == "" || port == "" {
			continue
		}
		out[n] = answer{addr: net.JoinHostPort(host, port), epoch: configEpoch(masterReply)}
	}
	return out, reps, nil
}

// usableReplicas reads a SENTINEL REPLICAS reply (a list of flat field,
// value lists) into the sorted addresses of the replicas that are neither
// down nor disconnected and whose link to the master is up; false when
// the reply is not such a list (an error: the master is unknown).
func usableReplicas(reply any) ([]string, bool) {
	list, ok := reply.([]any)
	if !ok {
		return nil, false
	}
	out := []string{}
	for _, r := range list {
		f := fieldMap(r)
		if f["ip"] == "" || f["port"] == "" || f["master-link-status"] != "ok" {
			continue
		}
		usable := true
		for _, fl := range strings.Split(f["flags"], ",") {
			if fl == "s_down" || fl == "o_down" || fl == "disconnected" {
				usable = false
			}
		}
		if usable {
			out = append(out, net.JoinHostPort(f["ip"], f["port"]))
		}
	}
	sort.Strings(out)
	return out, true
}

// configEpoch finds config-epoch in a SENTINEL MASTER reply (a flat list
// of field, value); -1 if it is not there.
func configEpoch(reply any) int64 {
	if n, err := strconv.ParseInt(fieldMap(reply)["config-epoch"], 10, 64); err == nil {
		return n
	}
	return -1
}

// fieldMap reads a flat list of field, value (SENTINEL MASTER, one entry
// of SENTINEL REPLICAS) into a map; anything else gives an empty map.
func fieldMap(reply any) map[string]string {
	fields, _ := reply.([]any)
	f := map[string]string{}
	for i := 0; i+1 < len(fields); i += 2 {
		k, _ := fields[i].(string)
		v, _ := fields[i+1].(string)
		f[k] = v
	}
	return f
}

// apply records a newer answer for a master and re-points the shards of
// that name that are not already there. An answer older than the one
// known (a lower config-epoch) is dropped.
func (w *Watcher) apply(name string, a answer, why string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.done:
		return false
	default:
	}
	if old, ok := w.known[name]; ok && a.epoch < old.epoch {
		if a.addr != old.addr && w.ignored[name] != a {
			// once per stale answer: a lagging sentinel is asked every interval
			w.ignored[name] = a
			w.logf("sentinelwatch: %s: ignoring %s at epoch %d (%s), %s at epoch %d is newer", name, a.addr, a.epoch, why, old.addr, old.epoch)
		}
		return false
	}
	w.known[name] = a
	for _, s := range w.byName[name] {
		prev := w.applied[s]
		if prev == a.addr {
			continue
		}
		if err := w.r.SetServerAddr(s.Pool, s.Name, a.addr); err != nil {
			// left unapplied: the next re-resolution tries again
			w.logf("sentinelwatch: pool %s server %s: re-pointing to %s failed: %v", s.Pool, s.Name, a.addr, err)
			continue
		}
		w.applied[s] = a.addr
		w.logf("sentinelwatch: pool %s server %s: %s -> %s (epoch %d, %s)", s.Pool, s.Name, prev, a.addr, a.epoch, why)
	}
	return true
}

// safetyNet re-resolves every shard when asked (a subscription was
// (re)established) and every interval.
func (w *Watcher) safetyNet() {
	defer w.wg.Done()
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-t.C:
		case <-w.kick:
		}
		ctx, cancel := context.WithTimeout(w.ctx, 2*w.ioTimeout)
		best, reps, _ := w.ask(ctx)
		cancel()
		for _, name := range w.names {
			if a, ok := best[name]; ok {
				w.apply(name, a, "re-resolved")
			}
		}
		w.setReplicas(reps)
	}
}

func (w *Watcher) requestResolve() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// track registers a live subscription so that Stop can close it; false
// when the watcher is stopping.
func (w *Watcher) track(c *conn, add bool) bool {
	w.connMu.Lock()
	defer w.connMu.Unlock()
	if !add {
		delete(w.conns, c)
		return true
	}
	if w.stopping {
		return false
	}
	w.conns[c] = struct{}{}
	return true
}

// subscribe keeps a SUBSCRIBE +switch-master open on one sentinel,
// reconnecting with a doubling backoff when it goes away.
func (w *Watcher) subscribe(sentinel string) {
	defer w.wg.Done()
	backoff := w.minBackoff
	failing := false
	for {
		select {
		case <-w.done:
			return
		default:
		}
		c, err := w.openSubscription(sentinel)
		if err == nil {
			if failing {
				w.logf("sentinelwatch: sentinel %s: subscribed again", sentinel)
			}
			failing = false
			backoff = w.minBackoff
			// an event may have been missed while we were away
			w.requestResolve()
			if w.eventWaitOK != nil {
				w.eventWaitOK(sentinel)
			}
			err = w.readEvents(sentinel, c)
			w.track(c, false)
			c.Close()
		}
		select {
		case <-w.done:
			return
		default:
		}
		if !failing {
			w.logf("sentinelwatch: sentinel %s: %v; reconnecting", sentinel, err)
			failing = true
		}
		select {
		case <-w.done:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, w.maxBackoff)
	}
}

// replicaChannels announce a replica going down, coming back or being
// (re)attached; on them the replicas are re-resolved.
var replicaChannels = []string{"+sdown", "-sdown", "+slave", "+slave-reconf-done"}

// channels are what the subscription listens to.
func (w *Watcher) channels() []string {
	if len(w.repNames) == 0 {
		return []string{"+switch-master"}
	}
	return append([]string{"+switch-master"}, replicaChannels...)
}

// openSubscription dials a sentinel and subscribes to +switch-master (and
// the replica events when replicas are wanted).
func (w *Watcher) openSubscription(sentinel string) (*conn, error) {
	c, err := w.dial(sentinel, w.ioTimeout)
	if err != nil {
		return nil, err
	}
	if !w.track(c, true) {
		c.Close()
		return nil, errors.New("stopping")
	}
	c.nc.SetDeadline(time.Now().Add(w.ioTimeout))
	chans := w.channels()
	c.send(append([]string{"SUBSCRIBE"}, chans...)...)
	err = c.flush()
	// one confirmation per channel
	for range chans {
		if err != nil {
			break
		}
		var reply any
		reply, err = c.read()
		if err == nil {
			if e, ok := reply.(respError); ok {
				err = e
			} else if a, ok := reply.([]any); !ok || len(a) < 1 || a[0] != "subscribe" {
				err = fmt.Errorf("unexpected SUBSCRIBE reply %v", reply)
			}
		}
	}
	if err != nil {
		w.track(c, false)
		c.Close()
		return nil, err
	}
	c.nc.SetDeadline(time.Time{})
	return c, nil
}

// readEvents handles messages until the connection fails. A PING every
// pingEvery (allowed while subscribed) and a read deadline of three of
// them detect a sentinel that vanished without closing the connection.
func (w *Watcher) readEvents(sentinel string, c *conn) error {
	pingDone := make(chan struct{})
	defer close(pingDone)
	go func() {
		t := time.NewTicker(w.pingEvery)
		defer t.Stop()
		for {
			select {
			case <-pingDone:
				return
			case <-t.C:
				c.nc.SetWriteDeadline(time.Now().Add(w.ioTimeout))
				c.send("PING")
				if c.flush() != nil {
					c.Close()
					return
				}
			}
		}
	}()
	for {
		c.nc.SetReadDeadline(time.Now().Add(3*w.pingEvery + w.ioTimeout))
		reply, err := c.read()
		if err != nil {
			return err
		}
		msg, ok := reply.([]any)
		if !ok || len(msg) != 3 || msg[0] != "message" {
			continue // PING replies, confirmations
		}
		payload, _ := msg[2].(string)
		if msg[1] == "+switch-master" {
			w.onSwitch(sentinel, payload)
		} else if w.ourReplica(payload) {
			w.requestResolve()
		}
	}
}

// ourReplica tells whether an instance event ("slave <name> <ip> <port> @
// <master> <ip> <port>") is about a replica of a master whose replicas we
// follow; events about masters and sentinels are not.
func (w *Watcher) ourReplica(payload string) bool {
	f := strings.Fields(payload)
	if len(f) < 6 || f[0] != "slave" || f[4] != "@" {
		return false
	}
	return w.repNames[f[5]]
}

// onSwitch handles "+switch-master <name> <oldip> <oldport> <newip>
// <newport>" from sentinel: it asks that sentinel for the master's current
// address and epoch and applies them.
func (w *Watcher) onSwitch(sentinel, payload string) {
	f := strings.Fields(payload)
	if len(f) != 5 {
		w.logf("sentinelwatch: sentinel %s: malformed +switch-master %q", sentinel, payload)
		return
	}
	name := f[0]
	if _, ok := w.byName[name]; !ok {
		return // a master of no pool of ours
	}
	announced := net.JoinHostPort(f[3], f[4])
	ctx, cancel := context.WithTimeout(w.ctx, w.ioTimeout)
	defer cancel()
	got, reps, err := w.query(ctx, sentinel, []string{name})
	a, ok := got[name]
	if err != nil || !ok {
		// the announcer went away (or forgot the master) right after: ask
		// all of them instead
		w.logf("sentinelwatch: %s: +switch-master to %s from %s, but verifying failed (%v); re-resolving", name, announced, sentinel, err)
		w.requestResolve()
		return
	}
	if a.addr != announced {
		w.logf("sentinelwatch: %s: +switch-master to %s from %s, which now says %s", name, announced, sentinel, a.addr)
	}
	if w.apply(name, a, "+switch-master from "+sentinel) {
		// the old replicas now replicate the new master; those not yet
		// reconnected come back with their +slave-reconf-done
		w.setReplicas(reps)
	}
}

// setReplicas records the chosen replica lists and hands the changed ones
// to the Repointer, for the shards that want them.
func (w *Watcher) setReplicas(reps map[string][]string) {
	rs, ok := w.r.(ReplicaSetter)
	if !ok || len(reps) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.done:
		return
	default:
	}
	for _, name := range w.names {
		l, ok := reps[name]
		if !ok {
			continue
		}
		key := strings.Join(l, ",")
		for _, s := range w.byName[name] {
			prev, set := w.appliedRep[s]
			if !w.wantRep[s] || (set && prev == key) {
				continue
			}
			if err := rs.SetServerReplicas(s.Pool, s.Name, slices.Clone(l)); err != nil {
				// left unapplied: the next re-resolution tries again
				w.logf("sentinelwatch: pool %s server %s: setting replicas %v failed: %v", s.Pool, s.Name, l, err)
				continue
			}
			w.appliedRep[s] = key
			w.logf("sentinelwatch: pool %s server %s: replicas [%s]", s.Pool, s.Name, key)
		}
	}
}
