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
			switch fl {
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
			case "":
			default:
				return f, "", errors.New("ERR Unexpected flag in script shebang: " + fl)
			}
		}
	}
	return f, "--" + body[2:], nil
}
