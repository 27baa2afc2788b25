// cmd_geo.go holds the GEO commands: a geo set is a sorted set whose
// scores are 52-bit interleaved geohashes (geohash.go). GEOADD is ZADD
// with computed scores (and propagates as that ZADD, as Redis does); the
// searches scan the nine geohash boxes around the centre, with Redis
// 7.0's argument rules, error texts and reply shapes.
package server

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/redoubt/redoubt/internal/geo"
	"github.com/redoubt/redoubt/internal/keyspace"
	"github.com/redoubt/redoubt/internal/types"
)

func init() {
	register("geoadd", cmdGeoadd)
	register("geopos", cmdGeopos)
	register("geodist", cmdGeodist)
	register("geohash", cmdGeohash)
	register("georadius", func(c *Client, args [][]byte) { c.geoSearch(args, 1, geoByCoords) })
	register("georadius_ro", func(c *Client, args [][]byte) { c.geoSearch(args, 1, geoByCoords|geoNoStore) })
	register("georadiusbymember", func(c *Client, args [][]byte) { c.geoSearch(args, 1, geoByMember) })
	register("georadiusbymember_ro", func(c *Client, args [][]byte) { c.geoSearch(args, 1, geoByMember|geoNoStore) })
	register("geosearch", func(c *Client, args [][]byte) { c.geoSearch(args, 1, geoSearchCmd) })
	register("geosearchstore", func(c *Client, args [][]byte) { c.geoSearch(args, 2, geoSearchCmd|geoSearchStoreCmd) })
}

const (
	geoByCoords = 1 << iota
	geoByMember
	geoNoStore
	geoSearchCmd
	geoSearchStoreCmd
)

const errGeoUnit = "ERR unsupported unit provided. please use M, KM, FT, MI"

var argZaddLower = []byte("zadd")

// geoFmtF formats as C's "%f".
func geoFmtF(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// geoLonLatArg parses a longitude and a latitude, replying on error.
func (c *Client) geoLonLatArg(lonArg, latArg []byte) (lon, lat float64, ok bool) {
	if lon, ok = parseScore(lonArg); !ok {
		c.addError(errNotFloat)
		return 0, 0, false
	}
	if lat, ok = parseScore(latArg); !ok {
		c.addError(errNotFloat)
		return 0, 0, false
	}
	if lon < geo.LongMin || lon > geo.LongMax || lat < geo.LatMin || lat > geo.LatMax {
		c.addError("ERR invalid longitude,latitude pair " + geoFmtF(lon) + "," + geoFmtF(lat))
		return 0, 0, false
	}
	return lon, lat, true
}

// geoUnitArg returns the size in meters of the unit, or replies and
// returns a negative number.
func (c *Client) geoUnitArg(u []byte) float64 {
	switch {
	case isOpt(u, "m"):
		return 1
	case isOpt(u, "km"):
		return 1000
	case isOpt(u, "ft"):
		return 0.3048
	case isOpt(u, "mi"):
		return 1609.34
	}
	c.addError(errGeoUnit)
	return -1
}

// geoNumArg parses a size argument, replying "ERR need numeric <what>".
func (c *Client) geoNumArg(b []byte, what string) (float64, bool) {
	f, ok := parseScore(b)
	if !ok {
		c.addError("ERR need numeric " + what)
	}
	return f, ok
}

// appendGeoDistance formats a distance as Redis's fixedpoint_d2string
// with 4 digits: llrint of the value times 10000.
func appendGeoDistance(dst []byte, d float64) []byte {
	if d == 0 {
		return append(dst, "0.0000"...)
	}
	v := math.RoundToEven(d * 10000)
	neg := v < 0
	if neg {
		dst = append(dst, '-')
		v = -v
	}
	u := uint64(v)
	dst = strconv.AppendUint(dst, u/10000, 10)
	frac := u % 10000
	return append(dst, '.', byte('0'+frac/1000), byte('0'+frac/100%10), byte('0'+frac/10%10), byte('0'+frac%10))
}

// appendGeoCoord formats a coordinate as Redis's human long double:
// "%.17Lf" with the trailing zeros removed.
func appendGeoCoord(dst []byte, f float64) []byte {
	return types.TrimHuman(strconv.AppendFloat(dst, f, 'f', 17, 64), len(dst))
}

// geoCoord writes a coordinate: a bulk string in RESP2, a double in RESP3.
func (c *Client) geoCoord(f float64) {
	var tmp [48]byte
	b := appendGeoCoord(tmp[:0], f)
	if c.w.Proto == 3 {
		c.w.Raw([]byte{','})
		c.w.Raw(b)
		c.w.Raw([]byte{'\r', '\n'})
		return
	}
	c.w.Bulk(b)
}

func (c *Client) geoDistanceReply(d float64) {
	var tmp [48]byte
	c.w.Bulk(appendGeoDistance(tmp[:0], d))
}

// cmdGeoadd: GEOADD key [NX|XX] [CH] lon lat member ...
func cmdGeoadd(c *Client, args [][]byte) {
	xx, nx := false, false
	lonIdx := 2
options:
	for ; lonIdx < len(args); lonIdx++ {
		switch opt := args[lonIdx]; {
		case isOpt(opt, "nx"):
			nx = true
		case isOpt(opt, "xx"):
			xx = true
		case isOpt(opt, "ch"):
		default:
			break options
		}
	}
	if (len(args)-lonIdx)%3 != 0 || xx && nx {
		c.addError(errSyntax)
		return
	}
	elements := (len(args) - lonIdx) / 3
	argv := make([][]byte, 0, lonIdx+2*elements)
	argv = append(argv, argZaddLower)
	argv = append(argv, args[1:lonIdx]...)
	for i := range elements {
		a := args[lonIdx+3*i:]
		lon, lat, ok := c.geoLonLatArg(a[0], a[1])
		if !ok {
			return
		}
		h, _ := geo.EncodeWGS84(lon, lat, geo.StepMax)
		argv = append(argv, strconv.AppendUint(nil, h.Align52(), 10), a[2])
	}
	c.rewritePropagation(argv...)
	c.zadd(argv, 0)
}

// memberCoords decodes member m's position; false when z (nil: no key)
// lacks it or its score is no valid geohash.
func memberCoords(z *types.ZSet, m []byte) (lon, lat float64, ok bool) {
	if z == nil {
		return 0, 0, false
	}
	score, found := z.Score(m)
	if !found {
		return 0, 0, false
	}
	return geo.DecodeScore(score)
}

// cmdGeopos: GEOPOS key member...
func cmdGeopos(c *Client, args [][]byte) {
	z, ok := c.zsetRead(args[1])
	if !ok {
		return
	}
	c.w.ArrayLen(len(args) - 2)
	for _, m := range args[2:] {
		lon, lat, ok := memberCoords(z, m)
		if !ok {
			c.w.NullArray()
			continue
		}
		c.w.ArrayLen(2)
		c.geoCoord(lon)
		c.geoCoord(lat)
	}
}

// cmdGeodist: GEODIST key member1 member2 [unit]
func cmdGeodist(c *Client, args [][]byte) {
	toMeters := 1.0
	if len(args) == 5 {
		if toMeters = c.geoUnitArg(args[4]); toMeters < 0 {
			return
		}
	} else if len(args) > 5 {
		c.addError(errSyntax)
		return
	}
	z, ok := c.zsetRead(args[1])
	if !ok {
		return
	}
	lon1, lat1, ok1 := memberCoords(z, args[2])
	lon2, lat2, ok2 := memberCoords(z, args[3])
	if !ok1 || !ok2 {
		c.w.Null()
		return
	}
	c.geoDistanceReply(geo.Distance(lon1, lat1, lon2, lat2) / toMeters)
}

const geoAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// cmdGeohash: GEOHASH key member...
func cmdGeohash(c *Client, args [][]byte) {
	z, ok := c.zsetRead(args[1])
	if !ok {
		return
	}
	c.w.ArrayLen(len(args) - 2)
	for _, m := range args[2:] {
		lon, lat, ok := memberCoords(z, m)
		if !ok {
			c.w.Null()
			continue
		}
		h, _ := geo.Encode(geo.Range{Min: -180, Max: 180}, geo.Range{Min: -90, Max: 90}, lon, lat, 26)
		var buf [11]byte
		for i := range 10 {
			buf[i] = geoAlphabet[(h.Bits>>(52-(uint(i)+1)*5))&0x1f]
		}
		buf[10] = geoAlphabet[0]
		c.w.Bulk(buf[:])
	}
}

type geoPoint struct {
	lon, lat float64
	dist     float64
	score    float64
	member   string
}

// geoPointsInRange appends the members with scores in [lo, hi) that are
// inside the shape, stopping once limit points are collected (0: no limit).
func geoPointsInRange(z *types.ZSet, lo, hi float64, s *geo.Shape, pts []geoPoint, limit int) []geoPoint {
	r := types.ScoreRange{Min: lo, Max: hi, MaxEx: true}
	for n := z.FirstInRange(&r); n != nil; n = n.Next() {
		if !(n.Score < hi) {
			break
		}
		if lon, lat, ok := geo.DecodeScore(n.Score); ok {
			if d, in := s.Within(lon, lat); in {
				pts = append(pts, geoPoint{lon: lon, lat: lat, dist: d, score: n.Score, member: n.Member})
			}
		}
		if len(pts) > 0 && limit > 0 && len(pts) >= limit {
			break
		}
	}
	return pts
}

// geoMembersAround scans the boxes of the shape's neighbourhood.
func geoMembersAround(z *types.ZSet, s *geo.Shape, limit int, pts []geoPoint) []geoPoint {
	boxes := s.Areas()
	last := 0
	for i, b := range boxes {
		if b.IsZero() {
			continue
		}
		if last != 0 && b == boxes[last] {
			continue
		}
		if len(pts) > 0 && limit > 0 && len(pts) >= limit {
			break
		}
		lo := geo.Hash{Bits: b.Bits, Step: b.Step}.Align52()
		hi := geo.Hash{Bits: b.Bits + 1, Step: b.Step}.Align52()
		pts = geoPointsInRange(z, float64(lo), float64(hi), s, pts, limit)
		last = i
	}
	return pts
}

const (
	geoSortNone = iota
	geoSortAsc
	geoSortDesc
)

// geoSearch is GEORADIUS[_RO], GEORADIUSBYMEMBER[_RO], GEOSEARCH and
// GEOSEARCHSTORE (src is the source key's index).
func (c *Client) geoSearch(args [][]byte, src int, flags int) {
	var storeKey []byte
	storeDist := false
	e := c.db.Lookup(args[src])
	z, ok := c.zsetOf(e)
	if !ok {
		return
	}
	var shape geo.Shape
	var base int
	switch {
	case flags&geoByCoords != 0:
		base = 6
		var ok bool
		if shape.Lon, shape.Lat, ok = c.geoLonLatArg(args[2], args[3]); !ok {
			return
		}
		if !c.geoRadiusArgs(args[4:6], &shape) {
			return
		}
	case flags&geoByMember != 0 && z == nil:
		base = 5
	case flags&geoByMember != 0:
		base = 5
		if !c.geoMemberCentre(z, args[2], &shape) {
			return
		}
		if !c.geoRadiusArgs(args[3:5], &shape) {
			return
		}
	default:
		base = 2
		if flags&geoSearchStoreCmd != 0 {
			base = 3
			storeKey = args[1]
		}
	}
	withDist, withHash, withCoord := false, false, false
	fromMember, fromLoc, byRadius, byBox := false, false, false, false
	sortOrder := geoSortNone
	anyOpt := false
	var count int64
	isSearch := flags&geoSearchCmd != 0
	storeOK := flags&geoNoStore == 0 && !isSearch
	remaining := len(args) - base
	for i := 0; i < remaining; i++ {
		arg := args[base+i]
		rest := args[base+i+1:]
		switch {
		case isOpt(arg, "withdist"):
			withDist = true
		case isOpt(arg, "withhash"):
			withHash = true
		case isOpt(arg, "withcoord"):
			withCoord = true
		case isOpt(arg, "any"):
			anyOpt = true
		case isOpt(arg, "asc"):
			sortOrder = geoSortAsc
		case isOpt(arg, "desc"):
			sortOrder = geoSortDesc
		case isOpt(arg, "count") && len(rest) >= 1:
			var ok bool
			if count, ok = c.intArg(rest[0]); !ok {
				return
			}
			if count <= 0 {
				c.addError("ERR COUNT must be > 0")
				return
			}
			i++
		case isOpt(arg, "store") && len(rest) >= 1 && storeOK:
			storeKey, storeDist = rest[0], false
			i++
		case isOpt(arg, "storedist") && len(rest) >= 1 && storeOK:
			storeKey, storeDist = rest[0], true
			i++
		case isOpt(arg, "storedist") && isSearch && flags&geoSearchStoreCmd != 0:
			storeDist = true
		case isOpt(arg, "frommember") && len(rest) >= 1 && isSearch && !fromLoc:
			if z != nil && !c.geoMemberCentre(z, rest[0], &shape) {
				return
			}
			fromMember = true
			i++
		case isOpt(arg, "fromlonlat") && len(rest) >= 2 && isSearch && !fromMember:
			var ok bool
			if shape.Lon, shape.Lat, ok = c.geoLonLatArg(rest[0], rest[1]); !ok {
				return
			}
			fromLoc = true
			i += 2
		case isOpt(arg, "byradius") && len(rest) >= 2 && isSearch && !byBox:
			if !c.geoRadiusArgs(rest[:2], &shape) {
				return
			}
			byRadius = true
			i += 2
		case isOpt(arg, "bybox") && len(rest) >= 3 && isSearch && !byRadius:
			w, ok := c.geoNumArg(rest[0], "width")
			if !ok {
				return
			}
			h, ok := c.geoNumArg(rest[1], "height")
			if !ok {
				return
			}
			if h < 0 || w < 0 {
				c.addError("ERR height or width cannot be negative")
				return
			}
			conv := c.geoUnitArg(rest[2])
			if conv < 0 {
				return
			}
			shape.Box, shape.Width, shape.Height, shape.Conversion = true, w, h, conv
			byBox = true
			i += 3
		default:
			c.addError(errSyntax)
			return
		}
	}
	if storeKey != nil && (withDist || withHash || withCoord) {
		what := "STORE option in GEORADIUS"
		if flags&geoSearchStoreCmd != 0 {
			what = "GEOSEARCHSTORE"
		}
		c.addError("ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		return
	}
	if isSearch && !(fromMember || fromLoc) {
		c.addError(fmt.Sprintf("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s", args[0]))
		return
	}
	if isSearch && !(byRadius || byBox) {
		c.addError(fmt.Sprintf("ERR exactly one of BYRADIUS and BYBOX can be specified for %s", args[0]))
		return
	}
	if anyOpt && count == 0 {
		c.addError("ERR the ANY argument requires COUNT argument")
		return
	}
	if z == nil {
		if storeKey != nil {
			if c.db.Delete(storeKey) {
				c.db.SignalModified(storeKey)
				c.db.Notify(keyspace.ClassGeneric, "del", storeKey)
				c.srv.markDirty(1)
			}
			c.w.Int(0)
		} else {
			c.w.ArrayLen(0)
		}
		return
	}
	if count != 0 && sortOrder == geoSortNone && !anyOpt {
		sortOrder = geoSortAsc
	}
	limit := 0
	if anyOpt {
		limit = int(count)
	}
	pts := geoMembersAround(z, &shape, limit, c.srv.geoPts[:0])
	defer func(all []geoPoint) {
		clear(all) // no member strings kept alive by the buffer
		if cap(all) <= 1<<16 {
			c.srv.geoPts = all[:0] // a huge result's is not kept
		}
	}(pts)
	if len(pts) == 0 && storeKey == nil {
		c.w.ArrayLen(0)
		return
	}
	returned := len(pts)
	if count != 0 && int64(returned) > count {
		returned = int(count)
	}
	if sortOrder != geoSortNone {
		cmp := func(a, b *geoPoint) int {
			switch {
			case a.dist > b.dist:
				return 1
			case a.dist == b.dist:
				return 0
			}
			return -1
		}
		if sortOrder == geoSortDesc {
			asc := cmp
			cmp = func(a, b *geoPoint) int { return -asc(a, b) }
		}
		if returned == len(pts) {
			// glibc's qsort is a merge sort: stable
			slices.SortStableFunc(pts, func(a, b geoPoint) int { return cmp(&a, &b) })
		} else {
			geo.PartialSort(pts, cmp, 0, returned-1)
		}
	}
	pts = pts[:returned]
	if storeKey == nil {
		opts := 0
		for _, b := range []bool{withDist, withCoord, withHash} {
			if b {
				opts++
			}
		}
		c.w.ArrayLen(len(pts))
		for i := range pts {
			p := &pts[i]
			p.dist /= shape.Conversion
			if opts > 0 {
				c.w.ArrayLen(opts + 1)
			}
			c.w.BulkString(p.member)
			if withDist {
				c.geoDistanceReply(p.dist)
			}
			if withHash {
				c.w.Int(geo.CDoubleToInt64(p.score))
			}
			if withCoord {
				c.w.ArrayLen(2)
				c.geoCoord(p.lon)
				c.geoCoord(p.lat)
			}
		}
		return
	}
	if len(pts) == 0 {
		if c.db.Delete(storeKey) {
			c.db.SignalModified(storeKey)
			c.db.Notify(keyspace.ClassGeneric, "del", storeKey)
			c.srv.markDirty(1)
		}
		c.w.Int(0)
		return
	}
	dst := types.NewZSet(false)
	for i := range pts {
		p := &pts[i]
		p.dist /= shape.Conversion
		score := p.score
		if storeDist {
			score = p.dist
		}
		dst.Insert(p.member, score)
	}
	dst.ShrinkIfFits(c.zsetLimits())
	c.db.Set(storeKey, dst, false)
	c.db.SignalModified(storeKey)
	event := "georadiusstore"
	if isSearch {
		event = "geosearchstore"
	}
	c.db.Notify(keyspace.ClassZSet, event, storeKey)
	c.srv.markDirty(int64(len(pts)))
	c.w.Int(int64(len(pts)))
}

// geoMemberCentre sets the shape's centre to member's position, or
// replies with Redis's error.
func (c *Client) geoMemberCentre(z *types.ZSet, member []byte, s *geo.Shape) bool {
	score, ok := z.Score(member)
	if ok {
		s.Lon, s.Lat, ok = geo.DecodeScore(score)
	}
	if !ok {
		c.addError("ERR could not decode requested zset member")
	}
	return ok
}

// geoRadiusArgs parses "<radius> <unit>" into a circular shape.
func (c *Client) geoRadiusArgs(a [][]byte, s *geo.Shape) bool {
	r, ok := c.geoNumArg(a[0], "radius")
	if !ok {
		return false
	}
	if r < 0 {
		c.addError("ERR radius cannot be negative")
		return false
	}
	conv := c.geoUnitArg(a[1])
	if conv < 0 {
		return false
	}
	s.Box, s.Radius, s.Conversion = false, r, conv
	return true
}
