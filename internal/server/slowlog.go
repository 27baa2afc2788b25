// slowlog.go keeps the slow log: commands whose execution took longer than
// slowlog-log-slower-than microseconds, newest first, capped at
// slowlog-max-len entries, with arguments trimmed as Redis trims them; and
// the SLOWLOG command that reads and resets it.
package server

import (
	"fmt"
	"strings"
	"time"
)

const (
	slowlogMaxArgc   = 32
	slowlogMaxArgLen = 128
)

type slowlogEntry struct {
	id       int64
	time     int64 // unix seconds
	duration int64 // microseconds
	args     [][]byte
	peer     string
	name     string
}

type slowlog struct {
	entries []slowlogEntry // newest last
	nextID  int64
}

func init() {
	register("slowlog|get", cmdSlowlogGet)
	register("slowlog|len", cmdSlowlogLen)
	register("slowlog|reset", cmdSlowlogReset)
	register("slowlog|help", cmdSlowlogHelp)
}

func (s *Server) slowlogPush(c *Client, args [][]byte, us int64) {
	th := s.cfg.SlowlogLogSlowerThan
	if th < 0 {
		return
	}
	if us >= th {
		s.slowlog.entries = append(s.slowlog.entries, newSlowlogEntry(s.slowlog.nextID, c, args, us))
		s.slowlog.nextID++
	}
	s.slowlogTrim()
}

func (s *Server) slowlogTrim() {
	if over := len(s.slowlog.entries) - s.cfg.SlowlogMaxLen; over > 0 {
		s.slowlog.entries = append(s.slowlog.entries[:0], s.slowlog.entries[over:]...)
	}
}

func newSlowlogEntry(id int64, c *Client, args [][]byte, us int64) slowlogEntry {
	e := slowlogEntry{id: id, time: time.Now().Unix(), duration: us, peer: c.addr, name: c.name}
	argc := min(len(args), slowlogMaxArgc)
	e.args = make([][]byte, 0, argc)
	for i := 0; i < argc; i++ {
		var a []byte
		switch {
		case argc != len(args) && i == argc-1:
			a = []byte(fmt.Sprintf("... (%d more arguments)", len(args)-argc+1))
		case len(args[i]) > slowlogMaxArgLen:
			a = append(append([]byte(nil), args[i][:slowlogMaxArgLen]...), fmt.Sprintf("... (%d more bytes)", len(args[i])-slowlogMaxArgLen)...)
		default:
			a = append([]byte(nil), args[i]...)
		}
		e.args = append(e.args, a)
	}
	return e
}

func cmdSlowlogGet(c *Client, args [][]byte) {
	s := c.srv
	count := int64(10)
	if len(args) > 3 {
		replySubcommandSyntaxError(c, args)
		return
	}
	if len(args) == 3 {
		n, ok := parseInt(args[2])
		if !ok || n < -1 {
			c.addError("ERR count should be greater than or equal to -1")
			return
		}
		count = n
		if count == -1 {
			count = int64(len(s.slowlog.entries))
		}
	}
	n := min(int(count), len(s.slowlog.entries))
	c.w.ArrayLen(n)
	for i := 0; i < n; i++ {
		e := &s.slowlog.entries[len(s.slowlog.entries)-1-i]
		c.w.ArrayLen(6)
		c.w.Int(e.id)
		c.w.Int(e.time)
		c.w.Int(e.duration)
		c.w.ArrayLen(len(e.args))
		for _, a := range e.args {
			c.w.Bulk(a)
		}
		c.w.BulkString(e.peer)
		c.w.BulkString(e.name)
	}
}

func cmdSlowlogLen(c *Client, args [][]byte) { c.w.Int(int64(len(c.srv.slowlog.entries))) }

func cmdSlowlogReset(c *Client, args [][]byte) {
	c.srv.slowlog.entries = c.srv.slowlog.entries[:0]
	c.w.OK()
}

func cmdSlowlogHelp(c *Client, args [][]byte) {
	replyHelpLines(c, args, []string{
		"GET [<count>]",
		"    Show the newest <count> slow log entries (10 when omitted, all with -1).",
		"    Each entry holds: id, unix time, duration in microseconds, the",
		"    command's arguments, the client's address and the client's name.",
		"LEN",
		"    Show how many entries the slow log holds.",
		"RESET",
		"    Empty the slow log.",
	})
}

// replySubcommandSyntaxError is Redis's reply to a known subcommand called
// with arguments it does not accept.
func replySubcommandSyntaxError(c *Client, args [][]byte) {
	c.addError(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.", args[1], strings.ToUpper(string(args[0]))))
}
