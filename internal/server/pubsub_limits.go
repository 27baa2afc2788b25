// pubsub_limits.go applies client-output-buffer-limit to clients fed
// through the asynchronous queue, so a subscriber that stops reading is
// disconnected instead of growing the server's memory without bound.
package server

import (
	"time"

	"github.com/redoubt/redoubt/internal/config"
)

// checkOutputBufferLimits closes t, as Redis's
// closeClientOnOutputBufferLimitReached, when its unsent output reached the
// hard limit of its class, or stayed over the soft limit for longer than
// the configured seconds. Called with the executor lock held.
func (s *Server) checkOutputBufferLimits(t *Client) {
	if t.async == nil || t.flags&flagCloseASAP != 0 {
		return
	}
	used := uint64(t.async.unsent())
	if used == 0 {
		return
	}
	class := config.ClassNormal
	if t.flags&flagPubSub != 0 {
		class = config.ClassPubSub
	}
	if !obufLimitReached(t, used, s.cfg.ClientOutputBuffer[class]) {
		return
	}
	info := t.infoLine()
	t.closeASAP()
	s.log.Warn("Client " + info + " scheduled to be closed ASAP for overcoming of output buffer limits.")
}

// obufLimitReached is Redis's checkClientOutputBufferLimits: used unsent
// bytes reached limit's hard bound, or stayed at its soft bound for longer
// than its seconds (t remembers since when). Lock held.
func obufLimitReached(t *Client, used uint64, limit config.OutputBufferLimit) bool {
	hard := limit.Hard != 0 && used >= limit.Hard
	soft := limit.Soft != 0 && used >= limit.Soft
	if soft {
		now := time.Now().Unix()
		if t.obufSoftLimitSince == 0 {
			t.obufSoftLimitSince = now
			soft = false
		} else if now-t.obufSoftLimitSince <= limit.SoftSeconds {
			soft = false
		}
	} else {
		t.obufSoftLimitSince = 0
	}
	return soft || hard
}
