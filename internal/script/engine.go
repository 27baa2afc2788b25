// Package script is the Lua engine behind EVAL (and later FCALL): one
// sandboxed gopher-lua state, the redis.* library, and the conversions
// between Lua values and RESP replies as Redis 7.0 makes them. The server
// side (command execution, caching policy per command) stays in
// internal/server; it reaches the engine through Host.
package script

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/redoubt/redoubt/internal/resp"
	lua "github.com/yuin/gopher-lua"
)

// Host executes commands for scripts. Call runs args as the script client
// and returns its raw RESP reply (RESP2 or RESP3 per proto).
type Host interface {
	Call(args [][]byte, proto int) (reply []byte, err *CallError)
	Log(level int, msg string)
}

// CallError is a refusal of redis.call before or instead of execution,
// raised in the script as an error table.
type CallError struct{ Msg string }

// Engine is one Lua state with its script cache.
type Engine struct {
	L       *lua.LState
	scripts map[string]string // sha -> body, as SCRIPT EXISTS sees it
	flags   map[string]Flags
	host    Host
	proto   int // redis.setresp
	// funcName is f_<sha> of the running script (f_<name> for a
	// function), for error texts.
	funcName string
	// fstate is set on the engine of Redis Functions (NewFunctions)
	fstate *functionState
	env    *lua.LTable // read-only globals proxy scripts run in
	envMT  *lua.LTable // env's metatable, whose __index is the globals
	hook   Hook
	killed bool
	// compiled are the cached scripts' functions by sha, so a run needs
	// no registry lookup or name building; errHandler is
	// __redis__err__handler; keysT and argvT are KEYS and ARGV of the
	// last run, refilled by the next when the script left them plain.
	compiled     map[string]*compiled
	errHandler   *lua.LFunction
	keysT, argvT *lua.LTable
	callArgs     [][]byte // redis.call's argument slice, reused
	// After Run: Errors are the error replies it wrote (at any depth)
	// that the error statistics must count; Counted is how many it wrote
	// that came from redis.call, which the statistics counted already.
	Errors  []string
	Counted int
}

// noteError records an error reply written from table t for Errors and
// Counted.
func (e *Engine) noteError(t *lua.LTable, msg string) {
	if t != nil && t.RawGetString(noStatsField) == lua.LTrue {
		e.Counted++
		return
	}
	e.Errors = append(e.Errors, msg)
}

type compiled struct {
	fn       *lua.LFunction
	funcName string // f_<sha>
}

// SetHook installs the hook the next runs call periodically (nil: none).
func (e *Engine) SetHook(h Hook) { e.hook = h }

// SHA1Hex is the lowercase hex SHA1 of s, as scripts are named.
func SHA1Hex(s []byte) string {
	h := sha1.Sum(s)
	return hex.EncodeToString(h[:])
}

// New makes an engine with the sandbox set up.
func New() *Engine {
	e := &Engine{scripts: map[string]string{}, flags: map[string]Flags{}, compiled: map[string]*compiled{}}
	e.reset()
	return e
}

func (e *Engine) reset() {
	if e.L != nil {
		e.L.Close()
	}
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	for _, lib := range []struct {
		n string
		f lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}, {lua.DebugLibName, lua.OpenDebug}} {
		L.Push(L.NewFunction(lib.f))
		L.Push(lua.LString(lib.n))
		L.Call(1, 0)
	}
	// Lua 5.1's string.format, not gopher-lua's fmt.Sprintf
	L.GetGlobal("string").(*lua.LTable).RawSetString("format", L.NewFunction(strFormat))
	for _, name := range []string{"loadstring", "dofile", "loadfile", "load", "module", "require", "setfenv", "getfenv", "newproxy", "collectgarbage"} {
		L.SetGlobal(name, lua.LNil)
	}
	e.L = L
	L.SetContext(&hookCtx{Context: context.Background(), e: e})
	e.openRedis()
	if e.fstate != nil {
		e.openLibraryAPI()
	}
	e.protectGlobals()
	e.errHandler = L.GetGlobal("__redis__err__handler").(*lua.LFunction)
	e.keysT, e.argvT = nil, nil
}

// Flush drops every cached script and starts a fresh Lua state.
func (e *Engine) Flush() {
	e.scripts = map[string]string{}
	e.flags = map[string]Flags{}
	e.compiled = map[string]*compiled{}
	e.reset()
}

// Exists tells whether sha names a cached script.
func (e *Engine) Exists(sha string) bool {
	if _, ok := e.scripts[sha]; ok {
		return true
	}
	_, ok := e.scripts[strings.ToLower(sha)]
	return ok
}

// Lookup finds the cached script named by sha in any letter case,
// returning its canonical (lowercase) sha; the common lowercase case
// costs one map lookup and no allocation.
func (e *Engine) Lookup(sha []byte) (string, bool) {
	if c := e.compiled[string(sha)]; c != nil {
		return c.funcName[2:], true
	}
	lower := strings.ToLower(string(sha))
	if c := e.compiled[lower]; c != nil {
		return c.funcName[2:], true
	}
	return lower, false
}

// FlagsOf are the shebang flags of the cached script sha.
func (e *Engine) FlagsOf(sha string) Flags { return e.flags[sha] }

// CodeBytes is the size of the cached scripts' bodies.
func (e *Engine) CodeBytes() int {
	n := 0
	for _, b := range e.scripts {
		n += len(b)
	}
	return n
}

// Count is the number of cached scripts.
func (e *Engine) Count() int { return len(e.scripts) }

// Load compiles body and caches it as f_<sha>; it returns the sha or the
// compile error text as Redis words it.
func (e *Engine) Load(body []byte) (string, error) {
	sha := SHA1Hex(body)
	if _, ok := e.scripts[sha]; ok {
		return sha, nil
	}
	flags, src, err := parseShebang(string(body))
	if err != nil {
		return "", err
	}
	fn, err := e.L.Load(strings.NewReader(src), "user_script")
	if err != nil {
		return "", fmt.Errorf("ERR Error compiling script (new function): %s", compileMsg(err))
	}
	fn.Env = e.env
	// A Lua 5.1 main chunk is vararg without the compat "arg" table, which
	// gopher-lua would otherwise build (unreachable) at every run.
	fn.Proto.IsVarArg &^= lua.VarArgNeedsArg
	// the registry table holds compiled scripts, out of the script's reach
	e.L.SetField(e.L.Get(lua.RegistryIndex), "f_"+sha, fn)
	e.scripts[sha] = string(body)
	e.flags[sha] = flags
	e.compiled[sha] = &compiled{fn: fn, funcName: "f_" + sha}
	return sha, nil
}

func compileMsg(err error) string {
	if ae, ok := err.(*lua.ApiError); ok {
		msg := ae.Object.String()
		return strings.TrimPrefix(msg, "@")
	}
	return err.Error()
}

// Run calls the cached script sha with KEYS and ARGV set, writing its
// result through out (a RESP writer in the caller's protocol).
func (e *Engine) Run(sha string, keys, argv [][]byte, host Host, out *resp.Writer) {
	L := e.L
	var fn lua.LValue
	if c := e.compiled[sha]; c != nil {
		fn, e.funcName = c.fn, c.funcName
	} else {
		fn, e.funcName = L.GetField(L.Get(lua.RegistryIndex), "f_"+sha), "f_"+sha
	}
	e.host = host
	e.proto = 2
	e.Errors, e.Counted = e.Errors[:0], 0
	e.keysT = e.setArray("KEYS", e.keysT, keys)
	e.argvT = e.setArray("ARGV", e.argvT, argv)
	L.Push(fn)
	e.finishRun(L.PCall(0, 1, e.errHandler), out)
}

// finishRun writes the reply of the script just run (err from its PCall,
// else the value on the stack).
func (e *Engine) finishRun(err error, out *resp.Writer) {
	L := e.L
	e.host = nil
	e.killed = false
	if err != nil {
		e.writeScriptError(err, out)
		L.SetTop(0)
		return
	}
	v := L.Get(-1)
	L.SetTop(0)
	e.toResp(v, out, 0)
}

// reuseMax bounds the KEYS/ARGV tables refilled in place: a bigger one
// is made anew, so a run never pays for a past run's long array.
const reuseMax = 64

// setArray sets the global name to a table of vals. It refills t, the
// table of the previous run, when that run left it a plain short array
// that is still the global; otherwise it makes a new one.
func (e *Engine) setArray(name string, t *lua.LTable, vals [][]byte) *lua.LTable {
	g := e.L.G.Global
	n := 0
	if t != nil {
		n = t.Len()
	}
	if t == nil || n > reuseMax || len(vals) > reuseMax || t.Metatable != lua.LNil || g.RawGetString(name) != t || !onlyArray(t, n) {
		t = e.L.CreateTable(len(vals), 0)
		g.RawSetString(name, t)
		n = 0
	}
	for i, v := range vals {
		t.RawSetInt(i+1, lua.LString(v))
	}
	for i := n; i > len(vals); i-- {
		t.RawSetInt(i, lua.LNil)
	}
	return t
}

// onlyArray reports whether t, whose border is n, has no key past n nor
// outside its array part.
func onlyArray(t *lua.LTable, n int) bool {
	var k lua.LValue
	if n == 0 {
		k, _ = t.Next(lua.LNil)
	} else {
		k, _ = t.Next(lua.LNumber(n))
	}
	return k == lua.LNil
}

func (e *Engine) writeScriptError(err error, out *resp.Writer) {
	ae, ok := err.(*lua.ApiError)
	if !ok {
		e.scriptError(nil, out, "ERR Error running script (call to "+e.funcName+"): "+err.Error())
		return
	}
	if t, ok := ae.Object.(*lua.LTable); ok {
		msg := lua.LVAsString(t.RawGetString("err"))
		src := lua.LVAsString(t.RawGetString("source"))
		line := t.RawGetString("line")
		if src != "" && line != lua.LNil {
			msg = fmt.Sprintf("%s script: %s, on %s:%s.", msg, e.funcName[2:], src, lua.LVAsString(line))
		}
		e.scriptError(t, out, errText(msg))
		return
	}
	e.scriptError(nil, out, "ERR Error running script (call to "+e.funcName+"): "+ae.Object.String())
}

func (e *Engine) scriptError(t *lua.LTable, out *resp.Writer, msg string) {
	e.noteError(t, msg)
	out.Error(msg)
}

// errText is the final error: one without a code gets ERR, as
// addReplyErrorFormat.
func errText(msg string) string {
	return msg
}
