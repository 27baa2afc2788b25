// table.go binds handlers to the rows of the command table
// (internal/command). A command exists on the server when it has both a
// metadata row and a handler; register panics at start-up when a handler
// names a command Redis 7 does not have, so the two can never drift.
package server

import (
	"strings"

	"github.com/redoubt/redoubt/internal/command"
	"github.com/redoubt/redoubt/internal/script"
)

// handler executes one command. args[0] is the command name.
type handler func(c *Client, args [][]byte)

// Command flags decoded once from the metadata, for the dispatch hot path.
const (
	cmdWrite = 1 << iota
	cmdReadOnly
	cmdDenyOOM
	cmdAdmin
	cmdPubSub
	cmdNoScript
	cmdBlocking
	cmdLoading
	cmdStale
	cmdNoAuth
	cmdFast
	cmdSkipMonitor
	cmdSkipSlowlog
	cmdNoMulti
	cmdAllowBusy
)

var flagBits = map[string]int{
	"write": cmdWrite, "readonly": cmdReadOnly, "denyoom": cmdDenyOOM, "admin": cmdAdmin,
	"pubsub": cmdPubSub, "noscript": cmdNoScript, "blocking": cmdBlocking, "loading": cmdLoading,
	"stale": cmdStale, "no_auth": cmdNoAuth, "fast": cmdFast, "skip_monitor": cmdSkipMonitor,
	"skip_slowlog": cmdSkipSlowlog, "no_multi": cmdNoMulti, "allow_busy": cmdAllowBusy,
}

// serverCommand is a command row with its handler and statistics.
type serverCommand struct {
	meta  *command.Command
	name  string // full name, "config|get" for subcommands
	flags int
	proc  handler
	// scriptFlags, for commands that run a script (EVAL family, FCALL),
	// returns the flags the script declares, which admission uses in
	// place of the command's own (Redis's getCommandFlags)
	scriptFlags func(c *Client, args [][]byte) (script.Flags, bool)
	parent      *serverCommand
	subs        map[string]*serverCommand

	calls, usec, rejected, failed int64
	// hist is the latency histogram, allocated on the first call.
	hist *latencyHistogram
}

func (sc *serverCommand) has(f int) bool { return sc.flags&f != 0 }

var handlers = map[string]handler{}

// scriptFlagProcs are the scriptFlags functions, by command name.
var scriptFlagProcs = map[string]func(c *Client, args [][]byte) (script.Flags, bool){}

// register binds h to the command named name ("get", "config|get").
func register(name string, h handler) {
	if _, dup := handlers[name]; dup {
		panic("command registered twice: " + name)
	}
	handlers[name] = h
}

func buildCommandTable() map[string]*serverCommand {
	table := map[string]*serverCommand{}
	for name := range handlers {
		top, sub, isSub := strings.Cut(name, "|")
		meta := command.Lookup(top)
		if meta == nil {
			panic("handler for a command Redis does not have: " + name)
		}
		if isSub && meta.Sub(sub) == nil {
			panic("handler for a subcommand Redis does not have: " + name)
		}
	}
	for _, meta := range command.Table {
		h, ok := handlers[meta.Name]
		var subs map[string]*serverCommand
		for _, sm := range meta.Subcommands {
			if sh, ok := handlers[sm.Name]; ok {
				if subs == nil {
					subs = map[string]*serverCommand{}
				}
				_, short, _ := strings.Cut(sm.Name, "|")
				subs[short] = newServerCommand(sm, sh)
			}
		}
		if !ok && subs == nil {
			continue
		}
		sc := newServerCommand(meta, h)
		sc.subs = subs
		for _, sub := range subs {
			sub.parent = sc
		}
		table[meta.Name] = sc
	}
	return table
}

func newServerCommand(meta *command.Command, h handler) *serverCommand {
	sc := &serverCommand{meta: meta, name: meta.Name, proc: h, scriptFlags: scriptFlagProcs[meta.Name]}
	for _, f := range meta.Flags {
		sc.flags |= flagBits[f]
	}
	return sc
}

// lookupCommand finds the command (or subcommand) for args without
// allocating for the common lower-case case.
func (s *Server) lookupCommand(args [][]byte) (sc *serverCommand, container *serverCommand) {
	var buf [32]byte
	name := lowerInto(buf[:0], args[0])
	sc = s.commands[string(name)]
	if sc == nil || sc.subs == nil || len(args) < 2 {
		return sc, nil
	}
	sub := sc.subs[string(lowerInto(buf[:0], args[1]))]
	if sub == nil {
		return nil, sc
	}
	return sub, nil
}

func lowerInto(dst, b []byte) []byte {
	for _, ch := range b {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		dst = append(dst, ch)
	}
	return dst
}
