package surface

import (
	"math"
	"testing"
)

// amplitude returns the least-squares amplitude of a sine of wavenumber k
// (along x) fitted to the valid points of m in columns [c0, c1).
func amplitude(m *Map, k float64, c0, c1 int) float64 {
	var ss, cc, sc, zs, zc float64
	for r := 0; r < m.NY; r++ {
		for c := c0; c < c1; c++ {
			z := m.At(c, r)
			if math.IsNaN(z) {
				continue
			}
			x := float64(c) * m.DX
			s, co := math.Sin(k*x), math.Cos(k*x)
			ss += s * s
			cc += co * co
			sc += s * co
			zs += z * s
			zc += z * co
		}
	}
	det := ss*cc - sc*sc
	a := (zs*cc - zc*sc) / det
	b := (zc*ss - zs*sc) / det
	return math.Hypot(a, b)
}

func TestLowPassTransmitsHalfAtCutoff(t *testing.T) {
	for _, tc := range []struct{ lambdaC, d float64 }{
		{250, 6.25}, {250, 3.125}, {80, 1.5625}, {500, 6.25}, {16, 1},
	} {
		k := 2 * math.Pi / tc.lambdaC
		nx := int(8*tc.lambdaC/tc.d) + 1
		m := fill(nx, 8, tc.d, func(x, y float64) float64 { return math.Sin(k*x + 0.3) })
		lp, err := GaussianLowPass(m, tc.lambdaC)
		if err != nil {
			t.Fatal(err)
		}
		// Away from the borders, where the truncated kernel sees only data.
		margin := int(math.Ceil(0.6*tc.lambdaC/tc.d)) + 1
		got := amplitude(lp, k, margin, nx-margin)
		if math.Abs(got-0.5) > 0.01 {
			t.Errorf("λc %g µm at %g µm: transmission %.4f, want 0.50 ± 0.01", tc.lambdaC, tc.d, got)
		}
		hp, _ := GaussianHighPass(m, tc.lambdaC)
		if got := amplitude(hp, k, margin, nx-margin); math.Abs(got-0.5) > 0.01 {
			t.Errorf("λc %g µm at %g µm: high-pass transmission %.4f, want 0.50 ± 0.01", tc.lambdaC, tc.d, got)
		}
	}
}

func TestLowPassTransmission(t *testing.T) {
	// ISO 16610-61: amplitude transmission exp(−π (α λc/λ)²).
	const lambdaC, d = 200.0, 2.0
	for _, lambda := range []float64{100, 150, 400, 800} {
		k := 2 * math.Pi / lambda
		nx := int(6*max(lambda, lambdaC)/d) + 1
		m := fill(nx, 4, d, func(x, y float64) float64 { return math.Cos(k * x) })
		lp, err := GaussianLowPass(m, lambdaC)
		if err != nil {
			t.Fatal(err)
		}
		margin := int(0.6*lambdaC/d) + 1
		got := amplitude(lp, k, margin, nx-margin)
		want := math.Exp(-math.Pi * math.Pow(isoAlpha*lambdaC/lambda, 2))
		if math.Abs(got-want) > 0.005 {
			t.Errorf("λ %g µm: transmission %.4f, want %.4f", lambda, got, want)
		}
	}
}

func TestFilterConstantWithHoles(t *testing.T) {
	m := fill(120, 90, 2, func(x, y float64) float64 { return 7.25 })
	punchHoles(m, 0.3, 60, 45, 12, 1)
	for _, tc := range []struct {
		name string
		run  func() (*Map, error)
		want float64
	}{
		{"low-pass", func() (*Map, error) { return GaussianLowPass(m, 40) }, 7.25},
		{"high-pass", func() (*Map, error) { return GaussianHighPass(m, 40) }, 0},
		{"band-pass", func() (*Map, error) { return GaussianBandPass(m, 8, 60) }, 0},
	} {
		out, err := tc.run()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		sameNaN(t, tc.name, m, out)
		for i, v := range out.Z {
			if !math.IsNaN(v) && math.Abs(v-tc.want) > 1e-12 {
				t.Fatalf("%s: point %d = %v, want %v", tc.name, i, v, tc.want)
			}
		}
	}
}

func TestFilterKeepsNaNAndPlaneInLowPass(t *testing.T) {
	// A plane passes a zeroth-order filter unchanged away from holes/borders
	// (symmetric kernel); NaN positions are preserved exactly.
	m := annulus(160, 5, 3)
	for _, f := range []Filter{{}, {Kernel: KernelCMCR}} {
		out, err := f.BandPass(m, 16, 250)
		if err != nil {
			t.Fatal(err)
		}
		sameNaN(t, f.Kernel.String()+" band-pass", m, out)
		if out.DX != m.DX || out.NX != m.NX || out.X0 != m.X0 {
			t.Fatalf("%v: geometry changed", f.Kernel)
		}
	}
	withMin, err := Filter{MinWeight: 0.5}.LowPass(m, 250)
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for i, v := range withMin.Z {
		if math.IsNaN(m.Z[i]) && !math.IsNaN(v) {
			t.Fatalf("MinWeight filled hole at %d", i)
		}
		if !math.IsNaN(m.Z[i]) && math.IsNaN(v) {
			lost++
		}
	}
	if lost == 0 {
		t.Errorf("MinWeight 0.5 removed no point next to the holes")
	}
}

func TestCMCRKernel(t *testing.T) {
	// σ = λ/(2π) µm, truncated at ±ceil(2.6σ) points, sum 1.
	k := cmcrKernel(500, 3.125, 1000)
	sigma := 500 / (2 * math.Pi * 3.125)
	if want := int(math.Ceil(2.6*sigma)) + 1; len(k) != want {
		t.Errorf("half kernel has %d taps, want %d", len(k), want)
	}
	sum := k[0]
	for _, v := range k[1:] {
		sum += 2 * v
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("kernel sums to %v", sum)
	}
	if got, want := k[10]/k[0], math.Exp(-0.5*100/(sigma*sigma)); math.Abs(got-want) > 1e-12 {
		t.Errorf("k[10]/k[0] = %v, want %v", got, want)
	}
	// Not NaN-normalised: a constant next to a hole is damped towards the
	// mean (0 after centring), unlike the ISO filter.
	m := fill(100, 100, 3.125, func(x, y float64) float64 { return 1 })
	for r := 0; r < 100; r++ {
		for c := 50; c < 100; c++ {
			m.Set(c, r, 3)
		}
	}
	lp, err := Filter{Kernel: KernelCMCR}.LowPass(m, 100)
	if err != nil {
		t.Fatal(err)
	}
	// Centred values −1 and +1; at a border corner only a quarter of the
	// kernel sees data.
	if v := lp.At(0, 0); !(v > -0.3 && v < -0.2) {
		t.Errorf("corner low-pass %v, want ≈ −0.25 (zero padding)", v)
	}
	if v := lp.At(25, 50); math.Abs(v+1) > 1e-9 {
		t.Errorf("interior low-pass %v, want −1", v)
	}
}

func TestFilterBadInput(t *testing.T) {
	m := fill(10, 10, 1, func(x, y float64) float64 { return x })
	for _, tc := range []struct {
		name string
		run  func() (*Map, error)
	}{
		{"zero cut-off", func() (*Map, error) { return GaussianLowPass(m, 0) }},
		{"NaN cut-off", func() (*Map, error) { return GaussianHighPass(m, math.NaN()) }},
		{"inf cut-off", func() (*Map, error) { return GaussianLowPass(m, math.Inf(1)) }},
		{"reversed band", func() (*Map, error) { return GaussianBandPass(m, 250, 16) }},
		{"bad kernel", func() (*Map, error) { return Filter{Kernel: 7}.LowPass(m, 10) }},
		{"bad min weight", func() (*Map, error) { return Filter{MinWeight: 2}.LowPass(m, 10) }},
	} {
		if _, err := tc.run(); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func BenchmarkBandPass545At6p25(b *testing.B)   { benchBandPass(b, 545, 6.25, Filter{}) }
func BenchmarkBandPass1090At3p125(b *testing.B) { benchBandPass(b, 1090, 3.125, Filter{}) }
func BenchmarkBandPassCMCR545At6p25(b *testing.B) {
	benchBandPass(b, 545, 6.25, Filter{Kernel: KernelCMCR})
}

func benchBandPass(b *testing.B, size int, d float64, f Filter) {
	m := annulus(size, d, 1)
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.BandPass(m, 16, 250); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCMCRHalfPoint(t *testing.T) {
	// cmcR's σ = λ/(2π) puts the 50 % point at λ/√(2 ln 2) ≈ 0.85·λ (the
	// nominal "500 µm" high-pass is ≈425 µm); truncation at 2.6σ shifts it
	// slightly.
	const lambda, d = 500.0, 3.125
	half := lambda / math.Sqrt(2*math.Ln2)
	k := 2 * math.Pi / half
	// Zero padding damps everything within the kernel radius of the
	// border, in y as well: measure on rows and columns beyond it.
	r := len(cmcrKernel(lambda, d, 10000)) - 1
	nx, ny := int(8*lambda/d)+1, 2*r+5
	m := fill(nx, ny, d, func(x, y float64) float64 { return math.Sin(k * x) })
	lp, err := Filter{Kernel: KernelCMCR}.LowPass(m, lambda)
	if err != nil {
		t.Fatal(err)
	}
	mid, err := lp.Crop(0, r, nx, ny-2*r)
	if err != nil {
		t.Fatal(err)
	}
	got := amplitude(mid, k, r, nx-r)
	t.Logf("cmcR transmission at %.1f µm: %.4f", half, got)
	if math.Abs(got-0.5) > 0.02 {
		t.Errorf("cmcR low-pass at λ/√(2 ln 2) transmits %.4f, want 0.50 ± 0.02", got)
	}
}

func TestLowPassFFTMatchesDirect(t *testing.T) {
	for _, tc := range []struct {
		m      *Map
		lx, ly float64
	}{
		{annulus(150, 6.25, 4), 250, 250},
		{annulus(121, 3.125, 5), 80, 0},
		{randomMap(37, 90, 6, 0.3), 9, 31},
	} {
		kx, ky := isoKernel(tc.lx, tc.m.DX, 1000), isoKernel(tc.ly, tc.m.DY, 1000)
		for _, minW := range []float64{0, 0.4} {
			a := isoLowPassDirect(tc.m, kx, ky, minW)
			b := isoLowPassFFT(tc.m, kx, ky, minW)
			sameNaN(t, "fft vs direct", a, b)
			for i := range a.Z {
				if !math.IsNaN(a.Z[i]) && math.Abs(a.Z[i]-b.Z[i]) > 1e-10*(1+math.Abs(a.Z[i])) {
					t.Fatalf("λ %g×%g: point %d direct %v, FFT %v", tc.lx, tc.ly, i, a.Z[i], b.Z[i])
				}
			}
		}
	}
	// The choice: large kernels on large maps go to the FFT.
	big := New(1090, 1090, 3.125, 3.125) // only the NaN pattern matters here
	for r := 0; r < big.NY; r++ {
		for c := 0; c < big.NX; c++ {
			if rr := math.Hypot(float64(c)-544.5, float64(r)-544.5) / 1090; rr <= 0.40 && rr >= 0.19 {
				big.Set(c, r, 0)
			}
		}
	}
	span := validSpan(big)
	if !fftCheaper(1090, 1090, span, 90, 90, 4) || fftCheaper(1090, 1090, span, 3, 3, 4) {
		t.Errorf("fftCheaper on 1090²: R=90 %v, R=3 %v; want true, false",
			fftCheaper(1090, 1090, span, 90, 90, 4), fftCheaper(1090, 1090, span, 3, 3, 4))
	}
}

func TestCMCRConvolveFFTMatchesDirect(t *testing.T) {
	m := annulus(200, 3.125, 2)
	z, _ := cmcrCentre(m)
	kx, ky := cmcrKernel(300, m.DX, 1000), cmcrKernel(300, m.DY, 1000)
	a := newFFTConvolver(m.NX, m.NY, kx, ky).convolve(z)
	// Direct: separable passes, as cmcrConvolve does for small kernels.
	tmp := make([]float64, len(z))
	for r := 0; r < m.NY; r++ {
		convolveRow(tmp[r*m.NX:(r+1)*m.NX], z[r*m.NX:(r+1)*m.NX], kx, 0, m.NX-1)
	}
	ry := len(ky) - 1
	for r := 0; r < m.NY; r++ {
		for c := 0; c < m.NX; c++ {
			s := 0.0
			for k := -ry; k <= ry; k++ {
				if rr := r + k; rr >= 0 && rr < m.NY {
					s += ky[abs(k)] * tmp[rr*m.NX+c]
				}
			}
			if d := math.Abs(s - a[r*m.NX+c]); d > 1e-10 {
				t.Fatalf("(%d,%d): direct %v, FFT %v", c, r, s, a[r*m.NX+c])
			}
		}
	}
}

func abs(k int) int {
	if k < 0 {
		return -k
	}
	return k
}

func TestHugeCutoffIsCheap(t *testing.T) {
	// A cut-off far longer than the map must neither exhaust memory nor
	// change the ISO result (normalised per point): a plane's low-pass over
	// a tiny map is its weighted mean, finite, and NaN stays NaN.
	m := fill(20, 10, 1, func(x, y float64) float64 { return x + y })
	m.Set(3, 3, math.NaN())
	for _, f := range []Filter{{}, {Kernel: KernelCMCR}, {Order: 2}} {
		out, err := f.BandPass(m, 1e9, 1e12)
		if err != nil {
			t.Fatal(err)
		}
		sameNaN(t, "huge cut-off", m, out)
		finite(t, "huge cut-off", out)
	}
	if k := isoKernel(1e12, 1, 50); len(k) != 51 {
		t.Errorf("kernel radius %d, want capped at 50", len(k)-1)
	}
}
