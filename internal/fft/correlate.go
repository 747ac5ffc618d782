package fft

import (
	"errors"
	"fmt"
	"math"
)

// ErrNoVariance is returned by PrepareTemplate when the template has fewer
// than two valid (non-NaN) pixels or all its valid pixels are equal: no
// correlation with it is defined. Callers skip such a cell.
var ErrNoVariance = errors.New("fft: template has no variance (fewer than 2 valid pixels or constant)")

// Mode selects which correlation a Template is prepared for.
type Mode int

const (
	// ModeZeroFilled is the cmcR two-stage CCF: both inputs are z-scored
	// over their valid pixels, NaN becomes 0, and the circular
	// cross-correlation is divided by the product of the two norms. Its
	// values are biased by the zero-filled holes; use it to find a shift,
	// then compute the exact correlation there (Geometry.PairwiseCorrelation).
	ModeZeroFilled Mode = iota + 1
	// ModeMasked is the masked normalised cross-correlation (Padfield 2012):
	// the exact pairwise-complete Pearson correlation at every shift.
	ModeMasked
)

func (m Mode) String() string {
	switch m {
	case ModeZeroFilled:
		return "zero-filled CCF"
	case ModeMasked:
		return "masked NCC"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Geometry describes a template (a cell) correlated against a region, both
// row-major, and the shifts wanted.
//
// Shift convention: shift (dx, dy) places the template's centre pixel at the
// region's centre pixel plus (dx, dy), dx along columns (x) and dy along rows
// (y), in pixels. The centre pixel of a side of length n is index n/2
// (integer division), so for odd n it is the middle and for even n the pixel
// just after the middle. At shift (dx, dy) template pixel (i, j) (row i,
// column j) lies on region pixel (i+oy, j+ox) with
//
//	oy = dy + RegionRows/2 - TemplateRows/2
//	ox = dx + RegionCols/2 - TemplateCols/2
//
// (see Origin). Without limits every shift where the two rectangles share at
// least one pixel is computed: ox from -(TemplateCols-1) to RegionCols-1.
type Geometry struct {
	TemplateRows, TemplateCols int
	RegionRows, RegionCols     int
	// MaxShiftX and MaxShiftY bound |dx| and |dy|. Zero means no bound
	// (every shift with any overlap). Smaller bounds allow a smaller FFT.
	MaxShiftX, MaxShiftY int
}

// Origin returns the region pixel (row, col) on which the template's
// top-left pixel lies at shift (dx, dy).
func (g Geometry) Origin(dx, dy int) (row, col int) {
	return dy + g.RegionRows/2 - g.TemplateRows/2, dx + g.RegionCols/2 - g.TemplateCols/2
}

// shiftRange returns the range of one shift component: lo..hi.
func shiftRange(tn, rn, limit int) (lo, hi int) {
	lo = -(tn - 1) + tn/2 - rn/2
	hi = rn - 1 + tn/2 - rn/2
	if limit > 0 {
		lo = max(lo, -limit)
		hi = min(hi, limit)
	}
	return lo, hi
}

func (g Geometry) validate() error {
	if g.TemplateRows <= 0 || g.TemplateCols <= 0 || g.RegionRows <= 0 || g.RegionCols <= 0 {
		return fmt.Errorf("fft: bad correlation geometry: template %d×%d, region %d×%d (sizes must be positive)",
			g.TemplateRows, g.TemplateCols, g.RegionRows, g.RegionCols)
	}
	if g.MaxShiftX < 0 || g.MaxShiftY < 0 {
		return fmt.Errorf("fft: bad correlation geometry: negative max shift (%d, %d)", g.MaxShiftX, g.MaxShiftY)
	}
	return nil
}

// PairwiseCorrelation is the direct (non-FFT) pairwise-complete Pearson
// correlation between template t and region r at shift (dx, dy): over the
// pixel pairs where both are valid and the template lies inside the region.
// It returns the correlation and the number of pairs; the correlation is NaN
// when there are fewer than 2 pairs or either side is constant over them.
// It costs O(template pixels) and allocates nothing.
func (g Geometry) PairwiseCorrelation(t, r []float64, dx, dy int) (corr float64, pairs int) {
	g.checkLens(t, r)
	oy, ox := g.Origin(dx, dy)
	i0, i1 := max(0, -oy), min(g.TemplateRows, g.RegionRows-oy)
	j0, j1 := max(0, -ox), min(g.TemplateCols, g.RegionCols-ox)
	// Two passes (means, then centred sums) for accuracy.
	var st, sr float64
	n := 0
	for i := i0; i < i1; i++ {
		trow := t[i*g.TemplateCols : (i+1)*g.TemplateCols]
		base := (i+oy)*g.RegionCols + ox
		for j := j0; j < j1; j++ {
			a, b := trow[j], r[base+j]
			if math.IsNaN(a) || math.IsNaN(b) {
				continue
			}
			st += a
			sr += b
			n++
		}
	}
	if n < 2 {
		return math.NaN(), n
	}
	mt, mr := st/float64(n), sr/float64(n)
	var stt, srr, str float64
	for i := i0; i < i1; i++ {
		trow := t[i*g.TemplateCols : (i+1)*g.TemplateCols]
		base := (i+oy)*g.RegionCols + ox
		for j := j0; j < j1; j++ {
			a, b := trow[j], r[base+j]
			if math.IsNaN(a) || math.IsNaN(b) {
				continue
			}
			a -= mt
			b -= mr
			stt += a * a
			srr += b * b
			str += a * b
		}
	}
	if stt <= 0 || srr <= 0 {
		return math.NaN(), n
	}
	return clampCorr(str / math.Sqrt(stt*srr)), n
}

func (g Geometry) checkLens(t, r []float64) {
	if len(t) != g.TemplateRows*g.TemplateCols {
		panic(fmt.Sprintf("fft: template len %d, want %d×%d", len(t), g.TemplateRows, g.TemplateCols))
	}
	if len(r) != g.RegionRows*g.RegionCols {
		panic(fmt.Sprintf("fft: region len %d, want %d×%d", len(r), g.RegionRows, g.RegionCols))
	}
}

// clampCorr limits rounding excursions beyond ±1 (c is never NaN here).
func clampCorr(c float64) float64 {
	if c > 1 {
		return 1
	}
	if c < -1 {
		return -1
	}
	return c
}

// Map holds a correlation value for every shift of a range.
//
// V[(dy-MinDY)*Cols + (dx-MinDX)] is the value at shift (dx, dy) for
// dx in MinDX..MinDX+Cols-1 and dy in MinDY..MinDY+Rows-1. A value is NaN
// where no correlation is defined (too little overlap, a constant side).
// Pairs, filled by MaskedNCC only, holds the number of valid pixel pairs
// at each shift with the same layout (nil after ZeroFilledCCF).
type Map struct {
	Rows, Cols   int
	MinDX, MinDY int
	V            []float64
	Pairs        []int32
}

// At returns the value at shift (dx, dy), or NaN outside the map.
func (m *Map) At(dx, dy int) float64 {
	c, r := dx-m.MinDX, dy-m.MinDY
	if c < 0 || r < 0 || c >= m.Cols || r >= m.Rows {
		return math.NaN()
	}
	return m.V[r*m.Cols+c]
}

// ArgMax returns the shift with the largest non-NaN value. Ties (equal
// values) go to the shift nearest zero (smallest dx²+dy²), then the
// smallest dy, then the smallest dx, so the result is deterministic. ok is
// false when every value is NaN.
func (m *Map) ArgMax() (dx, dy int, v float64, ok bool) {
	v = math.Inf(-1)
	bestD := 0
	for r := 0; r < m.Rows; r++ {
		y := r + m.MinDY
		row := m.V[r*m.Cols : (r+1)*m.Cols]
		for c, x := range row {
			if !(x >= v) { // also skips NaN
				continue
			}
			sx := c + m.MinDX
			d := sx*sx + y*y
			if x == v && ok && d >= bestD {
				continue // scan order already prefers smaller dy, dx
			}
			dx, dy, v, bestD, ok = sx, y, x, d, true
		}
	}
	if !ok {
		return 0, 0, math.NaN(), false
	}
	return dx, dy, v, true
}

func (m *Map) reset(rows, cols, minDX, minDY int, pairs bool) {
	m.Rows, m.Cols, m.MinDX, m.MinDY = rows, cols, minDX, minDY
	m.V = resizeF(m.V, rows*cols)
	if pairs {
		if cap(m.Pairs) >= rows*cols {
			m.Pairs = m.Pairs[:rows*cols]
		} else {
			m.Pairs = make([]int32, rows*cols)
		}
	} else {
		m.Pairs = m.Pairs[:0]
	}
}

func resizeF(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}

func resizeC(s []complex128, n int) []complex128 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]complex128, n)
}

// Template holds the cached spectra of one template for a CrossCorrelator
// geometry. Once prepared it is only read, so one Template may be shared by
// several goroutines, each with its own CrossCorrelator of the same geometry.
type Template struct {
	g     Geometry
	fr    int // FFT rows
	fc    int // FFT cols
	mode  Mode
	norm  float64         // ModeZeroFilled: norm of the z-scored, zero-filled template
	spec  [3][]complex128 // conjugated spectra: zero-filled z; or mask, w·z, w·z²
	valid int             // valid template pixels
	// ModeMasked without missing pixels: 2D prefix sums of z and z²
	// ((rows+1)×(cols+1)), for the fast paths of MaskedNCC.
	pz, pzz []float64
}

// Mode returns the correlation the template was prepared for.
func (t *Template) Mode() Mode { return t.mode }

// Valid returns the number of valid (non-NaN) pixels of the template.
func (t *Template) Valid() int { return t.valid }

// CrossCorrelator computes correlation maps of templates against regions of
// a fixed Geometry by FFT. It owns a Plan2D and all scratch buffers, so after
// the first call of each kind it allocates nothing (when the caller reuses its
// Map and Template values). It is not safe for concurrent use: make one per
// goroutine.
type CrossCorrelator struct {
	g                          Geometry
	minDX, maxDX, minDY, maxDY int
	fr, fc                     int // FFT size
	plan                       *Plan2D
	work                       [3][]float64 // real inputs of the transforms
	rspec                      [3][]complex128
	prod                       []complex128
	sums                       [5][]float64 // per-shift sums, masked mode
	pw, pz, pzz                []float64    // region prefix sums, masked fast paths
	// Per map column / row: overlap bounds in region and template coordinates.
	colR0, colR1, colT0, colT1 []int
	rowR0, rowR1, rowT0, rowT1 []int
}

// maxCorrelationPoints bounds the transform size of a CrossCorrelator
// (4096² points: about 130 MB per real buffer, of which it keeps three, plus
// spectra), so that a huge geometry is an error rather than an out-of-memory
// crash.
const maxCorrelationPoints = 1 << 24

// NewCrossCorrelator returns a correlator for g. The FFT size is the smallest
// 2·3·5-smooth size (even along columns) for which the circular correlation
// holds every wanted shift without wrap-around.
func NewCrossCorrelator(g Geometry) (*CrossCorrelator, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	c := &CrossCorrelator{g: g}
	c.minDX, c.maxDX = shiftRange(g.TemplateCols, g.RegionCols, g.MaxShiftX)
	c.minDY, c.maxDY = shiftRange(g.TemplateRows, g.RegionRows, g.MaxShiftY)
	c.fr = GoodSize(fftNeed(g.TemplateRows, g.RegionRows, c.minDY, c.maxDY))
	c.fc = goodEven(fftNeed(g.TemplateCols, g.RegionCols, c.minDX, c.maxDX))
	if c.fr*c.fc > maxCorrelationPoints {
		return nil, fmt.Errorf("fft: correlating a %d×%d template over a %d×%d region needs a %d×%d transform, above the limit of %d points: bound the shifts (MaxShiftX/Y) or decimate",
			g.TemplateRows, g.TemplateCols, g.RegionRows, g.RegionCols, c.fr, c.fc, maxCorrelationPoints)
	}
	c.plan = NewPlan2D(c.fr, c.fc)
	c.overlapBounds()
	// Only the output rows of wanted shifts are inverse transformed; the
	// others (in blocks of whole row blocks) keep stale values.
	c.plan.rowsNeeded = make([]bool, c.fr)
	for dy := c.minDY; dy <= c.maxDY; dy++ {
		oy, _ := g.Origin(0, dy)
		c.plan.rowsNeeded[mod(oy, c.fr)] = true
	}
	for k := range c.work {
		c.work[k] = make([]float64, c.fr*c.fc)
	}
	c.prod = make([]complex128, c.plan.SpectrumLen())
	return c, nil
}

// fftNeed returns the smallest circular length that holds the offsets of
// shifts lo..hi of a template of length tn over a region of length rn with no
// aliasing: every offset o that has any overlap satisfies -(tn-1) ≤ o ≤ rn-1,
// and a wanted offset o must not meet another such offset modulo the length.
func fftNeed(tn, rn, lo, hi int) int {
	oLo := lo - tn/2 + rn/2
	oHi := hi - tn/2 + rn/2
	return max(rn-oLo, oHi+tn, tn, rn)
}

// goodEven returns the smallest even 2·3·5-smooth size ≥ n.
func goodEven(n int) int {
	m := GoodSize(n)
	for m%2 != 0 {
		m = GoodSize(m + 1)
	}
	return m
}

// Geometry returns the geometry the correlator was made for.
func (c *CrossCorrelator) Geometry() Geometry { return c.g }

// FFTSize returns the size of the 2D transforms used.
func (c *CrossCorrelator) FFTSize() (rows, cols int) { return c.fr, c.fc }

// Shifts returns the range of shifts of every Map the correlator returns.
func (c *CrossCorrelator) Shifts() (minDX, maxDX, minDY, maxDY int) {
	return c.minDX, c.maxDX, c.minDY, c.maxDY
}

// PrepareTemplate computes and caches the spectra of template t (row-major
// TemplateRows×TemplateCols, NaN = missing) for mode, into dst (nil
// allocates) and returns it. t is not modified. It returns ErrNoVariance for
// a template with fewer than 2 valid pixels or no variance.
func (c *CrossCorrelator) PrepareTemplate(dst *Template, t []float64, mode Mode) (*Template, error) {
	if len(t) != c.g.TemplateRows*c.g.TemplateCols {
		return nil, fmt.Errorf("fft: template has %d values, want %d×%d", len(t), c.g.TemplateRows, c.g.TemplateCols)
	}
	if mode != ModeZeroFilled && mode != ModeMasked {
		return nil, fmt.Errorf("fft: unknown correlation mode %d", int(mode))
	}
	if dst == nil {
		dst = new(Template)
	}
	dst.g, dst.fr, dst.fc, dst.mode = c.g, c.fr, c.fc, mode
	mean, sd, n := meanSD(t)
	dst.valid = n
	if n < 2 || !(sd > 0) {
		dst.mode = 0
		return dst, ErrNoVariance
	}
	nspec := 1
	if mode == ModeMasked {
		nspec = 3
	}
	for k := range nspec {
		dst.spec[k] = resizeC(dst.spec[k], c.plan.SpectrumLen())
	}
	for k := nspec; k < 3; k++ {
		dst.spec[k] = nil
	}
	// Each spectrum: place the transformed template in the top-left corner
	// of the zeroed work array, transform, conjugate.
	if mode == ModeZeroFilled {
		dst.norm = math.Sqrt(c.fillZ(t, c.g.TemplateRows, c.g.TemplateCols, mean, sd))
	} else {
		c.fillMasked(t, c.g.TemplateRows, c.g.TemplateCols, mean, sd)
	}
	dst.pz, dst.pzz = dst.pz[:0], dst.pzz[:0]
	if mode == ModeMasked && n == len(t) {
		tr, tc := c.g.TemplateRows, c.g.TemplateCols
		dst.pz = prefixSums(resizeF(dst.pz, (tr+1)*(tc+1)), c.work[1], c.fc, tr, tc)
		dst.pzz = prefixSums(resizeF(dst.pzz, (tr+1)*(tc+1)), c.work[2], c.fc, tr, tc)
	}
	for k := range nspec {
		c.plan.Forward(dst.spec[k], c.work[k])
		conjugate(dst.spec[k])
	}
	return dst, nil
}

// fillZ zeroes c.work[0] and writes the z-scores (v-mean)/sd of src
// (rows×cols, NaN→0) into its top-left corner. It returns Σz².
func (c *CrossCorrelator) fillZ(src []float64, rows, cols int, mean, sd float64) (sumSq float64) {
	w := c.work[0]
	clear(w)
	inv := 1 / sd
	for i := range rows {
		out := w[i*c.fc : i*c.fc+cols]
		for j, v := range src[i*cols : (i+1)*cols] {
			if v == v { // not NaN
				z := (v - mean) * inv
				sumSq += z * z
				out[j] = z
			}
		}
	}
	return sumSq
}

// fillMasked zeroes c.work[0..2] and writes the mask (1 where valid), z and
// z² of src (rows×cols) into their top-left corners.
func (c *CrossCorrelator) fillMasked(src []float64, rows, cols int, mean, sd float64) {
	w0, w1, w2 := c.work[0], c.work[1], c.work[2]
	clear(w0)
	clear(w1)
	clear(w2)
	inv := 1 / sd
	for i := range rows {
		o0 := w0[i*c.fc : i*c.fc+cols]
		o1 := w1[i*c.fc : i*c.fc+cols]
		o2 := w2[i*c.fc : i*c.fc+cols]
		for j, v := range src[i*cols : (i+1)*cols] {
			if v == v { // not NaN
				z := (v - mean) * inv
				o0[j] = 1
				o1[j] = z
				o2[j] = z * z
			}
		}
	}
}

func conjugate(s []complex128) {
	for i, v := range s {
		s[i] = complex(real(v), -imag(v))
	}
}

// meanSD returns the mean and standard deviation (n-1 denominator) of the
// non-NaN values and their count, in one pass: sums are taken relative to
// the first valid value, which keeps the one-pass variance accurate.
func meanSD(x []float64) (mean, sd float64, n int) {
	first := 0
	for first < len(x) && math.IsNaN(x[first]) {
		first++
	}
	if first == len(x) {
		return 0, 0, 0
	}
	x0 := x[first]
	var s1, s2 float64
	for _, v := range x[first:] {
		if v == v { // not NaN
			d := v - x0
			s1 += d
			s2 += d * d
			n++
		}
	}
	if n < 2 {
		return 0, 0, n
	}
	fn := float64(n)
	v := max(0, (s2-s1*s1/fn)/(fn-1))
	return x0 + s1/fn, math.Sqrt(v), n
}

func (c *CrossCorrelator) checkCall(tmpl *Template, region []float64, mode Mode) error {
	if tmpl == nil || tmpl.mode != mode {
		got := Mode(0)
		if tmpl != nil {
			got = tmpl.mode
		}
		return fmt.Errorf("fft: template prepared for %v, want %v (call PrepareTemplate with that mode)", got, mode)
	}
	if tmpl.g != c.g || tmpl.fr != c.fr || tmpl.fc != c.fc {
		return fmt.Errorf("fft: template prepared for geometry %+v, correlator has %+v", tmpl.g, c.g)
	}
	if len(region) != c.g.RegionRows*c.g.RegionCols {
		return fmt.Errorf("fft: region has %d values, want %d×%d", len(region), c.g.RegionRows, c.g.RegionCols)
	}
	return nil
}

// ZeroFilledCCF computes the cmcR-style CCF of the template against region
// (row-major RegionRows×RegionCols, NaN = missing) into dst (nil allocates)
// at every shift of the correlator's range: both sides z-scored over their
// valid pixels, NaN set to 0, Σ t·r divided by ‖t‖·‖r‖. A region with fewer
// than 2 valid pixels or no variance gives a map of NaN. region is not
// modified.
func (c *CrossCorrelator) ZeroFilledCCF(dst *Map, tmpl *Template, region []float64) (*Map, error) {
	if err := c.checkCall(tmpl, region, ModeZeroFilled); err != nil {
		return nil, err
	}
	if dst == nil {
		dst = new(Map)
	}
	dst.reset(c.maxDY-c.minDY+1, c.maxDX-c.minDX+1, c.minDX, c.minDY, false)
	mean, sd, n := meanSD(region)
	if n < 2 || !(sd > 0) {
		fillNaN(dst.V)
		return dst, nil
	}
	sq := c.fillZ(region, c.g.RegionRows, c.g.RegionCols, mean, sd)
	c.rspec[0] = resizeC(c.rspec[0], c.plan.SpectrumLen())
	c.plan.Forward(c.rspec[0], c.work[0])
	c.correlateInto(dst.V, tmpl.spec[0], c.rspec[0], 1/(tmpl.norm*math.Sqrt(sq)))
	return dst, nil
}

// correlateInto writes scale × the circular correlation given by the
// product of the conjugated template spectrum ts and region spectrum rs,
// read at every wanted shift, into out (len = map size).
func (c *CrossCorrelator) correlateInto(out []float64, ts, rs []complex128, scale float64) {
	mulSpectra(c.prod, rs, ts)
	c.plan.Inverse(c.work[0], c.prod)
	cols := c.maxDX - c.minDX + 1
	for r, dy := 0, c.minDY; dy <= c.maxDY; r, dy = r+1, dy+1 {
		oy, ox := c.g.Origin(c.minDX, dy)
		wrow := c.work[0][mod(oy, c.fr)*c.fc:]
		orow := out[r*cols : (r+1)*cols]
		col := mod(ox, c.fc)
		for j := range orow {
			orow[j] = wrow[col] * scale
			if col++; col == c.fc {
				col = 0
			}
		}
	}
}

func mod(a, n int) int {
	a %= n
	if a < 0 {
		a += n
	}
	return a
}

func fillNaN(s []float64) {
	nan := math.NaN()
	for i := range s {
		s[i] = nan
	}
}

// pearsonFromSums returns the Pearson correlation of n pairs from their sums
// Σt, Σt², Σr, Σr², Σtr, or NaN when n < minN or a side is (numerically)
// constant. The data were standardised globally, so a per-pair variance
// below 1e-10 is treated as zero (rounding noise of the FFT sums).
func pearsonFromSums(n, st, stt, sr, srr, str float64, minN int) float64 {
	if n < float64(minN) {
		return math.NaN()
	}
	inv := 1 / n
	vt := stt - st*st*inv
	vr := srr - sr*sr*inv
	if vt <= 1e-10*n || vr <= 1e-10*n {
		return math.NaN()
	}
	return clampCorr((str - st*sr*inv) / math.Sqrt(vt*vr))
}
