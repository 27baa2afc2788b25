// Package rdb owns the low-level pieces of the Redis 7 RDB format that the
// rest of redoubt builds on: the constants (RDB version, opcodes, value
// types), Redis's CRC64, liblzf-compatible LZF compression, the length and
// string encodings of rdbSaveLen/rdbSaveRawString, a bounds-checked Reader
// for decoding them, and the DUMP/RESTORE payload footer (RDB version +
// CRC64) of cluster.c's createDumpPayload/verifyDumpPayload.
//
// It also owns the compact in-value byte formats RDB values are made of:
// listpacks (ListpackWriter, WalkListpack), intsets (AppendIntset,
// IntsetValues), ziplists of Redis <= 6.2 (ZiplistWriter, WalkZiplist),
// zipmaps of Redis <= 2.4 (ZipmapPairs) and the node sequences of quicklist
// lists (QuicklistNodes, AppendQuicklist2, Reader.ReadQuicklist2 and
// ReadQuicklist). These know nothing of redoubt's data types: they deal in
// byte strings and integers (Entry).
//
// Everything here is byte-compatible with Redis 7.0: encoding a value the way
// Redis does yields the bytes Redis writes, and bytes Redis writes decode
// here. Whole-file RDB save/load and per-type value serialization live on top
// of these primitives.
//
// Decoding functions never panic on corrupt input; they return errors that
// carry the byte offset where decoding failed.
package rdb
