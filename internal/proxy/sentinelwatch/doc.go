// Package sentinelwatch keeps the shards of a Sentinel-aware proxy pool
// pointed at their current masters. Each shard is named after the master a
// group of sentinels monitors; the Watcher subscribes to +switch-master on
// every sentinel and, when one announces a failover of a shard's master,
// asks that sentinel for the master's address and re-points the shard(s)
// of that name through the Repointer, without touching any other shard.
//
// Which answer wins: every answer carries the master's config-epoch (from
// SENTINEL MASTER, fetched in the same round trip as
// get-master-addr-by-name), and an answer older than the one applied is
// ignored. On +switch-master the announcing sentinel alone is asked: it
// publishes the event only once it has adopted the new configuration, so
// its answer is current, and waiting for a quorum would cost the up to 2 s
// the other sentinels take to hear of it (the newer epoch already proves
// that a majority elected the failover leader). The safety net (on every
// (re)connection to a sentinel, and every few seconds, since an event can
// be missed while disconnected) asks all sentinels and takes the answer
// with the highest config-epoch, so a sentinel that has not yet heard of a
// failover cannot point a shard back at the dead master.
//
// Replicas (WantReplicas; Follow asks for them for pools with
// read_from_replicas): the same round trip also sends SENTINEL REPLICAS,
// and a replica is usable when its flags hold none of s_down, o_down and
// disconnected and its master-link-status is ok. Of the sentinels whose
// master answer won, the list most of them gave is taken (on a tie the
// shorter, so a replica one of them sees down is left out), and handed to
// the Repointer when it changed, if it implements ReplicaSetter: on
// Resolve, on every re-resolution and after a +switch-master (the old
// replicas now follow the new master). The subscription then also takes
// +sdown, -sdown, +slave and +slave-reconf-done, and such an event about a
// replica of one of our masters triggers a re-resolution at once, so that
// a dead replica leaves the list about when the sentinels see it down.
//
// A known limit of the epoch rule: a master that is removed from the
// sentinels and monitored again starts over at config-epoch 0, which the
// Watcher takes as older than what it knows; reloading the proxy (a new
// Follow) starts from scratch.
//
// The proxy calls Follow (follow.go) with its parsed pools. Direct users:
// call Resolve first and start the pool's servers at the
// addresses it returns (Resolve records them as applied), then Start;
// Stop before closing the Repointer. SetServerAddr is called from the
// watcher's goroutines, one call at a time; it should only re-point the
// named server and return quickly. A failed call is retried by the next
// re-resolution. Sentinels that require a password get AUTH [user] pass
// on every connection (SetAuth; Follow takes them from the pool's
// sentinel_username and sentinel_password).
package sentinelwatch
