package compat

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt/redoubt/test/testutil"
)

// TestCompatSentinel runs sentinel_cases/*.txt (same syntax as cases/)
// against a real redis-sentinel and a redoubt sentinel. Each monitors its
// own real redis-server master as "mym" with quorum 1, so that the two do
// not discover each other; "$MASTER_PORT" in a case line stands for the
// peer's master port, and each peer's master port in its replies is
// replaced by the same placeholder before comparing (both are five-digit
// ephemeral ports, so RESP lengths agree). No FLUSHALL: the files run in
// order on the same sentinels.
func TestCompatSentinel(t *testing.T) {
	files, _ := filepath.Glob("sentinel_cases/*.txt")
	if len(files) == 0 {
		t.Fatal("no sentinel case files")
	}
	var peers []*peer
	var masterPorts []string
	for _, kind := range []string{"redis", "redoubt"} {
		master := testutil.StartRedis(t)
		s := testutil.StartSentinel(t, kind, fmt.Sprintf("sentinel monitor mym 127.0.0.1 %d 1\n", master.Port))
		peers = append(peers, &peer{name: kind, addr: s.Addr})
		masterPorts = append(masterPorts, strconv.Itoa(master.Port))
	}
	if len(masterPorts[0]) != len(masterPorts[1]) {
		t.Skipf("master ports %s and %s differ in length", masterPorts[0], masterPorts[1])
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
				for _, p := range peers {
					p.dialSentinel(t, proto)
				}
				for _, cl := range lines {
					switch cl.mode {
					case "sleep":
						ms, _ := strconv.Atoi(cl.args[0])
						time.Sleep(time.Duration(ms) * time.Millisecond)
						continue
					case "reconnect":
						for _, p := range peers {
							p.dialSentinel(t, proto)
						}
						continue
					}
					total++
					var got [2]*testutil.Reply
					for i, p := range peers {
						args := make([]string, len(cl.args))
						for j, a := range cl.args {
							args[j] = strings.ReplaceAll(a, "$MASTER_PORT", masterPorts[i])
						}
						r, err := p.do(args)
						if err != nil {
							t.Fatalf("%s:%d %s: %s: %v", f, cl.n, cl.text, p.name, err)
						}
						got[i] = maskPort(r, masterPorts[i])
					}
					if !sameReply(cl.mode, got[0], got[1]) {
						t.Errorf("%s:%d %s\n  redis:   %q\n  redoubt: %q", f, cl.n, cl.text, got[0].Raw, got[1].Raw)
					}
				}
			})
		}
	}
	t.Logf("sentinel compat: %d cases compared across %d files", total, len(files))
}

// dialSentinel opens a fresh connection speaking proto (no SELECT: a
// sentinel has no databases).
func (p *peer) dialSentinel(t *testing.T, proto int) {
	t.Helper()
	if p.conn != nil {
		p.conn.Close()
	}
	p.conn, p.rd = nil, nil
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	p.conn, p.rd = c, bufio.NewReader(c)
	if _, err := p.do([]string{"HELLO", strconv.Itoa(proto)}); err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
}

// maskPort replaces port in a reply's raw bytes and elements with the
// placeholder the case files use.
func maskPort(r *testutil.Reply, port string) *testutil.Reply {
	const placeholder = "$PORT"
	mask := func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte(port), []byte(placeholder[:len(port)]))
	}
	out := *r
	out.Raw = mask(r.Raw)
	out.Elems = make([][]byte, len(r.Elems))
	for i, e := range r.Elems {
		out.Elems[i] = mask(e)
	}
	return &out
}
