// The PSYNC decision: whether a master can continue a replica's stream from
// its backlog or must send a full resync. It follows Redis 7.0's
// masterTryPartialResynchronization check for check, including its log lines,
// and leaves writing the reply and the data to the caller.

package replication

import "fmt"

// PsyncRequest is what a replica sent in "PSYNC <replid> <offset>", plus
// what the master knows about it.
type PsyncRequest struct {
	Replid  string // "?" forces a full resync
	Offset  int64  // first byte the replica has not received; -1 with "?"
	Replica string // replicationGetSlaveName, used in log lines
	PSYNC2  bool   // the replica announced "capa psync2"
}

// PsyncDecision is the outcome of TryPartialResync.
type PsyncDecision struct {
	// Continue is true when the replica can continue; otherwise it needs a
	// full resync, whose reply is sent later, when the RDB starts.
	Continue bool
	// Reply is the +CONTINUE line to write first when Continue is true.
	Reply string
	// Backlog is the data to send after Reply: the stream from the requested
	// offset to the end, possibly empty.
	Backlog []byte
	// Log is the NOTICE line Redis logs for this decision.
	Log string
	// Warning is an extra WARNING line, set when the replica asked for an
	// offset beyond master_repl_offset.
	Warning string
}

// TryPartialResync decides a PSYNC request against the master's replication
// IDs and backlog (nil when the backlog is inactive; master_repl_offset is
// then unknown here, so the offset-too-large warning is left out). A replica that asks for
// replid2 at an offset it covers continues, and is told the current replid in
// +CONTINUE so that it adopts the new history.
func TryPartialResync(ids IDs, backlog *Backlog, req PsyncRequest) PsyncDecision {
	onReplid := equalFoldASCII(req.Replid, ids.Replid)
	onReplid2 := equalFoldASCII(req.Replid, ids.Replid2)

	// Is the requested history ours? replid2 is only valid up to
	// second_repl_offset.
	if !onReplid && (!onReplid2 || req.Offset > ids.SecondReplidOffset) {
		var d PsyncDecision
		switch {
		case len(req.Replid) > 0 && req.Replid[0] == '?':
			d.Log = fmt.Sprintf("Full resync requested by replica %s", req.Replica)
		case !onReplid2:
			d.Log = fmt.Sprintf("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '%s', my replication IDs are '%s' and '%s')",
				req.Replid, ids.Replid, ids.Replid2)
		default:
			d.Log = fmt.Sprintf("Partial resynchronization not accepted: Requested offset for second ID was %d, but I can reply up to %d",
				req.Offset, ids.SecondReplidOffset)
		}
		return d
	}

	// Do we still have the data the replica asks for?
	if backlog == nil || !backlog.Contains(req.Offset) {
		d := PsyncDecision{Log: fmt.Sprintf("Unable to partial resync with replica %s for lack of backlog (Replica request was: %d).",
			req.Replica, req.Offset)}
		if backlog != nil && req.Offset > backlog.MasterReplOffset() {
			d.Warning = fmt.Sprintf("Warning: replica %s tried to PSYNC with an offset that is greater than the master replication offset.", req.Replica)
		}
		return d
	}

	data, _ := backlog.CopyFrom(req.Offset)
	d := PsyncDecision{Continue: true, Reply: "+CONTINUE\r\n", Backlog: data}
	if req.PSYNC2 {
		d.Reply = "+CONTINUE " + ids.Replid + "\r\n"
	}
	d.Log = fmt.Sprintf("Partial resynchronization request from %s accepted. Sending %d bytes of backlog starting from offset %d.",
		req.Replica, len(data), req.Offset)
	return d
}

// equalFoldASCII compares like C's strcasecmp: ASCII letters only, so no
// Unicode folding can make two IDs equal that Redis would tell apart.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
