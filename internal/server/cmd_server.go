// cmd_server.go holds the server-introspection state that call() feeds after
// every command (latency monitor, slow log, MONITOR clients, per-command
// latency histograms) and the small server commands: MONITOR, TIME,
// LASTSAVE and SHUTDOWN.
package server

import (
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// introspection is the server state behind INFO, LATENCY, MEMORY and
// MONITOR that commands do not otherwise touch.
type introspection struct {
	// monitors are the clients in MONITOR mode, in the order they entered it.
	monitors      []*Client
	latencyEvents map[string]*latencySeries
	// lastSave is the unix time of the last successful save; the start
	// time until persistence exists.
	lastSave int64
	// dirty counts changes since the last save (rdb_changes_since_last_save).
	dirty            int64
	startupAllocated uint64
	peakAllocated    uint64
	readsProcessed   atomic.Int64
	writesProcessed  atomic.Int64
}

func (in *introspection) init(start time.Time) {
	in.lastSave = start.Unix()
	in.startupAllocated = heapAllocated()
	in.peakAllocated = in.startupAllocated
}

func init() {
	register("monitor", cmdMonitor)
	register("time", cmdTime)
	register("lastsave", cmdLastSave)
	register("shutdown", cmdShutdown)
}

// afterCall runs Redis's call() bookkeeping for a command that executed:
// latency event, slow log, MONITOR feed and the latency histogram.
func (s *Server) afterCall(c *Client, sc *serverCommand, us int64) {
	args := c.argv
	if c.origArgv != nil {
		args = c.origArgv
	}
	event := "command"
	if sc.has(cmdFast) {
		event = "fast-command"
	}
	s.latencyAddSampleIfNeeded(event, us/1000)
	if !sc.has(cmdSkipSlowlog) {
		s.slowlogPush(c, args, us)
	}
	if len(s.intro.monitors) > 0 && !sc.has(cmdSkipMonitor|cmdAdmin) {
		s.feedMonitors(c, args)
	}
	if s.latencyTrackingEnabled() {
		if sc.hist == nil {
			sc.hist = &latencyHistogram{}
		}
		sc.hist.record(us * 1000)
	}
}

// redactArg hides argument i of the running command from the slow log and
// MONITOR (passwords given to AUTH, HELLO, MIGRATE).
func (c *Client) redactArg(i int) {
	if c.origArgv == nil {
		c.origArgv = append([][]byte(nil), c.argv...)
	}
	if i < len(c.origArgv) {
		c.origArgv[i] = []byte("(redacted)")
	}
}

func (s *Server) latencyTrackingEnabled() bool { return s.cfg.LatencyTracking }

// markDirty counts n changes to the dataset for rdb_changes_since_last_save.
func (s *Server) markDirty(n int64) { s.intro.dirty += n }

func cmdMonitor(c *Client, args [][]byte) {
	if c.flags&flagMulti != 0 {
		// run by EXEC: the client expects one reply per command
		c.addError("ERR MONITOR isn't allowed for DENY BLOCKING client")
		return
	}
	if c.flags&flagMonitor != 0 {
		return
	}
	c.flags |= flagMonitor
	s := c.srv
	s.intro.monitors = append(s.intro.monitors, c)
	if c.replyEnabled() {
		c.w.OK()
	}
	// From here on the client's bytes travel through its async queue; what
	// it was already answered goes first.
	c.startAsync()
	c.pushAsync(c.w.Buf)
	c.w.Reset()
}

// unlinkMonitor forgets a disconnecting client from the MONITOR list.
func (s *Server) unlinkMonitor(c *Client) {
	if c.flags&flagMonitor == 0 {
		return
	}
	m := s.intro.monitors
	for i, x := range m {
		if x == c {
			s.intro.monitors = append(m[:i], m[i+1:]...)
			break
		}
	}
}

// feedMonitors sends one MONITOR line for the command c just ran.
func (s *Server) feedMonitors(c *Client, args [][]byte) {
	now := time.Now()
	line := make([]byte, 0, 64)
	line = append(line, '+')
	line = strconv.AppendInt(line, now.Unix(), 10)
	line = append(line, '.')
	us := strconv.Itoa(now.Nanosecond() / 1000)
	line = append(line, "000000"[len(us):]...)
	line = append(line, us...)
	line = append(line, " ["...)
	line = strconv.AppendInt(line, int64(c.db.ID), 10)
	if c.flags&flagScript != 0 {
		line = append(line, " lua"...)
	} else if c.flags&flagUnixSocket != 0 {
		line = append(line, " unix:"...)
		line = append(line, s.cfg.UnixSocket...)
	} else {
		line = append(line, ' ')
		line = append(line, c.addr...)
	}
	line = append(line, "] "...)
	for i, a := range args {
		if i > 0 {
			line = append(line, ' ')
		}
		line = appendRepr(line, a)
	}
	line = append(line, '\r', '\n')
	for _, m := range s.intro.monitors {
		if m == c {
			// A monitor running a command sees its reply before the line.
			m.pushAsync(c.w.Buf)
			c.w.Reset()
		}
		m.pushAsync(line)
	}
}

// appendRepr quotes b as Redis's sdscatrepr: printable bytes as they are,
// the usual escapes, and \xHH for the rest.
func appendRepr(dst, b []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, ch := range b {
		switch ch {
		case '\\', '"':
			dst = append(dst, '\\', ch)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\a':
			dst = append(dst, '\\', 'a')
		case '\b':
			dst = append(dst, '\\', 'b')
		default:
			if ch >= 32 && ch < 127 {
				dst = append(dst, ch)
			} else {
				dst = append(dst, '\\', 'x', hex[ch>>4], hex[ch&15])
			}
		}
	}
	return append(dst, '"')
}

func cmdTime(c *Client, args [][]byte) {
	now := time.Now()
	c.w.ArrayLen(2)
	c.w.BulkInt(now.Unix())
	c.w.BulkInt(int64(now.Nanosecond() / 1000))
}

func cmdLastSave(c *Client, args [][]byte) { c.w.Int(c.srv.intro.lastSave) }

func cmdShutdown(c *Client, args [][]byte) {
	var nosave, save, abort, force bool
	flags := 0
	for _, a := range args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave":
			nosave = true
		case "save":
			save = true
		case "now":
			// without replicas to wait for, NOW changes nothing yet
		case "force":
			force = true
		case "abort":
			abort = true
			continue
		default:
			c.addError(errSyntax)
			return
		}
		flags++
	}
	if (abort && flags > 0) || (nosave && save) {
		c.addError(errSyntax)
		return
	}
	if abort {
		c.addError("ERR No shutdown in progress.")
		return
	}
	s := c.srv
	s.log.Warn("User requested shutdown...")
	s.abortSave()
	if !s.sentinelMode() && (save || (!nosave && len(s.cfg.SaveParams) > 0)) { // a sentinel has no dataset
		s.log.Info("Saving the final RDB snapshot before exiting.")
		if err := s.rdbSave(); err != nil && !force {
			s.log.Warn("Error trying to save the DB, can't exit.")
			c.addError("ERR Errors trying to SHUTDOWN. Check logs.")
			return
		}
	}
	// Shutdown takes the executor lock this handler runs under.
	c.closeASAP()
	go s.Shutdown(0)
}

// protectedRules gates commands that enable-*-command options control.
var protectedRules = map[string]struct {
	display, option string
	setting         func(s *Server) string
}{
	"debug": {"DEBUG", "enable-debug-command", func(s *Server) string { return s.cfg.EnableDebugCommand }},
}

// protectedDenial returns the rejection for a protected command that the
// configuration does not allow this client to run, or "".
func (c *Client) protectedDenial(sc *serverCommand) string {
	rule, ok := protectedRules[sc.name]
	if !ok {
		return ""
	}
	switch rule.setting(c.srv) {
	case "yes":
		return ""
	case "local":
		if c.isLocal() {
			return ""
		}
	}
	return "ERR " + rule.display + " command not allowed. If the " + rule.option +
		" option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
}
