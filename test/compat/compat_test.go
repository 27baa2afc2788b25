// Package compat is the differential compatibility harness: every case file
// under cases/ is run line by line against a real redis-server 7 and against
// redoubt, in RESP2 and again in RESP3, and the raw replies are compared
// byte for byte.
//
// Case file syntax (one command per line, redis-cli quoting):
//
//	# comment
//	SET k v                  compared exactly
//	!unordered SMEMBERS s    elements of the top-level aggregate compared as a multiset
//	!type TTL k              only the reply type is compared (nondeterministic value)
//	!noreply DEBUG SLEEP 0   sent, reply read and ignored on both
//	!replies 2 SUBSCRIBE a b  sent once, N replies read and each compared exactly
//	@sleep 1100              pause (milliseconds)
//	@reconnect               open fresh connections (same protocol)
//	@resp2only               (file header) do not run this file in RESP3
//
// Each file starts with FLUSHALL on fresh connections.
package compat

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt/redoubt/internal/resp"
	"github.com/redoubt/redoubt/test/testutil"
)

type peer struct {
	name string
	addr string
	conn net.Conn
	rd   *bufio.Reader
}

func (p *peer) dial(t *testing.T, proto int) {
	t.Helper()
	if p.conn != nil {
		p.conn.Close()
	}
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	p.conn, p.rd = c, bufio.NewReader(c)
	for _, cmd := range [][]string{{"HELLO", strconv.Itoa(proto)}, {"SELECT", "0"}} {
		if _, err := p.do(cmd); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
	}
}

func encode(args []string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

func (p *peer) do(args []string) (*testutil.Reply, error) {
	p.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := p.conn.Write(encode(args)); err != nil {
		return nil, err
	}
	return testutil.ReadReply(p.rd)
}

type caseLine struct {
	n    int
	mode string // "", "unordered", "type", "noreply", "sleep", "reconnect"
	args []string
	text string
	// replies is how many replies the command produces (!replies N).
	replies int
}

func parseFile(t *testing.T, path string) (lines []caseLine, resp2only bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, raw := range strings.Split(string(data), "\n") {
		text := strings.TrimSpace(raw)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cl := caseLine{n: i + 1, text: text}
		switch {
		case text == "@resp2only":
			resp2only = true
			continue
		case text == "@reconnect":
			cl.mode = "reconnect"
		case strings.HasPrefix(text, "@sleep "):
			cl.mode = "sleep"
			cl.args = []string{strings.TrimSpace(text[len("@sleep "):])}
		case strings.HasPrefix(text, "!"):
			mode, rest, _ := strings.Cut(text[1:], " ")
			switch mode {
			case "unordered", "type", "noreply":
			case "replies":
				n, tail, _ := strings.Cut(rest, " ")
				var err error
				if cl.replies, err = strconv.Atoi(n); err != nil || cl.replies < 1 {
					t.Fatalf("%s:%d: bad reply count in %q", path, i+1, text)
				}
				rest, mode = tail, ""
			default:
				t.Fatalf("%s:%d: unknown marker !%s", path, i+1, mode)
			}
			cl.mode = mode
			text = rest
		}
		if cl.mode == "" || cl.mode == "unordered" || cl.mode == "type" || cl.mode == "noreply" {
			words, ok := resp.SplitArgs([]byte(text))
			if !ok || len(words) == 0 {
				t.Fatalf("%s:%d: cannot parse %q", path, i+1, text)
			}
			for _, w := range words {
				cl.args = append(cl.args, string(w))
			}
		}
		lines = append(lines, cl)
	}
	return lines, resp2only
}

func sameReply(mode string, a, b *testutil.Reply) bool {
	switch mode {
	case "noreply":
		return true
	case "type":
		return a.Kind == b.Kind
	case "unordered":
		if a.Kind != b.Kind || len(a.Elems) != len(b.Elems) {
			return false
		}
		as := make([]string, len(a.Elems))
		bs := make([]string, len(b.Elems))
		for i := range a.Elems {
			as[i], bs[i] = string(a.Elems[i]), string(b.Elems[i])
		}
		sort.Strings(as)
		sort.Strings(bs)
		for i := range as {
			if as[i] != bs[i] {
				return false
			}
		}
		return true
	}
	return bytes.Equal(a.Raw, b.Raw)
}

// suite is one differential run over case files: its peers (the real
// server first) and how each peer's connections, commands and replies are
// adapted.
type suite struct {
	peers []*peer
	// open dials a fresh connection speaking proto; fresh is true at a
	// file's start.
	open func(t *testing.T, p *peer, proto int, fresh bool)
	// args and reply adapt a command before peer i gets it and its reply
	// before comparing (nil: unchanged).
	args  func(i int, args []string) []string
	reply func(i int, r *testutil.Reply) *testutil.Reply
}

// run runs every file matching pattern in RESP2 and RESP3 and returns the
// number of commands compared.
func (s *suite) run(t *testing.T, pattern string) int {
	files, _ := filepath.Glob(pattern)
	if len(files) == 0 {
		t.Fatalf("no case files match %s", pattern)
	}
	total := 0
	for _, f := range files {
		lines, resp2only := parseFile(t, f)
		protos := []int{2, 3}
		if resp2only {
			protos = protos[:1]
		}
		for _, proto := range protos {
			name := fmt.Sprintf("%s/resp%d", strings.TrimSuffix(filepath.Base(f), ".txt"), proto)
			t.Run(name, func(t *testing.T) {
				for _, p := range s.peers {
					s.open(t, p, proto, true)
				}
				for _, cl := range lines {
					switch cl.mode {
					case "sleep":
						ms, _ := strconv.Atoi(cl.args[0])
						time.Sleep(time.Duration(ms) * time.Millisecond)
						continue
					case "reconnect":
						for _, p := range s.peers {
							s.open(t, p, proto, false)
						}
						continue
					}
					total++
					s.compare(t, f, cl)
				}
			})
		}
	}
	return total
}

// compare sends one case line to every peer and compares the replies
// with the first peer's.
func (s *suite) compare(t *testing.T, file string, cl caseLine) {
	t.Helper()
	got := make([]*testutil.Reply, len(s.peers))
	for i, p := range s.peers {
		args := cl.args
		if s.args != nil {
			args = s.args(i, args)
		}
		r, err := p.do(args)
		if err != nil {
			t.Fatalf("%s:%d %s: %s: %v", file, cl.n, cl.text, p.name, err)
		}
		if s.reply != nil {
			r = s.reply(i, r)
		}
		got[i] = r
		if i > 0 && !sameReply(cl.mode, got[0], r) {
			t.Errorf("%s:%d %s\n  %s:   %q\n  %s: %q", file, cl.n, cl.text, s.peers[0].name, got[0].Raw, p.name, r.Raw)
		}
	}
	for k := 1; k < cl.replies; k++ {
		var first *testutil.Reply
		for i, p := range s.peers {
			r, err := testutil.ReadReply(p.rd)
			if err != nil {
				t.Fatalf("%s:%d %s: reply %d: %s: %v", file, cl.n, cl.text, k+1, p.name, err)
			}
			if i == 0 {
				first = r
			} else if !bytes.Equal(first.Raw, r.Raw) {
				t.Errorf("%s:%d %s (reply %d)\n  %s:   %q\n  %s: %q", file, cl.n, cl.text, k+1, s.peers[0].name, first.Raw, p.name, r.Raw)
			}
		}
	}
}

func TestCompat(t *testing.T) {
	args := []string{"--enable-debug-command", "yes"}
	real := testutil.StartRedis(t, args...)
	ours := testutil.StartRedoubt(t, args...)
	s := &suite{
		peers: []*peer{{name: "redis", addr: real.Addr}, {name: "redoubt", addr: ours.Addr}},
		open: func(t *testing.T, p *peer, proto int, fresh bool) {
			p.dial(t, proto)
			if !fresh {
				return
			}
			// each file starts from an empty dataset
			if _, err := p.do([]string{"FLUSHALL"}); err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
		},
	}
	t.Logf("compat: %d cases compared", s.run(t, "cases/*.txt"))
}
