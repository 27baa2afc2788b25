// cmd_client.go holds the CLIENT command (LIST, INFO, KILL, SETNAME,
// GETNAME, ID, PAUSE, UNPAUSE, REPLY, NO-EVICT, HELP), the CLIENT LIST line
// of a client, and the server-wide pause state that dispatch consults before
// running a command (clients wait for a pause to end without holding the
// executor lock).
package server

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func init() {
	register("client|help", cmdClientHelp)
	register("client|id", cmdClientID)
	register("client|info", cmdClientInfo)
	register("client|list", cmdClientList)
	register("client|kill", cmdClientKill)
	register("client|setname", cmdClientSetName)
	register("client|getname", cmdClientGetName)
	register("client|pause", cmdClientPause)
	register("client|unpause", cmdClientUnpause)
	register("client|reply", cmdClientReply)
	register("client|no-evict", cmdClientNoEvict)
}

var clientHelp = []string{
	"CACHING (YES|NO)",
	"    In OPTIN or OPTOUT tracking mode, choose whether the keys read by the",
	"    next command are tracked.",
	"GETREDIR",
	"    Show the id of the client that receives this connection's tracking",
	"    invalidations.",
	"GETNAME",
	"    Show this connection's name.",
	"ID",
	"    Show this connection's unique id.",
	"INFO",
	"    Describe this connection in the format of one CLIENT LIST line.",
	"KILL <ip:port>",
	"    Close the connection whose peer address is <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Close every connection matching all the filters given:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      the peer address is this one",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      the local (server side) address is this one",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      the connection is of this kind",
	"    * USER <username>",
	"      the connection is logged in as <username>",
	"    * SKIPME (YES|NO)",
	"      whether the calling connection is spared (yes unless told otherwise)",
	"LIST [options ...]",
	"    Describe the open connections, one per line. Option:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      list only connections of this kind",
	"UNPAUSE",
	"    End a pause started by CLIENT PAUSE so clients are served again.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Hold back commands from other clients (every command, or only writes)",
	"    for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Turn replies to this connection on or off, or drop the next one only.",
	"SETNAME <name>",
	"    Give this connection the name <name>.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Wake a client stuck in a blocking command, as if it timed out or with",
	"    an error.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Turn invalidation messages for client side caching on or off.",
	"TRACKINGINFO",
	"    Describe this connection's tracking settings.",
	"NO-EVICT (ON|OFF)",
	"    Exempt this connection from client eviction, or stop exempting it.",
}

func cmdClientHelp(c *Client, args [][]byte) { replyHelpLines(c, args, clientHelp) }

func cmdClientID(c *Client, args [][]byte) { c.w.Int(c.id) }

func cmdClientInfo(c *Client, args [][]byte) {
	c.w.Verbatim("txt", c.infoLine()+"\n")
}

// Client types as CLIENT LIST TYPE and CLIENT KILL TYPE name them.
const (
	clientTypeNormal = iota
	clientTypeReplica
	clientTypePubSub
	clientTypeMaster
)

func clientTypeByName(name []byte) int {
	switch strings.ToLower(string(name)) {
	case "normal":
		return clientTypeNormal
	case "slave", "replica":
		return clientTypeReplica
	case "pubsub":
		return clientTypePubSub
	case "master":
		return clientTypeMaster
	}
	return -1
}

// clientType classifies c as Redis's getClientType.
func (c *Client) clientType() int {
	if c.flags&flagReplica != 0 && c.flags&flagMonitor == 0 {
		return clientTypeReplica
	}
	if c.flags&flagMaster != 0 {
		return clientTypeMaster
	}
	if c.flags&flagPubSub != 0 {
		return clientTypePubSub
	}
	return clientTypeNormal
}

// sortedClients is the client registry in connection order, as Redis keeps
// its client list.
func (s *Server) sortedClients() []*Client {
	out := make([]*Client, 0, len(s.clients))
	for _, cl := range s.clients {
		out = append(out, cl)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func cmdClientList(c *Client, args [][]byte) {
	var b strings.Builder
	switch {
	case len(args) == 4 && strings.EqualFold(string(args[2]), "type"):
		typ := clientTypeByName(args[3])
		if typ == -1 {
			c.addError(fmt.Sprintf("ERR Unknown client type '%s'", args[3]))
			return
		}
		for _, cl := range c.srv.sortedClients() {
			if cl.clientType() == typ {
				b.WriteString(cl.infoLine())
				b.WriteByte('\n')
			}
		}
	case len(args) > 3 && strings.EqualFold(string(args[2]), "id"):
		for _, a := range args[3:] {
			id, ok := parseInt(a)
			if !ok {
				c.addError("ERR Invalid client ID")
				return
			}
			if cl := c.srv.clients[id]; cl != nil {
				b.WriteString(cl.infoLine())
				b.WriteByte('\n')
			}
		}
	case len(args) != 2:
		c.addError(errSyntax)
		return
	default:
		for _, cl := range c.srv.sortedClients() {
			b.WriteString(cl.infoLine())
			b.WriteByte('\n')
		}
	}
	c.w.Verbatim("txt", b.String())
}

func cmdClientKill(c *Client, args [][]byte) {
	var (
		addr, laddr, user string
		hasAddr, hasLaddr bool
		hasUser           bool
		typ               = -1
		id                int64
		skipMe            = true
	)
	if len(args) == 3 {
		// The old form kills by address and may kill the caller.
		addr, hasAddr, skipMe = string(args[2]), true, false
	} else {
		for i := 2; i < len(args); i += 2 {
			opt := strings.ToLower(string(args[i]))
			if i+1 >= len(args) {
				c.addError(errSyntax)
				return
			}
			val := args[i+1]
			switch opt {
			case "id":
				n, ok := parseInt(val)
				if !ok || n < 1 {
					c.addError("ERR client-id should be greater than 0")
					return
				}
				id = n
			case "type":
				typ = clientTypeByName(val)
				if typ == -1 {
					c.addError(fmt.Sprintf("ERR Unknown client type '%s'", val))
					return
				}
			case "addr":
				addr, hasAddr = string(val), true
			case "laddr":
				laddr, hasLaddr = string(val), true
			case "user":
				// Only the default user exists until ACLs do.
				if string(val) != "default" {
					c.addError(fmt.Sprintf("ERR No such user '%s'", val))
					return
				}
				user, hasUser = string(val), true
			case "skipme":
				switch strings.ToLower(string(val)) {
				case "yes":
					skipMe = true
				case "no":
					skipMe = false
				default:
					c.addError(errSyntax)
					return
				}
			default:
				c.addError(errSyntax)
				return
			}
		}
	}

	killed, closeSelf := 0, false
	for _, cl := range c.srv.sortedClients() {
		if hasAddr && cl.addr != addr ||
			hasLaddr && cl.laddr != laddr ||
			typ != -1 && cl.clientType() != typ ||
			id != 0 && cl.id != id ||
			hasUser && cl.user != user ||
			cl == c && skipMe {
			continue
		}
		if cl == c {
			closeSelf = true
		} else {
			cl.closeASAP()
			// Gone from CLIENT LIST at once, as Redis frees it synchronously.
			delete(c.srv.clients, cl.id)
		}
		killed++
	}
	if len(args) == 3 {
		if killed == 0 {
			c.addError("ERR No such client")
		} else {
			c.w.OK()
		}
	} else {
		c.w.Int(int64(killed))
	}
	if closeSelf {
		c.flags |= flagCloseAfterReply
	}
}

// validClientName reports whether name can appear in a CLIENT LIST line:
// printable ASCII without spaces.
func validClientName(name []byte) bool {
	for _, ch := range name {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

// setNameOrReply sets the client name (empty clears it), replying with the
// error and returning false when the name is not valid.
func (c *Client) setNameOrReply(name []byte) bool {
	if !validClientName(name) {
		c.addError("ERR Client names cannot contain spaces, newlines or special characters.")
		return false
	}
	c.name = string(name)
	return true
}

func cmdClientSetName(c *Client, args [][]byte) {
	if c.setNameOrReply(args[2]) {
		c.w.OK()
	}
}

func cmdClientGetName(c *Client, args [][]byte) {
	if c.name == "" {
		c.w.Null()
		return
	}
	c.w.BulkString(c.name)
}

func cmdClientPause(c *Client, args [][]byte) {
	typ := pauseAll
	if len(args) > 4 {
		c.addError(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try CLIENT HELP.", args[1]))
		return
	}
	if len(args) == 4 {
		switch strings.ToLower(string(args[3])) {
		case "write":
			typ = pauseWrite
		case "all":
			typ = pauseAll
		default:
			c.addError("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	end, ok := c.timeoutArg(args[2], false)
	if !ok {
		return
	}
	c.srv.pauseClients(typ, end)
	c.w.OK()
}

func cmdClientUnpause(c *Client, args [][]byte) {
	c.srv.unpauseClients()
	c.w.OK()
}

func cmdClientReply(c *Client, args [][]byte) {
	switch strings.ToLower(string(args[2])) {
	case "on":
		c.flags &^= flagReplySkip | flagReplyOff
		c.w.OK()
	case "off":
		c.flags |= flagReplyOff
	case "skip":
		if c.flags&flagReplyOff == 0 {
			c.flags |= flagReplySkipNext
		}
	default:
		c.addError(errSyntax)
	}
}

func cmdClientNoEvict(c *Client, args [][]byte) {
	switch strings.ToLower(string(args[2])) {
	case "on":
		c.flags |= flagNoEvict
	case "off":
		c.flags &^= flagNoEvict
	default:
		c.addError(errSyntax)
		return
	}
	c.w.OK()
}

// Pause types, ordered by how much they stop.
const (
	pauseOff = iota
	pauseWrite
	pauseAll
)

// clientPause is the state of CLIENT PAUSE: what is paused, until when
// (unix ms), and a channel closed whenever the pause is lifted or changed,
// so waiting clients re-check.
type clientPause struct {
	pauseType int
	pauseEnd  int64
	pauseWake chan struct{}
	// failoverPause holds writes while FAILOVER waits for a replica to
	// catch up; it ends with the failover, not with CLIENT UNPAUSE
	failoverPause bool
}

// pauseClients starts or extends a pause: the stronger type and the later
// end win, as when Redis merges pauses.
func (s *Server) pauseClients(typ int, end int64) {
	s.expirePause()
	if s.pauseType != pauseOff {
		typ = max(typ, s.pauseType)
		end = max(end, s.pauseEnd)
	}
	s.pauseType, s.pauseEnd = typ, end
	s.wakePaused()
}

func (s *Server) unpauseClients() {
	s.pauseType, s.pauseEnd = pauseOff, 0
	s.wakePaused()
}

func (s *Server) wakePaused() {
	if s.pauseWake != nil {
		close(s.pauseWake)
		s.pauseWake = nil
	}
}

// expirePause lifts a pause whose end time has passed.
func (s *Server) expirePause() {
	if s.pauseType != pauseOff && s.pauseEnd < time.Now().UnixMilli() {
		s.unpauseClients()
	}
}

// clientsPaused reports whether a pause is in effect; while it is, the
// dataset stays still (no active expiry), as in Redis.
func (s *Server) clientsPaused() bool {
	s.expirePause()
	return s.pauseType != pauseOff || s.failoverPause
}

// mayReplicate names the commands Redis flags may_replicate: they can
// propagate writes although they are not write commands. COMMAND INFO hides
// this flag, so the generated table cannot carry it.
var mayReplicate = map[string]bool{
	"eval": true, "evalsha": true, "fcall": true, "pfcount": true, "publish": true, "spublish": true,
}

// pausedFor reports whether sc must wait for the current pause.
func (s *Server) pausedFor(sc *serverCommand) bool {
	if !s.clientsPaused() {
		return false
	}
	return s.pauseType == pauseAll || sc.has(cmdWrite) || mayReplicate[sc.name]
}

// waitWhilePaused blocks the calling client until the pause stops applying
// to sc, releasing the executor lock meanwhile (the caller holds it) and
// sending the replies it already has, as Redis does for a postponed client.
func (c *Client) waitWhilePaused(sc *serverCommand) {
	s := c.srv
	for s.pausedFor(sc) && c.flags&flagCloseASAP == 0 {
		if s.pauseWake == nil {
			s.pauseWake = make(chan struct{})
		}
		wake, until := s.pauseWake, time.UnixMilli(s.pauseEnd+1)
		if s.pauseType == pauseOff {
			until = time.Now().Add(time.Hour) // the failover's pause: woken when it ends
		}
		c.pausedWaiting = true
		s.mu.Unlock()
		c.flush()
		t := time.NewTimer(time.Until(until))
		select {
		case <-wake:
		case <-t.C:
		}
		t.Stop()
		s.mu.Lock()
		c.pausedWaiting = false
	}
}

// clientListInfo holds what CLIENT LIST reports about a client that only
// its own goroutine may touch (read buffer, reply buffer), sampled under the
// executor lock each time the client runs a command.
type clientListInfo struct {
	fd            int
	qbuf, qbufCap int
	replyLen      int
	replyCap      int
	replyPeak     int
	pausedWaiting bool
}

// sampleClientListInfo records the client's buffer sizes for CLIENT LIST
// and, on the first call, its socket's file descriptor.
func (c *Client) sampleClientListInfo() {
	if c.fd == 0 {
		c.fd = connFD(c.conn)
	}
	c.qbuf, c.qbufCap = c.rd.Buffered(), c.rd.BufferCap()
	c.replyLen, c.replyCap = len(c.w.Buf), cap(c.w.Buf)
	c.replyPeak = max(c.replyPeak, c.replyCap)
}

// connFD returns the socket's descriptor, or -1 when it has none.
func connFD(conn net.Conn) int {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}

// clientFlagLetters is the flags field of CLIENT LIST.
func (c *Client) clientFlagLetters() string {
	var b []byte
	if c.flags&flagMonitor != 0 {
		b = append(b, 'O')
	} else if c.flags&flagReplica != 0 {
		b = append(b, 'S')
	}
	if c.flags&flagMaster != 0 {
		b = append(b, 'M')
	}
	if c.flags&flagPubSub != 0 {
		b = append(b, 'P')
	}
	if c.flags&flagMulti != 0 {
		b = append(b, 'x')
	}
	if c.pausedWaiting || c.blocked != nil {
		b = append(b, 'b')
	}
	if c.mstate.dirtyCAS {
		b = append(b, 'd')
	}
	if c.flags&flagCloseAfterReply != 0 {
		b = append(b, 'c')
	}
	if c.flags&flagCloseASAP != 0 {
		b = append(b, 'A')
	}
	if c.flags&flagUnixSocket != 0 {
		b = append(b, 'U')
	}
	if c.flags&flagNoEvict != 0 {
		b = append(b, 'e')
	}
	if len(b) == 0 {
		return "N"
	}
	return string(b)
}

// clientStructSize approximates the fixed memory of a client (its struct,
// reader and writer headers), counted in tot-mem like Redis's sizeof(client).
const clientStructSize = 1024

// clientListLine formats the CLIENT LIST line.
func (c *Client) clientListLine() string {
	now := time.Now()
	argvMem := 0
	for _, a := range c.argv {
		argvMem += len(a)
	}
	multi := -1
	if c.flags&flagMulti != 0 {
		multi = len(c.mstate.queue)
	}
	cmd := c.lastCmd
	if cmd == "" {
		cmd = "NULL"
	}
	fd := c.fd
	if fd == 0 {
		fd = connFD(c.conn)
	}
	obl, omem := c.replyLen, 0
	if c.repl != nil {
		omem = c.repl.unsent() // the stream it has yet to be sent
	}
	totMem := clientStructSize + c.qbufCap + c.replyCap + argvMem + c.multiOverhead()
	b := make([]byte, 0, 320)
	app := func(key string, val string) {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, key...)
		b = append(b, '=')
		b = append(b, val...)
	}
	num := func(n int) string { return strconv.Itoa(n) }
	app("id", itoa(c.id))
	app("addr", c.addr)
	app("laddr", c.laddr)
	app("fd", num(fd))
	app("name", c.name)
	app("age", itoa(int64(now.Sub(c.created)/time.Second)))
	app("idle", itoa(int64(now.Sub(c.lastInteract)/time.Second)))
	app("flags", c.clientFlagLetters())
	app("db", num(c.db.ID))
	subs, psubs, ssubs := c.subscriptionCounts()
	app("sub", num(subs))
	app("psub", num(psubs))
	app("ssub", num(ssubs))
	app("multi", num(multi))
	app("qbuf", num(c.qbuf))
	app("qbuf-free", num(c.qbufCap-c.qbuf))
	app("argv-mem", num(argvMem))
	app("multi-mem", num(c.multiMem()))
	app("rbs", num(c.replyCap))
	app("rbp", num(c.replyPeak))
	app("obl", num(obl))
	app("oll", "0")
	app("omem", num(omem))
	app("tot-mem", num(totMem))
	app("events", "r")
	app("cmd", cmd)
	app("user", c.user)
	app("redir", "-1")
	app("resp", num(c.w.Proto))
	return string(b)
}
