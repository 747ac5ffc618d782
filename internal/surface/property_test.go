package surface

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestNaNProperties checks, over random maps with random holes, sizes and
// spacings, the NaN contract of each operation: filters keep NaN exactly
// where the input has it, erosion only adds NaN, plane subtraction and
// standardisation keep NaN positions, and no operation yields ±Inf.
func TestNaNProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := 0; trial < 40; trial++ {
		nx, ny := 1+rng.IntN(70), 1+rng.IntN(70)
		d := []float64{0.5, 1.5625, 3.125, 6.25}[rng.IntN(4)]
		m := New(nx, ny, d, d)
		nanFrac := rng.Float64() * 0.8
		for i := range m.Z {
			if rng.Float64() >= nanFrac {
				m.Z[i] = 10*rng.NormFloat64() + 1e3
			}
		}
		ls := d * (1 + 5*rng.Float64())
		lc := ls * (2 + 20*rng.Float64())
		for _, f := range []Filter{{}, {Kernel: KernelCMCR}, {Order: 2}} {
			lp, err := f.LowPass(m, lc)
			if err != nil {
				t.Fatal(err)
			}
			hp, err := f.HighPass(m, lc)
			if err != nil {
				t.Fatal(err)
			}
			bp, err := f.BandPass(m, ls, lc)
			if err != nil {
				t.Fatal(err)
			}
			for name, out := range map[string]*Map{"low": lp, "high": hp, "band": bp} {
				sameNaN(t, fmt.Sprintf("%v order %d %s-pass", f.Kernel, f.Order, name), m, out)
				finite(t, name, out)
			}
			if f.Kernel == KernelISO && f.Order == 0 {
				// Normalised convolution: low-pass values lie within the
				// range of the input (a weighted mean with positive weights).
				s := m.Stats()
				for _, v := range lp.Z {
					if !math.IsNaN(v) && (v < s.Min-1e-9 || v > s.Max+1e-9) {
						t.Fatalf("trial %d: low-pass %v outside input range [%v, %v]", trial, v, s.Min, s.Max)
					}
				}
			}
		}
		e, err := m.Erode(d * 3 * rng.Float64())
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range e.Z {
			if !math.IsNaN(v) && v != m.Z[i] {
				t.Fatalf("trial %d: erosion changed or filled point %d", trial, i)
			}
		}
		if p, err := m.FitPlaneQuantile(0.5); err == nil {
			sameNaN(t, "subtract plane", m, m.SubtractPlane(p))
		}
		z, _, _ := m.Standardise()
		sameNaN(t, "standardise", m, z)
		finite(t, "standardise", z)
		rot := Rotate(nil, m, 360*rng.Float64(), Interp(rng.IntN(2)))
		finite(t, "rotate", rot)
		if back := Rotate(nil, m, 90, Nearest); nx == ny && back.ValidCount() != m.ValidCount() {
			t.Fatalf("trial %d: quarter turn changed the valid count", trial)
		}
	}
}

func finite(t *testing.T, what string, m *Map) {
	t.Helper()
	for i, v := range m.Z {
		if math.IsInf(v, 0) {
			t.Fatalf("%s: Inf at %d", what, i)
		}
	}
}
