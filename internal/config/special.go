// special.go implements the directives with their own syntax (Redis's
// "special configs"): dir, save, client-output-buffer-limit,
// oom-score-adj-values, notify-keyspace-events, bind, replicaof and
// latency-tracking-info-percentiles.
package config

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/redoubt/redoubt/internal/logging"
)

var specialDir = &special{
	init: func(c *Config) { c.Dir, _ = os.Getwd() },
	set: func(c *Config, p *parser, args []string) error {
		if len(args) != 1 {
			return errorf("wrong number of arguments")
		}
		if c.Chdir != nil {
			if err := c.Chdir(args[0]); err != nil {
				return errorf(logging.Strerror(err))
			}
			if !filepath.IsAbs(args[0]) {
				c.Dir = filepath.Join(c.Dir, args[0])
			} else {
				c.Dir = filepath.Clean(args[0])
			}
			return nil
		}
		if err := os.Chdir(args[0]); err != nil {
			return errorf(logging.Strerror(err))
		}
		c.Dir, _ = os.Getwd()
		return nil
	},
	get: func(c *Config) string { return c.Dir },
	rewrite: func(c *Config, name string, st *rewriteState) {
		st.rewriteLine(name, name+" "+repr(c.Dir), true)
	},
}

var specialSave = &special{
	init: func(c *Config) {
		c.SaveParams = []SaveParam{{3600, 1}, {300, 100}, {60, 10000}}
		c.Save = saveString(c.SaveParams)
	},
	set: func(c *Config, p *parser, args []string) error {
		if len(args) == 1 && args[0] == "" {
			c.SaveParams = nil
			args = nil
		}
		if len(args)%2 != 0 {
			return errorf("Invalid save parameters")
		}
		for j, a := range args {
			v, ok := strtoll(a)
			if !ok || (j%2 == 0 && v < 1) || (j%2 == 1 && v < 0) {
				return errorf("Invalid save parameters")
			}
		}
		// While reading the file, lines accumulate: only the first save
		// line replaces the defaults.
		if p == nil || !p.reading {
			c.SaveParams = nil
		} else if !p.shared.saveLoaded {
			p.shared.saveLoaded = true
			c.SaveParams = nil
		}
		for j := 0; j < len(args); j += 2 {
			secs, _ := strtoll(args[j])
			changes, _ := strtoll(args[j+1])
			c.SaveParams = append(c.SaveParams, SaveParam{Seconds: secs, Changes: int(int32(changes))})
		}
		c.Save = saveString(c.SaveParams)
		return nil
	},
	get: func(c *Config) string { return saveString(c.SaveParams) },
	rewrite: func(c *Config, name string, st *rewriteState) {
		if c.SentinelMode {
			// a sentinel has no dataset: Redis drops its save lines
			st.markProcessed(name)
			return
		}
		if len(c.SaveParams) == 0 {
			st.rewriteLine(name, `save ""`, true)
		}
		for _, sp := range c.SaveParams {
			st.rewriteLine(name, "save "+strconv.FormatInt(sp.Seconds, 10)+" "+strconv.Itoa(sp.Changes), true)
		}
		st.markProcessed(name)
	},
}

func saveString(ps []SaveParam) string {
	parts := make([]string, 0, 2*len(ps))
	for _, sp := range ps {
		parts = append(parts, strconv.FormatInt(sp.Seconds, 10), strconv.Itoa(sp.Changes))
	}
	return strings.Join(parts, " ")
}

var defaultOutputBuffer = [numClasses]OutputBufferLimit{
	{0, 0, 0},
	{256 << 20, 64 << 20, 60},
	{32 << 20, 8 << 20, 60},
}

var classNames = [numClasses]string{"normal", "slave", "pubsub"}

var specialCobl = &special{
	init: func(c *Config) { c.ClientOutputBuffer = defaultOutputBuffer },
	set: func(c *Config, p *parser, args []string) error {
		if len(args)%4 != 0 {
			return errorf("Wrong number of arguments in buffer limit configuration.")
		}
		vals := c.ClientOutputBuffer
		for j := 0; j < len(args); j += 4 {
			class := -1
			switch strings.ToLower(args[j]) {
			case "normal":
				class = ClassNormal
			case "slave", "replica":
				class = ClassReplica
			case "pubsub":
				class = ClassPubSub
			}
			if class < 0 {
				return errorf("Invalid client class specified in buffer limit configuration.")
			}
			hard, herr := memToUint(args[j+1])
			soft, serr := memToUint(args[j+2])
			secs, ok := strtoll(args[j+3])
			secs = int64(int32(secs))
			if herr != nil || serr != nil || !ok || secs < 0 {
				return errorf("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
			}
			vals[class] = OutputBufferLimit{Hard: hard, Soft: soft, SoftSeconds: secs}
		}
		c.ClientOutputBuffer = vals
		return nil
	},
	get: func(c *Config) string {
		parts := make([]string, 0, numClasses)
		for i, l := range c.ClientOutputBuffer {
			parts = append(parts, classNames[i]+" "+strconv.FormatUint(l.Hard, 10)+" "+
				strconv.FormatUint(l.Soft, 10)+" "+strconv.FormatInt(l.SoftSeconds, 10))
		}
		return strings.Join(parts, " ")
	},
	rewrite: func(c *Config, name string, st *rewriteState) {
		for i, l := range c.ClientOutputBuffer {
			class := classNames[i]
			if class == "slave" {
				class = "replica"
			}
			line := name + " " + class + " " + formatMemory(int64(l.Hard)) + " " +
				formatMemory(int64(l.Soft)) + " " + strconv.FormatInt(l.SoftSeconds, 10)
			st.rewriteLine(name, line, l != defaultOutputBuffer[i])
		}
	},
}

var defaultOOMValues = [3]int{0, 200, 800}

var specialOomvalues = &special{
	init: func(c *Config) { c.OOMScoreAdjValues = defaultOOMValues },
	set: func(c *Config, p *parser, args []string) error {
		if len(args) != 3 {
			return errorf("wrong number of arguments")
		}
		var vals [3]int
		for i, a := range args {
			v, ok := strtoll(a)
			if !ok || v < -2000 || v > 2000 {
				return errorf("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
			}
			vals[i] = int(v)
		}
		c.OOMScoreAdjValues = vals
		return nil
	},
	get: func(c *Config) string {
		v := c.OOMScoreAdjValues
		return strconv.Itoa(v[0]) + " " + strconv.Itoa(v[1]) + " " + strconv.Itoa(v[2])
	},
	rewrite: func(c *Config, name string, st *rewriteState) {
		v := c.OOMScoreAdjValues
		line := name + " " + strconv.Itoa(v[0]) + " " + strconv.Itoa(v[1]) + " " + strconv.Itoa(v[2])
		st.rewriteLine(name, line, v != defaultOOMValues)
	},
}

// Keyspace notification classes, Redis's NOTIFY_* bits.
const (
	NotifyKeyspace = 1 << iota
	NotifyKeyevent
	NotifyGeneric
	NotifyString
	NotifyList
	NotifySet
	NotifyHash
	NotifyZset
	NotifyExpired
	NotifyEvicted
	NotifyStream
	NotifyKeyMiss
	NotifyLoaded
	NotifyModule
	NotifyNew
	NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash | NotifyZset |
		NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule
)

// ParseNotifyFlags turns "KEA"-style classes into bits; ok is false on an
// unknown character.
func ParseNotifyFlags(s string) (int, bool) {
	flags := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A':
			flags |= NotifyAll
		case 'g':
			flags |= NotifyGeneric
		case '$':
			flags |= NotifyString
		case 'l':
			flags |= NotifyList
		case 's':
			flags |= NotifySet
		case 'h':
			flags |= NotifyHash
		case 'z':
			flags |= NotifyZset
		case 'x':
			flags |= NotifyExpired
		case 'e':
			flags |= NotifyEvicted
		case 'K':
			flags |= NotifyKeyspace
		case 'E':
			flags |= NotifyKeyevent
		case 't':
			flags |= NotifyStream
		case 'm':
			flags |= NotifyKeyMiss
		case 'd':
			flags |= NotifyModule
		case 'n':
			flags |= NotifyNew
		default:
			return 0, false
		}
	}
	return flags, true
}

// NotifyFlagsString prints notification bits as Redis does.
func NotifyFlagsString(flags int) string {
	var b strings.Builder
	if flags&NotifyAll == NotifyAll {
		b.WriteByte('A')
	} else {
		for _, f := range []struct {
			bit int
			ch  byte
		}{{NotifyGeneric, 'g'}, {NotifyString, '$'}, {NotifyList, 'l'}, {NotifySet, 's'}, {NotifyHash, 'h'},
			{NotifyZset, 'z'}, {NotifyExpired, 'x'}, {NotifyEvicted, 'e'}, {NotifyStream, 't'},
			{NotifyModule, 'd'}, {NotifyNew, 'n'}} {
			if flags&f.bit != 0 {
				b.WriteByte(f.ch)
			}
		}
	}
	if flags&NotifyKeyspace != 0 {
		b.WriteByte('K')
	}
	if flags&NotifyKeyevent != 0 {
		b.WriteByte('E')
	}
	if flags&NotifyKeyMiss != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

var specialNotify = &special{
	set: func(c *Config, p *parser, args []string) error {
		if len(args) != 1 {
			return errorf("wrong number of arguments")
		}
		f, ok := ParseNotifyFlags(args[0])
		if !ok {
			return errorf("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
		}
		c.NotifyKeyspaceEvents = f
		return nil
	},
	get: func(c *Config) string { return NotifyFlagsString(c.NotifyKeyspaceEvents) },
	rewrite: func(c *Config, name string, st *rewriteState) {
		st.rewriteLine(name, name+" "+repr(NotifyFlagsString(c.NotifyKeyspaceEvents)), c.NotifyKeyspaceEvents != 0)
	},
}

var defaultBind = []string{"*", "-::*"}

var specialBind = &special{
	init: func(c *Config) { c.Bind = append([]string(nil), defaultBind...) },
	set: func(c *Config, p *parser, args []string) error {
		if len(args) > 16 {
			return errorf("Too many bind addresses specified.")
		}
		if len(args) == 1 && args[0] == "" {
			args = nil
		}
		c.Bind = append([]string{}, args...)
		return nil
	},
	get: func(c *Config) string { return strings.Join(c.Bind, " ") },
	rewrite: func(c *Config, name string, st *rewriteState) {
		if strings.Join(c.Bind, "\x00") == strings.Join(defaultBind, "\x00") {
			st.markProcessed(name)
			return
		}
		addrs := `""`
		if len(c.Bind) > 0 {
			addrs = strings.Join(c.Bind, " ")
		}
		st.rewriteLine(name, name+" "+addrs, true)
	},
}

var specialReplicaof = &special{
	set: func(c *Config, p *parser, args []string) error {
		if len(args) != 2 {
			return errorf("wrong number of arguments")
		}
		c.MasterHost = ""
		if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
			return nil
		}
		port, ok := strtoll(args[1])
		if !ok || port < 0 || port > 65535 {
			return errorf("Invalid master port")
		}
		c.MasterPort = int(port)
		c.MasterHost = args[0]
		return nil
	},
	get: func(c *Config) string {
		if c.MasterHost == "" {
			return ""
		}
		return c.MasterHost + " " + strconv.Itoa(c.MasterPort)
	},
	rewrite: func(c *Config, name string, st *rewriteState) {
		if c.ClusterEnabled || c.MasterHost == "" {
			st.markProcessed(name)
			return
		}
		st.rewriteLine(name, name+" "+c.MasterHost+" "+strconv.Itoa(c.MasterPort), true)
	},
}

var specialPercentiles = &special{
	init: func(c *Config) { c.LatencyPercentiles = []float64{50, 99, 99.9} },
	set: func(c *Config, p *parser, args []string) error {
		c.LatencyPercentiles = nil
		if len(args) == 1 && args[0] == "" {
			return nil
		}
		vals := make([]float64, 0, len(args))
		for _, a := range args {
			f, ok := string2d(a)
			if !ok {
				return errorf("Invalid latency-tracking-info-percentiles parameters")
			}
			if f > 100 || f < 0 {
				return errorf("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
			}
			vals = append(vals, f)
		}
		c.LatencyPercentiles = vals
		return nil
	},
	get: func(c *Config) string {
		parts := make([]string, len(c.LatencyPercentiles))
		for i, f := range c.LatencyPercentiles {
			parts[i] = trimDouble(f)
		}
		return strings.Join(parts, " ")
	},
	rewrite: func(c *Config, name string, st *rewriteState) {
		line := name + ` ""`
		if len(c.LatencyPercentiles) > 0 {
			line = name
			for _, f := range c.LatencyPercentiles {
				line += " " + trimDouble(f)
			}
		}
		st.rewriteLine(name, line, true)
	},
}

// trimDouble prints f as "%f" without trailing zeros, as Redis's
// trimDoubleString.
func trimDouble(f float64) string {
	s := strconv.FormatFloat(f, 'f', 6, 64)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

// string2d is Redis's strict float parser: the whole string, no leading
// space, no NaN, no overflow.
func string2d(s string) (float64, bool) {
	if s == "" || isCSpace(s[0]) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || strings.ContainsRune(s, '_') {
		return 0, false
	}
	return f, true
}

func isCSpace(b byte) bool { return b == ' ' || (b >= '\t' && b <= '\r') }
