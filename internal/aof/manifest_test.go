package aof

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestParseManifestRoundTrip(t *testing.T) {
	// as Redis writes it: base, history (newest first), incrs
	in := "file appendonly.aof.3.base.rdb seq 3 type b\n" +
		"file appendonly.aof.2.base.rdb seq 2 type h\n" +
		"file appendonly.aof.4.incr.aof seq 4 type h\n" +
		"file appendonly.aof.5.incr.aof seq 5 type i\n" +
		"file appendonly.aof.6.incr.aof seq 6 type i\n"
	m, err := ParseManifest([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if m.Base == nil || m.Base.Name != "appendonly.aof.3.base.rdb" || m.CurBaseSeq != 3 || m.CurIncrSeq != 6 ||
		len(m.History) != 2 || len(m.Incrs) != 2 {
		t.Fatalf("parsed %+v", m)
	}
	if got := string(m.Encode()); got != in {
		t.Fatalf("encode:\n%s\nwant:\n%s", got, in)
	}
	c := m.Clone()
	c.Base.Name = "x"
	c.Incrs[0].Name = "y"
	c.History[0].Name = "z"
	if got := string(m.Encode()); got != in {
		t.Fatalf("Clone shares state with the original:\n%s", got)
	}
}

func TestParseManifestAccepts(t *testing.T) {
	tests := []struct {
		in   string
		want string // re-encoded
	}{
		{"# comment\nfile a seq 1 type b\n", "file a seq 1 type b\n"},
		{"# only a comment", ""},
		// keys in any order and any case, extra pairs ignored, later
		// values win, surrounding white space trimmed
		{"  TYPE i SEQ 7 FILE x.aof \t\r\n", "file x.aof seq 7 type i\n"},
		{"seq 2 type h file h foo bar seq 3\n", "file h seq 3 type h\n"},
		{"file a seq 1 type bogus-but-b-first\n", "file a seq 1 type b\n"},
		// atoll: leading digits, negative numbers accepted
		{"file a seq 12abc type h\n", "file a seq 12 type h\n"},
		{"file a seq -3 type h\n", "file a seq -3 type h\n"},
		{"file a seq 99999999999999999999 type h\n", "file a seq 9223372036854775807 type h\n"},
		// quoted names come back quoted as sdscatrepr writes them
		{"file \"my file\\x01\\\"q\" seq 1 type b\n", "file \"my file\\x01\\\"q\" seq 1 type b\n"},
		// an empty name is written bare (sdsneedsrepr of "" is false)
		{"file \"\" seq 1 type b\n", "file  seq 1 type b\n"},
		// and so is a name with a single quote, which sdssplitargs then
		// cannot read back
		{"file \"'\" seq 1 type b\n", "file ' seq 1 type b\n"},
		{"file \"\\xe9t\\xc3\\xa9\" seq 1 type b\n", "file \"\\xe9t\\xc3\\xa9\" seq 1 type b\n"},
		// a name quoted with a NUL is cut at it (sdsnew)
		{"file \"ab\\x00cd\" seq 1 type b\n", "file ab seq 1 type b\n"},
		// a comment line longer than the fgets buffer: the rest is read
		// as another line that starts with '#' again only by chance
		{"#" + strings.Repeat("x", 1023) + "#tail\nfile a seq 1 type b\n", "file a seq 1 type b\n"},
		// incr seqs must grow, history seqs need not
		{"file a seq 5 type h\nfile b seq 2 type h\nfile c seq 1 type i\nfile d seq 2 type i\n",
			"file a seq 5 type h\nfile b seq 2 type h\nfile c seq 1 type i\nfile d seq 2 type i\n"},
	}
	for _, tc := range tests {
		m, err := ParseManifest([]byte(tc.in))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got := string(m.Encode()); got != tc.want {
			t.Errorf("%q: encoded %q, want %q", tc.in, got, tc.want)
		}
	}
}

// manifestErrorCases are manifests Redis rejects, with the message and the
// line it reports (0: none).
var manifestErrorCases = []struct {
	in   string
	msg  string
	line int
	text string
}{
	{"", ErrMsgEmptyManifest, 0, ""},
	{"file a seq 1 type b", ErrMsgTooLongLine, 0, ""},
	{"file a seq 1 type b\nfile b seq 1 type i", ErrMsgTooLongLine, 0, ""},
	{"file " + strings.Repeat("a", 1100) + " seq 1 type b\n", ErrMsgTooLongLine, 0, ""},
	// a NUL hides the newline from strchr
	{"file a seq 1 type b\x00\n", ErrMsgTooLongLine, 0, ""},
	{"file a seq 1 type b\n\n", ErrMsgInvalidFormat, 2, ""},
	{" \t\r\n", ErrMsgInvalidFormat, 1, ""},
	{"file a seq 1\n", ErrMsgInvalidFormat, 1, "file a seq 1"},
	{"file a seq 1 type b foo\n", ErrMsgInvalidFormat, 1, "file a seq 1 type b foo"},
	{"file \"a seq 1 type b\n", ErrMsgInvalidFormat, 1, "file \"a seq 1 type b"},
	{"file \"a\"x seq 1 type b\n", ErrMsgInvalidFormat, 1, "file \"a\"x seq 1 type b"},
	{"file a seq 0 type b\n", ErrMsgInvalidFormat, 1, "file a seq 0 type b"},
	{"file a seq x type b\n", ErrMsgInvalidFormat, 1, "file a seq x type b"},
	{"file a seq 1 type \"\"\n", ErrMsgInvalidFormat, 1, "file a seq 1 type \"\""},
	{"name a seq 1 type b\n", ErrMsgInvalidFormat, 1, "name a seq 1 type b"},
	{"file a/b seq 1 type b\n", ErrMsgPathName, 1, "file a/b seq 1 type b"},
	{"file a\\\\b seq 1 type b\n", ErrMsgPathName, 1, "file a\\\\b seq 1 type b"},
	{"file \"a\\\\b\" seq 1 type b\n", ErrMsgPathName, 1, "file \"a\\\\b\" seq 1 type b"},
	{"file a seq 1 type b\nfile b seq 2 type b\n", ErrMsgDuplicateBase, 2, "file b seq 2 type b"},
	{"file a seq 2 type i\nfile b seq 2 type i\n", ErrMsgNonMonotonic, 2, "file b seq 2 type i"},
	{"file a seq -1 type i\n", ErrMsgNonMonotonic, 1, "file a seq -1 type i"},
	{"# c\nfile a seq 1 type x\n", ErrMsgUnknownType, 2, "file a seq 1 type x"},
	{"file a seq 1 type B\n", ErrMsgUnknownType, 1, "file a seq 1 type B"},
}

func TestParseManifestErrors(t *testing.T) {
	for _, tc := range manifestErrorCases {
		_, err := ParseManifest([]byte(tc.in))
		var me *ManifestError
		if !errors.As(err, &me) {
			t.Errorf("%q: error %v, want a *ManifestError", tc.in, err)
			continue
		}
		if me.Msg != tc.msg || me.HasLine != (tc.line > 0) || me.Line != tc.line || me.Text != tc.text {
			t.Errorf("%q: got %+v, want %q at line %d %q", tc.in, me, tc.msg, tc.line, tc.text)
		}
	}
}

var logPrefix = regexp.MustCompile(`(?m)^\d+:C \d\d \w+ \d{4} \d\d:\d\d:\d\d\.\d{3} # `)

// TestManifestErrorsAsRedis runs the real redis-check-aof on every
// rejected manifest it can be given (it only reads a file with a line
// starting "file" as a manifest) and compares what it logs.
func TestManifestErrorsAsRedis(t *testing.T) {
	bin, err := exec.LookPath("redis-check-aof")
	if err != nil {
		t.Skip("redis-check-aof not installed")
	}
	dir := t.TempDir()
	for _, tc := range manifestErrorCases {
		if !bytes.Contains([]byte("\n"+tc.in), []byte("\nfile")) {
			continue
		}
		path := filepath.Join(dir, "x.manifest")
		if err := os.WriteFile(path, []byte(tc.in), 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command(bin, path).Output()
		got := logPrefix.ReplaceAllString(string(out), "")
		_, err := ParseManifest([]byte(tc.in))
		me := err.(*ManifestError)
		want := "Start checking Multi Part AOF\n"
		for _, l := range me.LogLines() {
			want += l + "\n"
		}
		if got != want {
			t.Errorf("%q:\nredis-check-aof: %q\nParseManifest:   %q", tc.in, got, want)
		}
	}
}

func TestManifestEdits(t *testing.T) {
	m := &Manifest{}
	b := m.NewBase("appendonly.aof", true)
	if b.Name != "appendonly.aof.1.base.rdb" || b.Seq != 1 || b.Type != BaseFile {
		t.Fatalf("first base %+v", b)
	}
	if i := m.LastIncr("appendonly.aof"); i.Name != "appendonly.aof.1.incr.aof" {
		t.Fatalf("first incr %+v", i)
	}
	// a rewrite: a new incr opened when it starts, then a new base and
	// the rewritten incrs marked as history when it ends
	m.NewIncr("appendonly.aof")
	m.NewBase("appendonly.aof", false)
	m.MarkRewrittenIncrsAsHistory()
	want := "file appendonly.aof.2.base.aof seq 2 type b\n" +
		"file appendonly.aof.1.incr.aof seq 1 type h\n" +
		"file appendonly.aof.1.base.rdb seq 1 type h\n" +
		"file appendonly.aof.2.incr.aof seq 2 type i\n"
	if got := string(m.Encode()); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if ManifestName("a.aof") != "a.aof.manifest" || TempManifestName("a.aof") != "temp-a.aof.manifest" ||
		TempIncrName("a.aof") != "temp-a.aof.incr" || TempRewriteBgName(42) != "temp-rewriteaof-bg-42.aof" {
		t.Fatal("names")
	}
	// with AOF off every incr goes
	m.NewIncr("appendonly.aof")
	m.MarkIncrsAsHistory(false)
	if len(m.Incrs) != 0 || len(m.History) != 4 || m.History[0].Name != "appendonly.aof.2.incr.aof" || m.History[1].Name != "appendonly.aof.3.incr.aof" {
		t.Fatalf("%s", m.Encode())
	}
}
