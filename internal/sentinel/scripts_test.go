// scripts_test.go runs real shell scripts through the driver's script
// runner: arguments passed without a shell, exit 1 retried, exit 2 not,
// a script past script-max-runtime killed, retries exhausted, and the
// queue's limits. Timings are shortened through the machine's Timing.
package sentinel

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// emitRecorder collects what the runner reports through Hooks.Emit.
type emitRecorder struct {
	mu  sync.Mutex
	evs []Emit
}

func (r *emitRecorder) add(e Emit) {
	r.mu.Lock()
	r.evs = append(r.evs, e)
	r.mu.Unlock()
}

func (r *emitRecorder) find(typ string) []Emit {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Emit
	for _, e := range r.evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func newScriptDriver(t *testing.T, maxRuntime, retryDelay time.Duration) (*Driver, *emitRecorder) {
	rec := &emitRecorder{}
	m := New(strings.Repeat("a", 40), 26379)
	m.Timing.ScriptMaxRuntime = maxRuntime
	m.Timing.ScriptRetryDelay = retryDelay
	d := NewDriver(m, Hooks{Emit: rec.add})
	t.Cleanup(d.Stop)
	return d, rec
}

// writeScript writes an executable shell script.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func lines(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Fields(strings.TrimSpace(string(b)))
}

func queueEmpty(d *Driver) func() bool {
	return func() bool { r, q := d.ScriptStats(); return r == 0 && q == 0 }
}

func TestScriptArgs(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	// Each argument on its own line: no shell splits or expands them.
	script := writeScript(t, dir, "notify.sh", fmt.Sprintf("for a in \"$@\"; do echo \"[$a]\" >> %s; done\n", out))
	d, rec := newScriptDriver(t, time.Minute, time.Minute)
	d.apply(RunScript{Path: script, Args: []string{"+sdown", "master mymaster 127.0.0.1 6379", "$HOME;*"}})
	waitCond(t, "-script-child", func() bool { return len(rec.find("-script-child")) == 1 })
	waitCond(t, "script done", queueEmpty(d))
	b, _ := os.ReadFile(out)
	if string(b) != "[+sdown]\n[master mymaster 127.0.0.1 6379]\n[$HOME;*]\n" {
		t.Errorf("script saw %q", b)
	}
	child := rec.find("+script-child")
	if len(child) != 1 || child[0].Level != LevelDebug {
		t.Fatalf("+script-child events %+v", child)
	}
	if got, want := rec.find("-script-child")[0].Text, child[0].Text+" 0 0"; got != want {
		t.Errorf("-script-child %q, want %q", got, want)
	}
	if e := rec.find("-script-error"); len(e) != 0 {
		t.Errorf("errors %+v", e)
	}
}

func TestScriptExit1Retried(t *testing.T) {
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	// Fails (exit 1: "please retry") twice, then succeeds.
	script := writeScript(t, dir, "retry.sh", fmt.Sprintf(
		"echo run >> %[1]s\n[ $(wc -l < %[1]s) -ge 3 ] && exit 0\nexit 1\n", runs))
	d, rec := newScriptDriver(t, time.Minute, 20*time.Millisecond)
	d.apply(RunScript{Path: script})
	waitCond(t, "third run", func() bool { return len(lines(t, runs)) == 3 })
	waitCond(t, "three -script-child", func() bool { return len(rec.find("-script-child")) == 3 })
	waitCond(t, "queue empty", queueEmpty(d))
	if n := len(lines(t, runs)); n != 3 {
		t.Errorf("%d runs", n)
	}
	if e := rec.find("-script-error"); len(e) != 0 {
		t.Errorf("errors %+v", e)
	}
	exits := rec.find("-script-child")
	if len(exits) != 3 || !strings.HasSuffix(exits[0].Text, " 1 0") || !strings.HasSuffix(exits[2].Text, " 0 0") {
		t.Errorf("-script-child events %+v", exits)
	}
}

func TestScriptExit2NotRetried(t *testing.T) {
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	script := writeScript(t, dir, "fail.sh", fmt.Sprintf("echo run >> %s\nexit 2\n", runs))
	d, rec := newScriptDriver(t, time.Minute, time.Millisecond)
	d.apply(RunScript{Path: script})
	waitCond(t, "-script-error", func() bool { return len(rec.find("-script-error")) == 1 })
	if got, want := rec.find("-script-error")[0].Text, script+" 0 2"; got != want {
		t.Errorf("-script-error %q, want %q", got, want)
	}
	// The job left the queue, so it cannot run again.
	if r, q := d.ScriptStats(); r != 0 || q != 0 {
		t.Errorf("stats %d running, %d queued", r, q)
	}
	if n := len(lines(t, runs)); n != 1 {
		t.Errorf("%d runs", n)
	}
	// A script that cannot be executed fails the same way, not retried.
	d.apply(RunScript{Path: filepath.Join(dir, "missing.sh")})
	waitCond(t, "second -script-error", func() bool { return len(rec.find("-script-error")) == 2 })
	if got := rec.find("-script-error")[1]; got.Text != filepath.Join(dir, "missing.sh")+" 0 2" || got.Level != LevelWarning {
		t.Errorf("-script-error %+v", got)
	}
	waitCond(t, "queue empty", queueEmpty(d))
}

func TestScriptTimeoutKilled(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, dir, "slow.sh", "exec sleep 60\n")
	// The retry is far away: the killed job waits in the queue.
	d, rec := newScriptDriver(t, 100*time.Millisecond, time.Hour)
	d.apply(RunScript{Path: script, Args: []string{"x"}})
	waitCond(t, "-script-child", func() bool { return len(rec.find("-script-child")) == 1 })
	pid := rec.find("+script-child")[0].Text
	if got, want := rec.find("-script-timeout"), script+" "+pid; len(got) != 1 || got[0].Text != want || got[0].Level != LevelWarning {
		t.Errorf("-script-timeout %+v, want %q", got, want)
	}
	if got, want := rec.find("-script-child")[0].Text, pid+" 0 9"; got != want {
		t.Errorf("-script-child %q, want %q", got, want)
	}
	// Killed by a signal: scheduled for a retry, not an error.
	waitCond(t, "scheduled retry", func() bool { r, q := d.ScriptStats(); return r == 0 && q == 1 })
	if e := rec.find("-script-error"); len(e) != 0 {
		t.Errorf("errors %+v", e)
	}
	p := d.PendingScriptsReply()
	if len(p.Array) != 1 {
		t.Fatalf("pending scripts %+v", p)
	}
	j := p.Array[0]
	if !j.Map || j.Array[3].Str != "scheduled" || j.Array[5].Str != "0" || j.Array[6].Str != "run-delay" || j.Array[9].Str != "1" {
		t.Errorf("pending script %+v", j)
	}
}

func TestScriptRetriesExhausted(t *testing.T) {
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	script := writeScript(t, dir, "always.sh", fmt.Sprintf("echo run >> %s\nexit 1\n", runs))
	d, rec := newScriptDriver(t, time.Minute, time.Millisecond)
	d.apply(RunScript{Path: script})
	waitCond(t, "-script-error", func() bool { return len(rec.find("-script-error")) == 1 })
	if got, want := rec.find("-script-error")[0].Text, script+" 0 1"; got != want {
		t.Errorf("-script-error %q, want %q", got, want)
	}
	waitCond(t, "queue empty", queueEmpty(d))
	if n := len(lines(t, runs)); n != scriptMaxRetry {
		t.Errorf("%d runs, want %d", n, scriptMaxRetry)
	}
}

func TestScriptQueueLimits(t *testing.T) {
	dir := t.TempDir()
	gate := filepath.Join(dir, "go")
	ran := filepath.Join(dir, "ran")
	// Every job waits for the gate file, so the first 16 keep running.
	script := writeScript(t, dir, "wait.sh", fmt.Sprintf(
		"while [ ! -f %s ]; do sleep 0.05; done\necho $1 >> %s\n", gate, ran))
	d, _ := newScriptDriver(t, time.Minute, time.Minute)
	for i := 0; i < 300; i++ {
		d.apply(RunScript{Path: script, Args: []string{fmt.Sprint(i)}})
	}
	if r, q := d.ScriptStats(); r != scriptMaxRunning || q != scriptMaxQueue {
		t.Errorf("stats %d running, %d queued", r, q)
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitCond(t, "queue drained", queueEmpty(d))
	got := map[string]bool{}
	for _, s := range lines(t, ran) {
		got[s] = true
	}
	// The 16 running kept their place; the oldest waiting ones (16..59)
	// were dropped for the newest.
	if len(got) != scriptMaxQueue || !got["0"] || !got["15"] || got["16"] || got["59"] || !got["60"] || !got["299"] {
		t.Errorf("%d scripts ran: %v", len(got), got)
	}
}

func TestScriptStopCancelsRetries(t *testing.T) {
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	script := writeScript(t, dir, "fail1.sh", fmt.Sprintf("echo run >> %s\nexit 1\n", runs))
	d, rec := newScriptDriver(t, time.Minute, 50*time.Millisecond)
	d.apply(RunScript{Path: script})
	waitCond(t, "first run ends", func() bool { return len(rec.find("-script-child")) == 1 })
	d.Stop()
	d.apply(RunScript{Path: script})
	// Past the retry delay, nothing has run again.
	time.Sleep(200 * time.Millisecond)
	if n := len(lines(t, runs)); n != 1 {
		t.Errorf("%d runs after Stop", n)
	}
}
