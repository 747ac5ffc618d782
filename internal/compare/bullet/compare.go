package bullet

import (
	"fmt"
	"math"
)

// LandComparison is the result of comparing two lands.
type LandComparison struct {
	Score    float64  `json:"score"` // model probability of a common source, [0, 1]
	Features Features `json:"features"`
	// Aligned signatures (µm, NaN-padded to a common frame) for display.
	AlignedA []float64 `json:"-"`
	AlignedB []float64 `json:"-"`
	DX       float64   `json:"-"`
	striae   []striaGroup
}

// Comparer compares processed lands with fixed parameters and model. It is
// safe for concurrent use.
type Comparer struct {
	Params Params
	Model  *Model
}

// NewComparer returns a Comparer with the default parameters and model.
func NewComparer() (*Comparer, error) {
	m, err := DefaultModel()
	if err != nil {
		return nil, err
	}
	return &Comparer{Params: DefaultParams(), Model: m}, nil
}

// CompareLands aligns the signatures of a and b and scores the pair. Lands
// scanned at different spacings are compared at the coarser one. An error
// means the two signatures cannot overlap by MinOverlap.
func (c *Comparer) CompareLands(a, b *Land) (LandComparison, error) {
	lc, err := c.compareLands(a, b)
	if err != nil {
		return lc, err
	}
	lc.Score = c.Model.Score(lc.Features)
	return lc, nil
}

// compareFeatures returns the features of a land pair without scoring it.
func (c *Comparer) compareFeatures(a, b *Land) (Features, error) {
	lc, err := c.compareLands(a, b)
	return lc.Features, err
}

func (c *Comparer) compareLands(a, b *Land) (LandComparison, error) {
	sa, sb, dx := a.Signature, b.Signature, a.DX
	if r := a.DX / b.DX; r > 1.01 || r < 0.99 {
		dx = math.Max(a.DX, b.DX)
		sa = resample(sa, a.DX, dx)
		sb = resample(sb, b.DX, dx)
	}
	al := alignSignatures(sa, sb, c.Params.MinOverlap)
	if !al.ok {
		return LandComparison{}, fmt.Errorf("bullet: lands %q and %q: signatures cannot be aligned with %.0f%% overlap", a.Name, b.Name, 100*c.Params.MinOverlap)
	}
	s1, s2 := alignedPair(al)
	f, groups := computeFeatures(al, s1, s2, dx, c.Params)
	return LandComparison{Features: f, AlignedA: s1, AlignedB: s2, DX: dx, striae: groups}, nil
}

// alignedPair lays both trimmed signatures on the common frame of the alignment.
func alignedPair(al alignment) ([]float64, []float64) {
	offA, offB := max(0, -al.lag), max(0, al.lag)
	n := max(len(al.a)+offA, len(al.b)+offB)
	s1, s2 := make([]float64, n), make([]float64, n)
	for k := range s1 {
		s1[k], s2[k] = math.NaN(), math.NaN()
		if i := k - offA; i >= 0 && i < len(al.a) {
			s1[k] = al.a[i]
		}
		if i := k - offB; i >= 0 && i < len(al.b) {
			s2[k] = al.b[i]
		}
	}
	return s1, s2
}

// resample averages s (spacing from µm) into bins of width to µm.
func resample(s []float64, from, to float64) []float64 {
	n := int(math.Floor(float64(len(s)) * from / to))
	out := make([]float64, n)
	for j := range out {
		lo := float64(j) * to / from
		hi := float64(j+1) * to / from
		var sum, w float64
		for i := int(lo); i < len(s) && float64(i) < hi; i++ {
			if math.IsNaN(s[i]) {
				continue
			}
			cover := math.Min(hi, float64(i+1)) - math.Max(lo, float64(i))
			if cover > 0 {
				sum += cover * s[i]
				w += cover
			}
		}
		out[j] = math.NaN()
		if w > 0 {
			out[j] = sum / w
		}
	}
	return out
}
