// sentinel.go is the configuration side of sentinel mode: loading with
// Sentinel's defaults (port 26379, protected-mode off), keeping the
// "sentinel ..." lines for the state machine and applying them in the
// order Redis does, and the checks redis-sentinel makes on its file
// before starting. The lines are written back by RewriteContent.
package config

import (
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/redoubt/redoubt/internal/logging"
)

// SentinelPort is Sentinel's default port (REDIS_SENTINEL_PORT).
const SentinelPort = 26379

// SentinelLine is one "sentinel ..." line of the file: its number, its
// text (for error reports) and its arguments after "sentinel".
type SentinelLine struct {
	Line int
	Text string
	Args []string
}

// LoadSentinelArgs is LoadArgs for a process in sentinel mode: Sentinel's
// defaults come first, as initSentinelConfig, and sentinel lines are kept.
func LoadSentinelArgs(argv []string, stdin io.Reader) (*Config, error) {
	c := Default()
	c.SentinelMode = true
	c.Port = SentinelPort
	c.ProtectedMode = false // Sentinel must be reachable by its peers
	return loadArgs(c, argv, stdin)
}

// preMonitorOptions are applied before every "sentinel monitor" line,
// and the other options after them (Redis's preMonitorCfgName), so a
// file's order never matters.
var preMonitorOptions = map[string]bool{
	"announce-ip": true, "announce-port": true, "deny-scripts-reconfig": true,
	"sentinel-user": true, "sentinel-pass": true, "current-epoch": true,
	"myid": true, "resolve-hostnames": true, "announce-hostnames": true,
}

// ApplySentinelLines feeds the kept lines to apply in Redis's order; the
// first failure is the framed fatal report naming the line, with apply's
// error as the reason.
func (c *Config) ApplySentinelLines(apply func(args []string) error) error {
	var pre, monitor, post []SentinelLine
	for _, l := range c.SentinelLines {
		opt := strings.ToLower(l.Args[0])
		switch {
		case opt == "monitor":
			monitor = append(monitor, l)
		case preMonitorOptions[opt]:
			pre = append(pre, l)
		default:
			post = append(post, l)
		}
	}
	for _, group := range [][]SentinelLine{pre, monitor, post} {
		for _, l := range group {
			if err := apply(l.Args); err != nil {
				return lineError(l.Line, l.Text, err.Error())
			}
		}
	}
	return nil
}

// CheckSentinelFile is sentinelCheckConfigFile: Sentinel keeps its state
// in its config file, so it refuses to start without a writable one. The
// error is the log line Redis prints before exiting.
func (c *Config) CheckSentinelFile() error {
	if c.File == "" {
		return sentinelLog("Sentinel needs config file on disk to save state. Exiting...")
	}
	if err := syscall.Access(c.File, 2 /* W_OK */); err != nil {
		return sentinelLog(fmt.Sprintf("Sentinel config file %s is not writable: %s. Exiting...", c.File, logging.Strerror(err)))
	}
	return nil
}

// sentinelLog is a warning log line of a sentinel process, as a fatal error.
func sentinelLog(msg string) error {
	return &FatalError{Msg: fmt.Sprintf("%d:X %s # %s", os.Getpid(), time.Now().Format("02 Jan 2006 15:04:05.000"), msg), Log: true}
}

// sentinelRewriteOptions are the per-master and list options whose old
// lines Redis drops when the state no longer has them
// (rewriteConfigSentinelOption's closing MarkAsProcessed calls), plus
// the global ones it always rewrites. announce-ip/-port and
// sentinel-user/-pass are left alone when unset, as Redis leaves them.
var sentinelRewriteOptions = []string{
	"myid", "deny-scripts-reconfig", "resolve-hostnames", "announce-hostnames",
	"monitor", "down-after-milliseconds", "failover-timeout", "parallel-syncs",
	"notification-script", "client-reconfig-script", "auth-pass", "auth-user",
	"config-epoch", "leader-epoch", "known-replica", "known-sentinel",
	"rename-command", "master-reboot-down-after-period", "current-epoch",
}

// rewriteSentinel writes the machine's lines (raw arguments, joined as
// Redis prints them): each replaces the next old line of the same
// "sentinel <option>" in place or is appended.
func (c *Config) rewriteSentinel(st *rewriteState) {
	if !c.SentinelMode || c.SentinelConfig == nil {
		return
	}
	for _, args := range c.SentinelConfig() {
		if len(args) == 0 {
			continue
		}
		line := "sentinel " + strings.Join(args, " ")
		if args[0] == "announce-ip" && len(args) == 2 {
			line = "sentinel announce-ip " + repr(args[1]) // the one value Redis quotes
		}
		st.rewriteLine("sentinel "+args[0], line, true)
	}
	for _, opt := range sentinelRewriteOptions {
		st.markProcessed("sentinel " + opt)
	}
}
