package server

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/redoubt/redoubt/internal/config"
)

// Big values are encoded in slices with the lock released in between; a
// write to one meanwhile first finishes its encoding, so the file still
// holds every key as it was when the snapshot started. The steps are
// driven here one by one, so the writes land exactly while a value is
// half encoded.
func TestBigValuesEncodedInSlices(t *testing.T) {
	c := newSmallEncodingClient()
	s := c.srv
	defer s.mu.Unlock()
	do := func(args ...string) string {
		c.w.Reset()
		c.processCommand(bytesArgs(args...))
		return string(c.w.Buf)
	}
	n := 3*bigValueElems + 7
	for i := 0; i < n; i += 500 {
		h, st, z, l := []string{"HSET", "bh"}, []string{"SADD", "bs"}, []string{"ZADD", "bz"}, []string{"RPUSH", "bl"}
		for k := i; k < min(i+500, n); k++ {
			f := "f" + strconv.Itoa(k)
			h = append(h, f, "v"+strconv.Itoa(k))
			st = append(st, f)
			z = append(z, strconv.Itoa(k), f)
			l = append(l, f)
		}
		for _, cmd := range [][]string{h, st, z, l} {
			if r := do(cmd...); r[0] == '-' {
				t.Fatal(r)
			}
		}
	}
	for i := 0; i < n; i++ {
		do("XADD", "bx", strconv.Itoa(i+1)+"-1", "f", "v")
	}
	do("XGROUP", "CREATE", "bx", "g", "0")
	if r := do("XREADGROUP", "GROUP", "g", "c", "COUNT", "5000", "STREAMS", "bx", ">"); r[0] != '*' {
		t.Fatal(r)
	}
	do("SET", "small", "x")
	do("SELECT", "2")
	do("HSET", "other", "a", "1")
	for i := 0; i < n; i += 500 {
		h := []string{"HSET", "bh2"}
		for k := i; k < min(i+500, n); k++ {
			h = append(h, "g"+strconv.Itoa(k), "w")
		}
		do(h...)
	}
	do("SELECT", "0")

	j := s.newRDBJob()
	var file []byte
	step := func() bool {
		var done bool
		var tail [][]byte
		file, tail, done = j.step(file)
		file = j.appendTail(file, tail)
		return done
	}
	// walk until a value is held half encoded, then write to every big
	// key: each write must finish that key's encoding first
	for len(j.bigs) == 0 || len(j.bigs[0].chunks) == 0 { // none held half encoded yet
		if step() {
			t.Fatal("the walk ended without holding a big value")
		}
	}
	held := len(j.bigs)
	do("HSET", "bh", "new", "1")
	do("HDEL", "bh", "f0")
	do("SADD", "bs", "new")
	do("ZADD", "bz", "-1", "new")
	do("RPUSH", "bl", "new")
	do("XADD", "bx", "*", "f", "new")
	do("XACK", "bx", "g", "1-1")
	do("SELECT", "2")
	do("DEL", "bh2")
	do("SELECT", "0")
	for !step() {
	}
	if held == 0 {
		t.Fatal("no value was held")
	}

	cfg := config.Default()
	s2 := New(cfg)
	s2.mu.Lock()
	defer s2.mu.Unlock()
	if err := s2.loadRDBBytes(file); err != nil {
		t.Fatalf("loading the file: %v", err)
	}
	c2 := &Client{srv: s2, rd: c.rd, w: c.w, db: s2.ks.DBs[0], authenticated: true, user: "default"}
	do2 := func(args ...string) string {
		c2.w.Reset()
		c2.processCommand(bytesArgs(args...))
		return string(c2.w.Buf)
	}
	want := fmt.Sprintf(":%d\r\n", n)
	for _, cmd := range [][]string{{"HLEN", "bh"}, {"SCARD", "bs"}, {"ZCARD", "bz"}, {"LLEN", "bl"}} {
		if got := do2(cmd...); got != want {
			t.Errorf("%v = %q, want %q", cmd, got, want)
		}
	}
	if got := do2("XLEN", "bx"); got != want {
		t.Errorf("XLEN bx = %q, want %q", got, want)
	}
	if got := do2("XPENDING", "bx", "g"); got[:9] != "*4\r\n:5000" {
		t.Errorf("XPENDING bx g = %q, want 5000 pending", got)
	}
	for _, cmd := range [][]string{{"HEXISTS", "bh", "new"}, {"SISMEMBER", "bs", "new"}} {
		if got := do2(cmd...); got != ":0\r\n" {
			t.Errorf("%v = %q: a write made after the snapshot is in the file", cmd, got)
		}
	}
	if got := do2("HGET", "bh", "f0"); got != "$2\r\nv0\r\n" {
		t.Errorf("HGET bh f0 = %q", got)
	}
	if got := do2("ZRANGE", "bz", "0", "0"); got != "*1\r\n$2\r\nf0\r\n" {
		t.Errorf("ZRANGE bz 0 0 = %q", got)
	}
	if got := do2("LINDEX", "bl", "-1"); got != fmt.Sprintf("$%d\r\nf%d\r\n", len(strconv.Itoa(n-1))+1, n-1) {
		t.Errorf("LINDEX bl -1 = %q", got)
	}
	if got := do2("GET", "small"); got != "$1\r\nx\r\n" {
		t.Errorf("GET small = %q", got)
	}
	do2("SELECT", "2")
	if got := do2("HLEN", "bh2"); got != want {
		t.Errorf("db 2 HLEN bh2 = %q, want %q (deleted after the snapshot)", got, want)
	}
	if got := do2("HGET", "other", "a"); got != "$1\r\n1\r\n" {
		t.Errorf("db 2 HGET other a = %q", got)
	}
	// and the server goes on with the writes applied
	if got := do("HEXISTS", "bh", "new"); got != ":1\r\n" {
		t.Errorf("live HEXISTS bh new = %q", got)
	}
}
