// Package link is the replica side of the Redis 7 replication protocol, as a
// client over one net.Conn: the handshake (PING, AUTH, REPLCONF, PSYNC), the
// full-sync RDB payload (disk-based "$<len>" or diskless "$EOF:<mark>"), the
// command stream that follows, and REPLCONF ACK.
//
// It keeps no timers, retries or files: the caller dials (Dial is a thin
// helper), sets deadlines, decides when to retry and where the payload goes.
// Failures are *Error values whose Kind says what to do next (retry later,
// fall back, give up) and whose text is the lines Redis's replica logs;
// non-critical replies Redis logs and goes past are kept in Link.Warnings.
//
// Invariants: every byte after the handshake is read through the Link's one
// buffered reader, so the payload and the stream are never split between two
// buffers; ReadCommand reports exactly the bytes each command took, which is
// what the replica's offset must advance by (PINGs, SELECTs and GETACKs
// included). Callers must send REPLCONF ACK right after a diskless payload
// (the master starts the stream on it) and then every second.
package link
