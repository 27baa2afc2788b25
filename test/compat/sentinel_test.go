package compat

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

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
	s := &suite{
		peers: peers,
		open: func(t *testing.T, p *peer, proto int, _ bool) {
			p.dialSentinel(t, proto)
		},
		args: func(i int, args []string) []string {
			out := make([]string, len(args))
			for j, a := range args {
				out[j] = strings.ReplaceAll(a, "$MASTER_PORT", masterPorts[i])
			}
			return out
		},
		reply: func(i int, r *testutil.Reply) *testutil.Reply {
			return maskPort(r, masterPorts[i])
		},
	}
	t.Logf("sentinel compat: %d cases compared", s.run(t, "sentinel_cases/*.txt"))
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
