// Golden tests: hash values and ketama/modula placements produced by
// twemproxy's own C code (testdata/gen compiles src/hashkit/*.c with stub
// headers; see gen.sh), plus unit tests of the hash tag and liveness rules
// and a fuzz target.
package hashkit

import (
	"bufio"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	if s == "-" {
		return []byte{}
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHashGoldens(t *testing.T) {
	f, err := os.Open("testdata/hashes.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n, bad := 0, 0
	seen := map[string]bool{}
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 {
			t.Fatalf("bad line %q", sc.Text())
		}
		fn, ok := Lookup(fs[0])
		if !ok {
			t.Fatalf("no hash %q", fs[0])
		}
		seen[fs[0]] = true
		want, _ := strconv.ParseUint(fs[2], 10, 32)
		key := unhex(t, fs[1])
		if got := fn(key); got != uint32(want) {
			if bad++; bad < 20 {
				t.Errorf("%s(%x) = %d, C gives %d", fs[0], key, got, want)
			}
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(Names) || n < 3000 {
		t.Fatalf("golden file covers %d hashes, %d values", len(seen), n)
	}
}

func TestNames(t *testing.T) {
	if len(Names) != 12 {
		t.Fatalf("%d names", len(Names))
	}
	for _, n := range Names {
		if _, ok := Lookup(n); !ok {
			t.Errorf("Lookup(%q) fails", n)
		}
	}
	if _, ok := Lookup("sha1"); ok {
		t.Error("Lookup accepts sha1")
	}
}

// TestPlacementGoldens replays ketama_update/ketama_dispatch and
// modula_update/modula_dispatch as compiled from twemproxy.
func TestPlacementGoldens(t *testing.T) {
	data, err := os.ReadFile("testdata/placement.txt")
	if err != nil {
		t.Fatal(err)
	}
	var keys [][]byte
	var servers []Server
	var live []bool
	var dist, hash, id string
	cases := 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		fs := strings.Fields(line)
		switch fs[0] {
		case "key":
			keys = append(keys, unhex(t, fs[1]))
		case "case":
			id, dist, hash = fs[1], fs[2], fs[3]
			servers, live = nil, nil
		case "server":
			name := fs[2]
			if name == "-" {
				name = ""
			}
			w, _ := strconv.Atoi(fs[3])
			servers = append(servers, Server{Name: name, Addr: fs[1], Weight: w})
			live = append(live, fs[4] == "1")
		case "picks":
			cases++
			fn, _ := Lookup(hash)
			d, err := New(dist, fn, "", servers, live)
			if err != nil {
				t.Fatal(err)
			}
			if len(fs)-1 != len(keys) {
				t.Fatalf("%d picks for %d keys", len(fs)-1, len(keys))
			}
			bad := 0
			for i, k := range keys {
				want, _ := strconv.Atoi(fs[i+1])
				if got := d.Pick(k); got != want {
					if bad++; bad < 5 {
						t.Errorf("%s %s %s: key %x on %d, C puts it on %d", id, dist, hash, k, got, want)
					}
				}
			}
		default:
			t.Fatalf("bad line %q", line)
		}
	}
	if cases < 50 || len(keys) != 1000 {
		t.Fatalf("%d cases, %d keys", cases, len(keys))
	}
}

func TestHashTagKey(t *testing.T) {
	for _, c := range []struct{ key, tag, want string }{
		{"user:{42}:name", "{}", "42"},
		{"{a}{b}", "{}", "a"},
		{"{}x{y}", "{}", "{}x{y}"}, // empty first tag: the whole key
		{"x{y", "{}", "x{y"},
		{"x}y{", "{}", "x}y{"},
		{"a$b$c", "$$", "b"},
		{"abc", "", "abc"},
		{"a{b}", "{", "a{b}"},
		{"", "{}", ""},
	} {
		if got := string(HashTagKey([]byte(c.key), c.tag)); got != c.want {
			t.Errorf("HashTagKey(%q, %q) = %q, want %q", c.key, c.tag, got, c.want)
		}
	}
}

func TestTagAndEmptyKey(t *testing.T) {
	servers := []Server{{Addr: "a:1", Weight: 1}, {Addr: "b:1", Weight: 1}, {Addr: "c:1", Weight: 1}}
	for _, dist := range []string{"ketama", "modula"} {
		fn, _ := Lookup("fnv1a_64")
		tagged, _ := New(dist, fn, "{}", servers, nil)
		plain, _ := New(dist, fn, "", servers, nil)
		for i := range 200 {
			id := strconv.Itoa(i)
			if tagged.Pick([]byte("x{"+id+"}y")) != plain.Pick([]byte(id)) {
				t.Fatalf("%s: tag not honoured for %s", dist, id)
			}
		}
		// An empty key hashes to 0 whatever the function.
		zero := func([]byte) uint32 { return 0 }
		z, _ := New(dist, zero, "", servers, nil)
		if plain.Pick(nil) != z.Pick([]byte("anything")) {
			t.Errorf("%s: empty key does not hash to 0", dist)
		}
	}
}

func TestLiveness(t *testing.T) {
	servers := []Server{{Addr: "a:1", Weight: 1}, {Addr: "b:1", Weight: 2}, {Addr: "c:1", Weight: 1}}
	fn, _ := Lookup("md5")
	for _, dist := range Distributions {
		d, err := New(dist, fn, "", servers, []bool{false, false, false})
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Pick([]byte("k")); got != -1 {
			t.Errorf("%s: all ejected, Pick = %d", dist, got)
		}
		d, _ = New(dist, fn, "", servers, []bool{true, false, true})
		for i := range 500 {
			if got := d.Pick([]byte(strconv.Itoa(i))); got != 0 && got != 2 {
				t.Fatalf("%s: Pick chose ejected server %d", dist, got)
			}
		}
	}
	// One configured server takes every key without hashing, as twemproxy.
	d, _ := New("random", nil, "", servers[:1], nil)
	if d.Pick([]byte("x")) != 0 {
		t.Error("single server not picked")
	}
}

func TestNewErrors(t *testing.T) {
	fn, _ := Lookup("md5")
	ok := []Server{{Addr: "a:1", Weight: 1}}
	for name, f := range map[string]func() error{
		"no servers": func() error { _, err := New("ketama", fn, "", nil, nil); return err },
		"bad dist":   func() error { _, err := New("round_robin", fn, "", ok, nil); return err },
		"bad tag":    func() error { _, err := New("ketama", fn, "{", ok, nil); return err },
		"zero weight": func() error {
			_, err := New("ketama", fn, "", []Server{{Addr: "a:1"}}, nil)
			return err
		},
		"live len": func() error { _, err := New("ketama", fn, "", ok, []bool{true, true}); return err },
	} {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestKetamaName(t *testing.T) {
	for _, c := range []struct {
		s    Server
		want string
	}{
		{Server{Addr: "127.0.0.1:6379"}, "127.0.0.1:6379"},
		{Server{Addr: "127.0.0.1:11211"}, "127.0.0.1"},
		{Server{Addr: "127.0.0.1:011211"}, "127.0.0.1"},
		{Server{Addr: "/tmp/r.sock"}, "/tmp/r.sock:"},
		{Server{Addr: "/tmp/r.sock", Name: "r1"}, "r1"},
		{Server{Addr: "h:1", Name: "a\x00b"}, "a"},
	} {
		if got := ketamaName(c.s); got != c.want {
			t.Errorf("ketamaName(%+v) = %q, want %q", c.s, got, c.want)
		}
	}
}

func FuzzHashes(f *testing.F) {
	f.Add([]byte("key:1"), "{}", uint8(3), uint16(0x0f))
	f.Add([]byte{0x80, 0xff, 0}, "", uint8(1), uint16(1))
	f.Add([]byte("a{b}c"), "{}", uint8(12), uint16(0xfff))
	f.Fuzz(func(t *testing.T, key []byte, tag string, n uint8, mask uint16) {
		for _, name := range Names {
			fn, _ := Lookup(name)
			fn(key)
		}
		HashTagKey(key, tag)
		nserv := int(n%13) + 1
		servers := make([]Server, nserv)
		live := make([]bool, nserv)
		for i := range servers {
			servers[i] = Server{Addr: "h:" + strconv.Itoa(i), Weight: int(mask>>i)%5 + 1}
			if i%3 == 1 {
				servers[i].Name = string(key)
			}
			live[i] = mask&(1<<i) != 0
		}
		if len(tag) != 2 {
			tag = ""
		}
		for _, name := range Names {
			fn, _ := Lookup(name)
			for _, dist := range Distributions {
				d, err := New(dist, fn, tag, servers, live)
				if err != nil {
					t.Fatal(err)
				}
				if got := d.Pick(key); got < -1 || got >= nserv || (got >= 0 && !live[got] && nserv > 1) {
					t.Fatalf("%s/%s Pick = %d of %d servers", dist, name, got, nserv)
				}
			}
		}
	})
}
