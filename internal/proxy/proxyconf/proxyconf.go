// This file holds the configuration types and the checks nutcracker runs on a
// file before and after reading it: one YAML document, no flow style,
// anchors, aliases or tags, a mapping of pools of depth two with one
// sequence per pool, then per-pool defaults and duplicate detection. The
// YAML text is read by go.yaml.in/yaml/v3 and replayed as the libyaml event
// stream nutcracker walks, so that the first error found is the one
// nutcracker reports.
package proxyconf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Server is one backend of a pool: "host:port:weight [name]" or
// "/path/unix_socket:weight [name]".
type Server struct {
	Addr   string // "host:port", or a unix socket path
	Weight int
	Name   string // the optional name after the weight ("" if none)
}

// HashName is the string twemproxy hashes to place this server on the
// continuum: its name when it has one, else "host:port" ("host" alone for
// port 11211, for libmemcached compatibility; "path:" for a unix socket).
func (s Server) HashName() string {
	if s.Name != "" {
		return s.Name
	}
	if strings.HasPrefix(s.Addr, "/") {
		return s.Addr + ":"
	}
	if i := strings.LastIndexByte(s.Addr, ':'); i >= 0 && s.Addr[i+1:] == "11211" {
		return s.Addr[:i]
	}
	return s.Addr
}

// Pool is one named pool of nutcracker.yml with nutcracker's defaults applied.
type Pool struct {
	Name               string
	Listen             string        // "host:port" or a unix socket path
	ListenPerm         os.FileMode   // for "path perm" unix listens (0 if none)
	Hash               string        // default "fnv1a_64"
	HashTag            string        // "" or 2 characters
	Distribution       string        // default "ketama"
	Timeout            time.Duration // 0 = wait forever (twemproxy's default)
	Backlog            int           // default 512
	Preconnect         bool
	Redis              bool // default false (memcache): refused at start, accepted by -t
	RedisAuth          string
	RedisDB            int
	ServerConnections  int // default 1
	AutoEjectHosts     bool
	ServerRetryTimeout time.Duration // default 30 s
	ServerFailureLimit int           // default 2
	Servers            []Server
	// Parsed and kept as nutcracker does, though it only passes them to
	// setsockopt: SO_KEEPALIVE on server links, SO_REUSEPORT on the listener.
	TCPKeepalive bool
	ReusePort    bool

	// Sentinel-aware pools (redoubt's extension; see the package comment).
	Sentinels        []string // "host:port" of sentinels; empty = a plain pool
	SentinelMasters  []Server // "name:weight" shards resolved through Sentinel (Addr empty)
	ReadFromReplicas bool     // key "read_from_replicas"
	// AUTH sent to the sentinels (their requirepass / ACL user), keys
	// "sentinel_username" and "sentinel_password"
	SentinelUsername string
	SentinelPassword string
}

// Hashes and Distributions are the names nutcracker accepts, in its order.
var (
	Hashes        = []string{"one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64", "fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins"}
	Distributions = []string{"ketama", "modula", "random"}
)

// DefaultName is the file name Parse uses in messages that name the file.
const DefaultName = "nutcracker.yml"

// Error is a configuration error. Msg is the line nutcracker logs for the
// same file (it logs nothing for an empty value, where Msg is ours).
type Error struct {
	File string
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// LookupHost resolves a listen host, as nutcracker resolves listen addresses
// while parsing. A variable so that tests and fuzzing stay off the network.
var LookupHost = func(host string) error {
	if host == "" {
		return errors.New("empty host") // getaddrinfo(NULL, ...) fails without AI_PASSIVE
	}
	if net.ParseIP(host) != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := net.DefaultResolver.LookupHost(ctx, host)
	return err
}

// Load reads and parses the file at path; messages name the path as given.
func Load(path string) ([]Pool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		var pe *os.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, &Error{File: path, Msg: fmt.Sprintf("conf: failed to open configuration '%s': %s", path, strerror(msg))}
	}
	return ParseFile(path, data)
}

// strerror turns Go's lower-case errno text into C's strerror wording for
// the common cases.
func strerror(s string) string {
	switch s {
	case "no such file or directory":
		return "No such file or directory"
	case "permission denied":
		return "Permission denied"
	case "is a directory":
		return "Is a directory"
	}
	return s
}

// Parse parses nutcracker.yml text; the error text is what nutcracker logs
// for the same file, naming it DefaultName.
func Parse(data []byte) ([]Pool, error) { return ParseFile(DefaultName, data) }

// ParseFile is Parse with the file name to use in messages.
func ParseFile(fname string, data []byte) ([]Pool, error) {
	fail := func(format string, a ...any) error {
		return &Error{File: fname, Msg: fmt.Sprintf(format, a...)}
	}
	// yaml.v3 refuses "%YAML 1.2", which libyaml reads; the directive is
	// refused below anyway, by the token check, as nutcracker does
	docData := data
	if bytes.HasPrefix(data, []byte("%YAML")) || bytes.Contains(data, []byte("\n%YAML")) {
		lines := bytes.Split(data, []byte("\n"))
		for i, l := range lines {
			if bytes.HasPrefix(l, []byte("%YAML")) {
				lines[i] = append([]byte("#"), l...)
			}
		}
		docData = bytes.Join(lines, []byte("\n"))
	}
	root, err := validateDocument(docData, fname, fail)
	if err != nil {
		return nil, err
	}
	if err := validateTokens(data, root, fail); err != nil {
		return nil, err
	}
	evs := events(root)
	if err := validateStructure(evs, fname, fail); err != nil {
		return nil, err
	}
	raw, err := parsePools(root, fail)
	if err != nil {
		return nil, err
	}
	return postValidate(raw, fname, fail)
}

// validateDocument requires exactly one document, as conf_validate_document.
func validateDocument(data []byte, fname string, fail func(string, ...any) error) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root *yaml.Node
	count := 0
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fail("conf: failed (err %d) to get the next yaml document", yamlErrorType(err.Error()))
		}
		count++
		if root == nil {
			root = &n
		}
	}
	if count != 1 {
		return nil, fail("conf: '%s' must contain only 1 document; found %d documents", fname, count)
	}
	return root, nil
}

// yamlErrorType maps a yaml.v3 message (a port of libyaml, same wording) to
// libyaml's yaml_error_type_t number that nutcracker prints.
func yamlErrorType(msg string) int {
	switch {
	case strings.Contains(msg, "UTF-8"), strings.Contains(msg, "control characters"), strings.Contains(msg, "invalid Unicode"):
		return 2 // YAML_READER_ERROR
	case strings.Contains(msg, "did not find expected key"),
		strings.Contains(msg, "did not find expected <document start>"),
		strings.Contains(msg, "did not find expected node content"),
		strings.Contains(msg, "did not find expected '-' indicator"),
		strings.Contains(msg, "did not find expected ','"),
		strings.Contains(msg, "found undefined tag handle"):
		return 4 // YAML_PARSER_ERROR
	case strings.Contains(msg, "anchor"), strings.Contains(msg, "alias"):
		return 5 // YAML_COMPOSER_ERROR
	}
	return 3 // YAML_SCANNER_ERROR
}

type tokenErr struct {
	line, col int
	name      string
	num       int
}

// validateTokens refuses the tokens conf_validate_tokens refuses, reporting
// the first in the text.
func validateTokens(data []byte, root *yaml.Node, fail func(string, ...any) error) error {
	var found []tokenErr
	// Directives and document markers leave no trace in the node tree.
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		marker := func(m string) bool {
			return line == m || strings.HasPrefix(line, m+" ") || strings.HasPrefix(line, m+"\t")
		}
		switch {
		case strings.HasPrefix(line, "%YAML"):
			found = append(found, tokenErr{i + 1, 1, "version directive", 3})
		case strings.HasPrefix(line, "%"):
			found = append(found, tokenErr{i + 1, 1, "tag directive", 4})
		case marker("---"):
			found = append(found, tokenErr{i + 1, 1, "document start", 5})
		case marker("..."):
			found = append(found, tokenErr{i + 1, 1, "document end", 6})
		}
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch {
		case n.Kind == yaml.AliasNode:
			found = append(found, tokenErr{n.Line, n.Column, "alias", 18})
			return
		case n.Anchor != "":
			found = append(found, tokenErr{n.Line, n.Column, "anchor", 19})
		case n.Style&yaml.TaggedStyle != 0:
			found = append(found, tokenErr{n.Line, n.Column, "tag", 20})
		case n.Style&yaml.FlowStyle != 0 && n.Kind == yaml.SequenceNode:
			found = append(found, tokenErr{n.Line, n.Column, "flow sequence start", 10})
		case n.Style&yaml.FlowStyle != 0 && n.Kind == yaml.MappingNode:
			found = append(found, tokenErr{n.Line, n.Column, "flow mapping start", 12})
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	if len(found) == 0 {
		return nil
	}
	first := found[0]
	for _, t := range found[1:] {
		if t.line < first.line || t.line == first.line && t.col < first.col {
			first = t
		}
	}
	return fail("conf: %s token (%d) is disallowed", first.name, first.num)
}

// event is one libyaml parser event, as nutcracker's state machines see them.
type event struct {
	kind  int // evMapStart...
	value string
}

const (
	evMapStart = iota
	evMapEnd
	evSeqStart
	evSeqEnd
	evScalar
)

func events(root *yaml.Node) []event {
	var evs []event
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c)
			}
		case yaml.MappingNode:
			evs = append(evs, event{kind: evMapStart})
			for _, c := range n.Content {
				walk(c)
			}
			evs = append(evs, event{kind: evMapEnd})
		case yaml.SequenceNode:
			evs = append(evs, event{kind: evSeqStart})
			for _, c := range n.Content {
				walk(c)
			}
			evs = append(evs, event{kind: evSeqEnd})
		default:
			evs = append(evs, event{kind: evScalar, value: n.Value})
		}
	}
	walk(root)
	return evs
}

// Depths of conf_validate_structure: pools at 1, their keys at 2.
const (
	rootDepth = 1
	maxDepth  = 2
)

// validateStructure replays conf_validate_structure. The one change is for
// the extension: "sentinels" may be a second sequence of a pool, and
// "sentinel_masters" may accompany "servers".
func validateStructure(evs []event, fname string, fail func(string, ...any) error) error {
	depth := 0
	var count [maxDepth + 1]int
	seq := false
	seqKey, lastScalar := "", ""
	for _, ev := range evs {
		switch ev.kind {
		case evMapStart:
			if depth == rootDepth && count[depth] != 1 {
				return fail("conf: '%s' has more than one \"key:value\" at depth %d", fname, depth)
			} else if depth >= maxDepth {
				return fail("conf: '%s' has a depth greater than %d", fname, maxDepth)
			}
			depth++
		case evMapEnd:
			if depth == maxDepth {
				if seq {
					seq = false
				} else {
					return fail("conf: '%s' missing sequence directive at depth %d", fname, depth)
				}
			}
			depth--
			count[depth] = 0
		case evSeqStart:
			ext := depth == maxDepth && count[depth] == 1 && lastScalar == "sentinels"
			pair := seq && seqKey != lastScalar &&
				(seqKey == "sentinel_masters" && lastScalar == "servers" || seqKey == "servers" && lastScalar == "sentinel_masters")
			if seq && !ext && !pair {
				return fail("conf: '%s' has more than one sequence directive", fname)
			} else if depth != maxDepth {
				return fail("conf: '%s' has sequence at depth %d instead of %d", fname, depth, maxDepth)
			} else if count[depth] != 1 {
				return fail("conf: '%s' has invalid \"key:value\" at depth %d", fname, depth)
			}
			if !ext {
				seq, seqKey = true, lastScalar
			}
		case evSeqEnd:
			count[depth] = 0
		case evScalar:
			if depth == 0 {
				return fail("conf: '%s' has invalid empty \"key:\" at depth %d", fname, depth)
			} else if depth == rootDepth && count[depth] != 0 {
				return fail("conf: '%s' has invalid mapping \"key:\" at depth %d", fname, depth)
			} else if depth == maxDepth && count[depth] == 2 {
				count[depth] = 0
			}
			count[depth]++
			lastScalar = ev.value
		}
		if depth < 0 || depth > maxDepth+1 {
			return fail("conf: '%s' has a depth greater than %d", fname, maxDepth)
		}
	}
	return nil
}

// rawPool is a pool as parsed, before defaults: -1 marks an unset number.
type rawPool struct {
	Pool
	listenSet                                                   bool
	hash, dist, timeout, backlog, clientConns                   int
	redis, keepalive, reuseport, redisDB, preconnect, autoEject int
	serverConns, retry, failureLimit, readReplicas              int
	hashTagSet, authSet, sentUserSet, sentPassSet               bool
}

func newRawPool(name string) *rawPool {
	p := &rawPool{hash: -1, dist: -1, timeout: -1, backlog: -1, clientConns: -1,
		redis: -1, keepalive: -1, reuseport: -1, redisDB: -1, preconnect: -1, autoEject: -1,
		serverConns: -1, retry: -1, failureLimit: -1, readReplicas: -1}
	p.Name = name
	return p
}

// errEmpty stands for conf_push_scalar's silent failure on an empty scalar.
const errEmpty = "conf: empty value (nutcracker logs nothing for it)"

// parsePools walks the validated tree as conf_parse_core does: one pool per
// root key, then each "key: value" or each element of "key: [seq]".
func parsePools(root *yaml.Node, fail func(string, ...any) error) ([]*rawPool, error) {
	var pools []*rawPool
	top := root.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "" {
			return nil, fail(errEmpty)
		}
		p := newRawPool(top.Content[i].Value)
		pools = append(pools, p)
		body := top.Content[i+1]
		for j := 0; j+1 < len(body.Content); j += 2 {
			key, val := body.Content[j].Value, body.Content[j+1]
			if key == "" {
				return nil, fail(errEmpty)
			}
			vals := []*yaml.Node{val}
			if val.Kind == yaml.SequenceNode {
				vals = val.Content
			}
			for _, v := range vals {
				if v.Value == "" {
					return nil, fail(errEmpty)
				}
				if msg := p.set(key, v.Value); msg != "" {
					return nil, fail("conf: directive \"%s\" %s", key, msg)
				}
			}
		}
	}
	return pools, nil
}

// Messages of nutcracker's conf_set_* handlers.
const (
	msgDuplicate  = "is a duplicate"
	msgInvalid    = "has an invalid value"
	msgNotNumber  = "is not a number"
	msgNotBool    = "is not \"true\" or \"false\""
	msgUnknown    = "is unknown"
	msgServerForm = "has an invalid \"hostname:port:weight [name]\"or \"/path/unix_socket:weight [name]\" format string"
)

// set applies one directive; it returns "" or the handler's message.
func (p *rawPool) set(key, v string) string {
	num := func(dst *int) string {
		if *dst != -1 {
			return msgDuplicate
		}
		n := atoi(v)
		if n < 0 {
			return msgNotNumber
		}
		*dst = n
		return ""
	}
	boolean := func(dst *int) string {
		if *dst != -1 {
			return msgDuplicate
		}
		switch v {
		case "true":
			*dst = 1
		case "false":
			*dst = 0
		default:
			return msgNotBool
		}
		return ""
	}
	switch key {
	case "listen":
		return p.setListen(v)
	case "hash":
		return pick(&p.hash, v, Hashes, "is not a valid hash")
	case "hash_tag":
		if p.hashTagSet {
			return msgDuplicate
		}
		if len(v) != 2 {
			return "is not a valid hash tag string with two characters"
		}
		p.HashTag, p.hashTagSet = v, true
	case "distribution":
		return pick(&p.dist, v, Distributions, "is not a valid distribution")
	case "timeout":
		return num(&p.timeout)
	case "backlog":
		return num(&p.backlog)
	case "client_connections":
		return num(&p.clientConns)
	case "redis":
		return boolean(&p.redis)
	case "tcpkeepalive":
		return boolean(&p.keepalive)
	case "reuseport":
		return boolean(&p.reuseport)
	case "redis_auth":
		if p.authSet {
			return msgDuplicate
		}
		p.RedisAuth, p.authSet = v, true
	case "redis_db":
		return num(&p.redisDB)
	case "preconnect":
		return boolean(&p.preconnect)
	case "auto_eject_hosts":
		return boolean(&p.autoEject)
	case "server_connections":
		return num(&p.serverConns)
	case "server_retry_timeout":
		return num(&p.retry)
	case "server_failure_limit":
		return num(&p.failureLimit)
	case "servers":
		s, msg := parseServer(v)
		if msg != "" {
			return msg
		}
		p.Servers = append(p.Servers, s)
	case "sentinels":
		host, port, ok := splitHostPort(v)
		if !ok || port < 1 || port > 65535 || host == "" {
			return "has an invalid \"hostname:port\" format string"
		}
		p.Sentinels = append(p.Sentinels, v)
	case "sentinel_masters":
		i := strings.LastIndexByte(v, ':')
		if i <= 0 {
			return "has an invalid \"name:weight\" format string"
		}
		w := atoi(v[i+1:])
		if w < 0 {
			return "has an invalid weight in \"name:weight\" format string"
		} else if w == 0 {
			return "has a zero weight in \"name:weight\" format string"
		}
		p.SentinelMasters = append(p.SentinelMasters, Server{Name: v[:i], Weight: w})
	case "read_from_replicas":
		return boolean(&p.readReplicas)
	case "sentinel_username":
		if p.sentUserSet {
			return msgDuplicate
		}
		p.SentinelUsername, p.sentUserSet = v, true
	case "sentinel_password":
		if p.sentPassSet {
			return msgDuplicate
		}
		p.SentinelPassword, p.sentPassSet = v, true
	default:
		return msgUnknown
	}
	return ""
}

func pick(dst *int, v string, names []string, bad string) string {
	if *dst != -1 {
		return msgDuplicate
	}
	for i, n := range names {
		if n == v {
			*dst = i
			return ""
		}
	}
	return bad
}

func splitHostPort(v string) (string, int, bool) {
	i := strings.LastIndexByte(v, ':')
	if i < 0 {
		return "", 0, false
	}
	return v[:i], atoi(v[i+1:]), true
}

// atoi is nc_atoi: decimal digits only, -1 on anything else, with C's int
// overflow (wrapping in 32 bits, negative results refused).
func atoi(s string) int {
	if s == "" {
		return -1
	}
	var v int32
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		v = v*10 + int32(c-'0')
	}
	if v < 0 {
		return -1
	}
	return int(v)
}

// setListen is conf_set_listen: "host:port", or "/path [perm]" in octal.
func (p *rawPool) setListen(v string) string {
	if p.listenSet {
		return msgDuplicate
	}
	if v[0] == '/' {
		path := v
		if i := strings.LastIndexByte(v, ' '); i >= 0 {
			path = v[:i]
			perm, ok := strtolOctal(v[i+1:])
			if !ok || perm > 0o777 {
				return "has an invalid file permission in \"socket_path permission\" format string"
			}
			p.ListenPerm = os.FileMode(perm)
		}
		// sun_path holds 108 bytes with the terminating NUL
		if len(path) >= 108 {
			return msgInvalid
		}
		p.Listen = path
	} else {
		host, port, ok := splitHostPort(v)
		if !ok {
			return "has an invalid \"hostname:port\" format string"
		}
		if port < 1 || port > 65535 {
			return "has an invalid port in \"hostname:port\" format string"
		}
		if LookupHost(host) != nil {
			return msgInvalid
		}
		p.Listen = v
	}
	p.listenSet = true
	return ""
}

// strtolOctal is (mode_t)strtol(s, NULL, 8): leading blanks, a sign, then
// octal digits up to the first other byte; ok is false on overflow (errno).
func strtolOctal(s string) (uint32, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var v uint64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '7'; i++ {
		v = v*8 + uint64(s[i]-'0')
		if v > 1<<63 {
			return 0, false
		}
	}
	if neg {
		return uint32(-int64(v)), true
	}
	return uint32(v), true
}

// parseServer is conf_add_server: the name after the last space, then the
// weight and (for a TCP address) the port after the last colons.
func parseServer(v string) (Server, string) {
	unix := v[0] == '/'
	delimlen := 3
	if unix {
		delimlen = 2
	}
	rrchr := func(p int, c byte) int { // nc_strrchr(p, start, c)
		for ; p >= 0; p-- {
			if v[p] == c {
				return p
			}
		}
		return -1
	}
	p := len(v) - 1
	var name, weight, port string
	k := 0
	for ; k < 4; k++ {
		delim := " ::\x00"[k]
		q := rrchr(p, delim)
		if q < 0 {
			if k == 0 {
				continue
			}
			break
		}
		switch k {
		case 0:
			name = v[q+1 : p+1]
		case 1:
			weight = v[q+1 : p+1]
		case 2:
			port = v[q+1 : p+1]
		}
		p = q - 1
	}
	if k != delimlen {
		return Server{}, msgServerForm
	}
	addr := v[:p+1]
	w := atoi(weight)
	if w < 0 {
		return Server{}, "has an invalid weight in \"hostname:port:weight [name]\" format string"
	} else if w == 0 {
		return Server{}, "has a zero weight in \"hostname:port:weight [name]\" format string"
	}
	s := Server{Addr: addr, Weight: w, Name: name}
	if !unix {
		pn := atoi(port)
		if pn < 1 || pn > 65535 {
			return Server{}, "has an invalid port in \"hostname:port:weight [name]\" format string"
		}
		s.Addr = addr + ":" + port
	}
	return s, ""
}

// less is twemproxy's string_compare: shorter first, then bytes.
func less(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// postValidate is conf_post_validate and conf_validate_pool: defaults, the
// per-pool checks, then duplicate listens and names across pools.
func postValidate(raw []*rawPool, fname string, fail func(string, ...any) error) ([]Pool, error) {
	if len(raw) == 0 {
		return nil, fail("conf: '%s' has no pools", fname)
	}
	pools := make([]Pool, 0, len(raw))
	for _, rp := range raw {
		p, err := rp.finish(fail)
		if err != nil {
			return nil, err
		}
		pools = append(pools, p)
	}
	// nutcracker compares the listen string as written
	listenKey := func(i int) string { return raw[i].listenText() }
	idx := make([]int, len(pools))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return less(listenKey(idx[a]), listenKey(idx[b])) })
	for i := 0; i+1 < len(idx); i++ {
		a, b := idx[i], idx[i+1]
		if listenKey(a) == listenKey(b) {
			return nil, fail("conf: pools '%s' and '%s' have the same listen address '%s'", pools[a].Name, pools[b].Name, listenKey(a))
		}
	}
	sort.SliceStable(pools, func(a, b int) bool { return less(pools[a].Name, pools[b].Name) })
	for i := 0; i+1 < len(pools); i++ {
		if pools[i].Name == pools[i+1].Name {
			// the stray quote is nutcracker's
			return nil, fail("conf: '%s' has pools with same name %s'", fname, pools[i].Name)
		}
	}
	return pools, nil
}

func (rp *rawPool) listenText() string {
	if rp.ListenPerm != 0 {
		return fmt.Sprintf("%s %o", rp.Listen, uint32(rp.ListenPerm))
	}
	return rp.Listen
}

func (rp *rawPool) finish(fail func(string, ...any) error) (Pool, error) {
	p := rp.Pool
	if !rp.listenSet {
		return p, fail("conf: directive \"listen:\" is missing")
	}
	or := func(v, def int) int {
		if v == -1 {
			return def
		}
		return v
	}
	p.Distribution = Distributions[or(rp.dist, 0)]
	p.Hash = Hashes[or(rp.hash, 6)]
	if rp.timeout > 0 {
		p.Timeout = time.Duration(rp.timeout) * time.Millisecond
	}
	p.Backlog = or(rp.backlog, 512)
	p.Redis = rp.redis == 1
	p.TCPKeepalive = rp.keepalive == 1
	p.ReusePort = rp.reuseport == 1
	p.RedisDB = or(rp.redisDB, 0)
	p.Preconnect = rp.preconnect == 1
	p.AutoEjectHosts = rp.autoEject == 1
	if rp.serverConns == 0 {
		return p, fail("conf: directive \"server_connections:\" cannot be 0")
	}
	p.ServerConnections = or(rp.serverConns, 1)
	p.ServerRetryTimeout = time.Duration(or(rp.retry, 30000)) * time.Millisecond
	p.ServerFailureLimit = or(rp.failureLimit, 2)
	p.ReadFromReplicas = rp.readReplicas == 1
	if !p.Redis && p.RedisAuth != "" {
		return p, fail("conf: directive \"redis_auth:\" is only valid for a redis pool")
	}
	if len(p.Servers)+len(p.SentinelMasters) == 0 {
		return p, fail("conf: pool '%s' has no servers", p.Name)
	}
	// the extension's own rules
	if len(p.Sentinels) == 0 {
		if len(p.SentinelMasters) > 0 {
			return p, fail("conf: directive \"sentinel_masters:\" needs \"sentinels:\" in pool '%s'", p.Name)
		}
		if rp.readReplicas != -1 {
			return p, fail("conf: directive \"read_from_replicas:\" needs \"sentinels:\" in pool '%s'", p.Name)
		}
		if rp.sentUserSet || rp.sentPassSet {
			return p, fail("conf: directive \"sentinel_password:\" needs \"sentinels:\" in pool '%s'", p.Name)
		}
	} else if rp.sentUserSet && !rp.sentPassSet {
		return p, fail("conf: directive \"sentinel_username:\" needs \"sentinel_password:\" in pool '%s'", p.Name)
	} else {
		for _, s := range p.Servers {
			if s.Name == "" {
				return p, fail("conf: pool '%s' server '%s' has no name: with \"sentinels:\", a server's name is its Sentinel master name", p.Name, s.Addr)
			}
		}
	}
	sort.SliceStable(p.Servers, func(a, b int) bool { return less(p.Servers[a].HashName(), p.Servers[b].HashName()) })
	sort.SliceStable(p.SentinelMasters, func(a, b int) bool { return less(p.SentinelMasters[a].Name, p.SentinelMasters[b].Name) })
	names := make([]string, 0, len(p.Servers)+len(p.SentinelMasters))
	for _, s := range p.Servers {
		names = append(names, s.HashName())
	}
	for _, s := range p.SentinelMasters {
		names = append(names, s.Name)
	}
	sort.SliceStable(names, func(a, b int) bool { return less(names[a], names[b]) })
	for i := 0; i+1 < len(names); i++ {
		if names[i] == names[i+1] {
			return p, fail("conf: pool '%s' has servers with same name '%s'", p.Name, names[i])
		}
	}
	return p, nil
}

// RedisOnly refuses memcache pools (redis: false, nutcracker's default),
// which nutcracker -t accepts but redoubt cannot serve; the proxy calls it
// at start.
func RedisOnly(pools []Pool) error {
	for _, p := range pools {
		if !p.Redis {
			return &Error{Msg: fmt.Sprintf("conf: pool '%s' is a memcache pool (\"redis: false\", the default): redoubt proxies redis pools only; set \"redis: true\"", p.Name)}
		}
	}
	return nil
}
