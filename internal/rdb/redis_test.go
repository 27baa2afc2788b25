package rdb

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/redoubt/redoubt/test/testutil"
)

// goldenStrings are values whose DUMP we compare with real Redis: short,
// integer-like (each integer encoding and its edges), around the 20-byte
// compression threshold, compressible, incompressible, and long enough for
// 14- and 32-bit lengths.
func goldenStrings() []string {
	rng := rand.New(rand.NewPCG(7, 7))
	randBytes := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return string(b)
	}
	lorem := "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. "
	vals := []string{
		"", "hello", "x", "0", "-1", "127", "128", "-128", "-129", "255", "32767", "32768",
		"-32768", "-32769", "65535", "2147483647", "2147483648", "-2147483648", "-2147483649",
		"12345678901", "123456789012", "9223372036854775807", "-9223372036854775808",
		"007", "-0", "+5", " 5", "5 ", "1e3", "3.14",
		strings.Repeat("a", 20), strings.Repeat("a", 21), strings.Repeat("a", 22), strings.Repeat("a", 50),
		strings.Repeat("ab", 11), strings.Repeat("abc", 8), "abcdefghijklmnopqrstuvwxyz",
		strings.Repeat("a", 300), strings.Repeat("hello world ", 30), lorem, strings.Repeat(lorem, 20),
		strings.Repeat(lorem, 200), // > 16 KiB: 32-bit lengths
		`{"id":1,"name":"alice","tags":["x","y"]},{"id":2,"name":"bob","tags":["x","y"]},{"id":3,"name":"carol","tags":["x","y"]}`,
		randBytes(21), randBytes(25), randBytes(100), randBytes(1000), randBytes(20000),
		strings.Repeat("\x00", 100), strings.Repeat("abcd", 3000),
	}
	// lengths where the len-4 budget decides
	for n := 21; n <= 40; n++ {
		vals = append(vals, strings.Repeat("q", 8)+randBytes(n-16)+strings.Repeat("q", 8))
	}
	return vals
}

func stringDump(v []byte, compress bool) []byte {
	return AppendDumpFooter(AppendString([]byte{TypeString}, v, compress))
}

// TestDumpMatchesRedis encodes string values as DUMP payloads and compares
// them byte for byte with what redis-server 7.0.15 returns, then decodes
// Redis's payloads.
func TestDumpMatchesRedis(t *testing.T) {
	srv := testutil.StartRedis(t)
	c := testutil.DialRaw(t, srv.Addr)
	check := func(v string, compress bool) {
		t.Helper()
		if r := c.Do("SET", "k", v); r.Kind != '+' {
			t.Fatalf("SET: %q", r.Raw)
		}
		rep := c.Do("DUMP", "k")
		if rep.Kind != '$' {
			t.Fatalf("DUMP: %q", rep.Raw)
		}
		redis := []byte(rep.Body())
		if mine := stringDump([]byte(v), compress); !bytes.Equal(mine, redis) {
			t.Errorf("value %q (len %d, compress %v):\n mine  %x\n redis %x", trunc(v), len(v), compress, trunc(string(mine)), trunc(string(redis)))
		}
		body, ver, err := VerifyDump(redis)
		if err != nil || ver != Version {
			t.Fatalf("VerifyDump(redis) = %d %v", ver, err)
		}
		r := NewReader(body)
		if typ, err := r.ReadType(); err != nil || typ != TypeString {
			t.Fatalf("type %d %v", typ, err)
		}
		s, err := r.ReadString()
		if err != nil || string(s) != v || r.Remaining() != 0 {
			t.Errorf("ReadString(redis dump of %q) = %q, %v, %d left", trunc(v), trunc(string(s)), err, r.Remaining())
		}
	}
	for _, v := range goldenStrings() {
		check(v, true)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for range 300 {
		check(string(genData(rng, rng.IntN(1<<uint(1+rng.IntN(14))))), true)
	}
	// strings whose compressed size is near the len-4 budget, including
	// ones that would fit but that liblzf's conservative checks refuse
	near, refused := 0, 0
	for near < 60 || refused < 20 {
		v := genData(rng, 21+rng.IntN(200))
		full := len(LZFCompress(nil, v))
		_, ok := LZFCompressLimit(nil, v, len(v)-4)
		switch {
		case full <= len(v)-4 && !ok && refused < 20:
			refused++
		case full >= len(v)-6 && full <= len(v)-2 && near < 60:
			near++
		default:
			continue
		}
		check(string(v), true)
	}
	if r := c.Do("CONFIG", "SET", "rdbcompression", "no"); r.Kind != '+' {
		t.Fatalf("CONFIG SET: %q", r.Raw)
	}
	for _, v := range goldenStrings() {
		check(v, false)
	}
	// RESTORE accepts our payloads, including an older RDB version
	for _, v := range goldenStrings()[:12] {
		p := AppendDumpFooterVersion(AppendString([]byte{TypeString}, []byte(v), true), 9)
		if r := c.Do("RESTORE", "r", "0", string(p), "REPLACE"); r.Kind != '+' {
			t.Fatalf("RESTORE: %q", r.Raw)
		}
		if got := c.Do("GET", "r").Body(); got != v {
			t.Fatalf("GET after RESTORE = %q, want %q", got, v)
		}
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return fmt.Sprintf("%s...(%d bytes)", s[:80], len(s))
	}
	return s
}

// TestFunctionDumpMatchesRedis checks the FUNCTION DUMP framing (OpFunction2
// + library code as an RDB string, then the DUMP footer) against Redis, for
// one library at a time since Redis orders several by hash.
func TestFunctionDumpMatchesRedis(t *testing.T) {
	srv := testutil.StartRedis(t)
	c := testutil.DialRaw(t, srv.Addr)
	codes := []string{
		"#!lua name=lib1\nredis.register_function('f1', function() return 1 end)",
		"#!lua name=lib2\n" + strings.Repeat("-- padding padding padding\n", 40) +
			"redis.register_function('f2', function(keys, args) return args[1] end)",
	}
	for _, code := range codes {
		if r := c.Do("FUNCTION", "FLUSH"); r.Kind != '+' {
			t.Fatalf("FUNCTION FLUSH: %q", r.Raw)
		}
		if r := c.Do("FUNCTION", "LOAD", code); r.Kind != '$' {
			t.Fatalf("FUNCTION LOAD: %q", r.Raw)
		}
		redis := []byte(c.Do("FUNCTION", "DUMP").Body())
		mine := AppendDumpFooter(AppendString([]byte{OpFunction2}, []byte(code), true))
		if !bytes.Equal(mine, redis) {
			t.Errorf("FUNCTION DUMP:\n mine  %x\n redis %x", mine, redis)
		}
		if r := c.Do("FUNCTION", "RESTORE", string(mine), "REPLACE"); r.Kind != '+' {
			t.Fatalf("FUNCTION RESTORE: %q", r.Raw)
		}
	}
}
