// Package logging formats log lines as Redis does
// ("pid:R dd Mon yyyy hh:mm:ss.mmm * message") through a log/slog handler,
// so operators' log scrapers keep working when redoubt replaces Redis.
package logging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
)

// Redis's four levels map onto slog levels.
const (
	LevelDebug   = slog.LevelDebug
	LevelVerbose = slog.Level(-2)
	LevelNotice  = slog.LevelInfo
	LevelWarning = slog.LevelWarn
)

// ParseLevel maps a loglevel directive value to a slog level.
func ParseLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug":
		return LevelDebug
	case "verbose":
		return LevelVerbose
	case "warning":
		return LevelWarning
	case "nothing":
		return slog.Level(100)
	}
	return LevelNotice
}

// Handler writes Redis-style lines. Role is the one-letter role marker
// (M master, S replica, X sentinel, C child).
type Handler struct {
	mu    *sync.Mutex
	out   io.Writer
	level *slog.LevelVar
	Role  func() byte
	attrs []slog.Attr
}

// New returns a handler writing to out at the given level.
func New(out io.Writer, level *slog.LevelVar, role func() byte) *Handler {
	return &Handler{mu: &sync.Mutex{}, out: out, level: level, Role: role}
}

func (h *Handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func marker(l slog.Level) byte {
	switch {
	case l >= LevelWarning:
		return '#'
	case l >= LevelNotice:
		return '*'
	case l >= LevelVerbose:
		return '-'
	}
	return '.'
}

func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	role := byte('M')
	if h.Role != nil {
		role = h.Role()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d:%c %s %c %s", os.Getpid(), role, r.Time.Format("02 Jan 2006 15:04:05.000"), marker(r.Level), r.Message)
	add := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.out, b.String())
	return err
}

func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append(append([]slog.Attr{}, h.attrs...), as...)
	return &n
}

func (h *Handler) WithGroup(string) slog.Handler { return h }

// Strerror is C's strerror text for an OS error (capitalised, as glibc
// writes it), which Redis puts in its log lines and replies; other errors
// give their own text.
func Strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if s := errno.Error(); s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}
