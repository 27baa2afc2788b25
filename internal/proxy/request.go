// Request parsing for the proxy: a RESP multibulk parser that accepts
// exactly what twemproxy's redis_parse_req accepts, and the table of
// supported commands with twemproxy's argument-count classes. Anything the
// parser rejects makes the client connection close, as nutcracker does.

package proxy

import (
	"errors"

	"github.com/redoubt/redoubt/internal/command"
)

// cmdClass is twemproxy's classification of a command by its arguments.
type cmdClass uint8

const (
	clsArgZ    cmdClass = iota + 1 // no arguments at all (PING, QUIT, COMMAND)
	clsNoKey                       // any arguments, no key (LOLWUT)
	clsArg0                        // key only
	clsArg1                        // key + 1
	clsArg2                        // key + 2
	clsArg3                        // key + 3
	clsArgN                        // key + 0 or more
	clsArgX                        // one or more keys (fragmented)
	clsArgKVX                      // key value pairs (fragmented)
	clsArgEval                     // script numkeys key [key ...] [arg ...]
)

// cmdKind marks the commands the proxy treats specially.
type cmdKind uint8

const (
	kindPlain cmdKind = iota
	kindPing
	kindQuit
	kindAuth
	kindMGet
	kindDel // DEL, UNLINK, TOUCH: integer sum of the fragments
	kindMSet
	// kindSetup: HELLO and CLIENT, which modern clients send on every new
	// connection. nutcracker closes the connection on them (so go-redis
	// v9, which starts with HELLO, cannot talk to it at all); we answer
	// Redis 5's unknown-command error instead, after which those clients
	// carry on in RESP2. Every other unsupported command still closes the
	// connection, as nutcracker does.
	kindSetup
)

type cmdInfo struct {
	class cmdClass
	kind  cmdKind
	ro    bool // read-only in Redis: may go to a replica
}

var commands = map[string]cmdInfo{}

func addCmds(class cmdClass, names ...string) {
	for _, n := range names {
		commands[n] = cmdInfo{class: class}
	}
}

func init() {
	addCmds(clsArgZ, "ping", "quit", "command")
	addCmds(clsNoKey, "lolwut")
	addCmds(clsArg0, "persist", "pttl", "ttl", "type", "dump", "decr", "get", "getdel", "incr",
		"strlen", "hgetall", "hkeys", "hlen", "hvals", "llen", "scard", "smembers", "zcard", "auth")
	addCmds(clsArg1, "expire", "expireat", "pexpire", "pexpireat", "move", "append", "decrby",
		"getbit", "getset", "incrby", "incrbyfloat", "setnx", "hexists", "hget", "hstrlen", "lindex",
		"rpoplpush", "sismember", "zrank", "zrevrank", "zscore")
	addCmds(clsArg2, "getrange", "psetex", "setbit", "setex", "setrange", "hincrby", "hincrbyfloat",
		"hsetnx", "lrange", "lrem", "lset", "ltrim", "smove", "zcount", "zlexcount", "zincrby",
		"zremrangebylex", "zremrangebyrank", "zremrangebyscore")
	addCmds(clsArg3, "linsert", "lmove")
	addCmds(clsArgN, "sort", "copy", "bitcount", "bitpos", "bitfield", "exists", "getex", "set",
		"hdel", "hmget", "hmset", "hscan", "hset", "hrandfield", "lpush", "lpushx", "rpush", "rpushx",
		"lpop", "rpop", "lpos", "sadd", "sdiff", "sdiffstore", "sinter", "sinterstore", "srem",
		"sunion", "sunionstore", "srandmember", "sscan", "spop", "smismember", "pfadd", "pfmerge",
		"pfcount", "zadd", "zdiff", "zdiffstore", "zinter", "zinterstore", "zmscore", "zpopmax",
		"zpopmin", "zrandmember", "zrange", "zrangebylex", "zrangebyscore", "zrangestore", "zrem",
		"zrevrange", "zrevrangebylex", "zrevrangebyscore", "zscan", "zunion", "zunionstore",
		"geodist", "geopos", "geohash", "geoadd", "georadius", "georadiusbymember", "geosearch",
		"geosearchstore", "restore")
	addCmds(clsArgX, "mget", "del", "unlink", "touch")
	addCmds(clsArgKVX, "mset")
	addCmds(clsArgEval, "eval", "evalsha")
	addCmds(clsNoKey, "hello", "client")
	set := func(name string, k cmdKind) {
		c := commands[name]
		c.kind = k
		commands[name] = c
	}
	set("ping", kindPing)
	set("quit", kindQuit)
	set("auth", kindAuth)
	set("mget", kindMGet)
	set("del", kindDel)
	set("unlink", kindDel)
	set("touch", kindDel)
	set("mset", kindMSet)
	set("hello", kindSetup)
	set("client", kindSetup)
	for name, c := range commands {
		rc := command.Lookup(name)
		// a script may write whatever its flags say
		c.ro = rc != nil && rc.Has("readonly") && c.class != clsArgEval
		commands[name] = c
	}
}

// errParse means the bytes are not a request twemproxy would accept; the
// client connection is closed.
var errParse = errors.New("proxy: request parse error")

const (
	maxArgs    = 1 << 20   // sanity bound on the multibulk count
	maxBulk    = 512 << 20 // Redis' proto-max-bulk-len default
	maxLineLen = 32        // "*<n>\r\n" or "$<n>\r\n" never needs more
)

// span is one argument's bytes in the request buffer, [s, e).
type span struct{ s, e int }

// request is one parsed request; args index into raw.
type request struct {
	info cmdInfo
	args []span
	narg int // of the request being parsed; 0 between requests
	next int // offset of its next argument
}

// parseRequest parses one request at the start of b into r. It returns the
// number of bytes consumed, 0 when b holds only part of a request, or
// errParse. After a 0 it resumes where it stopped when called again with
// the same request's bytes (more of them), so that a request arriving in
// many reads is not parsed from its start each time.
func parseRequest(b []byte, r *request) (int, error) {
	if r.narg == 0 {
		r.args = r.args[:0]
		if len(b) == 0 {
			return 0, nil
		}
		if b[0] != '*' {
			// inline commands are not accepted by twemproxy
			return 0, errParse
		}
		narg, p, ok, err := parseLen(b, 1)
		if err != nil || !ok {
			return 0, err
		}
		if narg <= 0 || narg > maxArgs {
			return 0, errParse
		}
		r.narg, r.next = narg, p
	}
	n, err := r.parseArgs(b)
	if n != 0 || err != nil {
		r.narg = 0 // the next call starts a new request
	}
	return n, err
}

// parseArgs parses the bulk arguments from r.next on; only complete
// arguments are kept in r.args.
func (r *request) parseArgs(b []byte) (int, error) {
	p := r.next
	for i := len(r.args); i < r.narg; i++ {
		r.next = p
		if p >= len(b) {
			return 0, nil
		}
		if b[p] != '$' {
			return 0, errParse
		}
		n, q, ok, err := parseLen(b, p+1)
		if err != nil || !ok {
			return 0, err
		}
		if n < 0 || n > maxBulk {
			return 0, errParse
		}
		end := q + n
		if i == 0 && n > 32 {
			return 0, errParse // no command name is that long
		}
		if end > len(b) {
			return 0, nil
		}
		if i == 0 {
			// the command is known (and its arity checkable) as soon as its
			// name is complete, as in twemproxy which rejects it right away
			if err := r.checkName(b[q:end], r.narg); err != nil {
				return 0, err
			}
		}
		if i == 2 && r.info.class == clsArgEval && !validNumKeys(b[q:end]) {
			return 0, errParse
		}
		if end+2 > len(b) {
			return 0, nil
		}
		if b[end] != '\r' || b[end+1] != '\n' {
			return 0, errParse
		}
		r.args = append(r.args, span{q, end})
		p = end + 2
	}
	return p, nil
}

// parseLen reads the decimal after a '*' or '$' at b[p:], up to CRLF. It
// returns the value, the offset after the LF and ok=false when incomplete.
func parseLen(b []byte, p int) (n, next int, ok bool, err error) {
	neg := false
	digits := 0
	for i := p; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + int(c-'0')
			digits++
			if digits > 10 {
				return 0, 0, false, errParse
			}
		case c == '-' && i == p:
			neg = true
		case c == '\r':
			if digits == 0 {
				return 0, 0, false, errParse
			}
			if i+1 >= len(b) {
				return 0, 0, false, nil
			}
			if b[i+1] != '\n' {
				return 0, 0, false, errParse
			}
			if neg {
				n = -n
			}
			return n, i + 2, true, nil
		default:
			return 0, 0, false, errParse
		}
	}
	if len(b)-p > maxLineLen {
		return 0, 0, false, errParse
	}
	return 0, 0, false, nil
}

// checkName looks the command up and applies twemproxy's arity rules.
func (r *request) checkName(name []byte, narg int) error {
	var lower [32]byte
	if len(name) == 0 || len(name) > len(lower) {
		return errParse
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	info, ok := commands[string(lower[:len(name)])]
	if !ok {
		return errParse
	}
	r.info = info
	good := false
	switch info.class {
	case clsArgZ:
		good = narg == 1
	case clsNoKey:
		good = true
	case clsArg0:
		good = narg == 2
	case clsArg1:
		good = narg == 3
	case clsArg2:
		good = narg == 4
	case clsArg3:
		good = narg == 5
	case clsArgN, clsArgX:
		good = narg >= 2
	case clsArgKVX:
		good = narg >= 3 && narg%2 == 1
	case clsArgEval:
		// script, numkeys and at least one key
		good = narg >= 4
	}
	if !good {
		return errParse
	}
	return nil
}

// validNumKeys is twemproxy's check of EVAL's numkeys: digits only, not 0.
func validNumKeys(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
		if n > maxArgs {
			return false
		}
	}
	return n > 0
}

// firstKey is the index of the argument that routes the request, -1 for
// commands without a key (routed as the empty key, as twemproxy does).
func (r *request) firstKey() int {
	switch r.info.class {
	case clsArgZ, clsNoKey:
		return -1
	case clsArgEval:
		return 3
	}
	return 1
}
