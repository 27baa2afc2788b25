// Run is the proxy role's entry point, what nutcracker's main does after
// its command line: load the configuration, open the log, write the pid
// file, start the pools and the stats port, then wait for signals —
// SIGHUP reopens the log (as nutcracker) and reloads the configuration,
// SIGTTIN/SIGTTOU raise/lower the verbosity, SIGINT/SIGTERM exit.

package proxy

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redoubt/redoubt/internal/daemon"
	"github.com/redoubt/redoubt/internal/proxy/proxycli"
	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
	"github.com/redoubt/redoubt/internal/proxy/proxystats"
	"github.com/redoubt/redoubt/internal/proxy/sentinelwatch"
)

// Run runs the proxy until SIGINT/SIGTERM and returns the exit code.
func Run(opts proxycli.Options) int {
	prog := opts.Prog
	if prog == "" {
		prog = proxycli.ProgRedoubt
	}
	if opts.Daemonize && !daemon.Detached() {
		return daemon.Start()
	}
	defaults := proxycli.Defaults(prog)
	lf := &logFile{path: opts.LogFile}
	if err := lf.open(); err != nil {
		if opts.LogFile != defaults.LogFile {
			fmt.Fprintf(os.Stderr, "%s: opening log file '%s' failed: %v\n", prog, opts.LogFile, err)
			return 1
		}
		// the packaged default location may not exist here: stderr then
		lf.path = ""
	}
	defer lf.close()
	SetLog(lf, opts.Verbosity)
	pools, err := loadRedis(opts.ConfFile)
	if err != nil {
		logf(LogEmerg, "%v", err)
		fmt.Fprintf(os.Stderr, "%s: configuration file '%s' syntax is invalid\n", prog, opts.ConfFile)
		return 1
	}
	if opts.PidFile != "" {
		if err := os.WriteFile(opts.PidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			logf(LogError, "opening pid file '%s' failed: %v", opts.PidFile, err)
			// only a pid file asked for with -p is required
			if opts.PidFile != defaults.PidFile {
				return 1
			}
		} else {
			defer os.Remove(opts.PidFile)
		}
	}
	Version = opts.StatsVersion()
	logf(LogNotice, "%s-%s started on pid %d", prog, Version, os.Getpid())
	px, err := New(pools)
	if err != nil {
		logf(LogEmerg, "%v", err)
		return 1
	}
	if err := px.Start(); err != nil {
		logf(LogEmerg, "%v", err)
		return 1
	}
	defer px.Close()
	// Sentinel-aware pools follow their masters; a reload starts over
	stopFollowing := follow(pools, px)
	defer func() { stopFollowing() }()

	// the stats port serves the aggregate of the last interval, as nutcracker
	var doc atomic.Pointer[[]byte]
	snap := func() {
		b := px.Stats().JSON(time.Now())
		doc.Store(&b)
	}
	snap()
	if opts.StatsPort > 0 {
		ln, err := proxystats.Listen(opts.StatsAddr, opts.StatsPort)
		if err != nil {
			logf(LogError, "stats listen on %s:%d failed: %v", opts.StatsAddr, opts.StatsPort, err)
			return 1
		}
		defer ln.Close()
		srv := &proxystats.Server{Stats: px.Stats(), Doc: func() []byte { return *doc.Load() }}
		go srv.Serve(ln)
	}
	interval := opts.StatsInterval
	if interval <= 0 {
		interval = proxycli.DefaultInterval * time.Millisecond
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGPIPE)
	defer signal.Stop(sigs)
	for {
		select {
		case <-tick.C:
			snap()
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP:
				logf(LogNotice, "signal %d (SIGHUP) received, reopening log file and reloading %s", sig, opts.ConfFile)
				lf.reopen()
				if pools, err := loadRedis(opts.ConfFile); err != nil {
					logf(LogError, "reload of %s failed, keeping the running configuration: %v", opts.ConfFile, err)
				} else if err := px.Reload(pools); err != nil {
					logf(LogError, "reload failed: %v", err)
				} else {
					stopFollowing()
					stopFollowing = follow(pools, px)
				}
			case syscall.SIGTTIN:
				if l := logLevel.Load(); l < proxycli.MaxVerbosity {
					logLevel.Store(l + 1)
				}
				logf(LogNotice, "signal %d (SIGTTIN) received, up logging level", sig)
			case syscall.SIGTTOU:
				if l := logLevel.Load(); l > proxycli.MinVerbosity {
					logLevel.Store(l - 1)
				}
				logf(LogNotice, "signal %d (SIGTTOU) received, down logging level", sig)
			case syscall.SIGPIPE:
			default:
				logf(LogNotice, "signal %d (%v) received, exiting", sig, sig)
				return 0
			}
		}
	}
}

// loadRedis loads the configuration, refusing memcache pools.
func loadRedis(path string) ([]proxyconf.Pool, error) {
	pools, err := proxyconf.Load(path)
	if err == nil {
		err = proxyconf.RedisOnly(pools)
	}
	return pools, err
}

// follow starts sentinelwatch for the Sentinel-aware pools (a no-op for
// plain ones); the first resolution is bounded so that dead sentinels do
// not hold up the start.
func follow(pools []proxyconf.Pool, px *Proxy) (stop func()) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return sentinelwatch.Follow(ctx, pools, px, func(format string, args ...any) { logf(LogNotice, format, args...) })
}

// logFile is the -o file (stderr when unset), reopened on SIGHUP for
// log rotation.
type logFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

func (l *logFile) open() error {
	if l.path == "" {
		return nil
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

func (l *logFile) reopen() {
	if err := l.open(); err != nil {
		logf(LogError, "reopening log file '%s' failed: %v", l.path, err)
	}
}

func (l *logFile) close() {
	l.mu.Lock()
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
	l.mu.Unlock()
}

func (l *logFile) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return os.Stderr.Write(b)
	}
	return l.f.Write(b)
}

var _ io.Writer = (*logFile)(nil)
