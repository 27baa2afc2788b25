// Package command holds the command table's metadata: for every Redis 7
// command its arity, flags, legacy key positions, key specs, ACL categories,
// tips and subcommands. It is pure data with no handlers, so the server,
// COMMAND INFO/DOCS/GETKEYS, ACL categories, cluster slot routing and the
// proxy's key extraction all read the same rows.
//
// table_gen.go is produced by ./gen from a real redis-server 7.0's
// COMMAND INFO reply: these are facts of the interface we must match.
package command

import "strings"

// Command is one row of the table (a subcommand is a row of its parent's
// Subcommands, named "parent|sub").
type Command struct {
	Name        string
	Arity       int
	Flags       []string
	FirstKey    int
	LastKey     int
	KeyStep     int
	Categories  []string
	Tips        []string
	KeySpecs    []KeySpec
	Subcommands []*Command
	Group       string
	Since       string
}

// KeySpec describes where a command's keys are, as COMMAND INFO reports.
type KeySpec struct {
	Notes       string
	Flags       []string
	BeginSearch BeginSearch
	FindKeys    FindKeys
}

// BeginSearch is how to find the first key: at an index, after a keyword,
// or unknown.
type BeginSearch struct {
	Type      string // "index", "keyword", "unknown"
	Index     int
	Keyword   string
	StartFrom int
}

// FindKeys is how to find the rest: a range, a count argument, or unknown.
type FindKeys struct {
	Type      string // "range", "keynum", "unknown"
	LastKey   int
	KeyStep   int
	Limit     int
	KeyNumIdx int
	FirstKey  int
}

// Has reports whether the command carries flag f (as COMMAND INFO names it).
func (c *Command) Has(f string) bool {
	for _, x := range c.Flags {
		if x == f {
			return true
		}
	}
	return false
}

// InCategory reports whether the command is in ACL category cat ("@read").
func (c *Command) InCategory(cat string) bool {
	for _, x := range c.Categories {
		if x == cat {
			return true
		}
	}
	return false
}

var byName map[string]*Command

func init() {
	byName = make(map[string]*Command, len(Table))
	for _, c := range Table {
		byName[c.Name] = c
	}
}

// Lookup returns the metadata of a top-level command (lower-case name).
func Lookup(name string) *Command { return byName[strings.ToLower(name)] }

// Sub returns the metadata of a subcommand by its short name.
func (c *Command) Sub(name string) *Command {
	full := c.Name + "|" + strings.ToLower(name)
	for _, s := range c.Subcommands {
		if s.Name == full {
			return s
		}
	}
	return nil
}

// KeyPositions returns the indexes in args (args[0] is the command name)
// that are keys, using the key specs as Redis's getKeysFromCommand does.
func (c *Command) KeyPositions(args [][]byte) []int {
	var out []int
	for _, ks := range c.KeySpecs {
		out = appendSpecKeys(out, ks, args)
	}
	return out
}

func appendSpecKeys(out []int, ks KeySpec, args [][]byte) []int {
	argc := len(args)
	first := 0
	switch ks.BeginSearch.Type {
	case "index":
		first = ks.BeginSearch.Index
	case "keyword":
		start, end, step := ks.BeginSearch.StartFrom, argc, 1
		if start < 0 {
			start, end, step = argc+start, 0, -1
		}
		for i := start; i != end && i > 0 && i < argc; i += step {
			if strings.EqualFold(string(args[i]), ks.BeginSearch.Keyword) {
				first = i + 1
				break
			}
		}
		if first == 0 {
			return out
		}
	default:
		return out
	}
	if first >= argc {
		return out
	}
	last, step := first, 1
	switch ks.FindKeys.Type {
	case "range":
		step = ks.FindKeys.KeyStep
		if ks.FindKeys.LastKey >= 0 {
			last = first + ks.FindKeys.LastKey
		} else if ks.FindKeys.Limit <= 1 {
			last = argc + ks.FindKeys.LastKey
		} else {
			last = first + (argc-1-first)/ks.FindKeys.Limit
		}
	case "keynum":
		idx := first + ks.FindKeys.KeyNumIdx
		if idx >= argc {
			return out
		}
		n := 0
		for _, ch := range args[idx] {
			if ch < '0' || ch > '9' {
				return out
			}
			n = n*10 + int(ch-'0')
			if n > argc {
				return out
			}
		}
		first = idx + ks.FindKeys.FirstKey
		step = ks.FindKeys.KeyStep
		last = first + (n-1)*step
	default:
		return out
	}
	if step < 1 {
		step = 1
	}
	for i := first; i <= last && i < argc; i += step {
		out = append(out, i)
	}
	return out
}

// SpecKeyPositions returns the key indexes one key spec finds in args
// (ACL checks each spec's keys against its read/write flags).
func SpecKeyPositions(ks KeySpec, args [][]byte) []int { return appendSpecKeys(nil, ks, args) }
