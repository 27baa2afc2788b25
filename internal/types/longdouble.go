// longdouble.go emulates the x87 80-bit long double arithmetic Redis uses
// for INCRBYFLOAT, so results match it digit for digit: strtold parsing
// (decimal, hex and inf forms, correctly rounded to a 64-bit mantissa with
// the x87 exponent range and subnormals), one correctly rounded addition,
// and printf("%.17Lf") formatting with Redis's trimming of trailing zeros.
package types

import (
	"math/big"
)

// x87 extended precision: 64-bit significand, binary exponent range of a
// 15-bit field. Exponents below are in big.Float's convention, where
// x = mant × 2^exp with 0.5 <= |mant| < 1.
const (
	ldPrec   = 64
	ldMaxExp = 16384  // largest finite value is just below 2^16384
	ldMinExp = -16381 // smallest normal value is 2^-16382
	// ldQuantumExp is the exponent of the smallest subnormal, 2^-16445.
	ldQuantumExp = -16445
	// ldMaxChars is Redis's MAX_LONG_DOUBLE_CHARS: longer inputs are refused.
	ldMaxChars = 5 * 1024
)

// LongDouble is a value of the emulated long double type.
type LongDouble struct{ f *big.Float }

// IsInf reports whether the value is an infinity.
func (x LongDouble) IsInf() bool { return x.f.IsInf() }

// LongDoubleFromInt returns n exactly (every int64 fits a 64-bit significand).
func LongDoubleFromInt(n int64) LongDouble {
	return LongDouble{new(big.Float).SetPrec(ldPrec).SetInt64(n)}
}

// ParseLongDouble parses b as Redis's string2ld does with glibc's strtold:
// the whole argument must be one number, without leading white space; NaN is
// refused, and so is a value that overflows to infinity or underflows to
// zero, while "inf"/"infinity" are accepted.
func ParseLongDouble(b []byte) (LongDouble, bool) {
	if len(b) == 0 || len(b) >= ldMaxChars || isCSpace(b[0]) {
		return LongDouble{}, false
	}
	neg := false
	s := b
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	var f *big.Float
	var ok bool
	switch {
	case equalFold(s, "inf") || equalFold(s, "infinity"):
		f, ok = new(big.Float).SetInf(false), true
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		f, ok = parseHexFloat(s[2:])
	default:
		f, ok = parseDecFloat(s)
	}
	if !ok {
		return LongDouble{}, false
	}
	if neg {
		f.Neg(f)
	}
	return LongDouble{f}, true
}

// AddLongDouble returns x+y correctly rounded. ok is false when the sum is
// NaN or infinite, which Redis refuses to store.
func AddLongDouble(x, y LongDouble) (LongDouble, bool) {
	if x.f.IsInf() || y.f.IsInf() {
		return LongDouble{}, false
	}
	if x.f.Sign() == 0 || y.f.Sign() == 0 {
		// keep IEEE signed-zero rules: -0 + -0 = -0, -0 + +0 = +0
		z := new(big.Float).SetPrec(ldPrec)
		z.Add(x.f, y.f)
		return LongDouble{z}, true
	}
	// Add exactly, then round once to the target format.
	ex, ey := x.f.MantExp(nil), y.f.MantExp(nil)
	diff := ex - ey
	if diff < 0 {
		diff = -diff
	}
	exact := new(big.Float).SetPrec(uint(2*ldPrec + diff + 2))
	exact.Add(x.f, y.f)
	if exact.Sign() == 0 {
		return LongDouble{new(big.Float).SetPrec(ldPrec)}, true
	}
	z, finite := roundLongDouble(exact)
	if !finite {
		return LongDouble{}, false
	}
	return LongDouble{z}, true
}

// roundLongDouble rounds an exact value to the long double format, to
// nearest with ties to even. It reports false on overflow to infinity; an
// underflow gives a (signed) zero.
func roundLongDouble(exact *big.Float) (*big.Float, bool) {
	z := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven)
	z.Set(exact)
	e := z.MantExp(nil)
	if e > ldMaxExp {
		return nil, false
	}
	if e >= ldMinExp {
		return z, true
	}
	// Subnormal: the significand keeps only the bits down to 2^-16445.
	e = exact.MantExp(nil)
	bits := e - ldQuantumExp
	if bits <= 0 {
		// below 2^-16446 rounds to zero; exactly half of the smallest
		// subnormal is a tie that goes to even (zero); above it rounds up
		half := new(big.Float).SetMantExp(big.NewFloat(0.5), ldQuantumExp)
		if bits == 0 && new(big.Float).Abs(exact).Cmp(half) > 0 {
			r := new(big.Float).SetPrec(ldPrec).SetMantExp(big.NewFloat(0.5), ldQuantumExp+1)
			if exact.Sign() < 0 {
				r.Neg(r)
			}
			return r, true
		}
		r := new(big.Float).SetPrec(ldPrec)
		if exact.Sign() < 0 {
			r.Neg(r)
		}
		return r, true
	}
	r := new(big.Float).SetPrec(uint(bits)).SetMode(big.ToNearestEven).Set(exact)
	return new(big.Float).SetPrec(ldPrec).Set(r), true
}

// AppendHuman formats x as Redis's ld2string in human mode: "%.17Lf", then
// trailing zeros (and a bare '.') removed, and "-0" written as "0".
func (x LongDouble) AppendHuman(dst []byte) []byte {
	start := len(dst)
	if x.f.IsInf() {
		if x.f.Sign() < 0 {
			return append(dst, "-inf"...)
		}
		return append(dst, "inf"...)
	}
	return TrimHuman(x.f.Append(dst, 'f', 17), start)
}

// TrimHuman finishes a "%.17f"-style number written at dst[start:] the way
// Redis's human mode does: trailing zeros and a bare '.' removed, "-0"
// written as "0".
func TrimHuman(dst []byte, start int) []byte {
	end := len(dst)
	for dst[end-1] == '0' {
		end--
	}
	if dst[end-1] == '.' {
		end--
	}
	dst = dst[:end]
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// parseDecFloat parses digits [. digits] [e [sign] digits] exactly and
// rounds once.
func parseDecFloat(s []byte) (*big.Float, bool) {
	i := 0
	var mant []byte
	intDigits, fracDigits := 0, 0
	for i < len(s) && isDigit(s[i]) {
		mant = append(mant, s[i])
		i++
		intDigits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			mant = append(mant, s[i])
			i++
			fracDigits++
		}
	}
	if intDigits+fracDigits == 0 {
		return nil, false
	}
	exp, rest, ok := parseExponent(s[i:], 'e', 'E')
	if !ok || len(rest) != 0 {
		return nil, false
	}
	// drop leading zeros to learn the magnitude
	lead := 0
	for lead < len(mant) && mant[lead] == '0' {
		lead++
	}
	mant = mant[lead:]
	if len(mant) == 0 {
		return new(big.Float).SetPrec(ldPrec), true
	}
	exp10 := exp - int64(fracDigits)
	// value = 0.d1d2... × 10^(len(mant)+exp10); long doubles span about
	// 10^-4951 .. 10^4932, so anything well outside is out of range.
	mag := int64(len(mant)) + exp10
	if mag > 4940 || mag < -4960 {
		return nil, false
	}
	n, _ := new(big.Int).SetString(string(mant), 10)
	exact := new(big.Float)
	if exp10 >= 0 {
		n.Mul(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(exp10), nil))
		exact.SetInt(n)
	} else {
		den := new(big.Int).Exp(big.NewInt(10), big.NewInt(-exp10), nil)
		// Divide truncating to far more bits than the result keeps; when
		// the division is inexact, a sticky bit far below the rounding
		// point makes the single final rounding come out right (a
		// truncated tie is really above the tie).
		exact.SetPrec(256).SetMode(big.ToZero).Quo(new(big.Float).SetInt(n), new(big.Float).SetInt(den))
		if exact.Acc() != big.Exact {
			sticky := new(big.Float).SetMantExp(big.NewFloat(0.5), exact.MantExp(nil)-300)
			exact = new(big.Float).SetPrec(512).Add(exact, sticky)
		}
	}
	z, finite := roundLongDouble(exact)
	if !finite || z.Sign() == 0 {
		return nil, false
	}
	return z, true
}

// parseHexFloat parses hexdigits [. hexdigits] [p [sign] digits] (after
// the 0x prefix); binary exponents make the value exact before rounding.
func parseHexFloat(s []byte) (*big.Float, bool) {
	i := 0
	mant := new(big.Int)
	digits, fracDigits := 0, 0
	for i < len(s) && hexVal(s[i]) >= 0 {
		mant.Lsh(mant, 4).Or(mant, big.NewInt(int64(hexVal(s[i]))))
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && hexVal(s[i]) >= 0 {
			mant.Lsh(mant, 4).Or(mant, big.NewInt(int64(hexVal(s[i]))))
			i++
			digits++
			fracDigits++
		}
	}
	if digits == 0 {
		return nil, false
	}
	exp, rest, ok := parseExponent(s[i:], 'p', 'P')
	if !ok || len(rest) != 0 {
		return nil, false
	}
	if mant.Sign() == 0 {
		return new(big.Float).SetPrec(ldPrec), true
	}
	exp2 := exp - 4*int64(fracDigits)
	mag := int64(mant.BitLen()) + exp2
	if mag > ldMaxExp+1 {
		return nil, false
	}
	if mag < ldQuantumExp-2 {
		return nil, false
	}
	exact := new(big.Float).SetInt(mant)
	exact.SetMantExp(exact, int(exp2))
	z, finite := roundLongDouble(exact)
	if !finite || z.Sign() == 0 {
		return nil, false
	}
	return z, true
}

// parseExponent reads an optional exponent introduced by lower or upper,
// saturating huge values. A marker not followed by digits is not part of
// the number (strtold stops before it), which leaves it in rest.
func parseExponent(s []byte, lower, upper byte) (exp int64, rest []byte, ok bool) {
	if len(s) == 0 || (s[0] != lower && s[0] != upper) {
		return 0, s, true
	}
	j := 1
	neg := false
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		neg = s[j] == '-'
		j++
	}
	if j >= len(s) || !isDigit(s[j]) {
		return 0, s, true
	}
	for ; j < len(s) && isDigit(s[j]); j++ {
		if exp < 1<<40 {
			exp = exp*10 + int64(s[j]-'0')
		}
	}
	if neg {
		exp = -exp
	}
	return exp, s[j:], true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
