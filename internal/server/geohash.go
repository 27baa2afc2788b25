// geohash.go is the arithmetic behind the GEO commands, following Redis
// 7.0's geohash.c and geohash_helper.c step by step (same ranges, same
// order of floating point operations) so that scores, decoded
// coordinates, distances and the set of searched boxes are bit-identical
// to a real server's.
package server

import "math"

const (
	geoStepMax = 26 // 52 bits of interleaved hash
	geoLatMax  = 85.05112878
	geoLongMax = 180.0

	earthRadiusMeters = 6372797.560856
	mercatorMax       = 20037726.37
)

// The ranges and constants as runtime doubles: Go would fold constant
// expressions exactly, where C rounds each operation.
var (
	geoLatMinF  = -geoLatMax
	geoLatMaxF  = geoLatMax
	geoLongMinF = -geoLongMax
	geoLongMaxF = geoLongMax
	degToRad    = func() float64 { p := math.Pi; return p / 180.0 }()
)

func degRad(a float64) float64 { return a * degToRad }
func radDeg(a float64) float64 { return a / degToRad }

// geoHash is a hash of 2*step bits.
type geoHash struct {
	bits uint64
	step uint
}

func (h geoHash) isZero() bool { return h.bits == 0 && h.step == 0 }

type geoRange struct{ min, max float64 }

type geoArea struct {
	lon, lat geoRange
}

func interleave64(xlo, ylo uint32) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF}
	s := [...]uint{1, 2, 4, 8, 16}
	x, y := uint64(xlo), uint64(ylo)
	for i := 4; i >= 0; i-- {
		x = (x | x<<s[i]) & b[i]
		y = (y | y<<s[i]) & b[i]
	}
	return x | y<<1
}

func deinterleave64(v uint64) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF}
	s := [...]uint{0, 1, 2, 4, 8, 16}
	x, y := v, v>>1
	for i := 0; i < 6; i++ {
		x = (x | x>>s[i]) & b[i]
		y = (y | y>>s[i]) & b[i]
	}
	return x | y<<32
}

// geohashEncode hashes lon/lat in the given ranges with step bits each.
func geohashEncode(lonR, latR geoRange, lon, lat float64, step uint) (geoHash, bool) {
	if step > 32 || step == 0 {
		return geoHash{}, false
	}
	if lon > geoLongMaxF || lon < geoLongMinF || lat > geoLatMaxF || lat < geoLatMinF {
		return geoHash{}, false
	}
	if lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max {
		return geoHash{step: step}, false
	}
	latOff := (lat - latR.min) / (latR.max - latR.min)
	lonOff := (lon - lonR.min) / (lonR.max - lonR.min)
	scale := float64(uint64(1) << step)
	latOff *= scale
	lonOff *= scale
	return geoHash{bits: interleave64(uint32(latOff), uint32(lonOff)), step: step}, true
}

func geoCoordRange() (lonR, latR geoRange) {
	return geoRange{geoLongMinF, geoLongMaxF}, geoRange{geoLatMinF, geoLatMaxF}
}

func geohashEncodeWGS84(lon, lat float64, step uint) (geoHash, bool) {
	lonR, latR := geoCoordRange()
	return geohashEncode(lonR, latR, lon, lat, step)
}

func geohashDecode(lonR, latR geoRange, h geoHash) (geoArea, bool) {
	if h.isZero() {
		return geoArea{}, false
	}
	sep := deinterleave64(h.bits)
	latScale := latR.max - latR.min
	lonScale := lonR.max - lonR.min
	ilato := uint32(sep)
	ilono := uint32(sep >> 32)
	div := float64(uint64(1) << h.step)
	var a geoArea
	a.lat.min = latR.min + float64(float64(ilato)*1.0/div*latScale)
	a.lat.max = latR.min + float64(float64(ilato+1)*1.0/div*latScale)
	a.lon.min = lonR.min + float64(float64(ilono)*1.0/div*lonScale)
	a.lon.max = lonR.min + float64(float64(ilono+1)*1.0/div*lonScale)
	return a, true
}

// geoDecodeScore turns a 52-bit score into the centre of its cell.
func geoDecodeScore(score float64) (lon, lat float64, ok bool) {
	lonR, latR := geoCoordRange()
	a, ok := geohashDecode(lonR, latR, geoHash{bits: cDoubleToUint64(score), step: geoStepMax})
	if !ok {
		return 0, 0, false
	}
	lon = (a.lon.min + a.lon.max) / 2
	lon = min(max(lon, geoLongMinF), geoLongMaxF)
	lat = (a.lat.min + a.lat.max) / 2
	lat = min(max(lat, geoLatMinF), geoLatMaxF)
	return lon, lat, true
}

// align52 left-aligns a hash to 52 bits: the sorted set score.
func (h geoHash) align52() uint64 { return h.bits << (52 - h.step*2) }

func (h *geoHash) moveX(d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - h.step*2)
	if d > 0 {
		x += zz + 1
	} else {
		x |= zz
		x -= zz + 1
	}
	x &= uint64(0xaaaaaaaaaaaaaaaa) >> (64 - h.step*2)
	h.bits = x | y
}

func (h *geoHash) moveY(d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - h.step*2)
	if d > 0 {
		y += zz + 1
	} else {
		y |= zz
		y -= zz + 1
	}
	y &= uint64(0x5555555555555555) >> (64 - h.step*2)
	h.bits = x | y
}

type geoNeighbors struct {
	north, south, east, west, northEast, northWest, southEast, southWest geoHash
}

func geohashNeighbors(h geoHash) geoNeighbors {
	mv := func(dx, dy int) geoHash {
		n := h
		n.moveX(dx)
		n.moveY(dy)
		return n
	}
	return geoNeighbors{
		east: mv(1, 0), west: mv(-1, 0), south: mv(0, -1), north: mv(0, 1),
		northWest: mv(-1, 1), northEast: mv(1, 1), southEast: mv(1, -1), southWest: mv(-1, -1),
	}
}

// geoShape is the search area: a circle of radius, or a width x height
// box, in the unit whose size in meters is conversion.
type geoShape struct {
	box           bool
	lon, lat      float64
	conversion    float64
	radius        float64
	width, height float64
}

func geoEstimateSteps(rangeMeters, lat float64) uint {
	if rangeMeters == 0 {
		return 26
	}
	step := 1
	for rangeMeters < mercatorMax {
		rangeMeters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	step = min(max(step, 1), 26)
	return uint(step)
}

func (s *geoShape) boundingBox() (minLon, minLat, maxLon, maxLat float64) {
	var height, width float64
	if s.box {
		height = s.conversion * (s.height / 2)
		width = s.conversion * (s.width / 2)
	} else {
		height = s.conversion * s.radius
		width = s.conversion * s.radius
	}
	latDelta := radDeg(height / earthRadiusMeters)
	lonDeltaTop := radDeg(width / earthRadiusMeters / crCos(degRad(s.lat+latDelta)))
	lonDeltaBottom := radDeg(width / earthRadiusMeters / crCos(degRad(s.lat-latDelta)))
	if s.lat < 0 {
		minLon, maxLon = s.lon-lonDeltaBottom, s.lon+lonDeltaBottom
	} else {
		minLon, maxLon = s.lon-lonDeltaTop, s.lon+lonDeltaTop
	}
	return minLon, s.lat - latDelta, maxLon, s.lat + latDelta
}

// geoAreas returns the (up to) nine boxes to scan, centre first, then
// N, S, E, W, NE, NW, SE, SW; a zero hash is a box to skip.
func (s *geoShape) areas() [9]geoHash {
	minLon, minLat, maxLon, maxLat := s.boundingBox()
	radiusMeters := s.radius
	if s.box {
		radiusMeters = math.Sqrt((s.width/2)*(s.width/2) + (s.height/2)*(s.height/2))
	}
	radiusMeters *= s.conversion
	steps := geoEstimateSteps(radiusMeters, s.lat)
	lonR, latR := geoCoordRange()
	hash, _ := geohashEncode(lonR, latR, s.lon, s.lat, steps)
	nb := geohashNeighbors(hash)
	area, _ := geohashDecode(lonR, latR, hash)
	decrease := false
	{
		north, _ := geohashDecode(lonR, latR, nb.north)
		south, _ := geohashDecode(lonR, latR, nb.south)
		east, _ := geohashDecode(lonR, latR, nb.east)
		west, _ := geohashDecode(lonR, latR, nb.west)
		if north.lat.max < maxLat || south.lat.min > minLat || east.lon.max < maxLon || west.lon.min > minLon {
			decrease = true
		}
	}
	if steps > 1 && decrease {
		steps--
		hash, _ = geohashEncode(lonR, latR, s.lon, s.lat, steps)
		nb = geohashNeighbors(hash)
		area, _ = geohashDecode(lonR, latR, hash)
	}
	if steps >= 2 {
		if area.lat.min < minLat {
			nb.south, nb.southWest, nb.southEast = geoHash{}, geoHash{}, geoHash{}
		}
		if area.lat.max > maxLat {
			nb.north, nb.northEast, nb.northWest = geoHash{}, geoHash{}, geoHash{}
		}
		if area.lon.min < minLon {
			nb.west, nb.southWest, nb.northWest = geoHash{}, geoHash{}, geoHash{}
		}
		if area.lon.max > maxLon {
			nb.east, nb.southEast, nb.northEast = geoHash{}, geoHash{}, geoHash{}
		}
	}
	return [9]geoHash{hash, nb.north, nb.south, nb.east, nb.west, nb.northEast, nb.northWest, nb.southEast, nb.southWest}
}

func geoLatDistance(lat1, lat2 float64) float64 {
	return earthRadiusMeters * math.Abs(degRad(lat2)-degRad(lat1))
}

// geoDistance is the haversine distance in meters.
func geoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r, lon2r := degRad(lon1), degRad(lon2)
	v := crSin((lon2r - lon1r) / 2)
	if v == 0 {
		return geoLatDistance(lat1, lat2)
	}
	lat1r, lat2r := degRad(lat1), degRad(lat2)
	u := crSin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(crCos(lat1r)*crCos(lat2r))*v*v)
	return 2.0 * earthRadiusMeters * crAsin(math.Sqrt(a))
}

// within tells whether the point is in the shape, and its distance in
// meters from the centre.
func (s *geoShape) within(lon, lat float64) (float64, bool) {
	if !s.box {
		d := geoDistance(s.lon, s.lat, lon, lat)
		return d, d <= s.radius*s.conversion
	}
	w, h := s.width*s.conversion, s.height*s.conversion
	if geoLatDistance(lat, s.lat) > h/2 {
		return 0, false
	}
	if geoDistance(lon, lat, s.lon, lat) > w/2 {
		return 0, false
	}
	return geoDistance(s.lon, s.lat, lon, lat), true
}

// cDoubleToInt64 converts as x86-64's cvttsd2si: truncation, and the
// "integer indefinite" 1<<63 for NaN and out-of-range values.
func cDoubleToInt64(f float64) int64 {
	if f >= -0x1p63 && f < 0x1p63 {
		return int64(f)
	}
	return math.MinInt64
}

// cDoubleToUint64 converts as a C (uint64_t) cast compiled by gcc for
// x86-64, which Redis applies to any score (even one no GEOADD wrote).
func cDoubleToUint64(f float64) uint64 {
	if f >= 0x1p63 {
		return uint64(cDoubleToInt64(f-0x1p63)) ^ 1<<63
	}
	return uint64(cDoubleToInt64(f))
}
