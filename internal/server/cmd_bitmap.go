// cmd_bitmap.go holds the bitmap commands on string values (SETBIT,
// GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO), following
// Redis 7.0's argument order of checks, index clamping rules and error
// texts, so that the same requests fail with the same words.
package server

import (
	"bytes"

	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("setbit", cmdSetbit)
	register("getbit", cmdGetbit)
	register("bitcount", cmdBitcount)
	register("bitpos", cmdBitpos)
	register("bitop", cmdBitop)
	register("bitfield", func(c *Client, args [][]byte) { c.bitfield(args, false) })
	register("bitfield_ro", func(c *Client, args [][]byte) { c.bitfield(args, true) })
}

const (
	errBitOffset     = "ERR bit offset is not an integer or out of range"
	errBitValue      = "ERR bit is not an integer or out of range"
	errBitArg        = "ERR The bit argument must be 1 or 0."
	errBitopNot      = "ERR BITOP NOT must be called with a single source key."
	errBitfieldType  = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	errBitfieldOflow = "ERR Invalid OVERFLOW type specified"
	errBitfieldRO    = "ERR BITFIELD_RO only supports the GET subcommand"
)

// bitOffsetArg parses a bit offset; with hashBits > 0 the "#N" form means
// N fields of that width. Offsets whose byte lies at or beyond
// proto-max-bulk-len are refused.
func (c *Client) bitOffsetArg(arg []byte, hashBits int) (uint64, bool) {
	useHash := hashBits > 0 && len(arg) > 0 && arg[0] == '#'
	if useHash {
		arg = arg[1:]
	}
	n, ok := parseInt(arg)
	if ok && useHash {
		n *= int64(hashBits) // wraps like Redis's, caught below
	}
	if !ok || n < 0 || n>>3 >= c.srv.cfg.ProtoMaxBulkLen {
		c.addError(errBitOffset)
		return 0, false
	}
	return uint64(n), true
}

// stringForBitWrite returns key's string value made raw and zero-padded
// so that bit maxBit exists, creating it when missing. dirty reports that
// the key was created or grew.
func (c *Client) stringForBitWrite(key []byte, maxBit uint64) (v *types.String, dirty, ok bool) {
	size := int(maxBit>>3) + 1
	e := c.db.LookupNoStats(key)
	if e == nil {
		v = &types.String{B: make([]byte, size), Enc: types.EncRaw}
		c.db.Add(key, v)
		return v, true, true
	}
	if v, ok = c.stringValue(e); !ok {
		return nil, false, false
	}
	return v, v.GrowZero(size), true
}

func cmdSetbit(c *Client, args [][]byte) {
	off, ok := c.bitOffsetArg(args[2], 0)
	if !ok {
		return
	}
	on, ok := parseInt(args[3])
	if !ok || on&^1 != 0 {
		c.addError(errBitValue)
		return
	}
	v, dirty, ok := c.stringForBitWrite(args[1], off)
	if !ok {
		return
	}
	idx, shift := off>>3, 7-off&7
	old := v.B[idx] >> shift & 1
	if dirty || int64(old) != on {
		v.B[idx] = v.B[idx]&^(1<<shift) | byte(on)<<shift
		c.db.SignalModified(args[1])
		c.db.Notify(keyspace.ClassString, "setbit", args[1])
		c.srv.markDirty(1)
	}
	c.w.Int(int64(old))
}

func cmdGetbit(c *Client, args [][]byte) {
	off, ok := c.bitOffsetArg(args[2], 0)
	if !ok {
		return
	}
	e := c.db.Lookup(args[1])
	if e == nil {
		c.w.Int(0)
		return
	}
	v, ok := c.stringValue(e)
	if !ok {
		return
	}
	var bit byte
	if idx := off >> 3; idx < uint64(len(v.B)) {
		bit = v.B[idx] >> (7 - off&7) & 1
	}
	c.w.Int(int64(bit))
}

// bitRange turns BITCOUNT/BITPOS start and end (bytes, or bits when
// isBit) into a byte range of a value n bytes long, with masks of the
// bits outside the range in its first and last byte. empty reports a
// range holding no bits.
type bitRange struct {
	start, end          int64
	firstMask, lastMask byte
}

func clampBitRange(start, end, n int64, isBit bool) (r bitRange, empty bool) {
	total := n
	if isBit {
		total <<= 3
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	if isBit && start <= end {
		r.firstMask = ^byte(1<<(8-start&7) - 1)
		r.lastMask = byte(1<<(7-end&7) - 1)
		start >>= 3
		end >>= 3
	}
	r.start, r.end = start, end
	return r, start > end
}

// isBitUnit parses the BYTE|BIT unit argument.
func isBitUnit(arg []byte) (isBit, ok bool) {
	switch {
	case isOpt(arg, "bit"):
		return true, true
	case isOpt(arg, "byte"):
		return false, true
	}
	return false, false
}

// BITCOUNT key [start end [BYTE|BIT]]
func cmdBitcount(c *Client, args [][]byte) {
	e := c.db.Lookup(args[1])
	if e == nil {
		c.w.Int(0)
		return
	}
	v, ok := c.stringValue(e)
	if !ok {
		return
	}
	p := v.B
	var r bitRange
	switch len(args) {
	case 2:
		r.start, r.end = 0, int64(len(p))-1
	case 4, 5:
		start, ok := c.intArg(args[2])
		if !ok {
			return
		}
		end, ok := c.intArg(args[3])
		if !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			c.w.Int(0)
			return
		}
		isBit := false
		if len(args) == 5 {
			if isBit, ok = isBitUnit(args[4]); !ok {
				c.addError(errSyntax)
				return
			}
		}
		r, _ = clampBitRange(start, end, int64(len(p)), isBit)
	default:
		c.addError(errSyntax)
		return
	}
	if r.start > r.end {
		c.w.Int(0)
		return
	}
	count := types.PopCount(p[r.start : r.end+1])
	count -= types.PopCount([]byte{p[r.start] & r.firstMask, p[r.end] & r.lastMask})
	c.w.Int(count)
}

// BITPOS key bit [start [end [BYTE|BIT]]]
func cmdBitpos(c *Client, args [][]byte) {
	bit, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.addError(errBitArg)
		return
	}
	e := c.db.Lookup(args[1])
	if e == nil {
		c.w.Int(-bit)
		return
	}
	v, ok := c.stringValue(e)
	if !ok {
		return
	}
	p := v.B
	var r bitRange
	endGiven := false
	switch len(args) {
	case 3:
		r.start, r.end = 0, int64(len(p))-1
	case 4, 5, 6:
		start, ok := c.intArg(args[3])
		if !ok {
			return
		}
		isBit := false
		if len(args) == 6 {
			if isBit, ok = isBitUnit(args[5]); !ok {
				c.addError(errSyntax)
				return
			}
		}
		end := int64(len(p)) - 1
		if len(args) >= 5 {
			if end, ok = c.intArg(args[4]); !ok {
				return
			}
			endGiven = true
		}
		r, _ = clampBitRange(start, end, int64(len(p)), isBit)
	default:
		c.addError(errSyntax)
		return
	}
	if r.start > r.end {
		c.w.Int(-1)
		return
	}
	pos, start, bytesLeft := bitposInRange(p, r, int(bit))
	if endGiven && bit == 0 && pos == bytesLeft<<3 {
		// the range was given explicitly: no zero padding to its right
		c.w.Int(-1)
		return
	}
	if pos != -1 {
		pos += start << 3
	}
	c.w.Int(pos)
}

// bitposInRange searches r as Redis does: the masked first byte alone,
// then the whole bytes, then the masked last byte, stopping at the first
// piece with an answer. It returns the position relative to the start of
// the piece that answered, that piece's byte offset, and the number of
// bytes from there to the end of the range.
func bitposInRange(p []byte, r bitRange, bit int) (pos, start, bytesLeft int64) {
	bytesLeft = r.end - r.start + 1
	mask := func(b, m byte) byte {
		if bit == 1 {
			return b &^ m
		}
		return b | m
	}
	if r.firstMask != 0 {
		b := mask(p[r.start], r.firstMask)
		if r.lastMask != 0 && bytesLeft == 1 {
			b = mask(b, r.lastMask)
		}
		pos = types.BitPos([]byte{b}, bit)
		if bytesLeft == 1 || (pos != -1 && pos != 8) {
			return pos, r.start, bytesLeft
		}
		r.start++
		bytesLeft--
	}
	whole := bytesLeft
	if r.lastMask != 0 {
		whole--
	}
	if whole > 0 {
		pos = types.BitPos(p[r.start:r.start+whole], bit)
		if bytesLeft == whole || (pos != -1 && pos != whole<<3) {
			return pos, r.start, bytesLeft
		}
		r.start += whole
		bytesLeft -= whole
	}
	return types.BitPos([]byte{mask(p[r.end], r.lastMask)}, bit), r.start, bytesLeft
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]: missing sources count as
// empty strings; an empty result deletes the destination.
func cmdBitop(c *Client, args [][]byte) {
	var op int
	switch name := args[1]; {
	case isOpt(name, "and"):
		op = types.BitAnd
	case isOpt(name, "or"):
		op = types.BitOr
	case isOpt(name, "xor"):
		op = types.BitXor
	case isOpt(name, "not"):
		op = types.BitNot
	default:
		c.addError(errSyntax)
		return
	}
	if op == types.BitNot && len(args) != 4 {
		c.addError(errBitopNot)
		return
	}
	dst := args[2]
	srcs := make([][]byte, 0, len(args)-3)
	for _, key := range args[3:] {
		e := c.db.Lookup(key)
		if e == nil {
			srcs = append(srcs, nil)
			continue
		}
		v, ok := c.stringValue(e)
		if !ok {
			return
		}
		srcs = append(srcs, v.B)
	}
	res := types.BitOp(op, srcs)
	if len(res) > 0 {
		c.db.LookupNoStats(dst) // expires a stale destination first, as setKey does
		c.db.Set(dst, &types.String{B: res, Enc: types.EncRaw}, false)
		c.db.SignalModified(dst)
		c.db.Notify(keyspace.ClassString, "set", dst)
		c.srv.markDirty(1)
	} else if c.db.LookupNoStats(dst) != nil && c.db.Delete(dst) {
		c.db.SignalModified(dst)
		c.db.Notify(keyspace.ClassGeneric, "del", dst)
		c.srv.markDirty(1)
	}
	c.w.Int(int64(len(res)))
}

// bitfieldOp is one parsed BITFIELD operation; all are parsed (and every
// argument error reported) before any is executed.
type bitfieldOp struct {
	offset   uint64
	value    int64
	kind     int // bitfieldGet, bitfieldSet, bitfieldIncrby
	overflow int
	bits     int
	signed   bool
}

const (
	bitfieldGet = iota
	bitfieldSet
	bitfieldIncrby
)

// bitfieldTypeArg parses i1..i64 or u1..u63. Like Redis, which reads the
// width as a C string, it stops at an embedded NUL.
func (c *Client) bitfieldTypeArg(arg []byte) (signed bool, bits int, ok bool) {
	if i := bytes.IndexByte(arg, 0); i >= 0 {
		arg = arg[:i]
	}
	if len(arg) == 0 || (arg[0] != 'i' && arg[0] != 'u') {
		c.addError(errBitfieldType)
		return false, 0, false
	}
	signed = arg[0] == 'i'
	n, ok := parseInt(arg[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		c.addError(errBitfieldType)
		return false, 0, false
	}
	return signed, int(n), true
}

// bitfield implements BITFIELD and (readOnly) BITFIELD_RO.
func (c *Client) bitfield(args [][]byte, readOnly bool) {
	var ops []bitfieldOp
	overflow := types.OverflowWrap
	writes := false
	var highest uint64
	for j := 2; j < len(args); j++ {
		remaining := len(args) - j - 1
		sub := args[j]
		var kind int
		switch {
		case isOpt(sub, "get") && remaining >= 2:
			kind = bitfieldGet
		case isOpt(sub, "set") && remaining >= 3:
			kind = bitfieldSet
		case isOpt(sub, "incrby") && remaining >= 3:
			kind = bitfieldIncrby
		case isOpt(sub, "overflow") && remaining >= 1:
			j++
			switch how := args[j]; {
			case isOpt(how, "wrap"):
				overflow = types.OverflowWrap
			case isOpt(how, "sat"):
				overflow = types.OverflowSat
			case isOpt(how, "fail"):
				overflow = types.OverflowFail
			default:
				c.addError(errBitfieldOflow)
				return
			}
			continue
		default:
			c.addError(errSyntax)
			return
		}
		signed, bits, ok := c.bitfieldTypeArg(args[j+1])
		if !ok {
			return
		}
		off, ok := c.bitOffsetArg(args[j+2], bits)
		if !ok {
			return
		}
		var value int64
		if kind != bitfieldGet {
			writes = true
			highest = max(highest, off+uint64(bits)-1)
			if value, ok = c.intArg(args[j+3]); !ok {
				return
			}
			j++
		}
		ops = append(ops, bitfieldOp{offset: off, value: value, kind: kind, overflow: overflow, bits: bits, signed: signed})
		j += 2
	}

	var v *types.String
	dirty := false
	if !writes {
		if e := c.db.Lookup(args[1]); e != nil {
			var ok bool
			if v, ok = c.stringValue(e); !ok {
				return
			}
		}
	} else {
		if readOnly {
			c.addError(errBitfieldRO)
			return
		}
		var ok bool
		if v, dirty, ok = c.stringForBitWrite(args[1], highest); !ok {
			return
		}
	}

	c.w.ArrayLen(len(ops))
	changes := 0
	for _, op := range ops {
		if op.kind == bitfieldGet {
			c.w.Int(bitfieldRead(v, op))
			continue
		}
		changed, ok := bitfieldWrite(c, v.B, op)
		if ok && (dirty || changed) {
			changes++
		}
	}
	if changes > 0 {
		c.db.SignalModified(args[1])
		c.db.Notify(keyspace.ClassString, "setbit", args[1])
		c.srv.markDirty(int64(changes))
	}
}

// bitfieldRead reads a field of v (nil: a missing key), the bits past the
// end of the value reading as zeroes.
func bitfieldRead(v *types.String, op bitfieldOp) int64 {
	var buf [9]byte
	first := op.offset >> 3
	if v != nil && first < uint64(len(v.B)) {
		copy(buf[:], v.B[first:])
	}
	off := op.offset - first*8
	if op.signed {
		return types.GetSignedBits(buf[:], off, op.bits)
	}
	return int64(types.GetUnsignedBits(buf[:], off, op.bits))
}

// bitfieldWrite runs a SET or INCRBY on p (already long enough), replying
// with the new value (INCRBY) or the old one (SET), or null when OVERFLOW
// FAIL refused it. It reports whether the stored bits changed and whether
// the write happened.
func bitfieldWrite(c *Client, p []byte, op bitfieldOp) (changed, ok bool) {
	if op.signed {
		old := types.GetSignedBits(p, op.offset, op.bits)
		var next, reply int64
		var over int
		var limit int64
		if op.kind == bitfieldIncrby {
			over, limit = types.SignedFieldOverflow(old, op.value, op.bits, op.overflow)
			next = old + op.value
			if over != 0 {
				next = limit
			}
			reply = next
		} else {
			next = op.value
			if over, limit = types.SignedFieldOverflow(next, 0, op.bits, op.overflow); over != 0 {
				next = limit
			}
			reply = old
		}
		if over != 0 && op.overflow == types.OverflowFail {
			c.w.Null()
			return false, false
		}
		c.w.Int(reply)
		types.SetBits(p, op.offset, op.bits, uint64(next))
		return old != next, true
	}
	old := types.GetUnsignedBits(p, op.offset, op.bits)
	var next, reply, limit uint64
	var over int
	if op.kind == bitfieldIncrby {
		next = old + uint64(op.value)
		if over, limit = types.UnsignedFieldOverflow(old, op.value, op.bits, op.overflow); over != 0 {
			next = limit
		}
		reply = next
	} else {
		next = uint64(op.value)
		if over, limit = types.UnsignedFieldOverflow(next, 0, op.bits, op.overflow); over != 0 {
			next = limit
		}
		reply = old
	}
	if over != 0 && op.overflow == types.OverflowFail {
		c.w.Null()
		return false, false
	}
	c.w.Int(int64(reply))
	types.SetBits(p, op.offset, op.bits, next)
	return old != next, true
}
