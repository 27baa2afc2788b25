// cmd_repl.go holds the replication commands a client uses on a master:
// ROLE and WAIT. WAIT counts the replicas whose REPLCONF ACK reached the
// master's offset at the time of the call, blocking until enough have or
// the timeout passes (0: never).
package server

import (
	"strconv"
	"time"
)

func init() {
	register("role", cmdRole)
	register("wait", cmdWait)
}

func cmdRole(c *Client, args [][]byte) {
	s := c.srv
	if s.isReplica() {
		s.roleReplica(c)
		return
	}
	c.w.ArrayLen(3)
	c.w.BulkString("master")
	c.w.Int(s.repl.offset())
	online := 0
	for _, l := range s.repl.replicas {
		if l.state == replOnline {
			online++
		}
	}
	c.w.ArrayLen(online)
	for _, l := range s.repl.replicas {
		if l.state != replOnline {
			continue
		}
		c.w.ArrayLen(3)
		c.w.BulkString(l.host())
		c.w.BulkString(strconv.Itoa(l.listenPort))
		c.w.BulkString(strconv.FormatInt(l.ackOffset, 10))
	}
}

func cmdWait(c *Client, args [][]byte) {
	s := c.srv
	if s.isReplica() {
		c.addError("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
		return
	}
	want, ok := c.intArg(args[1])
	if !ok {
		return
	}
	deadline, ok := c.timeoutArg(args[2], false)
	if !ok {
		return
	}
	target := s.repl.offset()
	acked := s.replicasAcked(target)
	if acked >= int64(want) || c.denyBlocking() {
		c.w.Int(acked)
		return
	}
	// blocked on no key: acknowledgements (replicaAcked), the timeout or
	// CLIENT UNBLOCK end it
	c.waitTarget, c.waitWant = target, want
	s.repl.waiting = append(s.repl.waiting, c)
	// ask for acknowledgements now rather than waiting for the replicas'
	// once-a-second ACK (part of the stream, as in Redis)
	s.feedReplicas(s.repl.selDB, [][]byte{[]byte("REPLCONF"), []byte("GETACK"), []byte("*")})
	c.blockForKeys(0, nil, deadline, nil, func(c *Client) {
		c.srv.forgetWaiting(c)
		c.w.Int(c.srv.replicasAcked(c.waitTarget))
	})
}

// replicasAcked counts the replicas that acknowledged offset.
func (s *Server) replicasAcked(offset int64) int64 {
	n := int64(0)
	for _, l := range s.repl.replicas {
		if l.state == replOnline && l.ackOffset >= offset {
			n++
		}
	}
	return n
}

// replicaAcked answers the WAITs a new acknowledgement satisfies (lock
// held).
func (s *Server) replicaAcked() {
	kept := s.repl.waiting[:0]
	for _, c := range s.repl.waiting {
		if c.blocked == nil {
			continue // unblocked otherwise (CLIENT UNBLOCK, disconnect)
		}
		if n := s.replicasAcked(c.waitTarget); n >= c.waitWant {
			c.w.Int(n)
			s.unblockClient(c)
			continue
		}
		kept = append(kept, c)
	}
	s.repl.waiting = kept
}

func (s *Server) forgetWaiting(c *Client) {
	for i, w := range s.repl.waiting {
		if w == c {
			s.repl.waiting = append(s.repl.waiting[:i], s.repl.waiting[i+1:]...)
			return
		}
	}
}

// enoughGoodReplicas is Redis's checkGoodReplicasStatus: with
// min-replicas-to-write and min-replicas-max-lag both set, at least that
// many online replicas acknowledged within the lag.
func (s *Server) enoughGoodReplicas() bool {
	want, maxLag := s.cfg.MinReplicasToWrite, s.cfg.MinReplicasMaxLag
	if want == 0 || maxLag == 0 || s.isReplica() {
		return true
	}
	good := int64(0)
	for _, l := range s.repl.replicas {
		if l.state == replOnline && time.Since(l.ackTime) <= time.Duration(maxLag)*time.Second {
			good++
		}
	}
	return good >= int64(want)
}
