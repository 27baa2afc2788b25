package script

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// openCmsgpack registers a "cmsgpack" module following lua-cmsgpack's
// documented encoding: smallest integer forms, floats as float32 when
// exact, tables with keys 1..n as arrays, others as maps.
func openCmsgpack(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(func(L *lua.LState) int {
		n := L.GetTop()
		if n == 0 {
			L.RaiseError("MessagePack pack needs input.")
		}
		var b []byte
		for i := 1; i <= n; i++ {
			b = mpEncode(b, L.Get(i), 0)
		}
		L.Push(lua.LString(b))
		return 1
	}))
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int {
		s := []byte(L.CheckString(1))
		n := 0
		for len(s) > 0 {
			v, rest, ok := mpDecode(L, s)
			if !ok {
				L.RaiseError("Missing bytes in input.")
			}
			L.Push(v)
			s = rest
			n++
		}
		return n
	}))
	return t
}

func mpEncode(b []byte, v lua.LValue, depth int) []byte {
	switch v := v.(type) {
	case lua.LBool:
		if v {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(v)
		if f == math.Trunc(f) && !math.IsInf(f, 0) && f >= math.MinInt64 && f < math.MaxInt64 {
			return mpInt(b, int64(f))
		}
		if float64(float32(f)) == f || math.IsNaN(f) {
			b = append(b, 0xca)
			return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(f)))
		}
		b = append(b, 0xcb)
		return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	case lua.LString:
		n := len(v)
		switch {
		case n < 32:
			b = append(b, 0xa0|byte(n))
		case n <= 0xff:
			b = append(b, 0xd9, byte(n))
		case n <= 0xffff:
			b = append(b, 0xda)
			b = binary.BigEndian.AppendUint16(b, uint16(n))
		default:
			b = append(b, 0xdb)
			b = binary.BigEndian.AppendUint32(b, uint32(n))
		}
		return append(b, v...)
	case *lua.LTable:
		if depth >= 16 {
			return append(b, 0xc0) // nesting limit: encoded as nil
		}
		if n, ok := arrayLen(v); (ok && n == countKeys(v)) || countKeys(v) == 0 {
			b = mpHeader(b, n, 0x90, 0xdc, 0xdd)
			for i := 1; i <= n; i++ {
				b = mpEncode(b, v.RawGetInt(i), depth+1)
			}
			return b
		}
		b = mpHeader(b, countKeys(v), 0x80, 0xde, 0xdf)
		v.ForEach(func(k, val lua.LValue) {
			b = mpEncode(b, k, depth+1)
			b = mpEncode(b, val, depth+1)
		})
		return b
	}
	return append(b, 0xc0)
}

func countKeys(t *lua.LTable) int {
	n := 0
	t.ForEach(func(_, _ lua.LValue) { n++ })
	return n
}

func mpHeader(b []byte, n int, fix, b16, b32 byte) []byte {
	switch {
	case n < 16:
		return append(b, fix|byte(n))
	case n <= 0xffff:
		b = append(b, b16)
		return binary.BigEndian.AppendUint16(b, uint16(n))
	}
	b = append(b, b32)
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

func mpInt(b []byte, n int64) []byte {
	switch {
	case n >= 0 && n <= 127:
		return append(b, byte(n))
	case n > 0 && n <= 0xff:
		return append(b, 0xcc, byte(n))
	case n > 0 && n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
	case n > 0 && n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
	case n > 0:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	case n >= -32:
		return append(b, byte(n))
	case n >= -128:
		return append(b, 0xd0, byte(n))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

// mpDecode decodes one value; ok is false on truncated input.
func mpDecode(L *lua.LState, s []byte) (lua.LValue, []byte, bool) {
	if len(s) == 0 {
		return lua.LNil, s, false
	}
	c := s[0]
	s = s[1:]
	need := func(n int) bool { return len(s) >= n }
	u := func(n int) uint64 {
		var x uint64
		for i := 0; i < n; i++ {
			x = x<<8 | uint64(s[i])
		}
		return x
	}
	str := func(n int) (lua.LValue, []byte, bool) {
		if !need(n) {
			return lua.LNil, s, false
		}
		return lua.LString(s[:n]), s[n:], true
	}
	seq := func(n int, isMap bool) (lua.LValue, []byte, bool) {
		t := L.NewTable()
		rest := s
		for i := 1; i <= n; i++ {
			var k, v lua.LValue
			var ok bool
			if isMap {
				if k, rest, ok = mpDecode(L, rest); !ok {
					return lua.LNil, rest, false
				}
			} else {
				k = lua.LNumber(i)
			}
			if v, rest, ok = mpDecode(L, rest); !ok {
				return lua.LNil, rest, false
			}
			t.RawSet(k, v)
		}
		return t, rest, true
	}
	sized := func(n int) (int, bool) {
		if !need(n) {
			return 0, false
		}
		l := int(u(n))
		s = s[n:]
		return l, true
	}
	switch {
	case c <= 0x7f:
		return lua.LNumber(c), s, true
	case c >= 0xe0:
		return lua.LNumber(int8(c)), s, true
	case c&0xe0 == 0xa0:
		return str(int(c & 0x1f))
	case c&0xf0 == 0x90:
		return seq(int(c&0x0f), false)
	case c&0xf0 == 0x80:
		return seq(int(c&0x0f), true)
	}
	fixed := map[byte]int{0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8, 0xca: 4, 0xcb: 8}
	if n, ok := fixed[c]; ok {
		if !need(n) {
			return lua.LNil, s, false
		}
		x := u(n)
		rest := s[n:]
		switch c {
		case 0xca:
			return lua.LNumber(math.Float32frombits(uint32(x))), rest, true
		case 0xcb:
			return lua.LNumber(math.Float64frombits(x)), rest, true
		case 0xd0:
			return lua.LNumber(int8(x)), rest, true
		case 0xd1:
			return lua.LNumber(int16(x)), rest, true
		case 0xd2:
			return lua.LNumber(int32(x)), rest, true
		case 0xd3:
			return lua.LNumber(int64(x)), rest, true
		}
		return lua.LNumber(x), rest, true
	}
	switch c {
	case 0xc0:
		return lua.LNil, s, true
	case 0xc2:
		return lua.LFalse, s, true
	case 0xc3:
		return lua.LTrue, s, true
	case 0xd9, 0xc4, 0xda, 0xc5, 0xdb, 0xc6:
		w := map[byte]int{0xd9: 1, 0xc4: 1, 0xda: 2, 0xc5: 2, 0xdb: 4, 0xc6: 4}[c]
		if n, ok := sized(w); ok {
			return str(n)
		}
	case 0xdc, 0xdd, 0xde, 0xdf:
		w := map[byte]int{0xdc: 2, 0xdd: 4, 0xde: 2, 0xdf: 4}[c]
		if n, ok := sized(w); ok {
			return seq(n, c >= 0xde)
		}
	default:
		return lua.LNil, s, true // unknown type byte: nil, as lua-cmsgpack
	}
	return lua.LNil, s, false
}
