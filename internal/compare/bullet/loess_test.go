package bullet

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestLoessReproducesQuadratic(t *testing.T) {
	for _, tc := range []struct {
		name        string
		n           int
		span        float64
		interpolate bool
		holes       bool
	}{
		{"exact wide", 200, 0.75, false, false},
		{"exact narrow", 300, 0.03, false, false},
		{"interpolated", 1000, 0.75, true, false},
		{"with missing points", 500, 0.3, true, true},
		{"span above one", 50, 1.5, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := make([]float64, tc.n)
			y := make([]float64, tc.n)
			want := make([]float64, tc.n)
			for i := range x {
				x[i] = 1.5625 * float64(i)
				want[i] = 3 - 0.02*x[i] + 4e-5*x[i]*x[i]
				y[i] = want[i]
				if tc.holes && i%7 == 3 {
					y[i] = math.NaN()
				}
			}
			got := loess(nil, x, y, loessOptions{span: tc.span, interpolate: tc.interpolate})
			for i := range got {
				if d := math.Abs(got[i] - want[i]); !(d < 1e-6) {
					t.Fatalf("x=%g: got %g, want %g", x[i], got[i], want[i])
				}
			}
		})
	}
}

func TestLoessReducesNoise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 2000
	x := make([]float64, n)
	y := make([]float64, n)
	truth := make([]float64, n)
	for i := range x {
		x[i] = float64(i)
		truth[i] = 5 * math.Sin(x[i]/150)
		y[i] = truth[i] + r.NormFloat64()
	}
	for _, interp := range []bool{false, true} {
		got := loess(nil, x, y, loessOptions{span: 0.05, interpolate: interp})
		var errIn, errOut float64
		for i := range x {
			errIn += (y[i] - truth[i]) * (y[i] - truth[i])
			errOut += (got[i] - truth[i]) * (got[i] - truth[i])
		}
		// A local quadratic over q = 100 points has an equivalent kernel of
		// about 1/q·2 variance; demand at least a 10× reduction.
		if errOut*10 > errIn {
			t.Errorf("interpolate=%v: residual error %g not reduced from %g", interp, errOut/float64(n), errIn/float64(n))
		}
	}
}

func TestLoessInterpolationMatchesExact(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 1200
	x := make([]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = float64(i)
		y[i] = 40*math.Cos(x[i]/400) + r.NormFloat64()
	}
	exact := loess(nil, x, y, loessOptions{span: 0.75})
	interp := loess(nil, x, y, loessOptions{span: 0.75, interpolate: true})
	for i := range x {
		if d := math.Abs(exact[i] - interp[i]); d > 0.05 { // 5 % of the noise σ
			t.Fatalf("x=%g: interpolated %g differs from exact %g", x[i], interp[i], exact[i])
		}
	}
}

func TestLoessEdgeCases(t *testing.T) {
	nan := math.NaN()
	got := loess(nil, []float64{0, 1, 2, 3}, []float64{nan, 1, nan, nan}, loessOptions{span: 0.75})
	for _, v := range got {
		if !math.IsNaN(v) {
			t.Fatalf("fewer than 3 valid points must give NaN, got %v", got)
		}
	}
	// Outside the range of the valid points the fit is undefined.
	got = loess(nil, []float64{0, 1, 2, 3, 4, 5}, []float64{nan, 1, 2, 3, 4, nan}, loessOptions{span: 1})
	if !math.IsNaN(got[0]) || !math.IsNaN(got[5]) || math.Abs(got[2]-2) > 1e-9 {
		t.Fatalf("got %v", got)
	}
}
