// The replication ID pair. A replication ID names one history of the data
// set; replid2 remembers the previous history up to second_repl_offset so
// that, after a replica is promoted, its former siblings can still continue
// with PSYNC instead of a full resync (PSYNC2).

package replication

import (
	"crypto/rand"
	"fmt"
	"io"
	"strings"
)

// IDLen is the length of a replication ID (CONFIG_RUN_ID_SIZE).
const IDLen = 40

// clearedID is replid2 when there is no previous history.
var clearedID = strings.Repeat("0", IDLen)

// NewID returns a fresh random replication ID: 40 lowercase hex characters,
// like Redis's changeReplicationId.
func NewID() string { return NewIDFrom(rand.Reader) }

// NewIDFrom is NewID reading its randomness from r, so tests can be
// deterministic. It panics if r fails, because crypto/rand does not.
func NewIDFrom(r io.Reader) string {
	const hexDigits = "0123456789abcdef"
	var raw [IDLen]byte
	if _, err := io.ReadFull(r, raw[:]); err != nil {
		panic(fmt.Errorf("repl: read random replication ID: %w", err))
	}
	id := make([]byte, IDLen)
	for i, c := range raw {
		id[i] = hexDigits[c&0x0f]
	}
	return string(id)
}

// IDs is the replication ID state of a server: replid, replid2 and
// second_repl_offset (the first offset replid2 can no longer serve).
type IDs struct {
	Replid             string
	Replid2            string
	SecondReplidOffset int64
}

// NewIDs returns a fresh replid with replid2 cleared, as a server starts.
func NewIDs() IDs {
	ids := IDs{Replid: NewID()}
	ids.ClearID2()
	return ids
}

// Change gives the server a new random replid (changeReplicationId), which
// makes every PSYNC on the old replid fail: the history was altered.
func (ids *IDs) Change() { ids.Replid = NewID() }

// ClearID2 invalidates replid2 (clearReplicationId2): 40 '0' and offset -1.
func (ids *IDs) ClearID2() {
	ids.Replid2 = clearedID
	ids.SecondReplidOffset = -1
}

// Shift is shiftReplicationId, used when a replica becomes a master: the
// old replid becomes replid2, valid up to masterReplOffset+1 (the first
// byte a replica sharing this history has not received), and a new replid
// starts. It returns the line Redis logs at warning level.
func (ids *IDs) Shift(masterReplOffset int64) string {
	ids.Replid2 = ids.Replid
	ids.SecondReplidOffset = masterReplOffset + 1
	ids.Change()
	return fmt.Sprintf("Setting secondary replication ID to %s, valid up to offset: %d. New replication ID is %s",
		ids.Replid2, ids.SecondReplidOffset, ids.Replid)
}
