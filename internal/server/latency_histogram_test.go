// latency_histogram_test.go checks the histogram against values Redis 7.0
// printed for the same recorded durations (INFO latencystats), and the
// cumulative distribution against HdrHistogram's bucket arithmetic.
package server

import (
	"slices"
	"testing"
)

func TestHistogramPercentilesMatchRedis(t *testing.T) {
	var h latencyHistogram
	// Redis printed p50=2.007,p99=4.015 for one 2us and one 4us GET,
	// and 11.007 for a single 11us SET.
	h.record(2000)
	h.record(4000)
	for _, tc := range []struct {
		p    float64
		want int64
	}{{50, 2007}, {99, 4015}, {99.9, 4015}, {100, 4015}, {0, 2000}} {
		if got := h.valueAtPercentile(tc.p); got != tc.want {
			t.Errorf("p%v = %d, want %d", tc.p, got, tc.want)
		}
	}
	var one latencyHistogram
	one.record(11000)
	if got := one.valueAtPercentile(50); got != 11007 {
		t.Errorf("p50 of 11us = %d, want 11007", got)
	}
}

func TestHistogramCumulative(t *testing.T) {
	var h latencyHistogram
	h.record(2000)
	h.record(4000)
	h.record(4000)
	h.record(900_000)
	got := h.cumulative()
	want := []cdfPoint{{2, 1}, {4, 3}, {1056, 4}}
	if !slices.Equal(got, want) {
		t.Errorf("cumulative = %v, want %v", got, want)
	}
}

func TestHistogramClampsRange(t *testing.T) {
	var h latencyHistogram
	h.record(0)
	h.record(5_000_000_000)
	if h.total != 2 {
		t.Fatalf("total = %d", h.total)
	}
	if got := h.valueAtPercentile(100); got < histMaxValue || got > histMaxValue*2 {
		t.Errorf("max bucket = %d", got)
	}
	if got := h.valueAtPercentile(0); got != 1 {
		t.Errorf("min bucket = %d", got)
	}
}

func TestBytesToHuman(t *testing.T) {
	for n, want := range map[uint64]string{0: "0B", 1023: "1023B", 1024: "1.00K", 1015336: "991.54K", 6885376: "6.57M", 25276502016: "23.54G"} {
		if got := bytesToHuman(n); got != want {
			t.Errorf("bytesToHuman(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestAppendRepr(t *testing.T) {
	got := string(appendRepr(nil, []byte("a \"b\"\\\n\r\t\a\b\x00\xff~")))
	want := `"a \"b\"\\\n\r\t\a\b\x00\xff~"`
	if got != want {
		t.Errorf("appendRepr = %s, want %s", got, want)
	}
}
