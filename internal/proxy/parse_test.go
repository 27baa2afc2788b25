package proxy

import "testing"

func TestParseRequestBasic(t *testing.T) {
	var r request
	cases := []struct {
		in   string
		n    int
		fail bool
	}{
		{"*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n", 27, false},
		{"*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r", 0, false},
		{"*1\r\n$4\r\nPING\r\n", 14, false},
		{"PING\r\n", 0, true},
		{"*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n", 0, true},
		{"*1\r\n$3\r\nGET\r\n", 0, true},
		{"*2\r\n$4\r\nkeys\r\n$1\r\na\r\n", 0, true},
		{"*3\r\n$4\r\nEVAL\r\n$8\r\nreturn 1\r\n$1\r\n0\r\n", 0, true},
		{"*4\r\n$4\r\nEVAL\r\n$8\r\nreturn 1\r\n$1\r\n1\r\n$1\r\na\r\n", 42, false},
		{"*0\r\n", 0, true},
		{"*2\r\n$4\r\nMSET\r\n$1\r\na\r\n", 0, true},
	}
	for _, c := range cases {
		n, err := parseRequest([]byte(c.in), &r)
		if (err != nil) != c.fail || (!c.fail && n != c.n) {
			t.Errorf("%q: n=%d err=%v", c.in, n, err)
		}
	}
}

// FuzzRequestParser: no panic, no hang, and a consumed length within the
// input, on any bytes.
func FuzzRequestParser(f *testing.F) {
	f.Add([]byte("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n"))
	f.Add([]byte("*4\r\n$4\r\nEVAL\r\n$8\r\nreturn 1\r\n$1\r\n1\r\n$1\r\na\r\n"))
	f.Add([]byte("*2\r\n$4\r\nMGET\r\n$1\r\na\r\n"))
	f.Add([]byte("PING\r\n"))
	f.Add([]byte("*-1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r request
		n, err := parseRequest(b, &r)
		if err == nil && (n < 0 || n > len(b)) {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		if err == nil && n > 0 {
			for _, a := range r.args {
				if a.s < 0 || a.e > n || a.s > a.e {
					t.Fatalf("bad span %v", a)
				}
			}
			if k := r.firstKey(); k >= len(r.args) {
				t.Fatalf("key index %d of %d args", k, len(r.args))
			}
		}
		replyLen(b)
	})
}
