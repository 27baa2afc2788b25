package link

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt/redoubt/test/testutil"
)

// hangGuard bounds each socket so a broken test fails instead of hanging; it
// is not a timing assertion.
const hangGuard = 15 * time.Second

func dial(t *testing.T, addr string) *Link {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(hangGuard))
	return New(conn)
}

// client is a plain connection to the master for writes and INFO.
type client struct {
	conn net.Conn
	r    *bufio.Reader
}

func newClient(t *testing.T, addr, password string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(hangGuard))
	c := &client{conn: conn, r: bufio.NewReader(conn)}
	if password != "" {
		c.do(t, "AUTH", password)
	}
	return c
}

// do sends a command and returns the reply: a simple line, or a bulk's body.
func (c *client) do(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := c.conn.Write(encodeCommand(args...)); err != nil {
		t.Fatal(err)
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line[0] != '$' {
		return line
	}
	size, _ := strconv.Atoi(line[1:])
	body := make([]byte, size+2)
	if _, err := io.ReadFull(c.r, body); err != nil {
		t.Fatal(err)
	}
	return string(body[:size])
}

// infoField reads one field of INFO <section>.
func (c *client) infoField(t *testing.T, section, field string) string {
	t.Helper()
	for _, line := range strings.Split(c.do(t, "INFO", section), "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO %s has no %s", section, field)
	return ""
}

// fullSync handshakes, saves the payload to a file, checks it with
// redis-check-rdb and returns the replication ID and offset.
func fullSync(t *testing.T, l *Link, cfg Config, wantDiskless bool) (string, int64) {
	t.Helper()
	res, err := l.Handshake(cfg, "", 0)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if res.Outcome != FullResync || len(res.ReplID) != 40 {
		t.Fatalf("PSYNC result %+v, want a FULLRESYNC", res)
	}
	path := filepath.Join(t.TempDir(), "payload.rdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := l.ReadPayload(f)
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if info.Diskless != wantDiskless {
		t.Fatalf("payload diskless=%v, want %v", info.Diskless, wantDiskless)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != info.Size || info.Size == 0 {
		t.Fatalf("payload size %d, file size %d", info.Size, st.Size())
	}
	out, err := exec.Command("redis-check-rdb", path).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("RDB looks OK")) {
		t.Fatalf("redis-check-rdb: %v\n%s", err, out)
	}
	if info.Diskless {
		// the master starts the stream of a diskless replica on its first ACK
		if err := l.SendAck(res.Offset); err != nil {
			t.Fatal(err)
		}
	}
	return res.ReplID, res.Offset
}

// readUntil reads the stream until a command named name, checking each
// command's byte count against its own encoding, and returns the commands
// seen (PINGs left out) and the offset reached.
func readUntil(t *testing.T, l *Link, offset int64, name string) ([]string, int64) {
	t.Helper()
	var seen []string
	for {
		argv, n, err := l.ReadCommand()
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		args := make([]string, len(argv))
		for i, a := range argv {
			args[i] = string(a)
		}
		if want := int64(len(encodeCommand(args...))); n != want {
			t.Fatalf("%q took %d bytes, its encoding is %d", args, n, want)
		}
		offset += n
		if !strings.EqualFold(args[0], "PING") {
			seen = append(seen, strings.Join(args, " "))
		}
		if strings.EqualFold(args[0], name) {
			return seen, offset
		}
	}
}

// catchUp reads until the offset reaches the master's (only PINGs can be
// left once the test's writes were read) and checks they agree.
func catchUp(t *testing.T, l *Link, c *client, offset int64) int64 {
	t.Helper()
	master, _ := strconv.ParseInt(c.infoField(t, "replication", "master_repl_offset"), 10, 64)
	for offset < master {
		argv, n, err := l.ReadCommand()
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		if !strings.EqualFold(string(argv[0]), "PING") {
			t.Fatalf("unexpected %q in the stream", argv)
		}
		offset += n
	}
	if offset != master {
		t.Fatalf("replica offset %d, master_repl_offset %d", offset, master)
	}
	return offset
}

func testFullSync(t *testing.T, diskless bool) {
	t.Parallel()
	args := []string{"--repl-diskless-sync", "no"}
	if diskless {
		args = []string{"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"}
	}
	master := testutil.StartRedis(t, args...)
	c := newClient(t, master.Addr, "")
	c.do(t, "SET", "before", "sync")
	l := dial(t, master.Addr)
	_, offset := fullSync(t, l, Config{ListeningPort: 6390}, diskless)
	c.do(t, "SET", "k", "v")
	seen, offset := readUntil(t, l, offset, "SET")
	if want := []string{"SELECT 0", "SET k v"}; strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Fatalf("stream %q, want %q", seen, want)
	}
	offset = catchUp(t, l, c, offset)

	// WAIT makes the master ask for an ACK; answering with the offset
	// counted so far (the GETACK included) must satisfy it.
	if _, err := c.conn.Write(encodeCommand("WAIT", "1", "0")); err != nil {
		t.Fatal(err)
	}
	seen, offset = readUntil(t, l, offset, "REPLCONF")
	if got := seen[len(seen)-1]; got != "REPLCONF GETACK *" {
		t.Fatalf("stream %q, want a GETACK", seen)
	}
	if err := l.SendAck(offset); err != nil {
		t.Fatal(err)
	}
	if line, err := c.r.ReadString('\n'); err != nil || line != ":1\r\n" {
		t.Fatalf("WAIT replied %q %v, want :1", line, err)
	}
	catchUp(t, l, c, offset)
}

func TestDiskFullSync(t *testing.T)     { testFullSync(t, false) }
func TestDisklessFullSync(t *testing.T) { testFullSync(t, true) }

func TestMasterAuth(t *testing.T) {
	t.Parallel()
	master := testutil.StartRedis(t, "--requirepass", "secret", "--repl-diskless-sync-delay", "0")
	fullSync(t, dial(t, master.Addr), Config{ListeningPort: 6390, MasterAuth: "secret"}, true)
	newClient(t, master.Addr, "secret").do(t, "ACL", "SETUSER", "replicator", "on", ">replpw", "+@all", "~*")
	fullSync(t, dial(t, master.Addr), Config{ListeningPort: 6391, AnnounceIP: "127.0.0.2", MasterUser: "replicator", MasterAuth: "replpw"}, true)
	if info := newClient(t, master.Addr, "secret").do(t, "INFO", "replication"); !strings.Contains(info, "ip=127.0.0.2,port=6391,") {
		t.Fatalf("the master does not list the announced address:\n%s", info)
	}

	_, err := dial(t, master.Addr).Handshake(Config{ListeningPort: 6390, MasterAuth: "wrong"}, "", 0)
	var e *Error
	want := "Unable to AUTH to MASTER: -WRONGPASS invalid username-password pair or user is disabled."
	if !errors.As(err, &e) || e.Kind != ErrAuth || e.Error() != want {
		t.Fatalf("wrong password: %v, want %q", err, want)
	}

	l := dial(t, master.Addr)
	_, err = l.Handshake(Config{ListeningPort: 6390}, "", 0)
	want = "Unexpected reply to PSYNC from master: -NOAUTH Authentication required."
	if !errors.As(err, &e) || e.Kind != ErrUnexpected || e.Error() != want {
		t.Fatalf("no password: %v, want %q", err, want)
	}
	if len(l.Warnings) != 2 || !strings.HasPrefix(l.Warnings[0], "(Non critical) Master does not understand REPLCONF listening-port: -NOAUTH") {
		t.Fatalf("warnings %q", l.Warnings)
	}
}

func TestPartialResync(t *testing.T) {
	t.Parallel()
	master := testutil.StartRedis(t, "--repl-diskless-sync", "no")
	c := newClient(t, master.Addr, "")
	l := dial(t, master.Addr)
	replID, offset := fullSync(t, l, Config{ListeningPort: 6390}, false)
	c.do(t, "SET", "a", "1")
	_, offset = readUntil(t, l, offset, "SET")
	offset = catchUp(t, l, c, offset)
	l.Conn().Close()

	c.do(t, "SET", "b", "2")
	c.do(t, "INCR", "n")
	l = dial(t, master.Addr)
	res, err := l.Handshake(Config{ListeningPort: 6390}, replID, offset)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if res.Outcome != Continue || res.ReplID != replID || res.ReplIDChanged || res.Offset != offset {
		t.Fatalf("PSYNC result %+v, want CONTINUE at %d", res, offset)
	}
	seen, offset := readUntil(t, l, offset, "INCR")
	if got := strings.Join(seen, "|"); got != "SET b 2|INCR n" {
		t.Fatalf("stream after CONTINUE %q", got)
	}
	catchUp(t, l, c, offset)
	if got := c.infoField(t, "stats", "sync_partial_ok"); got != "1" {
		t.Fatalf("sync_partial_ok %s, want 1", got)
	}
	if got := c.infoField(t, "stats", "sync_full"); got != "1" {
		t.Fatalf("sync_full %s, want 1", got)
	}
}

// TestPayloadFraming feeds scripted bytes: keepalive newlines before the
// header, a diskless payload whose mark must be stripped, and a stream
// command that arrived in the same buffer as the mark.
func TestPayloadFraming(t *testing.T) {
	mark := strings.Repeat("m", 39) + "k"
	payload := "REDIS0010" + strings.Repeat("x", 100000) + mark[:20]
	ping := "*1\r\n$4\r\nPING\r\n"
	for _, tc := range []struct {
		name, wire, want string
	}{
		{"diskless", "\n\n$EOF:" + mark + "\r\n" + payload + mark + ping, payload},
		{"disk", "\n$" + strconv.Itoa(len(payload)) + "\r\n" + payload + ping, payload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			master, replica := net.Pipe()
			defer master.Close()
			defer replica.Close()
			go master.Write([]byte(tc.wire))
			l := New(replica)
			var got bytes.Buffer
			info, err := l.ReadPayload(&got)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want || info.Size != int64(len(tc.want)) {
				t.Fatalf("payload of %d bytes (size %d), want %d", got.Len(), info.Size, len(tc.want))
			}
			argv, n, err := l.ReadCommand()
			if err != nil || len(argv) != 1 || string(argv[0]) != "PING" || n != int64(len(ping)) {
				t.Fatalf("after payload: %q %d %v", argv, n, err)
			}
		})
	}
}

func TestPayloadErrors(t *testing.T) {
	for _, tc := range []struct{ wire, want string }{
		{"\n-ERR no space\r\n", "MASTER aborted replication with an error: ERR no space"},
		{"+OK\r\n", "Bad protocol from MASTER, the first byte is not '$' (we received '+OK'), are you sure the host and port are right?"},
		{"$10\r\nabc", "I/O error trying to sync with MASTER: connection lost"},
	} {
		master, replica := net.Pipe()
		go func() { master.Write([]byte(tc.wire)); master.Close() }()
		_, err := New(replica).ReadPayload(&bytes.Buffer{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: %v, want %q", tc.wire, err, tc.want)
		}
		replica.Close()
	}
}

func TestParsePsyncReply(t *testing.T) {
	id := strings.Repeat("a", 40)
	newID := strings.Repeat("b", 40)
	for _, tc := range []struct {
		reply   string
		want    PsyncResult
		warning string
		err     string
	}{
		{"+FULLRESYNC " + id + " 42", PsyncResult{Outcome: FullResync, ReplID: id, Offset: 42}, "", ""},
		{"+FULLRESYNC " + id, PsyncResult{Outcome: FullResync, Offset: -1}, "Master replied with wrong +FULLRESYNC syntax.", ""},
		{"+CONTINUE", PsyncResult{Outcome: Continue, ReplID: id, Offset: 7}, "", ""},
		{"+CONTINUE " + id, PsyncResult{Outcome: Continue, ReplID: id, Offset: 7}, "", ""},
		{"+CONTINUE " + newID, PsyncResult{Outcome: Continue, ReplID: newID, Offset: 7, ReplIDChanged: true}, "Master replication ID changed to " + newID, ""},
		{"-NOMASTERLINK Can't SYNC while not connected with my master", PsyncResult{}, "", "Master is currently unable to PSYNC but should be in the future: -NOMASTERLINK Can't SYNC while not connected with my master"},
		{"-LOADING Redis is loading the dataset in memory", PsyncResult{}, "", "Master is currently unable to PSYNC but should be in the future: -LOADING Redis is loading the dataset in memory"},
		{"-ERR unknown command 'PSYNC'", PsyncResult{}, "", "Master does not support PSYNC or is in error state (reply: -ERR unknown command 'PSYNC')"},
		{"+OK", PsyncResult{}, "", "Unexpected reply to PSYNC from master: +OK"},
	} {
		got, warning, err := parsePsyncReply(tc.reply, id, 7)
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		if got != tc.want || warning != tc.warning || errText != tc.err {
			t.Errorf("%q: %+v %q %q, want %+v %q %q", tc.reply, got, warning, errText, tc.want, tc.warning, tc.err)
		}
	}
}

// fakeMaster answers each handshake command with the next scripted reply,
// then closes the connection on the command after the last.
func fakeMaster(t *testing.T, replies ...string) *Link {
	master, replica := net.Pipe()
	t.Cleanup(func() { master.Close(); replica.Close() })
	go func() {
		r := bufio.NewReader(master)
		for _, reply := range replies {
			if _, _, err := readArray(r); err != nil {
				return
			}
			master.Write([]byte(reply))
		}
		readArray(r)
		master.Close()
	}()
	return New(replica)
}

func TestHandshakeScripted(t *testing.T) {
	id := strings.Repeat("c", 40)
	for _, tc := range []struct {
		name    string
		cfg     Config
		replies []string
		kind    ErrorKind
		err     string
	}{
		{"ping error", Config{}, []string{"-ERR wrong\r\n"}, ErrPing, "Error reply to PING from master: '-ERR wrong'"},
		{"old master ping", Config{}, []string{"-ERR operation not permitted\r\n", "+OK\r\n", "+OK\r\n", "\n\n+FULLRESYNC " + id + " 5\r\n"}, 0, ""},
		{"announce ip", Config{AnnounceIP: "10.0.0.1"}, []string{"+PONG\r\n", "+OK\r\n", "+OK\r\n", "+OK\r\n", "+FULLRESYNC " + id + " 5\r\n"}, 0, ""},
		{"closed", Config{}, []string{"+PONG\r\n"}, ErrIO, "Failed to read response from the server: connection lost; Master did not respond to command during SYNC handshake"},
		{"no psync reply", Config{}, []string{"+PONG\r\n", "+OK\r\n", "+OK\r\n"}, ErrTryLater, "Failed to read response from the server: connection lost; Master did not reply to PSYNC, will try later"},
		{"loading", Config{}, []string{"+PONG\r\n", "+OK\r\n", "-ERR unknown\r\n", "-LOADING Redis is loading the dataset in memory\r\n"}, ErrTryLater, "Master is currently unable to PSYNC but should be in the future: -LOADING Redis is loading the dataset in memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := fakeMaster(t, tc.replies...).Handshake(tc.cfg, "", 0)
			if tc.err == "" {
				if err != nil || res.Outcome != FullResync || res.ReplID != id || res.Offset != 5 {
					t.Fatalf("%+v %v", res, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind || e.Error() != tc.err {
				t.Fatalf("got %v, want %q", err, tc.err)
			}
		})
	}
}

func TestDialRefused(t *testing.T) {
	_, err := Dial(fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t)), hangGuard)
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrIO || e.Error() != "Error condition on socket for SYNC: Connection refused" {
		t.Fatalf("got %v", err)
	}
}

// FuzzReadCommand: the stream parser never panics, and whatever it accepts
// took exactly the bytes of its canonical encoding, or the replica's offset
// would drift from the master's.
func FuzzReadCommand(f *testing.F) {
	f.Add([]byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"))
	f.Add([]byte("*1\r\n$4\r\nPING\r\n*0\r\n"))
	f.Add([]byte("*1\r\n$007\r\nPING\r\n"))
	f.Add([]byte("*9999999999\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReaderSize(bytes.NewReader(data), 64)
		var total int64
		for {
			argv, n, err := readArray(r)
			if err != nil {
				return
			}
			args := make([]string, len(argv))
			for i, a := range argv {
				args[i] = string(a)
			}
			if want := int64(len(encodeCommand(args...))); n != want {
				t.Fatalf("%q took %d bytes, its encoding %d", args, n, want)
			}
			total += n
			if total > int64(len(data)) {
				t.Fatalf("counted %d bytes of %d", total, len(data))
			}
		}
	})
}
