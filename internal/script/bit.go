package script

import (
	"math/bits"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// openBit registers the LuaBitOp "bit" module: operations on numbers
// normalised to signed 32-bit integers.
func openBit(L *lua.LState) *lua.LTable {
	arg := func(L *lua.LState, i int) uint32 {
		f := float64(L.CheckNumber(i))
		// LuaBitOp wraps modulo 2^32
		return uint32(int64(f))
	}
	ret := func(L *lua.LState, v uint32) int {
		L.Push(lua.LNumber(int32(v)))
		return 1
	}
	fold := func(op func(a, b uint32) uint32) lua.LGFunction {
		return func(L *lua.LState) int {
			v := arg(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				v = op(v, arg(L, i))
			}
			return ret(L, v)
		}
	}
	shift := func(op func(a uint32, n uint) uint32) lua.LGFunction {
		return func(L *lua.LState) int { return ret(L, op(arg(L, 1), uint(arg(L, 2)&31))) }
	}
	t := L.NewTable()
	for name, f := range map[string]lua.LGFunction{
		"tobit":   func(L *lua.LState) int { return ret(L, arg(L, 1)) },
		"bnot":    func(L *lua.LState) int { return ret(L, ^arg(L, 1)) },
		"band":    fold(func(a, b uint32) uint32 { return a & b }),
		"bor":     fold(func(a, b uint32) uint32 { return a | b }),
		"bxor":    fold(func(a, b uint32) uint32 { return a ^ b }),
		"lshift":  shift(func(a uint32, n uint) uint32 { return a << n }),
		"rshift":  shift(func(a uint32, n uint) uint32 { return a >> n }),
		"arshift": shift(func(a uint32, n uint) uint32 { return uint32(int32(a) >> n) }),
		"rol":     shift(func(a uint32, n uint) uint32 { return bits.RotateLeft32(a, int(n)) }),
		"ror":     shift(func(a uint32, n uint) uint32 { return bits.RotateLeft32(a, -int(n)) }),
		"bswap":   func(L *lua.LState) int { return ret(L, bits.ReverseBytes32(arg(L, 1))) },
		"tohex": func(L *lua.LState) int {
			v := arg(L, 1)
			n := int32(8)
			if L.GetTop() >= 2 {
				n = int32(arg(L, 2))
			}
			digits := "0123456789abcdef"
			if n < 0 {
				n = -n
				digits = "0123456789ABCDEF"
			}
			if n > 8 {
				n = 8
			}
			var b strings.Builder
			for i := n - 1; i >= 0; i-- {
				b.WriteByte(digits[(v>>(4*uint(i)))&15])
			}
			L.Push(lua.LString(b.String()))
			return 1
		},
	} {
		t.RawSetString(name, L.NewFunction(f))
	}
	return t
}
