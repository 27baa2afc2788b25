package script

import (
	"bytes"
	"math"
	"strconv"

	"github.com/redoubt/redoubt/internal/resp"
	lua "github.com/yuin/gopher-lua"
)

// parseReply converts one RESP reply (from the script client) to a Lua
// value as Redis's redisProtocolToLuaType, returning the rest of b.
func parseReply(L *lua.LState, b []byte) (lua.LValue, []byte) {
	if len(b) == 0 {
		return lua.LFalse, b
	}
	i := bytes.Index(b, []byte("\r\n"))
	if i < 0 {
		return lua.LFalse, nil
	}
	typ, line, rest := b[0], b[1:i], b[i+2:]
	single := func(k string, v lua.LValue) *lua.LTable {
		t := L.NewTable()
		t.RawSetString(k, v)
		return t
	}
	switch typ {
	case ':':
		n, _ := strconv.ParseInt(string(line), 10, 64)
		return lua.LNumber(n), rest
	case '+':
		return single("ok", lua.LString(line)), rest
	case '-':
		// the command counted its error already: the script's reply of
		// this table does not count it again (Redis's flag of that name)
		t := single("err", lua.LString(line))
		t.RawSetString(noStatsField, lua.LTrue)
		return t, rest
	case '$', '=':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, rest
		}
		s := rest[:n]
		rest = rest[n+2:]
		if typ == '=' {
			t := L.NewTable()
			t.RawSetString("format", lua.LString(s[:3]))
			t.RawSetString("string", lua.LString(s[4:]))
			return single("verbatim_string", t), rest
		}
		return lua.LString(s), rest
	case '*', '~', '%', '>':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, rest
		}
		t := L.CreateTable(n, 0)
		for k := 0; k < n; k++ {
			var v lua.LValue
			v, rest = parseReply(L, rest)
			switch typ {
			case '%':
				var val lua.LValue
				val, rest = parseReply(L, rest)
				t.RawSet(v, val)
			case '~':
				t.RawSet(v, lua.LTrue)
			default:
				t.RawSetInt(k+1, v)
			}
		}
		switch typ {
		case '%':
			return single("map", t), rest
		case '~':
			return single("set", t), rest
		}
		return t, rest
	case '_':
		return lua.LNil, rest
	case '#':
		return lua.LBool(len(line) > 0 && line[0] == 't'), rest
	case ',':
		f, _ := strconv.ParseFloat(string(line), 64)
		return single("double", lua.LNumber(f)), rest
	case '(':
		return single("big_number", lua.LString(line)), rest
	}
	return lua.LFalse, rest
}

// noStatsField marks an error table made from a redis.call error that the
// error statistics have counted already.
const noStatsField = "ignore_error_stats_update"

// toResp writes a script's Lua result as Redis's luaReplyToRedisReply.
func (e *Engine) toResp(v lua.LValue, w *resp.Writer, depth int) {
	switch v := v.(type) {
	case lua.LString:
		w.Bulk([]byte(v))
	case lua.LBool:
		// booleans follow the script's redis.setresp, not the caller's protocol
		if e.proto == 2 {
			if v {
				w.Int(1)
			} else {
				w.Null()
			}
		} else {
			w.Bool(bool(v))
		}
	case lua.LNumber:
		w.Int(luaInt(float64(v)))
	case *lua.LTable:
		e.tableToResp(v, w, depth)
	default:
		w.Null()
	}
}

// luaInt truncates as lua_tointeger does (a C cast of the double).
func luaInt(f float64) int64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return math.MinInt64
	}
	return int64(f)
}

func (e *Engine) tableToResp(t *lua.LTable, w *resp.Writer, depth int) {
	if s, ok := t.RawGetString("err").(lua.LString); ok {
		e.noteError(t, string(s))
		w.Error(string(s))
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		w.Simple(stripNL(string(s)))
		return
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		w.Double(float64(d))
		return
	}
	if s, ok := t.RawGetString("big_number").(lua.LString); ok {
		w.BigNumber(string(s))
		return
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		d := w.Defer()
		n := 0
		m.ForEach(func(k, v lua.LValue) {
			e.toResp(k, w, depth+1)
			e.toResp(v, w, depth+1)
			n++
		})
		w.SetMapLen(d, n)
		return
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		d := w.Defer()
		n := 0
		s.ForEach(func(k, _ lua.LValue) {
			e.toResp(k, w, depth+1)
			n++
		})
		w.SetSetLen(d, n)
		return
	}
	// an array up to the first nil
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	w.ArrayLen(n)
	for i := 1; i <= n; i++ {
		e.toResp(t.RawGetInt(i), w, depth+1)
	}
}

// errorReplyText is an {err=...} table's reply: a leading '-' is dropped.
func errorReplyText(s string) string {
	if len(s) > 0 && s[0] == '-' {
		return s[1:]
	}
	return s
}

func stripNL(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\r' || c == '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}
