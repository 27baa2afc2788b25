// latency_histogram.go is the per-command latency histogram behind INFO
// latencystats and LATENCY HISTOGRAM. It has the bucket layout of the
// HdrHistogram Redis uses (values in nanoseconds from 1 to 1e9, two
// significant digits: 256 sub-buckets, each power-of-two bucket halving the
// resolution), so percentiles and the log-2 cumulative distribution come
// out as the same numbers Redis prints for the same recorded values.
package server

import "math/bits"

const (
	histMinValue = 1
	histMaxValue = 1_000_000_000
	// subBucketHalfMagnitude is log2 of half of the 256 sub-buckets that
	// two significant digits need.
	subBucketHalfMagnitude = 7
	subBucketHalf          = 1 << subBucketHalfMagnitude
	subBucketCount         = 2 * subBucketHalf
	subBucketMask          = subBucketCount - 1
	// histBuckets is how many power-of-two buckets cover histMaxValue.
	histBuckets = 23
	histLen     = (histBuckets + 1) * subBucketHalf
)

// latencyHistogram counts recorded durations (ns) per bucket.
type latencyHistogram struct {
	counts [histLen]int64
	total  int64
}

func histBucketIndex(v int64) int {
	return 64 - bits.LeadingZeros64(uint64(v)|subBucketMask) - (subBucketHalfMagnitude + 1)
}

func histCountsIndex(v int64) int {
	b := histBucketIndex(v)
	sub := int(v >> uint(b))
	return (b+1)<<subBucketHalfMagnitude + sub - subBucketHalf
}

// histValueAt is the lowest value counted at index i.
func histValueAt(i int) int64 {
	b := i>>subBucketHalfMagnitude - 1
	sub := i&(subBucketHalf-1) + subBucketHalf
	if b < 0 {
		sub -= subBucketHalf
		b = 0
	}
	return int64(sub) << uint(b)
}

// histLowestEquivalent is the first value sharing v's bucket.
func histLowestEquivalent(v int64) int64 {
	b := histBucketIndex(v)
	return (v >> uint(b)) << uint(b)
}

// histHighestEquivalent is the last value sharing v's bucket.
func histHighestEquivalent(v int64) int64 {
	b := histBucketIndex(v)
	sub := v >> uint(b)
	size := int64(1) << uint(b)
	if sub >= subBucketCount {
		size <<= 1
	}
	return histLowestEquivalent(v) + size - 1
}

// record adds one duration in nanoseconds, clamped to the tracked range.
func (h *latencyHistogram) record(ns int64) {
	ns = min(max(ns, histMinValue), histMaxValue)
	h.counts[histCountsIndex(ns)]++
	h.total++
}

// valueAtPercentile is the highest value equivalent to the one below
// which p percent of the recorded values fall.
func (h *latencyHistogram) valueAtPercentile(p float64) int64 {
	want := int64(min(p, 100)/100*float64(h.total) + 0.5)
	want = max(want, 1)
	var seen int64
	v := int64(0)
	for i, n := range h.counts {
		seen += n
		if seen >= want {
			v = histValueAt(i)
			break
		}
	}
	if p == 0 {
		return histLowestEquivalent(v)
	}
	return histHighestEquivalent(v)
}

// cdfPoint is one step of the cumulative distribution: count values are
// at or below upToUsec microseconds.
type cdfPoint struct {
	upToUsec int64
	count    int64
}

// cumulative walks the histogram at reporting levels 1024ns, 2048ns, ...
// and returns the steps where the cumulative count grew, as LATENCY
// HISTOGRAM reports them.
func (h *latencyHistogram) cumulative() []cdfPoint {
	var out []cdfPoint
	idx := -1
	var cum, value, highest int64
	level := int64(1024)
	levelLowest := histLowestEquivalent(level)
	var prev int64
	// next advances to the following reporting level, as HdrHistogram's
	// logarithmic iterator does; false when the walk is over.
	next := func() bool {
		if cum >= h.total && !(idx < histLen && histValueAt(idx+1) > levelLowest) {
			return false
		}
		for {
			if value >= levelLowest {
				level *= 2
				levelLowest = histLowestEquivalent(level)
				return true
			}
			idx++
			if idx >= histLen {
				return true
			}
			cum += h.counts[idx]
			value = histValueAt(idx)
			highest = histHighestEquivalent(value)
		}
	}
	for next() {
		if cum > prev {
			out = append(out, cdfPoint{upToUsec: highest / 1000, count: cum})
		}
		prev = cum
		if idx >= histLen {
			break
		}
	}
	return out
}
