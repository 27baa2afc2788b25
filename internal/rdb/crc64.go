package rdb

import (
	"hash/crc64"
	"math/bits"
)

// jonesPoly is the polynomial of Redis's crc64.c ("Jones" CRC-64), given in
// the normal (MSB-first) form; the CRC itself is the reflected variant.
const jonesPoly = 0xad93d23594c935a9

// hash/crc64 takes reflected polynomials.
var crcTable = crc64.MakeTable(bits.Reverse64(jonesPoly))

// CRC64 continues Redis's crc64 over p: crc64(crc, p) as in crc64.c, with no
// inversion on entry or exit, so CRC64(0, "123456789") is 0xe9c6d914c4b8d9ca.
func CRC64(crc uint64, p []byte) uint64 {
	// hash/crc64 inverts the register on entry and exit; undo both.
	return ^crc64.Update(^crc, crcTable, p)
}
