// Package proxycli is the proxy role's command line: nutcracker 0.5.0's
// flags parsed as its getopt_long does (clusters, "--long=value", unique
// prefixes of long names, arguments anywhere), and -h, -V, -D and -t with
// nutcracker's output and exit codes.
//
// The program name decides the wording. Invoked through a link named
// nutcracker, every byte matches nutcracker 0.5.0 as packaged by Debian (its
// version line, its usage text with Debian's default paths), so scripts that
// drove nutcracker see no difference. Invoked as "redoubt proxy", the texts
// name "redoubt proxy", the version line names redoubt and the nutcracker
// version it follows, the defaults are upstream twemproxy's (log to stderr,
// conf/nutcracker.yml, no pid file), and -t also prints the reason a file
// is refused (nutcracker's -t prints none: its log is not open yet).
package proxycli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/redoubt/redoubt/internal/proxy/proxyconf"
	"github.com/redoubt/redoubt/internal/proxy/proxystats"
)

// NutcrackerVersion is the twemproxy release whose behaviour we follow; it
// is also the version the stats port reports when run as nutcracker.
const NutcrackerVersion = "0.5.0"

// RedoubtVersion is set by cmd/redoubt to its own version.
var RedoubtVersion = "dev"

// Program names.
const (
	ProgNutcracker = "nutcracker"
	ProgRedoubt    = "redoubt proxy"
)

// Options are the parsed flags with the defaults of the program name.
type Options struct {
	Prog string // ProgNutcracker or ProgRedoubt

	Help          bool // -h
	Version       bool // -V (also set by -h and -D, as nutcracker does)
	TestConf      bool // -t
	Daemonize     bool // -d
	DescribeStats bool // -D

	Verbosity     int           // -v, log level 0..11 (default 5, notice)
	LogFile       string        // -o, "" = stderr
	ConfFile      string        // -c
	StatsPort     int           // -s, default 22222
	StatsAddr     string        // -a, default "0.0.0.0"
	StatsInterval time.Duration // -i, default 30 s
	PidFile       string        // -p, "" = none
	MbufSize      int           // -m, default 16384 (512..16777216)
}

// Defaults of nutcracker's options.
const (
	DefaultVerbosity = 5
	MinVerbosity     = 0
	MaxVerbosity     = 11
	DefaultStatsPort = 22222
	DefaultStatsAddr = "0.0.0.0"
	DefaultInterval  = 30000 // msec
	DefaultMbufSize  = 16384
	MinMbufSize      = 512
	MaxMbufSize      = 16777216
)

// Defaults returns the options before any flag, for prog.
func Defaults(prog string) Options {
	o := Options{Prog: prog, Verbosity: DefaultVerbosity, StatsPort: DefaultStatsPort,
		StatsAddr: DefaultStatsAddr, StatsInterval: DefaultInterval * time.Millisecond, MbufSize: DefaultMbufSize}
	if prog == ProgNutcracker {
		// Debian's build of 0.5.0, the one users replace
		o.LogFile = "/var/log/nutcracker/nutcracker.log"
		o.ConfFile = "/etc/nutcracker/nutcracker.yml"
		o.PidFile = "/run/nutcracker/nutcracker.pid"
	} else {
		o.ConfFile = "conf/nutcracker.yml"
	}
	return o
}

// UsageError is a bad command line; Error() is the line nutcracker prints
// before its usage text (with the program name).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ParseArgs parses the arguments after "redoubt proxy" (ProgRedoubt).
func ParseArgs(args []string) (Options, error) { return ParseArgsAs(ProgRedoubt, args) }

type longOpt struct {
	name   string
	hasArg bool
	short  byte
}

var longOpts = []longOpt{
	{"help", false, 'h'}, {"version", false, 'V'}, {"test-conf", false, 't'},
	{"daemonize", false, 'd'}, {"describe-stats", false, 'D'},
	{"verbose", true, 'v'}, {"output", true, 'o'}, {"conf-file", true, 'c'},
	{"stats-port", true, 's'}, {"stats-interval", true, 'i'}, {"stats-addr", true, 'a'},
	{"pid-file", true, 'p'}, {"mbuf-size", true, 'm'},
}

const shortOpts = "hVtdDv:o:c:s:i:a:p:m:"

// ParseArgsAs parses args (without the program name) as prog would.
func ParseArgsAs(prog string, args []string) (Options, error) {
	o := Defaults(prog)
	fail := func(format string, a ...any) (Options, error) {
		return o, &UsageError{Msg: prog + ": " + fmt.Sprintf(format, a...)}
	}
	missing := func(c byte) (Options, error) {
		switch c {
		case 'o', 'c', 'p':
			return fail("option -%c requires a file name", c)
		case 'm', 'v', 's', 'i':
			return fail("option -%c requires a number", c)
		case 'a':
			return fail("option -%c requires a string", c)
		}
		return fail("invalid option -- '%c'", c)
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' {
			continue // getopt moves operands to the end; nutcracker ignores them
		}
		if strings.HasPrefix(a, "--") {
			name, val, hasVal := strings.Cut(a[2:], "=")
			var match *longOpt
			ambiguous := false
			for k := range longOpts {
				lo := &longOpts[k]
				if lo.name == name {
					match, ambiguous = lo, false
					break
				}
				if strings.HasPrefix(lo.name, name) {
					if match != nil {
						ambiguous = true
					}
					match = lo
				}
			}
			if match == nil || ambiguous {
				return fail("invalid option -- '\x00'")
			}
			if !match.hasArg {
				if hasVal {
					return fail("invalid option -- '%c'", match.short)
				}
				if err := o.apply(match.short, ""); err != nil {
					return fail("%s", err.Error())
				}
				continue
			}
			if !hasVal {
				if i+1 >= len(args) {
					return missing(match.short)
				}
				i++
				val = args[i]
			}
			if err := o.apply(match.short, val); err != nil {
				return fail("%s", err.Error())
			}
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			k := strings.IndexByte(shortOpts, c)
			if k < 0 || c == ':' {
				return fail("invalid option -- '%c'", c)
			}
			if k+1 < len(shortOpts) && shortOpts[k+1] == ':' {
				val := a[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						return missing(c)
					}
					i++
					val = args[i]
				}
				if err := o.apply(c, val); err != nil {
					return fail("%s", err.Error())
				}
				break
			}
			o.apply(c, "")
		}
	}
	return o, nil
}

// atoi is nc_atoi: digits only, -1 otherwise (32-bit C int overflow).
func atoi(s string) int {
	if s == "" {
		return -1
	}
	var v int32
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		v = v*10 + int32(s[i]-'0')
	}
	if v < 0 {
		return -1
	}
	return int(v)
}

// apply sets one option; errors carry nutcracker's text without the prefix.
func (o *Options) apply(c byte, val string) error {
	switch c {
	case 'h':
		o.Help, o.Version = true, true
	case 'V':
		o.Version = true
	case 't':
		o.TestConf = true
	case 'd':
		o.Daemonize = true
	case 'D':
		o.DescribeStats, o.Version = true, true
	case 'v':
		n := atoi(val)
		if n < 0 {
			return errors.New("option -v requires a number")
		}
		o.Verbosity = n
	case 'o':
		o.LogFile = val
	case 'c':
		o.ConfFile = val
	case 's':
		n := atoi(val)
		if n < 0 {
			return errors.New("option -s requires a number")
		}
		if n < 1 || n > 65535 {
			return fmt.Errorf("option -s value %d is not a valid port", n)
		}
		o.StatsPort = n
	case 'i':
		n := atoi(val)
		if n < 0 {
			return errors.New("option -i requires a number")
		}
		o.StatsInterval = time.Duration(n) * time.Millisecond
	case 'a':
		o.StatsAddr = val
	case 'p':
		o.PidFile = val
	case 'm':
		n := atoi(val)
		if n <= 0 {
			return errors.New("option -m requires a non-zero number")
		}
		if n < MinMbufSize || n > MaxMbufSize {
			return fmt.Errorf("mbuf chunk size must be between %d and %d bytes", MinMbufSize, MaxMbufSize)
		}
		o.MbufSize = n
	}
	return nil
}

// VersionLines is what -V prints (nutcracker ends it with a blank line).
func VersionLines(prog string) string {
	if prog == ProgNutcracker {
		return "This is nutcracker-" + NutcrackerVersion + "\nasync event backend: epoll\n\n"
	}
	return "This is redoubt-" + RedoubtVersion + " (nutcracker " + NutcrackerVersion + " compatible)\nasync event backend: epoll\n\n"
}

// Usage is nutcracker's usage text for prog, CR LF line ends included.
func Usage(prog string) string {
	d := Defaults(prog)
	head := "Usage: " + prog + " "
	pad := strings.Repeat(" ", len(head))
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	return head + "[-?hVdDt] [-v verbosity level] [-o output file]\r\n" +
		pad + "[-c conf file] [-s stats port] [-a stats addr]\r\n" +
		pad + "[-i stats interval] [-p pid file] [-m mbuf size]\r\n\n" +
		"Options:\r\n" +
		"  -h, --help             : this help\r\n" +
		"  -V, --version          : show version and exit\r\n" +
		"  -t, --test-conf        : test configuration for syntax errors and exit\r\n" +
		"  -d, --daemonize        : run as a daemon\r\n" +
		"  -D, --describe-stats   : print stats description and exit\n" +
		fmt.Sprintf("  -v, --verbose=N        : set logging level (default: %d, min: %d, max: %d)\r\n", DefaultVerbosity, MinVerbosity, MaxVerbosity) +
		fmt.Sprintf("  -o, --output=S         : set logging file (default: %s)\r\n", or(d.LogFile, "stderr")) +
		fmt.Sprintf("  -c, --conf-file=S      : set configuration file (default: %s)\r\n", d.ConfFile) +
		fmt.Sprintf("  -s, --stats-port=N     : set stats monitoring port (default: %d)\r\n", DefaultStatsPort) +
		fmt.Sprintf("  -a, --stats-addr=S     : set stats monitoring ip (default: %s)\r\n", DefaultStatsAddr) +
		fmt.Sprintf("  -i, --stats-interval=N : set stats aggregation interval in msec (default: %d msec)\r\n", DefaultInterval) +
		fmt.Sprintf("  -p, --pid-file=S       : set pid file (default: %s)\r\n", or(d.PidFile, "off")) +
		fmt.Sprintf("  -m, --mbuf-size=N      : set size of mbuf chunk in bytes (default: %d bytes)\r\n\n", DefaultMbufSize)
}

// Main does what nutcracker's main does before running: it parses args,
// handles -h/-V/-D (exit 0), bad flags (message and usage, exit 1) and -t
// (exit 0 or 1). run is true when the proxy should start with opts; then
// code is meaningless. Everything is written to stderr, as nutcracker does.
func Main(prog string, args []string, stderr io.Writer) (opts Options, code int, run bool) {
	opts, err := ParseArgsAs(prog, args)
	if err != nil {
		fmt.Fprintln(stderr, err.Error())
		io.WriteString(stderr, Usage(prog))
		return opts, 1, false
	}
	if opts.Version {
		io.WriteString(stderr, VersionLines(prog))
		if opts.Help {
			io.WriteString(stderr, Usage(prog))
		}
		if opts.DescribeStats {
			proxystats.Describe(stderr)
		}
		return opts, 0, false
	}
	if opts.TestConf {
		if TestConf(opts, stderr) {
			return opts, 0, false
		}
		return opts, 1, false
	}
	return opts, 0, true
}

// TestConf is -t: it reports whether the configuration file is valid, with
// nutcracker's lines (twice "invalid" when the file was read but refused:
// once by the parser, once by -t; once when it could not be opened).
func TestConf(opts Options, stderr io.Writer) bool {
	_, err := proxyconf.Load(opts.ConfFile)
	if err == nil {
		fmt.Fprintf(stderr, "%s: configuration file '%s' syntax is ok\n", opts.Prog, opts.ConfFile)
		return true
	}
	invalid := fmt.Sprintf("%s: configuration file '%s' syntax is invalid\n", opts.Prog, opts.ConfFile)
	if opts.Prog != ProgNutcracker {
		fmt.Fprintf(stderr, "%s: %s\n", opts.Prog, err)
	}
	if !strings.HasPrefix(err.Error(), "conf: failed to open") {
		io.WriteString(stderr, invalid)
	}
	io.WriteString(stderr, invalid)
	return false
}
