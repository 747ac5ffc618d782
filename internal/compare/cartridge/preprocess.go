package cartridge

import (
	"fmt"
	"math"

	"github.com/tracemark/tracemark/internal/surface"
)

// PreprocessConfig configures Preprocess. Lengths are in µm.
type PreprocessConfig struct {
	Preset string // name reported back ("default", "cmcr" or "custom")
	// Processed declares an already processed scan (masked, levelled,
	// band-passed, like the Fadul set): only the unit check, resampling to
	// SpacingUM, the band-pass when BandPassProcessed, border trim and
	// suitability checks run.
	Processed bool
	// BandPassProcessed band-passes processed scans again to ShortUM–LongUM
	// with Kernel, so that every scan is compared in the engine's band
	// whoever processed it. Other pipelines keep longer wavelengths: the
	// Fadul scans carry cmcR's 16–500 µm band, whose kernel is not
	// NaN-normalised and leaves form near the valid region's edges. That
	// form is shared by different firearms and, being nearly rotation
	// invariant about the firing pin, gave different-slide Fadul pairs up
	// to 15 congruent cells. Off in the cmcR preset, which compares the
	// scans as cmcR does.
	BandPassProcessed bool
	SpacingUM         float64 // target spacing (6.25 µm, Song 2014 / Chen 2017)
	// Exterior crop: NaN beyond the breech-face radius minus ShaveUM
	// (cmcR: 30 px at 3.125 µm ≈ 94 µm).
	ShaveUM float64
	// Firing-pin hole: NaN within its equivalent radius plus MarginUM
	// (cmcR: 200 px at 3.125 µm = 625 µm, which also drops the rim).
	FiringPinMarginUM float64
	// Detrend removes a plane: surface.Median (robust, cmcR's τ = 0.5
	// quantile regression) or surface.LeastSquares.
	Detrend surface.PlaneFit
	// Band-pass: wavelengths kept between ShortUM and LongUM.
	ShortUM, LongUM float64
	Kernel          surface.Kernel
	// ErodeUM erodes the valid region's edges after decimation (ACES ≈ 50
	// µm), dropping the filter's edge effects and the roll-off.
	ErodeUM float64
	// MinAreaMM2 refuses surfaces with less valid area (after processing).
	MinAreaMM2 float64
}

// PreprocessPreset returns a named configuration: "default" is Chen 2017's
// band 16–250 µm with the ISO 16610-61 Gaussian (normalised convolution);
// "cmcr" is the chain that made the Fadul processed scans (cmcR kernel,
// 16–500 µm). Both: robust plane, decimation to 6.25 µm, 50 µm erosion.
func PreprocessPreset(name string) (PreprocessConfig, error) {
	c := PreprocessConfig{
		Preset:            name,
		SpacingUM:         6.25,
		ShaveUM:           94,
		FiringPinMarginUM: 625,
		Detrend:           surface.Median,
		ShortUM:           16,
		LongUM:            250,
		Kernel:            surface.KernelISO,
		ErodeUM:           50,
		MinAreaMM2:        1,
		BandPassProcessed: true,
	}
	switch name {
	case "default", "":
		c.Preset = "default"
	case "cmcr", "cmcR-compat":
		c.Preset = "cmcr"
		c.LongUM = 500
		c.Kernel = surface.KernelCMCR
		c.BandPassProcessed = false
	default:
		return c, fmt.Errorf("cartridge: unknown preprocessing preset %q (want default or cmcr)", name)
	}
	return c, nil
}

// Step records one preprocessing step for display.
type Step struct {
	Name   string  `json:"name"`
	Detail string  `json:"detail"`
	Area   float64 `json:"valid_area_mm2"`
	NX     int     `json:"nx"`
	NY     int     `json:"ny"`
}

// Preprocessed is the outcome of Preprocess.
type Preprocessed struct {
	Map      *surface.Map `json:"-"`
	Steps    []Step       `json:"steps"`
	Warnings []string     `json:"warnings,omitempty"`
	AreaMM2  float64      `json:"valid_area_mm2"`
}

func (p *Preprocessed) step(name, detail string) {
	p.Steps = append(p.Steps, Step{Name: name, Detail: detail, Area: p.Map.ValidArea(), NX: p.Map.NX, NY: p.Map.NY})
}

// Preprocess turns a breech-face scan (µm) into the surface the comparison
// expects: square pixels at cfg.SpacingUM, the breech face only, levelled
// and band-passed. Each step is its own function. m is not modified.
//
// Units: x3p converts metres to µm. A file that wrongly stores µm where X3P
// wants metres therefore arrives with spacings near 10⁶ µm; any spacing of
// 0.1 "m" (10⁵ µm) or more is taken as such a file and every length is
// divided by 10⁶, with a warning.
//
// Refusals (errors wrapping ErrUnsuitable): a long thin strip or a
// striation-dominated texture (a bullet land, not a breech face), and less
// than cfg.MinAreaMM2 of valid surface.
func Preprocess(m *surface.Map, cfg PreprocessConfig) (*Preprocessed, error) {
	if m == nil || m.NX < 2 || m.NY < 2 || len(m.Z) != m.NX*m.NY {
		return nil, fmt.Errorf("cartridge: preprocess: empty or malformed surface")
	}
	if !(cfg.SpacingUM > 0) {
		return nil, fmt.Errorf("cartridge: preprocess: target spacing %g µm must be positive", cfg.SpacingUM)
	}
	p := &Preprocessed{Map: m.Clone()}
	p.step("input", fmt.Sprintf("%d×%d points at %g×%g µm", m.NX, m.NY, m.DX, m.DY))
	if w := fixUnits(p.Map); w != "" {
		p.Warnings = append(p.Warnings, w)
		p.step("units", w)
	}
	if err := checkUsable(p.Map, cfg, "input"); err != nil {
		return nil, err
	}
	if cfg.Processed {
		if err := p.resample(cfg); err != nil {
			return nil, err
		}
		if cfg.BandPassProcessed {
			if err := p.bandPass(cfg); err != nil {
				return nil, err
			}
		}
		return p.finish(cfg)
	}
	if r, err := cropExterior(p.Map, cfg.ShaveUM); err == nil {
		p.Map = r
		p.step("crop exterior", fmt.Sprintf("NaN beyond the breech-face radius less %g µm", cfg.ShaveUM))
	} else {
		p.Warnings = append(p.Warnings, err.Error())
	}
	if r, detail, ok := removeFiringPin(p.Map, cfg.FiringPinMarginUM); ok {
		p.Map = r
		p.step("firing pin", detail)
	} else {
		p.Warnings = append(p.Warnings, "no firing-pin hole or impression found near the centre; none removed")
	}
	lev, pl, err := p.Map.RemovePlane(cfg.Detrend)
	if err != nil {
		return nil, fmt.Errorf("%w: de-trend: %v (valid area %.2f mm²)", ErrUnsuitable, err, p.Map.ValidArea())
	}
	p.Map = lev
	p.step("de-trend", fmt.Sprintf("plane %.4g + %.4g·x + %.4g·y removed", pl.A, pl.B, pl.C))
	if err := p.bandPass(cfg); err != nil {
		return nil, err
	}
	if err := p.resample(cfg); err != nil {
		return nil, err
	}
	if cfg.ErodeUM > 0 {
		r := int(math.Round(cfg.ErodeUM / p.Map.DX))
		p.Map = erode(p.Map, r)
		p.step("erode", fmt.Sprintf("valid edges eroded by %d px (%g µm)", r, cfg.ErodeUM))
	}
	return p.finish(cfg)
}

// bandPass keeps the wavelengths between cfg.ShortUM and cfg.LongUM.
func (p *Preprocessed) bandPass(cfg PreprocessConfig) error {
	bp, err := surface.Filter{Kernel: cfg.Kernel}.BandPass(p.Map, cfg.ShortUM, cfg.LongUM)
	if err != nil {
		return fmt.Errorf("cartridge: preprocess: %w", err)
	}
	p.Map = bp
	p.step("band-pass", fmt.Sprintf("%g–%g µm, %v kernel", cfg.ShortUM, cfg.LongUM, cfg.Kernel))
	return nil
}

func (p *Preprocessed) finish(cfg PreprocessConfig) (*Preprocessed, error) {
	t, _, _ := p.Map.TrimNaN()
	if t.NX == 0 || t.NY == 0 {
		return nil, fmt.Errorf("%w: no valid point left after preprocessing", ErrUnsuitable)
	}
	p.Map = t
	p.step("trim", "all-NaN border rows and columns removed")
	p.AreaMM2 = p.Map.ValidArea()
	if err := checkUsable(p.Map, cfg, "processed"); err != nil {
		return nil, err
	}
	return p, nil
}

// fixUnits rescales a map read from a file that stored µm as metres.
func fixUnits(m *surface.Map) string {
	if m.DX < 1e5 && m.DY < 1e5 {
		return ""
	}
	const f = 1e-6
	m.DX, m.DY, m.X0, m.Y0 = m.DX*f, m.DY*f, m.X0*f, m.Y0*f
	for i, v := range m.Z {
		m.Z[i] = v * f
	}
	return fmt.Sprintf("spacing read as ≥ 0.1 m: the file stores µm, not metres; rescaled to %g×%g µm", m.DX, m.DY)
}

// resample brings the map to cfg.SpacingUM: plain decimation when the
// spacing divides it (the band-pass has already removed wavelengths below
// the new Nyquist limit), otherwise surface.Resample (anti-aliased bilinear).
func (p *Preprocessed) resample(cfg PreprocessConfig) error {
	m := p.Map
	if math.Abs(m.DX-cfg.SpacingUM) <= 1e-3*cfg.SpacingUM && math.Abs(m.DY-cfg.SpacingUM) <= 1e-3*cfg.SpacingUM {
		return nil
	}
	k := cfg.SpacingUM / m.DX
	if !cfg.Processed && math.Abs(m.DX-m.DY) <= 1e-3*m.DX && k > 1.5 && math.Abs(k-math.Round(k)) < 1e-3 {
		d, err := m.Decimate(int(math.Round(k)))
		if err != nil {
			return fmt.Errorf("cartridge: preprocess: %w", err)
		}
		p.Map = d
		p.step("decimate", fmt.Sprintf("every %d-th point: %g → %g µm", int(math.Round(k)), m.DX, d.DX))
		return nil
	}
	r, err := m.Resample(cfg.SpacingUM, cfg.SpacingUM)
	if err != nil {
		return fmt.Errorf("cartridge: preprocess: resample %g×%g µm to %g µm: %w", m.DX, m.DY, cfg.SpacingUM, err)
	}
	p.Map = r
	p.step("resample", fmt.Sprintf("%g×%g → %g µm (anti-aliased bilinear)", m.DX, m.DY, cfg.SpacingUM))
	return nil
}

// checkUsable refuses bullet lands and too small surfaces.
func checkUsable(m *surface.Map, cfg PreprocessConfig, stage string) error {
	area := m.ValidArea()
	x0, y0, x1, y1, ok := validBox(m)
	if !ok {
		return fmt.Errorf("%w: %s surface has no valid point", ErrUnsuitable, stage)
	}
	w, h := float64(x1-x0+1)*m.DX, float64(y1-y0+1)*m.DY
	if aspect := math.Max(w, h) / math.Min(w, h); aspect >= 2.5 {
		return fmt.Errorf("%w: the valid surface is a %.2f × %.2f mm strip (aspect %.1f): this looks like a bullet land, not a breech face; compare bullets with `tracemark compare DIR DIR`",
			ErrUnsuitable, w/1000, h/1000, aspect)
	}
	if stage != "processed" {
		return nil
	}
	if coh := striationCoherence(m); coh > 0.8 {
		return fmt.Errorf("%w: the texture is striated in one direction (coherence %.2f > 0.8): this looks like a bullet land, not a breech face (valid area %.2f mm²)",
			ErrUnsuitable, coh, area)
	}
	if area < cfg.MinAreaMM2 {
		return fmt.Errorf("%w: valid area %.2f mm² after preprocessing, below the %.2f mm² needed for a cell comparison",
			ErrUnsuitable, area, cfg.MinAreaMM2)
	}
	return nil
}

func validBox(m *surface.Map) (x0, y0, x1, y1 int, ok bool) {
	x0, y0, x1, y1 = m.NX, m.NY, -1, -1
	for y := range m.NY {
		for x, v := range m.Z[y*m.NX : (y+1)*m.NX] {
			if !math.IsNaN(v) {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	return x0, y0, x1, y1, x1 >= 0
}

// striationCoherence is the coherence (λ1−λ2)/(λ1+λ2) of the surface's
// gradient structure tensor summed over the valid points: near 1 when all
// gradients point one way (striations), near 0 for an isotropic texture.
func striationCoherence(m *surface.Map) float64 {
	var sxx, syy, sxy float64
	for y := 0; y+1 < m.NY; y++ {
		for x := 0; x+1 < m.NX; x++ {
			z := m.Z[y*m.NX+x]
			zx := m.Z[y*m.NX+x+1]
			zy := m.Z[(y+1)*m.NX+x]
			if math.IsNaN(z) || math.IsNaN(zx) || math.IsNaN(zy) {
				continue
			}
			gx, gy := (zx-z)/m.DX, (zy-z)/m.DY
			sxx += gx * gx
			syy += gy * gy
			sxy += gx * gy
		}
	}
	tr := sxx + syy
	if !(tr > 0) {
		return 0
	}
	return math.Sqrt((sxx-syy)*(sxx-syy)+4*sxy*sxy) / tr
}
