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
)

// Client is one connected client.
type Client struct {
	srv  *Server
	conn net.Conn
	id   int64
	rd   *resp.Reader
	w    *resp.Writer

	db            *keyspace.DB
	name          string
	user          string
	authenticated bool
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
}

func (s *Server) serveConn(conn net.Conn) {
	c := &Client{
		srv:     s,
		conn:    conn,
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
		s.mu.Unlock()
		conn.Write([]byte("-ERR max number of clients reached\r\n"))
		conn.Close()
		s.stats.rejectedConns++
		return
	}
	if msg := s.protectedModeDenial(c); msg != "" {
		s.mu.Unlock()
		conn.Write([]byte("-" + msg + "\r\n"))
		conn.Close()
		return
	}
	c.db = s.ks.DBs[0]
	c.authenticated = s.cfg.RequirePass == ""
	c.rd.MaxBulkLen = s.cfg.ProtoMaxBulkLen
	c.rd.QueryBufferLimit = s.cfg.ClientQueryBufferLimit
	s.clients[c.id] = c
	s.stats.totalConns++
	s.mu.Unlock()
	c.rd.NeedsAuth = func() bool { return !c.authenticated }

	c.serve()

	s.mu.Lock()
	delete(s.clients, c.id)
	s.unlinkMonitor(c)
	s.mu.Unlock()
	c.stopAsync()
	conn.Close()
}

// batch is the commands parsed from one read, executed under one lock.
const maxBatch = 1024

func (c *Client) serve() {
	s := c.srv
	batch := make([][][]byte, 0, 64)
	for {
		n, err := c.rd.Fill(c.conn)
		if err == resp.ErrQueryBufferLimit {
			s.log.Warn("Closing client that reached max query buffer length: " + c.infoLine())
			return
		}
		if n > 0 {
			c.totalNetIn += int64(n)
			s.stats.netInput.Add(int64(n))
			s.intro.readsProcessed.Add(1)
			var perr error
			for {
				batch = batch[:0]
				for len(batch) < maxBatch {
					args, e := c.rd.Next()
					if e != nil {
						perr = e
						break
					}
					if args == nil {
						break
					}
					batch = append(batch, args)
				}
				if len(batch) == 0 && perr == nil {
					break
				}
				s.mu.Lock()
				for _, args := range batch {
					c.processCommand(args)
					if c.flags&(flagCloseAfterReply|flagCloseASAP) != 0 {
						break
					}
				}
				if perr != nil && c.flags&flagCloseASAP == 0 {
					c.addError(perr.Error())
					c.flags |= flagCloseAfterReply
					s.log.Debug("Protocol error from client: " + c.infoLine())
				}
				s.mu.Unlock()
				if !c.flush() || perr != nil || c.flags&(flagCloseAfterReply|flagCloseASAP) != 0 {
					return
				}
				if len(batch) < maxBatch {
					break
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// flush writes pending replies; false if the connection failed.
func (c *Client) flush() bool {
	if c.flags&flagCloseASAP != 0 {
		return false
	}
	if len(c.w.Buf) == 0 {
		return true
	}
	if c.async != nil {
		c.pushAsync(c.w.Buf)
		c.w.Reset()
		return true
	}
	c.srv.intro.writesProcessed.Add(1)
	n, err := c.conn.Write(c.w.Buf)
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
	c.conn.Close()
}

// infoLine is the client's CLIENT LIST line, with Redis 7.0's fields in
// Redis's order (see cmd_client.go for how each value is obtained).
func (c *Client) infoLine() string { return c.clientListLine() }
