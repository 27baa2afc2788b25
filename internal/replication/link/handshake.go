// The handshake a Redis 7.0 replica runs in syncWithMaster: PING, optional
// AUTH, REPLCONF listening-port / ip-address / capa, then PSYNC. Replies that
// Redis tolerates (NOAUTH to PING, errors to REPLCONF) are tolerated here too.

package link

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redoubt/redoubt/internal/logging"
)

// Config is what the replica announces and authenticates with.
type Config struct {
	ListeningPort int    // REPLCONF listening-port (the replica's own port)
	AnnounceIP    string // REPLCONF ip-address, sent only when set
	MasterUser    string // AUTH <user> <pass> when set, else AUTH <pass>
	MasterAuth    string // AUTH is sent only when set
	// Failover adds FAILOVER to PSYNC: a master handing over to this
	// replica asks it to become the master (the FAILOVER command)
	Failover bool
}

// Link is one replica-to-master connection.
type Link struct {
	conn  net.Conn
	r     *bufio.Reader
	arena arena // the stream's arguments (stream.go)
	// Warnings are the non-critical replies Redis logs and continues past
	// (e.g. a master that does not understand REPLCONF capa).
	Warnings []string
	// Log, when set, receives the lines Redis's replica logs at notice
	// level while the handshake goes on, in order: "Master replied to
	// PING, replication can continue...", the non-critical REPLCONF
	// replies above and the PSYNC attempt. Failures are not passed here:
	// they are the returned Error's Logs; the PSYNC reply's warning is
	// PsyncResult.Warning.
	Log func(line string)
}

func (l *Link) notice(line string) {
	if l.Log != nil {
		l.Log(line)
	}
}

func (l *Link) warn(line string) {
	l.Warnings = append(l.Warnings, line)
	l.notice(line)
}

// New wraps a connection the caller dialed to the master.
func New(conn net.Conn) *Link {
	return &Link{conn: conn, r: bufio.NewReaderSize(conn, 64*1024), arena: arena{active: true}}
}

// Conn is the underlying connection (for deadlines and Close).
func (l *Link) Conn() net.Conn { return l.conn }

// Outcome is how the master answered PSYNC.
type Outcome int

const (
	FullResync Outcome = iota + 1 // +FULLRESYNC: an RDB payload follows
	Continue                      // +CONTINUE: the stream resumes at the requested offset
)

// PsyncResult is the parsed PSYNC reply.
type PsyncResult struct {
	Outcome Outcome
	// ReplID is the master's replication ID: from +FULLRESYNC, or the new ID
	// +CONTINUE announced (after a failover), or the one the replica asked
	// with when +CONTINUE named none.
	ReplID string
	// Offset is the master's offset the payload corresponds to (FULLRESYNC);
	// for CONTINUE it is the replica's own offset, unchanged.
	Offset int64
	// ReplIDChanged is set when +CONTINUE carried a new replication ID.
	ReplIDChanged bool
	// Warning is the line Redis logs as a warning about the reply while
	// going on ("Master replication ID changed to ...", a malformed
	// +FULLRESYNC), "" if none.
	Warning string
}

// ErrorKind classifies a failed handshake so the caller can choose what to
// do next, as Redis's PSYNC_* results do.
type ErrorKind int

const (
	ErrIO            ErrorKind = iota + 1 // connect, write or read failure
	ErrPing                               // an error reply to PING Redis does not tolerate
	ErrAuth                               // AUTH refused
	ErrTryLater                           // -NOMASTERLINK / -LOADING, or no PSYNC reply: retry later
	ErrNotSupported                       // -ERR to PSYNC: the master does not support it
	ErrUnexpected                         // any other PSYNC reply
	ErrProtocol                           // a malformed payload header or stream
	ErrMasterAborted                      // the master sent an error instead of the payload
)

// Error is a handshake or sync failure. Logs are the lines Redis's replica
// logs for it, in order (a failed read logs its cause, then what failed).
type Error struct {
	Kind ErrorKind
	Logs []string
	Err  error // the socket error, for ErrIO
}

func (e *Error) Error() string { return strings.Join(e.Logs, "; ") }
func (e *Error) Unwrap() error { return e.Err }

func newError(kind ErrorKind, logs ...string) *Error { return &Error{Kind: kind, Logs: logs} }

// sockErrText is what Redis's connGetLastError would print: strerror's
// text, or "connection lost" when the master closed the connection.
func sockErrText(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "connection lost"
	}
	return logging.Strerror(err)
}

// Dial connects to the master; a failure carries the text Redis logs when
// its non-blocking connect reports an error.
func Dial(addr string, timeout time.Duration) (*Link, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, &Error{Kind: ErrIO, Logs: []string{"Error condition on socket for SYNC: " + sockErrText(err)}, Err: err}
	}
	return New(conn), nil
}

// Handshake runs the handshake and PSYNC. replID "" asks for a first sync
// (PSYNC ? -1); otherwise reploff is the last offset the replica processed,
// and the master is asked for reploff+1 onwards, as Redis's replica does.
func (l *Link) Handshake(cfg Config, replID string, reploff int64) (PsyncResult, error) {
	// PING: NOAUTH and permission errors only mean AUTH is still to come.
	reply, err := l.command("PING")
	if err != nil {
		return PsyncResult{}, err
	}
	if !strings.HasPrefix(reply, "+") &&
		!strings.HasPrefix(reply, "-NOAUTH") &&
		!strings.HasPrefix(reply, "-NOPERM") &&
		!strings.HasPrefix(reply, "-ERR operation not permitted") {
		return PsyncResult{}, newError(ErrPing, "Error reply to PING from master: '"+reply+"'")
	}
	l.notice("Master replied to PING, replication can continue...")

	if cfg.MasterAuth != "" {
		args := []string{"AUTH", cfg.MasterAuth}
		if cfg.MasterUser != "" {
			args = []string{"AUTH", cfg.MasterUser, cfg.MasterAuth}
		}
		reply, err := l.command(args...)
		if err != nil {
			return PsyncResult{}, err
		}
		if strings.HasPrefix(reply, "-") {
			return PsyncResult{}, newError(ErrAuth, "Unable to AUTH to MASTER: "+reply)
		}
	}

	// REPLCONF failures are non critical: an old master just ignores them.
	if err := l.replconf("listening-port", strconv.Itoa(cfg.ListeningPort)); err != nil {
		return PsyncResult{}, err
	}
	if cfg.AnnounceIP != "" {
		if err := l.replconf("ip-address", cfg.AnnounceIP); err != nil {
			return PsyncResult{}, err
		}
	}
	reply, err = l.command("REPLCONF", "capa", "eof", "capa", "psync2")
	if err != nil {
		return PsyncResult{}, err
	}
	if strings.HasPrefix(reply, "-") {
		l.warn("(Non critical) Master does not understand REPLCONF capa: " + reply)
	}

	psyncID, psyncOff := "?", "-1"
	if replID != "" {
		psyncID, psyncOff = replID, strconv.FormatInt(reploff+1, 10)
		l.notice("Trying a partial resynchronization (request " + psyncID + ":" + psyncOff + ").")
	} else {
		l.notice("Partial resynchronization not possible (no cached master)")
	}
	psync := []string{"PSYNC", psyncID, psyncOff}
	if cfg.Failover {
		psync = append(psync, "FAILOVER")
	}
	if _, err := l.conn.Write(encodeCommand(psync...)); err != nil {
		return PsyncResult{}, &Error{Kind: ErrIO, Logs: []string{"Unable to send PSYNC to master: " + sockErrText(err)}, Err: err}
	}
	reply, err = l.reply()
	if err != nil {
		return PsyncResult{}, &Error{Kind: ErrTryLater, Err: err, Logs: []string{
			"Failed to read response from the server: " + sockErrText(err),
			"Master did not reply to PSYNC, will try later"}}
	}
	res, warning, err := parsePsyncReply(reply, replID, reploff)
	if warning != "" {
		// logged by the caller where Redis logs it, as a warning
		l.Warnings = append(l.Warnings, warning)
		res.Warning = warning
	}
	return res, err
}

func (l *Link) replconf(option, value string) error {
	reply, err := l.command("REPLCONF", option, value)
	if err != nil {
		return err
	}
	if strings.HasPrefix(reply, "-") {
		l.warn("(Non critical) Master does not understand REPLCONF " + option + ": " + reply)
	}
	return nil
}

// parsePsyncReply turns the PSYNC reply line into a result or an Error,
// with the texts of Redis's slaveTryPartialResynchronization; warning is a
// line Redis logs while still going on.
func parsePsyncReply(reply, replID string, reploff int64) (res PsyncResult, warning string, err error) {
	switch {
	case strings.HasPrefix(reply, "+FULLRESYNC"):
		// Redis still does the full sync on a malformed reply, but with a
		// blank ID so that no later PSYNC can continue from it.
		f := strings.SplitN(reply, " ", 3)
		if len(f) != 3 || len(f[1]) != 40 {
			return PsyncResult{Outcome: FullResync, Offset: -1}, "Master replied with wrong +FULLRESYNC syntax.", nil
		}
		off, _ := strconv.ParseInt(strings.TrimSpace(f[2]), 10, 64)
		return PsyncResult{Outcome: FullResync, ReplID: f[1], Offset: off}, "", nil
	case strings.HasPrefix(reply, "+CONTINUE"):
		res := PsyncResult{Outcome: Continue, ReplID: replID, Offset: reploff}
		// exactly 40 chars after "+CONTINUE " name the master's new ID
		if len(reply) == len("+CONTINUE ")+40 && reply[9] == ' ' && reply[10:] != replID {
			res.ReplID, res.ReplIDChanged = reply[10:], true
			warning = "Master replication ID changed to " + res.ReplID
		}
		return res, warning, nil
	case strings.HasPrefix(reply, "-NOMASTERLINK"), strings.HasPrefix(reply, "-LOADING"):
		return PsyncResult{}, "", newError(ErrTryLater, "Master is currently unable to PSYNC but should be in the future: "+reply)
	case strings.HasPrefix(reply, "-ERR"):
		return PsyncResult{}, "", newError(ErrNotSupported, "Master does not support PSYNC or is in error state (reply: "+reply+")")
	default:
		return PsyncResult{}, "", newError(ErrUnexpected, "Unexpected reply to PSYNC from master: "+reply)
	}
}

// command sends one handshake command as a RESP array and reads its
// one-line reply, with the texts Redis logs when either fails.
func (l *Link) command(args ...string) (string, error) {
	if _, err := l.conn.Write(encodeCommand(args...)); err != nil {
		return "", &Error{Kind: ErrIO, Err: err, Logs: []string{"Sending command to master in replication handshake: " + sockErrText(err)}}
	}
	reply, err := l.reply()
	if err != nil {
		return "", &Error{Kind: ErrIO, Err: err, Logs: []string{
			"Failed to read response from the server: " + sockErrText(err),
			"Master did not respond to command during SYNC handshake"}}
	}
	return reply, nil
}

// reply reads one reply line, skipping the empty lines a master may send
// as keepalives before it answers.
func (l *Link) reply() (string, error) {
	for {
		line, err := l.readLine()
		if err != nil || line != "" {
			return line, err
		}
	}
}

// readLine reads one line without its CRLF (or bare LF).
func (l *Link) readLine() (string, error) {
	line, err := l.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func encodeCommand(args ...string) []byte {
	b := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b
}

// SendAck writes REPLCONF ACK <offset>, which the replica sends every second
// and right after a diskless load (the master starts the stream on it). It
// writes straight to the connection, so it may run while another goroutine
// reads the stream.
func (l *Link) SendAck(offset int64) error {
	return WriteAck(l.conn, offset)
}

// WriteAck writes REPLCONF ACK <offset> to w.
func WriteAck(w io.Writer, offset int64) error {
	_, err := w.Write(encodeCommand("REPLCONF", "ACK", strconv.FormatInt(offset, 10)))
	return err
}
