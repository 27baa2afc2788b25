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
	// runName names the running script in error texts: its sha for
	// EVAL, the function name for FCALL
	runName string
	// fstate is set on the engine of Redis Functions (NewFunctions)
	fstate *functionState
	env    *lua.LTable // read-only globals proxy scripts run in
	hook   Hook
	killed bool
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
	e := &Engine{scripts: map[string]string{}, flags: map[string]Flags{}}
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
}

// Flush drops every cached script and starts a fresh Lua state.
func (e *Engine) Flush() {
	e.scripts = map[string]string{}
	e.flags = map[string]Flags{}
	e.reset()
}

// Exists tells whether sha names a cached script.
func (e *Engine) Exists(sha string) bool {
	_, ok := e.scripts[strings.ToLower(sha)]
	return ok
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
	// the registry table holds compiled scripts, out of the script's reach
	e.L.SetField(e.L.Get(lua.RegistryIndex), "f_"+sha, fn)
	e.scripts[sha] = string(body)
	e.flags[sha] = flags
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
	fn := L.GetField(L.Get(lua.RegistryIndex), "f_"+sha)
	e.host = host
	e.proto = 2
	e.runName = sha
	e.rawSetGlobal("KEYS", stringArray(L, keys))
	e.rawSetGlobal("ARGV", stringArray(L, argv))
	L.Push(fn)
	e.finishRun(L.PCall(0, 1, e.errHandler()), out)
}

func (e *Engine) errHandler() *lua.LFunction {
	return e.L.G.Global.RawGetString("__redis__err__handler").(*lua.LFunction)
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

func (e *Engine) writeScriptError(err error, out *resp.Writer) {
	ae, ok := err.(*lua.ApiError)
	if !ok {
		out.Error("ERR Error running script (call to " + e.callName() + "): " + err.Error())
		return
	}
	if t, ok := ae.Object.(*lua.LTable); ok {
		msg := lua.LVAsString(t.RawGetString("err"))
		src := lua.LVAsString(t.RawGetString("source"))
		line := t.RawGetString("line")
		if src != "" && line != lua.LNil {
			msg = fmt.Sprintf("%s script: %s, on %s:%s.", msg, e.runName, src, lua.LVAsString(line))
		}
		out.Error(errText(msg))
		return
	}
	out.Error("ERR Error running script (call to " + e.callName() + "): " + ae.Object.String())
}

// callName is the running script as the Lua state names it.
func (e *Engine) callName() string {
	if e.fstate != nil {
		return e.runName
	}
	return "f_" + e.runName
}

// errText is the final error: one without a code gets ERR, as
// addReplyErrorFormat.
func errText(msg string) string {
	return msg
}
