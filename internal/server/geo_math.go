package server

import "math"

// Redis computes distances with glibc's sin, cos and asin, which round
// (all but never wrongly) to the nearest double; Go's math versions are
// off by an ulp now and then, which shows in STOREDIST scores. These
// evaluate in double-double precision (about 106 bits) and round once.

type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func (x dd) add(y dd) dd {
	s := twoSum(x.hi, y.hi)
	t := twoSum(x.lo, y.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func (x dd) neg() dd { return dd{-x.hi, -x.lo} }

func (x dd) sub(y dd) dd { return x.add(y.neg()) }

func (x dd) mul(y dd) dd {
	p := twoProd(x.hi, y.hi)
	p.lo += x.hi*y.lo + x.lo*y.hi
	return quickTwoSum(p.hi, p.lo)
}

func (x dd) mulF(f float64) dd {
	p := twoProd(x.hi, f)
	p.lo += x.lo * f
	return quickTwoSum(p.hi, p.lo)
}

func (x dd) div(y dd) dd {
	q1 := x.hi / y.hi
	r := x.sub(y.mulF(q1))
	q2 := r.hi / y.hi
	r = r.sub(y.mulF(q2))
	q3 := r.hi / y.hi
	q := quickTwoSum(q1, q2)
	return q.add(dd{q3, 0})
}

func (x dd) float() float64 { return x.hi + x.lo }

// pi/2 to about 160 bits, in three parts.
var ddPiO2 = [3]float64{1.5707963267948966, 6.123233995736766e-17, -1.4973849048591698e-33}

// ddSinCosSeries returns sin(r) and cos(r) for |r| <= pi/4 by Taylor series.
func ddSinCosSeries(r dd) (s, c dd) {
	r2 := r.mul(r)
	// sin
	term := r
	s = r
	for k := 1; k < 40; k++ {
		term = term.mul(r2).neg()
		term = term.div(dd{float64((2 * k) * (2*k + 1)), 0})
		s = s.add(term)
		if math.Abs(term.hi) < 1e-36 {
			break
		}
	}
	term = dd{1, 0}
	c = term
	for k := 1; k < 40; k++ {
		term = term.mul(r2).neg()
		term = term.div(dd{float64((2*k - 1) * (2 * k)), 0})
		c = c.add(term)
		if math.Abs(term.hi) < 1e-36 {
			break
		}
	}
	return s, c
}

// ddSinCos returns sin(x) and cos(x) in double-double.
func ddSinCos(x dd) (s, c dd) {
	k := math.Round(x.hi / ddPiO2[0])
	r := x
	for _, p := range ddPiO2 {
		r = r.sub(twoProd(k, p))
	}
	s, c = ddSinCosSeries(r)
	switch int64(k) & 3 {
	case 1:
		s, c = c, s.neg()
	case 2:
		s, c = s.neg(), c.neg()
	case 3:
		s, c = c.neg(), s
	}
	return s, c
}

func crSin(x float64) float64 {
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return math.Sin(x)
	}
	s, _ := ddSinCos(dd{x, 0})
	return s.float()
}

func crCos(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return math.Cos(x)
	}
	_, c := ddSinCos(dd{x, 0})
	return c.float()
}

// ddAsinSmall is asin(y) for 0 <= y <= about 0.71, by Newton's method
// from the double result.
func ddAsinSmall(y dd) dd {
	z := dd{math.Asin(y.float()), 0}
	for range 2 {
		s, c := ddSinCos(z)
		z = z.add(y.sub(s).div(c))
	}
	return z
}

// ddSqrt is the square root of a double in double-double.
func ddSqrt(t float64) dd {
	s := math.Sqrt(t)
	if s == 0 {
		return dd{}
	}
	r := -math.FMA(s, s, -t)
	return quickTwoSum(s, r/(2*s))
}

func crAsin(y float64) float64 {
	if math.IsNaN(y) || y < -1 || y > 1 || y == 0 {
		return math.Asin(y)
	}
	neg := y < 0
	a := math.Abs(y)
	var z dd
	if a <= 0.5 {
		z = ddAsinSmall(dd{a, 0})
	} else {
		// asin(a) = pi/2 - 2 asin(sqrt((1-a)/2)), with (1-a)/2 exact
		w := ddAsinSmall(ddSqrt((1 - a) / 2))
		z = dd{ddPiO2[0], ddPiO2[1]}.add(dd{ddPiO2[2], 0}).sub(w.mulF(2))
	}
	r := z.float()
	if neg {
		r = -r
	}
	return r
}
