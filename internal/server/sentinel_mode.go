// sentinel_mode.go is the server running as a Sentinel (redis-sentinel,
// or redis-server --sentinel): the restricted command table of Redis 7.0's
// sentinel mode, the SENTINEL command and the sentinel flavours of
// PUBLISH, INFO and ROLE, and the hooks through which the sentinel Driver
// logs and publishes its events and saves its state in the config file.
//
// Locking: handlers run under the executor lock, and the driver's hooks
// take that lock to publish or rewrite the config. So every call into the
// driver from a handler is made with the executor lock released
// (sentinelDo); in sentinel mode there is no keyspace for the pause to
// expose.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redoubt/redoubt/internal/acl"
	"github.com/redoubt/redoubt/internal/command"
	"github.com/redoubt/redoubt/internal/logging"
	"github.com/redoubt/redoubt/internal/sentinel"
)

// sentinelCommandNames are the top-level commands of a sentinel
// (COMMAND COUNT is 15 on redis-sentinel 7.0.15).
var sentinelCommandNames = []string{"acl", "auth", "client", "command", "hello", "info", "ping",
	"psubscribe", "publish", "punsubscribe", "role", "shutdown", "subscribe", "unsubscribe"}

// sentinelMeta is the SENTINEL command's row as redis-sentinel 7.0.15's
// COMMAND INFO and COMMAND DOCS report it. It is not in internal/command:
// a server outside sentinel mode does not have the command.
var sentinelMeta = func() *command.Command {
	admin := func(name string, arity int, since string) *command.Command {
		return &command.Command{Name: "sentinel|" + name, Arity: arity, Flags: []string{"admin"},
			Categories: []string{"@admin", "@slow", "@dangerous"}, Group: "sentinel", Since: since}
	}
	return &command.Command{Name: "sentinel", Arity: -2, Flags: []string{"admin"},
		Categories: []string{"@admin", "@slow", "@dangerous"}, Group: "sentinel", Since: "2.8.4",
		Subcommands: []*command.Command{
			admin("ckquorum", 3, "2.8.4"),
			admin("config", -3, "6.2.0"),
			admin("debug", -2, "7.0.0"),
			admin("failover", 3, "2.8.4"),
			admin("flushconfig", 2, "2.8.4"),
			admin("get-master-addr-by-name", 3, "2.8.4"),
			{Name: "sentinel|help", Arity: 2, Flags: []string{"loading", "stale"}, Categories: []string{"@slow"}, Group: "sentinel", Since: "6.2.0"},
			admin("info-cache", -3, "3.2.0"),
			admin("is-master-down-by-addr", 6, "2.8.4"),
			admin("master", 3, "2.8.4"),
			admin("masters", 2, "2.8.4"),
			admin("monitor", 6, "2.8.4"),
			admin("myid", 2, "6.2.0"),
			admin("pending-scripts", 2, "2.8.4"),
			admin("remove", 3, "2.8.4"),
			admin("replicas", 3, "5.0.0"),
			admin("reset", 3, "2.8.4"),
			admin("sentinels", 3, "2.8.4"),
			admin("set", -5, "2.8.4"),
			admin("simulate-failure", -3, "3.2.0"),
			admin("slaves", 3, "2.8.0"),
		}}
}()

// sentinelProcs replace the handlers of the commands that behave
// differently in sentinel mode.
var sentinelProcs = map[string]handler{
	"publish": cmdSentinelPublish,
	"role":    cmdSentinelRole,
}

// buildSentinelCommandTable restricts the server's table to the commands
// a sentinel has and adds SENTINEL.
func buildSentinelCommandTable(full map[string]*serverCommand) map[string]*serverCommand {
	table := make(map[string]*serverCommand, len(sentinelCommandNames)+1)
	for _, name := range sentinelCommandNames {
		sc := full[name]
		if p, ok := sentinelProcs[name]; ok {
			sc.proc = p
		}
		table[name] = sc
	}
	sc := newServerCommand(sentinelMeta, nil)
	sc.subs = map[string]*serverCommand{}
	for _, sm := range sentinelMeta.Subcommands {
		sub := newServerCommand(sm, cmdSentinel)
		sub.parent = sc
		_, short, _ := strings.Cut(sm.Name, "|")
		sc.subs[short] = sub
	}
	table["sentinel"] = sc
	return table
}

// registerSentinelACL makes the SENTINEL row known to ACL rules, once
// per process (a process runs one server in sentinel mode).
var registerSentinelACL = sync.OnceFunc(func() { acl.AddCommands(sentinelMeta) })

// sentinelMode reports whether the server runs as a Sentinel.
func (s *Server) sentinelMode() bool { return s.cfg.SentinelMode }

// serverMode is redis_mode in INFO and "mode" in HELLO.
func (s *Server) serverMode() string {
	if s.cfg.SentinelMode {
		return "sentinel"
	}
	return "standalone"
}

// prepareSentinelMode drops what a sentinel does not have: it keeps no
// dataset, so it never saves, loads or appends one, and is nobody's
// replica.
func (s *Server) prepareSentinelMode() {
	s.commands = buildSentinelCommandTable(s.commands)
	s.cfg.SaveParams = nil
	s.cfg.AppendOnly = false
	s.cfg.MasterHost = ""
}

// SetSentinelDriver attaches the driver that runs this sentinel's
// Machine; call it before Run. CONFIG REWRITE (the driver's Save) then
// writes the machine's lines.
func (s *Server) SetSentinelDriver(d *sentinel.Driver, generatedID bool) {
	s.sentinel.driver = d
	s.sentinel.generatedID = generatedID
	// read under the executor lock, by Rewrite called from sentinelSave
	s.cfg.SentinelConfig = func() [][]string { return s.sentinel.lines }
}

// sentinelState is the server's side of sentinel mode.
type sentinelState struct {
	driver *sentinel.Driver
	// generatedID: the file had no "sentinel myid", so the new one is
	// saved at start (sentinelIsRunning).
	generatedID bool
	// mu orders the driver's Start (by Run) and Stop (by Shutdown, on
	// another goroutine); stopped makes a Shutdown that came first win.
	mu      sync.Mutex
	stopped bool

	// lines is the snapshot of the machine's config lines being saved;
	// snapshots are numbered (taken under the driver's lock) so an older
	// one never overwrites a newer one when two saves race.
	lines             [][]string
	snapshot, written uint64
}

// SentinelHooks are the driver's hooks, bound to this server.
func (s *Server) SentinelHooks() sentinel.Hooks {
	return sentinel.Hooks{
		Emit: s.sentinelEmit,
		Save: s.sentinelSave,
		Crash: func(reason string) {
			if reason == "" {
				reason = "Sentinel CRASH because of SENTINEL simulate-failure"
			}
			s.log.Warn(reason)
			os.Exit(99)
		},
		Logf: func(level sentinel.Level, format string, args ...any) {
			s.log.Log(context.Background(), sentinelLogLevel(level), fmt.Sprintf(format, args...))
		},
	}
}

func sentinelLogLevel(l sentinel.Level) slog.Level {
	switch l {
	case sentinel.LevelDebug:
		return logging.LevelDebug
	case sentinel.LevelVerbose:
		return logging.LevelVerbose
	case sentinel.LevelNotice:
		return logging.LevelNotice
	}
	return logging.LevelWarning
}

// sentinelEmit is sentinelEvent's output side: the "<type> <text>" log
// line, and above debug level a message on the channel named type.
// It runs without the executor lock held (see the file comment).
func (s *Server) sentinelEmit(e sentinel.Emit) {
	s.log.Log(context.Background(), sentinelLogLevel(e.Level), e.Type+" "+e.Text)
	if e.Level == sentinel.LevelDebug {
		return
	}
	s.mu.Lock()
	s.publish(plainChannels, []byte(e.Type), []byte(e.Text))
	s.mu.Unlock()
}

// sentinelSave is sentinelFlushConfig: the config file rewritten with the
// machine's state, then fsynced (Rewrite writes a temporary file, syncs
// it and renames it over the old one).
func (s *Server) sentinelSave() error {
	var lines [][]string
	var n uint64
	// taken before the executor lock: the driver's lock is never
	// acquired while holding it from here
	s.sentinel.driver.Do(func(m *sentinel.Machine, now time.Time) {
		lines = m.ConfigLines()
		s.sentinel.snapshot++
		n = s.sentinel.snapshot
	})
	s.mu.Lock()
	if n < s.sentinel.written {
		s.mu.Unlock()
		return nil // a newer state is already on disk
	}
	s.sentinel.lines, s.sentinel.written = lines, n
	err := s.cfg.Rewrite()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.log.Info("Sentinel new configuration saved on disk")
	return nil
}

// sentinelIsRunning is what Redis does once a sentinel listens: save a
// newly generated ID, log the ID, announce the monitored masters and
// start the driver.
func (s *Server) sentinelIsRunning() {
	d := s.sentinel.driver
	if d == nil {
		return
	}
	if s.sentinel.generatedID {
		if err := s.sentinelSave(); err != nil {
			s.log.Warn("WARNING: Sentinel was not able to save the new configuration on disk!!!: " + err.Error())
		}
	}
	var id string
	d.Do(func(m *sentinel.Machine, now time.Time) { id = m.MyID })
	s.log.Warn("Sentinel ID is " + id)
	d.Do(func(m *sentinel.Machine, now time.Time) { m.GenerateInitialMonitorEvents() })
	s.sentinel.mu.Lock()
	if !s.sentinel.stopped {
		d.Start()
	}
	s.sentinel.mu.Unlock()
}

// stopSentinel stops the driver's loop at shutdown.
func (s *Server) stopSentinel() {
	s.sentinel.mu.Lock()
	defer s.sentinel.mu.Unlock()
	// Stop also closes links opened before Start (by the +monitor
	// events or early SENTINEL commands)
	if s.sentinel.driver != nil {
		s.sentinel.driver.Stop()
	}
	s.sentinel.stopped = true
}

// sentinelDo runs f on the machine from a handler, with the executor lock
// released so the driver's hooks can take it.
func (c *Client) sentinelDo(f func(m *sentinel.Machine, now time.Time)) {
	s := c.srv
	d := s.sentinel.driver
	if d == nil {
		return
	}
	executing, cmdTime := s.pubsub.executing, s.cmdTime
	s.pubsub.executing, s.cmdTime = nil, 0
	s.mu.Unlock()
	d.Do(f)
	s.mu.Lock()
	s.pubsub.executing, s.cmdTime = executing, cmdTime
}

// cmdSentinel is every SENTINEL subcommand: the machine answers.
func cmdSentinel(c *Client, args [][]byte) {
	strs := make([]string, len(args))
	for i, a := range args {
		strs[i] = string(a)
	}
	reply := sentinel.Reply{Err: "ERR Sentinel is not running"}
	c.sentinelDo(func(m *sentinel.Machine, now time.Time) { reply = m.Command(now, strs) })
	c.writeSentinelReply(reply)
}

// writeSentinelReply encodes a machine's reply for the client's protocol:
// maps are maps in RESP3 and flat arrays in RESP2.
func (c *Client) writeSentinelReply(r sentinel.Reply) {
	switch {
	case r.Err != "":
		c.addError(r.Err)
	case r.Nil && r.IsArr:
		c.w.NullArray()
	case r.Nil:
		c.w.Null()
	case r.IsInt:
		c.w.Int(r.Int)
	case r.Status:
		c.w.Simple(r.Str)
	case r.IsArr && r.Map:
		c.w.MapLen(len(r.Array) / 2)
		for _, e := range r.Array {
			c.writeSentinelReply(e)
		}
	case r.IsArr:
		c.w.ArrayLen(len(r.Array))
		for _, e := range r.Array {
			c.writeSentinelReply(e)
		}
	default:
		c.w.BulkString(r.Str)
	}
}

// sentinelHelloChannel is the one channel a sentinel accepts PUBLISH on.
const sentinelHelloChannel = sentinel.HelloChannel

// cmdSentinelPublish is sentinelPublishCommand: other sentinels may
// deliver their hello messages directly; nothing else is published.
func cmdSentinelPublish(c *Client, args [][]byte) {
	if string(args[1]) != sentinelHelloChannel {
		c.addError("ERR Only HELLO messages are accepted by Sentinel instances.")
		return
	}
	payload := string(args[2])
	c.sentinelDo(func(m *sentinel.Machine, now time.Time) { m.Hello(now, payload) })
	c.w.Int(1)
}

// cmdSentinelRole is ROLE: "sentinel" and the monitored masters' names.
func cmdSentinelRole(c *Client, args [][]byte) {
	var reply sentinel.Reply
	c.sentinelDo(func(m *sentinel.Machine, now time.Time) { reply = m.RoleReply() })
	c.writeSentinelReply(reply)
}

// sentinelInfoSections are INFO's sections in sentinel mode: the default
// set and, for "all", everything.
var sentinelInfoSections = []string{"server", "clients", "cpu", "stats", "sentinel"}

// infoSentinel is the "# Sentinel" section, from the machine.
func (s *Server) infoSentinel(c *Client, b *strings.Builder) {
	var text string
	c.sentinelDo(func(m *sentinel.Machine, now time.Time) { text = m.InfoSection(now) })
	b.WriteString(text)
}

// sentinelInfoString is sentinelInfoCommand: the server sections a
// sentinel has, then its own.
func (c *Client) sentinelInfoString(args [][]byte) string {
	allowed := map[string]bool{}
	for _, n := range sentinelInfoSections {
		allowed[n] = true
	}
	text := c.srv.renderInfo(args, sentinelInfoSections, allowed)
	want := len(args) == 0
	for _, a := range args {
		switch strings.ToLower(string(a)) {
		case "sentinel", "default", "all", "everything":
			want = true
		}
	}
	if !want {
		return text
	}
	var b strings.Builder
	b.WriteString(text)
	if b.Len() > 0 {
		b.WriteString("\r\n")
	}
	c.srv.infoSentinel(c, &b)
	return b.String()
}
