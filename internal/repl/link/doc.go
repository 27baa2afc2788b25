// Package link is the replica side of the Redis 7 replication protocol, as a
// client over one net.Conn: the handshake (PING, AUTH, REPLCONF, PSYNC), the
// full-sync RDB payload (disk-based "$<len>" or diskless "$EOF:<mark>"), the
// command stream that follows, and REPLCONF ACK.
//
// It owns no sockets, timers or files: the caller dials, sets deadlines,
// decides when to retry and where the payload goes. Errors carry the texts
// Redis's replica logs, so a caller can log err.Error() as is.
//
// Invariants: every byte after the handshake is read through the Link's one
// buffered reader, so the payload and the stream are never split between two
// buffers; ReadCommand reports exactly the bytes each command took, which is
// what the replica's offset must advance by (PINGs and SELECTs included).
package link
