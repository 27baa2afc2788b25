// Package sentinel holds end-to-end tests of Sentinel: groups of three
// sentinels watching a master and its replicas, failovers after kill -9 or
// kill -QUIT, clients (go-redis, redis-py) that follow them, and no
// failover under load. The sentinels' kind comes from
// REDOUBT_SENTINEL_KINDS (default "redis": the real redis-sentinel; add
// "redoubt" for "redoubt sentinel"), the data nodes are real redis-server
// unless REDOUBT_SENTINEL_DATA_KINDS says otherwise (mixed-group test).
// Every test is written against the real binaries first, so that a
// redoubt sentinel passing them behaves as Redis 7's does.
package sentinel
