package checkaof

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// FuzzAsRedisCheckAOF is a differential fuzz target: the real
// redis-check-aof and Main check the same single-file AOF (plain, with
// --fix answering y, or with --truncate-to-timestamp 150, by the input's
// first byte) or the same manifest (listing files that may exist: a.1.base.aof,
// a.1.incr.aof, a.2.incr.aof), and must print the same report (log line
// prefixes aside), exit with the same code and leave the same files.
func FuzzAsRedisCheckAOF(f *testing.F) {
	bin, err := exec.LookPath("redis-check-aof")
	if err != nil {
		f.Skip("redis-check-aof not installed")
	}
	for _, s := range []string{"0" + setAB, "1" + setAB + "*2\r\n$3", "2#TS:100\r\n" + setAB + "#TS:200\r\n",
		"0" + multi + setAB, "1*1\r\n$1\r\nab\r\n", "0*0\r\n*\r\nx",
		"3file a.1.base.aof seq 1 type b\nfile a.1.incr.aof seq 1 type i\nfile a.2.incr.aof seq 2 type i\n",
		"3# c\nfile a.1.incr.aof seq 1 type h\nfile a.3.incr.aof seq 3 type i\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		mode, data := in[0]%4, in[1:]
		if mode == 3 {
			fuzzManifest(t, bin, data)
			return
		}
		// Redis allocates a bulk's length before reading it: a huge one
		// aborts it on memory, which is not worth copying
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(line) > 10 && line[0] == '$' {
				return
			}
		}
		dir := t.TempDir()
		theirs, ours := filepath.Join(dir, "theirs.aof"), filepath.Join(dir, "ours.aof")
		args := func(path string) []string {
			switch mode {
			case 1:
				return []string{"--fix", path}
			case 2:
				return []string{"--truncate-to-timestamp", "150", path}
			}
			return []string{path}
		}
		os.WriteFile(theirs, data, 0o644)
		os.WriteFile(ours, data, 0o644)
		cmd := exec.Command(bin, args(theirs)...)
		cmd.Stdin = strings.NewReader("y\n")
		theirOut, err := cmd.Output()
		theirCode := 0
		if ee, ok := err.(*exec.ExitError); ok {
			theirCode = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		var ourOut bytes.Buffer
		ourCode := Main(args(ours), strings.NewReader("y\n"), &ourOut)
		// (data with a line starting "file" is read as a manifest, which
		// logs with a pid and a time)
		norm := func(s string) string {
			return logPrefix.ReplaceAllString(staleByte.ReplaceAllString(s, "$1??"), "<log> ")
		}
		want := norm(strings.ReplaceAll(string(theirOut), theirs, ours))
		got := norm(ourOut.String())
		if got != want || ourCode != theirCode {
			t.Fatalf("input %q: exit %d, redis-check-aof %d\nours:\n%s\nredis-check-aof:\n%s", data, ourCode, theirCode, got, want)
		}
		a, _ := os.ReadFile(ours)
		b, _ := os.ReadFile(theirs)
		if !bytes.Equal(a, b) {
			t.Fatalf("input %q: files differ: ours %q, Redis %q", data, a, b)
		}
	})
}

// staleByte matches the "Expected \r\n" error of a number line the end of
// the file cut: the C tool shows the NUL fgets wrote and the byte after
// it, left on the stack by earlier calls, which only the argc line's
// buffer reproduces (see checker.argcBuf).
var staleByte = regexp.MustCompile(`(Expected \\r\\n, got: 00)[0-9a-f]{2}`)

func fuzzManifest(t *testing.T, bin string, manifest []byte) {
	var outs [2]string
	var codes [2]int
	var files [2]map[string]string
	for i := range 2 {
		dir := t.TempDir()
		for name, data := range map[string]string{"a.1.base.aof": setAB, "a.1.incr.aof": "#TS:1\r\n" + setAB, "a.2.incr.aof": setAB + "*1\r\n"} {
			os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644)
		}
		path := filepath.Join(dir, "a.manifest")
		os.WriteFile(path, manifest, 0o644)
		// both see the same path: the second run renames its directory
		if i == 0 {
			cmd := exec.Command(bin, path)
			out, err := cmd.Output()
			if ee, ok := err.(*exec.ExitError); ok {
				codes[i] = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			outs[i] = strings.ReplaceAll(string(out), dir, "<dir>")
		} else {
			var out bytes.Buffer
			codes[i] = Main([]string{path}, strings.NewReader(""), &out)
			outs[i] = strings.ReplaceAll(out.String(), dir, "<dir>")
		}
		outs[i] = logPrefix.ReplaceAllString(outs[i], "<log> ")
		files[i] = snapshot(t, dir)
	}
	if outs[0] != outs[1] || codes[0] != codes[1] || !mapsEqual(files[0], files[1]) {
		t.Fatalf("manifest %q: exit %d, redis-check-aof %d\nours:\n%s\nredis-check-aof:\n%s", manifest, codes[1], codes[0], outs[1], outs[0])
	}
}
