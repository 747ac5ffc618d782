package fft

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refAlign is the lag-by-lag definition: every lag, the valid pairs, the
// textbook Pearson correlation.
func refAlign(x, y []float64, minPairs, minSpan int) (lags []int, corr []float64) {
	for lag := -(len(y) - 1); lag <= len(x)-1; lag++ {
		span := min(len(x), lag+len(y)) - max(0, lag)
		if span < max(minSpan, 1) {
			continue
		}
		var a, b []float64
		for j := range y {
			i := j + lag
			if i < 0 || i >= len(x) || math.IsNaN(x[i]) || math.IsNaN(y[j]) {
				continue
			}
			a = append(a, x[i])
			b = append(b, y[j])
		}
		c := math.NaN()
		if len(a) >= max(minPairs, 2) {
			c = refPearson(a, b)
		}
		lags = append(lags, lag)
		corr = append(corr, c)
	}
	return lags, corr
}

func randSignal(rng *rand.Rand, n int, nanFrac float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		if rng.Float64() < nanFrac {
			x[i] = math.NaN()
		} else {
			x[i] = 50 + 3*rng.NormFloat64()
		}
	}
	return x
}

func TestAlignMatchesDirect(t *testing.T) {
	const tol = 1e-9
	rng := rand.New(rand.NewPCG(9, 9))
	a := NewAligner()
	for _, c := range []struct {
		nx, ny, minPairs, minSpan int
		nan                       float64
	}{
		{20, 13, 3, 0, 0.1},
		{13, 20, 5, 5, 0.2},
		{300, 250, 10, 188, 0.05}, // bulletxtrctr-like: 0.75 × shorter
		{700, 900, 50, 10, 0.1},   // wide lag range: FFT path
		{1000, 1000, 2, 0, 0},
		{64, 64, 40, 0, 0.5},
	} {
		x := randSignal(rng, c.nx, c.nan)
		y := randSignal(rng, c.ny, c.nan)
		res := a.Align(x, y, c.minPairs, c.minSpan)
		lags, want := refAlign(x, y, c.minPairs, c.minSpan)
		lo, curve, _ := a.Curve()
		if len(curve) != len(want) || lo != lags[0] {
			t.Fatalf("%+v: curve %d values from %d, want %d from %d", c, len(curve), lo, len(want), lags[0])
		}
		best, bestLag := math.Inf(-1), 0
		for i, w := range want {
			if math.IsNaN(w) != math.IsNaN(curve[i]) || math.Abs(curve[i]-w) > tol {
				t.Fatalf("%+v: lag %d: got %v, want %v", c, lags[i], curve[i], w)
			}
			if w > best {
				best, bestLag = w, lags[i]
			}
		}
		if math.IsInf(best, -1) {
			if res.OK {
				t.Errorf("%+v: Align = %+v, want no lag", c, res)
			}
			continue
		}
		if !res.OK || res.Lag != bestLag || math.Abs(res.Corr-best) > tol {
			t.Errorf("%+v: Align = %+v, want lag %d corr %v", c, res, bestLag, best)
		}
	}
}

// Both the FFT and the direct path must agree; force each.
func TestAlignPathsAgree(t *testing.T) {
	for _, nan := range []float64{0, 0.1} {
		alignPathsAgree(t, nan)
	}
}

func alignPathsAgree(t *testing.T, nan float64) {
	rng := rand.New(rand.NewPCG(2, 8))
	x := randSignal(rng, 400, nan)
	y := randSignal(rng, 350, nan)
	a := NewAligner()
	lo, hi, _ := lagRange(len(x), len(y), 20)
	n := hi - lo + 1
	a.curve, a.pairs = make([]float64, n), make([]int32, n)
	alignDirect(x, y, lo, 5, a.curve, a.pairs)
	direct := append([]float64(nil), a.curve...)
	pairs := append([]int32(nil), a.pairs...)
	a.alignFFT(x, y, lo, hi, 5)
	for i := range direct {
		if math.IsNaN(direct[i]) != math.IsNaN(a.curve[i]) || math.Abs(direct[i]-a.curve[i]) > 1e-9 || pairs[i] != a.pairs[i] {
			t.Fatalf("NaN fraction %g, lag %d: direct %v (%d), FFT %v (%d)", nan, lo+i, direct[i], pairs[i], a.curve[i], a.pairs[i])
		}
	}
}

// A signal embedded at a known lag in a longer one is found there.
func TestAlignRecoversKnownLag(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	x := randSignal(rng, 2000, 0.02)
	a := NewAligner()
	for _, lag := range []int{0, 37, 400, -150} {
		y := make([]float64, 1500)
		for j := range y {
			if i := j + lag; i >= 0 && i < len(x) {
				y[j] = x[i] + 0.01*rng.NormFloat64()
			} else {
				y[j] = rng.NormFloat64() * 3
			}
		}
		y[10] = math.NaN()
		res := a.Align(x, y, 10, 1125)
		if !res.OK || res.Lag != lag || res.Corr < 0.99 {
			t.Errorf("lag %d: got %+v", lag, res)
		}
	}
}

func TestAlignNoOverlap(t *testing.T) {
	a := NewAligner()
	if res := a.Align([]float64{1, 2, 3}, []float64{1, 2}, 2, 3); res.OK || !math.IsNaN(res.Corr) {
		t.Errorf("span longer than a signal: %+v", res)
	}
	if res := a.Align(nil, []float64{1, 2}, 2, 0); res.OK {
		t.Errorf("empty signal: %+v", res)
	}
	nan := math.NaN()
	if res := a.Align([]float64{nan, nan, nan}, []float64{1, 2, 3}, 2, 0); res.OK {
		t.Errorf("all missing: %+v", res)
	}
}

func TestAlignAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 3))
	x := randSignal(rng, 1500, 0.05)
	y := randSignal(rng, 1400, 0.05)
	a := NewAligner()
	a.Align(x, y, 10, 100)
	if n := testing.AllocsPerRun(5, func() { a.Align(x, y, 10, 100) }); n != 0 {
		t.Errorf("%v allocations per Align, want 0", n)
	}
}
