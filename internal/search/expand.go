package search

import (
	"fmt"
	"math"
	"math/cmplx"
)

// expandFeatures returns the query q with the candidate e added in q's
// frame: e's map turned and shifted by the coarse registration r (the
// query turned by r.angle cells, then its point x + (dx, dy) lies on e's
// point x) and summed with q's, and e's polar harmonics turned by the
// same angle and averaged with q's. Query expansion: a hit the search is
// sure of covers marks of the firearm that the query lacks, so the sum
// correlates with other firings of it that share little contact with the
// query itself.
func expandFeatures(q, e *Features, r registration) (*Features, error) {
	if q.Kind != KindCartridge || e.Kind != KindCartridge {
		return nil, fmt.Errorf("search: expand: want cartridge features")
	}
	if !r.registered {
		return nil, fmt.Errorf("search: expand: the candidate is not registered")
	}
	theta := float64(r.angle) * AngleStepDeg * math.Pi / 180
	sn, cs := math.Sincos(theta)
	// Map pixels are half a registration pixel.
	dx, dy := float64(2*r.dx), float64(2*r.dy)
	const c = float64(MapSize-1) / 2
	sum := make([]float64, MapSize*MapSize)
	var peak float64
	for y := range MapSize {
		uy := float64(y) - c
		for x := range MapSize {
			ux := float64(x) - c
			// q turned by theta samples q at R·o; o + d lies on e's o.
			ex := cs*ux + sn*uy - dx + c
			ey := -sn*ux + cs*uy - dy + c
			v := float64(q.Map[y*MapSize+x])*float64(q.MapScale) + sampleMap(e.Map, ex, ey)*float64(e.MapScale)
			sum[y*MapSize+x] = v
			peak = math.Max(peak, math.Abs(v))
		}
	}
	if !(peak > 0) {
		return nil, fmt.Errorf("%w (the expanded map is flat)", ErrNoSignal)
	}
	out := &Features{Kind: KindCartridge, Map: make([]int8, MapSize*MapSize), MapScale: float32(peak / 127), Polar: make([]int8, PolarLen)}
	for i, v := range sum {
		out.Map[i] = int8(math.Round(v / peak * 127))
	}
	for i := 0; i < PolarLen; i += 2 * Harmonics {
		for h := 1; h <= Harmonics; h++ {
			j := i + 2*(h-1)
			qv := complex(float64(q.Polar[j]), float64(q.Polar[j+1]))
			ev := complex(float64(e.Polar[j]), float64(e.Polar[j+1])) * cmplx.Exp(complex(0, -2*math.Pi*float64(h*r.angle)/Angles))
			m := (qv + ev) / 2
			out.Polar[j] = int8(max(-127, min(127, math.Round(real(m)))))
			out.Polar[j+1] = int8(max(-127, min(127, math.Round(imag(m)))))
		}
	}
	return out, nil
}

// registration returns the coarse registration a cartridge candidate
// carries (Candidate.RotationDeg, ShiftXUM, ShiftYUM) in the scorer's
// cells and pixels.
func (c Candidate) registration() registration {
	return registration{score: c.Score, angle: int(math.Round(c.RotationDeg / AngleStepDeg)),
		dx: int(math.Round(c.ShiftXUM / RegSpacingUM)), dy: int(math.Round(c.ShiftYUM / RegSpacingUM)), registered: true}
}

// ExpandRerankDefault is the default Rerank of the expanded query's scan.
const ExpandRerankDefault = 300
