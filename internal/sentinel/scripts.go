// scripts.go runs notification and client-reconfig scripts as Redis's
// sentinel.c does (sentinelScheduleScriptExecution, sentinelRunPendingScripts,
// sentinelCollectTerminatedScripts, sentinelKillTimedoutScripts): a queue
// of at most 256 jobs of which at most 16 run at once, each executed
// directly (no shell), killed with SIGKILL after script-max-runtime, and
// retried with a doubling delay when it exits with 1 or is killed by a
// signal, up to 10 runs. Redis polls all this from its timer; here a
// goroutine waits for each child and timers stand for the polls, so the
// events and their order are the same without a scan every tick.
package sentinel

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Redis's SENTINEL_SCRIPT_* limits.
const (
	scriptMaxQueue   = 256
	scriptMaxRunning = 16
	scriptMaxRetry   = 10
	scriptMaxArgs    = 16 // argv[0] included
)

// scriptJob is sentinelScriptJob.
type scriptJob struct {
	argv     []string // the path, then the arguments
	running  bool
	pid      int
	proc     *os.Process
	start    time.Time // when it started running, or when a retry is due
	retryNum int       // runs started so far

	killTimer  *time.Timer // while running: script-max-runtime
	retryTimer *time.Timer // while waiting for a retry
}

// scriptRunner holds the queue; its lock is never held while calling a
// hook or taking the driver's lock.
type scriptRunner struct {
	d       *Driver
	mu      sync.Mutex
	queue   []*scriptJob // oldest first, running ones included (as Redis)
	running int
	stopped bool
}

// ScriptStats is what INFO reports: the scripts running and the length of
// the queue (running ones included, as sentinel_scripts_queue_length).
func (d *Driver) ScriptStats() (running, queued int) {
	r := &d.scripts
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running, len(r.queue)
}

// PendingScriptsReply is SENTINEL PENDING-SCRIPTS' reply.
func (d *Driver) PendingScriptsReply() Reply {
	r := &d.scripts
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	bulk := func(s string) Reply { return Reply{Str: s} }
	num := func(n int64) Reply { return bulk(fmt.Sprint(n)) }
	out := Reply{IsArr: true, Array: []Reply{}}
	for _, j := range r.queue {
		argv := Reply{IsArr: true}
		for _, a := range j.argv {
			argv.Array = append(argv.Array, bulk(a))
		}
		flags, timeKey, ms := "scheduled", "run-delay", int64(0)
		if j.running {
			flags, timeKey, ms = "running", "run-time", now.Sub(j.start).Milliseconds()
		} else if !j.start.IsZero() {
			ms = max(j.start.Sub(now).Milliseconds(), 0)
		}
		out.Array = append(out.Array, Reply{IsArr: true, Map: true, Array: []Reply{
			bulk("argv"), argv,
			bulk("flags"), bulk(flags),
			bulk("pid"), num(int64(j.pid)),
			bulk(timeKey), num(ms),
			bulk("retry-num"), num(int64(j.retryNum)),
		}})
	}
	return out
}

// emitAll reports events collected under the runner's lock.
func (r *scriptRunner) emitAll(evs []Emit) {
	if r.d.hooks.Emit == nil {
		return
	}
	for _, e := range evs {
		r.d.hooks.Emit(e)
	}
}

// schedule queues a script (sentinelScheduleScriptExecution): past the
// limit the oldest job not running is dropped, silently as in Redis.
func (r *scriptRunner) schedule(a RunScript) {
	argv := append([]string{a.Path}, a.Args...)
	if len(argv) > scriptMaxArgs {
		argv = argv[:scriptMaxArgs]
	}
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	r.queue = append(r.queue, &scriptJob{argv: argv})
	if len(r.queue) > scriptMaxQueue {
		for i, j := range r.queue {
			if !j.running {
				r.remove(i)
				break
			}
		}
	}
	r.mu.Unlock()
	r.runPending()
}

// remove drops queue[i] (r.mu held) with its timers.
func (r *scriptRunner) remove(i int) {
	j := r.queue[i]
	if j.retryTimer != nil {
		j.retryTimer.Stop()
	}
	r.queue = append(r.queue[:i], r.queue[i+1:]...)
}

// runPending starts the jobs that are due, oldest first, while fewer
// than 16 run (sentinelRunPendingScripts).
func (r *scriptRunner) runPending() {
	maxRuntime := r.d.timing().ScriptMaxRuntime
	if maxRuntime <= 0 {
		maxRuntime = RedisTiming.ScriptMaxRuntime
	}
	var evs []Emit
	var started []*exec.Cmd
	var startedJobs []*scriptJob
	r.mu.Lock()
	now := time.Now()
	for i := 0; i < len(r.queue) && r.running < scriptMaxRunning && !r.stopped; i++ {
		j := r.queue[i]
		if j.running || (!j.start.IsZero() && j.start.After(now)) {
			continue
		}
		j.retryNum++
		cmd := &exec.Cmd{Path: j.argv[0], Args: j.argv, Stdout: os.Stdout, Stderr: os.Stderr}
		if err := cmd.Start(); err != nil {
			// Redis's child would fail execve and _exit(2), which is
			// never retried and ends in -script-error "<path> 0 2".
			evs = append(evs, Emit{Level: LevelWarning, Type: "-script-error", Text: fmt.Sprintf("%s %d %d", j.argv[0], 0, 2)})
			r.remove(i)
			i--
			continue
		}
		j.running = true
		j.start = now
		j.proc = cmd.Process
		j.pid = cmd.Process.Pid
		r.running++
		evs = append(evs, Emit{Level: LevelDebug, Type: "+script-child", Text: fmt.Sprint(j.pid)})
		j.killTimer = time.AfterFunc(maxRuntime, func() { r.kill(j, cmd.Process) })
		started = append(started, cmd)
		startedJobs = append(startedJobs, j)
	}
	r.mu.Unlock()
	r.emitAll(evs)
	// Waiting starts after +script-child is out, so -script-child
	// always follows it.
	for i, cmd := range started {
		j := startedJobs[i]
		go func() {
			cmd.Wait()
			r.collect(j, cmd.ProcessState)
		}()
	}
}

// kill ends a script that ran too long (sentinelKillTimedoutScripts);
// collect then sees it killed by a signal.
func (r *scriptRunner) kill(j *scriptJob, p *os.Process) {
	r.mu.Lock()
	if !j.running || j.proc != p {
		r.mu.Unlock()
		return
	}
	pid := j.pid
	r.mu.Unlock()
	r.emitAll([]Emit{{Level: LevelWarning, Type: "-script-timeout", Text: fmt.Sprintf("%s %d", j.argv[0], pid)}})
	p.Signal(syscall.SIGKILL)
}

// collect handles a script that terminated (sentinelCollectTerminatedScripts).
func (r *scriptRunner) collect(j *scriptJob, st *os.ProcessState) {
	base := r.d.timing().ScriptRetryDelay
	if base <= 0 {
		base = RedisTiming.ScriptRetryDelay
	}
	exitCode, bySignal := 0, 0
	if ws, ok := st.Sys().(syscall.WaitStatus); ok {
		if ws.Signaled() {
			bySignal = int(ws.Signal())
		} else {
			exitCode = ws.ExitStatus()
		}
	} else {
		exitCode = st.ExitCode()
	}

	evs := []Emit{{Level: LevelDebug, Type: "-script-child", Text: fmt.Sprintf("%d %d %d", j.pid, exitCode, bySignal)}}
	r.mu.Lock()
	j.killTimer.Stop()
	j.running = false
	j.proc = nil
	r.running--
	if (bySignal != 0 || exitCode == 1) && j.retryNum != scriptMaxRetry {
		// sentinelScriptRetryDelay: the delay doubles on every retry
		delay := base
		for n := j.retryNum; n > 1; n-- {
			delay *= 2
		}
		j.pid = 0
		j.start = time.Now().Add(delay)
		if !r.stopped {
			j.retryTimer = time.AfterFunc(delay, r.runPending)
		}
	} else {
		if bySignal != 0 || exitCode != 0 {
			evs = append(evs, Emit{Level: LevelWarning, Type: "-script-error", Text: fmt.Sprintf("%s %d %d", j.argv[0], bySignal, exitCode)})
		}
		for i, q := range r.queue {
			if q == j {
				r.remove(i)
				break
			}
		}
	}
	r.mu.Unlock()
	r.emitAll(evs)
	// a slot is free: the next job may start
	r.runPending()
}

// stop cancels pending retries and starts nothing more; running scripts
// finish (and are still killed at their timeout).
func (r *scriptRunner) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	for _, j := range r.queue {
		if j.retryTimer != nil {
			j.retryTimer.Stop()
		}
	}
}
