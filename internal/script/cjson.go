package script

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// openCjson registers a "cjson" module with lua-cjson's documented
// behaviour: encode/decode, cjson.null, arrays for tables whose keys are
// 1..n, numbers as %.14g, '/' escaped.
func openCjson(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	null := L.NewUserData()
	t.RawSetString("null", null)
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.ArgError(1, "expected 1 argument")
		}
		var b strings.Builder
		if msg := jsonEncode(&b, L.Get(1), null, 0); msg != "" {
			L.RaiseError("Cannot serialise %s", msg)
		}
		L.Push(lua.LString(b.String()))
		return 1
	}))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		var v any
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			L.RaiseError("Expected value but found invalid token at character 1")
		}
		L.Push(jsonToLua(L, v, null))
		return 1
	}))
	return t
}

func jsonEncode(b *strings.Builder, v lua.LValue, null *lua.LUserData, depth int) string {
	if depth > 1000 {
		return "table: excessive nesting"
	}
	switch v := v.(type) {
	case lua.LBool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case *lua.LNilType:
		b.WriteString("null")
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return "number: must not be NaN or Inf"
		}
		b.WriteString(fmtNumber(f))
	case lua.LString:
		jsonString(b, string(v))
	case *lua.LUserData:
		if v == null {
			b.WriteString("null")
			return ""
		}
		return "userdata"
	case *lua.LTable:
		n, isArray := arrayLen(v)
		if isArray {
			b.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					b.WriteByte(',')
				}
				if msg := jsonEncode(b, v.RawGetInt(i), null, depth+1); msg != "" {
					return msg
				}
			}
			b.WriteByte(']')
			return ""
		}
		b.WriteByte('{')
		first := true
		var bad string
		v.ForEach(func(k, val lua.LValue) {
			if bad != "" {
				return
			}
			var key string
			switch k := k.(type) {
			case lua.LString:
				key = string(k)
			case lua.LNumber:
				key = fmtNumber(float64(k))
			default:
				bad = "table key must be a number or string"
				return
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			jsonString(b, key)
			b.WriteByte(':')
			bad = jsonEncode(b, val, null, depth+1)
		})
		if bad != "" {
			return bad
		}
		b.WriteByte('}')
	default:
		return v.Type().String()
	}
	return ""
}

// arrayLen tells whether every key of t is a positive integer, and the
// largest; lua-cjson encodes such tables as arrays (missing slots null).
func arrayLen(t *lua.LTable) (int, bool) {
	max, count, ok := 0, 0, true
	t.ForEach(func(k, _ lua.LValue) {
		n, isNum := k.(lua.LNumber)
		if !isNum || float64(n) != math.Floor(float64(n)) || n < 1 {
			ok = false
			return
		}
		count++
		if int(n) > max {
			max = int(n)
		}
	})
	// lua-cjson's default sparse ratio: too sparse arrays become objects' error;
	// they are encoded as objects here
	if ok && max > 10 && max > count*2 {
		return 0, false
	}
	return max, ok && count > 0
}

func jsonString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				b.WriteString(`\u00`)
				b.WriteString(strconv.FormatUint(uint64(c)>>4, 16))
				b.WriteString(strconv.FormatUint(uint64(c)&15, 16))
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

func jsonToLua(L *lua.LState, v any, null *lua.LUserData) lua.LValue {
	switch v := v.(type) {
	case nil:
		return null
	case bool:
		return lua.LBool(v)
	case json.Number:
		f, _ := strconv.ParseFloat(string(v), 64)
		return lua.LNumber(f)
	case string:
		return lua.LString(v)
	case []any:
		t := L.CreateTable(len(v), 0)
		for i, e := range v {
			t.RawSetInt(i+1, jsonToLua(L, e, null))
		}
		return t
	case map[string]any:
		t := L.NewTable()
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.RawSetString(k, jsonToLua(L, v[k], null))
		}
		return t
	}
	return lua.LNil
}
