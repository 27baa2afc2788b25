// repl_master.go is the master side of replication: a replica (real Redis
// or redoubt) that sends PSYNC gets a full resynchronisation — +FULLRESYNC,
// the fork-less snapshot, then the propagation stream, with a PING every
// repl-ping-replica-period. The snapshot is streamed as a diskless payload
// ($EOF:<mark> ... <mark>) shared by the replicas that asked within
// repl-diskless-sync-delay, or, with repl-diskless-sync no, saved to
// dbfilename as a BGSAVE and sent as a $<len> bulk. A PSYNC for a history
// the backlog still holds continues instead (+CONTINUE and the missing
// bytes), as Redis decides it (replication.TryPartialResync). Replicas
// are dropped past client-output-buffer-limit replica or repl-timeout;
// the backlog goes after repl-backlog-ttl without replicas.
package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redoubt/redoubt/internal/aof"
	"github.com/redoubt/redoubt/internal/config"
	"github.com/redoubt/redoubt/internal/logging"
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
	failover failover // a FAILOVER in progress (repl_failover.go)
	scratch  []byte   // feedReplicas' encoding buffer
	replicas []*replicaLink
	lastPing time.Time
	// lastSecond is when the once-a-second part of replCron last ran
	lastSecond time.Time
	waiting    []*Client // blocked in WAIT
	// backlog holds the newest repl-backlog-size bytes of the stream, from
	// the first replica on (nil before, and after repl-backlog-ttl without
	// replicas); it counts master_repl_offset
	backlog *replication.Backlog
	// freedOffset is master_repl_offset while there is no backlog: a
	// backlog freed by repl-backlog-ttl keeps the offset, as Redis's
	freedOffset int64
	// noReplicasSince is when the last replica went (repl-backlog-ttl)
	noReplicasSince time.Time
}

// offset is master_repl_offset: the bytes of the stream so far.
func (r *replMaster) offset() int64 {
	if r.backlog == nil {
		return r.freedOffset
	}
	return r.backlog.MasterReplOffset()
}

// replState is a replica's place in its synchronisation (Redis's
// SLAVE_STATE_*).
type replState int

const (
	replWaitBgsaveStart replState = iota // waits for a snapshot to start
	replWaitBgsaveEnd                    // +FULLRESYNC sent; its snapshot runs
	replSendBulk                         // the saved RDB file is being sent
	replOnline                           // the stream flows
)

// String is INFO's state field.
func (st replState) String() string {
	switch st {
	case replSendBulk:
		return "send_bulk"
	case replOnline:
		return "online"
	}
	return "wait_bgsave"
}

const (
	// replWriteChunk is how much of a replica's output one write carries:
	// a write that does not complete within repl-timeout means the
	// replica's socket takes nothing (Redis's repl_last_partial_write)
	replWriteChunk = 16 << 10
	// replPayloadQueue bounds the sync payload queued for one replica: the
	// snapshot walk waits for the slowest replica, as Redis's RDB pipe
	replPayloadQueue = 1 << 20
)

// replicaLink is one attached replica: what its connection goroutine
// sends, and what the replica reported. Fields above mu are guarded by
// the executor lock, those below by mu.
type replicaLink struct {
	c           *Client
	listenPort  int
	announcedIP string // REPLCONF ip-address
	psync       bool   // PSYNC (answered +FULLRESYNC) rather than SYNC
	capaEOF     bool   // REPLCONF capa eof: takes a diskless payload
	req         rdbReq // the parts of the RDB it does not want
	state       replState
	askedAt     time.Time // when it asked for a full sync
	// initialOffset is the offset its +FULLRESYNC named (a replica
	// joining a running disk save gets the same)
	initialOffset int64
	ackOffset     int64
	// ackTime is when the replica last sent anything (an ACK, a newline):
	// what repl-timeout and INFO's lag look at
	ackTime  time.Time
	detached bool

	mu   sync.Mutex
	cond sync.Cond
	// payload is what goes out before the stream: the sync's reply, the
	// keepalive newlines, the RDB payload; payloadBusy of it is being
	// written
	payload     []byte
	payloadBusy int
	// pending is stream bytes not yet taken by the writer; inflight is
	// taken but not yet written (both count against the output limit)
	pending  []byte
	inflight int
	spare    []byte // the last written buffer, for the next commands
	// writingSince is when the write in progress began (zero: none)
	writingSince time.Time
	closed       bool
	// acked: the stream may flow. After a diskless payload that is the
	// replica's first REPLCONF ACK: until then nothing follows the
	// payload's end mark, which a replica looks for at the end of what it
	// read (Redis's repl_start_cmd_stream_on_ack)
	acked bool
}

func newReplicaLink(c *Client, psync bool, st replState) *replicaLink {
	l := &replicaLink{c: c, listenPort: c.replListenPort, announcedIP: c.replAnnouncedIP, psync: psync, capaEOF: c.replCapaEOF, req: c.replReq, state: st, askedAt: time.Now()}
	l.cond.L = &l.mu
	return l
}

// queuePayload appends b to what goes out before the stream; false if
// the link is closed.
func (l *replicaLink) queuePayload(b []byte) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.payload = append(l.payload, b...)
	l.cond.Broadcast()
	return true
}

// waitPayload waits until at most max payload bytes are queued or being
// written; false if the link closed meanwhile.
func (l *replicaLink) waitPayload(max int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for !l.closed && len(l.payload)+l.payloadBusy > max {
		l.cond.Wait()
	}
	return !l.closed
}

// startStream lets the stream flow after the payload.
func (l *replicaLink) startStream() {
	l.mu.Lock()
	l.acked = true
	l.cond.Broadcast()
	l.mu.Unlock()
}

// unsent is the stream not yet written to the replica.
func (l *replicaLink) unsent() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending) + l.inflight
}

func (l *replicaLink) markClosed() {
	l.mu.Lock()
	l.closed = true
	l.cond.Broadcast()
	l.mu.Unlock()
}

// feedReplicas appends one op to every replica's pending stream (a
// replica still waiting for its snapshot to start gets it from the
// snapshot), and drops the replicas it puts over their output limit.
func (s *Server) feedReplicas(db int, argv [][]byte) {
	r := &s.repl
	if r.backlog == nil {
		return
	}
	// one encoding buffer for every op: appendToStream copies it
	buf := r.scratch[:0]
	if db != r.selDB {
		buf = aof.AppendSelect(buf, db)
		r.selDB = db
	}
	buf = aof.AppendCommand(buf, argv...)
	s.appendToStream(buf)
	if cap(buf) <= 64<<10 {
		r.scratch = buf
	}
}

// appendToStream adds stream bytes to the backlog and every replica's
// pending output.
func (s *Server) appendToStream(buf []byte) {
	r := &s.repl
	if r.backlog == nil {
		r.backlog = replication.NewBacklog(int(s.cfg.ReplBacklogSize), 0)
	}
	r.backlog.Append(buf)
	var over []*replicaLink
	for _, l := range r.replicas {
		if l.state == replWaitBgsaveStart {
			continue
		}
		l.mu.Lock()
		l.pending = append(l.pending, buf...)
		used := len(l.pending) + l.inflight
		l.cond.Broadcast()
		l.mu.Unlock()
		if s.replicaOverLimit(l, uint64(used)) {
			over = append(over, l)
		}
	}
	for _, l := range over {
		s.log.Warn("Client " + l.c.infoLine() + " scheduled to be closed ASAP for overcoming of output buffer limits.")
		s.detachReplica(l)
	}
}

// replicaOverLimit is client-output-buffer-limit replica for used bytes
// of unsent stream. As Redis 7, a hard limit below repl-backlog-size
// counts as repl-backlog-size (a replica could PSYNC that much at once).
func (s *Server) replicaOverLimit(l *replicaLink, used uint64) bool {
	limit := s.cfg.ClientOutputBuffer[config.ClassReplica]
	if limit.Hard != 0 && limit.Hard < uint64(s.cfg.ReplBacklogSize) {
		limit.Hard = uint64(s.cfg.ReplBacklogSize)
	}
	return obufLimitReached(l.c, used, limit)
}

// replCron pings the replicas every repl-ping-replica-period seconds, so
// they can tell a quiet master from a dead link, and once a second does
// what Redis's replicationCron does: keepalive newlines to replicas
// waiting for their payload, repl-timeout, repl-backlog-ttl. A full sync
// waiting for repl-diskless-sync-delay starts here (lock held).
func (s *Server) replCron() {
	r := &s.repl
	now := time.Now()
	s.updateFailover()
	// a replica's replicas get its master's PINGs; a failover with a
	// timeout holds them, as they would move the offset it waits for
	if len(r.replicas) > 0 && !s.isReplica() && r.failover.end.IsZero() &&
		now.Sub(r.lastPing) >= time.Duration(s.cfg.ReplPingReplicaPeriod)*time.Second {
		r.lastPing = now
		s.feedReplicas(r.selDB, [][]byte{[]byte("PING")})
	}
	if now.Sub(r.lastSecond) >= time.Second {
		r.lastSecond = now
		s.replKeepalive()
		s.replTimeouts(now)
	}
	s.replBacklogTTL(now)
	s.startPendingSync()
}

// replKeepalive sends a newline to the replicas waiting for a snapshot
// to be taken, which refreshes their read timeout without touching the
// offsets (a diskless payload in progress needs none).
func (s *Server) replKeepalive() {
	socket := s.persist.job != nil && s.persist.job.socket
	for _, l := range s.repl.replicas {
		if l.state == replWaitBgsaveStart || (l.state == replWaitBgsaveEnd && !socket) {
			l.queuePayload([]byte("\n"))
		}
	}
}

// replTimeouts drops, after repl-timeout, an online replica that sent
// nothing (not even its once-a-second ACK), and a replica of a diskless
// transfer whose socket took nothing.
func (s *Server) replTimeouts(now time.Time) {
	timeout := time.Duration(s.cfg.ReplTimeout) * time.Second
	socket := s.persist.job != nil && s.persist.job.socket
	var drop []*replicaLink
	for _, l := range s.repl.replicas {
		// a SYNC replica (no PSYNC) sends no ACKs
		if l.state == replOnline && l.psync && now.Sub(l.ackTime) > timeout {
			s.log.Warn("Disconnecting timedout replica (streaming sync): " + l.c.replicaName())
			drop = append(drop, l)
			continue
		}
		if l.state == replWaitBgsaveEnd && socket {
			l.mu.Lock()
			since := l.writingSince
			l.mu.Unlock()
			if !since.IsZero() && now.Sub(since) > timeout {
				s.log.Warn("Disconnecting timedout replica (full sync): " + l.c.replicaName())
				drop = append(drop, l)
			}
		}
	}
	for _, l := range drop {
		s.detachReplica(l)
	}
}

// replBacklogTTL frees the backlog of a master that had no replicas for
// repl-backlog-ttl seconds. The history then gets a new replid, as in
// Redis: writes made without a backlog do not move the offset, so no
// one may continue the old history past them.
func (s *Server) replBacklogTTL(now time.Time) {
	r := &s.repl
	if len(r.replicas) > 0 {
		return
	}
	if r.noReplicasSince.IsZero() {
		r.noReplicasSince = now
	}
	ttl := s.cfg.ReplBacklogTTL
	// a replica keeps its backlog: it is its master's history
	if r.backlog == nil || ttl == 0 || s.isReplica() || now.Sub(r.noReplicasSince) <= time.Duration(ttl)*time.Second {
		return
	}
	s.repl.ids.Change() // no ID2 is kept: cleared
	s.repl.ids.ClearID2()
	r.freedOffset = r.backlog.MasterReplOffset()
	r.backlog = nil
	r.selDB = -1
	s.log.Info(fmt.Sprintf("Replication backlog freed after %d seconds without connected replicas.", ttl))
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
			c.replAnnouncedIP = val
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
			// what is listed is kept, everything else left out (so an
			// empty list leaves only the aux fields), as Redis
			filters, ok := resp.SplitArgs([]byte(val))
			if !ok {
				c.addError("ERR Missing rdb-filter-only values")
				return
			}
			c.replReq |= rdbExcludeData | rdbExcludeFunctions
			for _, f := range filters {
				if !strings.EqualFold(string(f), "functions") {
					c.addError("ERR Unsupported rdb-filter-only option: " + string(f))
					return
				}
				c.replReq &^= rdbExcludeFunctions
			}
		case "capa": // psync2 is what redoubt speaks anyway
			if strings.EqualFold(val, "eof") {
				c.replCapaEOF = true
			}
		case "ack":
			// from an attached replica: recorded; never answered, from
			// anyone
			if l := c.repl; l != nil {
				if off, err := strconv.ParseInt(val, 10, 64); err == nil && off > l.ackOffset {
					l.ackOffset = off
					c.srv.replicaAcked()
				}
				l.ackTime = time.Now()
				if l.state == replOnline {
					l.startStream()
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
	// a filtered RDB only ever goes to a socket, never over dump.rdb
	if c.replReq != 0 && !c.replCapaEOF {
		c.addError("ERR Filtered replica requires EOF capability")
		return true
	}
	if c.srv.repl.failover.state != noFailover {
		c.addError("NOMASTERLINK Can't SYNC while failing over")
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
	if c.flags&flagReplica != 0 {
		return
	}
	if len(args) > 3 && strings.EqualFold(string(args[3]), "failover") && !s.psyncFailover(c, string(args[1])) {
		return
	}
	if syncRefused(c) {
		return
	}
	s.log.Info(fmt.Sprintf("Replica %s asks for synchronization", c.replicaName()))
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
	l := newReplicaLink(c, true, replOnline)
	l.acked = true
	l.ackTime = time.Now()
	l.payload = []byte(d.Reply)
	l.pending = append(l.pending, d.Backlog...)
	c.flags |= flagReplica
	c.repl = l
	s.repl.replicas = append(s.repl.replicas, l)
	s.stats.syncPartialOK++
}

func cmdSync(c *Client, args [][]byte) {
	if !syncRefused(c) {
		c.srv.log.Info(fmt.Sprintf("Replica %s asks for synchronization", c.replicaName()))
		c.srv.startFullSync(c, false)
	}
}

// startFullSync attaches c as a replica waiting for a full sync and
// decides when its snapshot starts, as Redis's syncCommand: it joins a
// disk save another replica waits for, waits for the next snapshot if a
// diskless one runs, waits repl-diskless-sync-delay for more replicas to
// share a diskless one, or starts one now.
func (s *Server) startFullSync(c *Client, psync bool) {
	l := newReplicaLink(c, psync, replWaitBgsaveStart)
	// the connection goroutine takes over after this command
	// (serveReplica); what it sends is queued on the link
	c.flags |= flagReplica
	c.repl = l
	s.repl.replicas = append(s.repl.replicas, l)
	s.stats.syncFull++
	if s.repl.backlog == nil {
		// a new history starts with the backlog: a new replid, as Redis
		// (no replica can continue what was not kept)
		s.repl.ids.Change()
		s.repl.ids.ClearID2()
		s.repl.backlog = replication.NewBacklog(int(s.cfg.ReplBacklogSize), s.repl.freedOffset)
		s.log.Info(fmt.Sprintf("Replication backlog created, my new replication IDs are '%s' and '%s'", s.repl.ids.Replid, s.repl.ids.Replid2))
	}
	switch j := s.persist.job; {
	case j != nil && !j.socket:
		// a disk save runs: a replica waiting for it has recorded the
		// stream since it began, which this one can copy
		var other *replicaLink
		for _, o := range s.repl.replicas {
			if o != l && o.state == replWaitBgsaveEnd {
				other = o
				break
			}
		}
		if other != nil && (l.capaEOF || !other.capaEOF) && l.req == other.req {
			other.mu.Lock()
			copied := append([]byte(nil), other.pending...)
			other.mu.Unlock()
			s.setupFullResync(l, other.initialOffset)
			l.mu.Lock()
			l.pending = copied
			l.mu.Unlock()
			s.log.Info("Waiting for end of BGSAVE for SYNC")
		} else {
			s.log.Info("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC")
		}
	case j != nil:
		s.log.Info("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC")
	case s.cfg.ReplDisklessSync && l.capaEOF && s.cfg.ReplDisklessSyncDelay > 0:
		// replCron starts it once the delay passed
		s.log.Info("Delay next BGSAVE for diskless SYNC")
	case s.aof.job != nil:
		s.log.Info("No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed")
	default:
		s.startBgsaveForReplication()
	}
}

// startPendingSync starts the snapshot replicas wait for, when no other
// runs: at once for a disk sync; for a diskless one once the first of
// them waited repl-diskless-sync-delay, or repl-diskless-sync-max-replicas
// are waiting (Redis's shouldStartChildReplication). Lock held.
func (s *Server) startPendingSync() {
	if s.persist.job != nil || s.aof.job != nil {
		return
	}
	links, _ := s.nextSnapshotReplicas()
	waiting := len(links)
	var maxIdle time.Duration
	now := time.Now()
	for _, l := range links {
		maxIdle = max(maxIdle, now.Sub(l.askedAt))
	}
	maxReplicas := s.cfg.ReplDisklessSyncMaxRepl
	if waiting > 0 && (!s.cfg.ReplDisklessSync ||
		(maxReplicas > 0 && waiting >= maxReplicas) ||
		maxIdle >= time.Duration(s.cfg.ReplDisklessSyncDelay)*time.Second) {
		s.startBgsaveForReplication()
	}
}

// nextSnapshotReplicas are the replicas the next snapshot serves: those
// waiting for one with the same filter as the first of them (the others
// wait for a later one), and that filter.
func (s *Server) nextSnapshotReplicas() ([]*replicaLink, rdbReq) {
	var links []*replicaLink
	var req rdbReq
	for _, l := range s.repl.replicas {
		if l.state != replWaitBgsaveStart {
			continue
		}
		if len(links) == 0 {
			req = l.req
		} else if l.req != req {
			continue
		}
		links = append(links, l)
	}
	return links, req
}

// startBgsaveForReplication starts one snapshot for the replicas waiting
// for one that want the same parts of it (the first one's filter): streamed
// to all their sockets at once (diskless, when they all take an EOF-marked
// payload; always for a filtered one), or saved to dbfilename as a BGSAVE
// and the file then sent to each. Lock held, no snapshot running.
func (s *Server) startBgsaveForReplication() {
	waiting, req := s.nextSnapshotReplicas()
	eof := true
	for _, l := range waiting {
		eof = eof && l.capaEOF
	}
	socket := (s.cfg.ReplDisklessSync || req != 0) && eof
	target := "disk"
	if socket {
		target = "replicas sockets"
	}
	s.log.Info("Starting BGSAVE for SYNC with target: " + target)
	if !socket {
		s.bgsaveStart()
		for _, l := range waiting {
			s.setupFullResync(l, s.repl.offset())
		}
		return
	}
	j := s.newRDBJobFiltered(false, req)
	j.socket = true
	s.persist.job = j
	s.log.Info("Background RDB transfer started")
	for _, l := range waiting {
		s.setupFullResync(l, s.repl.offset())
	}
	go s.runSocketTransfer(j, waiting)
}

// setupFullResync answers a replica whose snapshot starts: +FULLRESYNC
// with the offset the snapshot is at; the stream it gets starts there.
func (s *Server) setupFullResync(l *replicaLink, offset int64) {
	l.initialOffset = offset
	l.state = replWaitBgsaveEnd
	s.repl.selDB = -1 // the stream after the snapshot starts with a SELECT
	l.mu.Lock()
	l.pending = nil
	l.mu.Unlock()
	if l.psync {
		l.queuePayload([]byte(fmt.Sprintf("+FULLRESYNC %s %d\r\n", s.repl.ids.Replid, offset)))
	}
}

// runSocketTransfer streams one snapshot to all its replicas' sockets as
// a diskless payload ($EOF:<mark> ... <mark>): a locked step of the walk
// at a time, its bytes queued for every replica; the walk waits for the
// slowest one. A replica that fails or times out is dropped and the
// others go on; with none left the snapshot stops.
func (s *Server) runSocketTransfer(j *rdbJob, links []*replicaLink) {
	defer snapshotProcs()()
	mark := make([]byte, 20)
	rand.Read(mark)
	eof := hex.EncodeToString(mark)
	ok := deliverPayload(links, []byte("$EOF:"+eof+"\r\n")) > 0
	killed := !ok // stopped for want of replicas, as Redis kills its child
	j.sched0 = readWalkMetrics()
	var buf []byte
	var tail [][]byte
	for done := false; ok && !done; {
		s.mu.Lock()
		if j.aborted { // FLUSHALL, SHUTDOWN: the replicas start over
			s.mu.Unlock()
			return
		}
		t0 := time.Now()
		buf, tail, done = j.step(buf[:0])
		j.steps++
		j.maxHold = max(j.maxHold, time.Since(t0))
		if j.encErr != nil {
			s.log.Warn(j.encErr.Error())
			ok = false
		}
		s.mu.Unlock()
		buf = j.appendTail(buf, tail)
		if done {
			buf = append(buf, eof...)
		}
		if ok && deliverPayload(links, buf) == 0 {
			s.mu.Lock()
			if !j.aborted { // else FLUSHALL dropped them
				s.log.Warn("Diskless rdb transfer, last replica dropped, killing fork child.")
			}
			s.mu.Unlock()
			ok, killed = false, true
		}
		time.Sleep(snapshotStepPause)
	}
	up := 0
	if ok {
		for _, l := range links {
			if l.waitPayload(0) {
				up++
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.persist.job != j {
		return // cancelled (abortSave), its replicas dropped
	}
	s.persist.job = nil
	s.persist.lastBgsaveSec = int64(time.Since(j.start).Seconds())
	if !ok {
		j.abort()
		if killed {
			s.log.Warn("Background transfer terminated by signal 10")
		} else {
			s.log.Warn("Background transfer error")
		}
		s.failReplicasWaitingBgsave()
	} else {
		s.log.Warn(fmt.Sprintf("Diskless rdb transfer, done reading from pipe, %d replicas still up.", up))
		s.logWalk(j)
		s.log.Info("Background RDB transfer terminated with success")
		for _, l := range links {
			if l.detached || l.state != replWaitBgsaveEnd {
				continue
			}
			s.log.Info(fmt.Sprintf("Streamed RDB transfer with replica %s succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming", l.c.replicaName()))
			s.replicaPutOnline(l)
		}
	}
	s.startScheduledBgsave()
	s.startPendingSync()
}

// deliverPayload queues b for each link once its queue has room; it
// returns how many links are still up.
func deliverPayload(links []*replicaLink, b []byte) int {
	up := 0
	for _, l := range links {
		if l.waitPayload(replPayloadQueue) && l.queuePayload(b) {
			up++
		}
	}
	return up
}

// replicaPutOnline marks a replica whose payload was sent online (lock
// held).
func (s *Server) replicaPutOnline(l *replicaLink) {
	l.state = replOnline
	l.ackTime = time.Now() // no timeout before its first ACK is due
	s.log.Info(fmt.Sprintf("Synchronization with replica %s succeeded", l.c.replicaName()))
}

// failReplicasWaitingBgsave drops the replicas whose snapshot failed or
// was cancelled; they ask again (lock held).
func (s *Server) failReplicasWaitingBgsave() {
	var failed []*replicaLink
	for _, l := range s.repl.replicas {
		if l.state == replWaitBgsaveEnd {
			failed = append(failed, l)
		}
	}
	for _, l := range failed {
		s.log.Warn("SYNC failed. BGSAVE child returned an error")
		s.detachReplica(l)
	}
}

// replBgsaveDone serves the replicas waiting for a disk save that just
// ended: each is sent the file as a bulk payload (Redis's
// updateSlavesWaitingBgsave). Lock held.
func (s *Server) replBgsaveDone(err error) {
	if err != nil {
		s.failReplicasWaitingBgsave()
		return
	}
	var drop []*replicaLink
	for _, l := range s.repl.replicas {
		if l.state != replWaitBgsaveEnd {
			continue
		}
		f, err := os.Open(s.rdbPath())
		var fi os.FileInfo
		if err == nil {
			fi, err = f.Stat()
			if err != nil {
				f.Close()
			}
		}
		if err != nil {
			s.log.Warn("SYNC failed. Can't open/stat DB after BGSAVE: " + logging.Strerror(err))
			drop = append(drop, l)
			continue
		}
		l.state = replSendBulk
		go s.sendBulkToReplica(l, f, fi.Size())
	}
	for _, l := range drop {
		s.detachReplica(l)
	}
}

// sendBulkToReplica sends a saved RDB file as $<size>\r\n<bytes> (no
// trailing CRLF); then the replica is online and the stream flows at
// once (the payload's length tells where it ends).
func (s *Server) sendBulkToReplica(l *replicaLink, f *os.File, size int64) {
	defer f.Close()
	ok := l.queuePayload([]byte(fmt.Sprintf("$%d\r\n", size)))
	buf := make([]byte, 64<<10)
	for sent := int64(0); ok && sent < size; {
		n, err := f.Read(buf[:min(int64(len(buf)), size-sent)])
		if n == 0 {
			msg := "premature EOF"
			if err != nil && err != io.EOF {
				msg = logging.Strerror(err)
			}
			s.mu.Lock()
			s.log.Warn("Read error sending DB to replica: " + msg)
			s.mu.Unlock()
			ok = false
			break
		}
		sent += int64(n)
		ok = l.waitPayload(replPayloadQueue) && l.queuePayload(buf[:n])
	}
	ok = ok && l.waitPayload(0)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok {
		s.detachReplica(l)
		return
	}
	if l.detached {
		return
	}
	s.replicaPutOnline(l)
	l.startStream()
}

// host is the replica's address as it announced it (REPLCONF
// ip-address), else its connection's.
func (l *replicaLink) host() string {
	if l.announcedIP != "" {
		return l.announcedIP
	}
	return l.c.replicaHost()
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
// released): a goroutine reads what the replica sends (REPLCONF ACK), and
// this one writes what is queued on the link — the sync's reply and
// payload, then the stream.
func (c *Client) serveReplica() {
	s := c.srv
	go c.readReplicaAcks()
	head := append([]byte(nil), c.w.Buf...)
	c.w.Reset()
	s.mu.Unlock()
	c.streamToReplica(c.writeOut(head))
}

// streamToReplica writes the replica's payload and stream until its link
// ends, then detaches it (lock not held).
func (c *Client) streamToReplica(ok bool) {
	s, l := c.srv, c.repl
	for ok {
		l.mu.Lock()
		for !l.closed && len(l.payload) == 0 && (len(l.pending) == 0 || !l.acked) {
			l.cond.Wait()
		}
		if len(l.payload) == 0 {
			for i := 0; i < replicaWriteYields && len(l.pending) < replWriteChunk && !l.closed; i++ {
				// let the commands running now add theirs first: under
				// load one write then carries many (as Redis writes to a
				// replica once per event loop turn); a write per command
				// per replica was a third of the master's CPU
				l.mu.Unlock()
				runtime.Gosched()
				l.mu.Lock()
			}
		}
		if l.closed {
			l.mu.Unlock()
			break
		}
		var out []byte
		payload := len(l.payload) > 0
		if payload {
			out, l.payload = l.payload, nil
			l.payloadBusy = len(out)
		} else {
			// the buffer written last time takes the next commands:
			// a fresh one per write grew by copying, again and again
			out, l.pending, l.spare = l.pending, l.spare, nil
			l.inflight = len(out)
		}
		l.mu.Unlock()
		ok = c.writeReplicaOutput(out, payload)
		if !payload && cap(out) <= 1<<20 {
			l.mu.Lock()
			l.spare = out[:0]
			l.mu.Unlock()
		}
	}
	l.markClosed()
	s.mu.Lock()
	s.detachReplica(l)
	s.mu.Unlock()
}

// replicaWriteYields is how many times the writer lets the running
// commands go first before it writes less than a chunk of stream.
const replicaWriteYields = 3

// writeReplicaOutput writes out a chunk at a time, so the link always
// shows how much is still unwritten and since when a write waits.
func (c *Client) writeReplicaOutput(out []byte, payload bool) bool {
	l := c.repl
	for len(out) > 0 {
		n := min(len(out), replWriteChunk)
		l.mu.Lock()
		l.writingSince = time.Now()
		l.mu.Unlock()
		ok := c.writeOut(out[:n])
		out = out[n:]
		l.mu.Lock()
		l.writingSince = time.Time{}
		if payload {
			l.payloadBusy -= n
		} else {
			l.inflight -= n
		}
		l.cond.Broadcast()
		l.mu.Unlock()
		if !ok {
			return false
		}
	}
	return true
}

// readReplicaAcks runs the replica's commands (REPLCONF ACK) until the
// connection ends, then stops the writer. A replica gets no replies, as
// from Redis. Whatever it sends (an ACK, a newline while it loads)
// shows it is alive.
func (c *Client) readReplicaAcks() {
	s := c.srv
	for {
		n, err := c.rd.Fill(c.io)
		if n > 0 {
			s.mu.Lock()
			c.repl.ackTime = time.Now()
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
	c.repl.markClosed()
}

// detachReplica forgets a replica whose link ended or that is dropped,
// and closes its connection (lock held).
func (s *Server) detachReplica(l *replicaLink) {
	r := &s.repl
	for i, x := range r.replicas {
		if x == l {
			r.replicas = append(r.replicas[:i], r.replicas[i+1:]...)
			s.log.Info(fmt.Sprintf("Connection with replica %s lost.", l.c.replicaName()))
			if len(r.replicas) == 0 {
				r.noReplicasSince = time.Now()
			}
			break
		}
	}
	l.detached = true
	l.markClosed()
	l.c.conn.Close()
}
