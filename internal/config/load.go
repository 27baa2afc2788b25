// load.go reads redis.conf and "--name value" arguments the way
// redis-server does: the file first, then the arguments appended as if they
// were more lines of it.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/redoubt/redoubt/internal/resp"
)

// Load builds the configuration from an optional file and command-line
// arguments ("--port 7000 --save ”").
func Load(path string, args []string) (*Config, error) {
	c := Default()
	var text strings.Builder
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("Fatal error, can't open config file '%s': %v", path, err)
		}
		c.File = abs
		text.Write(data)
		text.WriteByte('\n')
	}
	text.WriteString(argsToLines(args))
	if err := c.parse(text.String()); err != nil {
		return nil, err
	}
	return c, nil
}

// argsToLines turns "--port 7000 --bind a b" into config lines.
func argsToLines(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if strings.HasPrefix(a, "--") && len(a) > 2 {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(a[2:])
			continue
		}
		b.WriteByte(' ')
		b.WriteString(quote(a))
	}
	b.WriteByte('\n')
	return b.String()
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`).Replace(s) + `"`
}

func (c *Config) parse(text string) error {
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
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
		name := strings.ToLower(string(words[0]))
		var vals []string
		for _, w := range words[1:] {
			vals = append(vals, string(w))
		}
		if err := c.SetFromArgs(name, vals); err != nil {
			return lineError(i+1, line, err.Error())
		}
	}
	return nil
}

func lineError(n int, line, msg string) error {
	return fmt.Errorf("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line %d\n>>> '%s'\n%s", n, line, msg)
}
