// client.go is one connection: its read loop (parse a batch of requests
// without the lock, execute the batch under one acquisition of the executor
// lock, flush the replies once), and the per-client state Redis keeps.
package server

import (
	"net"
	"strings"
	"time"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/resp"
)

// Client flags.
const (
	flagCloseAfterReply = 1 << iota
	flagCloseASAP
	flagMulti
	flagReplyOff
	flagReplySkip
	flagReplySkipNext
	flagNoEvict
	flagPubSub
	flagMonitor
	flagUnixSocket
	flagScript // the client scripts run their redis.call commands as
	// flagObey marks the client replaying the AOF (Redis's mustObeyClient):
	// its commands are applied as written, without the limits put on users
	flagObey
	// flagReplica marks a replica's connection (PSYNC/SYNC sent): its
	// goroutine sends the sync and the stream (repl_master.go)
	flagReplica
	// flagMaster marks the master client of a replica: the commands of
	// the replication stream, applied as written, without replies
	// (repl_replica.go)
	flagMaster
)

// Client is one connected client.
type Client struct {
	srv  *Server
	conn net.Conn
	io   connIO // raw socket I/O (rawio.go) over conn
	id   int64
	rd   *resp.Reader
	w    *resp.Writer

	db            *keyspace.DB
	name          string
	user          string
	authenticated bool
	execRunning   bool // EXEC is re-checking ACLs of queued commands (acl.go)
	flags         int
	libName       string
	libVer        string

	addr, laddr  string
	created      time.Time
	lastInteract time.Time
	lastCmd      string
	argv         [][]byte
	cmd          *serverCommand
	errorsInCall int
	totalNetIn   int64
	totalNetOut  int64

	clientListInfo // CLIENT LIST fields sampled under the executor lock
	// origArgv is argv as the slow log and MONITOR show it, when a handler
	// redacted arguments (redactArg).
	origArgv [][]byte
	// async is the output queue of clients others write to (async.go).
	async *asyncOutput
	// pubsubSubs are the client's subscriptions (pubsub.go); nil if none yet.
	pubsubSubs *subscriptions
	// heldPushes are messages for c produced by its own command while its
	// replies are off: pushes are sent regardless (pubsub.go).
	heldPushes []byte
	// obufSoftLimitSince is when (unix s) the client's unsent output went
	// over its soft limit; 0 when it is under (pubsub_limits.go).
	obufSoftLimitSince int64
	// mstate is the client's MULTI queue and WATCHed keys (cmd_multi.go).
	mstate multiState
	// blocked is set while the client waits in a blocking command (blocking.go).
	blocked *blockedOn
	// prop is what the running command's handler asked of propagation
	// (propagate.go).
	prop clientPropagation
	// aofWait is the AOF offset the client's replies wait for: what was
	// appended when its batch ended (persist_aof.go).
	aofWait int64
	// replListenPort is the replica's REPLCONF listening-port; repl is its
	// link once it asked to sync (repl_master.go).
	replListenPort  int
	replAnnouncedIP string // REPLCONF ip-address
	replCapaEOF     bool   // REPLCONF capa eof: takes a diskless payload
	replReq         rdbReq // REPLCONF rdb-filter-only: parts of the RDB left out
	repl            *replicaLink
	// waitTarget and waitWant are a blocked WAIT's offset and count
	// (cmd_repl.go).
	waitTarget int64
	waitWant   int64
}

func (s *Server) serveConn(conn net.Conn) {
	c := &Client{
		srv:     s,
		conn:    conn,
		io:      newConnIO(conn),
		id:      s.nextClientID.Add(1),
		rd:      resp.NewReader(),
		w:       resp.NewWriter(),
		created: time.Now(),
		user:    "default",
	}
	c.lastInteract = c.created
	c.addr = conn.RemoteAddr().String()
	c.laddr = conn.LocalAddr().String()
	if _, ok := conn.(*net.UnixConn); ok {
		c.flags |= flagUnixSocket
		c.addr = "/" + strings.TrimPrefix(c.laddr, "/") + ":0"
		c.laddr = c.addr
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}

	s.mu.Lock()
	if len(s.clients) >= s.cfg.MaxClients {
		s.stats.rejectedConns++
		s.mu.Unlock()
		conn.Write([]byte("-ERR max number of clients reached\r\n"))
		conn.Close()
		return
	}
	if msg := s.protectedModeDenial(c); msg != "" {
		s.mu.Unlock()
		conn.Write([]byte("-" + msg + "\r\n"))
		conn.Close()
		return
	}
	c.db = s.ks.DBs[0]
	c.authenticated = s.defaultUserNoAuth()
	c.rd.MaxBulkLen = s.cfg.ProtoMaxBulkLen
	c.rd.QueryBufferLimit = s.cfg.ClientQueryBufferLimit
	if tc, ok := conn.(*net.TCPConn); ok && s.cfg.TCPKeepalive <= 0 {
		tc.SetKeepAlive(false) // Go enables it on accepted sockets by default
	} else if ok {
		// tcp-keepalive: probe idle peers so dead ones are noticed, with
		// Redis's timing (first probe after the interval, then a third of it)
		interval := max(s.cfg.TCPKeepalive/3, 1)
		tc.SetKeepAliveConfig(net.KeepAliveConfig{
			Enable:   true,
			Idle:     time.Duration(s.cfg.TCPKeepalive) * time.Second,
			Interval: time.Duration(interval) * time.Second,
			Count:    3,
		})
	}
	s.clients[c.id] = c
	s.stats.totalConns++
	s.mu.Unlock()
	c.rd.NeedsAuth = func() bool { return !c.authenticated }

	c.serve()

	s.mu.Lock()
	delete(s.clients, c.id)
	s.unlinkMonitor(c)
	s.unsubscribeAll(c)
	c.unwatchAll()
	s.mu.Unlock()
	c.stopAsync()
	conn.Close()
}

// maxBatch bounds how many commands run under one acquisition of the
// executor lock, so a deep pipeline does not starve other clients.
const maxBatch = 1024

// serve is the connection's read loop: read, run every complete command
// buffered, reply, until the connection ends.
func (c *Client) serve() {
	batch := make([][][]byte, 0, 64)
	for {
		n, err := c.rd.Fill(c.io)
		if n > 0 {
			c.totalNetIn += int64(n)
			c.srv.stats.netInput.Add(int64(n))
			c.srv.intro.readsProcessed.Add(1)
			if !c.processInput(&batch) {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// prefetchSink keeps the result of prefetching alive; it is written under
// Server.mu.
var prefetchSink uintptr

// prefetchKeys warms the cache for a pipelined batch: the first argument
// of most commands is a key, and touching all of them in one pass lets
// their cache misses overlap (see keyspace.Dict.Prefetch). An argument
// that is not a key costs one wasted bucket read.
func (c *Client) prefetchKeys(cmds [][][]byte) {
	var keys [32][]byte
	n := 0
	for _, args := range cmds {
		if len(args) > 1 {
			keys[n] = args[1]
			if n++; n == len(keys) {
				break
			}
		}
	}
	prefetchSink += c.db.Dict().Prefetch(keys[:n])
}

// processInput runs the complete commands in the query buffer in batches:
// parse a batch without the lock, execute it under one acquisition of the
// executor lock, flush the replies once. Commands parsed before a protocol
// error still run and get their replies, then the error is sent and the
// connection closes, as Redis does. It returns false when the connection
// must close.
func (c *Client) processInput(batch *[][][]byte) bool {
	s := c.srv
	for {
		cmds := (*batch)[:0]
		var perr error
		for len(cmds) < maxBatch {
			args, err := c.rd.Next()
			if err != nil {
				perr = err
				break
			}
			if args == nil {
				break
			}
			cmds = append(cmds, args)
		}
		*batch = cmds
		if len(cmds) == 0 && perr == nil {
			return true
		}
		protoErr, isProto := perr.(*resp.ProtocolError)
		// closing and killed are read from c.flags under the lock, since
		// other clients may set them (CLIENT KILL)
		var closing, killed bool
		// input read while a command was blocked is buffered, unparsed:
		// it is parsed in another round before reading again
		resumed := false
		if len(cmds) > 0 || isProto {
			s.mu.Lock()
			now := time.Now()
			c.lastInteract = now
			s.clockNext = now
			if len(cmds) > 1 {
				c.prefetchKeys(cmds)
			}
			for i := 0; i < len(cmds); i++ {
				c.processCommand(cmds[i])
				if c.flags&(flagCloseAfterReply|flagCloseASAP) != 0 {
					break
				}
				if c.blocked != nil {
					// the rest of the batch waits for the blocked command
					rest := cloneCommands(cmds[i+1:])
					if !c.waitWhileBlocked() {
						c.flags |= flagCloseASAP
						break
					}
					cmds, i = rest, -1
					resumed = true
					now = time.Now()
					c.lastInteract = now
					s.clockNext = now
				}
			}
			if isProto && c.flags&(flagCloseAfterReply|flagCloseASAP) == 0 {
				c.addError(protoErr.Error())
				c.flags |= flagCloseAfterReply
				s.log.Debug("Protocol error (" + protoErr.Msg + ") from client: " + c.infoLine())
			}
			s.clockNext = time.Time{}
			if c.async != nil && len(c.w.Buf) > 0 {
				// queued under the lock, so messages others publish to c
				// after this batch come after its replies
				c.pushAsync(c.w.Buf)
				c.w.Reset()
			}
			closing = c.flags&(flagCloseAfterReply|flagCloseASAP) != 0
			killed = c.flags&flagCloseASAP != 0
			if c.repl != nil && !killed {
				c.serveReplica() // releases the lock
				return false
			}
			c.noteAOFWait()
			s.mu.Unlock()
			c.awaitAOF()
		}
		if perr == resp.ErrQueryBufferLimit {
			s.mu.Lock()
			s.log.Warn("Closing client that reached max query buffer length: " + c.infoLine())
			s.mu.Unlock()
		}
		if killed {
			return false // CLIENT KILL: pending replies are dropped
		}
		if !c.flush() || perr != nil || closing {
			return false
		}
		if len(cmds) < maxBatch && !resumed {
			return true
		}
	}
}

// flush writes pending replies; false if the connection failed.
// It runs without the executor lock, so it must not read c.flags (other
// clients change them under the lock, e.g. CLIENT KILL).
func (c *Client) flush() bool {
	if len(c.w.Buf) == 0 {
		return true
	}
	if c.async != nil {
		c.pushAsync(c.w.Buf)
		c.w.Reset()
		return true
	}
	c.srv.intro.writesProcessed.Add(1)
	n, err := c.io.Write(c.w.Buf)
	c.totalNetOut += int64(n)
	c.srv.stats.netOutput.Add(int64(n))
	if cap(c.w.Buf) > 1<<20 {
		c.w.Buf = make([]byte, 0, 16*1024)
	} else {
		c.w.Reset()
	}
	return err == nil
}

// replyEnabled tells whether replies of the current command are sent
// (CLIENT REPLY OFF|SKIP).
func (c *Client) replyEnabled() bool { return c.flags&(flagReplyOff|flagReplySkip) == 0 }

// addError writes an error reply and counts it in the error statistics.
// msg starts with its code ("ERR ...", "WRONGTYPE ...").
func (c *Client) addError(msg string) {
	c.errorsInCall++
	c.srv.stats.countError(msg)
	c.w.Error(msg)
}

// closeASAP makes the client's connection close without sending pending replies.
func (c *Client) closeASAP() {
	c.flags |= flagCloseASAP
	c.srv.unblockClient(c)
	c.conn.Close()
}

// infoLine is the client's CLIENT LIST line, with Redis 7.0's fields in
// Redis's order (see cmd_client.go for how each value is obtained).
func (c *Client) infoLine() string { return c.clientListLine() }
