package integration

// repl_load_test.go is what a replica does with its own data set when a
// full sync loads: function libraries replaced by the master's (a library
// of the same name must not make the load fail), and with
// repl-diskless-load swapdb the old data set kept when the payload does
// not load, as Redis's temp DB.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt/redoubt/test/testutil"
)

const (
	replLibOld = "#!lua name=replib\nredis.register_function{function_name='which', callback=function() return 'old' end, flags={'no-writes'}}"
	replLibNew = "#!lua name=replib\nredis.register_function{function_name='which', callback=function() return 'new' end, flags={'no-writes'}}"
)

// TestFullSyncReplacesLibraries: a replica holding a library of the same
// name as one of its master's (its own, or from an earlier sync) takes the
// master's libraries and data in every repl-diskless-load mode, from
// either kind of master.
func TestFullSyncReplacesLibraries(t *testing.T) {
	for _, kind := range []string{"redis", "redoubt"} {
		for _, mode := range []string{"disabled", "on-empty-db", "swapdb"} {
			t.Run(kind+"/"+mode, func(t *testing.T) {
				ctx := context.Background()
				m := testutil.StartKind(t, kind, noSyncDelay...)
				mc := newClient(t, m.Addr)
				must(t, mc.FunctionLoad(ctx, replLibNew).Err())
				must(t, mc.Set(ctx, "k", "master", 0).Err())
				r := testutil.StartRedoubt(t, "--repl-diskless-load", mode)
				rc := newClient(t, r.Addr)
				must(t, rc.FunctionLoad(ctx, replLibOld).Err())
				must(t, rc.Set(ctx, "mine", "1", 0).Err())
				must(t, rc.Do(ctx, "REPLICAOF", "127.0.0.1", m.Port).Err())
				waitReplicaInSync(t, mc, rc)
				if got, err := rc.FCallRo(ctx, "which", nil).Text(); got != "new" {
					t.Errorf("FCALL which on the replica: %q %v, want the master's library", got, err)
				}
				if n := rc.DBSize(ctx).Val(); n != 1 {
					t.Errorf("replica DBSIZE %d, want the master's 1 key", n)
				}
			})
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fakeMaster answers a replica's handshake and sends one full-sync
// payload, then closes. It returns its port and a channel closed once the
// payload went out.
func fakeMaster(t *testing.T, payload []byte) (int, <-chan struct{}) {
	t.Helper()
	sent := make(chan struct{})
	var once sync.Once
	port := fakeMasterWith(t, func(conn net.Conn) {
		fmt.Fprintf(conn, "+FULLRESYNC %s 0\r\n$%d\r\n", strings.Repeat("ab", 20), len(payload))
		conn.Write(payload)
		once.Do(func() { close(sent) }) // the replica retries after a failed load
		time.Sleep(200 * time.Millisecond)
	})
	return port, sent
}

// fakeMasterWith answers the handshake of every replica that connects
// and calls psync with the connection when it sends PSYNC or SYNC; the
// connection closes when psync returns.
func fakeMasterWith(t *testing.T, psync func(net.Conn)) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				rd := bufio.NewReader(conn)
				for {
					args, err := readArgs(rd)
					if err != nil {
						return
					}
					switch strings.ToUpper(args[0]) {
					case "PSYNC", "SYNC":
						psync(conn)
						return
					case "PING":
						io.WriteString(conn, "+PONG\r\n")
					default:
						io.WriteString(conn, "+OK\r\n")
					}
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// readArgs reads one RESP array of bulk strings.
func readArgs(rd *bufio.Reader) ([]string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "*") {
		return nil, errors.New("not an array: " + line)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	args := make([]string, n)
	for i := range args {
		if _, err := rd.ReadString('\n'); err != nil {
			return nil, err
		}
		s, err := rd.ReadString('\n')
		if err != nil {
			return nil, err
		}
		args[i] = strings.TrimSuffix(s, "\r\n")
	}
	return args, nil
}

// TestSwapdbKeepsDataOnBadPayload: a payload that does not load (a valid
// header, then garbage) leaves a swapdb replica with its old keys and
// libraries, as Redis keeps them; with on-empty-db the replica is empty
// afterwards, as Redis's.
func TestSwapdbKeepsDataOnBadPayload(t *testing.T) {
	payload := append([]byte("REDIS0010"), []byte("\xfa\x09redis-ver\x067.0.15\x99garbage that is no opcode")...)
	for _, mode := range []string{"swapdb", "on-empty-db"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			r := testutil.StartRedoubt(t, "--repl-diskless-load", mode)
			rc := newClient(t, r.Addr)
			must(t, rc.FunctionLoad(ctx, replLibOld).Err())
			for i := range 100 {
				must(t, rc.Set(ctx, "key:"+strconv.Itoa(i), i, 0).Err())
			}
			must(t, rc.Do(ctx, "SELECT", "0").Err())
			port, sent := fakeMaster(t, payload)
			must(t, rc.Do(ctx, "REPLICAOF", "127.0.0.1", port).Err())
			select {
			case <-sent:
			case <-time.After(10 * time.Second):
				t.Fatal("the replica never asked for a sync")
			}
			testutil.WaitFor(t, "the load failure logged", 10*time.Second, func() error {
				out, _ := os.ReadFile(r.Log)
				if !strings.Contains(string(out), "Failed trying to load the MASTER synchronization DB") {
					return errors.New("not yet")
				}
				return nil
			})
			n := rc.DBSize(ctx).Val()
			lib, _ := rc.FCallRo(ctx, "which", nil).Text()
			if mode == "swapdb" {
				if n != 100 || lib != "old" {
					t.Errorf("after a bad payload: DBSIZE %d (want 100), FCALL which %q (want old)", n, lib)
				}
				if got := rc.Get(ctx, "key:42").Val(); got != "42" {
					t.Errorf("key:42 = %q", got)
				}
			} else if n != 0 || lib != "" {
				t.Errorf("after a bad payload with %s: DBSIZE %d, FCALL which %q; want 0 and no library, as Redis", mode, n, lib)
			}
		})
	}
}

// TestSyncProgressFields: while a payload comes in, INFO replication's
// master_sync_* fields on a redoubt replica read as on a redis-server
// replica fed the same bytes by the same (stalling) master: a
// length-prefixed payload's size, bytes read and left, the percentage;
// an EOF-delimited one's size 0 and Redis's negative "left".
func TestSyncProgressFields(t *testing.T) {
	part := append([]byte("REDIS0010"), make([]byte, 991)...)
	for _, c := range []struct{ name, header string }{
		{"length-prefixed", "$4000\r\n"},
		{"eof-delimited", "$EOF:" + strings.Repeat("0123456789", 4) + "\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			port := fakeMasterWith(t, func(conn net.Conn) {
				fmt.Fprintf(conn, "+FULLRESYNC %s 0\r\n%s", strings.Repeat("ab", 20), c.header)
				conn.Write(part)
				<-release
			})
			fields := func(kind string) string {
				p := testutil.StartKind(t, kind, "--replicaof", "127.0.0.1", strconv.Itoa(port))
				pc := newClient(t, p.Addr)
				var got string
				testutil.WaitFor(t, kind+" replica reading the payload", 10*time.Second, func() error {
					info := pc.Info(context.Background(), "replication").Val()
					if infoValue(info, "master_sync_read_bytes") != strconv.Itoa(len(part)) {
						return errors.New("read bytes: " + infoValue(info, "master_sync_read_bytes"))
					}
					var b strings.Builder
					for _, f := range []string{"master_sync_in_progress", "master_sync_total_bytes", "master_sync_read_bytes", "master_sync_left_bytes", "master_sync_perc"} {
						fmt.Fprintf(&b, "%s:%s\n", f, infoValue(info, f))
					}
					got = b.String()
					return nil
				})
				return got
			}
			want, got := fields("redis"), fields("redoubt")
			if got != want {
				t.Errorf("redoubt replica:\n%s\nredis-server replica:\n%s", got, want)
			}
		})
	}
}
