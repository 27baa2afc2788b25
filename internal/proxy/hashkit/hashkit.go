// Package hashkit places keys on backends exactly as twemproxy (nutcracker
// 0.5.0) does: its twelve hash functions, its hash_tag rule and its ketama,
// modula and random distributions. The proxy replaces running nutcracker
// deployments, so every key must land on the backend nutcracker chose.
package hashkit

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Func is a twemproxy hash function: key bytes to a 32-bit hash.
type Func func(key []byte) uint32

// Names are the twelve hash names nutcracker.yml accepts, in twemproxy's order.
var Names = []string{
	"one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64",
	"fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins",
}

var funcs = map[string]Func{
	"one_at_a_time": oneAtATime,
	"md5":           md5Hash,
	"crc16":         crc16,
	"crc32":         crc32Libmemcached,
	"crc32a":        crc32a,
	"fnv1_64":       fnv1_64,
	"fnv1a_64":      fnv1a_64,
	"fnv1_32":       fnv1_32,
	"fnv1a_32":      fnv1a_32,
	"hsieh":         hsieh,
	"murmur":        murmur,
	"jenkins":       jenkins,
}

// Lookup returns the hash function for a nutcracker.yml "hash:" value.
func Lookup(name string) (Func, bool) {
	f, ok := funcs[name]
	return f, ok
}

// Distributions nutcracker.yml accepts.
var Distributions = []string{"ketama", "modula", "random"}

// Server is what placement needs of one configured backend.
type Server struct {
	Name   string // the server's name from "host:port:weight name", or "" if none
	Addr   string // "host:port" as written in the config (or a unix socket path)
	Weight int
}

// Dispatcher picks a backend for a key.
type Dispatcher interface {
	// Pick returns the index (into the servers slice given to New) of the
	// backend for key, or -1 when no backend is live.
	Pick(key []byte) int
}

// HashTagKey returns the part of key that is hashed under tag: the bytes
// between the first tag[0] and the next tag[1]; the whole key when either is
// absent or nothing lies between them. twemproxy only accepts two-character
// tags, so any other tag leaves the key whole.
func HashTagKey(key []byte, tag string) []byte {
	if len(tag) != 2 {
		return key
	}
	i := slices.Index(key, tag[0])
	if i < 0 {
		return key
	}
	j := slices.Index(key[i+1:], tag[1])
	if j <= 0 {
		return key
	}
	return key[i+1 : i+1+j]
}

// New builds the dispatcher for a pool. live[i] says whether servers[i] may
// receive keys (nil: all); twemproxy rebuilds its continuum from the live
// servers only after an ejection, and New with the same live set reproduces it.
func New(dist string, hash Func, tag string, servers []Server, live []bool) (Dispatcher, error) {
	if len(servers) == 0 {
		return nil, errors.New("hashkit: no servers")
	}
	if live != nil && len(live) != len(servers) {
		return nil, fmt.Errorf("hashkit: %d live flags for %d servers", len(live), len(servers))
	}
	if tag != "" && len(tag) != 2 {
		return nil, fmt.Errorf("hashkit: hash tag %q is not two characters", tag)
	}
	if hash == nil && dist != "random" {
		return nil, errors.New("hashkit: nil hash function")
	}
	var total uint64
	for i, s := range servers {
		// nutcracker parses weights with nc_atoi (an int) and rejects zero.
		if s.Weight <= 0 || s.Weight > math.MaxInt32 {
			return nil, fmt.Errorf("hashkit: server %d has invalid weight %d", i, s.Weight)
		}
		total += uint64(s.Weight)
	}
	// twemproxy sums weights in a uint32; refuse pools where that wraps.
	if total > math.MaxUint32 {
		return nil, errors.New("hashkit: total weight exceeds 2^32-1")
	}
	p := &pool{hash: hash, tag: tag, n: len(servers)}
	for i := range servers {
		if live == nil || live[i] {
			p.live = append(p.live, i)
		}
	}
	switch dist {
	case "ketama":
		p.pick = p.ketama
		p.buildKetama(servers)
	case "modula":
		p.pick = p.modula
		for _, i := range p.live {
			p.modTotal += uint32(servers[i].Weight)
			p.modEnds = append(p.modEnds, p.modTotal)
		}
	case "random":
		p.pick = p.random
	default:
		return nil, fmt.Errorf("hashkit: unknown distribution %q", dist)
	}
	return p, nil
}

type point struct {
	value uint32
	index int
}

type pool struct {
	hash Func
	tag  string
	n    int   // configured servers, live or not
	live []int // indexes of live servers, in config order
	pick func(h uint32) int

	points []point // ketama continuum, sorted by value

	modEnds  []uint32 // modula: cumulative weights of live servers
	modTotal uint32
}

func (p *pool) Pick(key []byte) int {
	if len(p.live) == 0 {
		return -1
	}
	// twemproxy answers a one-server pool without hashing, even for random.
	if p.n == 1 {
		return 0
	}
	if p.pick == nil {
		return -1
	}
	k := HashTagKey(key, p.tag)
	var h uint32
	// An empty key hashes to 0 whatever the function (server_pool_hash).
	if len(k) > 0 && p.hash != nil {
		h = p.hash(k)
	}
	return p.pick(h)
}

func (p *pool) random(uint32) int { return p.live[rand.IntN(len(p.live))] }

// modula is hash modulo the live weight, over a continuum holding each live
// server as many times as its weight, in config order.
func (p *pool) modula(h uint32) int {
	r := h % p.modTotal
	i, _ := slices.BinarySearchFunc(p.modEnds, r, func(end, r uint32) int {
		if end <= r {
			return -1
		}
		return 1
	})
	return p.live[i]
}

// ketama returns the server of the first point at or after h, wrapping to the
// first point past the end.
func (p *pool) ketama(h uint32) int {
	if len(p.points) == 0 {
		return -1
	}
	i, _ := slices.BinarySearchFunc(p.points, h, func(pt point, h uint32) int {
		if pt.value < h {
			return -1
		}
		return 1
	})
	if i == len(p.points) {
		i = 0
	}
	return p.points[i].index
}

// ketamaMaxHost is the snprintf buffer nutcracker formats a point's name into;
// longer names are cut to one byte less.
const ketamaMaxHost = 273

func (p *pool) buildKetama(servers []Server) {
	var total uint32
	for _, i := range p.live {
		total += uint32(servers[i].Weight)
	}
	nlive := float32(len(p.live))
	for _, i := range p.live {
		s := servers[i]
		// Each step rounds to float32 like the C expression; the explicit
		// conversions keep Go from fusing or widening them.
		pct := float32(s.Weight) / float32(total)
		x := float32(pct * 160)
		x = float32(x / 4)
		x = float32(x * nlive)
		x = float32(float64(x) + 0.0000000001)
		perServer := uint32(float32(math.Floor(float64(x))) * 4)
		name := ketamaName(s)
		for j := uint32(0); j < perServer/4; j++ {
			host := name + "-" + strconv.FormatUint(uint64(j), 10)
			if len(host) >= ketamaMaxHost {
				host = host[:ketamaMaxHost-1]
			}
			d := md5Sum([]byte(host))
			for k := range 4 {
				v := uint32(d[4*k]) | uint32(d[4*k+1])<<8 | uint32(d[4*k+2])<<16 | uint32(d[4*k+3])<<24
				p.points = append(p.points, point{v, i})
			}
		}
	}
	// nutcracker's qsort leaves equal values in an unspecified order; a
	// stable sort keeps config order, which is what glibc's merge sort does.
	slices.SortStableFunc(p.points, func(a, b point) int {
		switch {
		case a.value < b.value:
			return -1
		case a.value > b.value:
			return 1
		}
		return 0
	})
}

// ketamaName is the string nutcracker hashes for a server's points: its name
// when it has one; otherwise the config text up to the weight, which is
// "host:port", "host" alone when the port is 11211 (libmemcached's
// convention), and for a unix socket the path with its trailing colon.
func ketamaName(s Server) string {
	name := s.Name
	if name == "" {
		switch {
		case strings.HasPrefix(s.Addr, "/"):
			name = s.Addr + ":"
		default:
			name = s.Addr
			if c := strings.LastIndexByte(s.Addr, ':'); c >= 0 && atoi(s.Addr[c+1:]) == 11211 {
				name = s.Addr[:c]
			}
		}
	}
	// "%.*s" stops at a NUL byte.
	if z := strings.IndexByte(name, 0); z >= 0 {
		name = name[:z]
	}
	return name
}

// atoi is nc_atoi: decimal digits only, -1 for anything else.
func atoi(s string) int {
	if s == "" {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
		if n > math.MaxInt32 {
			return -1
		}
	}
	return n
}
