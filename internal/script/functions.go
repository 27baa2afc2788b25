package script

import (
	"errors"
	"strings"
	"time"

	"github.com/redoubt/redoubt/internal/resp"
	lua "github.com/yuin/gopher-lua"
)

// Redis Functions: libraries of named Lua functions loaded with FUNCTION
// LOAD. They live in their own engine (NewFunctions), as in Redis, so the
// globals EVAL sets (KEYS, ARGV) never reach them.

// Library is one loaded library: its code as given and its functions in
// registration order.
type Library struct {
	Name, Engine string
	Code         string
	Funcs        []*Function
}

// Function is one registered function.
type Function struct {
	Name, Desc string
	HasDesc    bool
	Flags      Flags
	Lib        *Library
	fn         *lua.LFunction
}

// functionState is the function engine's part of Engine.
type functionState struct {
	libs  map[string]*Library
	funcs map[string]*Function
	// libAPI is what library code sees as globals while it loads: only a
	// restricted redis table (register_function, log, versions)
	libAPI *lua.LTable
	// loading is the library whose top-level code runs now
	loading  *Library
	deadline time.Time
}

// LoadTimeout bounds the top-level code of a library (FUNCTION LOAD).
const LoadTimeout = 500 * time.Millisecond

// NewFunctions makes the engine that holds function libraries.
func NewFunctions() *Engine {
	e := &Engine{scripts: map[string]string{}, flags: map[string]Flags{},
		fstate: &functionState{libs: map[string]*Library{}, funcs: map[string]*Function{}}}
	e.reset()
	return e
}

// openLibraryAPI builds the globals library code sees while loading.
func (e *Engine) openLibraryAPI() {
	L := e.L
	r := L.NewTable()
	r.RawSetString("register_function", L.NewFunction(e.registerFunction))
	r.RawSetString("log", L.NewFunction(e.log))
	for n, v := range map[string]int{"LOG_DEBUG": 0, "LOG_VERBOSE": 1, "LOG_NOTICE": 2, "LOG_WARNING": 3} {
		r.RawSetString(n, lua.LNumber(v))
	}
	r.RawSetString("REDIS_VERSION", lua.LString(redisVersion))
	r.RawSetString("REDIS_VERSION_NUM", lua.LNumber(redisVersionNum))
	api := L.NewTable()
	api.RawSetString("redis", strictTable(L, r))
	e.fstate.libAPI = strictTable(L, api)
}

// strictTable is a read-only proxy of t whose unknown fields are errors,
// as Redis's error metatable on protected tables.
func strictTable(L *lua.LState, t *lua.LTable) *lua.LTable {
	proxy := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		k := L.Get(2)
		if v := t.RawGet(k); v != lua.LNil {
			L.Push(v)
			return 1
		}
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(k))
		return 0
	}))
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	}))
	L.SetMetatable(proxy, mt)
	return proxy
}

// libMeta is the "#!<engine> name=<lib>" first line of a library.
type libMeta struct{ engine, name, code string }

func parseLibMeta(code string) (libMeta, error) {
	var md libMeta
	if !strings.HasPrefix(code, "#!") {
		return md, errors.New("ERR Missing library metadata")
	}
	nl := strings.IndexByte(code, '\n')
	if nl < 0 {
		return md, errors.New("ERR Invalid library metadata")
	}
	args, ok := resp.SplitArgs([]byte(code[:nl]))
	if !ok || len(args) == 0 {
		return md, errors.New("ERR Invalid library metadata")
	}
	md.engine = string(args[0][min(2, len(args[0])):])
	named := false
	for _, a := range args[1:] {
		p := string(a)
		if len(p) >= 5 && strings.EqualFold(p[:5], "name=") {
			if named {
				return md, errors.New("ERR Invalid metadata value, name argument was given multiple times")
			}
			md.name, named = p[5:], true
			continue
		}
		return md, errors.New("ERR Invalid metadata value given: " + p)
	}
	if !named {
		return md, errors.New("ERR Library name was not given")
	}
	md.code = code[nl:]
	return md, nil
}

// validName is Redis's functionsVerifyName: [a-zA-Z0-9_]+.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

const errBadName = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

// LoadLibrary is FUNCTION LOAD: it compiles code, runs its top level to
// register functions and links the library, replacing one of the same
// name only when replace is set. It returns the library name.
func (e *Engine) LoadLibrary(code string, replace bool) (string, error) {
	lib, err := e.compileLibrary(code, replace, e.fstate.libs)
	if err != nil {
		return "", err
	}
	fs := e.fstate
	old := fs.libs[lib.Name]
	for _, f := range lib.Funcs {
		if g := fs.funcs[strings.ToLower(f.Name)]; g != nil && g.Lib != old {
			return "", errors.New("ERR Function " + f.Name + " already exists")
		}
	}
	if old != nil {
		e.unlink(old)
	}
	e.link(lib)
	return lib.Name, nil
}

// compileLibrary checks the metadata against libs and runs the library's
// top-level code, returning the library unlinked.
func (e *Engine) compileLibrary(code string, replace bool, libs map[string]*Library) (*Library, error) {
	md, err := parseLibMeta(code)
	if err != nil {
		return nil, err
	}
	if !validName(md.name) {
		return nil, errors.New("ERR " + errBadName)
	}
	if !strings.EqualFold(md.engine, "lua") {
		return nil, errors.New("ERR Engine '" + md.engine + "' not found")
	}
	if libs[md.name] != nil && !replace {
		return nil, errors.New("ERR Library '" + md.name + "' already exists")
	}
	lib := &Library{Name: md.name, Engine: "LUA", Code: code}
	L := e.L
	fn, err := L.Load(strings.NewReader(md.code), "user_function")
	if err != nil {
		return nil, errors.New("ERR Error compiling function: " + compileMsg(err))
	}
	fn.Env = e.env
	fs := e.fstate
	fs.loading, fs.deadline = lib, time.Now().Add(LoadTimeout)
	// library code loading sees only its API as globals
	e.envMT.RawSetString("__index", fs.libAPI)
	L.Push(fn)
	err = L.PCall(0, 0, nil)
	e.envMT.RawSetString("__index", L.G.Global)
	fs.loading, fs.deadline = nil, time.Time{}
	e.killed = false
	L.SetTop(0)
	if err != nil {
		msg := err.Error()
		if ae, ok := err.(*lua.ApiError); ok {
			msg = "ERR " + ae.Object.String()
			if t, ok := ae.Object.(*lua.LTable); ok {
				msg = lua.LVAsString(t.RawGetString("err"))
			}
		}
		return nil, errors.New("ERR Error registering functions: " + msg)
	}
	if len(lib.Funcs) == 0 {
		return nil, errors.New("ERR No functions registered")
	}
	return lib, nil
}

// link makes lib's functions callable. Function names are unique across
// libraries regardless of case (FCALL looks them up that way), though a
// library may hold two differing only in case: the first one wins.
func (e *Engine) link(lib *Library) {
	e.fstate.libs[lib.Name] = lib
	for _, f := range lib.Funcs {
		k := strings.ToLower(f.Name)
		if e.fstate.funcs[k] == nil {
			e.fstate.funcs[k] = f
		}
	}
}

func (e *Engine) unlink(lib *Library) {
	delete(e.fstate.libs, lib.Name)
	for _, f := range lib.Funcs {
		k := strings.ToLower(f.Name)
		if e.fstate.funcs[k] == f {
			delete(e.fstate.funcs, k)
		}
	}
}

// DeleteLibrary is FUNCTION DELETE; false when there is no such library.
func (e *Engine) DeleteLibrary(name string) bool {
	lib := e.fstate.libs[name]
	if lib == nil {
		return false
	}
	e.unlink(lib)
	return true
}

// FlushLibraries is FUNCTION FLUSH: no libraries and a fresh Lua state.
func (e *Engine) FlushLibraries() {
	e.fstate.libs = map[string]*Library{}
	e.fstate.funcs = map[string]*Function{}
	e.reset()
}

// Libraries are the loaded libraries (in no particular order, as Redis's
// dictionary).
func (e *Engine) Libraries() []*Library {
	out := make([]*Library, 0, len(e.fstate.libs))
	for _, l := range e.fstate.libs {
		out = append(out, l)
	}
	return out
}

// FunctionCount is the number of registered functions.
func (e *Engine) FunctionCount() int {
	n := 0
	for _, l := range e.fstate.libs {
		n += len(l.Funcs)
	}
	return n
}

// LookupFunction finds a registered function by name, ignoring case.
func (e *Engine) LookupFunction(name string) *Function {
	if f := e.fstate.funcs[name]; f != nil {
		return f
	}
	return e.fstate.funcs[strings.ToLower(name)]
}

// RestoreLibraries is FUNCTION RESTORE's join: codes are library codes
// from a payload, loaded into a fresh set and joined per policy
// ("append", "replace" or "flush").
func (e *Engine) RestoreLibraries(codes []string, policy string) error {
	staged := map[string]*Library{}
	var order []*Library
	for _, code := range codes {
		lib, err := e.compileLibrary(code, false, staged)
		if err != nil {
			return err
		}
		for _, f := range lib.Funcs {
			for _, o := range order {
				for _, g := range o.Funcs {
					if strings.EqualFold(g.Name, f.Name) {
						return errors.New("ERR Function " + f.Name + " already exists")
					}
				}
			}
		}
		staged[lib.Name] = lib
		order = append(order, lib)
	}
	fs := e.fstate
	if policy == "flush" {
		fs.libs, fs.funcs = map[string]*Library{}, map[string]*Function{}
	}
	var replaced []*Library
	for _, lib := range order {
		if old := fs.libs[lib.Name]; old != nil {
			if policy != "replace" {
				e.relink(replaced)
				return errors.New("ERR Library " + lib.Name + " already exists")
			}
			e.unlink(old)
			replaced = append(replaced, old)
		}
	}
	for _, lib := range order {
		for _, f := range lib.Funcs {
			if fs.funcs[strings.ToLower(f.Name)] != nil {
				e.relink(replaced)
				return errors.New("ERR Function " + f.Name + " already exists")
			}
		}
	}
	for _, lib := range order {
		e.link(lib)
	}
	return nil
}

func (e *Engine) relink(libs []*Library) {
	for _, l := range libs {
		e.link(l)
	}
}

// registerFunction is redis.register_function, callable only while a
// library loads: positional (name, callback) or one table of named
// arguments (function_name, callback, flags, description).
func (e *Engine) registerFunction(L *lua.LState) int {
	lib := e.fstate.loading
	if lib == nil {
		raise(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	f := &Function{Lib: lib}
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			raise(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var msg string
		t.ForEach(func(k, v lua.LValue) {
			if msg != "" {
				return
			}
			msg = namedArg(f, k, v)
		})
		if msg == "" && f.Name == "" {
			msg = "redis.register_function must get a function name argument"
		}
		if msg == "" && f.fn == nil {
			msg = "redis.register_function must get a callback argument"
		}
		if msg != "" {
			raise(L, msg)
		}
	case 2:
		name, ok := luaString(L.Get(1))
		if !ok {
			raise(L, "first argument to redis.register_function must be a string")
		}
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			raise(L, "second argument to redis.register_function must be a function")
		}
		f.Name, f.fn = name, fn
	default:
		raise(L, "wrong number of arguments to redis.register_function")
	}
	if !validName(f.Name) {
		raise(L, errBadName)
	}
	for _, g := range lib.Funcs {
		if g.Name == f.Name {
			raise(L, "Function already exists in the library")
		}
	}
	lib.Funcs = append(lib.Funcs, f)
	return 0
}

// luaString is lua_isstring + tostring: strings and numbers.
func luaString(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return fmtNumber(float64(v)), true
	}
	return "", false
}

// namedArg applies one named argument of register_function, returning
// Redis's complaint about it, if any.
func namedArg(f *Function, k, v lua.LValue) string {
	key, ok := luaString(k)
	if !ok {
		return "named argument key given to redis.register_function is not a string"
	}
	switch strings.ToLower(key) {
	case "function_name":
		if f.Name, ok = luaString(v); !ok {
			return "function_name argument given to redis.register_function must be a string"
		}
	case "description":
		if f.Desc, ok = luaString(v); !ok {
			return "description argument given to redis.register_function must be a string"
		}
		f.HasDesc = true
	case "callback":
		if f.fn, ok = v.(*lua.LFunction); !ok {
			return "callback argument given to redis.register_function must be a function"
		}
	case "flags":
		t, ok := v.(*lua.LTable)
		if !ok {
			return "flags argument to redis.register_function must be a table representing function flags"
		}
		for i := 1; ; i++ {
			fv := t.RawGetInt(i)
			if fv == lua.LNil {
				break
			}
			s, ok := luaString(fv)
			if !ok || !f.Flags.set(strings.ToLower(s)) {
				return "unknown flag given"
			}
		}
	default:
		return "unknown argument given to redis.register_function"
	}
	return ""
}

// RunFunction calls f with its keys and args tables, writing its result
// through out.
func (e *Engine) RunFunction(f *Function, keys, argv [][]byte, host Host, out *resp.Writer) {
	L := e.L
	e.host = host
	e.proto = 2
	e.funcName = "f_" + f.Name
	e.Errors, e.Counted = e.Errors[:0], 0
	L.Push(f.fn)
	L.Push(stringArray(L, keys))
	L.Push(stringArray(L, argv))
	e.finishRun(L.PCall(2, 1, e.errHandler), out)
}

func stringArray(L *lua.LState, vals [][]byte) *lua.LTable {
	t := L.CreateTable(len(vals), 0)
	for _, v := range vals {
		t.Append(lua.LString(v))
	}
	return t
}
