package checkrdb

// C library number parsing the checker's results depend on: sscanf("%lg")
// for the text scores of RDB_TYPE_ZSET and string2ll for the integers
// inside stream listpacks.

import (
	"strconv"
	"strings"
)

// scanDouble is sscanf(buf, "%lg", &v) == 1 over a NUL-terminated buffer:
// leading white space, then the longest prefix strtod accepts (decimal,
// hexadecimal, inf, infinity, nan, nan(...)), overflow giving ±inf.
func scanDouble(b []byte) (float64, bool) {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	sign := s[:i]
	rest := strings.ToLower(s[i:])
	switch {
	case strings.HasPrefix(rest, "inf"):
		v, _ := strconv.ParseFloat(sign+"inf", 64)
		return v, true
	case strings.HasPrefix(rest, "nan"):
		v, _ := strconv.ParseFloat("nan", 64)
		return v, true
	}
	if strings.HasPrefix(rest, "0x") {
		n := hexPrefix(rest[2:])
		if n > 0 {
			body := rest[:2+n]
			if !strings.Contains(body, "p") {
				body += "p0"
			}
			v, err := strconv.ParseFloat(sign+body, 64)
			if err == nil || isRange(err) {
				return v, true
			}
		}
		// "0x" with no hex digits reads as the number 0
		return 0, true
	}
	n := decPrefix(rest)
	if n == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(sign+rest[:n], 64)
	if err != nil && !isRange(err) {
		return 0, false
	}
	return v, true
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// decPrefix is the length of the decimal floating-point number strtod
// reads at the start of s (0 if none).
func decPrefix(s string) int { return floatPrefix(s, isDigit, 'e') }

// hexPrefix is decPrefix for the part of a hexadecimal float after "0x".
func hexPrefix(s string) int { return floatPrefix(s, isHex, 'p') }

// floatPrefix measures digits, an optional fraction and an optional
// exponent (exp, a sign, decimal digits), as strtod takes them.
func floatPrefix(s string, digit func(byte) bool, exp byte) int {
	i, digits := 0, 0
	for i < len(s) && digit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && digit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	if i < len(s) && s[i] == exp {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || (c >= 'a' && c <= 'f') }

// string2ll is Redis's util.c string2ll: a canonical decimal int64 (no
// sign but '-', no leading zeros, no "-0", no spaces).
func string2ll(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	neg := s[0] == '-'
	d := s
	if neg {
		d = s[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	for _, c := range d {
		if !isDigit(c) {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(string(s), 10, 64)
	return v, err == nil
}
