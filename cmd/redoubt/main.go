// Command redoubt is the single binary of the redoubt data tier. The first
// argument names the role (server, ...); invoked through a link named like
// a Redis tool (redis-server, ...) it behaves as that tool.
package main

import (
	"fmt"
	"net/http"
	_ "net/http/pprof" // served only when REDOUBT_PPROF is set
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/redoubt/redoubt/internal/config"
	"github.com/redoubt/redoubt/internal/daemon"
	"github.com/redoubt/redoubt/internal/proxy/proxycli"
	"github.com/redoubt/redoubt/internal/server"
	"github.com/redoubt/redoubt/internal/tools/checkaof"
	"github.com/redoubt/redoubt/internal/tools/checkrdb"
)

const version = "0.1.0"

func versionLine() string {
	return fmt.Sprintf("redoubt v=%s (Redis %s compatible) bits=64", version, server.Version)
}

func usage() {
	fmt.Fprintln(os.Stderr, `Usage: redoubt <role> [arguments]

Roles:
  server [/path/to/redis.conf] [--directive value ...]   Redis-compatible server
  sentinel /path/to/sentinel.conf [--directive value ...]
                                                         Redis Sentinel (as redis-sentinel, or
                                                         server sentinel.conf --sentinel)
  proxy [-c nutcracker.yml] [nutcracker's flags]         twemproxy-compatible proxy (as nutcracker)
  check-rdb <rdb-file-name>                              check an RDB file (redis-check-rdb)
  check-aof [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>
                                                         check or fix an AOF (redis-check-aof)
  --version                                              print the version`)
}

func main() {
	args := os.Args[1:]
	if strings.Contains(filepath.Base(os.Args[0]), "redis-sentinel") {
		// as redis-server's checkForSentinelMode: the name is enough
		os.Exit(runSentinel(args))
	}
	switch filepath.Base(os.Args[0]) {
	case "redis-server":
		os.Exit(runServer(args))
	case "redis-check-rdb":
		os.Exit(checkrdb.Main(args, os.Stdout))
	case "redis-check-aof":
		os.Exit(checkaof.Main(args, os.Stdin, os.Stdout))
	case "nutcracker":
		os.Exit(runProxyRole(proxycli.ProgNutcracker, args))
	}
	if len(args) == 0 {
		usage()
		os.Exit(1)
	}
	switch args[0] {
	case "--version", "-v", "version":
		fmt.Println(versionLine())
	case "server":
		os.Exit(runServer(args[1:]))
	case "sentinel":
		os.Exit(runSentinel(args[1:]))
	case "proxy":
		os.Exit(runProxyRole(proxycli.ProgRedoubt, args[1:]))
	case "check-rdb":
		os.Exit(checkrdb.Main(args[1:], os.Stdout))
	case "check-aof":
		os.Exit(checkaof.Main(args[1:], os.Stdin, os.Stdout))
	case "-h", "--help", "help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "redoubt: unknown role %q\n", args[0])
		usage()
		os.Exit(1)
	}
}

func runServer(args []string) int {
	if len(args) > 0 && (args[0] == "-v" || args[0] == "--version") {
		fmt.Println(versionLine())
		return 0
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Println("Usage: redoubt server [/path/to/redis.conf] [options] [-]")
		return 0
	}
	for _, a := range args {
		if a == "--sentinel" {
			return runSentinel(args)
		}
	}
	cfg, err := config.LoadArgs(args, os.Stdin)
	if err != nil {
		return printConfigError(err)
	}
	if cfg.Daemonize && !daemon.Detached() {
		return daemon.Start()
	}
	server.TuneRuntime()
	return serve(server.New(cfg))
}

// printConfigError prints a configuration error where Redis does (log
// lines on stdout, framed reports on stderr) and returns the exit code.
func printConfigError(err error) int {
	out := os.Stderr
	if fe, ok := err.(*config.FatalError); ok && fe.Log {
		out = os.Stdout
	}
	fmt.Fprintln(out, err)
	return 1
}

// serve runs srv until it shuts down (SHUTDOWN, SIGTERM, SIGINT).
func serve(srv *server.Server) int {
	if addr := os.Getenv("REDOUBT_PPROF"); addr != "" {
		// opt-in profiling endpoint for performance work; never on by default
		go func() {
			if err := http.ListenAndServe(addr, nil); err != nil {
				srv.Logger().Warn("pprof endpoint: " + err.Error())
			}
		}()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-sig
		name := "SIGTERM"
		if s == syscall.SIGINT {
			name = "SIGINT"
		}
		srv.Logger().Warn("Received " + name + " scheduling shutdown...")
		srv.Logger().Warn("User requested shutdown...")
		srv.Shutdown(0)
	}()
	return srv.Run()
}
