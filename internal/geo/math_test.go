package geo

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestGeoMathMatchesGlibc compares the double-double sin, cos and asin
// with values computed by glibc's libm (which Redis's distances use).
// glibc is not correctly rounded when the exact value is within a few
// thousandths of an ulp of a midpoint (a handful of the 9000 cases here,
// where the double-double result is the nearer one): those may differ by
// one ulp, nothing else may.
func TestGeoMathMatchesGlibc(t *testing.T) {
	f, err := os.Open("testdata/libm.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, mismatches := 0, 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		in, err1 := strconv.ParseFloat(fs[1], 64)
		want, err2 := strconv.ParseFloat(fs[2], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad line %q", line)
		}
		var got float64
		switch fs[0] {
		case "sin":
			got = crSin(in)
		case "cos":
			got = crCos(in)
		case "asin":
			got = crAsin(in)
		}
		if got != want {
			mismatches++
			if math.Nextafter(got, want) != want {
				t.Errorf("%s(%v) = %v, glibc %v", fs[0], in, got, want)
			}
		}
		n++
	}
	t.Logf("%d of %d differ from glibc by an ulp", mismatches, n)
	if mismatches > 12 {
		t.Errorf("%d of %d differ from glibc by an ulp", mismatches, n)
	}
	if n < 9000 {
		t.Fatalf("only %d cases", n)
	}
}

// BenchmarkDistance is one candidate of a search: the distance from a
// centre to a point about a few km away.
func BenchmarkDistance(b *testing.B) {
	s := Shape{Lon: 13.5, Lat: 38.5, Radius: 5000, Conversion: 1}
	for i := 0; b.Loop(); i++ {
		s.Within(13.45+float64(i%100)*0.001, 38.45+float64(i%97)*0.001)
	}
}
