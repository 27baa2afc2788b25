// Package proxyconf reads nutcracker.yml, twemproxy's configuration file, for
// the proxy role ("redoubt proxy -c nutcracker.yml", or a link named
// nutcracker). It accepts what nutcracker 0.5.0 accepts and refuses what it
// refuses, with the same messages (the text nutcracker writes to its log,
// e.g. `conf: directive "foo" is unknown`), because users move working files
// over unchanged and rely on "nutcracker -t" to check them.
//
// Pools and servers come back in the order nutcracker uses once it has
// validated a file: pools sorted by name, servers sorted by their hashing
// name, where a shorter name sorts first (twemproxy's string_compare). The
// order matters: "modula" distribution indexes servers in that order, and the
// stats port lists pools and servers in it.
//
// # Sentinel-aware pools (redoubt's extension)
//
// twemproxy cannot follow a Redis failover: its servers are fixed addresses.
// A few pool keys, which nutcracker itself rejects as unknown directives,
// make a pool follow Redis Sentinel:
//
//	sentinels:            # "host:port" of the Sentinels to ask
//	 - 10.0.0.1:26379
//	 - 10.0.0.2:26379
//	sentinel_masters:     # shards by "name:weight", no address
//	 - shard3:1
//	read_from_replicas: false
//	sentinel_username: proxy  # optional: AUTH to the sentinels (their
//	sentinel_password: secret # requirepass, or an ACL user's password)
//
// When sentinels is set, every entry of servers must carry a name
// ("10.0.0.5:6379:1 shard1"), and that name is the Sentinel master name of
// the shard: the address written is only the initial one, replaced by what
// Sentinel answers for the name (and again after each failover).
// sentinel_masters lists further shards by name alone; their address is
// unknown until Sentinel answers. Placement hashes the names (twemproxy
// already hashes a server's name when it has one), so a shard keeps its keys
// when its master moves. read_from_replicas: true sends read-only commands
// (those Redis flags readonly, MGET fragments included; never EVAL or
// EVALSHA) to a replica of the shard that the sentinels list as up and
// linked to its master, the same replica for all reads of one client
// connection (so they stay in order), and to the master when there is none
// or the replica's connection fails (for server_retry_timeout, without
// counting toward auto-eject). Writes always go to the master. Replication
// is asynchronous: a read from a replica may not yet see a write just
// acknowledged, as with Redis replicas themselves. sentinel_masters,
// read_from_replicas and sentinel_password need sentinels, and
// sentinel_username needs sentinel_password. A file using these keys passes "redoubt proxy -t" but not
// nutcracker's -t.
package proxyconf
