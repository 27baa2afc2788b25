// propagate.go is the propagation stream: every command that changed the
// data set is turned into its effect and handed once, in execution order,
// to the consumers that must replay it (the AOF now, replicas later).
//
// As Redis's call()/alsoPropagate: a command is propagated when it moved
// the dirty counter, as its argv unless its handler rewrote it (EXPIRE as
// PEXPIREAT, SPOP as SREM...). The ops of one execution unit (a command,
// an EXEC, a script) are collected and emitted together when the unit
// ends, wrapped in MULTI/EXEC when there is more than one. Keys deleted by
// expiry or eviction are emitted at once as DEL (UNLINK with lazyfree),
// since they describe the state before the unit.
package server

import (
	"github.com/redoubt/redoubt/internal/keyspace"
)

// propTarget says which consumers an op is for (Redis's PROPAGATE_AOF and
// PROPAGATE_REPL): PUBLISH goes to replicas only.
type propTarget uint8

const (
	propAOF propTarget = 1 << iota
	propRepl
	propAll = propAOF | propRepl
)

// propOp is one command to propagate.
type propOp struct {
	db     int
	argv   [][]byte
	target propTarget
}

// propagationState is the pending ops of the running execution unit.
type propagationState struct {
	pending []propOp
	// depth is how many call()s are running (EXEC and scripts nest them);
	// the unit ends when it drops back to 0.
	depth int
	// off stops propagation while data is loaded from disk.
	off bool
}

// per-client propagation controls a handler sets while it runs
type clientPropagation struct {
	// rewritten replaces argv as what is propagated (rewritePropagation).
	rewritten [][]byte
	// prevent: the command itself is not propagated (its effects may be,
	// through alsoPropagate).
	prevent bool
	// force propagates even when the data set did not change.
	force propTarget
}

var (
	argMulti  = []byte("MULTI")
	argExec   = []byte("EXEC")
	argDel    = []byte("DEL")
	argUnlink = []byte("UNLINK")
)

// installPropagationHooks makes expired keys propagate as deletions.
func (s *Server) installPropagationHooks() {
	prev := s.ks.Hooks.Expired
	s.ks.Hooks.Expired = func(db *keyspace.DB, key string) {
		s.propagateDeletion(db.ID, key, s.cfg.LazyfreeExpire)
		if prev != nil {
			prev(db, key)
		}
	}
}

// propagateDeletion emits the deletion of a key the server removed on its
// own (expiry, eviction), outside any execution unit's ops.
func (s *Server) propagateDeletion(db int, key string, lazy bool) {
	if !s.propagating() {
		return
	}
	verb := argDel
	if lazy {
		verb = argUnlink
	}
	s.feedPropagation(db, [][]byte{verb, []byte(key)}, propAll)
}

// propagating tells whether anything consumes the stream.
func (s *Server) propagating() bool {
	return !s.prop.off && (s.aof.state != aofOff || s.repl.backlog != nil)
}

// rewritePropagation makes the running command propagate as argv.
func (c *Client) rewritePropagation(argv ...[]byte) {
	c.prop.rewritten = argv
}

// preventPropagation keeps the running command itself out of the stream.
func (c *Client) preventPropagation() { c.prop.prevent = true }

// forcePropagation propagates the running command to target even if it
// did not change the data set (PUBLISH to replicas).
func (c *Client) forcePropagation(target propTarget) { c.prop.force |= target }

// alsoPropagate adds an op in the client's database to the running unit,
// before the command's own (which handlers usually prevent).
func (c *Client) alsoPropagate(argv ...[]byte) {
	c.srv.alsoPropagate(c.db.ID, argv, propAll)
}

func (s *Server) alsoPropagate(db int, argv [][]byte, target propTarget) {
	if !s.propagating() {
		return
	}
	if s.prop.depth > 1 {
		// inside EXEC or a script the op waits for the unit's end, while
		// the script engine reuses its argument buffers: keep a copy
		argv = cloneArgv(argv)
	}
	s.prop.pending = append(s.prop.pending, propOp{db: db, argv: argv, target: target})
}

// cloneArgv copies argv and its arguments into one allocation.
func cloneArgv(argv [][]byte) [][]byte {
	n := 0
	for _, a := range argv {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(argv))
	for i, a := range argv {
		buf = append(buf, a...)
		out[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	return out
}

// beginPropagation starts one call(): it resets the client's controls and
// returns the dirty counter to compare with at the end.
func (s *Server) beginPropagation(c *Client) int64 {
	s.prop.depth++
	c.prop = clientPropagation{}
	return s.intro.dirty
}

// endPropagation ends one call(): the command is queued if it changed
// data, and the unit's ops are emitted when the outermost call ends.
func (s *Server) endPropagation(c *Client, dirtyBefore int64) {
	target := c.prop.force
	// the counter can also go down (SAVE, DEBUG LOADAOF): not a change
	if s.intro.dirty > dirtyBefore {
		target |= propAll
	}
	argv := c.argv
	if c.prop.rewritten != nil {
		argv = c.prop.rewritten
	}
	// argv is nil for a blocked client served by another's command: its
	// serve function must say what it propagates
	if target != 0 && !c.prop.prevent && len(argv) > 0 {
		s.alsoPropagate(c.db.ID, argv, target)
	}
	c.prop = clientPropagation{}
	s.prop.depth--
	if s.prop.depth == 0 && len(s.prop.pending) > 0 {
		s.propagatePending()
	}
}

// propagatePending emits the ops of the unit that just ended: one op as
// it is, several as a MULTI/EXEC block (in the first op's database).
func (s *Server) propagatePending() {
	ops := s.prop.pending
	wrap := len(ops) > 1
	if wrap {
		s.feedPropagation(ops[0].db, [][]byte{argMulti}, propAll)
	}
	for i := range ops {
		s.feedPropagation(ops[i].db, ops[i].argv, ops[i].target)
		ops[i] = propOp{}
	}
	if wrap {
		s.feedPropagation(ops[0].db, [][]byte{argExec}, propAll)
	}
	s.prop.pending = ops[:0]
}

// feedPropagation hands one op to the stream's consumers.
func (s *Server) feedPropagation(db int, argv [][]byte, target propTarget) {
	if target&propAOF != 0 && s.aof.state != aofOff {
		s.aof.feed(s, db, argv)
	}
	// a replica passes its master's stream on as it is (applyFromMaster):
	// its own changes are not its replicas' business
	if target&propRepl != 0 && !s.isReplica() {
		s.feedReplicas(db, argv)
	}
}

var (
	argPexpireat = []byte("PEXPIREAT")
	argSet       = []byte("SET")
	argPXAT      = []byte("PXAT")
	argKeepTTL   = []byte("KEEPTTL")
)

// propagateAsPexpireat makes the running command propagate as the
// absolute expire it set (EXPIRE, SET EX, GETEX...: replayed later, a
// relative time would mean another instant).
func (c *Client) propagateAsPexpireat(key []byte, when int64) {
	c.rewritePropagation(argPexpireat, key, []byte(itoa(when)))
}

// propagateAsDel makes the running command propagate as the deletion of
// key (an expire time in the past, GETDEL...); lazy picks UNLINK.
func (c *Client) propagateAsDel(key []byte, lazy bool) {
	verb := argDel
	if lazy {
		verb = argUnlink
	}
	c.rewritePropagation(verb, key)
}

var argSrem = []byte("SREM")

// propagateBatch is how many elements one propagated command carries when
// a command's effect is split (SPOP count as SREMs), as Redis's 1024.
const propagateBatch = 1024

// propagateInBatches replaces the running command by verb key elems...,
// in commands of at most propagateBatch elements.
func (c *Client) propagateInBatches(verb, key []byte, elems [][]byte) {
	c.preventPropagation()
	for len(elems) > 0 {
		n := min(len(elems), propagateBatch)
		argv := make([][]byte, 0, n+2)
		argv = append(argv, verb, key)
		c.alsoPropagate(append(argv, elems[:n]...)...)
		elems = elems[n:]
	}
}
