package aof

// command.go writes the command stream: commands as RESP multibulks, as
// catAppendOnlyGenericCommand and the rio bulk writers do, and the
// timestamp annotation of aof-timestamp-enabled.

import (
	"math"
	"strconv"
)

// AppendBulk appends "$len\r\nb\r\n".
func AppendBulk(dst, b []byte) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// AppendBulkString is AppendBulk of a string.
func AppendBulkString(dst []byte, s string) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendBulkInt appends n as a bulk of its decimal text
// (rioWriteBulkLongLong).
func AppendBulkInt(dst []byte, n int64) []byte {
	var buf [20]byte
	return AppendBulk(dst, strconv.AppendInt(buf[:0], n, 10))
}

// AppendBulkDouble appends d as a bulk of its %.17g text
// (rioWriteBulkDouble): "inf" and "-inf" for infinities.
func AppendBulkDouble(dst []byte, d float64) []byte {
	var buf [32]byte
	var b []byte
	switch {
	case math.IsInf(d, 1):
		b = append(buf[:0], "inf"...)
	case math.IsInf(d, -1):
		b = append(buf[:0], "-inf"...)
	case math.IsNaN(d):
		b = append(buf[:0], "nan"...)
	default:
		b = strconv.AppendFloat(buf[:0], d, 'g', 17, 64)
	}
	return AppendBulk(dst, b)
}

// AppendArrayLen appends the "*n\r\n" that starts a command of n arguments.
func AppendArrayLen(dst []byte, n int) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}

// AppendCommand appends argv as one command.
func AppendCommand(dst []byte, argv ...[]byte) []byte {
	dst = AppendArrayLen(dst, len(argv))
	for _, a := range argv {
		dst = AppendBulk(dst, a)
	}
	return dst
}

// AppendSelect appends "SELECT db", which precedes a database's commands.
func AppendSelect(dst []byte, db int) []byte {
	dst = append(dst, "*2\r\n$6\r\nSELECT\r\n"...)
	return AppendBulkInt(dst, int64(db))
}

// AppendTimestamp appends the "#TS:<unix seconds>" annotation written
// before the first command of each second when aof-timestamp-enabled is on
// (and at the start of a rewrite).
func AppendTimestamp(dst []byte, unixSec int64) []byte {
	dst = append(dst, "#TS:"...)
	dst = strconv.AppendInt(dst, unixSec, 10)
	return append(dst, '\r', '\n')
}
