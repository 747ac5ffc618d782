package fft

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// Many random sizes, small and GoodSize, against gonum and round trip.
func TestPlan2DRandomSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(77, 1))
	for it := 0; it < 400; it++ {
		rows, cols := 1+rng.IntN(70), 1+rng.IntN(70)
		if it%10 == 0 {
			rows, cols = GoodSize(1+rng.IntN(400)), GoodSize(1+rng.IntN(400))
		}
		x := make([]float64, rows*cols)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		p := NewPlan2D(rows, cols)
		g := newGonumPlan2D(rows, cols)
		got := p.Forward(nil, x)
		want := g.Forward(make([]complex128, p.SpectrumLen()), x)
		for i := range got {
			if d := cmplx.Abs(got[i] - want[i]); d > 1e-10*math.Sqrt(float64(rows*cols)) {
				t.Fatalf("%dx%d: coefficient %d = %v, gonum %v", rows, cols, i, got[i], want[i])
			}
		}
		back := p.Inverse(nil, got)
		for i := range x {
			if math.Abs(back[i]-x[i]) > 1e-11 {
				t.Fatalf("%dx%d: round trip [%d] = %g, want %g", rows, cols, i, back[i], x[i])
			}
		}
	}
}
