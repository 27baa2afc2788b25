// api.go is what the CONFIG command needs from the table: GET with glob
// patterns, SET of several directives at once (all or nothing) and the
// names for logs. Error texts are Redis's, without the "ERR " prefix.
package config

import (
	"fmt"
	"github.com/redoubt/redoubt/internal/glob"
	"strings"
)

// GetMatching returns name/value pairs for CONFIG GET: exact names (any
// case, reported as typed) and glob patterns (matched case-insensitively
// against every name and alias except hidden ones), each directive name
// once, in the order found.
func (c *Config) GetMatching(patterns []string) [][2]string {
	var out [][2]string
	seen := map[string]bool{}
	add := func(key string, d *directive) {
		lk := strings.ToLower(key)
		if seen[lk] {
			return
		}
		seen[lk] = true
		out = append(out, [2]string{key, d.get(c)})
	}
	for _, p := range patterns {
		if !strings.ContainsAny(p, "[*?") {
			if e, ok := lookup(p); ok {
				add(p, e.d)
			}
			continue
		}
		for _, d := range directives {
			if d.has(fHidden) {
				continue
			}
			if glob.MatchString(p, d.name, true) {
				add(d.name, d)
			}
			if d.alias != "" && glob.MatchString(p, d.alias, true) {
				add(d.alias, d)
			}
		}
	}
	return out
}

// SetError is a failed CONFIG SET; its text follows "ERR ".
type SetError struct{ Msg string }

func (e *SetError) Error() string { return e.Msg }

func setFailed(name string, err error) error {
	return &SetError{fmt.Sprintf("CONFIG SET failed (possibly related to argument '%s') - %s", name, err.Error())}
}

// splitSetValue splits a CONFIG SET value of a multi-word directive on
// single spaces, as Redis's sdssplitlen (empty words kept, "" is none).
func splitSetValue(d *directive, v string) []string {
	if !d.has(fMulti) {
		return []string{v}
	}
	if v == "" {
		return nil
	}
	return strings.Split(v, " ")
}

// SetMany is CONFIG SET name value [name value ...]: every name is
// checked first, then values are set in order; any failure restores all
// previous values. local tells whether the client may change protected
// directives under enable-protected-configs local.
func (c *Config) SetMany(pairs [][2]string, local bool) error {
	entries := make([]entry, len(pairs))
	var unknown, errName string
	var failure string
	for i, p := range pairs {
		e, ok := lookup(p[0])
		if !ok {
			if unknown == "" && errName == "" {
				unknown = p[0]
			}
			continue
		}
		if unknown != "" || errName != "" {
			continue
		}
		d := e.d
		if d.has(fImmutable) || (d.has(fProtected) && !allowProtected(c.EnableProtectedConfigs, local)) {
			failure = "can't set protected config"
			if d.has(fImmutable) {
				failure = "can't set immutable config"
			}
			errName = p[0]
			continue
		}
		for j := 0; j < i; j++ {
			// Redis registers an alias as its own entry, so a directive
			// and its alias in one CONFIG SET are not duplicates.
			if entries[j].d != nil && entries[j].name == e.name {
				failure, errName = "duplicate parameter", p[0]
				break
			}
		}
		entries[i] = e
	}
	if unknown != "" {
		return &SetError{fmt.Sprintf("Unknown option or number of arguments for CONFIG SET - '%s'", unknown)}
	}
	if errName != "" {
		return &SetError{fmt.Sprintf("CONFIG SET failed (possibly related to argument '%s') - %s", errName, failure)}
	}
	old := make([]string, len(pairs))
	for i, e := range entries {
		old[i] = e.d.get(c)
	}
	restore := func(n int) {
		for i := 0; i < n; i++ {
			d := entries[i].d
			d.set(c, nil, splitSetValue(d, old[i]))
		}
	}
	var changed []string
	var applies []func() error
	var applyOwner []string
	for i, e := range entries {
		ch, err := e.d.set(c, nil, splitSetValue(e.d, pairs[i][1]))
		if err != nil {
			restore(i + 1)
			return setFailed(e.name, err)
		}
		if !ch {
			continue
		}
		changed = append(changed, e.d.name)
		if fn := c.appliers[e.d.name]; fn != nil {
			applies = append(applies, fn)
			applyOwner = append(applyOwner, e.name)
		}
	}
	for i, fn := range applies {
		if err := fn(); err != nil {
			restore(len(entries))
			for _, again := range applies {
				again()
			}
			return setFailed(applyOwner[i], err)
		}
	}
	if c.OnChange != nil && len(changed) > 0 {
		c.OnChange(changed)
	}
	return nil
}

func allowProtected(setting string, local bool) bool {
	return setting == "yes" || (setting == "local" && local)
}

// ProtectedAllowed tells whether a client may use a protected feature
// under an enable-* directive ("no", "yes", "local").
func ProtectedAllowed(setting string, local bool) bool { return allowProtected(setting, local) }

// IsSensitive reports whether CONFIG SET's value for name must be hidden
// from slowlog and monitor output.
func IsSensitive(name string) bool {
	e, ok := lookup(name)
	return ok && e.d.has(fSensitive)
}
