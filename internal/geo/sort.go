package geo

// PartialSort orders pts[lo..hi] (inclusive) by cmp as Redis's pqsort
// does: a Bentley-McIlroy quicksort that skips the partitions outside the
// wanted range. Its treatment of equal elements decides the order of
// points at the same distance, so the steps follow it exactly.
func PartialSort[T any](pts []T, cmp func(a, b *T) int, lo, hi int) {
	geoPQSort(pts, 0, len(pts), cmp, lo, hi)
}

func geoMed3[T any](pts []T, a, b, c int, cmp func(a, b *T) int) int {
	if cmp(&pts[a], &pts[b]) < 0 {
		if cmp(&pts[b], &pts[c]) < 0 {
			return b
		}
		if cmp(&pts[a], &pts[c]) < 0 {
			return c
		}
		return a
	}
	if cmp(&pts[b], &pts[c]) > 0 {
		return b
	}
	if cmp(&pts[a], &pts[c]) < 0 {
		return a
	}
	return c
}

func geoVecSwap[T any](pts []T, a, b, n int) {
	for i := 0; i < n; i++ {
		pts[a+i], pts[b+i] = pts[b+i], pts[a+i]
	}
}

// geoPQSort sorts the n elements from base; lo and hi are the element
// indexes (in pts) whose final place matters.
func geoPQSort[T any](pts []T, base, n int, cmp func(a, b *T) int, lo, hi int) {
	for {
		if n < 7 {
			for pm := base + 1; pm < base+n; pm++ {
				for pl := pm; pl > base && cmp(&pts[pl-1], &pts[pl]) > 0; pl-- {
					pts[pl], pts[pl-1] = pts[pl-1], pts[pl]
				}
			}
			return
		}
		pm := base + n/2
		if n > 7 {
			pl := base
			pn := base + n - 1
			if n > 40 {
				d := n / 8
				pl = geoMed3(pts, pl, pl+d, pl+2*d, cmp)
				pm = geoMed3(pts, pm-d, pm, pm+d, cmp)
				pn = geoMed3(pts, pn-2*d, pn-d, pn, cmp)
			}
			pm = geoMed3(pts, pl, pm, pn, cmp)
		}
		pts[base], pts[pm] = pts[pm], pts[base]
		pa, pb := base+1, base+1
		pc, pd := base+n-1, base+n-1
		for {
			for pb <= pc {
				r := cmp(&pts[pb], &pts[base])
				if r > 0 {
					break
				}
				if r == 0 {
					pts[pa], pts[pb] = pts[pb], pts[pa]
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := cmp(&pts[pc], &pts[base])
				if r < 0 {
					break
				}
				if r == 0 {
					pts[pc], pts[pd] = pts[pd], pts[pc]
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			pts[pb], pts[pc] = pts[pc], pts[pb]
			pb++
			pc--
		}
		pn := base + n
		r := min(pa-base, pb-pa)
		geoVecSwap(pts, base, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		geoVecSwap(pts, pb, pn-r, r)
		outside := func(start, count int) bool {
			end := start + count - 1
			return lo < start && hi < start || lo > end && hi > end
		}
		if r := pb - pa; r > 1 && !outside(base, r) {
			geoPQSort(pts, base, r, cmp, lo, hi)
		}
		r = pd - pc
		if r <= 1 {
			return
		}
		base, n = pn-r, r
		if outside(base, n) {
			return
		}
	}
}
