// cmd_config.go holds CONFIG GET/SET/RESETSTAT/REWRITE/HELP and the
// hooks that make CONFIG SET take effect where a value is not simply read
// from s.cfg at use (log level, listening port and addresses).
package server

import (
	"fmt"
	"net"

	"github.com/redoubt/redoubt/internal/logging"
)

func init() {
	register("config|get", cmdConfigGet)
	register("config|set", cmdConfigSet)
	register("config|resetstat", cmdConfigResetStat)
	register("config|rewrite", cmdConfigRewrite)
	register("config|help", cmdConfigHelp)
}

func cmdConfigGet(c *Client, args [][]byte) {
	patterns := make([]string, len(args)-2)
	for i, a := range args[2:] {
		patterns[i] = string(a)
	}
	pairs := c.srv.cfg.GetMatching(patterns)
	c.w.MapLen(len(pairs))
	for _, kv := range pairs {
		c.w.BulkString(kv[0])
		c.w.BulkString(kv[1])
	}
}

func cmdConfigSet(c *Client, args [][]byte) {
	if len(args)%2 != 0 {
		c.addError("ERR syntax error")
		return
	}
	pairs := make([][2]string, 0, (len(args)-2)/2)
	for i := 2; i+1 < len(args); i += 2 {
		pairs = append(pairs, [2]string{string(args[i]), string(args[i+1])})
	}
	if err := c.srv.cfg.SetMany(pairs, c.isLocal()); err != nil {
		c.addError("ERR " + err.Error())
		return
	}
	c.w.OK()
}

func cmdConfigResetStat(c *Client, args [][]byte) {
	c.srv.resetStats()
	c.w.OK()
}

func cmdConfigRewrite(c *Client, args [][]byte) {
	if c.srv.cfg.File == "" {
		c.addError("ERR The server is running without a config file")
		return
	}
	if err := c.srv.cfg.Rewrite(); err != nil {
		c.srv.log.Warn("CONFIG REWRITE failed: " + err.Error())
		c.addError("ERR Rewriting config file: " + err.Error())
		return
	}
	c.srv.log.Info("CONFIG REWRITE executed with success.")
	c.w.OK()
}

var configHelp = []string{
	"GET <pattern>",
	"    Show every parameter whose name matches the glob <pattern>, with its value.",
	"SET <directive> <value>",
	"    Change parameter <directive> to <value>.",
	"RESETSTAT",
	"    Zero the counters that INFO shows.",
	"REWRITE",
	"    Save the running configuration back into the config file.",
}

func cmdConfigHelp(c *Client, args [][]byte) { replyHelpLines(c, args, configHelp) }

// isLocal tells whether the client connects over a unix socket or from a
// loopback address (enable-*-command/configs "local").
func (c *Client) isLocal() bool {
	if c.flags&flagUnixSocket != 0 {
		return true
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// resetStats is CONFIG RESETSTAT: the counters INFO reports, command and
// error statistics. The slow log is kept, as in Redis.
func (s *Server) resetStats() {
	st := &s.stats
	st.commands = 0
	st.totalConns = 0
	st.rejectedConns = 0
	st.netInput.Store(0)
	st.netOutput.Store(0)
	st.errorReplies = 0
	st.errors = nil
	st.expiredKeys = 0
	st.syncFull, st.syncPartialOK, st.syncPartialErr = 0, 0, 0
	st.evictedKeys = 0
	st.opsSamples, st.inSamples, st.outSamples = [16]int64{}, [16]int64{}, [16]int64{}
	s.ks.Hits, s.ks.Misses = 0, 0
	for _, sc := range s.commands {
		sc.resetStats()
	}
}

func (sc *serverCommand) resetStats() {
	sc.calls, sc.usec, sc.rejected, sc.failed = 0, 0, 0, 0
	for _, sub := range sc.subs {
		sub.resetStats()
	}
}

// installConfigHooks makes CONFIG SET of directives that need more than
// a field write take effect.
func (s *Server) installConfigHooks() {
	cfg := s.cfg
	cfg.SetApply("loglevel", func() error {
		s.logLevel.Set(logging.ParseLevel(cfg.LogLevel))
		return nil
	})
	cfg.SetApply("port", func() error {
		if err := s.relisten(); err != nil {
			s.log.Warn(err.Error())
			return fmt.Errorf("Unable to listen on this port. Check server logs.")
		}
		return nil
	})
	cfg.SetApply("bind", func() error {
		if err := s.relisten(); err != nil {
			s.log.Warn(err.Error())
			return fmt.Errorf("Failed to bind to specified addresses.")
		}
		return nil
	})
}

// relisten replaces the TCP listeners with ones for the configured port
// and addresses. On failure no TCP listener is left: CONFIG SET then
// restores the old values and calls the hook again, which listens on the
// old addresses, as Redis's changeBindAddr.
func (s *Server) relisten() error {
	var keep []net.Listener
	for _, ln := range s.listeners {
		if _, tcp := ln.(*net.TCPListener); tcp {
			ln.Close()
			continue
		}
		keep = append(keep, ln)
	}
	s.listeners = keep
	fresh, err := s.openTCPListeners()
	if err != nil {
		return err
	}
	s.listeners = append(fresh, keep...)
	for _, ln := range fresh {
		go s.acceptLoop(ln)
	}
	return nil
}
