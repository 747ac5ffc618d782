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

// Random lengths (down to one sample), overlaps and missing fractions, each
// path forced in turn, against the lag-by-lag definition.
func TestAlignRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 17))
	a := NewAligner()
	for range 60 {
		nx, ny := 1+rng.IntN(120), 1+rng.IntN(120)
		nans := []float64{0, 0.05, 0.5}
		x, y := randSignal(rng, nx, nans[rng.IntN(3)]), randSignal(rng, ny, nans[rng.IntN(3)])
		minPairs, minSpan := rng.IntN(8), rng.IntN(min(nx, ny)+2)
		lags, want := refAlign(x, y, minPairs, minSpan)
		wantPairs := refPairCounts(x, y, lags)
		lo, hi, ok := lagRange(nx, ny, minSpan)
		if !ok {
			if len(want) != 0 {
				t.Fatalf("nx=%d ny=%d span %d: no lag range, reference has %d lags", nx, ny, minSpan, len(want))
			}
			continue
		}
		if lo != lags[0] || hi != lags[len(lags)-1] {
			t.Fatalf("nx=%d ny=%d span %d: lags %d..%d, want %d..%d", nx, ny, minSpan, lo, hi, lags[0], lags[len(lags)-1])
		}
		n := hi - lo + 1
		a.curve, a.pairs = make([]float64, n), make([]int32, n)
		for _, path := range []string{"direct", "fft"} {
			if path == "direct" {
				alignDirect(x, y, lo, max(minPairs, 2), a.curve, a.pairs)
			} else {
				a.alignFFT(x, y, lo, hi, max(minPairs, 2))
			}
			for i, w := range want {
				if math.IsNaN(w) != math.IsNaN(a.curve[i]) || math.Abs(a.curve[i]-w) > 1e-9 || int(a.pairs[i]) != wantPairs[i] {
					t.Fatalf("%s nx=%d ny=%d lag %d: got %v (%d pairs), want %v (%d)", path, nx, ny, lags[i], a.curve[i], a.pairs[i], w, wantPairs[i])
				}
			}
		}
	}
}

// refPairCounts counts the pairs of valid values at each lag.
func refPairCounts(x, y []float64, lags []int) []int {
	out := make([]int, len(lags))
	for k, lag := range lags {
		for j := range y {
			if i := j + lag; i >= 0 && i < len(x) && !math.IsNaN(x[i]) && !math.IsNaN(y[j]) {
				out[k]++
			}
		}
	}
	return out
}
