// repl_replica.go is the replica side of replication. REPLICAOF / SLAVEOF
// and the replicaof directive point the server at a master; one link
// goroutine per REPLICAOF connects, runs the handshake
// (internal/replication/link), loads a full sync's payload or continues
// from its own offset, and applies the master's stream through the master
// client, reconnecting every second while the link is down.
//
// The stream's bytes are appended, unchanged, to this server's backlog and
// to its own replicas as they are applied: a chained replica shares its
// master's replid and offsets, so any of them can continue from any other
// (Redis's proxying of the master stream). What the commands change goes
// to the AOF only. An open MULTI from the master is held back until its
// EXEC, so the offset never stands inside a transaction.
package server

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redoubt/redoubt/internal/aof"
	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/replication"
	"github.com/redoubt/redoubt/internal/replication/link"
	"github.com/redoubt/redoubt/internal/resp"
	"github.com/redoubt/redoubt/internal/script"
)

func init() {
	register("replicaof", cmdReplicaof)
	register("slaveof", cmdReplicaof)
}

// replLinkState is Redis's repl_state, as ROLE names it.
type replLinkState int

const (
	replNone       replLinkState = iota // a master
	replConnect                         // waiting to (re)connect
	replConnecting                      // dialing the master
	replHandshake                       // PING, AUTH, REPLCONF, PSYNC
	replTransfer                        // receiving the full sync payload
	replConnected                       // applying the stream
)

var replStateNames = [...]string{"none", "connect", "connecting", "handshake", "sync", "connected"}

// replicaState is the server as a replica (executor lock held, except
// where a field says otherwise).
type replicaState struct {
	host string // "" when this server is a master
	port int
	// gen counts REPLICAOF changes: a link goroutine whose generation is
	// no longer current stops at its next step
	gen   int
	state replLinkState
	conn  net.Conn // the link's socket, closed to drop the link
	// master is the master client; it outlives a dropped link (Redis's
	// cached master) so the stream's database carries over a reconnect
	master *Client
	// multiBytes is the stream of an open MULTI from the master
	multiBytes []byte
	scratch    []byte
	ackNow     bool // REPLCONF GETACK asked for an ACK after this batch
	// noCachedMaster: the next PSYNC asks for a full sync ("PSYNC ? -1"),
	// as Redis's replica does without a cached master: after starting
	// with replicaof and no replication history, and once a master
	// answered +FULLRESYNC (the data set is about to be replaced) until
	// the link is up again
	noCachedMaster bool
	// downSince is when a connected link was lost (Redis's
	// repl_down_since); zero while it was never up
	downSince time.Time
	// transfer progress, written by the link goroutine without the lock
	transferRead atomic.Int64
	// transferSize is the payload's announced size: -1 until its header
	// came, 0 for an EOF-delimited one (Redis's repl_transfer_size)
	transferSize   atomic.Int64
	transferLastIO atomic.Int64 // unix seconds
	wmu            sync.Mutex   // serialises writes to conn (ACKs)
	// replicaRole mirrors isReplica for the log lines, which are written
	// without the lock
	replicaRole atomic.Bool
	// loaded is the replication state the RDB loaded at start-up names
	// (its repl-id, repl-offset, repl-stream-db aux fields)
	loaded struct {
		id       string
		offset   int64
		streamDB int
	}
}

func (s *Server) isReplica() bool { return s.replica.host != "" }

// logRole is the role letter of log lines (read without the lock).
func (s *Server) logRole() byte {
	if s.cfg.SentinelMode {
		return 'X'
	}
	if s.replica.replicaRole.Load() {
		return 'S'
	}
	return 'M'
}

// setReplicaRole switches what depends on being a replica: the keyspace
// hides expired keys instead of deleting them, and log lines say 'S'.
func (s *Server) setReplicaRole(replica bool) {
	s.ks.IsReplica = replica
	s.replica.replicaRole.Store(replica)
}

// linkUp is master_link_status:up.
func (s *Server) linkUp() bool { return s.replica.state == replConnected }

func cmdReplicaof(c *Client, args [][]byte) {
	s := c.srv
	if s.cfg.ClusterEnabled {
		c.addError("ERR REPLICAOF not allowed in cluster mode.")
		return
	}
	if s.repl.failover.state != noFailover {
		c.addError("ERR REPLICAOF not allowed while failing over.")
		return
	}
	if strings.EqualFold(string(args[1]), "no") && strings.EqualFold(string(args[2]), "one") {
		if s.isReplica() {
			s.unsetMaster()
			s.log.Info(fmt.Sprintf("MASTER MODE enabled (user request from '%s')", c.logDescription()))
		}
		c.w.OK()
		return
	}
	if c.flags&flagReplica != 0 {
		c.addError("ERR Command is not valid when client is a replica.")
		return
	}
	port, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil || port < 0 || port > 65535 {
		c.addError("ERR Invalid master port")
		return
	}
	host := string(args[1])
	if s.replica.host == host && s.replica.port == int(port) {
		s.log.Info("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.")
		c.w.Simple("OK Already connected to specified master")
		return
	}
	s.setMaster(host, int(port))
	s.log.Info(fmt.Sprintf("REPLICAOF %s:%d enabled (user request from '%s')", host, port, c.logDescription()))
	c.w.OK()
}

// logDescription is how Redis's log names a client: id, addr, laddr, name.
func (c *Client) logDescription() string {
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d", c.id, c.addr, c.laddr, connFD(c.conn),
		c.name, int64(time.Since(c.created).Seconds()), int64(time.Since(c.lastInteract).Seconds()))
}

// setMaster makes the server a replica of host:port (replicationSetMaster).
// Its own replicas stay: they may continue from it once it synced.
func (s *Server) setMaster(host string, port int) {
	r := &s.replica
	wasMaster := !s.isReplica()
	s.dropMasterLink()
	r.host, r.port = host, port
	s.cfg.MasterHost, s.cfg.MasterPort = host, port
	s.setReplicaRole(true)
	if wasMaster {
		r.noCachedMaster = false
		// the PSYNC names this server's own history (Redis's
		// replicationCacheMasterUsingMyself): a master that was promoted
		// from it can continue it. The stream's next op selects anew.
		s.repl.selDB = -1
		if r.master != nil {
			r.master.db = s.ks.DBs[0]
		}
	}
	s.startReplicaLink()
}

// startReplicaLink starts the link goroutine of the current generation.
func (s *Server) startReplicaLink() {
	r := &s.replica
	r.gen++
	r.state = replConnect
	go s.replicaLoop(r.gen)
}

// unsetMaster is REPLICAOF NO ONE (replicationUnsetMaster): the server
// becomes a master that continues its history under a new replid, the old
// one kept as replid2 so the other replicas of its old master can
// continue from it; its own replicas reconnect to learn the new replid.
func (s *Server) unsetMaster() {
	r := &s.replica
	s.dropMasterLink()
	r.gen++
	r.host, r.port, r.state = "", 0, replNone
	r.downSince = time.Time{}
	s.cfg.MasterHost, s.cfg.MasterPort = "", 0
	s.setReplicaRole(false)
	r.master = nil
	s.log.Warn(s.repl.ids.Shift(s.repl.offset()))
	s.disconnectReplicas()
	s.repl.selDB = -1
}

// dropMasterLink closes the link's socket and detaches the master client,
// dropping a transaction it had open (lock held).
func (s *Server) dropMasterLink() {
	r := &s.replica
	if r.conn != nil {
		r.conn.Close()
		r.conn = nil
	}
	if m := r.master; m != nil {
		if m.flags&flagMulti != 0 {
			m.discardTransaction()
		}
		delete(s.clients, m.id)
	}
	r.multiBytes = r.multiBytes[:0]
	if r.state == replConnected {
		r.downSince = time.Now()
	}
	if r.state != replNone {
		r.state = replConnect
	}
}

// disconnectReplicas drops every attached replica (they reconnect and
// PSYNC again).
func (s *Server) disconnectReplicas() {
	for _, l := range s.repl.replicas {
		l.c.conn.Close()
	}
}

// replicaLoop is the link goroutine: connect, sync, apply the stream;
// after a failure wait a second and try again, until REPLICAOF changes.
func (s *Server) replicaLoop(gen int) {
	lost := false
	for {
		s.mu.Lock()
		if s.replica.gen != gen || s.closing.Load() {
			s.mu.Unlock()
			return
		}
		addr := net.JoinHostPort(s.replica.host, strconv.Itoa(s.replica.port))
		s.replica.state = replConnecting
		s.mu.Unlock()
		// every attempt, as Redis's replicationCron logs it
		if lost {
			s.log.Info("Reconnecting to MASTER " + addr)
		} else {
			s.log.Info("Connecting to MASTER " + addr)
		}
		s.syncWithMaster(gen, addr)
		s.mu.Lock()
		// a link that was up is tried again at once, as Redis does (a
		// second's wait may cost the backlog the replica needs)
		lost = s.replica.state == replConnected
		if s.replica.gen == gen {
			s.dropMasterLink()
		}
		s.mu.Unlock()
		if lost {
			continue
		}
		select {
		case <-s.done:
			return
		case <-time.After(time.Second):
		}
	}
}

// logLinkError logs what Redis logs for a failed link step.
func (s *Server) logLinkError(err error) {
	if e, ok := err.(*link.Error); ok {
		for _, line := range e.Logs {
			s.log.Warn(line)
		}
		return
	}
	s.log.Warn(err.Error())
}

// current reports (lock held) whether gen is still the link to run.
func (s *Server) current(gen int) bool { return s.replica.gen == gen && !s.closing.Load() }

// syncWithMaster runs one connection to the master: handshake, full or
// partial sync, then the stream until the link fails.
func (s *Server) syncWithMaster(gen int, addr string) {
	s.mu.Lock()
	timeout := time.Duration(s.cfg.ReplTimeout) * time.Second
	s.mu.Unlock()
	// Redis's connect is non-blocking: a refused connection is reported
	// after this line
	s.log.Info("MASTER <-> REPLICA sync started")
	l, err := link.Dial(addr, timeout)
	if err != nil {
		s.logLinkError(err)
		return
	}
	conn := l.Conn()
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	s.mu.Lock()
	if !s.current(gen) {
		s.mu.Unlock()
		return
	}
	r := &s.replica
	r.conn = conn
	r.state = replHandshake
	s.log.Info("Non blocking connect for SYNC fired the event.")
	cfg := link.Config{
		ListeningPort: s.cfg.Port,
		AnnounceIP:    s.cfg.ReplicaAnnounceIP,
		MasterUser:    s.cfg.MasterUser,
		MasterAuth:    s.cfg.MasterAuth,
	}
	if s.cfg.ReplicaAnnouncePort != 0 {
		cfg.ListeningPort = s.cfg.ReplicaAnnouncePort
	}
	cfg.Failover = s.repl.failover.state == failoverInProgress
	id, off := s.repl.ids.Replid, s.repl.offset()
	if r.noCachedMaster {
		id = ""
	}
	s.mu.Unlock()

	conn.SetDeadline(time.Now().Add(timeout))
	l.Log = func(line string) { s.log.Info(line) }
	res, err := l.Handshake(cfg, id, off)
	if cfg.Failover {
		s.mu.Lock()
		goOn := s.current(gen) && s.failoverHandshakeDone(err == nil)
		s.mu.Unlock()
		if !goOn {
			if err != nil {
				s.logLinkError(err)
			}
			return
		}
	}
	if err != nil {
		s.logLinkError(err)
		return
	}
	if res.Outcome == link.FullResync {
		if res.Warning != "" {
			s.log.Warn(res.Warning)
		} else {
			s.log.Info(fmt.Sprintf("Full resync from master: %s:%d", res.ReplID, res.Offset))
		}
		s.mu.Lock()
		r.noCachedMaster = true // Redis discards its cached master here
		s.mu.Unlock()
		if !s.fullSyncFromMaster(gen, l, res, timeout) {
			return
		}
	} else {
		s.log.Info("Successful partial resynchronization with master.")
		if res.Warning != "" {
			s.log.Warn(res.Warning)
		}
		s.mu.Lock()
		if !s.current(gen) {
			s.mu.Unlock()
			return
		}
		if res.ReplIDChanged {
			// the master was promoted: our history goes on under its new
			// replid, and our replicas must learn it
			s.repl.ids.Replid2 = s.repl.ids.Replid
			s.repl.ids.SecondReplidOffset = off + 1
			s.repl.ids.Replid = res.ReplID
			s.disconnectReplicas()
		}
		if s.repl.backlog == nil {
			s.repl.backlog = replication.NewBacklog(int(s.cfg.ReplBacklogSize), off)
		}
		s.log.Info("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
		s.masterLinkUp(conn, -1)
		s.mu.Unlock()
	}
	conn.SetDeadline(time.Time{})
	s.streamFromMaster(gen, l, timeout)
}

// transferWriter collects the payload, counting its bytes for INFO and
// pushing the read deadline on while data flows.
type transferWriter struct {
	buf     bytes.Buffer
	r       *replicaState
	conn    net.Conn
	timeout time.Duration
}

// SetPayloadSize and PayloadRead follow the transfer for INFO
// (link.PayloadProgress).
func (w *transferWriter) SetPayloadSize(n int64) { w.r.transferSize.Store(n) }
func (w *transferWriter) PayloadRead(n int)      { w.r.transferRead.Add(int64(n)) }

func (w *transferWriter) Write(p []byte) (int, error) {
	now := time.Now()
	w.r.transferLastIO.Store(now.Unix())
	w.conn.SetReadDeadline(now.Add(w.timeout))
	return w.buf.Write(p)
}

// fullSyncFromMaster receives the payload, replaces the data set with it
// and starts the stream at the master's offset. With repl-diskless-load
// disabled the payload is also stored as the RDB file, as Redis does.
func (s *Server) fullSyncFromMaster(gen int, l *link.Link, res link.PsyncResult, timeout time.Duration) bool {
	r := &s.replica
	s.mu.Lock()
	if !s.current(gen) {
		s.mu.Unlock()
		return false
	}
	r.state = replTransfer
	r.transferRead.Store(0)
	r.transferSize.Store(-1)
	r.transferLastIO.Store(time.Now().Unix())
	toDisk := s.cfg.ReplDisklessLoad == "disabled"
	path := s.rdbPath()
	s.mu.Unlock()

	w := &transferWriter{r: r, conn: l.Conn(), timeout: timeout}
	info, err := l.ReadPayload(w)
	if err != nil {
		s.logLinkError(err)
		return false
	}
	if info.Diskless {
		s.log.Info("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk")
	} else {
		s.log.Info(fmt.Sprintf("MASTER <-> REPLICA sync: receiving %d bytes from master to disk", info.Size))
	}
	payload := w.buf.Bytes()
	if toDisk {
		if err := storeSyncPayload(path, payload); err != nil {
			s.log.Warn(fmt.Sprintf("Failed trying to rename the temp DB into %s in MASTER <-> REPLICA synchronization: %v", filepath.Base(path), err))
			return false
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.current(gen) {
		return false
	}
	aofWasOn := s.aof.state != aofOff
	if aofWasOn {
		s.stopAppendOnly()
	}
	s.abortSave()
	s.ks.SignalFlushed(nil)
	// the payload's libraries replace ours (a library of the same name
	// would refuse to load over the old one)
	var oldFunctions *script.Engine
	if s.scripts != nil {
		oldFunctions, s.scripts.functions = s.scripts.functions, nil
	}
	// swapdb keeps the old data set aside until the payload loaded, as
	// Redis's temp DB; the other modes drop it first
	var stash []*keyspace.DB
	if s.cfg.ReplDisklessLoad == "swapdb" {
		stash = s.ks.Detach()
	} else {
		// the replicas' history is gone with the data set
		s.disconnectReplicas()
		s.log.Info("MASTER <-> REPLICA sync: Flushing old data")
		s.flushAllDBs()
	}
	s.log.Info("MASTER <-> REPLICA sync: Loading DB in memory")
	gc := debug.SetGCPercent(-1) // as at start-up: nearly all of it stays live
	s.replica.loaded.streamDB = 0
	err = s.loadRDBBytes(payload)
	debug.SetGCPercent(gc)
	if err != nil {
		s.log.Warn(fmt.Sprintf("Failed trying to load the MASTER synchronization DB from socket: %v", err))
		if stash != nil {
			s.ks.Reattach(stash)
			if s.scripts != nil {
				s.scripts.functions = oldFunctions
			}
			s.log.Info("MASTER <-> REPLICA sync: Discarding temporary DB in background")
		} else {
			// what did load goes, libraries too (Redis's emptyData)
			s.flushAllDBs()
			if s.scripts != nil {
				s.scripts.functions = nil
			}
		}
		return false
	}
	if stash != nil {
		s.disconnectReplicas()
		s.log.Info("MASTER <-> REPLICA sync: Swapping active DB with loaded DB")
		s.log.Info("MASTER <-> REPLICA sync: Discarding old DB in background")
	}
	s.repl.ids = replication.IDs{Replid: res.ReplID}
	s.repl.ids.ClearID2()
	s.repl.backlog = replication.NewBacklog(int(s.cfg.ReplBacklogSize), res.Offset)
	s.masterLinkUp(l.Conn(), s.replica.loaded.streamDB)
	if aofWasOn {
		// the AOF starts again from the new data set (restartAOFAfterSYNC)
		if err := s.startAppendOnly(); err != nil {
			s.log.Warn("Failed enabling the AOF after successful master synchronization! Trying it again in one second.")
		}
	}
	s.log.Info("MASTER <-> REPLICA sync: Finished with success")
	if info.Diskless {
		// a diskless master starts the stream on the first ACK
		r.ackNow = true
	}
	return true
}

// flushAllDBs empties every database (what was loaded before a payload
// failed, or the data set the payload replaces).
func (s *Server) flushAllDBs() {
	for _, db := range s.ks.DBs {
		db.Flush()
	}
}

// storeSyncPayload writes the payload to a temp file, syncs it and renames
// it over the RDB file.
func storeSyncPayload(path string, payload []byte) error {
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf("temp-%d.%d.rdb", time.Now().Unix(), os.Getpid()))
	if err := writeFileSync(tmp, payload); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// masterLinkUp attaches the master client to conn; db >= 0 selects the
// stream's database (a full sync's repl-stream-db). Lock held.
func (s *Server) masterLinkUp(conn net.Conn, db int) {
	r := &s.replica
	m := r.master
	if m == nil {
		m = s.newMasterClient(0)
		r.master = m
	}
	m.conn = conn
	m.id = s.nextClientID.Add(1)
	m.addr, m.laddr = conn.RemoteAddr().String(), conn.LocalAddr().String()
	m.created, m.lastInteract = time.Now(), time.Now()
	m.flags &^= flagCloseASAP
	if db >= 0 && db < len(s.ks.DBs) {
		m.db = s.ks.DBs[db]
	}
	s.clients[m.id] = m
	r.state = replConnected
	r.downSince = time.Time{}
	r.noCachedMaster = false
}

// newMasterClient is the client the master's stream runs as, in db; its
// connection is attached by masterLinkUp.
func (s *Server) newMasterClient(db int) *Client {
	return &Client{srv: s, rd: resp.NewReader(), w: resp.NewWriter(), user: "default", authenticated: true,
		flags: flagMaster, db: s.ks.DBs[db]}
}

// streamFromMaster applies the master's stream until the link fails:
// commands are read without the lock and applied in batches under it.
func (s *Server) streamFromMaster(gen int, l *link.Link, timeout time.Duration) {
	conn := l.Conn()
	stop := make(chan struct{})
	defer close(stop)
	go s.ackLoop(gen, l, stop)
	s.sendAckIfAsked(l)
	cmds := make([][][]byte, 0, 64)
	for {
		// the last batch is applied: its arguments' memory is free again
		l.ResetArena()
		conn.SetReadDeadline(time.Now().Add(timeout))
		argv, _, err := l.ReadCommand()
		if err != nil {
			s.mu.Lock()
			if s.current(gen) {
				if ne, ok := err.(*link.Error); ok && isTimeout(ne.Err) {
					s.log.Warn("MASTER timeout: no data nor PING received...")
				} else {
					s.logLinkError(err)
				}
				s.log.Info("Caching the disconnected master state.")
			}
			s.mu.Unlock()
			return
		}
		cmds = append(cmds[:0], argv)
		for l.Buffered() > 0 && len(cmds) < maxBatch {
			argv, _, err := l.ReadCommand()
			if err != nil {
				break // seen again by the next read
			}
			cmds = append(cmds, argv)
		}
		s.mu.Lock()
		// a slow script lets clients in between its steps, but its
		// atomicity holds for the master's stream too: wait for its end
		for s.scriptBusy() && s.current(gen) {
			s.mu.Unlock()
			time.Sleep(time.Millisecond)
			s.mu.Lock()
		}
		if !s.current(gen) {
			s.mu.Unlock()
			return
		}
		s.applyFromMaster(cmds)
		s.mu.Unlock()
		s.sendAckIfAsked(l)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// applyFromMaster runs commands of the stream with the master client
// (replies dropped) and passes their bytes on (lock held).
func (s *Server) applyFromMaster(cmds [][][]byte) {
	r := &s.replica
	m := r.master
	now := time.Now()
	m.lastInteract = now
	// the batch's commands start from this clock read, as a client's
	// batch (Client.call chains it); left set, the next batch would
	// start from the end of this one and a clamp to "now" (XCLAIM TIME)
	// would use an instant long past
	s.clockNext = now
	defer func() { s.clockNext = time.Time{} }()
	s.ks.MasterApplying = true
	for i, argv := range cmds {
		if i%prefetchAhead == 0 {
			// the next keys' buckets are touched together so their cache
			// misses overlap, as for a client's pipeline (the lookups
			// were half the replica's CPU under a SET load)
			m.prefetchKeys(cmds[i:min(i+prefetchAhead, len(cmds))])
		}
		r.multiBytes = aof.AppendCommand(r.multiBytes, argv...)
		if len(argv) > 0 {
			m.processCommand(argv)
			m.w.Reset()
		}
		if m.flags&flagMulti == 0 {
			s.appendToStream(r.multiBytes)
			r.multiBytes = r.multiBytes[:0]
		}
	}
	s.ks.MasterApplying = false
}

// prefetchAhead is how many commands' keys are prefetched at a time.
const prefetchAhead = 16

// sendAckIfAsked sends REPLCONF ACK when the stream asked for one.
func (s *Server) sendAckIfAsked(l *link.Link) {
	s.mu.Lock()
	ask := s.replica.ackNow
	s.replica.ackNow = false
	off := s.repl.offset()
	s.mu.Unlock()
	if ask {
		s.sendAck(l, off)
	}
}

func (s *Server) sendAck(l *link.Link, off int64) {
	r := &s.replica
	r.wmu.Lock()
	l.Conn().SetWriteDeadline(time.Now().Add(10 * time.Second))
	l.SendAck(off)
	r.wmu.Unlock()
}

// ackLoop sends REPLCONF ACK with the applied offset every second, which
// is how the master knows the replica's lag and offset.
func (s *Server) ackLoop(gen int, l *link.Link, stop chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-s.done:
			return
		case <-t.C:
		}
		s.mu.Lock()
		ok := s.current(gen)
		off := s.repl.offset()
		s.mu.Unlock()
		if !ok {
			return
		}
		s.sendAck(l, off)
	}
}

// startReplicaOnBoot starts the link of the replicaof directive. When the
// RDB loaded at start-up recorded a replication history, the server
// continues it (Redis restores a cached master from those aux fields), so
// a restarted replica can resync partially.
func (s *Server) startReplicaOnBoot() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.MasterHost == "" {
		return
	}
	ld := s.replica.loaded
	host, port := s.cfg.MasterHost, s.cfg.MasterPort
	s.replica.noCachedMaster = true
	if ld.id != "" && ld.offset > 0 {
		s.replica.noCachedMaster = false
		s.repl.ids = replication.IDs{Replid: ld.id}
		s.repl.ids.ClearID2()
		s.repl.backlog = replication.NewBacklog(int(s.cfg.ReplBacklogSize), ld.offset)
		s.replica.master = s.newMasterClient(min(max(ld.streamDB, 0), len(s.ks.DBs)-1))
	}
	s.replica.host, s.replica.port = host, port
	s.setReplicaRole(true)
	s.startReplicaLink()
}

// replStreamDB is the repl-stream-db a snapshot records: the database the
// stream continues in (a replica's master client's, a master's last
// SELECT).
func (s *Server) replStreamDB() int {
	if m := s.replica.master; s.isReplica() && m != nil {
		return m.db.ID
	}
	return max(s.repl.selDB, 0)
}

// ignoresMaxmemory: a replica with replica-ignore-maxmemory leaves
// eviction to its master, whose DELs it applies.
func (s *Server) ignoresMaxmemory() bool { return s.isReplica() && s.cfg.ReplicaIgnoreMaxMe }

// noteReplAux keeps the replication aux fields of a loaded RDB.
func (s *Server) noteReplAux(k, v string) {
	ld := &s.replica.loaded
	switch k {
	case "repl-id":
		ld.id = v
	case "repl-offset":
		ld.offset, _ = strconv.ParseInt(v, 10, 64)
	case "repl-stream-db":
		n, _ := strconv.Atoi(v)
		ld.streamDB = n
	}
}

// infoReplicaFields are INFO replication's lines of a replica, as Redis
// 7.0 writes them.
func (s *Server) infoReplicaFields(b *strings.Builder) {
	r := &s.replica
	lastIO := int64(-1)
	if r.master != nil && r.state == replConnected {
		lastIO = int64(time.Since(r.master.lastInteract).Seconds())
	}
	off := int64(1)
	if r.master != nil {
		off = s.repl.offset()
	}
	infoLines(b,
		"role", "slave",
		"master_host", r.host,
		"master_port", r.port,
		"master_link_status", map[bool]string{true: "up", false: "down"}[s.linkUp()],
		"master_last_io_seconds_ago", lastIO,
		"master_sync_in_progress", b2i(r.state == replTransfer),
		"slave_read_repl_offset", off,
		"slave_repl_offset", off,
	)
	if r.state == replTransfer {
		// Redis's arithmetic as is: an EOF-delimited payload has size 0,
		// so its "left" comes out negative
		size, read := r.transferSize.Load(), r.transferRead.Load()
		perc := 0.0
		if size != 0 {
			perc = float64(read) / float64(size) * 100
		}
		infoLines(b,
			"master_sync_total_bytes", size,
			"master_sync_read_bytes", read,
			"master_sync_left_bytes", size-read,
			"master_sync_perc", strconv.FormatFloat(perc, 'f', 2, 64),
			"master_sync_last_io_seconds_ago", time.Now().Unix()-r.transferLastIO.Load(),
		)
	}
	if !s.linkUp() {
		down := int64(-1)
		if !r.downSince.IsZero() {
			down = int64(time.Since(r.downSince).Seconds())
		}
		infoLines(b, "master_link_down_since_seconds", down)
	}
	infoLines(b,
		"slave_priority", s.cfg.ReplicaPriority,
		"slave_read_only", b2i(s.cfg.ReplicaReadOnly),
		"replica_announced", b2i(s.cfg.ReplicaAnnounced),
	)
}

// roleReplica is ROLE's reply on a replica: host, port, link state and
// the offset applied (-1 while no master client exists).
func (s *Server) roleReplica(c *Client) {
	r := &s.replica
	c.w.ArrayLen(5)
	c.w.BulkString("slave")
	c.w.BulkString(r.host)
	c.w.Int(int64(r.port))
	c.w.BulkString(replStateNames[r.state])
	off := int64(-1)
	if r.master != nil && r.state == replConnected {
		off = s.repl.offset()
	}
	c.w.Int(off)
}
