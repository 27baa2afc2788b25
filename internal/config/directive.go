// directive.go defines one row of the directive table and how the common
// kinds (yes/no, numbers with units, strings, enums) are parsed, printed
// and validated, with Redis's error texts.
package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// kind is how a directive's value is parsed and printed.
type kind int

const (
	kindBool kind = iota
	kindNum
	kindString
	kindEnum
	kindSpecial
)

// Directive flags.
const (
	fImmutable   = 1 << iota // CONFIG SET refuses it
	fNotImpl                 // accepted, not implemented by redoubt yet
	fHidden                  // only an exact CONFIG GET shows it
	fMulti                   // value is several words
	fNull                    // "" means unset (not written by REWRITE)
	fProtected               // CONFIG SET needs enable-protected-configs
	fSensitive               // value hidden from logs
	fMemory                  // number accepts units, printed in bytes
	fPercent                 // number accepts "N%", stored negative
	fOctal                   // number in octal
	fUnsigned                // bounds compared as unsigned, as C's unsigned types
	fDenyLoading             // refused while loading
)

// enumVal is one accepted word of an enum and the value it stands for;
// several words may share a value, the first one is printed.
type enumVal struct {
	name string
	val  int
}

// special implements a directive with its own syntax.
type special struct {
	init    func(c *Config)
	set     func(c *Config, p *parser, args []string) error // p is nil for CONFIG SET
	get     func(c *Config) string
	rewrite func(c *Config, name string, st *rewriteState)
}

// directive is one row of the table.
type directive struct {
	name, alias string
	kind        kind
	flags       int
	def         string
	min, max    int64 // for fUnsigned, compared as uint64
	enum        []enumVal
	valid       func(v string) error // extra check of strings
	after       func(c *Config)      // normalises after a set (hz capping)
	special     *special
	field       func(c *Config) any // pointer to the typed field; nil = generic storage
}

func (d *directive) has(f int) bool { return d.flags&f != 0 }

func (d *directive) ptr(c *Config) any {
	if d.field != nil {
		return d.field(c)
	}
	return c.generic[d.name]
}

// set parses args and stores them. changed is false when the value is
// the same as before (Redis's "2" result), which skips apply hooks.
func (d *directive) set(c *Config, p *parser, args []string) (changed bool, err error) {
	if d.kind == kindSpecial {
		before := d.special.get(c)
		if err := d.special.set(c, p, args); err != nil {
			return false, err
		}
		return d.special.get(c) != before, nil
	}
	v := ""
	if d.kind == kindEnum && d.has(fMulti) {
		n, err := d.enumFlags(args)
		if err != nil {
			return false, err
		}
		p := d.ptr(c)
		switch q := p.(type) {
		case *int:
			changed = *q != n
			*q = n
		case *int64:
			changed = *q != int64(n)
			*q = int64(n)
		}
		return changed, nil
	}
	if len(args) > 0 {
		v = args[0]
	}
	before := d.get(c)
	switch d.kind {
	case kindBool:
		var b bool
		switch strings.ToLower(v) {
		case "yes":
			b = true
		case "no":
		default:
			return false, fmt.Errorf("argument must be 'yes' or 'no'")
		}
		if d.valid != nil {
			if err := d.valid(v); err != nil {
				return false, err
			}
		}
		*d.ptr(c).(*bool) = b
	case kindNum:
		n, err := d.parseNum(v)
		if err != nil {
			return false, err
		}
		switch q := d.ptr(c).(type) {
		case *int:
			*q = int(n)
		case *int64:
			*q = n
		case *uint64:
			*q = uint64(n)
		}
	case kindString:
		if d.valid != nil {
			if err := d.valid(v); err != nil {
				return false, err
			}
		}
		*d.ptr(c).(*string) = v
	case kindEnum:
		name := ""
		lv := strings.ToLower(v)
		for _, e := range d.enum {
			if e.name == lv {
				name = d.enumName(e.val)
				break
			}
		}
		if name == "" {
			return false, d.enumError()
		}
		*d.ptr(c).(*string) = name
	}
	if d.after != nil {
		d.after(c)
	}
	return d.get(c) != before, nil
}

func (d *directive) enumError() error {
	names := make([]string, len(d.enum))
	for i, e := range d.enum {
		names[i] = e.name
	}
	return fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(names, ", "))
}

// enumName is the first word standing for val.
func (d *directive) enumName(val int) string {
	for _, e := range d.enum {
		if e.val == val {
			return e.name
		}
	}
	return "unknown"
}

func (d *directive) enumValue(name string) int {
	for _, e := range d.enum {
		if e.name == name {
			return e.val
		}
	}
	return 0
}

// enumFlags ORs several enum words, as Redis's bit-flag enums.
func (d *directive) enumFlags(args []string) (int, error) {
	if len(args) == 0 {
		return 0, d.enumError()
	}
	n := 0
	for _, a := range args {
		ok := false
		for _, e := range d.enum {
			if strings.EqualFold(a, e.name) {
				n |= e.val
				ok = true
			}
		}
		if !ok {
			return 0, d.enumError()
		}
	}
	if d.valid != nil {
		if err := d.valid(strconv.Itoa(n)); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// flagsName prints a bit-flag enum value as Redis's configEnumGetName.
func (d *directive) flagsName(n int) string {
	var names []string
	rest := n
	for _, e := range d.enum {
		if e.val == n {
			return e.name
		}
		if e.val != 0 && e.val == rest&e.val {
			names = append(names, e.name)
			rest &^= e.val
		}
	}
	if len(names) == 0 || rest != 0 {
		return "unknown"
	}
	return strings.Join(names, " ")
}

func (d *directive) parseNum(v string) (int64, error) {
	n, ok := int64(0), false
	if d.has(fMemory) {
		if u, err := memToUint(v); err == nil {
			n, ok = int64(u), true
		}
	}
	if !ok && d.has(fPercent) && len(v) > 1 && v[len(v)-1] == '%' {
		if p, good := string2ll(v[:len(v)-1]); good && p >= 0 {
			n, ok = -p, true
		}
	}
	if !ok && d.has(fOctal) {
		n, ok = strtollOctal(v)
	}
	if !ok && !d.has(fMemory|fPercent|fOctal) {
		n, ok = string2ll(v)
	}
	if !ok {
		switch {
		case d.has(fMemory) && d.has(fPercent):
			return 0, fmt.Errorf("argument must be a memory or percent value")
		case d.has(fMemory):
			return 0, fmt.Errorf("argument must be a memory value")
		case d.has(fOctal):
			return 0, fmt.Errorf("argument couldn't be parsed as an octal number")
		}
		return 0, fmt.Errorf("argument couldn't be parsed into an integer")
	}
	if d.has(fUnsigned) {
		if uint64(n) > uint64(d.max) || uint64(n) < uint64(d.min) {
			if d.has(fOctal) {
				return 0, fmt.Errorf("argument must be between %o and %o inclusive", uint64(d.min), uint64(d.max))
			}
			return 0, fmt.Errorf("argument must be between %d and %d inclusive", uint64(d.min), uint64(d.max))
		}
		return n, nil
	}
	if d.has(fPercent) && n < 0 {
		if n < d.min {
			return 0, fmt.Errorf("percentage argument must be less or equal to %d", -d.min)
		}
		return n, nil
	}
	if n > d.max || n < d.min {
		return 0, fmt.Errorf("argument must be between %d and %d inclusive", d.min, d.max)
	}
	return n, nil
}

// strtollOctal mimics strtoll(s, &end, 8) with a check that end reached
// the end of s and no overflow happened.
func strtollOctal(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if t == "" {
		return 0, false
	}
	u, err := strconv.ParseUint(t, 8, 63)
	if err != nil || strings.ContainsAny(t, "_") {
		return 0, false
	}
	if neg {
		return -int64(u), true
	}
	return int64(u), true
}

func (d *directive) num(c *Config) int64 {
	switch q := d.ptr(c).(type) {
	case *int:
		return int64(*q)
	case *int64:
		return *q
	case *uint64:
		return int64(*q)
	}
	return 0
}

// get prints the value as CONFIG GET does.
func (d *directive) get(c *Config) string {
	switch d.kind {
	case kindSpecial:
		return d.special.get(c)
	case kindBool:
		if *d.ptr(c).(*bool) {
			return "yes"
		}
		return "no"
	case kindNum:
		n := d.num(c)
		switch {
		case d.has(fPercent) && n < 0:
			return strconv.FormatInt(-n, 10) + "%"
		case d.has(fMemory):
			return strconv.FormatUint(uint64(n), 10)
		case d.has(fOctal):
			return strconv.FormatInt(n, 8)
		}
		return strconv.FormatInt(n, 10)
	case kindEnum:
		if d.has(fMulti) {
			return d.flagsName(int(d.num(c)))
		}
		return *d.ptr(c).(*string)
	default:
		return *d.ptr(c).(*string)
	}
}

// memToUint parses a memory amount as Redis's memtoull: digits, then an
// optional unit (b, k=1000, kb=1024, m, mb, g, gb; any case). Overflowing
// digits saturate and the multiplication wraps, as in C.
func memToUint(s string) (uint64, error) {
	bad := fmt.Errorf("argument must be a memory value")
	if strings.HasPrefix(s, "-") {
		return 0, bad
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var mul uint64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, bad
	}
	if i >= 128 {
		return 0, bad
	}
	var v uint64
	for _, ch := range s[:i] {
		d := uint64(ch - '0')
		if v > (math.MaxUint64-d)/10 {
			v = math.MaxUint64
			break
		}
		v = v*10 + d
	}
	return v * mul, nil
}

// ParseMemory parses a memory amount with Redis's units.
func ParseMemory(s string) (int64, error) {
	u, err := memToUint(s)
	return int64(u), err
}

// string2ll is Redis's strict integer parser: no spaces, no '+', no
// leading zeros, no overflow.
func string2ll(s string) (int64, bool) {
	if s == "" || len(s) >= 21 {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	p := s
	neg := false
	if p[0] == '-' {
		neg = true
		p = p[1:]
		if p == "" {
			return 0, false
		}
	}
	if p[0] < '1' || p[0] > '9' {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(p); i++ {
		ch := p[i]
		if ch < '0' || ch > '9' {
			return 0, false
		}
		if v > math.MaxUint64/10 {
			return 0, false
		}
		v *= 10
		if v > math.MaxUint64-uint64(ch-'0') {
			return 0, false
		}
		v += uint64(ch - '0')
	}
	if neg {
		if v > uint64(math.MaxInt64)+1 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// strtoll mimics C's strtoll(s, &end, 10) followed by a check that end
// reached the end of s: leading spaces and a sign are accepted, an empty
// string parses as 0, overflow saturates.
func strtoll(s string) (int64, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	digits := i
	var v uint64
	over := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if v > (math.MaxUint64-9)/10 {
			over = true
		} else {
			v = v*10 + uint64(s[i]-'0')
		}
		i++
	}
	if i == digits {
		// No digits: nothing consumed, end points at the start of s.
		return 0, len(s) == 0
	}
	if i != len(s) {
		return 0, false
	}
	if neg {
		if over || v > uint64(math.MaxInt64)+1 {
			return math.MinInt64, true
		}
		return -int64(v), true
	}
	if over || v > math.MaxInt64 {
		return math.MaxInt64, true
	}
	return int64(v), true
}
