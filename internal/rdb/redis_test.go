package rdb

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
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

// TestReadRedisFile walks an RDB file written by redis-server with string
// keys, an expire and a function library, using only this package's
// primitives, and checks the file checksum.
func TestReadRedisFile(t *testing.T) {
	srv := testutil.StartRedis(t)
	c := testutil.DialRaw(t, srv.Addr)
	want := map[string]string{
		"short": "hello", "int": "12345", "big": "9999999999",
		"long": strings.Repeat("compress me ", 50), "empty": "",
	}
	for k, v := range want {
		c.Do("SET", k, v)
	}
	c.Do("PEXPIREAT", "short", "4102444800000")
	lib := "#!lua name=lib1\nredis.register_function('f1', function() return 1 end)"
	c.Do("FUNCTION", "LOAD", lib)
	c.Do("SELECT", "3")
	c.Do("SET", "indb3", "x")
	if r := c.Do("SAVE"); r.Kind != '+' {
		t.Fatalf("SAVE: %q", r.Raw)
	}
	file, err := os.ReadFile(filepath.Join(srv.Dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}

	r := NewReader(file)
	if v, err := r.ReadHeader(); err != nil || v != Version {
		t.Fatalf("header %d %v", v, err)
	}
	got := map[string]string{}
	aux := map[string]string{}
	var db uint64
	var expires []int64
	var libs []string
	var pendingExpire int64 = -1
	for {
		op, err := r.ReadType()
		if err != nil {
			t.Fatal(err)
		}
		if op == OpEOF {
			break
		}
		switch op {
		case OpAux:
			k, err1 := r.ReadString()
			v, err2 := r.ReadString()
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			aux[string(k)] = string(v)
		case OpFunction2:
			code, err := r.ReadString()
			if err != nil {
				t.Fatal(err)
			}
			libs = append(libs, string(code))
		case OpSelectDB:
			if db, _, err = r.ReadLen(); err != nil {
				t.Fatal(err)
			}
		case OpResizeDB:
			r.ReadPlainLen()
			if _, err := r.ReadPlainLen(); err != nil {
				t.Fatal(err)
			}
		case OpExpireTimeMS:
			if pendingExpire, err = r.ReadMillisecondTime(); err != nil {
				t.Fatal(err)
			}
		case TypeString:
			k, err1 := r.ReadString()
			v, err2 := r.ReadString()
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			name := string(k)
			if db != 0 {
				name = fmt.Sprintf("%d:%s", db, k)
			}
			got[name] = string(v)
			if pendingExpire >= 0 {
				expires = append(expires, pendingExpire)
				pendingExpire = -1
			}
		default:
			t.Fatalf("unexpected opcode %d at %d", op, r.Pos()-1)
		}
	}
	if _, err := r.ReadChecksum(true); err != nil {
		t.Fatal(err)
	}
	if r.Remaining() != 0 {
		t.Fatalf("%d bytes after the checksum", r.Remaining())
	}
	want["3:indb3"] = "x"
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("keys %q, want %q", got, want)
	}
	if len(expires) != 1 || expires[0] != 4102444800000 {
		t.Errorf("expires %v", expires)
	}
	if len(libs) != 1 || libs[0] != lib {
		t.Errorf("libraries %q", libs)
	}
	if aux["redis-ver"] != "7.0.15" || aux["redis-bits"] != "64" {
		t.Errorf("aux %q", aux)
	}

	// a flipped byte is caught by the checksum; a zero checksum is not checked
	bad := bytes.Clone(file)
	bad[20] ^= 1
	rb := NewReader(bad)
	rb.pos = len(bad) - 8
	if _, err := rb.ReadChecksum(true); err == nil {
		t.Error("corrupt file passed the checksum")
	}
	rebuilt := AppendFileEnd(bytes.Clone(file[:len(file)-9]), true)
	if !bytes.Equal(rebuilt, file) {
		t.Error("AppendFileEnd differs from Redis's file end")
	}
	unchecked := AppendFileEnd(bytes.Clone(bad[:len(bad)-9]), false)
	ru := NewReader(unchecked)
	ru.pos = len(unchecked) - 8
	if s, err := ru.ReadChecksum(true); err != nil || s != 0 {
		t.Errorf("zero checksum: %d %v", s, err)
	}
}
