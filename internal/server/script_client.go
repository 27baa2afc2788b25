package server

import (
	"time"

	"github.com/redoubt/redoubt/internal/resp"
	"github.com/redoubt/redoubt/internal/script"
)

// scriptReplyKeep is the largest reply buffer the script client keeps
// between runs; a bigger one (a script read a huge value) is dropped.
const scriptReplyKeep = 1 << 20

// scriptClient is the client a script's redis.call runs as. Like Redis's
// one script client it is made once and reused, so a run costs no client
// or reply buffer; each run sets it up as the calling client's db and user.
func (s *Server) scriptClient(caller *Client) *Client {
	st := s.scripts
	c := st.client
	if c == nil || cap(c.w.Buf) > scriptReplyKeep {
		// no connection: "?:0" in the slow log, "lua" in MONITOR
		c = &Client{srv: s, w: resp.NewWriter(), authenticated: true, addr: "?:0", flags: flagScript}
		st.client = c
	}
	c.db, c.user, c.created = caller.db, caller.user, caller.created
	return c
}

// commandStart is when the running command started: the clock read the
// dispatcher made for it (Server.clockNext, set while a batch of commands
// runs), so EVAL needs no clock read of its own.
func (s *Server) commandStart() time.Time {
	if t := s.clockNext; !t.IsZero() {
		return t
	}
	return time.Now()
}

// scriptErrorStats counts the error replies of the script run just ended
// as Redis does: errors of the script's own are counted in the error
// statistics and fail the command once; each error reply passed on from
// redis.call (counted when its command ran) fails it once more, as
// Redis's afterErrorReply does for replies flagged not to update stats.
func (c *Client) scriptErrorStats(e *script.Engine) {
	if len(e.Errors) > 0 {
		c.errorsInCall++
	}
	for _, msg := range e.Errors {
		c.srv.stats.countError(msg)
	}
	if c.cmd != nil {
		c.cmd.failed += int64(e.Counted)
	}
}
