// cmd_multi.go holds transactions, as Redis's multi.c: MULTI makes dispatch
// queue a client's commands, EXEC runs the queue back to back under the
// executor lock (so nothing interleaves), DISCARD drops it, and WATCH gives
// EXEC an optimistic check: EXEC does nothing when a watched key was
// modified, flushed, swapped or expired since it was watched.
package server

import (
	"slices"
	"strings"

	"github.com/redoubt/redoubt/internal/keyspace"
)

func init() {
	register("multi", cmdMulti)
	register("exec", cmdExec)
	register("discard", cmdDiscard)
	register("watch", cmdWatch)
	register("unwatch", cmdUnwatch)
	clientResetHooks = append(clientResetHooks, (*Client).discardTransaction)
}

const (
	errExecAbort = "EXECABORT Transaction discarded because of previous errors."
	// Sizes Redis counts for multi-mem: a queue slot (multiCmd), an
	// argument pointer, and a watched key's list node plus record.
	queuedCommandOverhead = 24
	argPointerSize        = 8
	watchedKeyOverhead    = 24 + 32
)

// multiState is a client's transaction: the queued commands and why EXEC
// must not run them.
type multiState struct {
	queue []queuedCommand
	// dirtyExec: a command was refused while queueing; EXEC aborts.
	dirtyExec bool
	// dirtyCAS: a watched key was touched; EXEC replies a null array.
	dirtyCAS bool
	watched  []*watchedKey
	// argvBytes and slots are what multi-mem counts of the queue.
	argvBytes int
	slots     int
}

type queuedCommand struct {
	sc   *serverCommand
	args [][]byte
}

// watchedKey is one key a client watches; the server's registry and the
// client's list share it.
type watchedKey struct {
	db     *keyspace.DB
	key    string
	client *Client
	// expired: the key was already logically expired when watched, so its
	// deletion by expiry is no change.
	expired bool
}

// watchRegistry finds the watchers of a key: database, then key, then the
// watchers in the order they watched.
type watchRegistry map[*keyspace.DB]map[string][]*watchedKey

// runsInsideMulti tells whether a client in MULTI runs sc at once rather
// than queueing it: the transaction's own commands, and the ones that end
// the connection's state.
func (sc *serverCommand) runsInsideMulti() bool {
	switch sc.name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

func (sc *serverCommand) isExec() bool { return sc.name == "exec" }

// queueCommand appends a command to the transaction. The arguments point
// into the read buffer, so they are copied. An already failed transaction
// keeps nothing, as Redis does not.
func (c *Client) queueCommand(sc *serverCommand, args [][]byte) {
	ms := &c.mstate
	if ms.dirtyExec || ms.dirtyCAS {
		return
	}
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	argv := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		argv[i] = buf[len(buf)-len(a):]
	}
	if len(ms.queue) == ms.slots {
		ms.slots = max(2, ms.slots*2)
	}
	ms.queue = append(ms.queue, queuedCommand{sc: sc, args: argv})
	ms.argvBytes += n + argPointerSize*len(args)
}

// flagTransaction makes EXEC abort: a command was refused while queueing.
func (c *Client) flagTransaction() {
	if c.flags&flagMulti != 0 {
		c.mstate.dirtyExec = true
	}
}

// execAbort is EXEC refused by admission: the transaction is discarded and
// the reason reported under EXECABORT (without the generic ERR code, as
// Redis words it). MONITOR still sees the EXEC, so the MULTI it saw is
// closed.
func (c *Client) execAbort(msg string, args [][]byte) {
	c.discardTransaction()
	c.addError("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR "))
	if len(c.srv.intro.monitors) > 0 && args != nil {
		c.srv.feedMonitors(c, args)
	}
}

// discardTransaction leaves MULTI, dropping the queue and the watches.
func (c *Client) discardTransaction() {
	c.mstate.queue = nil
	c.mstate.argvBytes, c.mstate.slots = 0, 0
	c.mstate.dirtyExec, c.mstate.dirtyCAS = false, false
	c.flags &^= flagMulti
	c.unwatchAll()
}

// multiMem is CLIENT LIST's multi-mem: the queued arguments.
func (c *Client) multiMem() int { return c.mstate.argvBytes }

// multiOverhead is what a transaction adds to CLIENT LIST's tot-mem: the
// queued arguments, the queue's slots and the watched keys.
func (c *Client) multiOverhead() int {
	ms := &c.mstate
	return ms.argvBytes + len(ms.watched)*watchedKeyOverhead + ms.slots*queuedCommandOverhead
}

// pauseSubject is the command CLIENT PAUSE judges: EXEC counts as a write
// when it would run one.
func (c *Client) pauseSubject(sc *serverCommand) *serverCommand {
	if !sc.isExec() || c.flags&flagMulti == 0 {
		return sc
	}
	for _, q := range c.mstate.queue {
		if q.sc.has(cmdWrite) || mayReplicate[q.sc.name] {
			return q.sc
		}
	}
	return sc
}

func cmdMulti(c *Client, args [][]byte) {
	if c.flags&flagMulti != 0 {
		c.addError("ERR MULTI calls can not be nested")
		return
	}
	c.flags |= flagMulti
	c.w.OK()
}

func cmdDiscard(c *Client, args [][]byte) {
	if c.flags&flagMulti == 0 {
		c.addError("ERR DISCARD without MULTI")
		return
	}
	c.discardTransaction()
	c.w.OK()
}

func cmdExec(c *Client, args [][]byte) {
	if c.flags&flagMulti == 0 {
		c.addError("ERR EXEC without MULTI")
		return
	}
	if c.watchedKeyExpired() {
		c.mstate.dirtyCAS = true
	}
	if c.mstate.dirtyExec || c.mstate.dirtyCAS {
		if c.mstate.dirtyExec {
			c.addError(errExecAbort)
		} else {
			c.w.NullArray()
		}
		c.discardTransaction()
		return
	}
	c.unwatchAll() // nothing can touch the keys any more: stop tracking them
	execCmd := c.cmd
	queue := c.mstate.queue
	c.w.ArrayLen(len(queue))
	for _, q := range queue {
		c.cmd = q.sc
		c.execRunning = true
		msg := c.aclExecDenial(q.sc, q.args)
		c.execRunning = false
		if msg != "" {
			c.addError(msg)
			continue
		}
		c.call(q.sc, q.args)
	}
	c.cmd = execCmd
	c.argv = args
	// the queued commands propagated their effects, as one unit
	c.preventPropagation()
	// errors of the queued commands are theirs: EXEC itself succeeded
	c.errorsInCall = 0
	c.discardTransaction()
}

func cmdWatch(c *Client, args [][]byte) {
	if c.flags&flagMulti != 0 {
		c.addError("ERR WATCH inside MULTI is not allowed")
		return
	}
	if !c.mstate.dirtyCAS { // else EXEC fails anyway
		for _, key := range args[1:] {
			c.watchKey(string(key))
		}
	}
	c.w.OK()
}

func cmdUnwatch(c *Client, args [][]byte) {
	c.unwatchAll()
	c.mstate.dirtyCAS = false
	c.w.OK()
}

func (c *Client) watchKey(key string) {
	for _, wk := range c.mstate.watched {
		if wk.db == c.db && wk.key == key {
			return
		}
	}
	s := c.srv
	if s.watches == nil {
		s.watches = watchRegistry{}
	}
	byKey := s.watches[c.db]
	if byKey == nil {
		byKey = map[string][]*watchedKey{}
		s.watches[c.db] = byKey
	}
	wk := &watchedKey{db: c.db, key: key, client: c, expired: keyIsExpired(c.db, key)}
	byKey[key] = append(byKey[key], wk)
	c.mstate.watched = append(c.mstate.watched, wk)
	s.syncKeyModifiedHook()
}

// unwatchAll forgets every key the client watches.
func (c *Client) unwatchAll() {
	s := c.srv
	if len(c.mstate.watched) == 0 {
		return
	}
	for _, wk := range c.mstate.watched {
		byKey := s.watches[wk.db]
		list := slices.DeleteFunc(byKey[wk.key], func(x *watchedKey) bool { return x == wk })
		if len(list) == 0 {
			delete(byKey, wk.key)
			if len(byKey) == 0 {
				delete(s.watches, wk.db)
			}
		} else {
			byKey[wk.key] = list
		}
	}
	c.mstate.watched = nil
	s.syncKeyModifiedHook()
}

// syncKeyModifiedHook installs the keyspace's KeyModified hook only while
// some client watches a key: every write calls it, and passing it the key
// costs an allocation.
func (s *Server) syncKeyModifiedHook() {
	switch {
	case len(s.watches) == 0:
		s.ks.Hooks.KeyModified = nil
	case s.ks.Hooks.KeyModified == nil:
		s.ks.Hooks.KeyModified = s.touchWatchedKey
	}
}

// keyIsExpired tells whether key exists with its TTL passed, without
// deleting it.
func keyIsExpired(db *keyspace.DB, key string) bool {
	e := db.Peek([]byte(key))
	return e != nil && db.IsExpired(e)
}

// watchedKeyExpired tells whether a watched key expired since it was
// watched (it may not have been deleted yet): EXEC treats that as a change.
func (c *Client) watchedKeyExpired() bool {
	for _, wk := range c.mstate.watched {
		if !wk.expired && keyIsExpired(wk.db, wk.key) {
			return true
		}
	}
	return false
}

// installWatchHooks makes flushes and swaps invalidate watches (key
// modifications are hooked while keys are watched: syncKeyModifiedHook).
// Hooks installed before are kept and run first.
func (s *Server) installWatchHooks() {
	h := &s.ks.Hooks
	prevFlushed, prevSwapped := h.Flushed, h.Swapped
	h.Flushed = func(db *keyspace.DB) {
		if prevFlushed != nil {
			prevFlushed(db)
		}
		if db != nil {
			s.touchAllWatchedKeysInDB(db, db, nil)
			return
		}
		for _, d := range s.ks.DBs {
			s.touchAllWatchedKeysInDB(d, d, nil)
		}
	}
	h.Swapped = func(a, b *keyspace.DB) {
		if prevSwapped != nil {
			prevSwapped(a, b)
		}
		// called after the swap: a's former keys are now in b and b's in a
		s.touchAllWatchedKeysInDB(a, b, a)
		s.touchAllWatchedKeysInDB(b, a, b)
	}
}

// touchWatchedKey marks the clients watching key as dirty, as Redis's
// touchWatchedKey, including its quirks: the deletion of a key that was
// already expired when watched is no change (and clears that state), and
// meeting such a watcher while the key still exists ends the walk.
func (s *Server) touchWatchedKey(db *keyspace.DB, key string) {
	if len(s.watches) == 0 {
		return
	}
	list := s.watches[db][key]
	if len(list) == 0 {
		return
	}
	for _, wk := range slices.Clone(list) {
		if wk.expired {
			if db.Peek([]byte(key)) == nil {
				wk.expired = false
				continue
			}
			break
		}
		wk.client.mstate.dirtyCAS = true
		wk.client.unwatchAll() // dirty already: later changes need no tracking
	}
}

// touchAllWatchedKeysInDB marks dirty the watchers of db's keys that a
// flush or swap changes. For a flush, inDB is db before it is emptied and
// replacedBy nil; for SWAPDB (called after the swap), inDB holds what db
// held before and replacedBy what it holds now. A key that existed in
// neither is untouched; expired keys follow Redis's rules.
func (s *Server) touchAllWatchedKeysInDB(db, inDB, replacedBy *keyspace.DB) {
	byKey := s.watches[db]
	for key, list := range byKey {
		existed := inDB.Peek([]byte(key)) != nil
		replacedExists := replacedBy != nil && replacedBy.Peek([]byte(key)) != nil
		if !existed && !replacedExists {
			continue
		}
		for _, wk := range list {
			if wk.expired {
				if !replacedExists {
					wk.expired = false // an expired key deleted: no change
					continue
				} else if keyIsExpired(replacedBy, key) {
					continue // expired before, expired after
				}
			} else if !existed && keyIsExpired(replacedBy, key) {
				wk.expired = true // nothing replaced by an expired key
				continue
			}
			wk.client.mstate.dirtyCAS = true
		}
	}
}
