package surface

import "math"

// Stats summarises the valid points of a map. Heights are in µm. When no
// point is valid every field is 0 (never NaN, so Stats encodes to JSON).
type Stats struct {
	Min, Max      float64 // extreme heights
	Mean          float64 // mean height
	Sa            float64 // mean absolute deviation from the mean (ISO 25178 Sa of the map as given)
	Sq            float64 // root-mean-square deviation from the mean (ISO 25178 Sq)
	Valid         int     // number of valid points
	ValidFraction float64 // Valid / (NX·NY), 0 for an empty map
}

// Stats returns the statistics of m's valid points (NaN is skipped). Sa and
// Sq are about the mean, with no form removal: remove a plane or filter
// first for areal roughness parameters.
func (m *Map) Stats() Stats {
	var s Stats
	sum := 0.0
	s.Min, s.Max = math.Inf(1), math.Inf(-1)
	for _, v := range m.Z {
		if math.IsNaN(v) {
			continue
		}
		s.Valid++
		sum += v
		s.Min, s.Max = min(s.Min, v), max(s.Max, v)
	}
	if s.Valid == 0 {
		return Stats{}
	}
	n := float64(s.Valid)
	s.Mean = sum / n
	var sa, sq float64
	for _, v := range m.Z {
		if !math.IsNaN(v) {
			d := v - s.Mean
			sa += math.Abs(d)
			sq += d * d
		}
	}
	s.Sa, s.Sq = sa/n, math.Sqrt(sq/n)
	s.ValidFraction = n / float64(len(m.Z))
	return s
}

// Standardise returns a copy of m with each valid height z replaced by
// (z − mean)/sd, and the mean and sd used; sd is the sample standard
// deviation (n−1 denominator, as R's sd, which cmcR uses). NaN stays NaN.
// With fewer than two valid points, or all valid heights equal, sd is 0 and
// the valid points become 0 (centred, not scaled) rather than NaN or Inf.
// m is not changed.
func (m *Map) Standardise() (z *Map, mean, sd float64) {
	z = m.Clone()
	n, sum := 0, 0.0
	for _, v := range m.Z {
		if !math.IsNaN(v) {
			n++
			sum += v
		}
	}
	if n == 0 {
		return z, 0, 0
	}
	mean = sum / float64(n)
	ss := 0.0
	for _, v := range m.Z {
		if !math.IsNaN(v) {
			ss += (v - mean) * (v - mean)
		}
	}
	if n > 1 {
		sd = math.Sqrt(ss / float64(n-1))
	}
	scale := 1.0
	if sd > 0 {
		scale = 1 / sd
	}
	for i, v := range z.Z {
		z.Z[i] = (v - mean) * scale
		if sd == 0 && !math.IsNaN(v) {
			z.Z[i] = 0
		}
	}
	return z, mean, sd
}
