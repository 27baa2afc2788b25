// Package config owns redis.conf: the table of directives (name, type,
// default, limits, whether CONFIG SET may change it), the typed values the
// server reads, parsing of the file and of "--name value" arguments, and
// CONFIG GET/SET/REWRITE. Every directive is one row of the table; nothing
// else in the code lists directive names.
package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Config is the server's configuration. The server reads these fields
// under its executor lock; CONFIG SET writes them under the same lock.
type Config struct {
	File string // absolute path of the config file, "" when none

	Port                    int
	Bind                    []string
	ProtectedMode           bool
	UnixSocket              string
	UnixSocketPerm          int
	TCPBacklog              int
	Timeout                 int
	TCPKeepalive            int
	Databases               int
	Daemonize               bool
	PidFile                 string
	LogFile                 string
	LogLevel                string
	Dir                     string
	Hz                      int
	DynamicHz               bool
	RequirePass             string
	MaxClients              int
	ProtoMaxBulkLen         int64
	ClientQueryBufferLimit  int64
	EnableDebugCommand      string
	SlowlogLogSlowerThan    int64
	SlowlogMaxLen           int
	LatencyMonitorThreshold int64
	ActiveExpireEffort      int
	Save                    string
	AppendOnly              bool

	// unsupported records directives that were accepted but are not
	// implemented yet, so the server can log them.
	Unsupported []string
}

// Default returns the configuration of a redis-server started without a file.
func Default() *Config {
	c := &Config{}
	for _, d := range directives {
		if err := d.set(c, d.def); err != nil {
			panic(fmt.Sprintf("default of %s: %v", d.name, err))
		}
	}
	return c
}

// kind is how a directive's value is parsed and printed.
type kind int

const (
	kindInt kind = iota
	kindBool
	kindString
	kindEnum
	kindMemory
	kindList
)

// directive is one row of the table.
type directive struct {
	name      string
	kind      kind
	def       string
	min, max  int64
	enum      []string
	immutable bool // CONFIG SET refuses it
	notImpl   bool // accepted, not implemented yet
	field     func(c *Config) any
}

func (d *directive) set(c *Config, v string) error {
	switch p := d.field(c).(type) {
	case *int:
		n, err := parseNumber(d, v)
		if err != nil {
			return err
		}
		*p = int(n)
	case *int64:
		n, err := parseNumber(d, v)
		if err != nil {
			return err
		}
		*p = n
	case *bool:
		switch strings.ToLower(v) {
		case "yes":
			*p = true
		case "no":
			*p = false
		default:
			return fmt.Errorf("argument must be 'yes' or 'no'")
		}
	case *string:
		if d.kind == kindEnum {
			lv := strings.ToLower(v)
			ok := false
			for _, e := range d.enum {
				if e == lv {
					ok = true
				}
			}
			if !ok {
				return fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(d.enum, ", "))
			}
			v = lv
		}
		*p = v
	case *[]string:
		*p = strings.Fields(v)
	default:
		return fmt.Errorf("unsupported")
	}
	return nil
}

func parseNumber(d *directive, v string) (int64, error) {
	var n int64
	var err error
	if d.kind == kindMemory {
		n, err = ParseMemory(v)
	} else {
		n, err = strconv.ParseInt(v, 10, 64)
		if err != nil {
			err = fmt.Errorf("argument couldn't be parsed into an integer")
		}
	}
	if err != nil {
		return 0, err
	}
	if n < d.min || n > d.max {
		return 0, fmt.Errorf("argument must be between %d and %d inclusive", d.min, d.max)
	}
	return n, nil
}

func (d *directive) get(c *Config) string {
	switch p := d.field(c).(type) {
	case *int:
		return strconv.Itoa(*p)
	case *int64:
		return strconv.FormatInt(*p, 10)
	case *bool:
		if *p {
			return "yes"
		}
		return "no"
	case *string:
		return *p
	case *[]string:
		return strings.Join(*p, " ")
	}
	return ""
}

// ParseMemory parses a memory amount with Redis's units (1k = 1000,
// 1kb = 1024, up to g/gb), case-insensitive.
func ParseMemory(s string) (int64, error) {
	ls := strings.ToLower(s)
	mul := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1e3}, {"b", 1}} {
		if strings.HasSuffix(ls, u.suf) {
			mul = u.m
			ls = ls[:len(ls)-len(u.suf)]
			break
		}
	}
	n, err := strconv.ParseInt(ls, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("argument must be a memory value")
	}
	return n * mul, nil
}

const maxInt = 1<<31 - 1

var directives = []*directive{
	{name: "port", kind: kindInt, def: "6379", min: 0, max: 65535, field: func(c *Config) any { return &c.Port }},
	{name: "bind", kind: kindList, def: "* -::*", field: func(c *Config) any { return &c.Bind }},
	{name: "protected-mode", kind: kindBool, def: "yes", field: func(c *Config) any { return &c.ProtectedMode }},
	{name: "unixsocket", kind: kindString, def: "", immutable: true, field: func(c *Config) any { return &c.UnixSocket }},
	{name: "unixsocketperm", kind: kindInt, def: "0", min: 0, max: 0777, immutable: true, field: func(c *Config) any { return &c.UnixSocketPerm }},
	{name: "tcp-backlog", kind: kindInt, def: "511", min: 0, max: maxInt, immutable: true, field: func(c *Config) any { return &c.TCPBacklog }},
	{name: "timeout", kind: kindInt, def: "0", min: 0, max: maxInt, field: func(c *Config) any { return &c.Timeout }},
	{name: "tcp-keepalive", kind: kindInt, def: "300", min: 0, max: maxInt, field: func(c *Config) any { return &c.TCPKeepalive }},
	{name: "databases", kind: kindInt, def: "16", min: 1, max: maxInt, immutable: true, field: func(c *Config) any { return &c.Databases }},
	{name: "daemonize", kind: kindBool, def: "no", immutable: true, field: func(c *Config) any { return &c.Daemonize }},
	{name: "pidfile", kind: kindString, def: "", immutable: true, field: func(c *Config) any { return &c.PidFile }},
	{name: "logfile", kind: kindString, def: "", immutable: true, field: func(c *Config) any { return &c.LogFile }},
	{name: "loglevel", kind: kindEnum, def: "notice", enum: []string{"debug", "verbose", "notice", "warning", "nothing"}, field: func(c *Config) any { return &c.LogLevel }},
	{name: "dir", kind: kindString, def: ".", field: func(c *Config) any { return &c.Dir }},
	{name: "hz", kind: kindInt, def: "10", min: 0, max: maxInt, field: func(c *Config) any { return &c.Hz }},
	{name: "dynamic-hz", kind: kindBool, def: "yes", field: func(c *Config) any { return &c.DynamicHz }},
	{name: "requirepass", kind: kindString, def: "", field: func(c *Config) any { return &c.RequirePass }},
	{name: "maxclients", kind: kindInt, def: "10000", min: 1, max: maxInt, field: func(c *Config) any { return &c.MaxClients }},
	{name: "proto-max-bulk-len", kind: kindMemory, def: "512mb", min: 1024 * 1024, max: 1<<63 - 1, field: func(c *Config) any { return &c.ProtoMaxBulkLen }},
	{name: "client-query-buffer-limit", kind: kindMemory, def: "1gb", min: 1024 * 1024, max: 1<<63 - 1, field: func(c *Config) any { return &c.ClientQueryBufferLimit }},
	{name: "enable-debug-command", kind: kindEnum, def: "no", enum: []string{"no", "yes", "local"}, immutable: true, field: func(c *Config) any { return &c.EnableDebugCommand }},
	{name: "slowlog-log-slower-than", kind: kindInt, def: "10000", min: -1, max: 1<<63 - 1, field: func(c *Config) any { return &c.SlowlogLogSlowerThan }},
	{name: "slowlog-max-len", kind: kindInt, def: "128", min: 0, max: 1<<63 - 1, field: func(c *Config) any { return &c.SlowlogMaxLen }},
	{name: "latency-monitor-threshold", kind: kindInt, def: "0", min: 0, max: 1<<63 - 1, field: func(c *Config) any { return &c.LatencyMonitorThreshold }},
	{name: "active-expire-effort", kind: kindInt, def: "1", min: 1, max: 10, field: func(c *Config) any { return &c.ActiveExpireEffort }},
	{name: "save", kind: kindString, def: "3600 1 300 100 60 10000", field: func(c *Config) any { return &c.Save }},
	{name: "appendonly", kind: kindBool, def: "no", field: func(c *Config) any { return &c.AppendOnly }},
}

var byName = func() map[string]*directive {
	m := map[string]*directive{}
	for _, d := range directives {
		m[d.name] = d
	}
	return m
}()

// Get returns the value of one directive by exact name.
func (c *Config) Get(name string) (string, bool) {
	d, ok := byName[strings.ToLower(name)]
	if !ok {
		return "", false
	}
	return d.get(c), true
}

// SetFromArgs applies one directive as the file parser or --name does.
func (c *Config) SetFromArgs(name string, args []string) error {
	d, ok := byName[strings.ToLower(name)]
	if !ok {
		return fmt.Errorf("Bad directive or wrong number of arguments")
	}
	return d.set(c, strings.Join(args, " "))
}
