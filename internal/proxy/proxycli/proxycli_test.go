// Tests of the command line against the real nutcracker: for each argument
// vector, the same stderr bytes and exit code when run as "nutcracker".
package proxycli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const nutcracker = "/usr/sbin/nutcracker"

// vectors never start a proxy: each has -h, -V, -D, -t or a bad flag.
var vectors = [][]string{
	{"-h"}, {"--help"}, {"-V"}, {"--version"}, {"-D"}, {"--describe-stats"}, {"-hD"},
	{"-x"}, {"--bogus"}, {"-c"}, {"--conf-file"}, {"-v"}, {"-v", "abc"}, {"-s", "0"},
	{"-s", "70000"}, {"-s", "x"}, {"-m", "10"}, {"-m", "0"}, {"-i", "-1"}, {"-?"},
	{"--s", "1"}, {"--verbose=3", "-V"}, {"-tc", "good.yml"}, {"-t", "-c", "good.yml", "extra"},
	{"-D", "-t"}, {"--stats-port=abc"}, {"-a"}, {"-p"}, {"-o"}, {"-m"}, {"-i"},
	{"-t", "-c", "bad.yml"}, {"--test-conf", "--conf-file=bad.yml"}, {"-t", "-c", "missing.yml"},
	{"--test", "--conf", "good.yml"}, {"-tcgood.yml"}, {"--help=1"}, {"-t", "--", "-x"},
	{"-m", "512", "-s", "1", "-i", "5", "-v", "11", "-a", "x", "-p", "p", "-o", "o", "-t", "-c", "good.yml"},
}

func TestAgainstNutcracker(t *testing.T) {
	if _, err := os.Stat(nutcracker); err != nil {
		t.Skip("nutcracker not installed")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "good.yml"), []byte("a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.yml"), []byte("a:\n  listen: 127.0.0.1:22121\n  foo: 1\n  servers:\n   - 127.0.0.1:6379:1\n"), 0o644)
	wd, _ := os.Getwd()
	os.Chdir(dir)
	defer os.Chdir(wd)
	for _, args := range vectors {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := exec.CommandContext(ctx, nutcracker, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		realCode := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			realCode = ee.ExitCode()
		}
		var got bytes.Buffer
		_, code, run := Main(ProgNutcracker, args, &got)
		if run {
			t.Errorf("%q: would run", args)
			continue
		}
		if code != realCode || !bytes.Equal(got.Bytes(), stderr.Bytes()) {
			t.Errorf("%q: exit %d, nutcracker %d\nours:\n%q\nnutcracker:\n%q", args, code, realCode, got.String(), stderr.String())
		}
	}
}

func TestParseArgs(t *testing.T) {
	o, err := ParseArgs([]string{"-d", "--conf-file=x.yml", "-s22223", "--stats-addr", "127.0.0.1", "-i", "1000", "-p", "/tmp/p", "-m", "1024", "-v", "7", "-o", "log"})
	if err != nil {
		t.Fatal(err)
	}
	want := Options{Prog: ProgRedoubt, Daemonize: true, ConfFile: "x.yml", StatsPort: 22223, StatsAddr: "127.0.0.1",
		StatsInterval: time.Second, PidFile: "/tmp/p", MbufSize: 1024, Verbosity: 7, LogFile: "log"}
	if o != want {
		t.Fatalf("%+v", o)
	}
	d := Defaults(ProgRedoubt)
	if d.ConfFile != "conf/nutcracker.yml" || d.LogFile != "" || d.PidFile != "" || d.StatsPort != 22222 || d.StatsInterval != 30*time.Second {
		t.Fatalf("%+v", d)
	}
}

func TestRedoubtWording(t *testing.T) {
	var b bytes.Buffer
	Main(ProgRedoubt, []string{"-h"}, &b)
	real, err := os.ReadFile("testdata/nutcracker-h.txt")
	if err != nil {
		t.Fatal(err)
	}
	// the usage is nutcracker's with the name, its alignment and upstream defaults
	want := strings.NewReplacer("Usage: nutcracker ", "Usage: redoubt proxy ",
		"\n                  [", "\n                     [",
		"/var/log/nutcracker/nutcracker.log", "stderr",
		"/etc/nutcracker/nutcracker.yml", "conf/nutcracker.yml",
		"/run/nutcracker/nutcracker.pid", "off",
		"This is nutcracker-0.5.0", "This is redoubt-dev (nutcracker 0.5.0 compatible)").Replace(string(real))
	if b.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	os.WriteFile(filepath.Join(t.TempDir(), "x"), nil, 0o644)
	_, code, _ := Main(ProgRedoubt, []string{"-t", "-c", "/nonexistent.yml"}, &b)
	if code != 1 || b.String() != "redoubt proxy: conf: failed to open configuration '/nonexistent.yml': No such file or directory\nredoubt proxy: configuration file '/nonexistent.yml' syntax is invalid\n" {
		t.Fatalf("%d %q", code, b.String())
	}
}
