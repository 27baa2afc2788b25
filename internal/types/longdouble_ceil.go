// longdouble_ceil.go converts a long double to milliseconds the way Redis
// turns a timeout in seconds into mstime: (long long)ceill(x*1000), with
// the x86-64 conversion of out-of-range values (they become LLONG_MIN, so
// an overflowing timeout reads as negative, as on the real server).
package types

import (
	"math"
	"math/big"
)

// CeilMulInt64 returns (long long)ceill(x*m).
func (x LongDouble) CeilMulInt64(m int64) int64 {
	if x.f.IsInf() {
		return math.MinInt64
	}
	p := new(big.Float).SetPrec(ldPrec).Mul(x.f, new(big.Float).SetInt64(m))
	i, acc := p.Int(nil)
	if acc == big.Below {
		i.Add(i, big.NewInt(1))
	}
	if !i.IsInt64() {
		return math.MinInt64
	}
	return i.Int64()
}
