package rdb

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/test/testutil"
)

// testdata/string_dumps.txt holds DUMP payloads of string values captured
// from redis-server 7.0.15 (rdbcompression yes), one "hex(value)
// hex(payload)" pair per line, so the format is checked even where no
// redis-server is installed. Regenerate with
//
//	REDOUBT_CAPTURE_GOLDEN=1 go test ./internal/rdb -run TestCaptureGolden
const goldenFile = "testdata/string_dumps.txt"

func TestCaptureGolden(t *testing.T) {
	if os.Getenv("REDOUBT_CAPTURE_GOLDEN") == "" {
		t.Skip("set REDOUBT_CAPTURE_GOLDEN=1 to rewrite " + goldenFile)
	}
	srv := testutil.StartRedis(t)
	c := testutil.DialRaw(t, srv.Addr)
	ver := c.Do("INFO", "server").Body()
	if !strings.Contains(ver, "redis_version:7.0.15") {
		t.Fatalf("not redis 7.0.15:\n%s", ver)
	}
	var out bytes.Buffer
	out.WriteString("# DUMP payloads from redis-server 7.0.15: SET k <value>; DUMP k\n")
	for _, v := range goldenStrings() {
		if len(v) > 4096 {
			continue // keep the file small
		}
		c.Do("SET", "k", v)
		rep := c.Do("DUMP", "k")
		fmt.Fprintf(&out, "%x %x\n", v, rep.Body())
	}
	if err := os.MkdirAll(filepath.Dir(goldenFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenFile, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGoldenDumps(t *testing.T) {
	f, err := os.Open(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		vh, ph, ok := strings.Cut(line, " ")
		v, err1 := hex.DecodeString(vh)
		p, err2 := hex.DecodeString(ph)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("bad line %q", line)
		}
		n++
		if mine := stringDump(v, true); !bytes.Equal(mine, p) {
			t.Errorf("value %q:\n mine  %x\n redis %x", trunc(string(v)), mine, p)
		}
		body, _, err := VerifyDump(p)
		if err != nil {
			t.Fatalf("VerifyDump: %v", err)
		}
		r := NewReader(body[1:])
		s, err := r.ReadString()
		if err != nil || !bytes.Equal(s, v) || r.Remaining() != 0 {
			t.Errorf("ReadString(%x) = %q %v", body, s, err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Fatalf("only %d golden payloads", n)
	}
}
