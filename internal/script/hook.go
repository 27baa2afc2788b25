package script

import (
	"context"
	"time"
)

// HookEvery is how many Lua instructions run between two calls of the
// engine's Hook: rare enough to cost little, often enough that a script
// looping forever still reaches it many times a second.
const HookEvery = 1 << 12

// Hook is called periodically while a script runs (every HookEvery
// instructions). Returning true kills the script with Redis's
// "Script killed by user with SCRIPT KILL..." error.
type Hook func() (kill bool)

// hookCtx is a context gopher-lua polls before every instruction; its
// Done counts the polls and runs the hook, the way Redis's count hook does.
type hookCtx struct {
	context.Context
	e *Engine
	n int
}

func (h *hookCtx) Done() <-chan struct{} {
	h.n++
	if fs := h.e.fstate; fs != nil && fs.loading != nil {
		if h.n&(HookEvery-1) == 0 && time.Now().After(fs.deadline) {
			h.e.killed = true
		}
		if h.e.killed {
			raise(h.e.L, "FUNCTION LOAD timeout")
		}
		return nil
	}
	if h.e.killed || (h.n&(HookEvery-1) == 0 && h.e.hook != nil && h.e.hook()) {
		// raised at every instruction from now on, so a pcall in the
		// script cannot swallow the kill
		h.e.killed = true
		raise(h.e.L, "Script killed by user with SCRIPT KILL...")
	}
	return nil
}

func (h *hookCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (h *hookCtx) Err() error                  { return nil }
