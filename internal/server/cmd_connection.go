// cmd_connection.go holds the connection commands: PING, ECHO, QUIT, SELECT.
package server

import (
	"strconv"
)

func init() {
	register("ping", cmdPing)
	register("echo", cmdEcho)
	register("quit", cmdQuit)
	register("select", cmdSelect)
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
	id, err := strconv.Atoi(string(args[1]))
	if err != nil {
		c.addError("ERR value is not an integer or out of range")
		return
	}
	if id < 0 || id >= len(c.srv.ks.DBs) {
		c.addError("ERR DB index is out of range")
		return
	}
	c.db = c.srv.ks.DBs[id]
	c.w.OK()
}
