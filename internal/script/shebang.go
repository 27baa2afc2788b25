package script

import (
	"errors"
	"strings"
)

// Flags are the script flags a "#!lua flags=..." first line declares.
type Flags struct {
	Shebang                                   bool // the script has a shebang line
	NoWrites, AllowOOM, AllowStale, NoCluster bool
	AllowCrossSlot                            bool
}

// parseShebang reads a leading "#!lua [flags=a,b]" line as Redis 7.0 does
// for EVAL; the line is then compiled as a comment so line numbers hold.
func parseShebang(body string) (Flags, string, error) {
	var f Flags
	if !strings.HasPrefix(body, "#!") {
		return f, body, nil
	}
	nl := strings.IndexByte(body, '\n')
	if nl < 0 {
		return f, "", errors.New("ERR Invalid script shebang")
	}
	parts := strings.Fields(body[:nl])
	if len(parts) == 0 || parts[0] != "#!lua" {
		eng := ""
		if len(parts) > 0 {
			eng = parts[0]
		}
		return f, "", errors.New("ERR Unexpected engine in script shebang: " + eng)
	}
	f.Shebang = true
	for _, p := range parts[1:] {
		list, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return f, "", errors.New("ERR Unknown lua shebang option: " + p)
		}
		for _, fl := range strings.Split(list, ",") {
			if fl != "" && !f.set(fl) {
				return f, "", errors.New("ERR Unexpected flag in script shebang: " + fl)
			}
		}
	}
	return f, "--" + body[2:], nil
}

// FlagNames are the script flags in Redis's order (scripts_flags_def),
// as FUNCTION LIST shows them.
var FlagNames = []string{"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"}

// set turns on the flag named name; false for an unknown name.
func (f *Flags) set(name string) bool {
	switch name {
	case "no-writes":
		f.NoWrites = true
	case "allow-oom":
		f.AllowOOM = true
	case "allow-stale":
		f.AllowStale = true
	case "no-cluster":
		f.NoCluster = true
	case "allow-cross-slot-keys":
		f.AllowCrossSlot = true
	default:
		return false
	}
	return true
}

// Names are the flags set, in FlagNames order.
func (f Flags) Names() []string {
	var out []string
	for i, on := range []bool{f.NoWrites, f.AllowOOM, f.AllowStale, f.NoCluster, f.AllowCrossSlot} {
		if on {
			out = append(out, FlagNames[i])
		}
	}
	return out
}

// ParseShebang reads the flags a script body declares, for admission
// checks that run before the script is compiled.
func ParseShebang(body []byte) (Flags, error) {
	if len(body) < 2 || body[0] != '#' || body[1] != '!' {
		return Flags{}, nil
	}
	f, _, err := parseShebang(string(body))
	return f, err
}
