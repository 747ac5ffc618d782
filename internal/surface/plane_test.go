package surface

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestRemovePlaneExact(t *testing.T) {
	for _, fit := range []PlaneFit{LeastSquares, Median} {
		m := fill(80, 60, 3.125, func(x, y float64) float64 { return 12.5 + 0.03*x - 0.07*y })
		m.X0, m.Y0 = 1000, -250 // the plane is in map coordinates
		for r := 0; r < 60; r++ {
			for c := 0; c < 80; c++ {
				x, y := m.X0+float64(c)*m.DX, m.Y0+float64(r)*m.DY
				m.Set(c, r, 12.5+0.03*x-0.07*y)
			}
		}
		punchHoles(m, 0.4, 40, 30, 10, 2)
		out, p, err := m.RemovePlane(fit)
		if err != nil {
			t.Fatal(err)
		}
		sameNaN(t, "plane", m, out)
		for i, v := range out.Z {
			if !math.IsNaN(v) && math.Abs(v) > 1e-9 {
				t.Fatalf("fit %d: residual %v at %d", fit, v, i)
			}
		}
		if math.Abs(p.A-12.5) > 1e-8 || math.Abs(p.B-0.03) > 1e-12 || math.Abs(p.C+0.07) > 1e-12 {
			t.Errorf("fit %d: plane %+v, want {12.5 0.03 -0.07}", fit, p)
		}
	}
}

func TestPlaneQuantileRobust(t *testing.T) {
	// A tilted plane with noise plus a large one-sided feature (a plateau on
	// 20 % of the points): the median plane ignores it, least squares not.
	rng := rand.New(rand.NewPCG(5, 5))
	m := fill(100, 100, 1, func(x, y float64) float64 {
		z := 0.5*x + 0.25*y + rng.NormFloat64()*0.1
		if x < 20 {
			z += 50
		}
		return z
	})
	pm, err := m.FitPlaneQuantile(0.5)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(pm.B-0.5) > 0.01 || math.Abs(pm.C-0.25) > 0.01 || math.Abs(pm.A) > 0.5 {
		t.Errorf("median plane %+v, want ≈ {0 0.5 0.25}", pm)
	}
	pl, _ := m.FitPlane()
	if math.Abs(pl.B-0.5) < 0.1 {
		t.Errorf("least-squares slope %v unexpectedly robust; test does not discriminate", pl.B)
	}
	// τ quantile: about τ of the points lie below the plane.
	noise := fill(60, 60, 1, func(x, y float64) float64 { return x - y + rng.NormFloat64() })
	for _, tau := range []float64{0.1, 0.5, 0.9} {
		p, err := noise.FitPlaneQuantile(tau)
		if err != nil {
			t.Fatal(err)
		}
		below := 0
		for r := 0; r < 60; r++ {
			for c := 0; c < 60; c++ {
				if noise.At(c, r) < p.At(float64(c), float64(r)) {
					below++
				}
			}
		}
		if got := float64(below) / 3600; math.Abs(got-tau) > 0.02 {
			t.Errorf("τ %g: %.3f of points below the plane", tau, got)
		}
	}
}

func TestPlaneDegenerate(t *testing.T) {
	m := New(10, 10, 1, 1)
	if _, err := m.FitPlane(); !errors.Is(err, ErrTooFewPoints) {
		t.Errorf("empty: %v", err)
	}
	for c := 0; c < 10; c++ {
		m.Set(c, 4, float64(c)) // one row: collinear
	}
	if _, err := m.FitPlane(); !errors.Is(err, ErrTooFewPoints) {
		t.Errorf("collinear: %v", err)
	}
	if _, err := m.FitPlaneQuantile(1); err == nil {
		t.Error("tau 1 accepted")
	}
	if _, _, err := m.RemovePlane(PlaneFit(9)); err == nil {
		t.Error("unknown fit accepted")
	}
}

func BenchmarkPlaneRobust545(b *testing.B) {
	m := annulus(545, 6.25, 1)
	for b.Loop() {
		if _, err := m.FitPlaneQuantile(0.5); err != nil {
			b.Fatal(err)
		}
	}
}

// TestQuantileIPMIsOptimal checks the interior-point solution against the
// IRLS approximation and against perturbed planes: its check-loss objective
// is the lowest.
func TestQuantileIPMIsOptimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	m := fill(80, 70, 2, func(x, y float64) float64 {
		z := 0.3*x - 0.1*y + rng.NormFloat64()
		if rng.Float64() < 0.1 {
			z += 30 * rng.Float64() // one-sided outliers
		}
		return z
	})
	punchHoles(m, 0.3, 40, 35, 12, 3)
	pts := m.planePoints()
	start, err := pts.solve()
	if err != nil {
		t.Fatal(err)
	}
	scale := 0.0
	for i := range pts.z {
		scale += math.Abs(pts.residual(start, i))
	}
	scale /= float64(len(pts.z))
	for _, tau := range []float64{0.5, 0.25, 0.8} {
		loss := func(q [3]float64) float64 {
			s := 0.0
			for i := range pts.z {
				if r := pts.residual(q, i); r >= 0 {
					s += tau * r
				} else {
					s -= (1 - tau) * r
				}
			}
			return s
		}
		ipm, ok := pts.quantileIPM(tau, start, scale)
		if !ok {
			t.Fatalf("τ %g: interior point did not converge", tau)
		}
		irls, err := pts.quantileIRLS(tau, start, scale)
		if err != nil {
			t.Fatal(err)
		}
		best := loss(ipm)
		if l := loss(irls); l < best*(1-1e-10) {
			t.Errorf("τ %g: IRLS loss %.12g below interior point %.12g", tau, l, best)
		}
		if l := loss(irls); l > best*(1+1e-6) {
			t.Errorf("τ %g: IRLS loss %.12g far above the optimum %.12g", tau, l, best)
		}
		for k := 0; k < 30; k++ {
			q := ipm
			q[k%3] += 1e-4 * rng.NormFloat64()
			if l := loss(q); l < best*(1-1e-12) {
				t.Fatalf("τ %g: perturbed plane has lower loss %.15g < %.15g", tau, l, best)
			}
		}
	}
}
