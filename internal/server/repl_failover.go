// repl_failover.go is the FAILOVER command (Redis 6.2+): a master hands
// over to one of its replicas without losing a write. It pauses writes,
// waits until a replica (the one named, or any) acknowledged the whole
// stream, becomes a replica of it and sends PSYNC ... FAILOVER, on which
// the replica promotes itself and continues the old master's history as
// its replid2, so the old master resyncs partially.
package server

import (
	"fmt"
	"strings"
	"time"
)

func init() {
	register("failover", cmdFailover)
}

// failoverState is master_failover_state.
type failoverState int

const (
	noFailover failoverState = iota
	failoverWaitForSync
	failoverInProgress
)

var failoverStateNames = [...]string{"no-failover", "waiting-for-sync", "failover-in-progress"}

// failover is a FAILOVER in progress (executor lock held).
type failover struct {
	state failoverState
	host  string // the target replica; "" until one caught up
	port  int
	end   time.Time // zero: no TIMEOUT
	force bool
}

func cmdFailover(c *Client, args [][]byte) {
	s := c.srv
	f := &s.repl.failover
	if s.cfg.ClusterEnabled {
		c.addError("ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.")
		return
	}
	if len(args) == 2 && strings.EqualFold(string(args[1]), "abort") {
		if f.state == noFailover {
			c.addError("ERR No failover in progress.")
			return
		}
		s.abortFailover("Failover manually aborted")
		c.w.OK()
		return
	}
	var timeout int64
	force, host, port := false, "", int64(0)
	for j := 1; j < len(args); j++ {
		opt := strings.ToLower(string(args[j]))
		switch {
		case opt == "timeout" && j+1 < len(args) && timeout == 0:
			v, ok := parseInt(args[j+1])
			if !ok {
				c.addError(errNotInt)
				return
			}
			if v <= 0 {
				c.addError("ERR FAILOVER timeout must be greater than 0")
				return
			}
			timeout = v
			j++
		case opt == "to" && j+2 < len(args) && host == "":
			v, ok := parseInt(args[j+2])
			if !ok {
				c.addError(errNotInt)
				return
			}
			host, port = string(args[j+1]), v
			j += 2
		case opt == "force" && !force:
			force = true
		default:
			c.addError(errSyntax)
			return
		}
	}
	switch {
	case f.state != noFailover:
		c.addError("ERR FAILOVER already in progress.")
		return
	case s.isReplica():
		c.addError("ERR FAILOVER is not valid when server is a replica.")
		return
	case len(s.repl.replicas) == 0:
		c.addError("ERR FAILOVER requires connected replicas.")
		return
	case force && (timeout == 0 || host == ""):
		c.addError("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
		return
	}
	if host != "" {
		l := s.findReplica(host, int(port))
		if l == nil {
			c.addError("ERR FAILOVER target HOST and PORT is not a replica.")
			return
		}
		if l.state != replOnline {
			c.addError("ERR FAILOVER target replica is not online.")
			return
		}
		f.host, f.port = host, int(port)
		s.log.Info(fmt.Sprintf("FAILOVER requested to %s:%d.", host, port))
	} else {
		s.log.Info("FAILOVER requested to any replica.")
	}
	if timeout > 0 {
		f.end = time.Now().Add(time.Duration(timeout) * time.Millisecond)
	}
	f.force = force
	f.state = failoverWaitForSync
	s.failoverPause = true
	c.w.OK()
}

// findReplica is the attached replica at host:port (its announced
// address, else its connection's, and its listening port).
func (s *Server) findReplica(host string, port int) *replicaLink {
	for _, l := range s.repl.replicas {
		if strings.EqualFold(l.host(), host) && l.listenPort == port {
			return l
		}
	}
	return nil
}

// updateFailover moves a waiting failover on: on its timeout it aborts
// (or, with FORCE, hands over anyway); once the target, or any replica,
// acknowledged the whole stream, the server becomes its replica and the
// handshake carries FAILOVER. Lock held.
func (s *Server) updateFailover() {
	f := &s.repl.failover
	if f.state != failoverWaitForSync {
		return
	}
	if !f.end.IsZero() && !time.Now().Before(f.end) {
		if f.force {
			s.log.Info(fmt.Sprintf("FAILOVER to %s:%d time out exceeded, failing over.", f.host, f.port))
			f.state = failoverInProgress
			s.setMaster(f.host, f.port)
			return
		}
		s.abortFailover("Replica never caught up before timeout")
		return
	}
	target := s.repl.offset()
	var caughtUp *replicaLink
	if f.host != "" {
		if l := s.findReplica(f.host, f.port); l != nil && l.ackOffset == target {
			caughtUp = l
		}
	} else {
		for _, l := range s.repl.replicas {
			if l.ackOffset == target {
				caughtUp = l
				f.host, f.port = l.host(), l.listenPort
				break
			}
		}
	}
	if caughtUp == nil {
		return
	}
	f.state = failoverInProgress
	s.log.Info(fmt.Sprintf("Failover target %s:%d is synced, failing over.", f.host, f.port))
	s.setMaster(f.host, f.port)
}

// abortFailover ends a failover that did not happen; one already handing
// over makes the server a master again.
func (s *Server) abortFailover(why string) {
	f := &s.repl.failover
	if f.state == noFailover {
		return
	}
	if f.host != "" {
		s.log.Info(fmt.Sprintf("FAILOVER to %s:%d aborted: %s", f.host, f.port, why))
	} else {
		s.log.Info("FAILOVER to any replica aborted: " + why)
	}
	if f.state == failoverInProgress {
		s.unsetMaster()
	}
	s.clearFailover()
}

// clearFailover forgets the failover and lets writes in again.
func (s *Server) clearFailover() {
	s.repl.failover = failover{}
	s.failoverPause = false
	s.wakePaused()
}

// psyncFailover handles PSYNC <replid> <offset> FAILOVER on a replica: a
// master handing over to it. It promotes itself when the master names the
// history it follows; false means the request was refused (replied).
func (s *Server) psyncFailover(c *Client, replid string) bool {
	s.log.Warn("Failover request received for replid " + replid + ".")
	if !s.isReplica() {
		c.addError("ERR PSYNC FAILOVER can't be sent to a master.")
		return false
	}
	if replid != s.repl.ids.Replid {
		c.addError("ERR PSYNC FAILOVER replid must match my replid.")
		return false
	}
	s.unsetMaster()
	s.log.Info(fmt.Sprintf("MASTER MODE enabled (failover request from '%s')", c.logDescription()))
	return true
}

// failoverHandshakeDone settles a failover in progress after the PSYNC
// FAILOVER reply: accepted (+CONTINUE or +FULLRESYNC) ends it; anything
// else aborts it, and the server is a master again. It reports whether
// the link goes on. Lock held.
func (s *Server) failoverHandshakeDone(accepted bool) bool {
	if s.repl.failover.state != failoverInProgress {
		return true
	}
	if accepted {
		s.clearFailover()
		return true
	}
	s.abortFailover("Failover target rejected psync request")
	return false
}
