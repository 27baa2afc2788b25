// sentinel.go starts the sentinel role: the server in sentinel mode with
// a sentinel Machine run by its Driver, configured from sentinel.conf, in
// the order redis-sentinel starts (config, sentinel lines, file checks,
// ID, listen, +monitor events).
package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/redoubt/redoubt/internal/config"
	"github.com/redoubt/redoubt/internal/daemon"
	"github.com/redoubt/redoubt/internal/sentinel"
	"github.com/redoubt/redoubt/internal/server"
)

func runSentinel(args []string) int {
	if len(args) > 0 && (args[0] == "-v" || args[0] == "--version") {
		fmt.Println(versionLine())
		return 0
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Println("Usage: redoubt sentinel /path/to/sentinel.conf [options]")
		return 0
	}
	cfg, err := config.LoadSentinelArgs(args, os.Stdin)
	if err != nil {
		return printConfigError(err)
	}
	m := sentinel.New("", cfg.Port)
	err = cfg.ApplySentinelLines(func(a []string) error { return m.ApplyConfig(a, time.Now()) })
	if err != nil {
		return printConfigError(err)
	}
	if err := cfg.CheckSentinelFile(); err != nil {
		return printConfigError(err)
	}
	if cfg.Daemonize && !daemon.Detached() {
		return daemon.Start()
	}
	generated := m.MyID == ""
	if generated {
		// a new sentinel's ID, kept in the file from now on
		var id [20]byte
		rand.Read(id[:])
		m.MyID = hex.EncodeToString(id[:])
	}
	server.TuneRuntime()
	srv := server.New(cfg)
	d := sentinel.NewDriver(m, srv.SentinelHooks())
	// INFO's script counters and PENDING-SCRIPTS come from the driver's
	// script runner, which the machine does not see.
	m.ScriptStats = d.ScriptStats
	m.PendingScripts = d.PendingScriptsReply
	srv.SetSentinelDriver(d, generated)
	return serve(srv)
}
