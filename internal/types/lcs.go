// lcs.go computes the longest common subsequence of two strings for the
// LCS command, with the same dynamic-programming table and the same
// backtracking choices as Redis, so that the subsequence and the matched
// ranges it reports are the ones Redis reports.
package types

// LCSMatch is one run of contiguous matching bytes, as inclusive ranges in
// each string.
type LCSMatch struct {
	AStart, AEnd, BStart, BEnd int
}

// Len is the number of bytes in the run.
func (m LCSMatch) Len() int { return m.AEnd - m.AStart + 1 }

// LCSTableBytes is the transient memory the table for a and b takes in
// Redis (32-bit cells), which Redis bounds by proto-max-bulk-len.
func LCSTableBytes(alen, blen int) uint64 {
	return uint64(alen+1) * uint64(blen+1) * 4
}

// LCSResult is what LCS computed.
type LCSResult struct {
	Len     int
	Seq     []byte     // the subsequence, when asked for
	Matches []LCSMatch // runs from the end of the strings backwards, when asked for
}

// LCS computes the longest common subsequence of a and b. With walk, it
// also backtracks to build the subsequence and the runs; runs shorter than
// minMatchLen are left out of Matches.
func LCS(a, b []byte, walk bool, minMatchLen int64) LCSResult {
	alen, blen := len(a), len(b)
	stride := blen + 1
	table := make([]uint32, (alen+1)*stride)
	at := func(i, j int) uint32 { return table[i*stride+j] }
	for i := 1; i <= alen; i++ {
		row := table[i*stride : (i+1)*stride]
		prev := table[(i-1)*stride : i*stride]
		for j := 1; j <= blen; j++ {
			if a[i-1] == b[j-1] {
				row[j] = prev[j-1] + 1
			} else {
				row[j] = max(prev[j], row[j-1])
			}
		}
	}
	res := LCSResult{Len: int(at(alen, blen))}
	if !walk {
		return res
	}
	res.Seq = make([]byte, res.Len)
	k := res.Len
	const unset = -1
	cur := LCSMatch{AStart: unset}
	i, j := alen, blen
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			res.Seq[k-1] = a[i-1]
			switch {
			case cur.AStart == unset:
				cur = LCSMatch{AStart: i - 1, AEnd: i - 1, BStart: j - 1, BEnd: j - 1}
			case cur.AStart == i && cur.BStart == j:
				// contiguous with the run so far: extend it backwards
				cur.AStart--
				cur.BStart--
			default:
				emit = true
			}
			if cur.AStart == 0 || cur.BStart == 0 {
				emit = true
			}
			k--
			i--
			j--
		} else {
			if at(i-1, j) > at(i, j-1) {
				i--
			} else {
				j--
			}
			if cur.AStart != unset {
				emit = true
			}
		}
		if emit {
			if minMatchLen == 0 || int64(cur.Len()) >= minMatchLen {
				res.Matches = append(res.Matches, cur)
			}
			cur.AStart = unset
		}
	}
	return res
}
