// cmd_script.go is EVAL and its family and SCRIPT: the Lua engine is
// internal/script; here are argument checks, the script client that runs
// redis.call through the command table, and the error texts of Redis 7.0.
package server

import (
	"runtime"
	"strings"
	"time"

	"github.com/redoubt/redoubt/internal/script"
)

type scriptState struct {
	engine *script.Engine
	// functions holds the libraries of FUNCTION LOAD, in its own Lua
	// state as in Redis; made on first use
	functions *script.Engine
	// the running script: when it started, whether it became busy (others
	// get BUSY), whether it wrote (SCRIPT KILL refuses), a kill request
	running, busy, wrote, killReq bool
	start                         time.Time
	// fcall: the running script is a function (FUNCTION KILL, not SCRIPT
	// KILL, stops it); name and argv are what FUNCTION STATS shows
	fcall    bool
	name     string
	argv     [][]byte
	allowOOM bool
	client   *Client // the script client (script_client.go)
}

// scriptBusy is the BUSY admission check of processCommand: while a slow
// script yields the lock, only allow_busy commands run.
func (s *Server) scriptBusy() bool { return s.scripts != nil && s.scripts.busy }

const (
	errBusyScript   = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errBusyFunction = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
)

// busyError is the BUSY reply while a slow script runs: it names the kill
// command that can stop it.
func (s *Server) busyError() string {
	if s.scripts.fcall {
		return errBusyFunction
	}
	return errBusyScript
}

// scriptHook runs every script.HookEvery instructions with the lock held.
// Past busy-reply-threshold it lets the other clients in (they are
// answered BUSY unless their command is allow_busy) and reports kills.
func (s *Server) scriptHook() bool {
	st := s.scripts
	if !st.busy {
		if time.Since(st.start) < time.Duration(s.cfg.BusyReplyThreshold)*time.Millisecond {
			return false
		}
		st.busy = true
		s.log.Warn("Slow script detected: still in execution after " + itoa(time.Since(st.start).Milliseconds()) + " milliseconds. You can try killing the script using the SCRIPT KILL command.")
	}
	// waiters have waited for over 1 ms, so the mutex is in starvation
	// mode and Unlock hands it to them in turn before we get it back
	s.mu.Unlock()
	runtime.Gosched()
	s.mu.Lock()
	select {
	case <-s.done:
		// SHUTDOWN NOSAVE while busy: end the script so its client's
		// goroutine, which Run waits for, can finish
		return true
	default:
	}
	return st.killReq
}

func (s *Server) scriptEngine() *script.Engine {
	if s.scripts == nil {
		s.scripts = &scriptState{engine: script.New()}
	}
	return s.scripts.engine
}

func init() {
	register("eval", func(c *Client, a [][]byte) { evalCommand(c, a, false, false) })
	register("evalsha", func(c *Client, a [][]byte) { evalCommand(c, a, true, false) })
	register("eval_ro", func(c *Client, a [][]byte) { evalCommand(c, a, false, true) })
	register("evalsha_ro", func(c *Client, a [][]byte) { evalCommand(c, a, true, true) })
	register("script|load", scriptLoadCommand)
	register("script|exists", scriptExistsCommand)
	register("script|flush", scriptFlushCommand)
	register("script|kill", scriptKillCommand)
	register("script|help", func(c *Client, a [][]byte) { replyHelpLines(c, a, scriptHelp) })
}

func evalCommand(c *Client, args [][]byte, bySHA, readOnly bool) {
	keys, argv, ok := c.scriptArgs(args, "ERR value is not an integer or out of range")
	if !ok {
		return
	}
	e := c.srv.scriptEngine()
	var sha string
	if bySHA {
		var ok bool
		if sha, ok = e.Lookup(args[1]); !ok {
			c.addError("NOSCRIPT No matching script. Please use EVAL.")
			return
		}
	} else {
		var err error
		if sha, err = e.Load(args[1]); err != nil {
			c.addError(err.Error())
			return
		}
	}
	flags := e.FlagsOf(sha)
	c.runScript(sha, false, flags, readOnly, func(h *scriptHost) { e.Run(sha, keys, argv, h, c.w) })
}

// scriptArgs splits EVAL/FCALL arguments after the script into keys and
// argv; badCount is the error for a numkeys that is not an integer.
func (c *Client) scriptArgs(args [][]byte, badCount string) (keys, argv [][]byte, ok bool) {
	numkeys, ok := parseInt(args[2])
	switch {
	case !ok:
		c.addError(badCount)
	case numkeys > int64(len(args)-3):
		c.addError("ERR Number of keys can't be greater than number of args")
	case numkeys < 0:
		c.addError("ERR Number of keys can't be negative")
	default:
		return args[3 : 3+numkeys], args[3+numkeys:], true
	}
	return nil, nil, false
}

// runScript is scriptPrepareForRun, the run and scriptResetRun: the checks
// a script with declared flags (a shebang, or any function) must pass,
// then run with the hook that keeps the server answering while it is slow.
func (c *Client) runScript(name string, fcall bool, flags script.Flags, readOnly bool, run func(h *scriptHost)) {
	s := c.srv
	if flags.Shebang || fcall {
		if !flags.NoWrites && readOnly {
			c.addError("ERR Can not execute a script with write flag using *_ro command.")
			return
		}
		if s.preCommandOOM && s.cfg.MaxMemory != 0 && !flags.AllowOOM && !flags.NoWrites {
			c.addError("OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'")
			return
		}
	}
	h := &scriptHost{caller: c, readOnly: readOnly || flags.NoWrites}
	st := s.scripts
	st.running, st.busy, st.wrote, st.killReq = true, false, false, false
	st.fcall, st.name, st.argv = fcall, name, c.argv
	st.allowOOM = (flags.Shebang || fcall) && flags.AllowOOM
	st.start = s.commandStart()
	e := st.engine
	if fcall {
		e = st.functions
	}
	e.SetHook(s.scriptHook)
	// EVAL and FCALL skip MONITOR's usual feed (after the command) so that
	// they show before the commands they run
	if len(s.intro.monitors) > 0 {
		s.feedMonitors(c, c.argv)
	}
	run(h)
	// the commands the script ran propagated their effects, as one unit
	c.preventPropagation()
	if st.busy {
		s.log.Warn("Slow script finished in " + itoa(time.Since(st.start).Milliseconds()) + " milliseconds")
	}
	st.running, st.busy, st.killReq = false, false, false
	st.argv = nil
	c.scriptErrorStats(e)
}

// scriptHost runs redis.call for one script execution.
type scriptHost struct {
	caller   *Client
	client   *Client // the script client, made on the first call
	readOnly bool
}

func (h *scriptHost) Log(level int, msg string) {
	l := h.caller.srv.log
	switch level {
	case 0:
		l.Debug(msg)
	case 1, 2:
		l.Info(msg)
	default:
		l.Warn(msg)
	}
}

func (h *scriptHost) Call(args [][]byte, proto int) ([]byte, *script.CallError) {
	s := h.caller.srv
	sc, _ := s.lookupCommand(args)
	if sc == nil || sc.proc == nil {
		s.stats.countError("ERR Unknown Redis command called from script")
		return nil, &script.CallError{Msg: "ERR Unknown Redis command called from script"}
	}
	// refused before running: rejected_calls, as Redis's scriptCall
	reject := func(msg string) ([]byte, *script.CallError) {
		sc.rejected++
		s.stats.countError(msg)
		return nil, &script.CallError{Msg: msg}
	}
	if a := sc.meta.Arity; (a > 0 && len(args) != a) || len(args) < -a {
		return reject("ERR Wrong number of args calling Redis command from script")
	}
	if sc.has(cmdNoScript) {
		return reject("ERR This Redis command is not allowed from script")
	}
	if msg := h.caller.aclScriptDenial(sc, args); msg != "" {
		return reject(msg)
	}
	if h.readOnly && sc.has(cmdWrite) {
		return reject("ERR Write commands are not allowed from read-only scripts.")
	}
	// over maxmemory when the script started, a script that has not
	// written yet may not grow memory (scriptVerifyOOM)
	if s.preCommandOOM && s.cfg.MaxMemory != 0 && !s.scripts.allowOOM && !s.scripts.wrote && sc.has(cmdDenyOOM) {
		return reject(errOOM)
	}
	if h.client == nil {
		h.client = s.scriptClient(h.caller)
	}
	sc2 := h.client
	sc2.w.Reset()
	sc2.w.Proto = proto
	sc2.cmd = sc
	sc2.argv = args
	if sc.has(cmdWrite) {
		s.scripts.wrote = true
	}
	sc2.errorsInCall = 0
	start := time.Now()
	dirtyBefore := s.beginPropagation(sc2)
	sc.proc(sc2, args)
	s.ks.Settle()
	s.endPropagation(sc2, dirtyBefore)
	us := time.Since(start).Microseconds()
	sc.calls++
	if sc2.errorsInCall > 0 {
		sc.failed++
	}
	sc.usec += us
	s.stats.commands++
	s.afterCall(sc2, sc, us)
	return sc2.w.Buf, nil
}

func scriptLoadCommand(c *Client, args [][]byte) {
	sha, err := c.srv.scriptEngine().Load(args[2])
	if err != nil {
		c.addError(err.Error())
		return
	}
	c.w.BulkString(sha)
}

func scriptExistsCommand(c *Client, args [][]byte) {
	e := c.srv.scriptEngine()
	c.w.ArrayLen(len(args) - 2)
	for _, a := range args[2:] {
		if e.Exists(string(a)) {
			c.w.Int(1)
		} else {
			c.w.Int(0)
		}
	}
}

func scriptFlushCommand(c *Client, args [][]byte) {
	if len(args) > 3 || (len(args) == 3 && !isSyncAsync(args[2])) {
		c.addError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	c.srv.scriptEngine().Flush()
	c.w.OK()
}

func scriptKillCommand(c *Client, args [][]byte) { killScript(c, false) }

// killScript is SCRIPT KILL and FUNCTION KILL: each stops only its own
// kind of script, and none that has written.
func killScript(c *Client, function bool) {
	st := c.srv.scripts
	switch {
	case st == nil || !st.running:
		c.addError("NOTBUSY No scripts in execution right now.")
	case st.wrote:
		c.addError("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
	case st.fcall && !function:
		c.addError(errBusyFunction)
	case !st.fcall && function:
		c.addError(errBusyScript)
	default:
		st.killReq = true
		c.w.OK()
	}
}

var scriptHelp = []string{
	"DEBUG (YES|SYNC|NO)",
	"    Set the debug mode for subsequent scripts executed.",
	"EXISTS <sha1> [<sha1> ...]",
	"    Return information about the existence of the scripts in the script cache.",
	"FLUSH [ASYNC|SYNC]",
	"    Flush the Lua scripts cache. Very dangerous on replicas.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the scripts cache.",
	"    * SYNC: Synchronously flush the scripts cache.",
	"KILL",
	"    Kill the currently executing Lua script.",
	"LOAD <script>",
	"    Load a script into the scripts cache without executing it.",
}

// cachedScripts is INFO's number_of_cached_scripts.
func (s *Server) cachedScripts() int {
	if s.scripts == nil {
		return 0
	}
	return s.scripts.engine.Count()
}

// scriptFigures are INFO's script and function counts and code sizes
// (the Lua states' own memory is not measured: gopher-lua lives in the Go
// heap).
type scriptFigures struct{ evalBytes, functionBytes, functions, libraries int }

func (s *Server) scriptMemory() scriptFigures {
	var f scriptFigures
	if s.scripts == nil {
		return f
	}
	f.evalBytes = s.scripts.engine.CodeBytes()
	if e := s.scripts.functions; e != nil {
		for _, l := range e.Libraries() {
			f.libraries++
			f.functions += len(l.Funcs)
			f.functionBytes += len(l.Code)
		}
	}
	return f
}

// isSyncAsync tells whether a is the SYNC or ASYNC of SCRIPT/FUNCTION FLUSH.
func isSyncAsync(a []byte) bool {
	return strings.EqualFold(string(a), "sync") || strings.EqualFold(string(a), "async")
}
