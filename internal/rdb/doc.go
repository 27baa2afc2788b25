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
// object.go (with object_list.go and object_stream.go) is the value codec
// on top: TypeOf/AppendValue save each redoubt value in the encoding Redis
// 7.0 writes for it (quicklist2 lists split by list-max-listpack-size and
// list-compress-depth, listpack hashes and zsets, intsets at the set's
// width, streams as Redis's rax of listpack nodes with consumer groups),
// and ReadValue loads every value encoding Redis 7.0 loads, shaping the
// result by the loading server's limits as rdbLoadObject does.
//
// Everything here is byte-compatible with Redis 7.0: encoding a value the way
// Redis does yields the bytes Redis writes, and bytes Redis writes decode
// here. Whole-file RDB save/load and per-type value serialization live on top
// of these primitives.
//
// Decoding functions never panic on corrupt input; they return errors that
// carry the byte offset where decoding failed.
package rdb
