// blocking.go is the machinery of blocking commands (BLPOP and friends now,
// BZPOP* and XREAD BLOCK later), as Redis's blocked.c: a command that finds
// all its keys empty registers its client as blocked on them, with a
// deadline and a serve function, and returns without a reply. Commands that
// create one of those keys mark it ready (the keyspace's Added hook, like
// signalKeyAsReady in dbAdd); after the command completes, dispatch calls
// handleClientsBlockedOnKeys, which serves the clients blocked on each ready
// key in the order they blocked, writing each reply into the served client's
// own buffer under the executor lock.
//
// The blocked client's connection goroutine releases the lock and keeps
// reading its socket (pipelined commands are buffered, not run; a closed
// connection is noticed at once, as Redis frees a client that disconnects
// while blocked). It is woken by moving its read deadline to the past; the
// deadline is also its timeout. A client blocked on several keys is served
// by the first one that gets data; a key is queued once however often it
// is signalled.
package server

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("client|unblock", cmdClientUnblock)
}

const (
	errTimeoutNotFloat = "ERR timeout is not a float or out of range"
	errTimeoutNotInt   = "ERR timeout is not an integer or out of range"
	errTimeoutNegative = "ERR timeout is negative"
)

// serveBlockedFunc serves client r, blocked on key, now that key holds e (a
// value of the kind r waits for): it does the pop (or read) and writes the
// reply into r's buffer. It returns false when r must keep waiting (a stream
// whose new entries do not satisfy it).
type serveBlockedFunc func(r *Client, key []byte, e *keyspace.Entry) bool

// blockedOn is what a blocked client waits for.
type blockedOn struct {
	db   *keyspace.DB
	kind keyspace.Kind // the value type that can serve it
	keys []string      // distinct, in the order given
	// timeout is the unix ms after which the client gets its timeout
	// reply; 0 waits forever.
	timeout int64
	serve   serveBlockedFunc
	// onTimeout writes the reply for a timeout (nil: a null array).
	onTimeout func(c *Client)
	cmd       *serverCommand
	// done is set under the lock when the client was unblocked; its
	// connection goroutine then resumes with the reply in its buffer.
	done bool
}

// readyKey is a key that was created while clients were blocked on it.
type readyKey struct {
	db  *keyspace.DB
	key string
}

// blockingState is the server side of blocking: per database, the clients
// blocked on each key in blocking order, and the keys ready to serve.
type blockingState struct {
	byKey    []map[string][]*Client // indexed by DB ID
	ready    []readyKey
	readySet []map[string]bool
	clients  int // blocked on keys
	byKind   [keyspace.KindStream + 1]int
	// withTimeout counts blocked clients with a deadline (INFO
	// clients_in_timeout_table).
	withTimeout int
}

// installBlockingHooks connects key creation and SWAPDB to the readiness of
// blocked keys.
func (s *Server) installBlockingHooks() {
	n := len(s.ks.DBs)
	s.blocking.byKey = make([]map[string][]*Client, n)
	s.blocking.readySet = make([]map[string]bool, n)
	s.ks.Hooks.Added = func(db *keyspace.DB, e *keyspace.Entry) {
		s.signalKeyAsReady(db, e.Key, e.Value.Kind())
	}
	prevSwapped := s.ks.Hooks.Swapped
	s.ks.Hooks.Swapped = func(a, b *keyspace.DB) {
		if prevSwapped != nil {
			prevSwapped(a, b)
		}
		// clients stay blocked on the database number; what it holds changed
		s.scanDatabaseForReadyKeys(a)
		s.scanDatabaseForReadyKeys(b)
	}
}

// signalKeyAsReady queues key for serving if clients wait on it for a
// value of its kind.
func (s *Server) signalKeyAsReady(db *keyspace.DB, key string, kind keyspace.Kind) {
	bs := &s.blocking
	if int(kind) >= len(bs.byKind) || bs.byKind[kind] == 0 {
		return
	}
	if len(bs.byKey[db.ID][key]) == 0 || bs.readySet[db.ID][key] {
		return
	}
	if bs.readySet[db.ID] == nil {
		bs.readySet[db.ID] = map[string]bool{}
	}
	bs.readySet[db.ID][key] = true
	bs.ready = append(bs.ready, readyKey{db, key})
}

func (s *Server) scanDatabaseForReadyKeys(db *keyspace.DB) {
	for key := range s.blocking.byKey[db.ID] {
		if e := db.Peek([]byte(key)); e != nil {
			s.signalKeyAsReady(db, key, e.Value.Kind())
		}
	}
}

// denyBlocking tells whether a blocking command must answer at once instead
// of blocking: inside MULTI/EXEC (and, later, scripts), as Redis's
// CLIENT_DENY_BLOCKING.
func (c *Client) denyBlocking() bool { return c.flags&flagMulti != 0 }

// blockForKeys blocks c on keys (duplicates ignored) until one of them
// holds a value of kind and serve accepts it, or the timeout (unix ms, 0:
// never) passes. The handler returns without a reply.
func (c *Client) blockForKeys(kind keyspace.Kind, keys [][]byte, timeout int64, serve serveBlockedFunc, onTimeout func(*Client)) {
	s := c.srv
	bs := &s.blocking
	b := &blockedOn{db: c.db, kind: kind, timeout: timeout, serve: serve, onTimeout: onTimeout, cmd: c.cmd}
	if bs.byKey[c.db.ID] == nil {
		bs.byKey[c.db.ID] = map[string][]*Client{}
	}
	for _, k := range keys {
		key := string(k)
		dup := false
		for _, seen := range b.keys {
			if seen == key {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		b.keys = append(b.keys, key)
		bs.byKey[c.db.ID][key] = append(bs.byKey[c.db.ID][key], c)
	}
	bs.clients++
	bs.byKind[kind]++
	if timeout != 0 {
		bs.withTimeout++
	}
	c.blocked = b
}

// unblockClient removes c from the keys it waits on and wakes its
// connection goroutine. The reply (if any) was written before.
func (s *Server) unblockClient(c *Client) {
	b := c.blocked
	if b == nil {
		return
	}
	bs := &s.blocking
	waiting := bs.byKey[b.db.ID]
	for _, key := range b.keys {
		list := waiting[key]
		for i, w := range list {
			if w == c {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(waiting, key)
		} else {
			waiting[key] = list
		}
	}
	bs.clients--
	bs.byKind[b.kind]--
	if b.timeout != 0 {
		bs.withTimeout--
	}
	c.blocked = nil
	b.done = true
	// wake the goroutine out of its read
	c.conn.SetReadDeadline(time.Unix(1, 0))
}

// handleClientsBlockedOnKeys serves the clients blocked on the keys made
// ready by the command that just ran. Serving can make more keys ready
// (BLMOVE pushes to its destination): they are served in further rounds.
func (s *Server) handleClientsBlockedOnKeys() {
	bs := &s.blocking
	saved := s.cmdTime
	for len(bs.ready) > 0 {
		ready := bs.ready
		bs.ready = nil
		for _, rk := range ready {
			delete(bs.readySet[rk.db.ID], rk.key)
			// one instant per key, so a value looked up twice cannot
			// expire in between
			s.cmdTime = time.Now().UnixMilli()
			s.serveClientsBlockedOnKey(rk.db, rk.key)
		}
	}
	s.cmdTime = saved
}

// serveClientsBlockedOnKey serves the clients blocked on key, first blocked
// first, while the key still holds a value they wait for.
func (s *Server) serveClientsBlockedOnKey(db *keyspace.DB, key string) {
	queue := s.blocking.byKey[db.ID][key]
	if len(queue) == 0 {
		return
	}
	queue = append([]*Client(nil), queue...)
	kb := []byte(key)
	for _, r := range queue {
		e := db.LookupNoStats(kb)
		if e == nil {
			return // emptied and deleted by the clients served so far
		}
		b := r.blocked
		if b == nil || b.db != db || b.kind != e.Value.Kind() {
			continue
		}
		r.errorsInCall = 0
		// each client served is one execution unit: its serve function
		// rewrites what it propagates (BLPOP served as LPOP...)
		dirtyBefore := s.beginPropagation(r)
		served := b.serve(r, kb, e)
		s.endPropagation(r, dirtyBefore)
		if !served {
			continue
		}
		if b.cmd != nil && r.errorsInCall > 0 {
			b.cmd.failed++
		}
		s.unblockClient(r)
	}
}

// blockedClientsCount is INFO's blocked_clients: clients blocked on keys
// plus clients held by CLIENT PAUSE, which Redis also counts as blocked.
func (s *Server) blockedClientsCount() int {
	n := s.blocking.clients
	for _, c := range s.clients {
		if c.pausedWaiting {
			n++
		}
	}
	return n
}

// waitWhileBlocked is run by c's connection goroutine, with the executor
// lock held, after a command blocked c. It sends the replies produced so
// far, releases the lock and reads the socket (buffering input) until c is
// served, unblocked, times out, is killed or disconnects. It returns with
// the lock held; false means the connection must close.
func (c *Client) waitWhileBlocked() bool {
	s := c.srv
	b := c.blocked
	pending := append([]byte(nil), c.w.Buf...)
	c.w.Reset()
	// armed under the lock: a wake-up (deadline in the past) set once the
	// lock is released must not be overwritten
	if b.timeout != 0 {
		c.conn.SetReadDeadline(time.UnixMilli(b.timeout))
	}
	c.noteAOFWait()
	s.mu.Unlock()
	c.awaitAOF()
	writeOK := c.writeOut(pending)
	for {
		var n int
		var err error
		if writeOK {
			n, err = c.rd.Fill(c.io)
		} else {
			err = errors.New("write failed")
		}
		if n > 0 {
			c.totalNetIn += int64(n)
			s.stats.netInput.Add(int64(n))
		}
		s.mu.Lock()
		if b.done {
			c.conn.SetReadDeadline(time.Time{})
			return c.flags&flagCloseASAP == 0
		}
		timedOut := errors.Is(err, os.ErrDeadlineExceeded)
		if (err != nil && !timedOut) || c.flags&flagCloseASAP != 0 ||
			int64(c.rd.Buffered()) > s.cfg.ClientQueryBufferLimit {
			s.unblockClient(c)
			return false
		}
		if timedOut && b.timeout != 0 && time.Now().UnixMilli() >= b.timeout {
			c.replyBlockedTimeout(b)
			s.unblockClient(c)
			c.conn.SetReadDeadline(time.Time{})
			return true
		}
		if timedOut {
			c.conn.SetReadDeadline(time.UnixMilli(b.timeout))
		}
		s.mu.Unlock()
	}
}

// replyBlockedTimeout writes the reply of a blocked command whose time ran out.
func (c *Client) replyBlockedTimeout(b *blockedOn) {
	if b.onTimeout != nil {
		b.onTimeout(c)
		return
	}
	c.w.NullArray()
}

// writeOut sends b to the client outside the lock, like flush.
func (c *Client) writeOut(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if c.async != nil {
		c.pushAsync(b)
		return true
	}
	c.srv.intro.writesProcessed.Add(1)
	n, err := c.io.Write(b)
	c.totalNetOut += int64(n)
	c.srv.stats.netOutput.Add(int64(n))
	return err == nil
}

// cloneCommands copies parsed requests out of the query buffer, which
// reading while blocked reuses.
func cloneCommands(cmds [][][]byte) [][][]byte {
	out := make([][][]byte, len(cmds))
	for i, args := range cmds {
		cp := make([][]byte, len(args))
		for j, a := range args {
			cp[j] = append([]byte(nil), a...)
		}
		out[i] = cp
	}
	return out
}

// timeoutArg parses the timeout of a blocking command as Redis's
// getTimeoutFromObjectOrReply: seconds as a long double (inSeconds) or
// integer milliseconds, ceiled to ms; 0 means forever; the result is an
// absolute unix ms time.
func (c *Client) timeoutArg(arg []byte, inSeconds bool) (int64, bool) {
	var ms int64
	if inSeconds {
		x, ok := types.ParseLongDouble(arg)
		if !ok {
			c.addError(errTimeoutNotFloat)
			return 0, false
		}
		ms = x.CeilMulInt64(1000)
	} else {
		n, ok := parseInt(arg)
		if !ok {
			c.addError(errTimeoutNotInt)
			return 0, false
		}
		ms = n
	}
	if ms < 0 {
		c.addError(errTimeoutNegative)
		return 0, false
	}
	if ms > 0 {
		ms += c.srv.now()
	}
	return ms, true
}

// CLIENT UNBLOCK <id> [TIMEOUT|ERROR]
func cmdClientUnblock(c *Client, args [][]byte) {
	if len(args) > 4 {
		c.addError(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try CLIENT HELP.", args[1]))
		return
	}
	withError := false
	if len(args) == 4 {
		switch {
		case equalFoldASCII(args[3], "timeout"):
		case equalFoldASCII(args[3], "error"):
			withError = true
		default:
			c.addError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	id, ok := c.intArg(args[2])
	if !ok {
		return
	}
	target := c.srv.clients[id]
	if target == nil || target.blocked == nil {
		c.w.Int(0)
		return
	}
	b := target.blocked
	if withError {
		target.addError("UNBLOCKED client unblocked via CLIENT UNBLOCK")
		if b.cmd != nil {
			b.cmd.failed++
		}
	} else {
		target.replyBlockedTimeout(b)
	}
	c.srv.unblockClient(target)
	c.w.Int(1)
}

func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x := b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if x != s[i] {
			return false
		}
	}
	return true
}
