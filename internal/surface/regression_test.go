package surface

import (
	"math"
	"testing"
)

func TestAlpha2(t *testing.T) {
	u := math.Pi * alpha2 * alpha2
	if got := (1 + u) * math.Exp(-u); math.Abs(got-0.5) > 1e-12 || math.Abs(alpha2-0.7309) > 1e-4 {
		t.Errorf("α₂ = %v gives transmission %v", alpha2, got)
	}
}

func TestRegressionTransmitsHalfAtCutoff(t *testing.T) {
	for _, tc := range []struct{ lambdaC, d float64 }{{250, 6.25}, {80, 1.5625}} {
		k := 2 * math.Pi / tc.lambdaC
		nx := int(10*tc.lambdaC/tc.d) + 1
		m := fill(nx, 5, tc.d, func(x, y float64) float64 { return math.Sin(k*x + 0.3) })
		f := Filter{Order: 2}
		lp, err := f.LowPass(m, tc.lambdaC)
		if err != nil {
			t.Fatal(err)
		}
		margin := int(math.Ceil(0.9*tc.lambdaC/tc.d)) + 1
		got := amplitude(lp, k, margin, nx-margin)
		t.Logf("λc %g µm at %g µm: transmission %.4f", tc.lambdaC, tc.d, got)
		if math.Abs(got-0.5) > 0.01 {
			t.Errorf("λc %g µm at %g µm: second-order transmission %.4f, want 0.50 ± 0.01", tc.lambdaC, tc.d, got)
		}
	}
}

func TestRegressionKeepsQuadraticsToTheEdge(t *testing.T) {
	// A second-order regression filter reproduces any quadratic exactly,
	// next to holes and at the border too, where the zeroth order bends it.
	q := func(x, y float64) float64 { return 2 + 0.01*x - 0.02*y + 3e-5*x*x - 2e-5*x*y + 1e-5*y*y }
	m := fill(90, 70, 5, q)
	punchHoles(m, 0.2, 40, 30, 9, 4)
	lp, err := Filter{Order: 2}.LowPass(m, 250)
	if err != nil {
		t.Fatal(err)
	}
	sameNaN(t, "order 2", m, lp)
	for i, v := range lp.Z {
		if !math.IsNaN(v) && math.Abs(v-m.Z[i]) > 1e-9 {
			t.Fatalf("point (%d,%d): %v, want %v", i%90, i/90, v, m.Z[i])
		}
	}
	bp, err := Filter{Order: 2}.BandPass(m, 16, 250)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range bp.Z {
		if !math.IsNaN(v) && math.Abs(v) > 1e-9 {
			t.Fatalf("band-pass of a quadratic is %v at %d", v, i)
		}
	}
	// The zeroth order does not keep the curvature at the border.
	lp0, _ := GaussianLowPass(m, 250)
	if d := math.Abs(lp0.At(0, 0) - m.At(0, 0)); d < 1e-3 {
		t.Errorf("zeroth order kept the corner of a quadratic (error %v); test does not discriminate", d)
	}
}

func TestRegressionIsolatedPointsFallBack(t *testing.T) {
	m := New(30, 30, 1, 1)
	m.Set(5, 2, 3)             // isolated point, further than the kernel from the line
	for c := 10; c < 25; c++ { // a one-pixel line: no fit in y
		m.Set(c, 27, float64(c))
	}
	lp, err := Filter{Order: 2}.LowPass(m, 10)
	if err != nil {
		t.Fatal(err)
	}
	sameNaN(t, "fallback", m, lp)
	if v := lp.At(5, 2); v != 3 {
		t.Errorf("isolated point %v, want 3", v)
	}
	for c := 10; c < 25; c++ {
		if v := lp.At(c, 27); math.IsNaN(v) || math.IsInf(v, 0) || v < 10 || v > 24 {
			t.Errorf("line point %d: %v", c, v)
		}
	}
	if _, err := (Filter{Order: 1}).LowPass(m, 20); err == nil {
		t.Error("order 1 accepted")
	}
	if _, err := (Filter{Order: 2, Kernel: KernelCMCR}).LowPass(m, 20); err == nil {
		t.Error("order 2 with cmcR kernel accepted")
	}
}

func BenchmarkBandPassOrder2At545(b *testing.B) { benchBandPass(b, 545, 6.25, Filter{Order: 2}) }
