// glob_test.go checks GlobMatch against results taken from a real Redis
// 7.0 (KEYS on a single key), including the quirks of unterminated classes
// and escapes.
package glob

import "testing"

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		// stringmatchlen("*", "") is false: only KEYS/SCAN special-case "*"
		{"*", "", false},
		{"[^", "", false},
		{"*", "anything", true},
		{"?", "a", true},
		{"?", "ab", false},
		{"??", "ab", true},
		{"a*", "a", true},
		{"a*", "abc", true},
		{"a*", "bac", false},
		{"*c", "abc", true},
		{"*c", "abd", false},
		{"a*c", "ac", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a**c", "abc", true},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
		{"h?llo", "hello", true},
		{"h?llo", "hllo", false},
		{"h[ae]llo", "hello", true},
		{"h[ae]llo", "hallo", true},
		{"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true},
		{"h[a-b]llo", "hcllo", false},
		{"h[b-a]llo", "hallo", true},
		{"h[a-]llo", "h]llo", false},
		{"h[a-]llo", "h-llo", false},
		{"[-]", "-", true},
		{"[]]", "]", false},
		{"[]a]", "a", false},
		{"[\\]]", "]", true},
		{"[\\\\]", "\\", true},
		{"a\\*b", "a*b", true},
		{"a\\*b", "axb", false},
		{"a\\?b", "a?b", true},
		{"a\\?b", "axb", false},
		{"a\\[b", "a[b", true},
		{"\\", "\\", true},
		{"h\\", "h\\", true},
		{"h\\", "hx", false},
		{"[", "[", false},
		{"[", "x", false},
		{"[^", "x", true},
		{"a[", "ax", false},
		{"a[", "a[", false},
		{"a[^", "ax", true},
		{"a[b", "ab", true},
		{"a[b", "ax", false},
		{"[a", "a", true},
		{"[^a", "b", true},
		{"[^a", "a", false},
		{"[abc", "c", true},
		{"[abc", "ab", false},
		{"ab[", "ab", false},
		{"x*", "x", true},
		{"x*y*", "x", false},
		{"x*y*", "xy", true},
		{"x*y", "x", false},
		{"*[", "[", false},
		{"*[", "a", false},
		{"[[]ab]", "[ab]", true},
		{"[[]ab]", "[b]", false},
	}
	for _, c := range cases {
		if got := Match([]byte(c.pattern), []byte(c.s), false); got != c.want {
			t.Errorf("Match(%q, %q, false) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// TestGlobMatchManyStars makes sure a pattern with many stars that cannot
// match finishes quickly (the early stop of stringmatchlen).
func TestGlobMatchManyStars(t *testing.T) {
	p := []byte("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b")
	s := make([]byte, 5000)
	for i := range s {
		s[i] = 'a'
	}
	if Match(p, s, false) {
		t.Fatal("matched a string without 'b'")
	}
	s[len(s)-1] = 'b'
	if !Match(p, s, false) {
		t.Fatal("did not match")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add([]byte("h[a-z]*\\"), []byte("hello\\"))
	f.Add([]byte("[^"), []byte("x"))
	f.Fuzz(func(t *testing.T, p, s []byte) {
		Match(p, s, false)
		if len(s) > 0 && !Match([]byte("*"), s, false) {
			t.Fatal("* must match any non-empty string")
		}
	})
}

// TestMatchNocase covers the case-insensitive matching CONFIG GET and
// COMMAND LIST use.
func TestMatchNocase(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"*", "hz", true}, {"h?", "hz", true}, {"H*", "hz", true}, {"[a-i]z", "hz", true},
		{"[^h]z", "hz", false}, {"*max*", "maxmemory", true}, {"max", "maxmemory", false},
		{"\\*", "*", true}, {"[", "h", false}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false},
	} {
		if got := MatchString(tc.p, tc.s, true); got != tc.want {
			t.Errorf("MatchString(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}
