// Package server is redoubt's Redis server role: listeners, clients,
// admission of commands (dispatch.go), their execution in one total order
// under the executor lock, and the handlers of the commands (cmd_*.go).
//
// Invariant: every read or write of the keyspace, of client registry and of
// server statistics that commands see happens while holding Server.mu.
// Connection goroutines parse requests and write replies outside it.
package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redoubt/redoubt/internal/config"
	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/logging"
	"github.com/redoubt/redoubt/internal/replication"
)

// Version is the Redis version redoubt reports, for clients that gate
// features on it.
const Version = "7.0.15"

// Server is one redoubt server.
type Server struct {
	// mu is the executor lock: holding it is what puts a command in the
	// total order.
	mu sync.Mutex

	cfg      *config.Config
	evict    evictionState
	ks       *keyspace.Keyspace
	commands map[string]*serverCommand
	scripts  *scriptState // Lua engine and cache (cmd_script.go)
	// geoPts is the GEO searches' candidate buffer, reused (commands run
	// one at a time)
	geoPts []geoPoint
	// persist is RDB persistence (persist_rdb.go)
	persist persistState
	// aof is the append-only file (persist_aof.go)
	aof aofState
	// unlinks counts background removals of AOF history files
	unlinks sync.WaitGroup
	// repl is the server as a replication master (repl_master.go)
	repl replMaster
	// replica is the server as a replica of another (repl_replica.go)
	replica replicaState
	// prop collects what the running commands propagate (propagate.go)
	prop propagationState
	// preCommandOOM: memory was over maxmemory, with nothing left to
	// evict, when the running command was admitted
	preCommandOOM bool
	log           *slog.Logger
	logLevel      *slog.LevelVar

	clients      map[int64]*Client
	nextClientID atomic.Int64
	listeners    []net.Listener
	wg           sync.WaitGroup

	runID     string
	startTime time.Time
	// cmdTime is the unix ms the current command runs at: one command sees
	// one instant, as Redis caches mstime in call().
	cmdTime int64
	// clockNext is when the next command of the batch being executed
	// starts (the end of the previous one); zero outside a batch.
	clockNext time.Time

	stats   stats
	slowlog slowlog
	// idleRelease returns freed heap to the OS after bursts (runtime_tuning.go).
	idleRelease idleRelease
	intro       introspection
	acl         *aclState // ACL users and log (acl.go)
	// debugNoActiveExpire is DEBUG SET-ACTIVE-EXPIRE 0.
	debugNoActiveExpire bool

	clientPause // CLIENT PAUSE state (cmd_client.go)
	pubsub      pubsubState
	watches     watchRegistry // WATCHed keys (cmd_multi.go)
	// blocking holds the clients blocked on keys (blocking.go).
	blocking blockingState
	// sentinel is the server in sentinel mode (sentinel_mode.go).
	sentinel sentinelState

	shutdownOnce sync.Once
	closing      atomic.Bool
	done         chan struct{}
	exitCode     int
}

// New builds a server from cfg; Run starts it.
func New(cfg *config.Config) *Server {
	if cfg.SentinelMode {
		registerSentinelACL()
	}
	s := &Server{
		cfg:       cfg,
		clients:   map[int64]*Client{},
		startTime: time.Now(),
		done:      make(chan struct{}),
		logLevel:  &slog.LevelVar{},
	}
	var id [20]byte
	rand.Read(id[:])
	s.runID = hex.EncodeToString(id[:])
	s.logLevel.Set(logging.ParseLevel(cfg.LogLevel))
	out := os.Stdout
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err == nil {
			out = f
		}
	}
	s.log = slog.New(logging.New(out, s.logLevel, s.logRole))
	s.ks = keyspace.New(cfg.Databases, s.now)
	s.commands = buildCommandTable()
	s.intro.init(s.startTime)
	s.repl.ids = replication.NewIDs()
	s.installConfigHooks()
	s.initPubSub()
	s.installWatchHooks()
	s.installBlockingHooks()
	s.installMemoryAccounting()
	s.installPropagationHooks()
	s.installAOFConfigHook()
	s.installReplConfigHooks()
	s.aof.lastRewriteOK = true
	s.aof.selDB = -1
	s.persist.lastOK, s.persist.lastBgsaveSec = true, -1
	// CONFIG REWRITE writes the live ACL users (without an aclfile)
	cfg.DescribeUsers = s.aclUserLines
	if cfg.SentinelMode {
		s.prepareSentinelMode()
	}
	return s
}

// aclUserLines are the "user" lines ACL LIST shows, for CONFIG REWRITE.
func (s *Server) aclUserLines() []string {
	users := s.aclUsers()
	var out []string
	for _, n := range users.Names() {
		out = append(out, "user "+n+" "+users.Get(n).Describe())
	}
	return out
}

// now is the time commands see: the cached per-command instant while a
// command runs, the wall clock otherwise.
func (s *Server) now() int64 {
	if s.cmdTime != 0 {
		return s.cmdTime
	}
	return time.Now().UnixMilli()
}

// Logger returns the server's Redis-style logger.
func (s *Server) Logger() *slog.Logger { return s.log }

// Run listens on the configured addresses and serves until Shutdown.
// It returns the process exit code.
func (s *Server) Run() int {
	s.log.Info(fmt.Sprintf("Redis version=%s, bits=64, commit=00000000, modified=0, pid=%d, just started", Version, os.Getpid()))
	if s.cfg.File == "" {
		s.log.Warn("Warning: no config file specified, using the default config. In order to specify a config file use redoubt server /path/to/redis.conf")
	}
	for _, name := range s.cfg.Unsupported {
		s.log.Warn(fmt.Sprintf("Directive '%s' is accepted but not implemented yet by redoubt; it has no effect", name))
	}
	if err := s.aclLoadConfigured(); err != nil {
		s.log.Warn(err.Error())
		return 1
	}
	if !s.sentinelMode() {
		if err := s.loadData(); err != nil {
			s.log.Warn(err.Error())
			return 1
		}
	}
	if err := s.listen(); err != nil {
		s.log.Warn(err.Error())
		return 1
	}
	if s.cfg.PidFile != "" {
		os.WriteFile(s.cfg.PidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	}
	s.log.Info(fmt.Sprintf("Running mode=%s, port=%d.", s.serverMode(), s.cfg.Port))
	if s.sentinelMode() {
		go s.cronLoop()
		s.sentinelIsRunning()
		<-s.done
		s.wg.Wait()
		return s.exitCode
	}
	s.log.Info("Server initialized")
	s.log.Info("Ready to accept connections")
	go s.cronLoop()
	s.startReplicaOnBoot()
	<-s.done
	s.wg.Wait()
	return s.exitCode
}

func (s *Server) listen() error {
	tcp, err := s.openTCPListeners()
	if err != nil {
		return fmt.Errorf("Warning: %v", err)
	}
	s.listeners = append(s.listeners, tcp...)
	if s.cfg.UnixSocket != "" {
		os.Remove(s.cfg.UnixSocket)
		ln, err := net.Listen("unix", s.cfg.UnixSocket)
		if err != nil {
			return fmt.Errorf("Failed opening Unix socket: %v", err)
		}
		if s.cfg.UnixSocketPerm != 0 {
			os.Chmod(s.cfg.UnixSocket, os.FileMode(s.cfg.UnixSocketPerm))
		}
		s.listeners = append(s.listeners, ln)
		s.log.Info("The server is now ready to accept connections at " + s.cfg.UnixSocket)
	}
	if len(s.listeners) == 0 {
		return fmt.Errorf("Configured to not listen anywhere, exiting.")
	}
	for _, ln := range s.listeners {
		go s.acceptLoop(ln)
	}
	return nil
}

// openTCPListeners listens on every bind address at the configured port
// ("*" and "::*" are all IPv4 and all IPv6 addresses; a leading "-" makes an
// address optional). On failure it closes what it opened.
func (s *Server) openTCPListeners() ([]net.Listener, error) {
	if s.cfg.Port == 0 {
		return nil, nil
	}
	addrs := s.cfg.Bind
	if len(addrs) == 0 {
		addrs = []string{"*"}
	}
	var opened []net.Listener
	for _, a := range addrs {
		optional := len(a) > 0 && a[0] == '-'
		if optional {
			a = a[1:]
		}
		host, network := a, "tcp"
		switch a {
		case "*":
			host, network = "0.0.0.0", "tcp4"
		case "::*":
			host, network = "::", "tcp6"
		}
		ln, err := net.Listen(network, net.JoinHostPort(host, strconv.Itoa(s.cfg.Port)))
		if err != nil {
			if optional {
				continue
			}
			for _, l := range opened {
				l.Close()
			}
			return nil, fmt.Errorf("Could not create server TCP listening socket %s:%d: %v", host, s.cfg.Port, err)
		}
		opened = append(opened, ln)
	}
	return opened, nil
}

// Addr returns the first listening address (for tests).
func (s *Server) Addr() net.Addr {
	if len(s.listeners) == 0 {
		return nil
	}
	return s.listeners[0].Addr()
}

func (s *Server) acceptLoop(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(conn)
		}()
	}
}

// cronLoop is serverCron: active expiry, rehashing, client timeouts and
// statistics sampling, hz times per second.
func (s *Server) cronLoop() {
	for {
		s.mu.Lock()
		hz := s.cfg.Hz
		s.mu.Unlock()
		if hz <= 0 {
			hz = 1
		}
		if hz > 500 {
			hz = 500
		}
		select {
		case <-s.done:
			return
		case <-time.After(time.Second / time.Duration(hz)):
		}
		s.mu.Lock()
		s.cron(hz)
		s.mu.Unlock()
	}
}

func (s *Server) cron(hz int) {
	s.syncAccessPolicy()
	if s.activeExpireEnabled() {
		s.ks.ActiveExpireCycle(hz, s.cfg.ActiveExpireEffort)
	}
	for _, db := range s.ks.DBs {
		db.Cron()
	}
	s.clientsCron()
	s.sampleMemoryOverhead()
	if s.cfg.MaxMemory != 0 && !s.ignoresMaxmemory() {
		s.performEvictions()
	}
	s.stats.sample()
	s.idleReleaseCron(hz)
	s.saveRulesCron()
	s.aofCron()
	s.replCron()
}

// Shutdown stops accepting, closes clients and makes Run return code.
func (s *Server) Shutdown(code int) {
	s.shutdownOnce.Do(func() {
		s.exitCode = code
		s.closing.Store(true)
		// before the lock: the driver's hooks take it
		s.stopSentinel()
		for _, ln := range s.listeners {
			ln.Close()
		}
		s.mu.Lock()
		for _, c := range s.clients {
			c.conn.Close()
		}
		if s.aof.state != aofOff {
			s.log.Info("Calling fsync() on the AOF file.")
			s.aofFlushAndSync()
		}
		s.mu.Unlock()
		s.unlinks.Wait() // no history file left behind by a clean exit
		if s.cfg.PidFile != "" {
			s.log.Info("Removing the pid file.")
			os.Remove(s.cfg.PidFile)
		}
		if s.cfg.UnixSocket != "" {
			os.Remove(s.cfg.UnixSocket)
		}
		if s.sentinelMode() {
			s.log.Warn("Sentinel is now ready to exit, bye bye...")
		} else {
			s.log.Warn("Redis is now ready to exit, bye bye...")
		}
		// done is closed last so Run returns only after the goodbye is logged.
		close(s.done)
	})
}

// Done is closed when the server has shut down.
func (s *Server) Done() <-chan struct{} { return s.done }
