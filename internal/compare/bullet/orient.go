package bullet

import (
	"fmt"
	"math"
	"sort"

	"github.com/tracemark/tracemark/internal/surface"
)

// Plausibility limits for a land-engraved-area scan.
const (
	// maxSpacingUM: no toolmark instrument samples coarser than this. A larger
	// spacing means the file stored µm where X3P requires metres, and the
	// reader's ×1e6 conversion made it a million times too large.
	maxSpacingUM = 1000
	// maxHeightRangeUM: a land's heights span well under a millimetre; a
	// larger robust range means the heights were stored in µm.
	maxHeightRangeUM = 1e4
	// minAnisotropy: striae make the surface rough across the land and smooth
	// along it. On the real data here, the 12 Hamby 44 lands score 2.6–26
	// and the Fadul breech faces 0.66–0.82 (ratio either way at most 1.5).
	minAnisotropy = 2
	// anisotropyLagUM: lag of the second differences; long enough that
	// scanner noise does not dominate, short against the striae spacing.
	anisotropyLagUM = 25
	// Land widths (µm) accepted after orientation.
	minLandWidthUM = 250
	maxLandWidthUM = 8000
)

// fixUnits detects a file written in µm instead of metres (see
// maxSpacingUM) and scales the map back, returning notes on what it did.
func fixUnits(m *surface.Map) []string {
	var notes []string
	if m.DX > maxSpacingUM || m.DY > maxSpacingUM {
		m.DX *= 1e-6
		m.DY *= 1e-6
		m.X0 *= 1e-6
		m.Y0 *= 1e-6
		notes = append(notes, fmt.Sprintf("lateral spacing %.4g µm is implausible: file stored µm, not metres; rescaled to %.4g µm", m.DX*1e6, m.DX))
	}
	lo, hi := quantiles(m.Z, 0.01, 0.99)
	if hi-lo > maxHeightRangeUM {
		for i := range m.Z {
			m.Z[i] *= 1e-6
		}
		notes = append(notes, fmt.Sprintf("height range %.4g µm is implausible: heights stored in µm, not metres; rescaled", hi-lo))
	}
	return notes
}

// quantiles returns the p and q quantiles of the finite values of z (NaN if
// none), estimated from at most about 50 000 evenly strided values.
func quantiles(z []float64, p, q float64) (float64, float64) {
	stride := max(1, len(z)/50000)
	v := make([]float64, 0, len(z)/stride+1)
	for i := 0; i < len(z); i += stride {
		if x := z[i]; !math.IsNaN(x) && !math.IsInf(x, 0) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	sort.Float64s(v)
	at := func(f float64) float64 { return v[int(f*float64(len(v)-1)+0.5)] }
	return at(p), at(q)
}

// anisotropy returns the ratio of the surface roughness across x to that
// across y: the median squared second difference at a lag of about 25 µm
// along rows over the same along columns, per unit length². Second
// differences cancel the plane and (at this lag) the curvature of the
// bullet, leaving the striae; the median ignores tank rash and break-off.
// A ratio above 1 means striae run along y. NaN without enough points.
func anisotropy(m *surface.Map) float64 {
	energy := func(n, stride, lines, lineStride int, lag int) float64 {
		var v []float64
		// At most 64 lines: the median needs no more, and sorting is the cost.
		step := max(1, lines/64)
		for l := 0; l < lines; l += step {
			base := l * lineStride
			for i := lag; i+lag < n; i++ {
				d := m.Z[base+(i-lag)*stride] - 2*m.Z[base+i*stride] + m.Z[base+(i+lag)*stride]
				if !math.IsNaN(d) {
					v = append(v, d*d)
				}
			}
		}
		if len(v) < 100 {
			return math.NaN()
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	lagX := max(1, int(math.Round(anisotropyLagUM/m.DX)))
	lagY := max(1, int(math.Round(anisotropyLagUM/m.DY)))
	ex := energy(m.NX, 1, m.NY, m.NX, lagX) / math.Pow(float64(lagX)*m.DX, 2)
	ey := energy(m.NY, m.NX, m.NX, 1, lagY) / math.Pow(float64(lagY)*m.DY, 2)
	return ex / ey
}

// rotate90 returns m turned a quarter turn so that its old rows become
// columns: new(x, y) = old(y, NX-1-x) — old column NX-1 becomes row 0.
func rotate90(m *surface.Map) *surface.Map {
	r := surface.New(m.NY, m.NX, m.DY, m.DX)
	for y := 0; y < r.NY; y++ {
		for x := 0; x < r.NX; x++ {
			r.Z[y*r.NX+x] = m.Z[x*m.NX+(m.NX-1-y)]
		}
	}
	return r
}
