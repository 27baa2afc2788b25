package script

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func formatOnce(t *testing.T, e *Engine, form string, args ...lua.LValue) (string, error) {
	L := e.L
	fn := L.GetGlobal("string").(*lua.LTable)
	f := L.GetField(fn, "format")
	L.Push(f)
	L.Push(lua.LString(form))
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(1+len(args), 1, nil)
	if err != nil {
		return "", err
	}
	v := L.Get(-1)
	L.Pop(1)
	return lua.LVAsString(v), nil
}

func TestStringFormatLikeLua51(t *testing.T) {
	e := New()
	for _, c := range []struct {
		form string
		args []lua.LValue
		want string
	}{
		{"%5.2f|%-6d|%x", []lua.LValue{lua.LNumber(3.14159), lua.LNumber(42), lua.LNumber(255)}, " 3.14|42    |ff"},
		{"%s", []lua.LValue{lua.LNumber(0.1 + 0.2)}, "0.3"},
		{"%g", []lua.LValue{lua.LNumber(123456789)}, "1.23457e+08"},
		{"%c%c", []lua.LValue{lua.LNumber(72), lua.LNumber(105)}, "Hi"},
		{"%q", []lua.LValue{lua.LString("a\"\n\x00")}, "\"a\\\"\\\n\\000\""},
		{"%.2s", []lua.LValue{lua.LString("héllo")}, "h\xc3"},
		{"%d", []lua.LValue{lua.LString(" 0x10 ")}, "16"},
	} {
		got, err := formatOnce(t, e, c.form, c.args...)
		if err != nil || got != c.want {
			t.Errorf("format(%q): %q, %v; want %q", c.form, got, err, c.want)
		}
	}
	for _, bad := range []string{"%y", "%123d", "%-+ #00d", "%d %d"} {
		if _, err := formatOnce(t, e, bad, lua.LNumber(1)); err == nil {
			t.Errorf("format(%q) should fail", bad)
		}
	}
}

// FuzzStringFormat: any format string and arguments give a string or a
// Lua error, never a Go panic or a hang.
func FuzzStringFormat(f *testing.F) {
	for _, s := range []string{"%d", "%5.2f", "%-+ #0x", "%q", "%s%s%s", "%.99s", "%c", "%%", "%", "%5%", "%99.99g"} {
		f.Add(s, 3.5, "str")
	}
	e := New()
	f.Fuzz(func(t *testing.T, form string, n float64, s string) {
		formatOnce(t, e, form, lua.LNumber(n), lua.LString(s), lua.LNumber(-n))
		e.L.SetTop(0)
	})
}
