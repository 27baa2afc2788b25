// The twelve key hash functions of twemproxy (nutcracker 0.5.0), reproduced
// bit for bit as its C code computes them on x86-64. Several of them read key
// bytes through a signed char, so bytes >= 0x80 are sign-extended before they
// are mixed in; that quirk is kept on purpose, since changing it would move
// keys to other backends.

package hashkit

import (
	"crypto/md5"
	"encoding/binary"
	"hash/crc32"
	"math/bits"
)

// sx is a key byte as twemproxy sees it through a signed char widened to 32 bits.
func sx(b byte) uint32 { return uint32(int32(int8(b))) }

func oneAtATime(key []byte) uint32 {
	var h uint32
	for _, b := range key {
		h += sx(b)
		h += h << 10
		h ^= h >> 6
	}
	h += h << 3
	h ^= h >> 11
	h += h << 15
	return h
}

// md5Hash is the little-endian word at the start of the MD5 digest; ketama
// points use the other three words as well.
func md5Hash(key []byte) uint32 {
	d := md5.Sum(key)
	return binary.LittleEndian.Uint32(d[0:4])
}

var crc16Table = func() (t [256]uint16) {
	// CRC-16/XMODEM (polynomial 0x1021, not reflected), as nc_crc16.c tabulates.
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crc16 keeps its register in 32 bits and never masks it to 16, so long keys
// give values above 0xffff; twemproxy returns that wider value.
func crc16(key []byte) uint32 {
	var c uint32
	for _, b := range key {
		c = c<<8 ^ uint32(crc16Table[byte(c>>8)^b])
	}
	return c
}

// crc32Libmemcached is the libmemcached variant: a standard CRC-32 reduced to
// 15 bits of its upper half.
func crc32Libmemcached(key []byte) uint32 {
	return crc32.ChecksumIEEE(key) >> 16 & 0x7fff
}

func crc32a(key []byte) uint32 { return crc32.ChecksumIEEE(key) }

const (
	fnv64Init  = 0xcbf29ce484222325
	fnv64Prime = 0x100000001b3
	fnv32Init  = 2166136261
	fnv32Prime = 16777619
)

// fnv1_64 runs in 64 bits with sign-extended bytes and keeps the low 32 bits.
func fnv1_64(key []byte) uint32 {
	var h uint64 = fnv64Init
	for _, b := range key {
		h *= fnv64Prime
		h ^= uint64(int64(int8(b)))
	}
	return uint32(h)
}

// fnv1a_64 is, in twemproxy, a 32-bit FNV-1a with the 64-bit constants
// truncated to 32 bits.
func fnv1a_64(key []byte) uint32 {
	var h = uint32(fnv64Init & 0xffffffff)
	for _, b := range key {
		h ^= sx(b)
		h *= uint32(fnv64Prime & 0xffffffff)
	}
	return h
}

func fnv1_32(key []byte) uint32 {
	var h uint32 = fnv32Init
	for _, b := range key {
		h *= fnv32Prime
		h ^= sx(b)
	}
	return h
}

func fnv1a_32(key []byte) uint32 {
	var h uint32 = fnv32Init
	for _, b := range key {
		h ^= sx(b)
		h *= fnv32Prime
	}
	return h
}

// hsieh is Paul Hsieh's SuperFastHash; only the third byte of a 3-byte tail
// is read signed.
func hsieh(key []byte) uint32 {
	if len(key) == 0 {
		return 0
	}
	var h uint32
	le16 := func(p []byte) uint32 { return uint32(p[0]) | uint32(p[1])<<8 }
	rem := len(key) & 3
	p := key
	for n := len(key) >> 2; n > 0; n-- {
		h += le16(p)
		t := le16(p[2:])<<11 ^ h
		h = h<<16 ^ t
		p = p[4:]
		h += h >> 11
	}
	switch rem {
	case 3:
		h += le16(p)
		h ^= h << 16
		h ^= sx(p[2]) << 18
		h += h >> 11
	case 2:
		h += le16(p)
		h ^= h << 11
		h += h >> 17
	case 1:
		h += uint32(p[0])
		h ^= h << 10
		h += h >> 1
	}
	h ^= h << 3
	h += h >> 5
	h ^= h << 4
	h += h >> 17
	h ^= h << 25
	h += h >> 6
	return h
}

// murmur is MurmurHash2 seeded with 0xdeadbeef times the (32-bit) length.
func murmur(key []byte) uint32 {
	const m = 0x5bd1e995
	n := uint32(len(key))
	h := (0xdeadbeef * n) ^ n
	p := key
	for len(p) >= 4 {
		k := binary.LittleEndian.Uint32(p)
		k *= m
		k ^= k >> 24
		k *= m
		h *= m
		h ^= k
		p = p[4:]
	}
	switch len(p) {
	case 3:
		h ^= uint32(p[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(p[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(p[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

// jenkins is Bob Jenkins' lookup3 hashlittle with initval 13. The C code
// picks a word, half-word or byte reader by the key's alignment; all three
// give the same value on little-endian machines, so one byte reader suffices.
func jenkins(key []byte) uint32 {
	a := 0xdeadbeef + uint32(len(key)) + 13
	b, c := a, a
	rot := bits.RotateLeft32
	p := key
	for len(p) > 12 {
		a += binary.LittleEndian.Uint32(p)
		b += binary.LittleEndian.Uint32(p[4:])
		c += binary.LittleEndian.Uint32(p[8:])
		a -= c
		a ^= rot(c, 4)
		c += b
		b -= a
		b ^= rot(a, 6)
		a += c
		c -= b
		c ^= rot(b, 8)
		b += a
		a -= c
		a ^= rot(c, 16)
		c += b
		b -= a
		b ^= rot(a, 19)
		a += c
		c -= b
		c ^= rot(b, 4)
		b += a
		p = p[12:]
	}
	if len(p) == 0 {
		return c
	}
	// Pad the last block with zeros: the same as the C masking and fall-through.
	var tail [12]byte
	copy(tail[:], p)
	a += binary.LittleEndian.Uint32(tail[0:])
	b += binary.LittleEndian.Uint32(tail[4:])
	c += binary.LittleEndian.Uint32(tail[8:])
	c ^= b
	c -= rot(b, 14)
	a ^= c
	a -= rot(c, 11)
	b ^= a
	b -= rot(a, 25)
	c ^= b
	c -= rot(b, 16)
	a ^= c
	a -= rot(c, 4)
	b ^= a
	b -= rot(a, 14)
	c ^= b
	c -= rot(b, 24)
	return c
}

func md5Sum(b []byte) [16]byte { return md5.Sum(b) }
