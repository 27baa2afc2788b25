// clients_cron.go holds per-client housekeeping run from the cron (idle
// timeout) and the protected-mode admission check.
package server

import (
	"net"
	"time"
)

func (s *Server) clientsCron() {
	if s.cfg.Timeout <= 0 {
		return
	}
	limit := time.Duration(s.cfg.Timeout) * time.Second
	now := time.Now()
	for _, c := range s.clients {
		if c.flags&(flagPubSub|flagMonitor|flagReplica|flagMaster) != 0 || c.blocked != nil {
			continue
		}
		if now.Sub(c.lastInteract) > limit {
			s.log.Debug("Closing idle client")
			c.closeASAP()
		}
	}
}

// protectedModeDenial returns the DENIED error for a non-local client when
// protected mode is on, no password is set and no bind address was given.
func (s *Server) protectedModeDenial(c *Client) string {
	if !s.cfg.ProtectedMode || s.cfg.RequirePass != "" || c.flags&flagUnixSocket != 0 || !s.defaultBind() {
		return ""
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return ""
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() {
		return ""
	}
	return "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
		"In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: " +
		"1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
		"2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. " +
		"3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
		"4) Set up an authentication password for the default user. " +
		"NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."
}

func (s *Server) defaultBind() bool {
	b := s.cfg.Bind
	return len(b) == 2 && b[0] == "*" && b[1] == "-::*"
}

func (s *Server) activeExpireEnabled() bool { return !s.debugNoActiveExpire && !s.clientsPaused() }
