// Tests of the proxy role's dispatch: the test binary re-executes itself as
// the redoubt command, through a link named nutcracker and as
// "redoubt proxy", and its -t/-V output is compared with nutcracker's.
package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv("REDOUBT_TEST_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runAs(t *testing.T, name string, args ...string) (string, int) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(self, link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link, args...)
	cmd.Env = append(os.Environ(), "REDOUBT_TEST_AS_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return stderr.String(), code
}

func TestNutcrackerLink(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	os.WriteFile(good, []byte("a:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n"), 0o644)
	out, code := runAs(t, "nutcracker", "-t", "-c", good)
	if code != 0 || out != "nutcracker: configuration file '"+good+"' syntax is ok\n" {
		t.Fatalf("%d %q", code, out)
	}
	out, code = runAs(t, "nutcracker", "-V")
	if code != 0 || out != "This is nutcracker-0.5.0\nasync event backend: epoll\n\n" {
		t.Fatalf("%d %q", code, out)
	}
	if real, err := exec.Command("/usr/sbin/nutcracker", "-t", "-c", good).CombinedOutput(); err == nil {
		if out, _ := runAs(t, "nutcracker", "-t", "-c", good); out != string(real) {
			t.Fatalf("ours %q, nutcracker %q", out, real)
		}
	}
	if runProxy != nil {
		return // wired: running would start a proxy
	}
	out, code = runAs(t, "redoubt", "proxy", "-c", good)
	if code != 1 || out != "redoubt proxy: proxy not built into this redoubt binary\n" {
		t.Fatalf("%d %q", code, out)
	}
}
