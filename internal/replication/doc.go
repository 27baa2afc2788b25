// Package replication holds the master-side bookkeeping of Redis 7 replication as
// pure values, with no networking: the replication backlog (a ring of the
// newest repl-backlog-size bytes of the replication stream), the replication
// ID pair (replid, replid2 and second_repl_offset) and the PSYNC decision of
// Redis's masterTryPartialResynchronization.
//
// Invariants: a Backlog's master_repl_offset only grows, by exactly the
// number of bytes appended; histlen never exceeds the backlog size; the first
// byte offset is always master_repl_offset - histlen + 1, as Redis 7.0
// reports it in INFO.
//
// Callers must serialise access (the executor owns these values, as Redis's
// main thread does), feed every byte of the replication stream to
// Backlog.Append in order, and call IDs.Shift on promotion and IDs.ClearID2 /
// IDs.Change when a new history starts (for example after a full sync).
package replication
