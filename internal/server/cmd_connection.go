// cmd_connection.go holds the connection commands: PING, ECHO, QUIT,
// SELECT, HELLO (protocol switch and handshake), AUTH and RESET.
// Until ACLs exist the only user is "default", whose password is
// requirepass (no password configured means the user needs none).
package server

import (
	"fmt"
	"math"
	"strings"
)

func init() {
	register("ping", cmdPing)
	register("echo", cmdEcho)
	register("quit", cmdQuit)
	register("select", cmdSelect)
	register("hello", cmdHello)
	register("auth", cmdAuth)
	register("reset", cmdReset)
}

func cmdPing(c *Client, args [][]byte) {
	if len(args) > 2 {
		c.addError("ERR wrong number of arguments for 'ping' command")
		return
	}
	if c.flags&flagPubSub != 0 && c.w.Proto == 2 {
		c.w.ArrayLen(2)
		c.w.BulkString("pong")
		if len(args) == 2 {
			c.w.Bulk(args[1])
		} else {
			c.w.BulkString("")
		}
		return
	}
	if len(args) == 2 {
		c.w.Bulk(args[1])
		return
	}
	c.w.Simple("PONG")
}

func cmdEcho(c *Client, args [][]byte) { c.w.Bulk(args[1]) }

func cmdQuit(c *Client, args [][]byte) {
	c.w.OK()
	c.flags |= flagCloseAfterReply
}

func cmdSelect(c *Client, args [][]byte) {
	id, ok := parseInt(args[1])
	if !ok {
		c.addError(errNotInt)
		return
	}
	if id < math.MinInt32 || id > math.MaxInt32 {
		c.addError("ERR value is out of range, value must between -2147483648 and 2147483647")
		return
	}
	if id < 0 || id >= int64(len(c.srv.ks.DBs)) {
		c.addError("ERR DB index is out of range")
		return
	}
	c.db = c.srv.ks.DBs[id]
	c.w.OK()
}

// checkCredentials reports whether user/pass authenticate. The default
// user's password is requirepass; without one it accepts any password.
func (s *Server) checkCredentials(user, pass []byte) bool {
	return s.aclAuth(user, pass)
}

// authenticate logs the client in as user when the credentials are right.
func (c *Client) authenticate(user, pass []byte) bool {
	if !c.srv.checkCredentials(user, pass) {
		obj := "AUTH"
		if len(c.argv) > 0 {
			obj = string(c.argv[0]) // Redis logs the command name as sent
		}
		c.aclLogAdd("auth", obj, string(user))
		return false
	}
	c.authenticated = true
	c.user = string(user)
	return true
}

const errWrongPass = "WRONGPASS invalid username-password pair or user is disabled."

func cmdAuth(c *Client, args [][]byte) {
	for i := 1; i < len(args); i++ {
		c.redactArg(i)
	}
	if len(args) > 3 {
		c.addError(errSyntax)
		return
	}
	user, pass := []byte("default"), args[1]
	if len(args) == 2 {
		if c.srv.aclUsers().Get("default").NoPass {
			c.addError("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
			return
		}
	} else {
		user, pass = args[1], args[2]
	}
	if !c.authenticate(user, pass) {
		c.addError(errWrongPass)
		return
	}
	c.w.OK()
}

// cmdHello is HELLO [protover [AUTH user pass] [SETNAME name]]: it may
// authenticate and name the client, then switches the protocol and replies
// with the server's handshake map.
func cmdHello(c *Client, args [][]byte) {
	ver := int64(0)
	next := 1
	if len(args) >= 2 {
		v, ok := parseInt(args[1])
		if !ok {
			c.addError("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.addError("NOPROTO unsupported protocol version")
			return
		}
		ver, next = v, 2
	}
	for j := next; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := strings.ToLower(string(args[j]))
		switch {
		case opt == "auth" && more >= 2:
			c.redactArg(j + 1)
			c.redactArg(j + 2)
			if !c.authenticate(args[j+1], args[j+2]) {
				c.addError(errWrongPass)
				return
			}
			j += 2
		case opt == "setname" && more >= 1:
			if !c.setNameOrReply(args[j+1]) {
				return
			}
			j++
		default:
			c.addError(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", args[j]))
			return
		}
	}
	if !c.authenticated {
		c.addError("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if ver != 0 {
		c.w.Proto = int(ver)
	}
	c.w.MapLen(7)
	c.w.BulkString("server")
	c.w.BulkString("redis")
	c.w.BulkString("version")
	c.w.BulkString(Version)
	c.w.BulkString("proto")
	c.w.Int(int64(c.w.Proto))
	c.w.BulkString("id")
	c.w.Int(c.id)
	c.w.BulkString("mode")
	c.w.BulkString(c.srv.serverMode())
	c.w.BulkString("role")
	c.w.BulkString("master")
	c.w.BulkString("modules")
	c.w.ArrayLen(0)
}

// clientResetHooks are run by RESET so that layers keeping per-client state
// (pub/sub subscriptions, MULTI queues, MONITOR, tracking) drop it; each
// layer appends its own from an init function.
var clientResetHooks []func(c *Client)

// cmdReset makes the connection look newly opened: database 0, RESP2, no
// name, default authentication, replies on, no transaction, no
// subscriptions, not a monitor.
func cmdReset(c *Client, args [][]byte) {
	for _, h := range clientResetHooks {
		h(c)
	}
	c.db = c.srv.ks.DBs[0]
	c.w.Proto = 2
	c.user = "default"
	c.authenticated = c.srv.defaultUserNoAuth()
	c.name = ""
	c.flags &^= flagMulti | flagPubSub | flagMonitor | flagReplyOff | flagReplySkipNext
	c.w.Simple("RESET")
}
