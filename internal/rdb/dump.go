package rdb

import (
	"encoding/binary"
	"errors"
)

// DumpFooterLen is the size of the DUMP payload footer: 2 bytes RDB version
// and 8 bytes CRC64.
const DumpFooterLen = 10

// Errors VerifyDump returns; RESTORE answers all of them with "ERR DUMP
// payload version or checksum are wrong".
var (
	ErrDumpShort    = errors.New("rdb: DUMP payload too short")
	ErrDumpVersion  = errors.New("rdb: DUMP payload RDB version too new")
	ErrDumpChecksum = errors.New("rdb: DUMP payload checksum mismatch")
)

// AppendDumpFooter finishes a DUMP payload (createDumpPayload): payload
// holds the value type byte and the serialized value; this appends the RDB
// version and the CRC64 of everything before the CRC, both little-endian.
func AppendDumpFooter(payload []byte) []byte {
	return AppendDumpFooterVersion(payload, Version)
}

// AppendDumpFooterVersion is AppendDumpFooter claiming RDB version v.
func AppendDumpFooterVersion(payload []byte, v uint16) []byte {
	payload = binary.LittleEndian.AppendUint16(payload, v)
	return binary.LittleEndian.AppendUint64(payload, CRC64(0, payload))
}

// VerifyDump checks a DUMP payload as Redis 7.0's verifyDumpPayload does
// (with checksum validation on) and returns the part before the footer.
// rdbVersion is set whenever the payload is long enough to carry one, also
// when the version or checksum is rejected.
func VerifyDump(payload []byte) (body []byte, rdbVersion uint16, err error) {
	body, rdbVersion, err = VerifyDumpNoChecksum(payload)
	if err != nil {
		return nil, rdbVersion, err
	}
	n := len(body)
	if CRC64(0, payload[:n+2]) != binary.LittleEndian.Uint64(payload[n+2:]) {
		return nil, rdbVersion, ErrDumpChecksum
	}
	return body, rdbVersion, nil
}

// VerifyDumpNoChecksum is VerifyDump with the checksum not checked, as Redis
// does after DEBUG SET-SKIP-CHECKSUM-VALIDATION 1.
func VerifyDumpNoChecksum(payload []byte) (body []byte, rdbVersion uint16, err error) {
	if len(payload) < DumpFooterLen {
		return nil, 0, ErrDumpShort
	}
	n := len(payload) - DumpFooterLen
	rdbVersion = binary.LittleEndian.Uint16(payload[n:])
	if rdbVersion > Version {
		return nil, rdbVersion, ErrDumpVersion
	}
	return payload[:n:n], rdbVersion, nil
}
