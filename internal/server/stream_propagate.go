// stream_propagate.go turns stream commands into the effects Redis 7.0
// propagates (t_stream.c): a consumer group's deliveries and claims become
// idempotent XCLAIMs carrying absolute times, approximate trims become the
// exact trim they ended up doing, generated IDs become concrete. Replayed
// from the AOF (or by a replica) the commands then rebuild the same state
// whatever the clock and the node layout.
package server

import (
	"github.com/redoubt/redoubt/internal/types"
)

var (
	argXclaim         = []byte("XCLAIM")
	argXgroup         = []byte("XGROUP")
	argSetid          = []byte("SETID")
	argCreateConsumer = []byte("CREATECONSUMER")
	argEntriesRead    = []byte("ENTRIESREAD")
	argTime           = []byte("TIME")
	argRetryCount     = []byte("RETRYCOUNT")
	argForce          = []byte("FORCE")
	argJustID         = []byte("JUSTID")
	argLastID         = []byte("LASTID")
	argZero           = []byte("0")
	argEquals         = []byte("=")
)

// propagateXclaim is streamPropagateXCLAIM: the NACK of id, as it now is,
// as an XCLAIM that recreates it (FORCE) without touching the entry
// (JUSTID), and raises the group's last ID with it. id is passed as the
// caller spelled it (Redis propagates XCLAIM's own ID arguments verbatim).
func (c *Client) propagateXclaim(key, group []byte, g *types.StreamGroup, id []byte, nack *types.StreamNACK) {
	c.alsoPropagate(argXclaim, key, group, []byte(nack.Consumer.Name), argZero, id,
		argTime, []byte(itoa(nack.DeliveryTime)),
		argRetryCount, []byte(itoa(nack.DeliveryCount)),
		argForce, argJustID, argLastID, g.LastID.AppendTo(nil))
}

// propagateGroupID is streamPropagateGroupID: the group's last ID and read
// counter when no XCLAIM carries them (NOACK reads, XCLAIM LASTID alone).
func (c *Client) propagateGroupID(key, group []byte, g *types.StreamGroup) {
	c.alsoPropagate(argXgroup, argSetid, key, group, g.LastID.AppendTo(nil),
		argEntriesRead, []byte(itoa(g.EntriesRead)))
}

// propagateConsumerCreation is streamPropagateConsumerCreation: a consumer
// created by a NOACK read, which no XCLAIM would create on replay.
func (c *Client) propagateConsumerCreation(key, group []byte, consumer string) {
	c.alsoPropagate(argXgroup, argCreateConsumer, key, group, []byte(consumer))
}

// rewriteXaddOrXtrim makes XADD/XTRIM propagate deterministically: an
// approximate trim (~, LIMIT) as the exact one it amounted to
// (streamRewriteApproxSpecifier/streamRewriteTrimArgument: MAXLEN = the
// length left, MINID = the first ID still stored, tombstones included),
// and XADD's generated ID (idpos >= 0) as the concrete id.
func (c *Client) rewriteXaddOrXtrim(args [][]byte, s *types.Stream, a *addTrimArgs, idpos int, id []byte) {
	argv := append([][]byte(nil), args...)
	if a.approx {
		argv[a.trimArgIdx-1] = argEquals
		if a.strategy == 1 {
			argv[a.trimArgIdx] = []byte(itoa(int64(s.Len())))
		} else {
			argv[a.trimArgIdx] = s.FirstStoredID().AppendTo(nil)
		}
	}
	if idpos >= 0 {
		argv[idpos] = id
	}
	c.rewritePropagation(argv...)
}
