package geo

import (
	"math"
	"math/big"
)

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

// Taylor coefficients (-1)^k/(2k+1)! and (-1)^k/(2k)! in double-double,
// enough terms for |r| <= pi/4 to 1e-34.
var ddSinCoef, ddCosCoef = func() (s, c [16]dd) {
	toDD := func(x *big.Float) dd {
		hi, _ := x.Float64()
		lo, _ := new(big.Float).SetPrec(200).Sub(x, big.NewFloat(hi)).Float64()
		return dd{hi, lo}
	}
	fact := new(big.Float).SetPrec(200).SetInt64(1)
	for n := 1; n <= 2*len(s); n++ {
		if n > 1 {
			fact.Mul(fact, new(big.Float).SetPrec(200).SetInt64(int64(n)))
		}
		inv := new(big.Float).SetPrec(200).Quo(big.NewFloat(1).SetPrec(200), fact)
		if (n/2)%2 == 1 {
			inv.Neg(inv)
		}
		if n%2 == 1 {
			s[n/2] = toDD(inv)
		} else if n/2 < len(c) {
			c[n/2] = toDD(inv)
		}
	}
	c[0] = dd{1, 0}
	return s, c
}()

// seriesTerms is how many terms ddSeries sums: for |r| <= pi/4 the next
// ones are below 2^-70 of the sum in both series (about 2^-17 ulp).
const seriesTerms = 12

// ddSeries evaluates sum coef[k] r2^k by Horner's rule. Only the last
// three steps run in double-double: the terms from coef[3] on add up to
// under 5e-5 of the sum (|r| <= pi/4), so their float64 rounding moves
// the result by about 1e-4 of an ulp, far inside the band near midpoints
// where glibc itself may round either way (a full double-double Horner
// was 80% of a GEOSEARCH).
func ddSeries(coef *[16]dd, r2 dd) dd {
	const ddSteps = 3
	tail := coef[seriesTerms-1].hi
	for k := seriesTerms - 2; k >= ddSteps; k-- {
		tail = math.FMA(tail, r2.hi, coef[k].hi)
	}
	acc := dd{tail, 0}
	for k := ddSteps - 1; k >= 0; k-- {
		acc = hornerStep(acc, r2, coef[k])
	}
	return acc
}

// hornerStep is c + acc*r2 where |acc*r2| < |c| (the series' terms
// shrink), which lets the sum skip twoSum's ordering work.
func hornerStep(acc, r2, c dd) dd {
	p := acc.mul(r2)
	s := quickTwoSum(c.hi, p.hi)
	s.lo += c.lo + p.lo
	return quickTwoSum(s.hi, s.lo)
}

// ddReduce returns r = x - k*pi/2 (|r| <= pi/4) and k mod 4.
func ddReduce(x dd) (dd, int64) {
	k := math.Round(x.hi / ddPiO2[0])
	r := x
	if k != 0 {
		for _, p := range ddPiO2 {
			r = r.sub(twoProd(k, p))
		}
	}
	return r, int64(k) & 3
}

// ddSinOrCos returns sin(x) (cos false) or cos(x) in double-double.
func ddSinOrCos(x dd, cos bool) dd {
	r, q := ddReduce(x)
	if cos {
		q++
	}
	r2 := r.mul(r)
	var v dd
	if q&1 == 0 {
		v = ddSeries(&ddSinCoef, r2).mul(r)
	} else {
		v = ddSeries(&ddCosCoef, r2)
	}
	if q&2 != 0 {
		v = v.neg()
	}
	return v
}

func crSin(x float64) float64 {
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return math.Sin(x)
	}
	return ddSinOrCos(dd{x, 0}, false).float()
}

func crCos(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return math.Cos(x)
	}
	return ddSinOrCos(dd{x, 0}, true).float()
}

// ddAsinSmall is asin(y) for 0 <= y <= about 0.71, by one Newton step
// from the double result: z + (y - sin z)/cos z. The step is about an ulp
// of z, so cos z in float64 (relative error 2^-53) changes it by a
// negligible 2^-53 ulp; only sin z needs double-double.
func ddAsinSmall(y dd) dd {
	z := math.Asin(y.float())
	s := ddSinOrCos(dd{z, 0}, false)
	return quickTwoSum(z, y.sub(s).float()/math.Cos(z))
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
