// cmd_repl.go holds the replication commands a client uses on a master:
// ROLE and WAIT. Until replicas can attach, a master has none, and these
// report and wait on that: WAIT counts no acknowledgements, so it returns
// 0 at once when asked for none and after its timeout otherwise (0: never),
// as a Redis master without replicas does.
package server

func init() {
	register("role", cmdRole)
	register("wait", cmdWait)
}

func cmdRole(c *Client, args [][]byte) {
	c.w.ArrayLen(3)
	c.w.BulkString("master")
	c.w.Int(0) // master_repl_offset: nothing propagated to replicas yet
	c.w.ArrayLen(0)
}

func cmdWait(c *Client, args [][]byte) {
	want, ok := c.intArg(args[1])
	if !ok {
		return
	}
	timeout, ok := parseInt(args[2])
	if !ok {
		c.addError("ERR timeout is not an integer or out of range")
		return
	}
	if timeout < 0 {
		c.addError("ERR timeout is negative")
		return
	}
	acked := int64(0) // replicas that acknowledged the client's last write
	if acked >= want || c.denyBlocking() {
		c.w.Int(acked)
		return
	}
	deadline := int64(0)
	if timeout > 0 {
		deadline = c.srv.now() + timeout
	}
	// blocked on no key: only the timeout (or CLIENT UNBLOCK) ends it
	c.blockForKeys(0, nil, deadline, nil, func(c *Client) { c.w.Int(acked) })
}
