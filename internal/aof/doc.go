// Package aof owns the Redis 7.0 append-only file formats, with no I/O of
// its own:
//
//   - the multi-part AOF manifest (manifest.go): ParseManifest accepts and
//     rejects exactly what aofLoadManifestFromFile does, with its error
//     texts; Encode writes the bytes getAofManifestAsString writes; NewBase,
//     NewIncr and MarkRewrittenIncrsAsHistory are the manifest edits a
//     rewrite and an incr-file switch make, and the *Name functions give
//     Redis's file names;
//   - the command stream of incr files, AOF tails and Redis 6 single-file
//     AOFs (reader.go, command.go): Reader splits it into commands with the
//     loader's rules (loadSingleAppendOnlyFile), skipping '#' annotations,
//     and reports a truncated or malformed tail with the offset of the
//     valid prefix; AppendCommand and AppendTimestamp write it;
//   - rewriting a value as commands (rewrite.go): AppendValueCommands emits
//     what rewriteAppendOnlyFileRio emits for a key, AppendFunctionLoad what
//     rewriteFunctions emits for a library.
//
// Callers own files, fsync policy, MULTI/EXEC reverting and command
// execution; this package only produces and checks bytes. Readers return
// sub-slices of the data they were given: callers that keep arguments past
// the data's lifetime must copy them.
package aof
