// cmd_command.go holds the COMMAND command: COMMAND, COUNT, INFO, DOCS,
// LIST, GETKEYS, GETKEYSANDFLAGS and HELP. Every reply is generated from the
// command table's metadata, restricted to the commands this server has
// handlers for, so introspection always tells the truth about redoubt.
package server

import (
	"github.com/redoubt/redoubt/internal/glob"
	"sort"
	"strings"

	"github.com/redoubt/redoubt/internal/command"
)

func init() {
	register("command", cmdCommand)
	register("command|count", cmdCommandCount)
	register("command|info", cmdCommandInfo)
	register("command|docs", cmdCommandDocs)
	register("command|list", cmdCommandList)
	register("command|getkeys", cmdCommandGetKeys)
	register("command|getkeysandflags", cmdCommandGetKeysAndFlags)
	register("command|help", cmdCommandHelp)
}

var commandHelp = []string{
	"(no subcommand)",
	"    Describe every command the server knows.",
	"COUNT",
	"    Show how many commands the server knows.",
	"LIST",
	"    Show the names of every command the server knows.",
	"INFO [<command-name> ...]",
	"    Describe the named commands (every command when none is named).",
	"DOCS [<command-name> ...]",
	"    Give the documentation of the named commands (of every command when",
	"    none is named).",
	"GETKEYS <full-command>",
	"    Show which arguments of <full-command> are key names.",
	"GETKEYSANDFLAGS <full-command>",
	"    Show which arguments of <full-command> are key names, with how each",
	"    key is accessed.",
}

func cmdCommandHelp(c *Client, args [][]byte) { replyHelpLines(c, args, commandHelp) }

// sortedCommands is the server's top-level commands by name.
func (s *Server) sortedCommands() []*serverCommand {
	out := make([]*serverCommand, 0, len(s.commands))
	for _, sc := range s.commands {
		out = append(out, sc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func sortedSubcommands(sc *serverCommand) []*serverCommand {
	out := make([]*serverCommand, 0, len(sc.subs))
	for _, sub := range sc.subs {
		out = append(out, sub)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// commandByFullName finds "get" or "config|get" (any case), as COMMAND INFO
// and DOCS name commands.
func (s *Server) commandByFullName(name []byte) *serverCommand {
	parts := strings.Split(strings.ToLower(string(name)), "|")
	if len(parts) > 2 {
		return nil
	}
	sc := s.commands[parts[0]]
	if sc == nil || len(parts) == 1 {
		return sc
	}
	return sc.subs[parts[1]]
}

func cmdCommand(c *Client, args [][]byte) { c.replyAllCommandInfo() }

func (c *Client) replyAllCommandInfo() {
	cmds := c.srv.sortedCommands()
	c.w.ArrayLen(len(cmds))
	for _, sc := range cmds {
		c.replyCommandInfo(sc)
	}
}

func cmdCommandCount(c *Client, args [][]byte) { c.w.Int(int64(len(c.srv.commands))) }

func cmdCommandInfo(c *Client, args [][]byte) {
	if len(args) == 2 {
		c.replyAllCommandInfo()
		return
	}
	c.w.ArrayLen(len(args) - 2)
	for _, name := range args[2:] {
		if sc := c.srv.commandByFullName(name); sc != nil {
			c.replyCommandInfo(sc)
		} else {
			c.w.Null()
		}
	}
}

// replyFlagSet writes flag names as a set of status replies.
func (c *Client) replyFlagSet(flags []string) {
	c.w.SetLen(len(flags))
	for _, f := range flags {
		c.w.Simple(f)
	}
}

// replyCommandInfo writes the ten-element COMMAND INFO entry of sc.
func (c *Client) replyCommandInfo(sc *serverCommand) {
	m := sc.meta
	c.w.ArrayLen(10)
	c.w.BulkString(sc.name)
	c.w.Int(int64(m.Arity))
	c.replyFlagSet(m.Flags)
	c.w.Int(int64(m.FirstKey))
	c.w.Int(int64(m.LastKey))
	c.w.Int(int64(m.KeyStep))
	c.replyFlagSet(m.Categories)
	c.w.SetLen(len(m.Tips))
	for _, t := range m.Tips {
		c.w.BulkString(t)
	}
	c.w.SetLen(len(m.KeySpecs))
	for i := range m.KeySpecs {
		c.replyKeySpec(&m.KeySpecs[i])
	}
	if sc.subs == nil {
		c.w.SetLen(0)
		return
	}
	c.w.ArrayLen(len(sc.subs))
	for _, sub := range sortedSubcommands(sc) {
		c.replyCommandInfo(sub)
	}
}

func (c *Client) replyKeySpec(ks *command.KeySpec) {
	n := 3
	if ks.Notes != "" {
		n++
	}
	c.w.MapLen(n)
	if ks.Notes != "" {
		c.w.BulkString("notes")
		c.w.BulkString(ks.Notes)
	}
	c.w.BulkString("flags")
	c.replyFlagSet(ks.Flags)

	c.w.BulkString("begin_search")
	c.w.MapLen(2)
	c.w.BulkString("type")
	switch ks.BeginSearch.Type {
	case "index":
		c.w.BulkString("index")
		c.w.BulkString("spec")
		c.w.MapLen(1)
		c.w.BulkString("index")
		c.w.Int(int64(ks.BeginSearch.Index))
	case "keyword":
		c.w.BulkString("keyword")
		c.w.BulkString("spec")
		c.w.MapLen(2)
		c.w.BulkString("keyword")
		c.w.BulkString(ks.BeginSearch.Keyword)
		c.w.BulkString("startfrom")
		c.w.Int(int64(ks.BeginSearch.StartFrom))
	default:
		c.w.BulkString("unknown")
		c.w.BulkString("spec")
		c.w.MapLen(0)
	}

	c.w.BulkString("find_keys")
	c.w.MapLen(2)
	c.w.BulkString("type")
	switch ks.FindKeys.Type {
	case "range":
		c.w.BulkString("range")
		c.w.BulkString("spec")
		c.w.MapLen(3)
		c.w.BulkString("lastkey")
		c.w.Int(int64(ks.FindKeys.LastKey))
		c.w.BulkString("keystep")
		c.w.Int(int64(ks.FindKeys.KeyStep))
		c.w.BulkString("limit")
		c.w.Int(int64(ks.FindKeys.Limit))
	case "keynum":
		c.w.BulkString("keynum")
		c.w.BulkString("spec")
		c.w.MapLen(3)
		c.w.BulkString("keynumidx")
		c.w.Int(int64(ks.FindKeys.KeyNumIdx))
		c.w.BulkString("firstkey")
		c.w.Int(int64(ks.FindKeys.FirstKey))
		c.w.BulkString("keystep")
		c.w.Int(int64(ks.FindKeys.KeyStep))
	default:
		c.w.BulkString("unknown")
		c.w.BulkString("spec")
		c.w.MapLen(0)
	}
}

func cmdCommandDocs(c *Client, args [][]byte) {
	if len(args) == 2 {
		cmds := c.srv.sortedCommands()
		c.w.MapLen(len(cmds))
		for _, sc := range cmds {
			c.w.BulkString(sc.name)
			c.replyCommandDocs(sc)
		}
		return
	}
	d := c.w.Defer()
	n := 0
	for _, name := range args[2:] {
		sc := c.srv.commandByFullName(name)
		if sc == nil {
			continue
		}
		c.w.BulkString(sc.name)
		c.replyCommandDocs(sc)
		n++
	}
	c.w.SetMapLen(d, n)
}

// replyCommandDocs writes the documentation map of sc with the interface
// facts the table holds (version introduced, group, subcommands); Redis's
// prose summaries and argument descriptions are not reproduced.
func (c *Client) replyCommandDocs(sc *serverCommand) {
	m := sc.meta
	n := 1
	if m.Since != "" {
		n++
	}
	if sc.subs != nil {
		n++
	}
	c.w.MapLen(n)
	if m.Since != "" {
		c.w.BulkString("since")
		c.w.BulkString(m.Since)
	}
	c.w.BulkString("group")
	c.w.BulkString(m.Group)
	if sc.subs != nil {
		c.w.BulkString("subcommands")
		c.w.MapLen(len(sc.subs))
		for _, sub := range sortedSubcommands(sc) {
			c.w.BulkString(sub.name)
			c.replyCommandDocs(sub)
		}
	}
}

func cmdCommandList(c *Client, args [][]byte) {
	var filter func(sc *serverCommand) bool
	for i := 2; i < len(args); i++ {
		if !strings.EqualFold(string(args[i]), "filterby") || len(args)-1-i != 2 {
			c.addError(errSyntax)
			return
		}
		arg := string(args[i+2])
		switch strings.ToLower(string(args[i+1])) {
		case "module":
			// No modules are loaded, so no command belongs to one.
			filter = func(*serverCommand) bool { return false }
		case "aclcat":
			cat := "@" + strings.ToLower(arg)
			filter = func(sc *serverCommand) bool { return sc.meta.InCategory(cat) }
		case "pattern":
			filter = func(sc *serverCommand) bool { return glob.MatchString(arg, sc.name, true) }
		default:
			c.addError(errSyntax)
			return
		}
		i += 2
	}
	var names []string
	for _, sc := range c.srv.sortedCommands() {
		if filter == nil || filter(sc) {
			names = append(names, sc.name)
		}
		for _, sub := range sortedSubcommands(sc) {
			if filter == nil || filter(sub) {
				names = append(names, sub.name)
			}
		}
	}
	c.w.ArrayLen(len(names))
	for _, n := range names {
		c.w.BulkString(n)
	}
}

func cmdCommandGetKeys(c *Client, args [][]byte)         { c.replyGetKeys(args, false) }
func cmdCommandGetKeysAndFlags(c *Client, args [][]byte) { c.replyGetKeys(args, true) }

// keyRef is one key found in a command line: its argument index and the
// key spec flags that describe how the command uses it.
type keyRef struct {
	pos   int
	flags []string
}

// keysProcs are the key extractors of the commands whose key specs Redis
// does not trust for GETKEYS (variable_flags, incomplete or unknown specs):
// it calls the command's getkeys_proc instead, and so do we.
var keysProcs = map[string]func(args [][]byte) []keyRef{
	"set":      setKeys,
	"bitfield": bitfieldKeys,
	"sort":     sortKeys,
	"sort_ro":  func([][]byte) []keyRef { return []keyRef{{1, []string{"RO", "access"}}} },
	"migrate":  migrateKeys,
}

func (c *Client) replyGetKeys(args [][]byte, withFlags bool) {
	line := args[2:]
	sc, _ := c.srv.lookupCommand(line)
	if sc == nil {
		c.addError("ERR Invalid command specified")
		return
	}
	keys, errMsg := commandKeys(sc.meta, line)
	if errMsg != "" {
		c.addError(errMsg)
		return
	}
	c.w.ArrayLen(len(keys))
	for _, k := range keys {
		if withFlags {
			c.w.ArrayLen(2)
			c.w.Bulk(line[k.pos])
			c.replyFlagSet(k.flags)
		} else {
			c.w.Bulk(line[k.pos])
		}
	}
}

// commandKeys is COMMAND GETKEYS for the command line (line[0] is the
// command name, m its metadata): the keys, or the error Redis replies.
func commandKeys(m *command.Command, line [][]byte) ([]keyRef, string) {
	proc := keysProcs[m.Name]
	if proc == nil && !hasRealKeySpec(m) {
		return nil, "ERR The command has no key arguments"
	}
	if (m.Arity > 0 && m.Arity != len(line)) || len(line) < -m.Arity {
		return nil, "ERR Invalid number of arguments specified for command"
	}
	var keys []keyRef
	if proc != nil {
		keys = proc(line)
	} else {
		keys, _ = keysFromSpecs(m, line)
	}
	if len(keys) == 0 && !m.Has("no_mandatory_keys") {
		return nil, "ERR Invalid arguments specified for command"
	}
	return keys, ""
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}

// hasRealKeySpec reports whether a key spec names actual keys (not only
// not_key arguments such as channels).
func hasRealKeySpec(m *command.Command) bool {
	for _, ks := range m.KeySpecs {
		if !hasFlag(ks.Flags, "not_key") {
			return true
		}
	}
	return false
}

// keysFromSpecs finds the keys of line (line[0] is the command name) from
// the key specs, as Redis's getKeysUsingKeySpecs: a spec that cannot be
// applied (bad key count, keys past the end, incomplete) voids the result.
func keysFromSpecs(m *command.Command, line [][]byte) ([]keyRef, bool) {
	argc := len(line)
	var keys []keyRef
	for _, ks := range m.KeySpecs {
		if hasFlag(ks.Flags, "not_key") {
			continue
		}
		first := 0
		switch ks.BeginSearch.Type {
		case "index":
			first = ks.BeginSearch.Index
		case "keyword":
			from := ks.BeginSearch.StartFrom
			start, end := from, argc-1
			if from <= 0 {
				start, end = argc+from, 1
			}
			for i := start; i != end; {
				if i >= argc || i < 1 {
					break
				}
				if strings.EqualFold(string(line[i]), ks.BeginSearch.Keyword) {
					first = i + 1
					break
				}
				if start <= end {
					i++
				} else {
					i--
				}
			}
			if first == 0 {
				continue
			}
		default:
			return nil, false
		}
		var last, step int
		switch ks.FindKeys.Type {
		case "range":
			step = ks.FindKeys.KeyStep
			switch {
			case ks.FindKeys.LastKey >= 0:
				last = first + ks.FindKeys.LastKey
			case ks.FindKeys.Limit == 0:
				last = argc + ks.FindKeys.LastKey
			default:
				last = first + (argc-first)/ks.FindKeys.Limit + ks.FindKeys.LastKey
			}
		case "keynum":
			step = ks.FindKeys.KeyStep
			idx := first + ks.FindKeys.KeyNumIdx
			if idx >= argc {
				return nil, false
			}
			n, ok := parseInt(line[idx])
			if !ok || n < 0 || n > int64(argc) {
				return nil, false
			}
			first += ks.FindKeys.FirstKey
			last = first + int(n) - 1
		default:
			return nil, false
		}
		if last >= argc || last < first || first >= argc {
			return nil, false
		}
		if step < 1 {
			step = 1
		}
		for i := first; i <= last; i += step {
			keys = append(keys, keyRef{i, ks.Flags})
		}
		if hasFlag(ks.Flags, "incomplete") {
			return nil, false
		}
	}
	return keys, true
}

// setKeys: SET's key is read and updated with GET, overwritten otherwise.
func setKeys(line [][]byte) []keyRef {
	for _, a := range line[3:] {
		if strings.EqualFold(string(a), "get") {
			return []keyRef{{1, []string{"RW", "access", "update"}}}
		}
	}
	return []keyRef{{1, []string{"OW", "update"}}}
}

// bitfieldKeys: BITFIELD with only GET (and OVERFLOW) operations is read-only.
func bitfieldKeys(line [][]byte) []keyRef {
	readOnly := true
	for i := 2; i < len(line) && readOnly; i++ {
		rem := len(line) - i - 1
		switch op := strings.ToLower(string(line[i])); {
		case op == "get" && rem >= 2:
			i += 2
		case op == "overflow" && rem >= 1:
			i++
		default:
			readOnly = false
		}
	}
	if readOnly {
		return []keyRef{{1, []string{"RO", "access"}}}
	}
	return []keyRef{{1, []string{"RW", "access", "update"}}}
}

// sortKeys: the sorted key, and the last STORE destination. Options with
// arguments are skipped so their values are not taken for STORE.
func sortKeys(line [][]byte) []keyRef {
	keys := []keyRef{{1, []string{"RO", "access"}}}
	store := -1
	skips := []struct {
		name string
		n    int
	}{{"limit", 2}, {"get", 1}, {"by", 1}}
	for i := 2; i < len(line); i++ {
		for _, sk := range skips {
			if strings.EqualFold(string(line[i]), sk.name) {
				i += sk.n
				break
			}
			// Redis tests STORE inside the same loop, so it is only seen
			// when the argument does not match an earlier option name.
			if strings.EqualFold(string(line[i]), "store") && i+1 < len(line) {
				store = i + 1
				break
			}
		}
	}
	if store > 0 {
		keys = append(keys, keyRef{store, []string{"OW", "update"}})
	}
	return keys
}

// migrateKeys: the single key argument, or the keys after KEYS when the
// key argument is empty.
func migrateKeys(line [][]byte) []keyRef {
	first, num := 3, 1
	if len(line) > 6 {
		for i := 6; i < len(line); i++ {
			a := strings.ToLower(string(line[i]))
			if a == "keys" {
				if len(line[3]) > 0 {
					num = 0
				} else {
					first, num = i+1, len(line)-i-1
				}
				break
			}
			switch a {
			case "auth":
				i++
			case "auth2":
				i += 2
			}
		}
	}
	keys := make([]keyRef, 0, num)
	for i := 0; i < num; i++ {
		keys = append(keys, keyRef{first + i, []string{"RW", "access", "delete"}})
	}
	return keys
}
