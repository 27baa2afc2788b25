package script

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// strFormat is Lua 5.1's string.format (lstrlib.c), which Redis scripts
// get: C printf conversions with at most two-digit width and precision,
// numbers as %.14g where a string is wanted, %q quoting, and 5.1's error
// texts. gopher-lua's own is Go's fmt.Sprintf, which differs in most of
// these.
func strFormat(L *lua.LState) int {
	form := L.CheckString(1)
	top := L.GetTop()
	arg := 1
	var b strings.Builder
	for i := 0; i < len(form); i++ {
		ch := form[i]
		if ch != '%' {
			b.WriteByte(ch)
			continue
		}
		if i+1 < len(form) && form[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		arg++
		if arg > top {
			L.RaiseError("bad argument #%d to 'format' (no value)", arg)
		}
		// the spec: flags, width (2 digits), precision (2 digits)
		j := i + 1
		for j < len(form) && strings.IndexByte("-+ #0", form[j]) >= 0 {
			j++
		}
		if j-(i+1) > 5 {
			L.RaiseError("invalid format (repeated flags)")
		}
		flags := form[i+1 : j]
		wStart := j
		for k := 0; k < 2 && j < len(form) && isDigit(form[j]); k++ {
			j++
		}
		width := form[wStart:j]
		prec, hasPrec := "", false
		if j < len(form) && form[j] == '.' {
			hasPrec = true
			j++
			pStart := j
			for k := 0; k < 2 && j < len(form) && isDigit(form[j]); k++ {
				j++
			}
			prec = form[pStart:j]
		}
		if j < len(form) && isDigit(form[j]) {
			L.RaiseError("invalid format (width or precision too long)")
		}
		var conv byte
		if j < len(form) {
			conv = form[j]
		}
		spec := "%" + flags + width
		if hasPrec {
			spec += "." + prec
		}
		switch conv {
		case 'c':
			b.WriteString(pad(string([]byte{byte(int64(checkNumber(L, arg)))}), flags, width))
		case 'd', 'i':
			b.WriteString(fmt.Sprintf(strings.ReplaceAll(spec, "#", "")+"d", int64(checkNumber(L, arg))))
		case 'o', 'u', 'x', 'X':
			u := uint64(int64(checkNumber(L, arg)))
			s := spec
			if u == 0 {
				s = strings.ReplaceAll(s, "#", "") // C prints a bare 0
			}
			verb := string(conv)
			if conv == 'u' {
				verb = "d"
			}
			b.WriteString(fmt.Sprintf(s+verb, u))
		case 'e', 'E', 'f', 'g', 'G':
			b.WriteString(formatFloat(checkNumber(L, arg), spec, flags, width, hasPrec, conv))
		case 'q':
			addQuoted(&b, checkString(L, arg))
		case 's':
			s := checkString(L, arg)
			if !hasPrec && len(s) >= 100 {
				b.WriteString(s) // as 5.1: long strings are not formatted
				break
			}
			if hasPrec {
				if n := atoiDigits(prec); n < len(s) {
					s = s[:n]
				}
			}
			b.WriteString(pad(s, flags, width))
		default:
			L.RaiseError("invalid option '%%%s' to 'format'", string(form[j:min(j+1, len(form))]))
		}
		i = j
	}
	L.Push(lua.LString(b.String()))
	return 1
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func atoiDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// pad right-aligns s in width (left with the '-' flag), bytewise as C.
func pad(s, flags, width string) string {
	w := atoiDigits(width)
	if len(s) >= w {
		return s
	}
	fill := strings.Repeat(" ", w-len(s))
	if strings.Contains(flags, "-") {
		return s + fill
	}
	return fill + s
}

// formatFloat is C's %e/%f/%g: Go's fmt matches it once the precision is
// explicit (6 by default), except for infinities and NaN, which C spells
// inf and nan (upper case for E and G), the sign of NaN included.
func formatFloat(f float64, spec, flags, width string, hasPrec bool, conv byte) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		s := "inf"
		if math.IsNaN(f) {
			s = "nan"
		}
		switch {
		case math.Signbit(f):
			s = "-" + s
		case strings.Contains(flags, "+"):
			s = "+" + s
		case strings.Contains(flags, " "):
			s = " " + s
		}
		if conv == 'E' || conv == 'G' {
			s = strings.ToUpper(s)
		}
		return pad(s, flags, width)
	}
	if !hasPrec {
		spec += ".6"
	}
	return fmt.Sprintf(spec+string(conv), f)
}

// addQuoted is %q: a Lua string literal that reads back as s.
func addQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\', '\n':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\r':
			b.WriteString(`\r`)
		case 0:
			b.WriteString(`\000`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// checkNumber is luaL_checknumber: numbers and numeric strings.
func checkNumber(L *lua.LState, n int) float64 {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, err := parseLuaNumber(string(v)); err == nil {
			return f
		}
	}
	L.RaiseError("bad argument #%d to 'format' (number expected, got %s)", n, typeName(L, n))
	return 0
}

// checkString is luaL_checklstring: strings, and numbers as %.14g.
func checkString(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return fmtNumber(float64(v))
	}
	L.RaiseError("bad argument #%d to 'format' (string expected, got %s)", n, typeName(L, n))
	return ""
}

func typeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

// parseLuaNumber is lua_tonumber's reading of a string (luaO_str2d):
// strtod, or a hex integer, surrounding white space allowed.
func parseLuaNumber(s string) (float64, error) {
	t := strings.Trim(s, " \t\n\r\f\v")
	u := strings.TrimLeft(t, "+-")
	if len(u) > 2 && u[0] == '0' && (u[1] == 'x' || u[1] == 'X') {
		n, err := strconv.ParseUint(u[2:], 16, 64)
		if err != nil {
			return 0, err
		}
		if strings.HasPrefix(t, "-") {
			return -float64(n), nil
		}
		return float64(n), nil
	}
	if strings.Contains(t, "_") {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseFloat(t, 64)
}
