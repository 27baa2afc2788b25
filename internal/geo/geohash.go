// Package geo is the arithmetic behind the GEO commands: geohash encoding
// of coordinates into sorted-set scores, the boxes a search scans,
// distances, and the partial sort that orders results. It follows Redis
// 7.0's geohash.c and geohash_helper.c step by step (same ranges, same
// order of floating point operations) so that scores, decoded
// coordinates, distances and the set of searched boxes are bit-identical
// to a real server's.
package geo

import "math"

const (
	StepMax   = 26 // 52 bits of interleaved hash
	latLimit  = 85.05112878
	longLimit = 180.0

	earthRadiusMeters = 6372797.560856
	mercatorMax       = 20037726.37
)

// The ranges and constants as runtime doubles: Go would fold constant
// expressions exactly, where C rounds each operation.
var (
	LatMin   = -latLimit
	LatMax   = latLimit
	LongMin  = -longLimit
	LongMax  = longLimit
	degToRad = func() float64 { p := math.Pi; return p / 180.0 }()
)

func degRad(a float64) float64 { return a * degToRad }
func radDeg(a float64) float64 { return a / degToRad }

// Hash is a geohash of 2*Step bits (longitude and latitude interleaved).
type Hash struct {
	Bits uint64
	Step uint
}

// IsZero tells a box to skip in Areas.
func (h Hash) IsZero() bool { return h.Bits == 0 && h.Step == 0 }

// Range is the span of one coordinate a hash divides.
type Range struct{ Min, Max float64 }

type geoArea struct {
	lon, lat Range
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

// Encode hashes lon/lat in the given ranges with step bits each.
func Encode(lonR, latR Range, lon, lat float64, step uint) (Hash, bool) {
	if step > 32 || step == 0 {
		return Hash{}, false
	}
	if lon > LongMax || lon < LongMin || lat > LatMax || lat < LatMin {
		return Hash{}, false
	}
	if lat < latR.Min || lat > latR.Max || lon < lonR.Min || lon > lonR.Max {
		return Hash{Step: step}, false
	}
	latOff := (lat - latR.Min) / (latR.Max - latR.Min)
	lonOff := (lon - lonR.Min) / (lonR.Max - lonR.Min)
	scale := float64(uint64(1) << step)
	latOff *= scale
	lonOff *= scale
	return Hash{Bits: interleave64(uint32(latOff), uint32(lonOff)), Step: step}, true
}

func geoCoordRange() (lonR, latR Range) {
	return Range{LongMin, LongMax}, Range{LatMin, LatMax}
}

func EncodeWGS84(lon, lat float64, step uint) (Hash, bool) {
	lonR, latR := geoCoordRange()
	return Encode(lonR, latR, lon, lat, step)
}

func geohashDecode(lonR, latR Range, h Hash) (geoArea, bool) {
	if h.IsZero() {
		return geoArea{}, false
	}
	sep := deinterleave64(h.Bits)
	latScale := latR.Max - latR.Min
	lonScale := lonR.Max - lonR.Min
	ilato := uint32(sep)
	ilono := uint32(sep >> 32)
	div := float64(uint64(1) << h.Step)
	var a geoArea
	a.lat.Min = latR.Min + float64(float64(ilato)*1.0/div*latScale)
	a.lat.Max = latR.Min + float64(float64(ilato+1)*1.0/div*latScale)
	a.lon.Min = lonR.Min + float64(float64(ilono)*1.0/div*lonScale)
	a.lon.Max = lonR.Min + float64(float64(ilono+1)*1.0/div*lonScale)
	return a, true
}

// DecodeScore turns a 52-bit score into the centre of its cell.
func DecodeScore(score float64) (lon, lat float64, ok bool) {
	lonR, latR := geoCoordRange()
	a, ok := geohashDecode(lonR, latR, Hash{Bits: cDoubleToUint64(score), Step: StepMax})
	if !ok {
		return 0, 0, false
	}
	lon = (a.lon.Min + a.lon.Max) / 2
	lon = min(max(lon, LongMin), LongMax)
	lat = (a.lat.Min + a.lat.Max) / 2
	lat = min(max(lat, LatMin), LatMax)
	return lon, lat, true
}

// Align52 left-aligns a hash to 52 bits: the sorted set score.
func (h Hash) Align52() uint64 { return h.Bits << (52 - h.Step*2) }

func (h *Hash) moveX(d int) {
	if d == 0 {
		return
	}
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - h.Step*2)
	if d > 0 {
		x += zz + 1
	} else {
		x |= zz
		x -= zz + 1
	}
	x &= uint64(0xaaaaaaaaaaaaaaaa) >> (64 - h.Step*2)
	h.Bits = x | y
}

func (h *Hash) moveY(d int) {
	if d == 0 {
		return
	}
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - h.Step*2)
	if d > 0 {
		y += zz + 1
	} else {
		y |= zz
		y -= zz + 1
	}
	y &= uint64(0x5555555555555555) >> (64 - h.Step*2)
	h.Bits = x | y
}

type geoNeighbors struct {
	north, south, east, west, northEast, northWest, southEast, southWest Hash
}

func geohashNeighbors(h Hash) geoNeighbors {
	mv := func(dx, dy int) Hash {
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

// Shape is the search area: a circle of radius, or a width x height
// box, in the unit whose size in meters is conversion.
// Shape is a search area: a circle (Radius) or a box (Width, Height)
// around Lon, Lat, its sizes in the unit Conversion turns into meters.
type Shape struct {
	Box           bool
	Lon, Lat      float64
	Conversion    float64
	Radius        float64
	Width, Height float64

	cosLat float64 // cos of the centre's latitude, cached by Within
	cosSet bool
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

func (s *Shape) boundingBox() (minLon, minLat, maxLon, maxLat float64) {
	var height, width float64
	if s.Box {
		height = s.Conversion * (s.Height / 2)
		width = s.Conversion * (s.Width / 2)
	} else {
		height = s.Conversion * s.Radius
		width = s.Conversion * s.Radius
	}
	latDelta := radDeg(height / earthRadiusMeters)
	lonDeltaTop := radDeg(width / earthRadiusMeters / crCos(degRad(s.Lat+latDelta)))
	lonDeltaBottom := radDeg(width / earthRadiusMeters / crCos(degRad(s.Lat-latDelta)))
	if s.Lat < 0 {
		minLon, maxLon = s.Lon-lonDeltaBottom, s.Lon+lonDeltaBottom
	} else {
		minLon, maxLon = s.Lon-lonDeltaTop, s.Lon+lonDeltaTop
	}
	return minLon, s.Lat - latDelta, maxLon, s.Lat + latDelta
}

// geoAreas returns the (up to) nine boxes to scan, centre first, then
// N, S, E, W, NE, NW, SE, SW; a zero hash is a box to skip.
func (s *Shape) Areas() [9]Hash {
	minLon, minLat, maxLon, maxLat := s.boundingBox()
	radiusMeters := s.Radius
	if s.Box {
		radiusMeters = math.Sqrt((s.Width/2)*(s.Width/2) + (s.Height/2)*(s.Height/2))
	}
	radiusMeters *= s.Conversion
	steps := geoEstimateSteps(radiusMeters, s.Lat)
	lonR, latR := geoCoordRange()
	hash, _ := Encode(lonR, latR, s.Lon, s.Lat, steps)
	nb := geohashNeighbors(hash)
	area, _ := geohashDecode(lonR, latR, hash)
	decrease := false
	{
		north, _ := geohashDecode(lonR, latR, nb.north)
		south, _ := geohashDecode(lonR, latR, nb.south)
		east, _ := geohashDecode(lonR, latR, nb.east)
		west, _ := geohashDecode(lonR, latR, nb.west)
		if north.lat.Max < maxLat || south.lat.Min > minLat || east.lon.Max < maxLon || west.lon.Min > minLon {
			decrease = true
		}
	}
	if steps > 1 && decrease {
		steps--
		hash, _ = Encode(lonR, latR, s.Lon, s.Lat, steps)
		nb = geohashNeighbors(hash)
		area, _ = geohashDecode(lonR, latR, hash)
	}
	if steps >= 2 {
		if area.lat.Min < minLat {
			nb.south, nb.southWest, nb.southEast = Hash{}, Hash{}, Hash{}
		}
		if area.lat.Max > maxLat {
			nb.north, nb.northEast, nb.northWest = Hash{}, Hash{}, Hash{}
		}
		if area.lon.Min < minLon {
			nb.west, nb.southWest, nb.northWest = Hash{}, Hash{}, Hash{}
		}
		if area.lon.Max > maxLon {
			nb.east, nb.southEast, nb.northEast = Hash{}, Hash{}, Hash{}
		}
	}
	return [9]Hash{hash, nb.north, nb.south, nb.east, nb.west, nb.northEast, nb.northWest, nb.southEast, nb.southWest}
}

func geoLatDistance(lat1, lat2 float64) float64 {
	return earthRadiusMeters * math.Abs(degRad(lat2)-degRad(lat1))
}

// Distance is the haversine distance in meters.
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	return distance(lon1, lat1, lon2, lat2, nil, nil)
}

// distance is Distance; cos1 and cos2, when not nil, cache cos(lat1) and
// cos(lat2) across calls with the same latitude (NaN: not computed yet):
// a search's centre, a box candidate's two distances. The values are the
// same, only computed once.
func distance(lon1, lat1, lon2, lat2 float64, cos1, cos2 *float64) float64 {
	lon1r, lon2r := degRad(lon1), degRad(lon2)
	v := crSin((lon2r - lon1r) / 2)
	if v == 0 {
		return geoLatDistance(lat1, lat2)
	}
	lat1r, lat2r := degRad(lat1), degRad(lat2)
	u := crSin((lat2r - lat1r) / 2)
	c1, c2 := cachedCos(lat1r, cos1), cachedCos(lat2r, cos2)
	a := float64(u*u) + float64(float64(c1*c2)*v*v)
	return 2.0 * earthRadiusMeters * crAsin(math.Sqrt(a))
}

func cachedCos(x float64, cache *float64) float64 {
	if cache == nil {
		return crCos(x)
	}
	if math.IsNaN(*cache) {
		*cache = crCos(x)
	}
	return *cache
}

// Within tells whether the point is in the shape, and its distance in
// meters from the centre.
func (s *Shape) Within(lon, lat float64) (float64, bool) {
	if !s.cosSet {
		s.cosLat, s.cosSet = math.NaN(), true
	}
	if !s.Box {
		d := distance(s.Lon, s.Lat, lon, lat, &s.cosLat, nil)
		return d, d <= s.Radius*s.Conversion
	}
	w, h := s.Width*s.Conversion, s.Height*s.Conversion
	if geoLatDistance(lat, s.Lat) > h/2 {
		return 0, false
	}
	cosLat := math.NaN()
	if distance(lon, lat, s.Lon, lat, &cosLat, &cosLat) > w/2 {
		return 0, false
	}
	return distance(s.Lon, s.Lat, lon, lat, &s.cosLat, &cosLat), true
}

// CDoubleToInt64 converts as x86-64's cvttsd2si: truncation, and the
// "integer indefinite" 1<<63 for NaN and out-of-range values.
func CDoubleToInt64(f float64) int64 {
	if f >= -0x1p63 && f < 0x1p63 {
		return int64(f)
	}
	return math.MinInt64
}

// cDoubleToUint64 converts as a C (uint64_t) cast compiled by gcc for
// x86-64, which Redis applies to any score (even one no GEOADD wrote).
func cDoubleToUint64(f float64) uint64 {
	if f >= 0x1p63 {
		return uint64(CDoubleToInt64(f-0x1p63)) ^ 1<<63
	}
	return uint64(CDoubleToInt64(f))
}
