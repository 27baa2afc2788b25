// cmd_function.go is Redis Functions: FUNCTION LOAD/DELETE/FLUSH/LIST/
// DUMP/RESTORE/STATS/KILL and FCALL/FCALL_RO. Libraries live in their own
// Lua engine (script.NewFunctions); runs share EVAL's machinery
// (runScript, scriptHost).
package server

import (
	"strings"
	"time"

	"github.com/redoubt/redoubt/internal/glob"
	"github.com/redoubt/redoubt/internal/script"
)

func init() {
	register("fcall", func(c *Client, a [][]byte) { fcallCommand(c, a, false) })
	register("fcall_ro", func(c *Client, a [][]byte) { fcallCommand(c, a, true) })
	register("function|load", functionLoadCommand)
	register("function|delete", functionDeleteCommand)
	register("function|flush", functionFlushCommand)
	register("function|list", functionListCommand)
	register("function|stats", functionStatsCommand)
	register("function|kill", func(c *Client, a [][]byte) { killScript(c, true) })
	register("function|help", func(c *Client, a [][]byte) { replyHelpLines(c, a, functionHelp) })
	for name, f := range map[string]func(*Client, [][]byte) (script.Flags, bool){
		"fcall": fcallScriptFlags, "fcall_ro": fcallScriptFlags,
		"eval": evalScriptFlags, "eval_ro": evalScriptFlags,
		"evalsha": evalshaScriptFlags, "evalsha_ro": evalshaScriptFlags,
	} {
		scriptFlagProcs[name] = f
	}
}

// functionEngine is the engine of function libraries, made on first use.
func (s *Server) functionEngine() *script.Engine {
	s.scriptEngine()
	if s.scripts.functions == nil {
		s.scripts.functions = script.NewFunctions()
	}
	return s.scripts.functions
}

// The flags of the script a command would run, when that script declares
// them (a shebang, or any function).
func fcallScriptFlags(c *Client, args [][]byte) (script.Flags, bool) {
	if f := c.srv.functionEngine().LookupFunction(string(args[1])); f != nil {
		return f.Flags, true
	}
	return script.Flags{}, false
}

func evalScriptFlags(c *Client, args [][]byte) (script.Flags, bool) {
	f, _ := script.ParseShebang(args[1])
	return f, f.Shebang
}

func evalshaScriptFlags(c *Client, args [][]byte) (script.Flags, bool) {
	f := c.srv.scriptEngine().FlagsOf(strings.ToLower(string(args[1])))
	return f, f.Shebang
}

func fcallCommand(c *Client, args [][]byte, readOnly bool) {
	e := c.srv.functionEngine()
	f := e.LookupFunction(string(args[1]))
	if f == nil {
		c.addError("ERR Function not found")
		return
	}
	keys, argv, ok := c.scriptArgs(args, "ERR Bad number of keys provided")
	if !ok {
		return
	}
	c.runScript(f.Name, true, f.Flags, readOnly, func(h *scriptHost) { e.RunFunction(f, keys, argv, h, c.w) })
}

func functionLoadCommand(c *Client, args [][]byte) {
	replace := false
	i := 2
	for ; i < len(args)-1; i++ {
		if !strings.EqualFold(string(args[i]), "replace") {
			c.addError("ERR Unknown option given: " + string(args[i]))
			return
		}
		replace = true
	}
	if i >= len(args) {
		c.addError("ERR Function code is missing")
		return
	}
	name, err := c.srv.functionEngine().LoadLibrary(string(args[i]), replace)
	if err != nil {
		c.addError(err.Error())
		return
	}
	c.srv.markDirty(1)
	c.w.BulkString(name)
}

func functionDeleteCommand(c *Client, args [][]byte) {
	if !c.srv.functionEngine().DeleteLibrary(string(args[2])) {
		c.addError("ERR Library not found")
		return
	}
	c.srv.markDirty(1)
	c.w.OK()
}

func functionFlushCommand(c *Client, args [][]byte) {
	if len(args) > 3 {
		replySubcommandSyntaxError(c, args)
		return
	}
	if len(args) == 3 && !isSyncAsync(args[2]) {
		c.addError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	c.srv.functionEngine().FlushLibraries()
	c.srv.markDirty(1)
	c.w.OK()
}

func functionListCommand(c *Client, args [][]byte) {
	withCode, pattern, havePattern := false, "", false
	for i := 2; i < len(args); i++ {
		a := string(args[i])
		if !withCode && strings.EqualFold(a, "withcode") {
			withCode = true
			continue
		}
		if !havePattern && strings.EqualFold(a, "libraryname") {
			if i >= len(args)-1 {
				c.addError("ERR library name argument was not given")
				return
			}
			i++
			pattern, havePattern = string(args[i]), true
			continue
		}
		c.addError("ERR Unknown argument " + a)
		return
	}
	var libs []*script.Library
	for _, l := range c.srv.functionEngine().Libraries() {
		if !havePattern || glob.MatchString(pattern, l.Name, true) {
			libs = append(libs, l)
		}
	}
	w := c.w
	w.ArrayLen(len(libs))
	for _, l := range libs {
		if withCode {
			w.MapLen(4)
		} else {
			w.MapLen(3)
		}
		w.BulkString("library_name")
		w.BulkString(l.Name)
		w.BulkString("engine")
		w.BulkString(l.Engine)
		w.BulkString("functions")
		w.ArrayLen(len(l.Funcs))
		for _, f := range l.Funcs {
			w.MapLen(3)
			w.BulkString("name")
			w.BulkString(f.Name)
			w.BulkString("description")
			if f.HasDesc {
				w.BulkString(f.Desc)
			} else {
				w.Null()
			}
			w.BulkString("flags")
			names := f.Flags.Names()
			w.SetLen(len(names))
			for _, n := range names {
				w.Simple(n)
			}
		}
		if withCode {
			w.BulkString("library_code")
			w.BulkString(l.Code)
		}
	}
}

func functionStatsCommand(c *Client, args [][]byte) {
	s := c.srv
	st := s.scripts
	if st != nil && st.running && !st.fcall {
		c.addError(errBusyScript)
		return
	}
	e := s.functionEngine()
	w := c.w
	w.MapLen(2)
	w.BulkString("running_script")
	if st == nil || !st.running {
		w.Null()
	} else {
		w.MapLen(3)
		w.BulkString("name")
		w.BulkString(st.name)
		w.BulkString("command")
		w.ArrayLen(len(st.argv))
		for _, a := range st.argv {
			w.Bulk(a)
		}
		w.BulkString("duration_ms")
		w.Int(time.Since(st.start).Milliseconds())
	}
	w.BulkString("engines")
	w.MapLen(1)
	w.BulkString("LUA")
	w.MapLen(2)
	w.BulkString("libraries_count")
	w.Int(int64(len(e.Libraries())))
	w.BulkString("functions_count")
	w.Int(int64(e.FunctionCount()))
}

var functionHelp = []string{
	"LOAD [REPLACE] <FUNCTION CODE>",
	"    Create a new library with the given library name and code.",
	"DELETE <LIBRARY NAME>",
	"    Delete the given library.",
	"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
	"    Return general information on all the libraries:",
	"    * Library name",
	"    * The engine used to run the Library",
	"    * Library description",
	"    * Functions list",
	"    * Library code (if WITHCODE is given)",
	"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
	"STATS",
	"    Return information about the current function running:",
	"    * Function name",
	"    * Command used to run the function",
	"    * Duration in MS that the function is running",
	"    If no function is running, return nil",
	"    In addition, returns a list of available engines.",
	"KILL",
	"    Kill the current running function.",
	"FLUSH [ASYNC|SYNC]",
	"    Delete all the libraries.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the libraries.",
	"    * SYNC: Synchronously flush the libraries.",
	"DUMP",
	"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
	"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
	"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
	"    control how to handle existing libraries (default APPEND):",
	"    * FLUSH: delete all existing libraries.",
	"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
	"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
	"      libraries with the new libraries (notice that even on this option there is a chance of failure",
	"      in case of functions name collision with another library).",
}
