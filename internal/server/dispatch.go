// dispatch.go is admission and execution of one command, as Redis's
// processCommand and call(): checks in a fixed order, each with its ready
// error reply, then the handler with timing, statistics and slowlog.
// Runs with the executor lock held.
package server

import (
	"fmt"
	"strings"
	"time"
)

func (c *Client) processCommand(args [][]byte) {
	s := c.srv
	if c.flags&flagCloseASAP != 0 {
		return // killed (CLIENT KILL) while its batch was waiting for the lock
	}
	c.sampleClientListInfo()
	replyStart := len(c.w.Buf)
	defer func() {
		c.applyReplyMode(replyStart)
		c.argv = nil
	}()

	// 1. Look the command up.
	sc, container := s.lookupCommand(args)
	if sc == nil {
		c.lastCmd = "" // CLIENT LIST shows cmd=NULL, as Redis
		if container != nil {
			c.reject(nil, fmt.Sprintf("ERR unknown subcommand '%.128s'. Try %s HELP.", args[1], strings.ToUpper(container.name)))
		} else {
			var b strings.Builder
			for i := 1; i < len(args) && b.Len() < 128; i++ {
				fmt.Fprintf(&b, "'%.*s' ", 128-b.Len(), args[i])
			}
			c.reject(nil, fmt.Sprintf("ERR unknown command '%.128s', with args beginning with: %s", args[0], b.String()))
		}
		return
	}
	c.cmd = sc
	c.lastCmd = sc.name
	c.argv = args

	// 2. Arity.
	if a := sc.meta.Arity; (a > 0 && len(args) != a) || len(args) < -a || sc.proc == nil {
		c.reject(sc, fmt.Sprintf("ERR wrong number of arguments for '%s' command", sc.name))
		return
	}

	// 2b. Protected commands (DEBUG) need their enable-*-command option.
	if sc.has(cmdAdmin) {
		if msg := c.protectedDenial(sc); msg != "" {
			c.reject(sc, msg)
			return
		}
	}

	// 3. Authentication.
	if !c.authenticated && !sc.has(cmdNoAuth) {
		c.reject(sc, "NOAUTH Authentication required.")
		return
	}

	// The master client of a replica is obeyed: the checks from here to
	// the MULTI queueing are for users (Redis's mustObeyClient).
	if c.flags&flagMaster != 0 {
		c.runAdmitted(sc, args)
		return
	}

	// 3a. ACL permissions of the client's user.
	if msg := c.aclDenial(sc, args); msg != "" {
		c.reject(sc, msg)
		return
	}

	// 3b. Commands flagged no_multi are refused inside a transaction.
	if c.flags&flagMulti != 0 && sc.has(cmdNoMulti) {
		c.reject(sc, "ERR Command not allowed inside a transaction")
		return
	}

	// 3c. Over maxmemory, evict; commands that may grow memory are refused
	// when eviction cannot get under the limit.
	s.preCommandOOM = s.cfg.MaxMemory != 0 && !s.ignoresMaxmemory() && s.performEvictions() == evictFail
	if s.preCommandOOM && c.rejectsOnOOM(sc) {
		c.reject(sc, errOOM)
		return
	}

	// 3d. After a failed background save, with stop-writes-on-bgsave-error,
	// writes (and PING, as Redis) are refused until a save succeeds.
	if s.writesDeniedByDiskError() && (c.isWriteCommand(sc) || sc.name == "ping") {
		c.reject(sc, errMisconf)
		return
	}
	if msg := s.aofWriteError(); msg != "" && (c.isWriteCommand(sc) || sc.name == "ping") {
		c.reject(sc, msg)
		return
	}

	// 3e. min-replicas-to-write: writes need enough replicas that
	// acknowledged within min-replicas-max-lag seconds.
	if !s.enoughGoodReplicas() && c.isWriteCommand(sc) {
		c.reject(sc, "NOREPLICAS Not enough good replicas to write.")
		return
	}

	// 3f. A read-only replica takes writes from its master only.
	if s.isReplica() && s.cfg.ReplicaReadOnly && c.isWriteCommand(sc) {
		c.reject(sc, "READONLY You can't write against a read only replica.")
		return
	}

	// 4. RESP2 clients in subscribed state may only run pub/sub commands.
	if c.flags&flagPubSub != 0 && c.w.Proto == 2 && !allowedInPubSub(sc) {
		c.reject(sc, fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", sc.name))
		return
	}

	// 4a. A replica whose link is down, with replica-serve-stale-data no,
	// only runs the commands flagged stale.
	if s.isReplica() && !s.linkUp() && !s.cfg.ReplicaServeStaleData && c.deniedWhenStale(sc) {
		c.reject(sc, "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
		return
	}

	// 4b. While a slow script runs, only allow_busy commands (cmd_script.go).
	if s.scriptBusy() && !sc.has(cmdAllowBusy) {
		c.reject(sc, s.busyError())
		return
	}

	// 5. While clients are paused (CLIENT PAUSE), wait outside the lock.
	if psc := c.pauseSubject(sc); s.pausedFor(psc) {
		c.waitWhilePaused(psc)
		if c.flags&flagCloseASAP != 0 {
			return
		}
		replyStart = len(c.w.Buf)
	}

	c.runAdmitted(sc, args)
}

// runAdmitted queues an admitted command inside MULTI, or runs it and
// serves the clients blocked on the keys it created.
func (c *Client) runAdmitted(sc *serverCommand, args [][]byte) {
	s := c.srv
	// 6. Inside MULTI, commands are queued for EXEC (cmd_multi.go).
	if c.flags&flagMulti != 0 && !sc.runsInsideMulti() {
		c.queueCommand(sc, args)
		c.w.Simple("QUEUED")
		return
	}

	c.call(sc, args)

	// 6. Serve the clients blocked on keys this command created (Redis's
	// handleClientsBlockedOnKeys after call(); EXEC and scripts reach here
	// once, after all their commands ran).
	if len(s.blocking.ready) > 0 {
		s.handleClientsBlockedOnKeys()
	}
}

// deniedWhenStale is Redis's is_denystale_command: a command without the
// stale flag, or EXEC of a transaction that queued one.
func (c *Client) deniedWhenStale(sc *serverCommand) bool {
	if sc.isExec() {
		for _, q := range c.mstate.queue {
			if !q.sc.has(cmdStale) {
				return true
			}
		}
		return false
	}
	return !sc.has(cmdStale)
}

func allowedInPubSub(sc *serverCommand) bool {
	switch sc.name {
	case "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset":
		return true
	}
	return false
}

// reject answers a command refused before execution. Inside MULTI the
// refusal dooms the transaction; a refused EXEC discards it.
func (c *Client) reject(sc *serverCommand, msg string) {
	if sc != nil {
		sc.rejected++
	}
	c.flagTransaction()
	if sc != nil && sc.isExec() {
		c.execAbort(msg, c.argv)
		return
	}
	c.addError(msg)
}

// call runs the handler, timing it and updating statistics. Commands run
// back to back under the lock, so the clock read that ends one command
// starts the next (Server.clockNext): one clock read per command, which
// matters where reading the clock is a syscall.
func (c *Client) call(sc *serverCommand, args [][]byte) {
	s := c.srv
	start := s.clockNext
	if start.IsZero() {
		start = time.Now()
	}
	// commands run by EXEC keep EXEC's instant, as one command
	nested := s.cmdTime != 0
	if !nested {
		s.cmdTime = start.UnixMilli()
	}
	c.errorsInCall = 0
	c.argv = args
	prevExecuting := s.pubsub.executing
	s.pubsub.executing = c
	dirtyBefore := s.beginPropagation(c)
	sc.proc(c, args)
	s.ks.Settle()
	s.endPropagation(c, dirtyBefore)
	s.pubsub.executing = prevExecuting
	if !nested {
		s.cmdTime = 0
	}
	end := time.Now()
	s.clockNext = end
	us := end.Sub(start).Microseconds()
	sc.calls++
	sc.usec += us
	if c.errorsInCall > 0 {
		sc.failed++
	}
	s.stats.commands++
	s.afterCall(c, sc, us)
	c.argv = nil
	c.origArgv = nil
}

// applyReplyMode drops the replies of the command just run when the client
// asked for CLIENT REPLY OFF or SKIP.
func (c *Client) applyReplyMode(start int) {
	if c.flags&(flagReplyOff|flagReplySkip) != 0 && start <= len(c.w.Buf) {
		c.w.Buf = c.w.Buf[:start]
	}
	c.restoreHeldPushes()
	if c.flags&flagReplySkip != 0 {
		c.flags &^= flagReplySkip
	}
	if c.flags&flagReplySkipNext != 0 {
		c.flags = c.flags&^flagReplySkipNext | flagReplySkip
	}
}
