// repl_master.go is the master side of replication, first part: a replica
// (real Redis or redoubt) that sends PSYNC gets a full resynchronisation —
// +FULLRESYNC, the fork-less snapshot streamed as a diskless RDB payload
// ($EOF:<mark> ... <mark>) — and then the propagation stream, with a PING
// every repl-ping-replica-period. REPLCONF ACK offsets are recorded.
// A PSYNC for a history the backlog still holds continues instead
// (+CONTINUE and the missing bytes), as Redis decides it
// (replication.TryPartialResync).
package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redoubt/redoubt/internal/aof"
	"github.com/redoubt/redoubt/internal/replication"
	"github.com/redoubt/redoubt/internal/resp"
)

func init() {
	register("replconf", cmdReplconf)
	register("psync", cmdPsync)
	register("sync", cmdSync)
}

// replMaster is the server's state as a master (executor lock held).
type replMaster struct {
	selDB int // database of the last SELECT in the stream (-1: none)
	// ids are master_replid, master_replid2 and second_repl_offset: the
	// history this server's stream continues
	ids      replication.IDs
	replicas []*replicaLink
	lastPing time.Time
	waiting  []*Client // blocked in WAIT
	// backlog holds the newest repl-backlog-size bytes of the stream, from
	// the first replica on (nil before); it counts master_repl_offset
	backlog *replication.Backlog
}

// offset is master_repl_offset: the bytes of the stream so far.
func (r *replMaster) offset() int64 {
	if r.backlog == nil {
		return 0
	}
	return r.backlog.MasterReplOffset()
}

// replicaLink is one attached replica: what its connection goroutine
// sends, and what the replica reported.
type replicaLink struct {
	c          *Client
	listenPort int
	psync      bool   // PSYNC (answered +FULLRESYNC) rather than SYNC
	continued  bool   // a partial resync: no payload
	state      string // wait_bgsave, send_bulk, online (INFO's state field)
	ackOffset  int64
	ackTime    time.Time

	mu      sync.Mutex
	cond    sync.Cond
	pending []byte // stream bytes not yet written to the socket
	closed  bool
	// acked: the replica sent its first REPLCONF ACK after the payload.
	// Until then nothing follows the payload's end mark, which a replica
	// looks for at the end of what it read (Redis's
	// repl_start_cmd_stream_on_ack)
	acked bool
}

// feedReplicas appends one op to every replica's pending stream.
func (s *Server) feedReplicas(db int, argv [][]byte) {
	r := &s.repl
	if r.backlog == nil {
		return
	}
	var buf []byte
	if db != r.selDB {
		buf = aof.AppendSelect(buf, db)
		r.selDB = db
	}
	buf = aof.AppendCommand(buf, argv...)
	s.appendToStream(buf)
}

// appendToStream adds stream bytes to the backlog and every replica's
// pending output.
func (s *Server) appendToStream(buf []byte) {
	r := &s.repl
	if r.backlog == nil {
		r.backlog = replication.NewBacklog(int(s.cfg.ReplBacklogSize), 0)
	}
	r.backlog.Append(buf)
	for _, l := range r.replicas {
		l.mu.Lock()
		l.pending = append(l.pending, buf...)
		l.cond.Signal()
		l.mu.Unlock()
	}
}

// replCron pings the replicas every repl-ping-replica-period seconds, so
// they can tell a quiet master from a dead link (lock held).
func (s *Server) replCron() {
	r := &s.repl
	// a replica's replicas get its master's PINGs
	if len(r.replicas) == 0 || s.isReplica() {
		return
	}
	if time.Since(r.lastPing) >= time.Duration(s.cfg.ReplPingReplicaPeriod)*time.Second {
		r.lastPing = time.Now()
		s.feedReplicas(r.selDB, [][]byte{[]byte("PING")})
	}
}

// installReplConfigHooks resizes the backlog with CONFIG SET
// repl-backlog-size (the newest bytes stay).
func (s *Server) installReplConfigHooks() {
	s.cfg.SetApply("repl-backlog-size", func() error {
		if s.repl.backlog != nil {
			s.repl.backlog.Resize(int(s.cfg.ReplBacklogSize))
		}
		return nil
	})
}

func cmdReplconf(c *Client, args [][]byte) {
	if len(args)%2 == 0 {
		c.addError(errSyntax)
		return
	}
	for j := 1; j < len(args); j += 2 {
		opt, val := strings.ToLower(string(args[j])), string(args[j+1])
		switch opt {
		case "listening-port":
			port, err := strconv.Atoi(val)
			if err != nil {
				c.addError(errNotInt)
				return
			}
			c.replListenPort = port
		case "ip-address":
		case "rdb-only":
			// validated as Redis does; the snapshot is sent either way
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				c.addError(errNotInt)
				return
			}
			if n < 0 || n > 1 {
				c.addError("ERR value is out of range, value must between 0 and 1")
				return
			}
		case "rdb-filter-only":
			filters, ok := resp.SplitArgs([]byte(val))
			if !ok {
				c.addError("ERR Missing rdb-filter-only values")
				return
			}
			for _, f := range filters {
				if !strings.EqualFold(string(f), "functions") {
					c.addError("ERR Unsupported rdb-filter-only option: " + string(f))
					return
				}
			}
		case "capa": // eof, psync2: what redoubt sends anyway
		case "ack":
			// from an attached replica: recorded; never answered, from
			// anyone
			if l := c.repl; l != nil {
				if off, err := strconv.ParseInt(val, 10, 64); err == nil && off > l.ackOffset {
					l.ackOffset = off
					c.srv.replicaAcked()
				}
				l.ackTime = time.Now()
				if l.state == "online" {
					l.mu.Lock()
					l.acked = true
					l.cond.Signal()
					l.mu.Unlock()
				}
			}
			return
		case "getack":
			// from our master: answered with an ACK after this batch
			if c.flags&flagMaster != 0 {
				c.srv.replica.ackNow = true
			}
			return
		default:
			c.addError("ERR Unrecognized REPLCONF option: " + string(args[j]))
			return
		}
	}
	c.w.Simple("OK")
}

// syncRefused answers a SYNC/PSYNC that cannot start a sync: from a
// client that already is a replica (ignored, as Redis) or inside MULTI.
func syncRefused(c *Client) bool {
	if c.flags&flagReplica != 0 {
		return true
	}
	if c.flags&flagMulti != 0 {
		c.addError("ERR Replica can't send SYNC/PSYNC inside MULTI")
		return true
	}
	// a replica passes on a history only while it follows its master
	if s := c.srv; s.isReplica() && !s.linkUp() {
		c.addError("NOMASTERLINK Can't SYNC while not connected with my master")
		return true
	}
	return false
}

func cmdPsync(c *Client, args [][]byte) {
	s := c.srv
	if syncRefused(c) {
		return
	}
	offset, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		offset = -1
	}
	d := replication.TryPartialResync(s.repl.ids, s.repl.backlog, replication.PsyncRequest{
		Replid: string(args[1]), Offset: offset, Replica: c.replicaName(), PSYNC2: true})
	s.log.Info(d.Log)
	if d.Warning != "" {
		s.log.Warn(d.Warning)
	}
	if d.Continue {
		s.continueSync(c, d)
		return
	}
	if string(args[1]) != "?" {
		s.stats.syncPartialErr++
	}
	s.startFullSync(c, true)
}

// continueSync attaches c as an online replica that continues from the
// backlog: the +CONTINUE line and the missing bytes, then the stream.
func (s *Server) continueSync(c *Client, d replication.PsyncDecision) {
	l := &replicaLink{c: c, listenPort: c.replListenPort, psync: true, state: "online", continued: true, acked: true}
	l.cond.L = &l.mu
	l.ackTime = time.Now()
	c.w.Raw([]byte(d.Reply))
	l.pending = append(l.pending, d.Backlog...)
	c.flags |= flagReplica
	c.repl = l
	s.repl.replicas = append(s.repl.replicas, l)
	s.stats.syncPartialOK++
}

func cmdSync(c *Client, args [][]byte) {
	if !syncRefused(c) {
		c.srv.startFullSync(c, false)
	}
}

// startFullSync attaches c as a replica and starts its full sync: the
// snapshot is taken now, so the stream from here on follows it exactly.
func (s *Server) startFullSync(c *Client, psync bool) {
	l := &replicaLink{c: c, listenPort: c.replListenPort, psync: psync, state: "wait_bgsave"}
	l.cond.L = &l.mu
	s.log.Info(fmt.Sprintf("Replica %s asks for synchronization", c.replicaName()))
	if psync {
		s.log.Info(fmt.Sprintf("Full resync requested by replica %s", c.replicaName()))
	}
	// the connection goroutine takes over after this command
	// (serveReplica): the reply goes out when the snapshot is taken
	c.flags |= flagReplica
	c.repl = l
	s.repl.replicas = append(s.repl.replicas, l)
	s.stats.syncFull++
	if s.repl.backlog == nil {
		// a new history starts with the backlog: a new replid, as Redis
		// (no replica can continue what was not kept)
		s.repl.ids.Change()
		s.repl.ids.ClearID2()
		s.repl.backlog = replication.NewBacklog(int(s.cfg.ReplBacklogSize), 0)
	}
}

// replicaName is how Redis's log names a replica: ip:listening-port.
func (c *Client) replicaName() string {
	return fmt.Sprintf("%s:%d", c.replicaHost(), c.replListenPort)
}

// replicaHost is the replica's IP address (without the port).
func (c *Client) replicaHost() string {
	if host, _, err := net.SplitHostPort(c.addr); err == nil {
		return host
	}
	return c.addr
}

// serveReplica runs a replica's connection once it asked to sync (called
// by its connection goroutine with the lock held; returns with it
// released). The snapshot is the server's one background save job (so
// BGSAVE, SAVE rules and FLUSHALL see it as Redis sees its socket child):
// when another one runs, the replica waits for it to end. +FULLRESYNC goes
// out when the snapshot is taken, then the payload, then the stream. A
// goroutine reads what the replica sends (REPLCONF ACK).
func (c *Client) serveReplica() {
	s := c.srv
	l := c.repl
	go c.readReplicaAcks()
	if l.continued {
		head := append([]byte(nil), c.w.Buf...)
		c.w.Reset()
		s.mu.Unlock()
		c.streamToReplica(c.writeOut(head))
		return
	}
	for s.persist.job != nil || s.aof.job != nil {
		s.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
		s.mu.Lock()
		if l.isClosed() {
			s.detachReplica(l)
			s.mu.Unlock()
			return
		}
	}
	j := s.newRDBJobFor(false)
	s.persist.job = j
	s.log.Info("Starting BGSAVE for SYNC with target: replicas sockets")
	// the stream from this instant on follows the snapshot
	l.mu.Lock()
	l.pending = nil
	l.mu.Unlock()
	s.repl.selDB = -1
	if l.psync {
		c.w.Simple(fmt.Sprintf("FULLRESYNC %s %d", s.repl.ids.Replid, s.repl.offset()))
	}
	l.state = "send_bulk"
	mark := make([]byte, 20)
	rand.Read(mark)
	eof := hex.EncodeToString(mark)
	head := append(append([]byte(nil), c.w.Buf...), "$EOF:"+eof+"\r\n"...)
	c.w.Reset()
	s.mu.Unlock()
	ok := c.writeOut(head)
	var buf []byte
	for done := false; ok && !done; {
		s.mu.Lock()
		if j.aborted { // FLUSHALL, SHUTDOWN: the replica starts over
			s.mu.Unlock()
			ok = false
			break
		}
		buf, done = j.step(buf[:0])
		s.mu.Unlock()
		ok = c.writeOut(buf) && !l.isClosed()
		time.Sleep(snapshotStepPause)
	}
	if ok {
		ok = c.writeOut([]byte(eof))
	}
	s.mu.Lock()
	if s.persist.job == j {
		if !ok {
			j.snap.Abort()
		}
		s.persist.job = nil
		if ok {
			s.log.Info("Background RDB transfer terminated with success")
			s.log.Info(fmt.Sprintf("Streamed RDB transfer with replica %s succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming", c.replicaName()))
			l.state = "online"
			l.ackTime = time.Now()
		}
		s.startScheduledBgsave()
	}
	s.mu.Unlock()
	c.streamToReplica(ok)
}

// streamToReplica writes the replica's stream until its link ends, then
// detaches it (lock not held).
func (c *Client) streamToReplica(ok bool) {
	s, l := c.srv, c.repl
	for ok {
		l.mu.Lock()
		for (len(l.pending) == 0 || !l.acked) && !l.closed {
			l.cond.Wait()
		}
		out, closed := l.pending, l.closed
		l.pending = nil
		l.mu.Unlock()
		if closed {
			break
		}
		ok = c.writeOut(out)
	}
	s.mu.Lock()
	s.detachReplica(l)
	s.mu.Unlock()
}

func (l *replicaLink) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// readReplicaAcks runs the replica's commands (REPLCONF ACK) until the
// connection ends, then stops the writer. A replica gets no replies, as
// from Redis.
func (c *Client) readReplicaAcks() {
	s := c.srv
	for {
		n, err := c.rd.Fill(c.io)
		if n > 0 {
			s.mu.Lock()
			for {
				args, perr := c.rd.Next()
				if perr != nil || args == nil {
					break
				}
				c.processCommand(args)
				c.w.Reset()
			}
			s.mu.Unlock()
		}
		if err != nil {
			break
		}
	}
	c.repl.mu.Lock()
	c.repl.closed = true
	c.repl.cond.Signal()
	c.repl.mu.Unlock()
}

// detachReplica forgets a replica whose link ended (lock held).
func (s *Server) detachReplica(l *replicaLink) {
	r := &s.repl
	for i, x := range r.replicas {
		if x == l {
			r.replicas = append(r.replicas[:i], r.replicas[i+1:]...)
			s.log.Info(fmt.Sprintf("Connection with replica %s lost.", l.c.replicaName()))
			break
		}
	}
	l.c.conn.Close()
}
