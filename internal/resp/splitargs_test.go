// splitargs_test.go checks SplitArgs against sdssplitargs's rules:
// quoting, escapes, \xHH, unbalanced quotes and the C-string end at NUL.
package resp

import (
	"reflect"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		line string
		want []string
		ok   bool
	}{
		{"", nil, true},
		{"   \t ", nil, true},
		{"set a b", []string{"set", "a", "b"}, true},
		{"  set   a\tb  ", []string{"set", "a", "b"}, true},
		{`"a b" c`, []string{"a b", "c"}, true},
		{`'a b' c`, []string{"a b", "c"}, true},
		{`""`, []string{""}, true},
		{`''`, []string{""}, true},
		{`"" ''`, []string{"", ""}, true},
		{`"\x41\x4a\x4A"`, []string{"AJJ"}, true},
		{`"\x4"`, []string{"x4"}, true},
		{`"\xZZ"`, []string{"xZZ"}, true},
		{`"\x00"`, []string{"\x00"}, true},
		{`"\n\r\t\b\a\\\"\q"`, []string{"\n\r\t\b\a\\\"q"}, true},
		{`'\n'`, []string{`\n`}, true},
		{`'it\'s'`, []string{"it's"}, true},
		{`'a\\b'`, []string{`a\\b`}, true},
		{`a"b c"d`, []string{"ab cd"}, false},
		{`a"b c" d`, []string{"ab c", "d"}, true},
		{`a'b c' d`, []string{"ab c", "d"}, true},
		{`"abc`, nil, false},
		{`'abc`, nil, false},
		{`"abc\"`, nil, false},
		{`"a"b`, nil, false},
		{`'a'b`, nil, false},
		{`"a"'b'`, nil, false},
		{"\"a\"\tb", []string{"a", "b"}, true},
		{"\"a\"\vb", []string{"a", "b"}, true},
		{"a\vb", []string{"a\vb"}, true},
		{"a\fb", []string{"a\fb"}, true},
		{"a\x00b c", []string{"a"}, true},
		{"\"a\x00b\"", nil, false},
		{"\"a\"\x00b", []string{"a"}, true},
		{`"\`, nil, false},
		{"x\\y", []string{`x\y`}, true},
	}
	for _, tt := range tests {
		got, ok := SplitArgs([]byte(tt.line))
		if ok != tt.ok {
			t.Errorf("SplitArgs(%q) ok = %v, want %v", tt.line, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		var gs []string
		for _, g := range got {
			gs = append(gs, string(g))
		}
		if !reflect.DeepEqual(gs, tt.want) {
			t.Errorf("SplitArgs(%q) = %q, want %q", tt.line, gs, tt.want)
		}
	}
}
