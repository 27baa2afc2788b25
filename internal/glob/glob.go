// Package glob is the one glob matcher of redoubt: KEYS, SCAN MATCH,
// CONFIG GET, COMMAND LIST PATTERN and pub/sub patterns. It follows Redis's
// stringmatchlen step by step, including its quirks (an unterminated "["
// class, "[a-]" ranges, a trailing backslash matching itself), so patterns
// select exactly what Redis would select.
package glob

// Match reports whether s matches the glob pattern: '*' any run of bytes,
// '?' one byte, '[abc]', '[^abc]', '[a-z]' classes and '\' escapes.
// With nocase, ASCII letters compare case-insensitively.
func Match(pattern, s []byte, nocase bool) bool {
	skipLonger := false
	return globMatch(pattern, s, nocase, &skipLonger)
}

// MatchString is Match for strings.
func MatchString(pattern, s string, nocase bool) bool {
	return Match([]byte(pattern), []byte(s), nocase)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// eq compares two bytes, folding case when nocase.
func eq(a, b byte, nocase bool) bool {
	if nocase {
		return lower(a) == lower(b)
	}
	return a == b
}

// globMatch is the recursive matcher. skipLonger is set once a '*' failed
// to match the rest of the pattern at every later position: an earlier '*'
// cannot then succeed by consuming more, so the search stops early.
func globMatch(p, s []byte, nocase bool, skipLonger *bool) bool {
	// at reads the pattern as C reads a NUL-terminated buffer: the byte
	// just past the end is a zero.
	at := func(i int) byte {
		if i < len(p) {
			return p[i]
		}
		return 0
	}
	pi, si := 0, 0
	for pi < len(p) && si < len(s) {
		switch p[pi] {
		case '*':
			for pi+1 < len(p) && p[pi+1] == '*' {
				pi++
			}
			if pi == len(p)-1 {
				return true
			}
			for si < len(s) {
				if globMatch(p[pi+1:], s[si:], nocase, skipLonger) {
					return true
				}
				if *skipLonger {
					return false
				}
				si++
			}
			*skipLonger = true
			return false
		case '?':
			si++
		case '[':
			pi++
			not := at(pi) == '^'
			if not {
				pi++
			}
			match := false
			for {
				rest := len(p) - pi
				if at(pi) == '\\' && rest >= 2 {
					pi++
					if eq(p[pi], s[si], nocase) {
						match = true
					}
				} else if at(pi) == ']' {
					break
				} else if rest == 0 {
					// unterminated class: the class ends on the
					// pattern's last byte
					pi--
					break
				} else if rest >= 3 && p[pi+1] == '-' {
					lo, hi, c := p[pi], p[pi+2], s[si]
					if lo > hi {
						lo, hi = hi, lo
					}
					if nocase {
						lo, hi, c = lower(lo), lower(hi), lower(c)
					}
					pi += 2
					if c >= lo && c <= hi {
						match = true
					}
				} else if eq(p[pi], s[si], nocase) {
					match = true
				}
				pi++
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			si++
		case '\\':
			if len(p)-pi >= 2 {
				pi++
			}
			if !eq(p[pi], s[si], nocase) {
				return false
			}
			si++
		default:
			if !eq(p[pi], s[si], nocase) {
				return false
			}
			si++
		}
		pi++
		if si == len(s) {
			for at(pi) == '*' {
				pi++
			}
			break
		}
	}
	return pi == len(p) && si == len(s)
}
