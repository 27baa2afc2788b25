// longdouble_test.go checks the long double emulation against results
// taken from a real Redis 7.0 on x86-64 (INCRBYFLOAT replies).
package types

import (
	"strings"
	"testing"
)

func incrByFloat(t *testing.T, cur, incr string) (string, bool) {
	t.Helper()
	a, ok := ParseLongDouble([]byte(cur))
	if !ok {
		t.Fatalf("cannot parse %q", cur)
	}
	b, ok := ParseLongDouble([]byte(incr))
	if !ok {
		t.Fatalf("cannot parse %q", incr)
	}
	sum, ok := AddLongDouble(a, b)
	if !ok {
		return "", false
	}
	return string(sum.AppendHuman(nil)), true
}

func TestIncrByFloatLikeRedis(t *testing.T) {
	cases := []struct{ cur, incr, want string }{
		{"0.1", "0.2", "0.3"},
		{"10.5", "0.1", "10.6"},
		{"1.1", "2.2", "3.3"},
		{"0", "1e-17", "0.00000000000000001"},
		{"0", "5e-18", "0"},
		{"0", "-1e-20", "0"},
		{"0", "3.14159265358979323846", "3.14159265358979324"},
		{"0", "0x1.8p1", "3"},
		{"0", "123456789.123456789", "123456789.12345678899873747"},
		{"1e19", "1", "10000000000000000001"},
		{"9223372036854775807", "0.5", "9223372036854775807.5"},
		{"0", "1e25", "10000000000000000000000000"},
		{"0", "0x1p-16445", "0"},
		{"-0", "-0", "0"},
	}
	for _, c := range cases {
		got, ok := incrByFloat(t, c.cur, c.incr)
		if !ok || got != c.want {
			t.Errorf("%s + %s = %q (ok %v), want %q", c.cur, c.incr, got, ok, c.want)
		}
	}
	got, _ := incrByFloat(t, "0", "1e400")
	if !strings.HasPrefix(got, "1000000000000000000028188068394758651458645343362905203862591069353968553400862986203936399484832416") || len(got) != 401 {
		t.Errorf("1e400 printed as %q", got)
	}
}

func TestIncrByFloatRefusesInfinity(t *testing.T) {
	for _, c := range [][2]string{
		{"0", "inf"}, {"1", "-inf"}, {"1.18e4932", "1.18e4932"},
	} {
		if got, ok := incrByFloat(t, c[0], c[1]); ok {
			t.Errorf("%s + %s = %q, want refusal", c[0], c[1], got)
		}
	}
}

func TestParseLongDouble(t *testing.T) {
	valid := []string{
		"1", "+1.5", "-.5", "5.", ".5", "1e2", "1E+2", "100e-2", "0x10", "0X1p4",
		"0x1.8p1", "0x.8", "-0xAp-2", "inf", "-Infinity", "INF", "0e99999", "1e-4000",
		"3e-4951", "1e400", "1.18e4932", "0x1p-16445",
	}
	for _, s := range valid {
		if _, ok := ParseLongDouble([]byte(s)); !ok {
			t.Errorf("%q refused", s)
		}
	}
	invalid := []string{
		"", " 1", "1 ", "\t1", "abc", "1e", "1e+", "1.5.5", ".", "-", "+", "0x", "0x1p",
		"0xg", "1_000", "0b101", "nan", "NaN", "-nan", "nan(1)", "infx", "1\x002", "++1",
		"1e5000", "-1e5000", "1e-5000", "1e-4951", "0x1p-16446", "1e99999999999999999999",
		strings.Repeat("1", 5120),
	}
	for _, s := range invalid {
		if _, ok := ParseLongDouble([]byte(s)); ok {
			t.Errorf("%q accepted", s)
		}
	}
}
