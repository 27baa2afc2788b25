// Package proxy is redoubt's twemproxy (nutcracker 0.5.0) replacement for
// Redis: pools of sharded backends behind one listener each, requests
// routed by key (hashkit), multi-key commands split and their replies
// merged, backend connections shared and pipelined by all clients.
//
// Run is the role's entry point (cmd/redoubt "proxy", link "nutcracker").
// Embedders use New(pools), Start, Close, Reload(pools), Stats and
// SetServerAddr(pool, server, addr), which re-points one shard (named by its
// server name, or its configured "host:port" when unnamed; a Sentinel
// master by its name) without changing where keys are placed.
//
// Behaviour follows nutcracker's, checked by differential tests against the
// real binary: requests it cannot parse (unknown commands, wrong arity,
// inline commands, SELECT, EVAL with numkeys 0...) close the client without
// the replies still owed; forward errors are "-ERR " plus strerror text;
// PING, QUIT and AUTH (redis_auth) are answered locally.
package proxy
