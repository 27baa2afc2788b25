package script

import (
	"testing"

	"github.com/redoubt/redoubt/internal/resp"
)

// fakeHost answers every redis.call with a fixed raw reply.
type fakeHost struct{ reply string }

func (h fakeHost) Call(args [][]byte, proto int) ([]byte, *CallError) { return []byte(h.reply), nil }
func (h fakeHost) Log(int, string)                                    {}

func run(t *testing.T, body string, proto int, reply string) string {
	t.Helper()
	e := New()
	sha, err := e.Load([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	w := resp.NewWriter()
	w.Proto = proto
	e.Run(sha, nil, nil, fakeHost{reply}, w)
	return string(w.Buf)
}

func TestLuaToResp(t *testing.T) {
	cases := []struct {
		body  string
		proto int
		want  string
	}{
		{"return 1", 2, ":1\r\n"},
		{"return 3.99", 2, ":3\r\n"},
		{"return -3.99", 2, ":-3\r\n"},
		{"return 'x'", 2, "$1\r\nx\r\n"},
		{"return true", 2, ":1\r\n"},
		{"return false", 2, "$-1\r\n"},
		{"return false", 3, "_\r\n"},
		{"return nil", 2, "$-1\r\n"},
		{"return {1,'a',nil,2}", 2, "*2\r\n:1\r\n$1\r\na\r\n"},
		{"return {ok='fine'}", 2, "+fine\r\n"},
		{"return {err='BAD thing'}", 2, "-BAD thing\r\n"},
		{"return redis.error_reply('x')", 2, "-ERR x\r\n"},
		{"return redis.error_reply('CODE y z')", 2, "-CODE y z\r\n"},
		{"return {double=1.5}", 3, ",1.5\r\n"},
		{"return {double=1.5}", 2, "$3\r\n1.5\r\n"},
		{"return {map={a=1}}", 3, "%1\r\n$1\r\na\r\n:1\r\n"},
		{"return {map={a=1}}", 2, "*2\r\n$1\r\na\r\n:1\r\n"},
		{"return {set={a=true}}", 3, "~1\r\n$1\r\na\r\n"},
		{"redis.setresp(3) return true", 3, "#t\r\n"},
		{"return tostring(1/3)", 2, "$16\r\n0.33333333333333\r\n"},
		{"return tostring(1e100)", 2, "$6\r\n1e+100\r\n"},
	}
	for _, c := range cases {
		if got := run(t, c.body, c.proto, ""); got != c.want {
			t.Errorf("%s (RESP%d): got %q, want %q", c.body, c.proto, got, c.want)
		}
	}
}

func TestRespToLua(t *testing.T) {
	cases := []struct{ body, reply, want string }{
		{"return redis.call('x')", ":5\r\n", ":5\r\n"},
		{"return type(redis.call('x'))", "$-1\r\n", "$7\r\nboolean\r\n"},
		{"return redis.call('x')", "*-1\r\n", "$-1\r\n"},
		{"return redis.call('x').ok", "+OK\r\n", "$2\r\nOK\r\n"},
		{"return redis.pcall('x').err", "-ERR bad\r\n", "$7\r\nERR bad\r\n"},
		{"return redis.call('x')", "*3\r\n:1\r\n$-1\r\n:3\r\n", "*3\r\n:1\r\n$-1\r\n:3\r\n"}, // nil bulk is false, which does not end the array
		{"return redis.call('x').map.k", "%1\r\n$1\r\nk\r\n$1\r\nv\r\n", "$1\r\nv\r\n"},
		{"return tostring(redis.call('x').set.m)", "~1\r\n$1\r\nm\r\n", "$4\r\ntrue\r\n"},
		{"return tostring(redis.call('x').double)", ",2.5\r\n", "$3\r\n2.5\r\n"},
		{"return redis.call('x').big_number", "(123\r\n", "$3\r\n123\r\n"},
		{"return type(redis.call('x'))", "_\r\n", "$3\r\nnil\r\n"},
		{"return redis.call('x')", "#t\r\n", ":1\r\n"},
	}
	for _, c := range cases {
		if got := run(t, c.body, 2, c.reply); got != c.want {
			t.Errorf("%s with %q: got %q, want %q", c.body, c.reply, got, c.want)
		}
	}
}

func TestRaisedCallError(t *testing.T) {
	body := "return redis.call('x')"
	got := run(t, body, 2, "-WRONGTYPE nope\r\n")
	want := "-WRONGTYPE nope script: " + SHA1Hex([]byte(body)) + ", on @user_script:1.\r\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
