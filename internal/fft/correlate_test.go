package fft

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// randField returns rows×cols normal values with a fraction nanFrac of NaN.
func randField(rng *rand.Rand, rows, cols int, nanFrac float64) []float64 {
	x := make([]float64, rows*cols)
	for i := range x {
		if rng.Float64() < nanFrac {
			x[i] = math.NaN()
		} else {
			x[i] = 3 + 2*rng.NormFloat64()
		}
	}
	return x
}

// refPearson is the textbook two-pass Pearson correlation of paired slices.
func refPearson(a, b []float64) float64 {
	if len(a) < 2 {
		return math.NaN()
	}
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var saa, sbb, sab float64
	for i := range a {
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
		sab += (a[i] - ma) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

// refPairs collects the valid pairs of template and region at offset
// (oy, ox) of the template's top-left corner in the region.
func refPairs(g Geometry, t, r []float64, oy, ox int) (a, b []float64) {
	for i := 0; i < g.TemplateRows; i++ {
		for j := 0; j < g.TemplateCols; j++ {
			ri, rj := i+oy, j+ox
			if ri < 0 || rj < 0 || ri >= g.RegionRows || rj >= g.RegionCols {
				continue
			}
			u, v := t[i*g.TemplateCols+j], r[ri*g.RegionCols+rj]
			if math.IsNaN(u) || math.IsNaN(v) {
				continue
			}
			a = append(a, u)
			b = append(b, v)
		}
	}
	return a, b
}

// refZeroFilled is the cmcR CCF at offset (oy, ox) computed directly.
func refZeroFilled(g Geometry, t, r []float64, oy, ox int) float64 {
	return refZeroFilledZ(g, zscoreFill(t), zscoreFill(r), oy, ox)
}

// refZeroFilledZ is refZeroFilled on inputs already z-scored and zero filled.
func refZeroFilledZ(g Geometry, zt, zr []float64, oy, ox int) float64 {
	var s, nt, nr float64
	for _, v := range zt {
		nt += v * v
	}
	for _, v := range zr {
		nr += v * v
	}
	for i := 0; i < g.TemplateRows; i++ {
		for j := 0; j < g.TemplateCols; j++ {
			ri, rj := i+oy, j+ox
			if ri < 0 || rj < 0 || ri >= g.RegionRows || rj >= g.RegionCols {
				continue
			}
			s += zt[i*g.TemplateCols+j] * zr[ri*g.RegionCols+rj]
		}
	}
	return s / math.Sqrt(nt*nr)
}

func zscoreFill(x []float64) []float64 {
	var vals []float64
	for _, v := range x {
		if !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	var m float64
	for _, v := range vals {
		m += v
	}
	m /= float64(len(vals))
	var ss float64
	for _, v := range vals {
		ss += (v - m) * (v - m)
	}
	sd := math.Sqrt(ss / float64(len(vals)-1))
	out := make([]float64, len(x))
	for i, v := range x {
		if !math.IsNaN(v) {
			out[i] = (v - m) / sd
		}
	}
	return out
}

func TestCorrelatorMatchesDirect(t *testing.T) {
	cases := []struct {
		name string
		g    Geometry
		nan  float64
		min  int
		tnan float64 // template NaN fraction, -1: same as nan
	}{
		{"square", Geometry{TemplateRows: 6, TemplateCols: 6, RegionRows: 18, RegionCols: 18}, 0.2, 5, -1},
		{"odd", Geometry{TemplateRows: 5, TemplateCols: 7, RegionRows: 13, RegionCols: 11}, 0.3, 3, -1},
		{"no NaN", Geometry{TemplateRows: 8, TemplateCols: 4, RegionRows: 9, RegionCols: 20}, 0, 2, -1},
		{"complete template", Geometry{TemplateRows: 7, TemplateCols: 6, RegionRows: 20, RegionCols: 17}, 0.3, 4, 0},
		{"complete region", Geometry{TemplateRows: 7, TemplateCols: 6, RegionRows: 20, RegionCols: 17}, 0, 4, 0.3},
		{"complete, window", Geometry{TemplateRows: 9, TemplateCols: 10, RegionRows: 27, RegionCols: 30, MaxShiftX: 6, MaxShiftY: 3}, 0, 10, -1},
		{"window", Geometry{TemplateRows: 9, TemplateCols: 10, RegionRows: 27, RegionCols: 30, MaxShiftX: 4, MaxShiftY: 7}, 0.25, 10, -1},
		{"region smaller", Geometry{TemplateRows: 12, TemplateCols: 12, RegionRows: 7, RegionCols: 9}, 0.1, 4, -1},
		{"region smaller, complete", Geometry{TemplateRows: 12, TemplateCols: 12, RegionRows: 7, RegionCols: 9}, 0, 4, -1},
		{"mostly missing", Geometry{TemplateRows: 10, TemplateCols: 10, RegionRows: 30, RegionCols: 30}, 0.7, 3, -1},
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.g
			tnan := tc.tnan
			if tnan < 0 {
				tnan = tc.nan
			}
			tm := randField(rng, g.TemplateRows, g.TemplateCols, tnan)
			rg := randField(rng, g.RegionRows, g.RegionCols, tc.nan)
			if checkCorrelator(t, g, tm, rg, tc.min) == 0 {
				t.Fatal("no shift had a defined correlation: the test checks nothing")
			}
		})
	}
}

// checkCorrelator compares both modes of a correlator for g with the direct
// computation at every shift; it returns the number of shifts with a
// defined masked correlation.
func checkCorrelator(t *testing.T, g Geometry, tm, rg []float64, minOverlap int) (defined int) {
	t.Helper()
	const tol = 1e-9
	c, err := NewCrossCorrelator(g)
	if err != nil {
		t.Fatal(err)
	}
	mt, err := c.PrepareTemplate(nil, tm, ModeMasked)
	if err != nil {
		t.Fatal(err)
	}
	zt, err := c.PrepareTemplate(nil, tm, ModeZeroFilled)
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.MaskedNCC(nil, mt, rg, minOverlap)
	if err != nil {
		t.Fatal(err)
	}
	z, err := c.ZeroFilledCCF(nil, zt, rg)
	if err != nil {
		t.Fatal(err)
	}
	minDX, maxDX, minDY, maxDY := c.Shifts()
	if m.Cols != maxDX-minDX+1 || m.Rows != maxDY-minDY+1 || m.MinDX != minDX || m.MinDY != minDY {
		t.Fatalf("map %dx%d from (%d,%d), shifts %d..%d, %d..%d", m.Rows, m.Cols, m.MinDX, m.MinDY, minDX, maxDX, minDY, maxDY)
	}
	for dy := minDY; dy <= maxDY; dy++ {
		for dx := minDX; dx <= maxDX; dx++ {
			oy, ox := g.Origin(dx, dy)
			a, b := refPairs(g, tm, rg, oy, ox)
			want := math.NaN()
			if len(a) >= max(minOverlap, 2) {
				want = refPearson(a, b)
			}
			got := m.At(dx, dy)
			if math.IsNaN(want) != math.IsNaN(got) || math.Abs(got-want) > tol {
				t.Fatalf("masked at (%d,%d): got %v, want %v (%d pairs)", dx, dy, got, want, len(a))
			}
			if !math.IsNaN(got) {
				defined++
			}
			if p := m.Pairs[(dy-minDY)*m.Cols+dx-minDX]; int(p) != len(a) {
				t.Fatalf("pairs at (%d,%d) = %d, want %d", dx, dy, p, len(a))
			}
			if pc, n := g.PairwiseCorrelation(tm, rg, dx, dy); n != len(a) || (n >= 2 && math.Abs(pc-refPearson(a, b)) > tol) {
				t.Fatalf("PairwiseCorrelation at (%d,%d) = %v,%d, want %v,%d", dx, dy, pc, n, refPearson(a, b), len(a))
			}
			if w, g := refZeroFilled(g, tm, rg, oy, ox), z.At(dx, dy); math.Abs(w-g) > tol {
				t.Fatalf("zero-filled at (%d,%d): got %v, want %v", dx, dy, g, w)
			}
		}
	}
	return defined
}

// Random geometries, shift bounds, minimum overlaps and missing fractions
// (including none on either side, which take the fast paths).
func TestCorrelatorRandomGeometries(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 5))
	checked := 0
	for range 40 {
		g := Geometry{TemplateRows: 1 + rng.IntN(12), TemplateCols: 1 + rng.IntN(12),
			RegionRows: 1 + rng.IntN(30), RegionCols: 1 + rng.IntN(30)}
		if rng.IntN(2) == 0 {
			g.MaxShiftX, g.MaxShiftY = rng.IntN(10), rng.IntN(10)
		}
		nans := []float64{0, 0.05, 0.4}
		tm := randField(rng, g.TemplateRows, g.TemplateCols, nans[rng.IntN(3)])
		rg := randField(rng, g.RegionRows, g.RegionCols, nans[rng.IntN(3)])
		if _, sd, n := meanSD(tm); n < 2 || sd == 0 {
			continue // PrepareTemplate refuses it (tested elsewhere)
		}
		checkCorrelator(t, g, tm, rg, 2+rng.IntN(6))
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d geometries checked", checked)
	}
}

func TestCorrelatorFFTSize(t *testing.T) {
	for _, c := range []struct {
		g      Geometry
		fr, fc int
	}{
		{Geometry{TemplateRows: 68, TemplateCols: 68, RegionRows: 204, RegionCols: 204}, 288, 288},
		{Geometry{TemplateRows: 68, TemplateCols: 68, RegionRows: 204, RegionCols: 204, MaxShiftX: 67, MaxShiftY: 67}, 216, 216},
		{Geometry{TemplateRows: 5, TemplateCols: 5, RegionRows: 11, RegionCols: 11}, 15, 16},
	} {
		cc, err := NewCrossCorrelator(c.g)
		if err != nil {
			t.Fatal(err)
		}
		if fr, fc := cc.FFTSize(); fr != c.fr || fc != c.fc {
			t.Errorf("%+v: FFT size %d×%d, want %d×%d", c.g, fr, fc, c.fr, c.fc)
		}
	}
}

// A template cut from the region at a known shift is found there exactly,
// with correlation 1, by both modes.
func TestCorrelatorRecoversKnownShift(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	g := Geometry{TemplateRows: 17, TemplateCols: 16, RegionRows: 51, RegionCols: 48}
	c, err := NewCrossCorrelator(g)
	if err != nil {
		t.Fatal(err)
	}
	rg := randField(rng, g.RegionRows, g.RegionCols, 0.15)
	for _, s := range [][2]int{{0, 0}, {5, -3}, {-12, 9}, {15, 16}, {-16, -17}} {
		dx, dy := s[0], s[1]
		oy, ox := g.Origin(dx, dy)
		tm := make([]float64, g.TemplateRows*g.TemplateCols)
		for i := range g.TemplateRows {
			for j := range g.TemplateCols {
				tm[i*g.TemplateCols+j] = rg[(i+oy)*g.RegionCols+j+ox]
			}
		}
		// A few holes in the template that the region does not have.
		tm[3] = math.NaN()
		tm[40] = math.NaN()
		mt, err := c.PrepareTemplate(nil, tm, ModeMasked)
		if err != nil {
			t.Fatal(err)
		}
		m, err := c.MaskedNCC(nil, mt, rg, 100)
		if err != nil {
			t.Fatal(err)
		}
		gx, gy, v, ok := m.ArgMax()
		if !ok || gx != dx || gy != dy || math.Abs(v-1) > 1e-9 {
			t.Errorf("masked: shift (%d,%d): found (%d,%d) value %v ok %v", dx, dy, gx, gy, v, ok)
		}
		zt, err := c.PrepareTemplate(nil, tm, ModeZeroFilled)
		if err != nil {
			t.Fatal(err)
		}
		z, err := c.ZeroFilledCCF(nil, zt, rg)
		if err != nil {
			t.Fatal(err)
		}
		if gx, gy, _, ok := z.ArgMax(); !ok || gx != dx || gy != dy {
			t.Errorf("zero-filled: shift (%d,%d): found (%d,%d)", dx, dy, gx, gy)
		}
	}
}

func TestCorrelatorDegenerateInputs(t *testing.T) {
	g := Geometry{TemplateRows: 4, TemplateCols: 4, RegionRows: 8, RegionCols: 8}
	c, err := NewCrossCorrelator(g)
	if err != nil {
		t.Fatal(err)
	}
	constant := make([]float64, 16)
	for i := range constant {
		constant[i] = 2
	}
	allNaN := make([]float64, 16)
	fillNaN(allNaN)
	for _, tm := range [][]float64{constant, allNaN} {
		for _, mode := range []Mode{ModeMasked, ModeZeroFilled} {
			if _, err := c.PrepareTemplate(nil, tm, mode); !errors.Is(err, ErrNoVariance) {
				t.Errorf("%v: err = %v, want ErrNoVariance", mode, err)
			}
		}
	}
	if _, err := c.PrepareTemplate(nil, make([]float64, 15), ModeMasked); err == nil {
		t.Error("wrong template length accepted")
	}
	if _, err := NewCrossCorrelator(Geometry{TemplateRows: 0, TemplateCols: 3, RegionRows: 3, RegionCols: 3}); err == nil {
		t.Error("zero size accepted")
	}
	if _, err := NewCrossCorrelator(Geometry{TemplateRows: 3000, TemplateCols: 3000, RegionRows: 3000, RegionCols: 3000}); err == nil {
		t.Error("a 6000² transform was accepted")
	}
	if _, err := NewCrossCorrelator(Geometry{TemplateRows: 3, TemplateCols: 3, RegionRows: 3, RegionCols: 3, MaxShiftX: -1}); err == nil {
		t.Error("negative shift bound accepted")
	}
	rng := rand.New(rand.NewPCG(1, 1))
	tm := randField(rng, 4, 4, 0)
	mt, _ := c.PrepareTemplate(nil, tm, ModeMasked)
	zt, _ := c.PrepareTemplate(nil, tm, ModeZeroFilled)
	if _, err := c.ZeroFilledCCF(nil, mt, make([]float64, 64)); err == nil {
		t.Error("template of the wrong mode accepted")
	}
	if _, err := c.MaskedNCC(nil, mt, make([]float64, 63), 2); err == nil {
		t.Error("wrong region length accepted")
	}
	region := make([]float64, 64)
	fillNaN(region)
	for _, f := range []func() (*Map, error){
		func() (*Map, error) { return c.MaskedNCC(nil, mt, region, 2) },
		func() (*Map, error) { return c.ZeroFilledCCF(nil, zt, region) },
	} {
		m, err := f()
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, ok := m.ArgMax(); ok {
			t.Error("all-NaN region gave a maximum")
		}
	}
}

func TestMapArgMaxTieBreak(t *testing.T) {
	nan := math.NaN()
	m := &Map{Rows: 3, Cols: 3, MinDX: -1, MinDY: -1, V: []float64{
		0.5, nan, 0.9,
		0.9, 0.1, nan,
		0.2, 0.9, 0.3,
	}}
	// Three ties at 0.9: (1,-1) d=2, (-1,0) d=1, (0,1) d=1 → (-1,0) (smaller dy).
	if dx, dy, v, ok := m.ArgMax(); !ok || dx != -1 || dy != 0 || v != 0.9 {
		t.Errorf("ArgMax = (%d,%d) %v %v, want (-1,0) 0.9", dx, dy, v, ok)
	}
	m.V[4] = 0.9 // centre now ties and is nearest zero
	if dx, dy, _, _ := m.ArgMax(); dx != 0 || dy != 0 {
		t.Errorf("ArgMax = (%d,%d), want (0,0)", dx, dy)
	}
}

// Steady state: no allocation once template, map and buffers exist.
func TestCorrelatorAllocs(t *testing.T) {
	g := Geometry{TemplateRows: 12, TemplateCols: 12, RegionRows: 36, RegionCols: 36}
	c, _ := NewCrossCorrelator(g)
	rng := rand.New(rand.NewPCG(5, 6))
	tm := randField(rng, 12, 12, 0.1)
	rg := randField(rng, 36, 36, 0.1)
	var mt, zt Template
	var m Map
	run := func() {
		if _, err := c.PrepareTemplate(&mt, tm, ModeMasked); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PrepareTemplate(&zt, tm, ModeZeroFilled); err != nil {
			t.Fatal(err)
		}
		if _, err := c.MaskedNCC(&m, &mt, rg, 10); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ZeroFilledCCF(&m, &zt, rg); err != nil {
			t.Fatal(err)
		}
		if _, err := c.MaskedNCC(&m, &mt, rg, 10); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if a := testing.AllocsPerRun(5, run); a != 0 {
		t.Errorf("%v allocations per run, want 0", a)
	}
}

// At the cartridge engine's size (68×68 cell, 204×204 region) with holes,
// both modes agree with the direct computation at sampled shifts, and a
// shift window gives the same values as the full range.
func TestCorrelatorCartridgeSize(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 34))
	g := Geometry{TemplateRows: 68, TemplateCols: 68, RegionRows: 204, RegionCols: 204}
	tm := randField(rng, 68, 68, 0.05)
	rg := randField(rng, 204, 204, 0.05)
	// A large missing disc in the region, like a firing-pin hole.
	for i := range 204 {
		for j := range 204 {
			if (i-60)*(i-60)+(j-140)*(j-140) < 40*40 {
				rg[i*204+j] = math.NaN()
			}
		}
	}
	full, err := NewCrossCorrelator(g)
	if err != nil {
		t.Fatal(err)
	}
	gw := g
	gw.MaxShiftX, gw.MaxShiftY = 40, 25
	win, err := NewCrossCorrelator(gw)
	if err != nil {
		t.Fatal(err)
	}
	const minPairs = 700
	mt, _ := full.PrepareTemplate(nil, tm, ModeMasked)
	m, err := full.MaskedNCC(nil, mt, rg, minPairs)
	if err != nil {
		t.Fatal(err)
	}
	zt, _ := full.PrepareTemplate(nil, tm, ModeZeroFilled)
	z, err := full.ZeroFilledCCF(nil, zt, rg)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	ztf, zrf := zscoreFill(tm), zscoreFill(rg)
	for range 400 {
		dx, dy := rng.IntN(m.Cols)+m.MinDX, rng.IntN(m.Rows)+m.MinDY
		want, n := g.PairwiseCorrelation(tm, rg, dx, dy)
		if n < minPairs {
			want = math.NaN()
		}
		got := m.At(dx, dy)
		if math.IsNaN(want) != math.IsNaN(got) || math.Abs(got-want) > 1e-9 {
			t.Fatalf("masked at (%d,%d): got %v, want %v (%d pairs)", dx, dy, got, want, n)
		}
		if !math.IsNaN(want) {
			checked++
		}
		oy, ox := g.Origin(dx, dy)
		if w := refZeroFilledZ(g, ztf, zrf, oy, ox); math.Abs(z.At(dx, dy)-w) > 1e-9 {
			t.Fatalf("zero-filled at (%d,%d): got %v, want %v", dx, dy, z.At(dx, dy), w)
		}
	}
	if checked < 50 {
		t.Fatalf("only %d sampled shifts had enough overlap", checked)
	}
	wt, _ := win.PrepareTemplate(nil, tm, ModeMasked)
	wm, err := win.MaskedNCC(nil, wt, rg, minPairs)
	if err != nil {
		t.Fatal(err)
	}
	if wm.MinDX != -40 || wm.MinDY != -25 || wm.Cols != 81 || wm.Rows != 51 {
		t.Fatalf("window map %d×%d from (%d,%d)", wm.Rows, wm.Cols, wm.MinDX, wm.MinDY)
	}
	for dy := -25; dy <= 25; dy++ {
		for dx := -40; dx <= 40; dx++ {
			a, b := wm.At(dx, dy), m.At(dx, dy)
			if math.IsNaN(a) != math.IsNaN(b) || math.Abs(a-b) > 1e-9 {
				t.Fatalf("window (%d,%d) = %v, full %v", dx, dy, a, b)
			}
		}
	}
}
