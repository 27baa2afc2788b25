// help_test.go checks the <CMD> HELP replies. The compat cases compare them
// by type only, because the explanations are redoubt's own wording; here
// the parts clients may parse (the header line, the closing HELP entry, the
// entry layout) are held to a real redis-server's, and the explanations are
// checked to be worded differently from Redis's.
package servercmds

import (
	"strings"
	"testing"

	"github.com/redoubt/redoubt/test/testutil"
)

var helpCommands = []string{"CLIENT", "COMMAND", "CONFIG", "OBJECT", "SLOWLOG", "LATENCY", "MEMORY", "DEBUG"}

// helpLines runs "<cmd> HELP" and returns the reply's lines, failing unless
// it is an array of simple strings.
func helpLines(t *testing.T, c *testutil.RawConn, cmd string) []string {
	t.Helper()
	rep := c.Do(cmd, "HELP")
	if rep.Kind != '*' {
		t.Fatalf("%s HELP: want an array, got %q", cmd, rep.Raw)
	}
	var lines []string
	for _, e := range rep.Elems {
		s := string(e)
		if !strings.HasPrefix(s, "+") || !strings.HasSuffix(s, "\r\n") {
			t.Fatalf("%s HELP: element %q is not a simple string", cmd, s)
		}
		lines = append(lines, strings.TrimSuffix(s[1:], "\r\n"))
	}
	return lines
}

func isExplanation(line string) bool { return strings.HasPrefix(line, " ") }

// isSyntaxContinuation tells indented lines that are interface rather than
// prose: an option's syntax ("* TYPE (NORMAL|...)") or a wrapped syntax line.
func isSyntaxContinuation(line string) bool {
	l := strings.TrimSpace(line)
	return strings.HasPrefix(l, "* ") || strings.HasPrefix(l, "[")
}

func TestHelpFramingMatchesRedisInOwnWords(t *testing.T) {
	real := testutil.StartRedis(t, "--enable-debug-command", "yes")
	ours := testutil.StartRedoubt(t, "--enable-debug-command", "yes")
	rc := testutil.DialRaw(t, real.Addr)
	oc := testutil.DialRaw(t, ours.Addr)

	for _, cmd := range helpCommands {
		want := helpLines(t, rc, cmd)
		got := helpLines(t, oc, cmd)
		if len(got) < 5 {
			t.Fatalf("%s HELP: too short: %q", cmd, got)
		}
		if got[0] != want[0] {
			t.Errorf("%s HELP header: got %q, want %q", cmd, got[0], want[0])
		}
		gotTail, wantTail := got[len(got)-2:], want[len(want)-2:]
		if gotTail[0] != wantTail[0] || gotTail[1] != wantTail[1] {
			t.Errorf("%s HELP closing entry: got %q, want %q", cmd, gotTail, wantTail)
		}

		// Every entry is a syntax line followed by at least one indented line.
		body := got[1:]
		for i, l := range body {
			if i == 0 && isExplanation(l) {
				t.Errorf("%s HELP: first entry starts with an explanation %q", cmd, l)
			}
			if !isExplanation(l) && (i+1 == len(body) || !isExplanation(body[i+1])) {
				t.Errorf("%s HELP: syntax line %q has no explanation", cmd, l)
			}
		}

		// Explanations are ours: none equals one of Redis's, apart from
		// the closing HELP entry and syntax continuations.
		redisExplanations := map[string]bool{}
		for _, l := range want[1 : len(want)-2] {
			if isExplanation(l) {
				redisExplanations[l] = true
			}
		}
		for _, l := range got[1 : len(got)-2] {
			if isExplanation(l) && redisExplanations[l] && !isSyntaxContinuation(l) {
				t.Errorf("%s HELP: explanation copied from Redis: %q", cmd, l)
			}
		}
	}
}
