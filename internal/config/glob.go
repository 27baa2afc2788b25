// glob.go is the pattern matcher of CONFIG GET: Redis's stringmatchlen
// (*, ?, [a-z], [^x], backslash escapes), case-insensitive as CONFIG GET
// uses it.
package config

func lowerByte(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 32
	}
	return b
}

// globMatch reports whether s matches pattern, ignoring ASCII case.
func globMatch(pattern, s string) bool {
	skip := false
	return globImpl(pattern, s, &skip)
}

// globImpl gives up early, as Redis does, once a '*' proved that the rest
// of the pattern matches no suffix: longer matches cannot help.
func globImpl(pattern, s string, skipLonger *bool) bool {
	for len(pattern) > 0 && len(s) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 1 && pattern[1] == '*' {
				pattern = pattern[1:]
			}
			if len(pattern) == 1 {
				return true
			}
			for i := 0; i < len(s); i++ {
				if globImpl(pattern[1:], s[i:], skipLonger) {
					return true
				}
				if *skipLonger {
					return false
				}
			}
			*skipLonger = true
			return false
		case '?':
			s = s[1:]
		case '[':
			pattern = pattern[1:]
			not := len(pattern) > 0 && pattern[0] == '^'
			if not {
				pattern = pattern[1:]
			}
			match := false
			for {
				if len(pattern) == 0 {
					break
				}
				if pattern[0] == '\\' && len(pattern) >= 2 {
					pattern = pattern[1:]
					if pattern[0] == s[0] {
						match = true
					}
				} else if pattern[0] == ']' {
					break
				} else if len(pattern) >= 3 && pattern[1] == '-' {
					start, end := lowerByte(pattern[0]), lowerByte(pattern[2])
					if start > end {
						start, end = end, start
					}
					pattern = pattern[2:]
					if c := lowerByte(s[0]); c >= start && c <= end {
						match = true
					}
				} else if lowerByte(pattern[0]) == lowerByte(s[0]) {
					match = true
				}
				pattern = pattern[1:]
			}
			if len(pattern) == 0 {
				// Unterminated class: Redis treats the end as the close.
				pattern = " "
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s = s[1:]
		case '\\':
			if len(pattern) >= 2 {
				pattern = pattern[1:]
			}
			fallthrough
		default:
			if lowerByte(pattern[0]) != lowerByte(s[0]) {
				return false
			}
			s = s[1:]
		}
		pattern = pattern[1:]
		if len(s) == 0 {
			for len(pattern) > 0 && pattern[0] == '*' {
				pattern = pattern[1:]
			}
			break
		}
	}
	return len(pattern) == 0 && len(s) == 0
}
