// Parser tests: twemproxy's acceptance rules on sample requests, and the
// fuzz target FuzzRequestParser (no panic, no hang, spans in bounds).

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
		r = request{}
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
	f.Add([]byte("*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n+OK\r\n"))
	f.Add([]byte("*2\r\n*0\r\n-ERR x\r\n"))
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
		// the resumable reply scanner agrees with replyLen, whole and in
		// pieces
		want := replyLen(b)
		var rs replyScanner
		if got := rs.scan(b); got != want && !(want < 0 && got < 0) {
			t.Fatalf("scan %d, replyLen %d", got, want)
		}
		rs = replyScanner{}
		for cut := 1; cut <= len(b); cut += 1 + cut/2 {
			got := rs.scan(b[:cut])
			if got != 0 {
				if wc := replyLen(b[:cut]); got != wc && !(wc < 0 && got < 0) {
					t.Fatalf("prefix %d: scan %d, replyLen %d", cut, got, wc)
				}
				break
			}
		}
		// fed in pieces, the resumable parse agrees with the one-shot one
		var ri request
		for cut := 1; cut <= len(b); cut += 1 + cut/3 {
			n2, err2 := parseRequest(b[:cut], &ri)
			if err2 != nil || n2 > 0 {
				if (err2 != nil) != (err != nil) && err == nil {
					t.Fatalf("prefix %d: error %v, whole: %d", cut, err2, n)
				}
				if err2 == nil && err == nil && n2 != n {
					t.Fatalf("prefix %d: %d bytes, whole: %d", cut, n2, n)
				}
				return
			}
		}
		n2, err2 := parseRequest(b, &ri)
		if (err2 == nil) != (err == nil) || n2 != n {
			t.Fatalf("pieces: %d %v, whole: %d %v", n2, err2, n, err)
		}
	})
}
