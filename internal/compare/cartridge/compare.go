package cartridge

import (
	"fmt"
	"math"
	"time"

	"github.com/tracemark/tracemark/internal/fft"
	"github.com/tracemark/tracemark/internal/surface"
)

// Registration is a whole-scan alignment of the target onto the reference:
// reference pixel p shows the same place as pixel p + (DX, DY) of the target
// rotated by Theta about its centre pixel (see rotateNearest).
type Registration struct {
	Theta float64 `json:"theta_deg"`
	DX    float64 `json:"dx_px"`
	DY    float64 `json:"dy_px"`
	DXUM  float64 `json:"dx_um"`
	DYUM  float64 `json:"dy_um"`
	Corr  float64 `json:"corr"` // pairwise-complete correlation at this alignment (coarse resolution)
}

// Direction is one direction of a comparison: the reference's cells
// registered against the target.
type Direction struct {
	Reference    string       `json:"reference"`
	Target       string       `json:"target"`
	Cells        int          `json:"cells"`        // reference cells that took part
	Registration Registration `json:"registration"` // whole-scan (coarse) registration
	// Consensus is the registration the congruent cells agree on (see
	// Consensus); Corr is the mean correlation of those cells.
	Consensus Registration `json:"consensus"`
	// Results holds every (cell, rotation) result, for display and for
	// re-running the decision rules with other thresholds.
	Results []CellResult `json:"results"`
}

// Result is the outcome of comparing two scans.
type Result struct {
	A, B       string     `json:"-"`
	Mode       Mode       `json:"mode"`
	SpacingUM  float64    `json:"spacing_um"`
	CellW      int        `json:"cell_w_px"`
	CellH      int        `json:"cell_h_px"`
	AreaA      float64    `json:"valid_area_a_mm2"`
	AreaB      float64    `json:"valid_area_b_mm2"`
	Forward    Direction  `json:"forward"`  // A's cells against B
	Backward   Direction  `json:"backward"` // B's cells against A
	Decision   Decision   `json:"decision"`
	Features   Features   `json:"features"`
	Score      float64    `json:"score"`      // similarity for ranking (log-odds, see Calibration)
	Log10LR    float64    `json:"log10_lr"`   // calibrated score-based likelihood ratio
	Elapsed    float64    `json:"elapsed_ms"` // wall time of Compare
	Thresholds Thresholds `json:"thresholds"` // in px at SpacingUM
}

// Comparer holds the FFT plans and buffers of one worker. It is not safe
// for concurrent use: make one per goroutine. Its work is single-threaded.
type Comparer struct {
	cfg   Config
	calib *Calibration
	corrs map[fft.Geometry]*fft.CrossCorrelator
	rot   map[[2]int]*surface.Map // rotation buffers by target shape
	reg   []float64
	ccf   fft.Map
	tmpl  fft.Template
}

// NewComparer returns a worker for cfg that scores with calib (nil: the
// shipped calibration, DefaultCalibration).
func NewComparer(cfg Config, calib *Calibration) (*Comparer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if calib == nil {
		var err error
		if calib, err = DefaultCalibration(); err != nil {
			return nil, err
		}
	}
	return &Comparer{cfg: cfg, calib: calib, corrs: map[fft.Geometry]*fft.CrossCorrelator{}, rot: map[[2]int]*surface.Map{}}, nil
}

// Config returns the comparer's configuration.
func (c *Comparer) Config() Config { return c.cfg }

func (c *Comparer) correlator(g fft.Geometry) (*fft.CrossCorrelator, error) {
	if cc, ok := c.corrs[g]; ok {
		return cc, nil
	}
	cc, err := fft.NewCrossCorrelator(g)
	if err != nil {
		return nil, err
	}
	c.corrs[g] = cc
	return cc, nil
}

// Compare registers a and b in both directions, applies the decision rules
// and scores the pair. Both must be prepared with the comparer's Config and
// have the same spacing.
func (c *Comparer) Compare(a, b *Prepared) (*Result, error) {
	start := time.Now()
	if a.cfg != c.cfg || b.cfg != c.cfg {
		return nil, fmt.Errorf("cartridge: %s and %s were prepared with another configuration than the comparer's", a.Name, b.Name)
	}
	if math.Abs(a.Map.DX-b.Map.DX) > 1e-3*a.Map.DX {
		return nil, fmt.Errorf("cartridge: %s has %g µm pixels and %s %g µm: preprocess both to the same spacing (tracemark preprocess)",
			a.Name, a.Map.DX, b.Name, b.Map.DX)
	}
	th := c.cfg.thresholds(a.Map.DX)
	res := &Result{
		A: a.Name, B: b.Name, Mode: c.cfg.Mode, SpacingUM: a.Map.DX,
		CellW: a.cellW, CellH: a.cellH,
		AreaA: a.Map.ValidArea(), AreaB: b.Map.ValidArea(), Thresholds: th,
	}
	var err error
	if res.Forward, err = c.direction(a, b); err != nil {
		return nil, err
	}
	if res.Backward, err = c.direction(b, a); err != nil {
		return nil, err
	}
	res.Decision = Decide(res.Forward.Results, res.Backward.Results, th)
	for _, d := range []*Direction{&res.Forward, &res.Backward} {
		d.Consensus = d.Registration
		if t, x, y, corr, ok := Consensus(d.Results, th); ok {
			d.Consensus = Registration{Theta: t, DX: x, DY: y, DXUM: x * res.SpacingUM, DYUM: y * res.SpacingUM, Corr: corr}
		}
	}
	res.Features = features(res)
	res.Score, res.Log10LR = c.calib.Score(res.Features)
	res.Elapsed = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// direction registers ref's cells against tgt.
func (c *Comparer) direction(ref, tgt *Prepared) (Direction, error) {
	d := Direction{Reference: ref.Name, Target: tgt.Name, Cells: ref.UsableCells()}
	thetas := c.cfg.thetas()
	reg, err := c.globalRegistration(ref, tgt)
	if err != nil {
		return d, err
	}
	d.Registration = reg
	// Regions are RegionMultiplier × the cell side; shifts that would put
	// the cell's centre outside its region are not searched (a match that
	// far away lies in the neighbouring region's range).
	g := fft.Geometry{TemplateRows: ref.cellH, TemplateCols: ref.cellW,
		RegionRows: c.cfg.RegionMultiplier * ref.cellH, RegionCols: c.cfg.RegionMultiplier * ref.cellW}
	g.MaxShiftX, g.MaxShiftY = g.RegionCols/2, g.RegionRows/2
	if c.cfg.Mode == ModeFast {
		var near []float64
		for _, t := range thetas {
			off := math.Abs(t - d.Registration.Theta)
			if off <= c.cfg.FastSpanDeg+1e-9 || (c.cfg.FastProbeDeg > 0 && math.Abs(off-c.cfg.FastProbeDeg) < 1e-9) {
				near = append(near, t)
			}
		}
		thetas = near
	}
	cc, err := c.correlator(g)
	if err != nil {
		return d, err
	}
	tmpls := ref.cellTemplates(cc)
	maxMissing := c.cfg.MaxMissing
	for _, theta := range thetas {
		shape := [2]int{tgt.Map.NX, tgt.Map.NY}
		rot := rotateNearest(c.rot[shape], tgt.Map, theta)
		c.rot[shape] = rot
		preAlign := c.cfg.Mode == ModeFast || c.cfg.PreAlign
		// With pre-alignment, the cell at p is looked for where the best
		// whole-scan registration (θ*, d*) puts it in the target rotated by
		// θ: x = R(θ−θ*)(p + d* − c) + c, c the target's rotation centre.
		sn, cs := sinCosDeg(theta - reg.Theta)
		tcx, tcy := float64(tgt.Map.NX/2), float64(tgt.Map.NY/2)
		for i := range ref.cells {
			ce := &ref.cells[i]
			if tmpls[i] == nil {
				continue
			}
			cx, cy := ref.centre(ce)
			var offX, offY int
			if preAlign {
				ux, uy := float64(cx)+reg.DX-tcx, float64(cy)+reg.DY-tcy
				offX = int(math.Round(cs*ux - sn*uy + tcx - float64(cx)))
				offY = int(math.Round(sn*ux + cs*uy + tcy - float64(cy)))
			}
			rx0 := cx + offX - g.RegionCols/2
			ry0 := cy + offY - g.RegionRows/2
			var valid int
			c.reg, valid = window(rot, rx0, ry0, g.RegionCols, g.RegionRows, c.reg)
			if 1-float64(valid)/float64(len(c.reg)) > maxMissing {
				continue
			}
			m, err := cc.ZeroFilledCCF(&c.ccf, tmpls[i], c.reg)
			if err != nil {
				return d, err
			}
			dx, dy, v, ok := m.ArgMax()
			if !ok {
				continue
			}
			corr, _ := g.PairwiseCorrelation(ce.values, c.reg, dx, dy)
			if math.IsNaN(corr) {
				continue
			}
			d.Results = append(d.Results, CellResult{
				Row: ce.row, Col: ce.col, Theta: theta,
				DX: float64(dx + offX), DY: float64(dy + offY),
				FFTCCF: v, Corr: corr,
			})
		}
	}
	return d, nil
}

// globalRegistration aligns the coarse copies of the whole scans at every
// grid rotation and returns the alignment with the highest zero-filled CCF
// maximum, in full-resolution pixels, with the pairwise-complete
// correlation there. The rotation is chosen by the CCF, not by the
// pairwise-complete correlation: the CCF is normalised by the whole scans,
// so it weighs agreement by the overlap, whereas the pairwise correlation
// of a small overlap at a wrong rotation (edges, a few features) can beat
// that of the true one (Fadul A against 3-2: 0.44 at 27° with a sixth of
// the overlap against 0.42 at the true −6°, where the CCF is 0.34 against
// 0.12).
func (c *Comparer) globalRegistration(ref, tgt *Prepared) (Registration, error) {
	a := ref.coarse
	f := float64(c.cfg.CoarseFactor)
	limit := max(a.NX, a.NY) / 4
	g := fft.Geometry{TemplateRows: a.NY, TemplateCols: a.NX, RegionRows: tgt.coarse.NY, RegionCols: tgt.coarse.NX,
		MaxShiftX: limit, MaxShiftY: limit}
	cc, err := c.correlator(g)
	if err != nil {
		return Registration{}, err
	}
	best := Registration{Corr: math.NaN(), Theta: math.NaN()}
	bestCCF := math.Inf(-1)
	if _, err := cc.PrepareTemplate(&c.tmpl, a.Z, fft.ModeZeroFilled); err != nil {
		return Registration{}, fmt.Errorf("%w: %s has no height variation", ErrUnsuitable, ref.Name)
	}
	// Rotation about the coarse centre C differs from rotation about the
	// full-resolution centre c by (R − I)(C − c).
	cfx := f*float64(tgt.coarse.NX/2) + (f-1)/2 - float64(tgt.Map.NX/2)
	cfy := f*float64(tgt.coarse.NY/2) + (f-1)/2 - float64(tgt.Map.NY/2)
	for _, theta := range c.cfg.thetas() {
		rb := tgt.rotatedCoarse(theta)
		m, err := cc.ZeroFilledCCF(&c.ccf, &c.tmpl, rb.Z)
		if err != nil {
			return Registration{}, err
		}
		dx, dy, v, ok := m.ArgMax()
		if !ok || !(v > bestCCF) {
			continue
		}
		bestCCF = v
		corr, _ := g.PairwiseCorrelation(a.Z, rb.Z, dx, dy)
		oy, ox := g.Origin(dx, dy)
		s, co := sinCosDeg(theta)
		px := f*float64(ox) + (co-1)*cfx - s*cfy
		py := f*float64(oy) + s*cfx + (co-1)*cfy
		best = Registration{Theta: theta, DX: px, DY: py, DXUM: px * ref.Map.DX, DYUM: py * ref.Map.DY, Corr: corr}
	}
	if math.IsNaN(best.Theta) {
		return Registration{}, fmt.Errorf("%w: %s and %s do not overlap at any rotation", ErrUnsuitable, ref.Name, tgt.Name)
	}
	return best, nil
}

// Calibration returns the score model the comparer uses.
func (c *Comparer) Calibration() *Calibration { return c.calib }
