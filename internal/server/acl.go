// acl.go is the ACL command family, authentication against ACL users,
// the per-command permission check and the ACL LOG (internal/acl holds
// the user model).
package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/redoubt/redoubt/internal/acl"
	"github.com/redoubt/redoubt/internal/command"
)

// aclState is the server's users and ACL LOG.
type aclState struct {
	users *acl.Users
	// reqPass is the requirepass last applied to the default user.
	reqPass string
	log     []*aclLogEntry
}

type aclLogEntry struct {
	count                             int64
	reason, context, object, username string
	created                           int64 // unix ms
	clientInfo                        string
}

func init() {
	register("acl|setuser", cmdACLSetUser)
	register("acl|getuser", cmdACLGetUser)
	register("acl|deluser", cmdACLDelUser)
	register("acl|list", cmdACLList)
	register("acl|users", cmdACLUsers)
	register("acl|whoami", cmdACLWhoami)
	register("acl|cat", cmdACLCat)
	register("acl|genpass", cmdACLGenpass)
	register("acl|dryrun", cmdACLDryrun)
	register("acl|log", cmdACLLog)
	register("acl|save", cmdACLSaveLoad)
	register("acl|load", cmdACLSaveLoad)
	register("acl|help", cmdACLHelp)
}

// aclUsers returns the user set, creating it on first use, with the
// default user's password following requirepass (CONFIG SET included),
// as Redis's requirepass setter rewrites the default user.
func (s *Server) aclUsers() *acl.Users {
	if s.acl == nil {
		s.acl = &aclState{users: acl.NewUsers()}
	}
	if s.acl.reqPass != s.cfg.RequirePass {
		s.acl.reqPass = s.cfg.RequirePass
		rules := []string{"resetpass", "nopass"}
		if s.cfg.RequirePass != "" {
			rules = []string{"resetpass", ">" + s.cfg.RequirePass}
		}
		_ = s.acl.users.Get("default").SetRules(rules)
	}
	return s.acl.users
}

// defaultUserNoAuth reports whether new connections start authenticated:
// the default user is on and needs no password.
func (s *Server) defaultUserNoAuth() bool {
	u := s.aclUsers().Get("default")
	return u.NoPass && u.Enabled
}

// aclAuth checks credentials against the ACL users.
func (s *Server) aclAuth(user, pass []byte) bool {
	u := s.aclUsers().Get(string(user))
	return u != nil && u.Enabled && u.CheckPassword(string(pass))
}

// aclLogAdd records a denial, merging with a recent identical entry as
// Redis does (same reason, context, object and user within 60 s).
func (c *Client) aclLogAdd(reason, object, username string) {
	ctx := "toplevel"
	if reason != "auth" && (c.flags&flagMulti != 0 || c.execRunning) {
		ctx = "multi"
	}
	c.aclLogAddCtx(reason, ctx, object, username)
}

// aclLogAddCtx is aclLogAdd with the context given ("lua" for scripts).
// Like Redis it looks for a match among the 10 newest entries only and
// moves a match to the head.
func (c *Client) aclLogAddCtx(reason, ctx, object, username string) {
	s := c.srv
	s.aclUsers()
	now := s.now()
	info := c.clientListLine()
	for i, e := range s.acl.log {
		if i == 10 {
			break
		}
		if e.reason == reason && e.context == ctx && e.object == object && e.username == username && now-e.created <= 60000 {
			e.count++
			e.created = now
			e.clientInfo = info
			copy(s.acl.log[1:i+1], s.acl.log[:i])
			s.acl.log[0] = e
			return
		}
	}
	e := &aclLogEntry{count: 1, reason: reason, context: ctx, object: object, username: username, created: now, clientInfo: info}
	s.acl.log = append([]*aclLogEntry{e}, s.acl.log...)
	if max := s.cfg.ACLLogMaxLen; int64(len(s.acl.log)) > max {
		s.acl.log = s.acl.log[:max]
	}
}

// aclDenial checks the client's user may run sc with args; it returns
// the NOPERM text (and logs) when not, or "" when allowed.
func (c *Client) aclDenial(sc *serverCommand, args [][]byte) string {
	if sc.has(cmdNoAuth) {
		return "" // AUTH and HELLO are always allowed, as in Redis
	}
	u := c.srv.aclUsers().Get(c.user)
	if u == nil {
		return ""
	}
	kind, obj := aclCheck(u, sc.meta, args)
	switch kind {
	case acl.DeniedCmd:
		c.aclLogAdd("command", sc.name, u.Name)
		return fmt.Sprintf("NOPERM this user has no permissions to run the '%s' command", sc.name)
	case acl.DeniedKey:
		c.aclLogAdd("key", obj, u.Name)
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case acl.DeniedChannel:
		c.aclLogAdd("channel", obj, u.Name)
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return ""
}

// aclScriptDenial checks a redis.call of the script run by c against c's
// user, as Redis's scriptVerifyACL: a denial is logged with context
// "lua" and the script sees "The user executing the script ...".
func (c *Client) aclScriptDenial(sc *serverCommand, args [][]byte) string {
	u := c.srv.aclUsers().Get(c.user)
	if u == nil {
		return ""
	}
	kind, obj := aclCheck(u, sc.meta, args)
	const prefix = "ERR The user executing the script "
	switch kind {
	case acl.DeniedCmd:
		c.aclLogAddCtx("command", "lua", sc.name, u.Name)
		return prefix + "can't run this command or subcommand"
	case acl.DeniedKey:
		c.aclLogAddCtx("key", "lua", obj, u.Name)
		return prefix + "can't access at least one of the keys mentioned in the command arguments"
	case acl.DeniedChannel:
		c.aclLogAddCtx("channel", "lua", obj, u.Name)
		return prefix + "can't publish to the channel mentioned in the command"
	}
	return ""
}

// aclExecDenial re-checks a queued command at EXEC, since the rules may
// have changed after it was queued; it returns Redis's error or "".
func (c *Client) aclExecDenial(sc *serverCommand, args [][]byte) string {
	if sc.has(cmdNoAuth) {
		return ""
	}
	u := c.srv.aclUsers().Get(c.user)
	if u == nil {
		return ""
	}
	const prefix = "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: "
	switch kind, obj := aclCheck(u, sc.meta, args); kind {
	case acl.DeniedCmd:
		c.aclLogAdd("command", sc.name, u.Name)
		return prefix + "no permission to execute the command or subcommand"
	case acl.DeniedKey:
		c.aclLogAdd("key", obj, u.Name)
		return prefix + "no permission to touch the specified keys"
	case acl.DeniedChannel:
		c.aclLogAdd("channel", obj, u.Name)
		return prefix + "no permission to access one of the channels used as arguments"
	}
	return ""
}

// aclCheck runs the command/key check and then the channel check of the
// pub/sub commands; obj is the denied key or channel.
func aclCheck(u *acl.User, meta *command.Command, args [][]byte) (int, string) {
	kind, pos := u.Check(meta, args)
	if kind == acl.DeniedKey {
		return kind, string(args[pos])
	}
	if kind != acl.OK {
		return kind, ""
	}
	var chans [][]byte
	literal := false
	switch meta.Name {
	case "publish", "spublish":
		chans = args[1:2]
	case "subscribe", "ssubscribe":
		chans = args[1:]
	case "psubscribe":
		chans, literal = args[1:], true
	}
	for _, ch := range chans {
		if !u.ChannelAllowed(ch, literal) {
			return acl.DeniedChannel, string(ch)
		}
	}
	return acl.OK, ""
}

func cmdACLSetUser(c *Client, args [][]byte) {
	rules := make([]string, 0, len(args)-3)
	for _, a := range args[3:] {
		rules = append(rules, string(a))
	}
	s := c.srv
	users := s.aclUsers()
	users.PubsubAll = s.cfg.ACLPubsubDefault == "allchannels"
	name := string(args[2])
	if err := users.SetUser(name, rules); err != nil {
		c.addError(err.Error())
		return
	}
	s.aclKillPubsubClients(c, users.Get(name))
	c.w.OK()
}

func cmdACLGetUser(c *Client, args [][]byte) {
	u := c.srv.aclUsers().Get(string(args[2]))
	if u == nil {
		c.w.Null()
		return
	}
	root, sels := u.Info()
	c.w.MapLen(6)
	c.w.BulkString("flags")
	flags := u.Flags()
	c.w.SetLen(len(flags))
	for _, f := range flags {
		c.w.BulkString(f)
	}
	c.w.BulkString("passwords")
	c.w.ArrayLen(len(u.Passwords))
	for _, p := range u.Passwords {
		c.w.BulkString(p)
	}
	writeSel := func(si acl.SelectorInfo) {
		c.w.BulkString("commands")
		c.w.BulkString(si.Commands)
		c.w.BulkString("keys")
		c.w.BulkString(si.Keys)
		c.w.BulkString("channels")
		c.w.BulkString(si.Channels)
	}
	writeSel(root)
	c.w.BulkString("selectors")
	c.w.ArrayLen(len(sels))
	for _, si := range sels {
		c.w.MapLen(3)
		writeSel(si)
	}
}

func cmdACLDelUser(c *Client, args [][]byte) {
	s := c.srv
	users := s.aclUsers()
	for _, a := range args[2:] {
		if string(a) == "default" {
			c.addError("ERR The 'default' user cannot be removed")
			return
		}
	}
	n := 0
	for _, a := range args[2:] {
		name := string(a)
		if !users.Delete(name) {
			continue
		}
		n++
		// Connections authenticated as a deleted user are closed.
		for _, cl := range s.clients {
			if cl.user != name {
				continue
			}
			s.disconnect(cl, c)
		}
	}
	c.w.Int(int64(n))
}

func cmdACLList(c *Client, args [][]byte) {
	users := c.srv.aclUsers()
	names := users.Names()
	c.w.ArrayLen(len(names))
	for _, n := range names {
		c.w.BulkString("user " + n + " " + users.Get(n).Describe())
	}
}

func cmdACLUsers(c *Client, args [][]byte) {
	names := c.srv.aclUsers().Names()
	c.w.ArrayLen(len(names))
	for _, n := range names {
		c.w.BulkString(n)
	}
}

func cmdACLWhoami(c *Client, args [][]byte) { c.w.BulkString(c.user) }

func cmdACLCat(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.addError(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try ACL HELP.", args[1]))
		return
	}
	if len(args) == 2 {
		c.w.ArrayLen(len(acl.Categories))
		for _, cat := range acl.Categories {
			c.w.BulkString(cat)
		}
		return
	}
	cat := strings.ToLower(string(args[2]))
	valid := false
	for _, x := range acl.Categories {
		valid = valid || x == cat
	}
	if !valid {
		c.addError(fmt.Sprintf("ERR Unknown category '%.128s'", args[2]))
		return
	}
	names := acl.CategoryCommands(cat)
	c.w.ArrayLen(len(names))
	for _, n := range names {
		c.w.BulkString(n)
	}
}

func cmdACLGenpass(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.addError(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try ACL HELP.", args[1]))
		return
	}
	bits := int64(256)
	if len(args) == 3 {
		n, ok := parseInt(args[2])
		if !ok {
			c.addError("ERR value is not an integer or out of range")
			return
		}
		if n <= 0 || n > 4096 {
			c.addError("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
			return
		}
		bits = n
	}
	chars := (bits + 3) / 4
	buf := make([]byte, (chars+1)/2)
	_, _ = rand.Read(buf)
	c.w.BulkString(hex.EncodeToString(buf)[:chars])
}

func cmdACLDryrun(c *Client, args [][]byte) {
	s := c.srv
	u := s.aclUsers().Get(string(args[2]))
	if u == nil {
		c.addError(fmt.Sprintf("ERR User '%s' not found", args[2]))
		return
	}
	cargs := args[3:]
	sc, _ := s.lookupCommand(cargs)
	if sc == nil {
		c.addError(fmt.Sprintf("ERR Command '%s' not found", cargs[0]))
		return
	}
	if a := sc.meta.Arity; (a > 0 && len(cargs) != a) || len(cargs) < -a {
		c.addError(fmt.Sprintf("ERR wrong number of arguments for '%s' command", sc.name))
		return
	}
	switch kind, obj := aclCheck(u, sc.meta, cargs); kind {
	case acl.DeniedCmd:
		c.w.BulkString(fmt.Sprintf("This user has no permissions to run the '%s' command", sc.name))
	case acl.DeniedKey:
		c.w.BulkString(fmt.Sprintf("This user has no permissions to access the '%s' key", obj))
	case acl.DeniedChannel:
		c.w.BulkString(fmt.Sprintf("This user has no permissions to access the '%s' channel", obj))
	default:
		c.w.OK()
	}
}

func cmdACLLog(c *Client, args [][]byte) {
	s := c.srv
	s.aclUsers()
	if len(args) > 3 {
		c.addError(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try ACL HELP.", args[1]))
		return
	}
	count := int64(10)
	if len(args) == 3 {
		if strings.EqualFold(string(args[2]), "reset") {
			s.acl.log = nil
			c.w.OK()
			return
		}
		n, ok := parseInt(args[2])
		if !ok {
			c.addError("ERR value is not an integer or out of range")
			return
		}
		count = n
	}
	if count < 0 {
		count = 0
	}
	if count > int64(len(s.acl.log)) {
		count = int64(len(s.acl.log))
	}
	now := s.now()
	c.w.ArrayLen(int(count))
	for _, e := range s.acl.log[:count] {
		c.w.MapLen(7)
		c.w.BulkString("count")
		c.w.Int(e.count)
		c.w.BulkString("reason")
		c.w.BulkString(e.reason)
		c.w.BulkString("context")
		c.w.BulkString(e.context)
		c.w.BulkString("object")
		c.w.BulkString(e.object)
		c.w.BulkString("username")
		c.w.BulkString(e.username)
		c.w.BulkString("age-seconds")
		c.w.Double(float64(now-e.created) / 1000)
		c.w.BulkString("client-info")
		c.w.BulkString(e.clientInfo)
	}
}

const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

func cmdACLSaveLoad(c *Client, args [][]byte) {
	s := c.srv
	path := s.cfg.ACLFile
	if path == "" {
		c.addError(errNoACLFile)
		return
	}
	if strings.EqualFold(string(args[1]), "save") {
		// Write a temp file and rename, so a crash never leaves half a file.
		tmp := path + ".tmp-redoubt"
		if err := os.WriteFile(tmp, []byte(s.aclUsers().Save()), 0o644); err != nil {
			c.addError("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
			return
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			c.addError("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
			return
		}
		c.w.OK()
		return
	}
	if err := s.aclLoadFile(c); err != nil {
		c.addError("ERR " + err.Error())
		return
	}
	c.w.OK()
}

// aclLoadFile replaces the users with the aclfile's; clients of users
// that are gone are closed.
func (s *Server) aclLoadFile(self *Client) error {
	data, err := os.ReadFile(s.cfg.ACLFile)
	if err != nil {
		return fmt.Errorf("Error loading ACLs, opening file '%s': %s", s.cfg.ACLFile, strings.TrimPrefix(err.Error(), "open "+s.cfg.ACLFile+": "))
	}
	users, err := acl.Load(s.cfg.ACLFile, string(data))
	if err != nil {
		return err
	}
	s.aclUsers()
	s.acl.users = users
	for _, cl := range s.clients {
		if users.Get(cl.user) == nil {
			if cl == self {
				cl.flags |= flagCloseAfterReply
			} else {
				cl.closeASAP()
				delete(s.clients, cl.id)
			}
		}
	}
	return nil
}

// aclLoadConfigured applies the config file's "user" lines or loads the
// aclfile at startup (both at once is refused, as Redis).
func (s *Server) aclLoadConfigured() error {
	users := s.aclUsers()
	if s.cfg.ACLFile != "" && len(s.cfg.Users) > 0 {
		return fmt.Errorf("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.")
	}
	if s.cfg.ACLFile != "" {
		return s.aclLoadFile(nil)
	}
	for _, line := range s.cfg.Users {
		// An existing user (default) is reset first, a new one starts empty.
		u := acl.NewUser(line[0])
		if old := users.Get(line[0]); old != nil {
			u = old.Clone()
			_ = u.SetRule("reset")
		}
		if err := u.SetRules(line[1:]); err != nil {
			return fmt.Errorf("Error in user declaration '%s': %s", line[0], acl.RuleError(err))
		}
		users.Put(u)
	}
	return nil
}

func cmdACLHelp(c *Client, args [][]byte) {
	replyHelpLines(c, args, []string{
		"CAT [<category>]",
		"    List all commands that belong to <category>, or all command categories",
		"    when no category is specified.",
		"DELUSER <username> [<username> ...]",
		"    Delete a list of users.",
		"DRYRUN <username> <command> [<arg> ...]",
		"    Returns whether the user can execute the given command without executing the command.",
		"GETUSER <username>",
		"    Get the user's details.",
		"GENPASS [<bits>]",
		"    Generate a secure 256-bit user password. The optional `bits` argument can",
		"    be used to specify a different size.",
		"LIST",
		"    Show users details in config file format.",
		"LOAD",
		"    Reload users from the ACL file.",
		"LOG [<count> | RESET]",
		"    Show the ACL log entries.",
		"SAVE",
		"    Save the current config to the ACL file.",
		"SETUSER <username> <attribute> [<attribute> ...]",
		"    Create or modify a user with the specified attributes.",
		"USERS",
		"    List all the registered usernames.",
		"WHOAMI",
		"    Return the current connection username.",
	})
}

// aclKillPubsubClients closes the connections of u that are subscribed to
// channels or patterns u may no longer use, as Redis does after SETUSER.
func (s *Server) aclKillPubsubClients(self *Client, u *acl.User) {
	for _, cl := range s.clients {
		if cl.user != u.Name || cl.pubsubSubs == nil {
			continue
		}
		ok := true
		for _, ch := range append(cl.pubsubSubs.channels, cl.pubsubSubs.shard...) {
			ok = ok && u.ChannelAllowed([]byte(ch), false)
		}
		for _, p := range cl.pubsubSubs.patterns {
			ok = ok && u.ChannelAllowed([]byte(p), true)
		}
		if ok {
			continue
		}
		s.disconnect(cl, self)
	}
}

// disconnect closes cl because its user changed: the client running the
// command (self) closes after its reply, any other at once and leaves
// CLIENT LIST immediately, as Redis frees it synchronously.
func (s *Server) disconnect(cl, self *Client) {
	if cl == self {
		cl.flags |= flagCloseAfterReply
		return
	}
	cl.closeASAP()
	delete(s.clients, cl.id)
}
