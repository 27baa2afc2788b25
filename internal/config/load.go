// load.go reads redis.conf, stdin and "--name value" arguments the way
// redis-server does: the file first, then stdin ("-"), then the arguments
// turned into more lines, all parsed as one text. Errors are Redis's
// "FATAL CONFIG FILE ERROR" reports.
package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redoubt/redoubt/internal/command"
	"github.com/redoubt/redoubt/internal/logging"
	"github.com/redoubt/redoubt/internal/resp"
)

// Version is the Redis version named in fatal errors.
const Version = "7.0.15"

// FatalError is a configuration error formatted exactly as redis-server
// prints it; the process exits with status 1 after printing it.
type FatalError struct {
	Msg string
	// Log is set for errors Redis reports as a log line on stdout
	// ("Fatal error, can't open config file ...") rather than the
	// framed report on stderr.
	Log bool
}

func (e *FatalError) Error() string { return e.Msg }

func lineError(n int, line, msg string) error {
	return &FatalError{Msg: fmt.Sprintf("\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\nReading the configuration file, at line %d\n>>> '%s'\n%s", Version, n, line, msg)}
}

func openError(path string, err error) error {
	return &FatalError{Msg: fmt.Sprintf("%d:C %s # Fatal error, can't open config file '%s': %s",
		os.Getpid(), time.Now().Format("02 Jan 2006 15:04:05.000"), path, logging.Strerror(err)), Log: true}
}

func plainError(msg string) error {
	return &FatalError{Msg: fmt.Sprintf("\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n%s", Version, msg)}
}

// parser holds the state of one load: Redis keeps some of it in statics
// (the first "save" line replaces the defaults, later ones add rules).
type parser struct {
	c          *Config
	reading    bool // Redis's reading_config_file: cleared when any (included) file ends
	saveLoaded bool
	shared     *parser // the top-level parser, whose statics are shared
	depth      int
	readFile   func(path string) ([]byte, error)
	checkLog   bool
	added      map[string]bool // command names created by rename-command
	removed    map[string]bool
	seen       map[string]bool
}

func newParser(c *Config) *parser {
	p := &parser{c: c, readFile: os.ReadFile, checkLog: true,
		added: map[string]bool{}, removed: map[string]bool{}, seen: map[string]bool{}}
	p.shared = p
	return p
}

// LoadArgs builds the configuration from redis-server's arguments: an
// optional config file first (an argument not starting with '-'), "-"
// (first or last) to read more config from stdin, and --name value pairs.
func LoadArgs(argv []string, stdin io.Reader) (*Config, error) {
	return loadArgs(Default(), argv, stdin)
}

func loadArgs(c *Config, argv []string, stdin io.Reader) (*Config, error) {
	p := newParser(c)
	var text strings.Builder
	j := 0
	if len(argv) > 0 && !strings.HasPrefix(argv[0], "-") {
		abs, err := filepath.Abs(argv[0])
		if err != nil {
			abs = argv[0]
		}
		data, err := os.ReadFile(argv[0])
		if err != nil {
			return nil, openError(abs, err)
		}
		c.File = abs
		text.Write(cString(data))
		j = 1
	}
	fromStdin := false
	var opts strings.Builder
	handledLast := true
	for ; j < len(argv); j++ {
		a := argv[j]
		switch {
		case a == "-" && (j == 0 || j == len(argv)-1):
			fromStdin = true
		case handledLast && strings.HasPrefix(a, "--"):
			if opts.Len() > 0 {
				opts.WriteByte('\n')
			}
			opts.WriteString(a[2:])
			opts.WriteByte(' ')
			words, ok := resp.SplitArgs([]byte(a))
			if ok && len(words) == 1 {
				handledLast = false
				next := j+1 < len(argv) && strings.HasPrefix(argv[j+1], "--")
				switch {
				case next && strings.EqualFold(a, "--save"):
					opts.WriteString(`""`)
					handledLast = true
				case j == len(argv)-1 && strings.EqualFold(a, "--save"):
					opts.WriteString(`""`)
				case next && strings.EqualFold(a, "--sentinel"):
					handledLast = true
				}
			} else {
				handledLast = true
			}
		default:
			opts.WriteString(repr(a))
			opts.WriteByte(' ')
			handledLast = true
		}
	}
	if fromStdin && stdin != nil {
		data, _ := io.ReadAll(stdin)
		text.Write(cString(data))
	}
	if len(argv) > 0 {
		text.WriteByte('\n')
		text.WriteString(opts.String())
	}
	if err := p.parseString(text.String()); err != nil {
		return nil, err
	}
	return c, nil
}

// Load builds the configuration from an optional file and "--name value"
// arguments.
func Load(path string, args []string) (*Config, error) {
	if path != "" {
		args = append([]string{path}, args...)
	}
	return LoadArgs(args, os.Stdin)
}

// Parse parses config text as the contents of a config file, without
// touching the process: no include, no chdir, no log file check. It is
// what tests and the fuzzer use.
func Parse(text string) (*Config, error) {
	c := Default()
	c.Chdir = func(string) error { return nil }
	p := newParser(c)
	p.readFile = func(string) ([]byte, error) { return nil, os.ErrNotExist }
	p.checkLog = false
	if err := p.parseString(text); err != nil {
		return nil, err
	}
	return c, nil
}

// cString drops what follows a NUL in each line, as C string handling in
// Redis's reader does.
func cString(b []byte) []byte {
	if strings.IndexByte(string(b), 0) < 0 {
		return b
	}
	lines := strings.SplitAfter(string(b), "\n")
	var out []byte
	for _, l := range lines {
		if i := strings.IndexByte(l, 0); i >= 0 {
			l = l[:i]
		}
		out = append(out, l...)
	}
	return out
}

func (p *parser) parseString(text string) error {
	p.shared.reading = true
	lines := strings.Split(text, "\n")
	for i, raw := range lines {
		line := strings.Trim(raw, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		words, ok := resp.SplitArgs([]byte(line))
		if !ok {
			return lineError(i+1, line, "Unbalanced quotes in configuration line")
		}
		if len(words) == 0 {
			continue
		}
		args := make([]string, len(words))
		for k, w := range words {
			args[k] = string(w)
		}
		if p.c.SentinelMode && len(args) > 1 && strings.EqualFold(args[0], "sentinel") {
			// Queued: the machine applies them after the whole file, as
			// Redis's queueSentinelConfig, so errors name this line.
			p.c.SentinelLines = append(p.c.SentinelLines, SentinelLine{Line: i + 1, Text: line, Args: args[1:]})
			continue
		}
		if err := p.directive(args); err != nil {
			if fe, ok := err.(*FatalError); ok {
				return fe
			}
			return lineError(i+1, line, err.Error())
		}
	}
	if p.checkLog && p.c.LogFile != "" {
		f, err := os.OpenFile(p.c.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return plainError("Can't open the log file: " + logging.Strerror(err))
		}
		f.Close()
	}
	if p.c.ClusterEnabled && p.c.MasterHost != "" {
		return plainError("replicaof directive not allowed in cluster mode")
	}
	p.shared.reading = false
	return nil
}

// directive applies one config line already split into words.
func (p *parser) directive(words []string) error {
	name := strings.ToLower(words[0])
	args := words[1:]
	if e, ok := lookup(name); ok {
		d := e.d
		if !d.has(fMulti) && len(args) != 1 {
			return errorf("wrong number of arguments")
		}
		if d.has(fMulti) && len(args) == 1 && args[0] != "" {
			// "--save '900 1 300 10'" style: one argument holding several.
			split, ok := resp.SplitArgs([]byte(args[0]))
			args = args[:0:0]
			if ok {
				for _, w := range split {
					args = append(args, string(w))
				}
			}
		}
		if _, err := d.set(p.c, p.shared, args); err != nil {
			return err
		}
		if d.has(fNotImpl) {
			p.unsupported(d.name)
		}
		return nil
	}
	switch {
	case len(words) == 2 && (name == "list-max-ziplist-entries" || name == "list-max-ziplist-value" || name == "lua-replicate-commands"):
		return nil // deprecated, ignored as Redis does
	case name == "include" && len(words) == 2:
		return p.include(args[0])
	case name == "rename-command" && len(words) == 3:
		return p.rename(args[0], args[1])
	case name == "user" && len(words) >= 2:
		p.c.Users = append(p.c.Users, append([]string(nil), args...))
		return nil
	case name == "loadmodule" && len(words) >= 2:
		p.c.LoadModules = append(p.c.LoadModules, append([]string(nil), args...))
		p.unsupported("loadmodule")
		return nil
	case strings.Contains(name, "."):
		if len(words) < 2 {
			return errorf("Module config specified without value")
		}
		p.c.ModuleConfigs = append(p.c.ModuleConfigs, [2]string{words[0], strings.Join(args, " ")})
		return nil
	case name == "sentinel":
		if len(words) != 1 {
			return errorf("sentinel directive while not in sentinel mode")
		}
		return nil
	}
	return errorf("Bad directive or wrong number of arguments")
}

func (p *parser) unsupported(name string) {
	if p.shared.seen[name] {
		return
	}
	p.shared.seen[name] = true
	p.c.Unsupported = append(p.c.Unsupported, name)
}

// include parses another file (or every file a glob matches) in place.
// Relative paths are relative to the working directory, as in Redis.
func (p *parser) include(path string) error {
	if p.depth >= 32 {
		return errorf("include nesting is too deep")
	}
	paths := []string{path}
	if strings.ContainsAny(path, "*?[") {
		m, err := filepath.Glob(path)
		if err != nil {
			m = nil
		}
		paths = m
	}
	for _, f := range paths {
		data, err := p.shared.readFile(f)
		if err != nil {
			return openError(f, err)
		}
		sub := *p
		sub.depth = p.depth + 1
		if err := sub.parseString(string(cString(data))); err != nil {
			return err
		}
	}
	return nil
}

// rename validates rename-command against the command table as renamed
// so far; the server applies c.RenameCommands.
func (p *parser) rename(from, to string) error {
	sh := p.shared
	exists := func(n string) bool {
		n = strings.ToLower(n)
		if sh.added[n] {
			return true
		}
		if sh.removed[n] {
			return false
		}
		return !strings.Contains(n, "|") && command.Lookup(n) != nil
	}
	if !exists(from) {
		return errorf("No such command in rename-command")
	}
	lf := strings.ToLower(from)
	delete(sh.added, lf)
	sh.removed[lf] = true
	if to != "" {
		if exists(to) {
			return errorf("Target command name already exists")
		}
		lt := strings.ToLower(to)
		sh.added[lt] = true
		delete(sh.removed, lt)
	}
	p.c.RenameCommands = append(p.c.RenameCommands, [2]string{from, to})
	p.unsupported("rename-command")
	return nil
}

// repr quotes s as Redis's sdscatrepr.
func repr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch ch {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if ch >= 0x20 && ch < 0x7f {
				b.WriteByte(ch)
			} else {
				fmt.Fprintf(&b, `\x%02x`, ch)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
