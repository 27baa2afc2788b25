package checkaof

// checkaof_test.go runs the real redis-check-aof and Main on the same
// files and compares what they print, their exit codes and the files they
// leave behind. The only differences allowed are the pid and time of log
// lines (normalized here).

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const (
	setAB = "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n"
	multi = "*1\r\n$5\r\nMULTI\r\n"
	exec_ = "*1\r\n$4\r\nEXEC\r\n"
)

type checkCase struct {
	name  string
	files map[string]string // path (relative) -> contents
	args  []string
	stdin string
}

var logPrefix = regexp.MustCompile(`(?m)^\d+:C \d\d \w+ \d{4} \d\d:\d\d:\d\d\.\d{3} # `)

func rdbBase(t *testing.T) string {
	b, err := os.ReadFile("testdata/base.rdb")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func manifest(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func cases(t *testing.T) []checkCase {
	base := rdbBase(t)
	one := func(name, data string, args ...string) checkCase {
		if len(args) == 0 {
			args = []string{"x.aof"}
		}
		return checkCase{name: name, files: map[string]string{"x.aof": data}, args: args}
	}
	cs := []checkCase{
		one("valid", setAB+"*1\r\n$4\r\nPING\r\n"),
		one("empty", ""),
		one("truncated bulk", setAB+"*1\r\n$3\r\nab"),
		one("truncated count", setAB+"*3"),
		one("truncated count after a longer line", "*1\r\n$10\r\n0123456789\r\n*2"),
		one("truncated count after *10", "*10\r\n"+strings.Repeat("$1\r\nx\r\n", 10)+"*2"),
		one("truncated count first", "*2"),
		one("truncated long bulk length", "*1\r\n$123\r\n"+strings.Repeat("y", 123)+"\r\n*1\r\n$4"),
		one("truncated after count", setAB+"*1\r\n"),
		one("truncated bulk length", setAB+"*1\r\n$3"),
		one("garbage", setAB+"GET a\r\n"),
		one("NUL", setAB+"\x00"),
		one("bad prefix", "*1\r\n:3\r\n"),
		one("NUL prefix", "*1\r\n\x00\r\n"),
		one("bad CRLF after bulk", "*1\r\n$3\r\nabcXY"),
		one("high bytes instead of CRLF", "*1\r\n$1\r\na\xe9\xff"),
		one("space before CRLF", "*1 \r\n$1\r\na\r\n"),
		one("LF only", "*1\n$1\na\n"),
		one("long count line", "*1"+strings.Repeat(" ", 200)+"\r\n$1\r\na\r\n"),
		one("negative bulk length", "*1\r\n$-5\r\n"),
		one("huge bulk length", "*1\r\n$99999999999999999999\r\n"),
		one("bulk longer than file", "*1\r\n$1000\r\nab\r\n"),
		one("zero and empty counts", "*0\r\n*\r\n* \r\n"+setAB),
		one("negative count", "*-3\r\n"+setAB),
		one("MULTI without EXEC", setAB+multi+setAB),
		one("MULTI EXEC", setAB+multi+setAB+exec_+setAB),
		one("nested MULTI", multi+setAB+multi+exec_),
		one("EXEC without MULTI", setAB+exec_+setAB),
		one("MULTI then garbage", setAB+multi+setAB+"x"),
		one("MULTI then truncated", setAB+multi+setAB+"*2\r\n$3\r\nGET"),
		one("annotations", "#TS:1\r\n"+setAB+"#comment\r\n"+setAB+"#no newline"),
		one("truncated after annotation", setAB+"#TS:5\r\n*2\r\n$3\r\nGE"),
		one("long annotation", "#"+strings.Repeat("x", 1500)+"\r\n"+setAB),
		one("lowercase multi with NUL", "*1\r\n$6\r\nmulti\x00\r\n"+setAB),
		one("file named --fix", setAB, "--fix"),

		// --fix
		{name: "fix yes", files: map[string]string{"x.aof": setAB + "*1\r\n$3\r\nab"}, args: []string{"--fix", "x.aof"}, stdin: "y\n"},
		{name: "fix Yes", files: map[string]string{"x.aof": setAB + multi + setAB}, args: []string{"--fix", "x.aof"}, stdin: "Yes\n"},
		{name: "fix no", files: map[string]string{"x.aof": setAB + "*1\r\n$3\r\nab"}, args: []string{"--fix", "x.aof"}, stdin: "n\n"},
		{name: "fix no answer", files: map[string]string{"x.aof": setAB + "garbage"}, args: []string{"--fix", "x.aof"}},
		{name: "fix valid", files: map[string]string{"x.aof": setAB}, args: []string{"--fix", "x.aof"}, stdin: "y\n"},

		// --truncate-to-timestamp
		one("timestamp truncates", "#TS:100\r\n"+setAB+"#TS:200\r\n"+setAB, "--truncate-to-timestamp", "150", "x.aof"),
		one("timestamp nothing before", "#TS:100\r\n"+setAB, "--truncate-to-timestamp", "50", "x.aof"),
		one("timestamp nothing to truncate", "#TS:100\r\n"+setAB, "--truncate-to-timestamp", "300", "x.aof"),
		one("timestamp invalid annotation", setAB+"#TS:12x\r\n", "--truncate-to-timestamp", "300", "x.aof"),
		one("timestamp empty annotation", setAB+"#TS:\r\n"+setAB, "--truncate-to-timestamp", "300", "x.aof"),
		one("timestamp and truncated tail", "#TS:100\r\n"+setAB+"*1", "--truncate-to-timestamp", "300", "x.aof"),
		one("timestamp zero is no limit", "#TS:100\r\n"+setAB+"#TS:200\r\n", "--truncate-to-timestamp", "0", "x.aof"),
		one("timestamp argument invalid", setAB, "--truncate-to-timestamp", "1x", "x.aof"),
		one("timestamp argument empty", setAB, "--truncate-to-timestamp", "", "x.aof"),
		one("timestamp argument overflow", setAB, "--truncate-to-timestamp", "99999999999999999999", "x.aof"),

		// usage and files
		{name: "no arguments"},
		{name: "bad option", args: []string{"--fixit", "x.aof"}},
		{name: "too many arguments", args: []string{"--fix", "a", "b", "c"}},
		{name: "missing file", args: []string{"nope.aof"}},
		{name: "directory", files: map[string]string{"d/x": ""}, args: []string{"d"}},

		// RDB preamble
		one("preamble", base+setAB),
		one("preamble only", base),
		one("preamble and truncated tail", base+setAB+"*2\r\n$3"),
		one("preamble corrupt", base[:100]),
		one("preamble and garbage", base+"xyz"),
		{name: "preamble fix", files: map[string]string{"x.aof": base + setAB + "*2\r\n"}, args: []string{"--fix", "x.aof"}, stdin: "y"},
		one("short REDIS file is RESP", "REDIS12"),
		one("commented file line is not a manifest", "#file a seq 1 type b\n"+setAB),
		one("file at a 1024-byte piece is a manifest", strings.Repeat("x", 1024)+"file a seq 1 type b\n"),
		one("file at byte 1023 is not", strings.Repeat("x", 1023)+"file a seq 1 type b\n"),

		// manifests
		{name: "multi part valid", files: map[string]string{
			"d/a.manifest":   manifest("file a.1.base.rdb seq 1 type b", "file a.0.incr.aof seq 0x type h", "file a.1.incr.aof seq 1 type i", "file a.2.incr.aof seq 2 type i"),
			"d/a.1.base.rdb": base, "d/a.1.incr.aof": setAB + multi + setAB + exec_, "d/a.2.incr.aof": "#TS:1\r\n" + setAB,
		}, args: []string{"d/a.manifest"}},
		{name: "multi part RESP base, empty incr", files: map[string]string{
			"d/a.manifest":   "# comment\n" + manifest("file a.1.incr.aof seq 1 type i", "file a.1.base.aof seq 1 type b"),
			"d/a.1.base.aof": setAB, "d/a.1.incr.aof": "",
		}, args: []string{"d/a.manifest"}},
		{name: "multi part no files", files: map[string]string{"a.manifest": manifest("file a seq 1 type h")}, args: []string{"a.manifest"}},
		{name: "multi part truncated last", files: map[string]string{
			"d/a.manifest":   manifest("file a.1.base.aof seq 1 type b", "file a.1.incr.aof seq 1 type i"),
			"d/a.1.base.aof": setAB, "d/a.1.incr.aof": setAB + "*2",
		}, args: []string{"d/a.manifest"}},
		{name: "multi part fix last", files: map[string]string{
			"d/a.manifest":   manifest("file a.1.base.aof seq 1 type b", "file a.1.incr.aof seq 1 type i"),
			"d/a.1.base.aof": setAB, "d/a.1.incr.aof": setAB + "*2",
		}, args: []string{"--fix", "d/a.manifest"}, stdin: "y\n"},
		{name: "multi part fix not last", files: map[string]string{
			"d/a.manifest":   manifest("file a.1.base.aof seq 1 type b", "file a.1.incr.aof seq 1 type i"),
			"d/a.1.base.aof": setAB + "*2", "d/a.1.incr.aof": setAB,
		}, args: []string{"--fix", "d/a.manifest"}, stdin: "y\n"},
		{name: "multi part missing base", files: map[string]string{
			"d/a.manifest": manifest("file a.1.base.aof seq 1 type b", "file a.1.incr.aof seq 1 type i"), "d/a.1.incr.aof": setAB,
		}, args: []string{"d/a.manifest"}},
		{name: "multi part missing incr", files: map[string]string{
			"d/a.manifest": manifest("file a.1.base.aof seq 1 type b", "file a.1.incr.aof seq 1 type i"), "d/a.1.base.aof": setAB,
		}, args: []string{"d/a.manifest"}},
		{name: "multi part bad manifest", files: map[string]string{"a.manifest": manifest("file a.1.base.aof seq 1 type b", "file b seq 1 type b")}, args: []string{"a.manifest"}},
		{name: "multi part manifest last line without newline", files: map[string]string{"a.manifest": "file a.1.base.aof seq 1 type b"}, args: []string{"a.manifest"}},
		{name: "multi part timestamp in last", files: map[string]string{
			"d/a.manifest":   manifest("file a.1.base.aof seq 1 type b", "file a.1.incr.aof seq 1 type i"),
			"d/a.1.base.aof": "#TS:10\r\n" + setAB, "d/a.1.incr.aof": "#TS:20\r\n" + setAB + "#TS:30\r\n" + setAB,
		}, args: []string{"--truncate-to-timestamp", "25", "d/a.manifest"}},
		{name: "multi part timestamp not in last", files: map[string]string{
			"d/a.manifest":   manifest("file a.1.base.aof seq 1 type b", "file a.1.incr.aof seq 1 type i"),
			"d/a.1.base.aof": "#TS:10\r\n" + setAB + "#TS:20\r\n" + setAB, "d/a.1.incr.aof": "#TS:30\r\n" + setAB,
		}, args: []string{"--truncate-to-timestamp", "15", "d/a.manifest"}},
		{name: "multi part base is a directory", files: map[string]string{
			"d/a.manifest": manifest("file b seq 1 type b"), "d/b/x": "",
		}, args: []string{"d/a.manifest"}},
	}
	if asset, err := os.ReadFile("/work/shared/redis-assets/rdb-preamble.aof"); err == nil {
		cs = append(cs, one("Redis's rdb-preamble.aof asset", string(asset)))
	}
	return cs
}

// runCase materializes the case's files under dir and runs fn there.
func setup(t *testing.T, dir string, c checkCase) {
	for name, data := range c.files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot is every regular file under dir with its contents.
func snapshot(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

func TestAsRedisCheckAOF(t *testing.T) {
	bin, err := exec.LookPath("redis-check-aof")
	if err != nil {
		t.Skip("redis-check-aof not installed")
	}
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			theirDir, ourDir := t.TempDir(), t.TempDir()
			setup(t, theirDir, c)
			setup(t, ourDir, c)

			cmd := exec.Command(bin, c.args...)
			cmd.Dir = theirDir
			cmd.Stdin = strings.NewReader(c.stdin)
			theirOut, err := cmd.Output()
			theirCode := 0
			if ee, ok := err.(*exec.ExitError); ok {
				theirCode = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}

			t.Chdir(ourDir)
			var ourOut bytes.Buffer
			ourCode := Main(slices.Clone(c.args), strings.NewReader(c.stdin), &ourOut)

			// the usage line names the program
			want := strings.ReplaceAll(string(theirOut), "Usage: "+bin, "Usage: redoubt check-aof")
			want = logPrefix.ReplaceAllString(want, "<log> ")
			got := logPrefix.ReplaceAllString(ourOut.String(), "<log> ")
			if got != want || ourCode != theirCode {
				t.Errorf("exit %d, redis-check-aof %d\nours:\n%s\nredis-check-aof:\n%s", ourCode, theirCode, got, want)
			}
			if a, b := snapshot(t, ourDir), snapshot(t, theirDir); !mapsEqual(a, b) {
				t.Errorf("files differ:\nours:  %q\nRedis: %q", a, b)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
