// slowlog.go keeps the slow log: commands whose execution took longer than
// slowlog-log-slower-than microseconds, newest first, capped at
// slowlog-max-len entries, with arguments trimmed as Redis trims them.
package server

import (
	"fmt"
	"time"
)

const (
	slowlogMaxArgc   = 32
	slowlogMaxArgLen = 128
)

type slowlogEntry struct {
	id       int64
	time     int64 // unix seconds
	duration int64 // microseconds
	args     [][]byte
	peer     string
	name     string
}

type slowlog struct {
	entries []slowlogEntry // newest last
	nextID  int64
}

func (s *Server) slowlogPush(c *Client, args [][]byte, us int64) {
	th := s.cfg.SlowlogLogSlowerThan
	if th < 0 || us < th {
		return
	}
	e := slowlogEntry{id: s.slowlog.nextID, time: time.Now().Unix(), duration: us, peer: c.addr, name: c.name}
	s.slowlog.nextID++
	argc := len(args)
	if argc > slowlogMaxArgc {
		argc = slowlogMaxArgc
	}
	for i := 0; i < argc; i++ {
		var a []byte
		switch {
		case argc != len(args) && i == argc-1:
			a = []byte(fmt.Sprintf("... (%d more arguments)", len(args)-argc+1))
		case len(args[i]) > slowlogMaxArgLen:
			a = append(append([]byte(nil), args[i][:slowlogMaxArgLen]...), fmt.Sprintf("... (%d more bytes)", len(args[i])-slowlogMaxArgLen)...)
		default:
			a = append([]byte(nil), args[i]...)
		}
		e.args = append(e.args, a)
	}
	s.slowlog.entries = append(s.slowlog.entries, e)
	if over := len(s.slowlog.entries) - s.cfg.SlowlogMaxLen; over > 0 {
		s.slowlog.entries = append(s.slowlog.entries[:0], s.slowlog.entries[over:]...)
	}
}
