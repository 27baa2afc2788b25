// Package acl models Redis 7.0 ACL users: passwords, flags, command
// permissions (kept as a set of allowed command rows, as Redis keeps a
// bitmap), key and channel patterns and selectors; rule parsing with
// Redis's error texts and the canonical rule strings ACL LIST prints.
package acl

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/redoubt/redoubt/internal/command"
	"github.com/redoubt/redoubt/internal/glob"
)

// Categories in the order Redis 7.0 lists and describes them.
var Categories = []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash",
	"string", "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting"}

// Key permission bits of a pattern.
const (
	KeyRead  = 1
	KeyWrite = 2
)

// KeyPattern is one ~, %R~ or %W~ pattern.
type KeyPattern struct {
	Pattern string
	Flags   int
}

// Selector is a set of permissions: the root one of a user or a "(...)".
type Selector struct {
	allowed map[*command.Command]bool
	// firstArgs are "+select|0" rules: first arguments allowed for a
	// command that is not allowed as a whole.
	firstArgs   map[*command.Command][]string
	allFuture   bool // set only by +@all/allcommands, as Redis's reserved bit
	allKeys     bool
	keys        []KeyPattern
	allChannels bool
	channels    []string
}

// User is an ACL user.
type User struct {
	Name      string
	Enabled   bool
	NoPass    bool
	sanitize  int      // 0 none, 1 sanitize-payload, 2 skip-sanitize-payload
	Passwords []string // sha256 hex, in insertion order
	Root      *Selector
	Selectors []*Selector
	// pubsubAll is acl-pubsub-default=allchannels, which "reset" applies.
	pubsubAll bool
}

func newSelector() *Selector { return &Selector{allowed: map[*command.Command]bool{}} }

// NewUser returns a user as ACL SETUSER creates it: off, no permissions.
func NewUser(name string) *User {
	return &User{Name: name, Root: newSelector()}
}

// NewDefaultUser returns Redis 7's default user: on nopass ~* &* +@all.
func NewDefaultUser() *User {
	u := NewUser("default")
	for _, r := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		if err := u.SetRule(r); err != nil {
			panic(err)
		}
	}
	return u
}

// HashPassword returns the sha256 hex Redis stores for a password.
func HashPassword(p string) string {
	h := sha256.Sum256([]byte(p))
	return hex.EncodeToString(h[:])
}

// CheckPassword reports whether pass authenticates u (ignoring on/off).
func (u *User) CheckPassword(pass string) bool {
	if u.NoPass {
		return true
	}
	h := HashPassword(pass)
	for _, p := range u.Passwords {
		if p == h {
			return true
		}
	}
	return false
}

var (
	errSyntax        = errors.New("Syntax error")
	errFirstArgOfSub = errors.New("Allowing first-arg of a subcommand is not supported")
	errUnknownCmd    = errors.New("Unknown command or category name in ACL")
	errBadHash       = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	errNoSuchPass    = errors.New("The password you are trying to remove from the user does not exist")
	errKeysAfterAll  = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	errChansAfterAll = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
)

// ModifierError is a rule error as ACL SETUSER words it.
type ModifierError struct {
	Op  string
	Err error
}

func (e *ModifierError) Error() string {
	return "ERR Error in ACL SETUSER modifier '" + e.Op + "': " + e.Err.Error()
}

// SetRules applies rules in order, joining "(...)" selectors split over
// several arguments as Redis does. On error u may be partly modified, so
// callers apply to a copy.
func (u *User) SetRules(rules []string) error {
	for i := 0; i < len(rules); i++ {
		r := rules[i]
		if strings.HasPrefix(r, "(") && !strings.HasSuffix(r, ")") {
			j := i + 1
			for ; j < len(rules); j++ {
				if strings.HasSuffix(rules[j], ")") {
					break
				}
			}
			if j == len(rules) {
				return errors.New("ERR Unmatched parenthesis in acl selector starting at '" + r + "'.")
			}
			r = strings.Join(rules[i:j+1], " ")
			i = j
		}
		if err := u.SetRule(r); err != nil {
			return &ModifierError{Op: r, Err: err}
		}
	}
	return nil
}

// SetRule applies one rule to the user.
func (u *User) SetRule(op string) error {
	lop := strings.ToLower(op)
	switch {
	case lop == "on":
		u.Enabled = true
	case lop == "off":
		u.Enabled = false
	case lop == "skip-sanitize-payload":
		u.sanitize = 2
	case lop == "sanitize-payload":
		u.sanitize = 1
	case lop == "nopass":
		u.NoPass = true
		u.Passwords = nil
	case lop == "resetpass":
		u.NoPass = false
		u.Passwords = nil
	case lop == "clearselectors":
		u.Selectors = nil
	case lop == "reset":
		for _, r := range []string{"resetpass", "resetkeys", "resetchannels", "off", "clearselectors", "-@all"} {
			_ = u.SetRule(r)
		}
		if u.pubsubAll {
			_ = u.SetRule("allchannels")
		}
		u.sanitize = 1
	case strings.HasPrefix(op, ">") || strings.HasPrefix(op, "#"):
		h := op[1:]
		if op[0] == '>' {
			h = HashPassword(h)
		} else if !validHash(h) {
			return errBadHash
		}
		for _, p := range u.Passwords {
			if p == h {
				return nil
			}
		}
		u.Passwords = append(u.Passwords, h)
		u.NoPass = false
	case strings.HasPrefix(op, "<") || strings.HasPrefix(op, "!"):
		h := op[1:]
		if op[0] == '<' {
			h = HashPassword(h)
		} else if !validHash(h) {
			return errBadHash
		}
		for i, p := range u.Passwords {
			if p == h {
				u.Passwords = append(u.Passwords[:i:i], u.Passwords[i+1:]...)
				return nil
			}
		}
		return errNoSuchPass
	case strings.HasPrefix(op, "(") && strings.HasSuffix(op, ")"):
		s := newSelector()
		for _, f := range strings.Fields(op[1 : len(op)-1]) {
			if err := s.SetRule(f); err != nil {
				return err
			}
		}
		u.Selectors = append(u.Selectors, s)
	default:
		return u.Root.SetRule(op)
	}
	return nil
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// SetRule applies a selector rule (commands, keys, channels).
func (s *Selector) SetRule(op string) error {
	lop := strings.ToLower(op)
	switch {
	case lop == "allkeys":
		s.allKeys, s.keys = true, nil
	case lop == "resetkeys":
		s.allKeys, s.keys = false, nil
	case lop == "allchannels":
		s.allChannels, s.channels = true, nil
	case lop == "resetchannels":
		s.allChannels, s.channels = false, nil
	case lop == "allcommands" || lop == "+@all":
		s.setAll(true)
	case lop == "nocommands" || lop == "-@all":
		s.setAll(false)
	case strings.HasPrefix(op, "~") || strings.HasPrefix(op, "%"):
		flags, pat := KeyRead|KeyWrite, op[1:]
		if op[0] == '%' {
			// %<R|W>~pattern; Redis accepts a missing "~" as an empty pattern.
			i := strings.IndexByte(op, '~')
			if i < 0 {
				i = len(op)
			}
			flags = 0
			for _, c := range op[1:i] {
				switch c {
				case 'R', 'r':
					flags |= KeyRead
				case 'W', 'w':
					flags |= KeyWrite
				default:
					return errSyntax
				}
			}
			if flags == 0 {
				return errSyntax
			}
			pat = ""
			if i < len(op) {
				pat = op[i+1:]
			}
		}
		if s.allKeys {
			return errKeysAfterAll
		}
		if pat == "*" && flags == KeyRead|KeyWrite {
			s.allKeys, s.keys = true, nil
			return nil
		}
		for i, k := range s.keys {
			if k.Pattern == pat {
				s.keys[i].Flags |= flags
				return nil
			}
		}
		s.keys = append(s.keys, KeyPattern{pat, flags})
	case strings.HasPrefix(op, "&"):
		if s.allChannels {
			return errChansAfterAll
		}
		if op == "&*" {
			s.allChannels, s.channels = true, nil
			return nil
		}
		for _, c := range s.channels {
			if c == op[1:] {
				return nil
			}
		}
		s.channels = append(s.channels, op[1:])
	case strings.HasPrefix(op, "+") || strings.HasPrefix(op, "-"):
		allow := op[0] == '+'
		name := lop[1:]
		if strings.HasPrefix(name, "@") {
			if !validCategory(name[1:]) {
				return errUnknownCmd
			}
			s.setCategory(name, allow)
			return nil
		}
		parent, sub, hasSub := strings.Cut(name, "|")
		c := lookupCommand(parent)
		if c == nil {
			return errUnknownCmd
		}
		if hasSub {
			if len(c.Subcommands) == 0 {
				if !allow {
					return errUnknownCmd
				}
				if sub == "" {
					return errSyntax
				}
				// The first argument keeps its case, as Redis prints it.
				s.addFirstArg(c, op[len(op)-len(sub):])
				return nil
			}
			if strings.Contains(sub, "|") {
				return errFirstArgOfSub
			}
			sc := c.Sub(sub)
			if sc == nil {
				return errUnknownCmd
			}
			c = sc
		}
		s.setCommand(c, allow)
	default:
		return errSyntax
	}
	return nil
}

func validCategory(name string) bool {
	for _, c := range Categories {
		if c == name || name == "all" {
			return true
		}
	}
	return false
}

// extraCommands are rows a process has beyond command.Table: the
// SENTINEL command of sentinel mode (AddCommands).
var extraCommands []*command.Command

// AddCommands makes rows outside command.Table subject to ACL rules; a
// process in sentinel mode calls it once, before any user exists.
func AddCommands(cs ...*command.Command) { extraCommands = append(extraCommands, cs...) }

// commandRows is every top-level row rules apply to.
func commandRows() []*command.Command {
	if len(extraCommands) == 0 {
		return command.Table
	}
	return append(append([]*command.Command(nil), command.Table...), extraCommands...)
}

func lookupCommand(name string) *command.Command {
	if c := command.Lookup(name); c != nil {
		return c
	}
	for _, c := range extraCommands {
		if strings.EqualFold(c.Name, name) {
			return c
		}
	}
	return nil
}

func (s *Selector) setAll(allow bool) {
	s.allFuture = allow
	for _, c := range commandRows() {
		s.setCommand(c, allow)
	}
}

func (s *Selector) addFirstArg(c *command.Command, arg string) {
	if s.firstArgs == nil {
		s.firstArgs = map[*command.Command][]string{}
	}
	for _, a := range s.firstArgs[c] {
		if strings.EqualFold(a, arg) {
			return
		}
	}
	s.firstArgs[c] = append(s.firstArgs[c], arg)
}

func (s *Selector) setCommand(c *command.Command, allow bool) {
	delete(s.firstArgs, c)
	if allow {
		s.allowed[c] = true
	} else {
		delete(s.allowed, c)
	}
	for _, sc := range c.Subcommands {
		s.setCommand(sc, allow)
	}
}

func (s *Selector) setCategory(cat string, allow bool) {
	eachCommand(func(c *command.Command) {
		if c.InCategory(cat) {
			delete(s.firstArgs, c)
			if allow {
				s.allowed[c] = true
			} else {
				delete(s.allowed, c)
			}
		}
	})
}

// eachCommand visits every command and subcommand row.
func eachCommand(f func(c *command.Command)) {
	for _, c := range commandRows() {
		f(c)
		for _, sc := range c.Subcommands {
			f(sc)
		}
	}
}

// CategoryCommands lists the commands of a category as ACL CAT prints them.
func CategoryCommands(cat string) []string {
	var out []string
	eachCommand(func(c *command.Command) {
		if c.InCategory("@" + cat) {
			out = append(out, c.Name)
		}
	})
	return out
}

// describeCommands rebuilds the command rules from the allowed set as
// Redis 7.0 does: +@all or -@all, then categories that fit best, then
// single commands for the remaining differences.
func (s *Selector) describeCommands() string {
	var b strings.Builder
	fake := newSelector()
	additive := !s.allFuture
	if additive {
		b.WriteString("-@all ")
	} else {
		b.WriteString("+@all ")
		fake.setAll(true)
	}
	temp := map[*command.Command]bool{}
	for c := range s.allowed {
		temp[c] = true
	}
	// Greedy best fit, as Redis 7.0: repeatedly pick the unused category
	// with more matching than differing commands, fewest differences
	// first, then most matches.
	applied := make([]bool, len(Categories))
	for {
		best, minDiff, maxSame := -1, int(^uint(0)>>1), 0
		for j, cat := range Categories {
			if applied[j] {
				continue
			}
			on, off := 0, 0
			eachCommand(func(c *command.Command) {
				if c.InCategory("@" + cat) {
					if temp[c] {
						on++
					} else {
						off++
					}
				}
			})
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < minDiff || diff == minDiff && same > maxSame) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		applied[best] = true
		cat := "@" + Categories[best]
		fake.setCategory(cat, additive)
		eachCommand(func(c *command.Command) {
			if c.InCategory(cat) {
				if additive {
					delete(temp, c)
				} else {
					temp[c] = true
				}
			}
		})
		if additive {
			b.WriteString("+")
		} else {
			b.WriteString("-")
		}
		b.WriteString(cat + " ")
	}
	// Redis walks its command dict in hash order; ours is by name.
	var single func(c *command.Command)
	single = func(c *command.Command) {
		if s.allowed[c] != fake.allowed[c] {
			if s.allowed[c] {
				b.WriteString("+")
			} else {
				b.WriteString("-")
			}
			b.WriteString(c.Name + " ")
			fake.setCommand(c, s.allowed[c])
		}
		for _, sc := range c.Subcommands {
			single(sc)
		}
		if !s.allowed[c] {
			for _, a := range s.firstArgs[c] {
				b.WriteString("+" + c.Name + "|" + a + " ")
			}
		}
	}
	for _, c := range commandRows() {
		single(c)
	}
	return strings.TrimSuffix(b.String(), " ")
}

func (s *Selector) describeKeys() string {
	if s.allKeys {
		return "~*"
	}
	var parts []string
	for _, k := range s.keys {
		switch k.Flags {
		case KeyRead:
			parts = append(parts, "%R~"+k.Pattern)
		case KeyWrite:
			parts = append(parts, "%W~"+k.Pattern)
		default:
			parts = append(parts, "~"+k.Pattern)
		}
	}
	return strings.Join(parts, " ")
}

func (s *Selector) describeChannels() string {
	if s.allChannels {
		return "&*"
	}
	var parts []string
	for _, c := range s.channels {
		parts = append(parts, "&"+c)
	}
	return strings.Join(parts, " ")
}

func (s *Selector) describe() string {
	var parts []string
	if k := s.describeKeys(); k != "" {
		parts = append(parts, k)
	}
	if s.allChannels {
		parts = append(parts, "&*")
	} else {
		parts = append(parts, "resetchannels")
		if c := s.describeChannels(); c != "" {
			parts = append(parts, c)
		}
	}
	parts = append(parts, s.describeCommands())
	return strings.Join(parts, " ")
}

// Describe returns the rules as ACL LIST prints them after "user <name> ".
func (u *User) Describe() string {
	parts := u.Flags()
	for _, p := range u.Passwords {
		parts = append(parts, "#"+p)
	}
	parts = append(parts, u.Root.describe())
	for _, s := range u.Selectors {
		parts = append(parts, "("+s.describe()+")")
	}
	return strings.Join(parts, " ")
}

// Flags returns the user's flags as ACL GETUSER lists them.
func (u *User) Flags() []string {
	f := []string{"off"}
	if u.Enabled {
		f[0] = "on"
	}
	if u.NoPass {
		f = append(f, "nopass")
	}
	switch u.sanitize {
	case 1:
		f = append(f, "sanitize-payload")
	case 2:
		f = append(f, "skip-sanitize-payload")
	}
	return f
}

// SelectorInfo is the commands/keys/channels triple ACL GETUSER shows.
type SelectorInfo struct{ Commands, Keys, Channels string }

// Info returns the root's and each selector's description for GETUSER.
func (u *User) Info() (root SelectorInfo, sels []SelectorInfo) {
	info := func(s *Selector) SelectorInfo {
		return SelectorInfo{s.describeCommands(), s.describeKeys(), s.describeChannels()}
	}
	for _, s := range u.Selectors {
		sels = append(sels, info(s))
	}
	return info(u.Root), sels
}

// Clone returns a deep copy (SETUSER applies rules to a copy).
func (u *User) Clone() *User {
	n := *u
	n.Passwords = append([]string(nil), u.Passwords...)
	n.Root = u.Root.clone()
	n.Selectors = nil
	for _, s := range u.Selectors {
		n.Selectors = append(n.Selectors, s.clone())
	}
	return &n
}

func (s *Selector) clone() *Selector {
	n := *s
	n.allowed = make(map[*command.Command]bool, len(s.allowed))
	for c := range s.allowed {
		n.allowed[c] = true
	}
	n.firstArgs = nil
	for c, a := range s.firstArgs {
		if n.firstArgs == nil {
			n.firstArgs = map[*command.Command][]string{}
		}
		n.firstArgs[c] = append([]string(nil), a...)
	}
	n.keys = append([]KeyPattern(nil), s.keys...)
	n.channels = append([]string(nil), s.channels...)
	return &n
}

// Denial kinds returned by Check.
const (
	OK = iota
	DeniedCmd
	DeniedKey
	DeniedChannel
)

// Check reports whether u may run cmd (the row, a subcommand's when it
// has one) with args; on denial it returns the kind and the argument
// index of the denied key or channel. The root selector's reason wins,
// as in Redis.
func (u *User) Check(cmd *command.Command, args [][]byte) (kind, pos int) {
	kind, pos = u.Root.check(cmd, args)
	if kind == OK {
		return
	}
	// Like Redis, report the most specific denial (key over command),
	// and among equals the one at the later argument.
	for _, s := range u.Selectors {
		k, p := s.check(cmd, args)
		if k == OK {
			return OK, 0
		}
		if k > kind || k == kind && p > pos {
			kind, pos = k, p
		}
	}
	return
}

func (s *Selector) check(cmd *command.Command, args [][]byte) (int, int) {
	if !s.allowed[cmd] && !s.firstArgAllowed(cmd, args) {
		return DeniedCmd, 0
	}
	if s.allKeys || len(cmd.KeySpecs) == 0 {
		return OK, 0
	}
	for _, ks := range cmd.KeySpecs {
		if slices.Contains(ks.Flags, "not_key") {
			continue // SPUBLISH's channel: checked as a channel, not a key
		}
		need := keyNeeds(cmd, ks, args)
		for _, i := range command.SpecKeyPositions(ks, args) {
			if !s.keyAllowed(args[i], need) {
				return DeniedKey, i
			}
		}
	}
	return OK, 0
}

// keyNeeds is the permission a key spec asks for, as Redis: read for
// "access", write for "insert"/"update"/"delete", none (any pattern) for
// neither. SET and BITFIELD have variable flags resolved from arguments.
func keyNeeds(cmd *command.Command, ks command.KeySpec, args [][]byte) int {
	switch cmd.Name {
	case "set":
		for _, a := range args[3:] {
			if strings.EqualFold(string(a), "get") {
				return KeyRead | KeyWrite
			}
		}
		return KeyWrite
	case "bitfield":
		for _, a := range args[2:] {
			if strings.EqualFold(string(a), "set") || strings.EqualFold(string(a), "incrby") {
				return KeyRead | KeyWrite
			}
		}
		return KeyRead
	}
	need := 0
	for _, f := range ks.Flags {
		switch f {
		case "access":
			need |= KeyRead
		case "insert", "update", "delete":
			need |= KeyWrite
		}
	}
	return need
}

func (s *Selector) firstArgAllowed(cmd *command.Command, args [][]byte) bool {
	if len(args) < 2 {
		return false
	}
	for _, a := range s.firstArgs[cmd] {
		if strings.EqualFold(a, string(args[1])) {
			return true
		}
	}
	return false
}

func (s *Selector) keyAllowed(key []byte, need int) bool {
	if s.allKeys {
		return true
	}
	for _, k := range s.keys {
		if k.Flags&need == need && glob.Match([]byte(k.Pattern), key, false) {
			return true
		}
	}
	return false
}

// ChannelAllowed reports whether u may use channel ch; literal is true for
// a pattern subscription (PSUBSCRIBE), which must equal one of the
// user's patterns.
func (u *User) ChannelAllowed(ch []byte, literal bool) bool {
	for _, s := range append([]*Selector{u.Root}, u.Selectors...) {
		if s.allChannels {
			return true
		}
		for _, p := range s.channels {
			if literal && p == string(ch) || !literal && glob.Match([]byte(p), ch, false) {
				return true
			}
		}
	}
	return false
}

// Users is the set of ACL users, by name.
type Users struct {
	m map[string]*User
	// PubsubAll is acl-pubsub-default=allchannels: new users (and "reset")
	// get all channels.
	PubsubAll bool
}

// NewUsers returns a set holding only the default user.
func NewUsers() *Users {
	return &Users{m: map[string]*User{"default": NewDefaultUser()}}
}

// Get returns a user or nil.
func (us *Users) Get(name string) *User { return us.m[name] }

// Put adds or replaces a user.
func (us *Users) Put(u *User) { us.m[u.Name] = u }

// Delete removes a user; it reports whether it existed.
func (us *Users) Delete(name string) bool {
	_, ok := us.m[name]
	delete(us.m, name)
	return ok
}

// Names returns the user names, sorted as Redis's rax keeps them.
func (us *Users) Names() []string {
	var out []string
	for n := range us.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// SetUser applies rules to user name (created if missing) atomically,
// as ACL SETUSER does.
func (us *Users) SetUser(name string, rules []string) error {
	if strings.ContainsAny(name, " \x00") {
		return errors.New("ERR Usernames can't contain spaces or null characters")
	}
	u := us.m[name]
	if u == nil {
		u = NewUser(name)
		u.Root.allChannels = us.PubsubAll
	} else {
		u = u.Clone()
	}
	u.pubsubAll = us.PubsubAll
	if err := u.SetRules(rules); err != nil {
		return err
	}
	us.m[name] = u
	return nil
}

// RuleError returns the bare reason of a rule error ("Syntax error"), as
// ACL files and config user lines report it.
func RuleError(err error) string {
	if me, ok := err.(*ModifierError); ok {
		return me.Err.Error()
	}
	return strings.TrimPrefix(err.Error(), "ERR ")
}

// Load parses an ACL file's text (one "user <name> <rules...>" a line)
// into a new user set, as ACL LOAD does: any error leaves nothing
// applied and is reported with every faulty line. A file without the
// default user gets Redis's default one.
func Load(path, text string) (*Users, error) {
	us := &Users{m: map[string]*User{}}
	seen := map[string]bool{} // a faulty line still claims its name, as in Redis
	var errs strings.Builder
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		words := strings.Fields(line)
		if len(words) < 2 || words[0] != "user" {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", path, i+1)
			continue
		}
		if seen[words[1]] {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", words[1], i+1)
			continue
		}
		seen[words[1]] = true
		u := NewUser(words[1])
		if err := u.SetRules(words[2:]); err != nil {
			fmt.Fprintf(&errs, "%s:%d: %s. ", path, i+1, RuleError(err))
			continue
		}
		us.m[u.Name] = u
	}
	if errs.Len() > 0 {
		errs.WriteString("WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
		return nil, errors.New(errs.String())
	}
	if us.m["default"] == nil {
		us.m["default"] = NewDefaultUser()
	}
	return us, nil
}

// Save returns the ACL file text for the users, as ACL SAVE writes it.
func (us *Users) Save() string {
	var b strings.Builder
	for _, n := range us.Names() {
		b.WriteString("user " + n + " " + us.m[n].Describe() + "\n")
	}
	return b.String()
}
