// glob.go is the glob matcher of KEYS, SCAN MATCH and the other pattern
// commands. It follows Redis's stringmatchlen step by step, including its
// quirks (an unterminated "[" class, "[a-]" ranges, a trailing backslash
// matching itself), so patterns select exactly the keys Redis would select.
package keyspace

// GlobMatch reports whether s matches the glob pattern: '*' any run of
// bytes, '?' one byte, '[abc]', '[^abc]', '[a-z]' classes and '\' escapes.
// Matching is case-sensitive.
func GlobMatch(pattern, s []byte) bool {
	skipLonger := false
	return globMatch(pattern, s, &skipLonger)
}

// globMatch is the recursive matcher. skipLonger is set once a '*' failed
// to match the rest of the pattern at every later position: an earlier '*'
// cannot then succeed by consuming more, so the search stops early.
func globMatch(p, s []byte, skipLonger *bool) bool {
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
				if globMatch(p[pi+1:], s[si:], skipLonger) {
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
					if p[pi] == s[si] {
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
					lo, hi := p[pi], p[pi+2]
					if lo > hi {
						lo, hi = hi, lo
					}
					pi += 2
					if s[si] >= lo && s[si] <= hi {
						match = true
					}
				} else if p[pi] == s[si] {
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
			if p[pi] != s[si] {
				return false
			}
			si++
		default:
			if p[pi] != s[si] {
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
