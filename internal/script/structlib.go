package script

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// openStruct registers a "struct" module with the documented behaviour of
// Roberto Ierusalimschy's struct library: pack, unpack and size over
// format strings (<>=! b B h H l L T i I[n] c[n] s f d x).
func openStruct(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	return t
}

type structFmt struct {
	L      *lua.LState
	f      string
	i      int
	little bool
	align  int
}

// next returns the next option and its size (0 for control options).
func (s *structFmt) next() (op byte, size int, ok bool) {
	for s.i < len(s.f) {
		op = s.f[s.i]
		s.i++
		num := func(def int) int {
			j := s.i
			for j < len(s.f) && s.f[j] >= '0' && s.f[j] <= '9' {
				j++
			}
			if j == s.i {
				return def
			}
			n, _ := strconv.Atoi(s.f[s.i:j])
			s.i = j
			return n
		}
		switch op {
		case ' ':
			continue
		case '<', '=':
			s.little = true
			continue
		case '>':
			s.little = false
			continue
		case '!':
			s.align = num(8)
			continue
		case 'x', 'b', 'B':
			return op, 1, true
		case 'h', 'H':
			return op, 2, true
		case 'l', 'L', 'T':
			return op, 8, true
		case 'f':
			return op, 4, true
		case 'd':
			return op, 8, true
		case 'i', 'I':
			n := num(4)
			if n > 8 || n < 1 {
				s.L.RaiseError("integral size %d is larger than limit of 8", n)
			}
			return op, n, true
		case 'c':
			return op, num(1), true
		case 's':
			return op, 0, true
		default:
			s.L.RaiseError("invalid format option '%c'", op)
		}
	}
	return 0, 0, false
}

func (s *structFmt) pad(pos, size int) int {
	a := min(size, s.align)
	if a <= 1 || size == 0 {
		return 0
	}
	return (a - pos%a) % a
}

func (s *structFmt) putInt(b []byte, v uint64, n int) []byte {
	out := make([]byte, n)
	for i := 0; i < n; i++ {
		byteAt := byte(v >> (8 * uint(i)))
		if s.little {
			out[i] = byteAt
		} else {
			out[n-1-i] = byteAt
		}
	}
	return append(b, out...)
}

func structPack(L *lua.LState) int {
	s := &structFmt{L: L, f: L.CheckString(1), little: true, align: 1}
	arg := 2
	var b []byte
	for {
		op, size, ok := s.next()
		if !ok {
			break
		}
		if op != 'c' && op != 's' {
			for n := s.pad(len(b), size); n > 0; n-- {
				b = append(b, 0)
			}
		}
		switch op {
		case 'x':
			b = append(b, 0)
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			f := float64(L.CheckNumber(arg))
			arg++
			var v uint64
			if f < 0 {
				v = uint64(int64(f))
			} else {
				v = uint64(f)
			}
			b = s.putInt(b, v, size)
		case 'f':
			b = s.putInt(b, uint64(math.Float32bits(float32(L.CheckNumber(arg)))), 4)
			arg++
		case 'd':
			b = s.putInt(b, math.Float64bits(float64(L.CheckNumber(arg))), 8)
			arg++
		case 'c', 's':
			str := L.CheckString(arg)
			arg++
			n := size
			if op == 's' || size == 0 {
				n = len(str)
			}
			if n > len(str) {
				L.ArgError(arg-1, "string too short")
			}
			b = append(b, str[:n]...)
			if op == 's' {
				b = append(b, 0)
			}
		}
	}
	L.Push(lua.LString(b))
	return 1
}

func structUnpack(L *lua.LState) int {
	s := &structFmt{L: L, f: L.CheckString(1), little: true, align: 1}
	data := L.CheckString(2)
	pos := L.OptInt(3, 1) - 1
	n := 0
	prev := -1.0
	for {
		op, size, ok := s.next()
		if !ok {
			break
		}
		if op != 'c' && op != 's' {
			pos += s.pad(pos, size)
		}
		if pos+size > len(data) || pos < 0 {
			L.ArgError(2, "data string too short")
		}
		get := func() uint64 {
			var v uint64
			for i := 0; i < size; i++ {
				var c byte
				if s.little {
					c = data[pos+size-1-i]
				} else {
					c = data[pos+i]
				}
				v = v<<8 | uint64(c)
			}
			return v
		}
		switch op {
		case 'x':
		case 'B', 'H', 'L', 'T', 'I':
			prev = float64(get())
			L.Push(lua.LNumber(prev))
			n++
		case 'b', 'h', 'l', 'i':
			v := get()
			shift := 64 - 8*uint(size)
			prev = float64(int64(v<<shift) >> shift)
			L.Push(lua.LNumber(prev))
			n++
		case 'f':
			L.Push(lua.LNumber(math.Float32frombits(uint32(get()))))
			n++
		case 'd':
			L.Push(lua.LNumber(math.Float64frombits(get())))
			n++
		case 'c':
			if size == 0 {
				if prev < 0 {
					L.RaiseError("format 'c0' needs a previous size")
				}
				// the length read just before is consumed, not returned
				size = int(prev)
				L.Pop(1)
				n--
				if pos+size > len(data) {
					L.ArgError(2, "data string too short")
				}
			}
			L.Push(lua.LString(data[pos : pos+size]))
			n++
		case 's':
			e := strings.IndexByte(data[pos:], 0)
			if e < 0 {
				L.RaiseError("unfinished string in data")
			}
			L.Push(lua.LString(data[pos : pos+e]))
			n++
			size = e + 1
		}
		pos += size
	}
	L.Push(lua.LNumber(pos + 1))
	return n + 1
}

func structSize(L *lua.LState) int {
	s := &structFmt{L: L, f: L.CheckString(1), little: true, align: 1}
	pos := 0
	for {
		op, size, ok := s.next()
		if !ok {
			break
		}
		if op == 's' || (op == 'c' && size == 0) {
			L.ArgError(1, "options 'c0' - 's' have undefined sizes")
		}
		pos += s.pad(pos, size) + size
	}
	L.Push(lua.LNumber(pos))
	return 1
}
