package rdb

// Version is the RDB format version Redis 7.0 writes (RDB_VERSION).
const Version = 10

// Opcodes that precede special records in an RDB file (rdb.h RDB_OPCODE_*).
const (
	OpFunction2    = 245 // function library (Redis 7.0 GA)
	OpFunction     = 246 // old function format of 7.0 rc1/rc2, rejected by 7.0 GA
	OpModuleAux    = 247
	OpIdle         = 248 // LRU idle time
	OpFreq         = 249 // LFU frequency
	OpAux          = 250
	OpResizeDB     = 251
	OpExpireTimeMS = 252
	OpExpireTime   = 253 // seconds, old format
	OpSelectDB     = 254
	OpEOF          = 255
)

// Value types (rdb.h RDB_TYPE_*). 8 was RDB_TYPE_MODULE's old pre-GA number
// and is unused.
const (
	TypeString           = 0
	TypeList             = 1
	TypeSet              = 2
	TypeZSet             = 3
	TypeHash             = 4
	TypeZSet2            = 5 // zset with binary doubles
	TypeModule           = 6
	TypeModule2          = 7
	TypeHashZipmap       = 9
	TypeListZiplist      = 10
	TypeSetIntset        = 11
	TypeZSetZiplist      = 12
	TypeHashZiplist      = 13
	TypeListQuicklist    = 14
	TypeStreamListpacks  = 15
	TypeHashListpack     = 16
	TypeZSetListpack     = 17
	TypeListQuicklist2   = 18
	TypeStreamListpacks2 = 19
)

// IsObjectType reports whether t is a value type Redis 7.0 can load
// (rdbIsObjectType).
func IsObjectType(t byte) bool {
	return t <= 7 || (t >= 9 && t <= 19)
}

// Length encodings: the two top bits of the first length byte.
const (
	len6Bit  = 0
	len14Bit = 1
	lenEnc   = 3    // special encoding follows in the low 6 bits
	len32Bit = 0x80 // whole first byte
	len64Bit = 0x81 // whole first byte
)

// Special string encodings carried in the low 6 bits when the top bits are
// lenEnc (RDB_ENC_*).
const (
	EncInt8  = 0
	EncInt16 = 1
	EncInt32 = 2
	EncLZF   = 3
)

// Opcodes inside a module value saved with TypeModule2 (RDB_MODULE_OPCODE_*).
const (
	ModuleOpEOF    = 0
	ModuleOpSInt   = 1
	ModuleOpUInt   = 2
	ModuleOpFloat  = 3
	ModuleOpDouble = 4
	ModuleOpString = 5
)
