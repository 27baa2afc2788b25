package script

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// Redis 7.0.15 as scripts see it.
const (
	redisVersion    = "7.0.15"
	redisVersionNum = 0x07000f
)

// errHandler turns any error into a table {err=, source=, line=} naming
// the script position that raised it, as Redis's __redis__err__handler:
// the innermost Lua (not Go) frame.
func errHandler(L *lua.LState) int {
	errv := L.Get(1)
	t, ok := errv.(*lua.LTable)
	if !ok {
		t = L.NewTable()
		t.RawSetString("err", lua.LString("ERR "+lua51Wording(lua.LVAsString(errv))))
		if errv.Type() != lua.LTString && errv.Type() != lua.LTNumber {
			t.RawSetString("err", lua.LString("ERR "+errv.String()))
		}
	}
	for level := 1; level < 64; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" {
			continue
		}
		t.RawSetString("source", lua.LString("@"+dbg.Source))
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		break
	}
	L.Push(t)
	return 1
}

func (e *Engine) openRedis() {
	L := e.L
	L.SetGlobal("__redis__err__handler", L.NewFunction(errHandler))
	L.SetGlobal("tostring", L.NewFunction(luaToString))
	L.SetGlobal("error", L.NewFunction(luaError))
	L.SetGlobal("pcall", L.NewFunction(luaPcall))
	L.SetGlobal("debug", lua.LNil)
	r := L.NewTable()
	fns := map[string]lua.LGFunction{
		"call":               func(L *lua.LState) int { return e.call(L, true) },
		"pcall":              func(L *lua.LState) int { return e.call(L, false) },
		"error_reply":        errorReply,
		"status_reply":       statusReply,
		"sha1hex":            sha1hex,
		"log":                e.log,
		"setresp":            e.setresp,
		"set_repl":           setRepl,
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"breakpoint":         func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":              func(L *lua.LState) int { return 0 },
	}
	for n, f := range fns {
		r.RawSetString(n, L.NewFunction(f))
	}
	for n, v := range map[string]int{"LOG_DEBUG": 0, "LOG_VERBOSE": 1, "LOG_NOTICE": 2, "LOG_WARNING": 3,
		"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3} {
		r.RawSetString(n, lua.LNumber(v))
	}
	r.RawSetString("REDIS_VERSION", lua.LString(redisVersion))
	r.RawSetString("REDIS_VERSION_NUM", lua.LNumber(redisVersionNum))
	L.SetGlobal("redis", r)
	L.SetGlobal("bit", openBit(L))
	L.SetGlobal("cjson", openCjson(L))
	L.SetGlobal("cmsgpack", openCmsgpack(L))
	L.SetGlobal("struct", openStruct(L))
	// library tables are read-only to scripts, as in Redis 7
	for _, name := range []string{"redis", "string", "table", "math", "bit", "cjson", "cmsgpack", "struct"} {
		L.SetGlobal(name, readOnly(L, L.GetGlobal(name).(*lua.LTable)))
	}
}

// readOnly is a proxy of t whose assignments fail.
func readOnly(L *lua.LState, t *lua.LTable) *lua.LTable {
	proxy := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	}))
	L.SetMetatable(proxy, mt)
	return proxy
}

// protectGlobals makes scripts see the globals through a read-only proxy:
// reading an unknown name and assigning any global are errors. Reads go
// proxy -> globals table by plain __index chaining, so a hit calls no Go
// function; only a miss reaches the globals' own __index, which raises.
func (e *Engine) protectGlobals() {
	L := e.L
	g := L.G.Global
	gmt := L.NewTable()
	gmt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		k := L.Get(2)
		if s, ok := k.(lua.LString); ok && allowedNil[string(s)] {
			L.Push(lua.LNil)
			return 1
		}
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(k))
		return 0
	}))
	L.SetMetatable(g, gmt)
	proxy := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", g)
	e.envMT = mt
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	}))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(proxy, mt)
	e.env = proxy
}

// allowedNil are globals Redis 7.0 leaves readable though removed.
var allowedNil = map[string]bool{"loadstring": true}

func (e *Engine) rawSetGlobal(name string, v lua.LValue) { e.L.G.Global.RawSetString(name, v) }

func errorReply(L *lua.LState) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
		raise(L, "wrong number or type of arguments")
	}
	L.Push(errTable(L, "-"+strings.TrimPrefix(L.ToString(1), "-")))
	return 1
}

// errTable is Redis's luaPushErrorBuff: a "-CODE msg" text keeps its code,
// a text without a space gets ERR.
func errTable(L *lua.LState, buf string) *lua.LTable {
	msg := buf
	if strings.HasPrefix(buf, "-") {
		if code, rest, ok := strings.Cut(buf[1:], " "); ok {
			msg = code + " " + rest
		} else {
			msg = "ERR " + buf[1:]
		}
	} else {
		msg = "ERR " + buf
	}
	t := L.NewTable()
	t.RawSetString("err", lua.LString(msg))
	return t
}

// luaToString is tostring with Lua 5.1's number format.
func luaToString(L *lua.LState) int {
	v := L.CheckAny(1)
	if n, ok := v.(lua.LNumber); ok {
		L.Push(lua.LString(fmtNumber(float64(n))))
		return 1
	}
	if mt, ok := L.GetMetaField(v, "__tostring").(*lua.LFunction); ok {
		L.Push(mt)
		L.Push(v)
		L.Call(1, 1)
		return 1
	}
	L.Push(lua.LString(v.String()))
	return 1
}

func statusReply(L *lua.LState) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
		raise(L, "wrong number or type of arguments")
	}
	t := L.NewTable()
	t.RawSetString("ok", L.Get(1))
	L.Push(t)
	return 1
}

func sha1hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "wrong number of arguments")
	}
	L.Push(lua.LString(SHA1Hex([]byte(L.ToString(1)))))
	return 1
}

func (e *Engine) log(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		raise(L, "redis.log() requires two arguments or more.")
	}
	if L.Get(1).Type() != lua.LTNumber {
		raise(L, "First argument must be a number (log level).")
	}
	level := int(L.ToNumber(1))
	if level < 0 || level > 3 {
		raise(L, "Invalid debug level.")
	}
	msg := ""
	for i := 2; i <= n; i++ {
		if i > 2 {
			msg += " "
		}
		msg += L.ToString(i)
	}
	if e.host != nil {
		e.host.Log(level, msg)
	}
	return 0
}

func (e *Engine) setresp(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "redis.setresp() requires one argument.")
	}
	p := L.ToInt(1)
	if p != 2 && p != 3 {
		raise(L, "RESP version must be 2 or 3.")
	}
	e.proto = p
	return 0
}

func setRepl(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "redis.set_repl() requires two arguments.")
	}
	f := L.ToInt(1)
	if f < 0 || f > 3 {
		raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	return 0
}

// call is redis.call (raise) and redis.pcall (return the error table).
func (e *Engine) call(L *lua.LState, raise bool) int {
	n := L.GetTop()
	fail := func(msg string) int {
		t := L.NewTable()
		t.RawSetString("err", lua.LString(msg))
		if raise {
			L.Error(t, 0)
		}
		L.Push(t)
		return 1
	}
	if n == 0 {
		return fail("ERR Please specify at least one argument for this redis lib call")
	}
	args := e.callArgs[:0]
	if cap(args) < n || cap(args) > callArgsKeep {
		args = make([][]byte, 0, n)
	}
	args = args[:n]
	e.callArgs = args
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			args[i-1] = stringBytes(string(v))
		case lua.LNumber:
			// Redis formats numbers given to commands with %.17g
			args[i-1] = strconv.AppendFloat(nil, float64(v), 'g', 17, 64)
		default:
			return fail("ERR Lua redis lib command arguments must be strings or integers")
		}
	}
	reply, cerr := e.host.Call(args, e.proto)
	if cerr != nil {
		// a refusal is counted by the host, as Redis's scriptCall does
		t := L.NewTable()
		t.RawSetString("err", lua.LString(cerr.Msg))
		t.RawSetString(noStatsField, lua.LTrue)
		if raise {
			L.Error(t, 0)
		}
		L.Push(t)
		return 1
	}
	v, _ := parseReply(L, reply)
	if t, ok := v.(*lua.LTable); ok && raise {
		if errv := t.RawGetString("err"); errv != lua.LNil && t.Len() == 0 && isErrTable(t) {
			L.Error(t, 0)
		}
	}
	L.Push(v)
	return 1
}

// callArgsKeep bounds the argument slice redis.call keeps between calls.
const callArgsKeep = 1024

// stringBytes is s's bytes without a copy. Commands never write into
// their arguments (client arguments live in the connection's read
// buffer, so anything kept is copied), which makes sharing a Lua
// string's immutable bytes safe for the length of one call.
func stringBytes(s string) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

func isErrTable(t *lua.LTable) bool {
	_, ok := t.RawGetString("err").(lua.LString)
	return ok
}

// fmtNumber formats a Lua number as Lua 5.1's tostring (%.14g).
func fmtNumber(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan" // as glibc prints the NaN x86 makes of 0/0
		}
		return "nan"
	}
	if f == float64(int64(f)) && f < 1e15 && f > -1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// raise is luaPushError + luaError: an error table with ERR, whose position
// the error handler adds.
func raise(L *lua.LState, msg string) {
	t := L.NewTable()
	t.RawSetString("err", lua.LString("ERR "+msg))
	L.Error(t, 0)
}

// badArgument and compareTypes are gopher-lua wordings Lua 5.1 words
// differently.
var (
	badArgument  = regexp.MustCompile(`bad argument #(\d+) to ([A-Za-z_][A-Za-z0-9_]*) \(`)
	compareTypes = regexp.MustCompile(`attempt to compare (\w+) with (\w+)`)
)

// lua51Wording rewrites runtime error texts to Lua 5.1's where the two
// differ only in form: the quoted function name of a bad argument, the
// "two <type> values" of a comparison of like types.
func lua51Wording(msg string) string {
	if strings.Contains(msg, "bad argument #") {
		msg = badArgument.ReplaceAllString(msg, "bad argument #$1 to '$2' (")
	}
	if m := compareTypes.FindStringSubmatch(msg); m != nil && m[1] == m[2] {
		msg = strings.Replace(msg, m[0], "attempt to compare two "+m[1]+" values", 1)
	}
	return msg
}

// luaError is Lua 5.1's error(): numbers get the position as strings do;
// with no argument it raises nil.
func luaError(L *lua.LState) int {
	obj := L.Get(1)
	level := L.OptInt(2, 1)
	// the position is that of the function at level, none if it is not
	// Lua (error called straight from pcall), as in 5.1; gopher-lua would
	// take the nearest Lua frame instead
	if level > 0 {
		if dbg, ok := L.GetStack(level); ok {
			if _, err := L.GetInfo("S", dbg, lua.LNil); err == nil && dbg.What == "G" {
				level = 0
			}
		}
	}
	if n, ok := obj.(lua.LNumber); ok {
		obj = lua.LString(fmtNumber(float64(n)))
	}
	L.Error(obj, level)
	return 0
}

// luaPcall is Redis 7.0's pcall: an error table caught is returned as its
// err string.
func luaPcall(L *lua.LState) int {
	L.CheckAny(1)
	nargs := L.GetTop() - 1
	base := L.GetTop() - nargs - 1 // index of the function minus one
	if err := L.PCall(nargs, lua.MultRet, nil); err != nil {
		obj := err.(*lua.ApiError).Object
		if t, ok := obj.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				obj = s
			}
		}
		L.Push(lua.LFalse)
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, base+1)
	return L.GetTop() - base
}
