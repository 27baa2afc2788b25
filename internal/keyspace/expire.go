// expire.go is the active expiry cycle: Redis's adaptive sampling of keys
// with a TTL, run from the server cron hz times per second, so memory held by
// expired keys is reclaimed even when no client touches them. Each database
// is sampled in rounds of keysPerLoop keys; while more than acceptableStale
// percent of a round had expired it samples again, within a time budget of
// 25% of a cron period.
package keyspace

import "time"

const (
	keysPerLoop     = 20
	acceptableStale = 10 // percent
	cycleCPUPercent = 25
	dbsPerCall      = 16
)

// ActiveExpireCycle reclaims expired keys for at most 25% of one cron
// period of a server running at hz. Does nothing on a replica.
func (ks *Keyspace) ActiveExpireCycle(hz int, effort int) {
	if ks.IsReplica || len(ks.DBs) == 0 {
		return
	}
	if hz <= 0 {
		hz = 10
	}
	if effort < 1 {
		effort = 1
	}
	perLoop := keysPerLoop + keysPerLoop/4*(effort-1)
	stale := acceptableStale - (effort - 1)
	start := time.Now()
	limit := time.Duration(cycleCPUPercent) * time.Second / time.Duration(hz) / 100
	totalSampled, totalExpired := 0, 0
	timedOut := false
	dbs := dbsPerCall
	if dbs > len(ks.DBs) {
		dbs = len(ks.DBs)
	}
	var sample []*Entry
	for j := 0; j < dbs && !timedOut; j++ {
		db := ks.DBs[ks.activeExpireDB%len(ks.DBs)]
		ks.activeExpireDB++
		for iteration := 0; ; iteration++ {
			if db.expires.Len() == 0 {
				db.AvgTTL = 0
				break
			}
			now := ks.Now()
			sampled, expired := 0, 0
			var ttlSum int64
			ttlSamples := 0
			// walk buckets from the saved cursor, as Redis 7 does, so every
			// volatile key is eventually visited
			maxBuckets := perLoop * 20
			for buckets := 0; sampled < perLoop && buckets < maxBuckets; buckets++ {
				sample = sample[:0]
				db.expiresCursor = db.expires.Scan(db.expiresCursor, func(e *Entry) {
					sample = append(sample, e)
				})
				for _, x := range sample {
					sampled++
					if at := int64(x.Value.(expireAt)); now > at {
						db.deleteExpired(x.Key)
						expired++
					} else {
						ttlSum += int64(x.Value.(expireAt)) - now
						ttlSamples++
					}
				}
				if db.expiresCursor == 0 {
					break
				}
			}
			totalSampled += sampled
			totalExpired += expired
			if ttlSamples > 0 {
				avg := ttlSum / int64(ttlSamples)
				if db.AvgTTL == 0 {
					db.AvgTTL = avg
				} else {
					db.AvgTTL = (db.AvgTTL/50)*49 + avg/50
				}
			}
			if iteration%16 == 0 && time.Since(start) > limit {
				timedOut = true
				ks.ExpiredTimeCapReached++
				break
			}
			if sampled == 0 || expired*100/sampled <= stale {
				break
			}
		}
	}
	ks.ExpireCycleCPUMillis += time.Since(start).Milliseconds()
	current := 0.0
	if totalSampled > 0 {
		current = float64(totalExpired) / float64(totalSampled)
	}
	ks.ExpiredStalePerc = current*0.05 + ks.ExpiredStalePerc*0.95
}
