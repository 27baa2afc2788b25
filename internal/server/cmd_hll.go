// cmd_hll.go holds the HyperLogLog commands (PFADD, PFCOUNT, PFMERGE,
// PFDEBUG, PFSELFTEST). The HLL is a string value in Redis's byte layout
// (internal/types/hll.go); these handlers reproduce Redis's lookups, type
// checks, cache invalidation and keyspace events around it.
package server

import (
	"fmt"
	"math/rand/v2"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("pfadd", cmdPfadd)
	register("pfcount", cmdPfcount)
	register("pfmerge", cmdPfmerge)
	register("pfdebug", cmdPfdebug)
	register("pfselftest", cmdPfselftest)
}

const (
	errNotHLL     = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errCorruptHLL = "INVALIDOBJ Corrupted HLL object detected"
)

// hllValue returns e's value when it is a string with a valid HLL
// header, or replies WRONGTYPE.
func (c *Client) hllValue(e *keyspace.Entry) (*types.String, bool) {
	v, ok := c.stringValue(e)
	if !ok {
		return nil, false
	}
	if !types.IsHLL(v.B) {
		c.addError(errNotHLL)
		return nil, false
	}
	return v, true
}

func cmdPfadd(c *Client, args [][]byte) {
	key := args[1]
	updated := 0
	var v *types.String
	if e := c.db.LookupNoStats(key); e == nil {
		v = types.NewHLL()
		c.db.Add(key, v)
		updated++
	} else {
		var ok bool
		if v, ok = c.hllValue(e); !ok {
			return
		}
		v.Enc = types.EncRaw // Redis unshares the value before editing it
	}
	maxSparse := c.srv.cfg.HLLSparseMaxBytes
	for _, ele := range args[2:] {
		switch types.HLLAdd(v, ele, maxSparse) {
		case 1:
			updated++
		case -1:
			c.addError(errCorruptHLL)
			return
		}
	}
	if updated > 0 {
		c.db.SignalModified(key)
		c.db.Notify(keyspace.ClassString, "pfadd", key)
		c.srv.markDirty(int64(updated))
		types.HLLInvalidateCache(v)
		c.w.Int(1)
		return
	}
	c.w.Int(0)
}

// PFCOUNT of one key answers from (and refreshes) the cached cardinality
// in the HLL header; of several keys, estimates their union.
func cmdPfcount(c *Client, args [][]byte) {
	if len(args) > 2 {
		var regs [types.HLLRegisters]uint8
		for _, key := range args[1:] {
			e := c.db.Lookup(key)
			if e == nil {
				continue
			}
			v, ok := c.hllValue(e)
			if !ok {
				return
			}
			if !types.HLLMergeInto(&regs, v.B) {
				c.addError(errCorruptHLL)
				return
			}
		}
		c.w.Int(int64(types.HLLCountRegisters(&regs)))
		return
	}
	e := c.db.Lookup(args[1])
	if e == nil {
		c.w.Int(0)
		return
	}
	v, ok := c.hllValue(e)
	if !ok {
		return
	}
	v.Enc = types.EncRaw
	card, cached := types.HLLCachedCount(v.B)
	if !cached {
		var valid bool
		if card, valid = types.HLLCount(v.B); !valid {
			c.addError(errCorruptHLL)
			return
		}
		types.HLLSetCachedCount(v, card)
		c.db.SignalModified(args[1])
		c.srv.markDirty(1) // the cached cardinality changed the value
	}
	c.w.Int(int64(card))
}

// PFMERGE dest src...: the destination is one of the inputs, and becomes
// dense when any input is dense.
func cmdPfmerge(c *Client, args [][]byte) {
	var regs [types.HLLRegisters]uint8
	useDense := false
	for _, key := range args[1:] {
		e := c.db.Lookup(key)
		if e == nil {
			continue
		}
		v, ok := c.hllValue(e)
		if !ok {
			return
		}
		if !types.HLLIsSparse(v.B) {
			useDense = true
		}
		if !types.HLLMergeInto(&regs, v.B) {
			c.addError(errCorruptHLL)
			return
		}
	}
	dst := args[1]
	var v *types.String
	if e := c.db.LookupNoStats(dst); e == nil {
		v = types.NewHLL()
		c.db.Add(dst, v)
	} else {
		v = e.Value.(*types.String) // checked as an input above
		v.Enc = types.EncRaw
	}
	if useDense && !types.HLLToDense(v) {
		c.addError(errCorruptHLL)
		return
	}
	maxSparse := c.srv.cfg.HLLSparseMaxBytes
	for i, val := range regs {
		if val != 0 {
			types.HLLSetRegister(v, i, val, maxSparse) // Redis ignores failures here
		}
	}
	types.HLLInvalidateCache(v)
	c.db.SignalModified(dst)
	c.db.Notify(keyspace.ClassString, "pfadd", dst)
	c.srv.markDirty(1)
	c.w.OK()
}

// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
func cmdPfdebug(c *Client, args [][]byte) {
	sub, key := args[1], args[2]
	e := c.db.LookupNoStats(key)
	if e == nil {
		c.addError("ERR The specified key does not exist")
		return
	}
	v, ok := c.hllValue(e)
	if !ok {
		return
	}
	v.Enc = types.EncRaw
	switch {
	case isOpt(sub, "getreg"):
		wasSparse := types.HLLIsSparse(v.B)
		if !types.HLLToDense(v) {
			c.addError(errCorruptHLL)
			return
		}
		if wasSparse {
			c.srv.markDirty(1) // an encoding change
		}
		regs := types.HLLRegisterValues(v.B)
		c.w.ArrayLen(len(regs))
		for _, r := range regs {
			c.w.Int(int64(r))
		}
	case isOpt(sub, "decode"):
		if !types.HLLIsSparse(v.B) {
			c.addError("ERR HLL encoding is not sparse")
			return
		}
		c.w.BulkString(types.HLLDecode(v.B))
	case isOpt(sub, "encoding"):
		if types.HLLIsSparse(v.B) {
			c.w.Simple("sparse")
		} else {
			c.w.Simple("dense")
		}
	case isOpt(sub, "todense"):
		if !types.HLLIsSparse(v.B) {
			c.w.Int(0)
			return
		}
		if !types.HLLToDense(v) {
			c.addError(errCorruptHLL)
			return
		}
		c.srv.markDirty(1) // an encoding change
		c.w.Int(1)
	default:
		c.addError(fmt.Sprintf("ERR Unknown PFDEBUG subcommand '%s'", sub))
	}
}

func cmdPfselftest(c *Client, args [][]byte) {
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	if msg := types.HLLSelfTest(c.srv.cfg.HLLSparseMaxBytes, rng); msg != "" {
		c.addError(msg)
		return
	}
	c.w.OK()
}
