package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/tracemark/tracemark/internal/fft"
	"github.com/tracemark/tracemark/internal/surface"
)

// CartridgeConfig describes a set of synthetic cartridge-case breech-face
// scans. Zero values take the documented defaults.
type CartridgeConfig struct {
	Firearms int // number of firearms (≥ 1)
	Shots    int // firings per firearm (≥ 1)

	Seed      uint64
	SpacingUM float64 // lateral spacing, µm; default 6.25 (Fadul); 0.5–50 accepted
	SizePX    int     // scan width and height in points; default 400

	// NoiseSNR is the RMS ratio of the breech-face signal to the firing's own
	// band-limited noise; default 2. +Inf leaves only a faint scanner noise.
	NoiseSNR float64

	// RotationRangeDeg bounds the firing's rotation θ ~ U(−r, r), in degrees;
	// default 30, at most 180.
	RotationRangeDeg float64

	// ConsecutiveWeight is the share (0–0.9) of the breech-face field that is
	// common to all firearms of the run, like the sub-class marks of
	// consecutively manufactured slides; the individual weight w_ind of
	// algorithms.md §7.2 is 1 − ConsecutiveWeight. Default 0.
	ConsecutiveWeight float64

	// ClassMarks adds machining lines (parallel or arched sinusoids of one
	// wavelength and direction for the whole run, a random phase per firearm).
	ClassMarks bool

	// Raw emits scans as an instrument delivers them: tilt, curvature, a
	// firing-pin impression with a raised rim, spikes, NaN outside the primer.
	// Otherwise scans look already processed (like the Fadul set): a levelled
	// band-limited field on an annulus with the firing-pin hole missing.
	Raw bool
}

// Defaults of CartridgeConfig.
const (
	DefaultCartridgeSpacingUM = 6.25
	DefaultCartridgeSizePX    = 400
	DefaultCartridgeSNR       = 2
	DefaultRotationRangeDeg   = 30
)

// Cartridge model constants (µm unless stated).
const (
	breechRMSUM    = 1.5  // RMS of a firearm's breech-face field
	breechShortUM  = 16   // band of the breech-face field (and of the noise)
	breechLongUM   = 250  //
	breechBeta     = 3    // spectral exponent of the field
	maxShiftUM     = 200  // per-firing shift of the template, each axis
	classMarkShare = 0.6  // amplitude of class marks against the unit field
	cartScannerUM  = 0.05 // white scanner noise
	coarseN        = 64   // size of the coarse grids for contact and waviness
)

func (c CartridgeConfig) withDefaults() (CartridgeConfig, error) {
	if c.SpacingUM == 0 {
		c.SpacingUM = DefaultCartridgeSpacingUM
	}
	if c.SizePX == 0 {
		c.SizePX = DefaultCartridgeSizePX
	}
	if c.NoiseSNR == 0 {
		c.NoiseSNR = DefaultCartridgeSNR
	}
	if c.RotationRangeDeg == 0 {
		c.RotationRangeDeg = DefaultRotationRangeDeg
	}
	switch {
	case c.Firearms < 1 || c.Shots < 1:
		return c, fmt.Errorf("synth: cartridges: need at least 1 firearm and 1 shot per firearm, got %d and %d", c.Firearms, c.Shots)
	case !(c.SpacingUM >= 0.5 && c.SpacingUM <= 50):
		return c, fmt.Errorf("synth: cartridges: spacing must be 0.5–50 µm, got %g", c.SpacingUM)
	case c.SizePX < 32 || c.SizePX > 2048:
		return c, fmt.Errorf("synth: cartridges: size must be 32–2048 points, got %d", c.SizePX)
	case !(c.NoiseSNR > 0):
		return c, fmt.Errorf("synth: cartridges: NoiseSNR must be positive (or +Inf), got %g", c.NoiseSNR)
	case !(c.RotationRangeDeg > 0 && c.RotationRangeDeg <= 180):
		return c, fmt.Errorf("synth: cartridges: rotation range must be in (0, 180] degrees, got %g", c.RotationRangeDeg)
	case !(c.ConsecutiveWeight >= 0 && c.ConsecutiveWeight <= 0.9):
		return c, fmt.Errorf("synth: cartridges: consecutive weight must be 0–0.9, got %g", c.ConsecutiveWeight)
	}
	return c, nil
}

// Cartridges returns Firearms×Shots scans, firearm by firearm.
func Cartridges(cfg CartridgeConfig) ([]Scan, error) {
	var out []Scan
	err := EachCartridge(cfg, func(s Scan) error { out = append(out, s); return nil })
	return out, err
}

// EachCartridge generates the scans of Cartridges one at a time and hands
// each to fn, stopping at the first error fn returns. Only one firearm's
// template is held in memory at a time.
func EachCartridge(cfg CartridgeConfig, fn func(Scan) error) error {
	c, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	n := templateSize(c)
	tplSpec := newSpectrum(n, n, c.SpacingUM, breechShortUM, breechLongUM, breechBeta)
	var shared []float64
	if c.ConsecutiveWeight > 0 {
		shared = tplSpec.field(newRand(c.Seed, tagShared))
	}
	class := newClassMarks(newRand(c.Seed, tagShared, 1))
	noiseSpec := noiseSpectrum(c)
	for g := 0; g < c.Firearms; g++ {
		firearmID := fmt.Sprintf("firearm-%03d", g+1)
		tpl := firearmTemplate(newRand(c.Seed, tagFirearm, uint64(g)), c, tplSpec, shared, class)
		for s := 0; s < c.Shots; s++ {
			shotID := fmt.Sprintf("%s-shot-%02d", firearmID, s+1)
			m, tr := fire(newRand(c.Seed, tagShot, uint64(g), uint64(s)), c, tpl, noiseSpec)
			tr.SourceID, tr.ShotID = firearmID, shotID
			if err := fn(Scan{Name: shotID, Kind: KindCartridge, Surface: m, Truth: tr}); err != nil {
				return err
			}
		}
	}
	return nil
}

// templateSize is the side of the firearm template grid: it covers the scan
// under any rotation and shift.
func templateSize(c CartridgeConfig) int {
	side := float64(c.SizePX)*math.Sqrt2 + 2*(maxShiftUM/c.SpacingUM) + 8
	return fft.GoodSize(int(math.Ceil(side)))
}

// classMarks are machining lines shared by the make: a wavelength, a
// direction and a curvature (0 = parallel lines).
type classMarks struct {
	wavelength, sin, cos, curvature float64
}

func newClassMarks(r *rand.Rand) classMarks {
	s, c := math.Sincos(uniform(r, 0, math.Pi))
	cm := classMarks{wavelength: uniform(r, 60, 150), sin: s, cos: c}
	if r.IntN(2) == 0 {
		cm.curvature = uniform(r, 1, 4) / 10000 // arched: radius 2.5–10 mm
	}
	return cm
}

// at returns the class-mark height (unit amplitude) at (x, y) µm for phase φ.
func (cm classMarks) at(x, y, phase float64) float64 {
	across := cm.cos*x + cm.sin*y
	along := -cm.sin*x + cm.cos*y
	return math.Sin(2*math.Pi*(across+cm.curvature*along*along)/cm.wavelength + phase)
}

// firearmTemplate returns the firearm's breech-face field on the spectrum's
// square grid centred on the template origin, in µm.
func firearmTemplate(r *rand.Rand, c CartridgeConfig, spec *spectrum, shared []float64, class classMarks) *grid {
	n := spec.rows
	v := spec.field(r)
	if shared != nil {
		wi, ws := math.Sqrt(1-c.ConsecutiveWeight), math.Sqrt(c.ConsecutiveWeight)
		for i := range v {
			v[i] = wi*v[i] + ws*shared[i]
		}
	}
	if c.ClassMarks {
		phase := uniform(r, 0, 2*math.Pi)
		mid := float64(n-1) / 2
		for row := 0; row < n; row++ {
			for col := 0; col < n; col++ {
				x, y := (float64(col)-mid)*c.SpacingUM, (float64(row)-mid)*c.SpacingUM
				v[row*n+col] += classMarkShare * class.at(x, y, phase)
			}
		}
	}
	normalise(v)
	for i := range v {
		v[i] *= breechRMSUM
	}
	return &grid{n: n, dx: c.SpacingUM, v: v}
}

// coarseField returns a smooth random field (unit RMS) covering a square of
// side lengthUM around the scan centre, with features of about lengthUM/scale.
func coarseField(r *rand.Rand, lengthUM, scale float64) *grid {
	dx := lengthUM / (coarseN - 8)
	return &grid{n: coarseN, dx: dx, v: bandField(r, coarseN, coarseN, dx, lengthUM/scale, 0, 3)}
}

// fire renders one firing of the firearm whose template is tpl.
func fire(r *rand.Rand, c CartridgeConfig, tpl *grid, noiseSpec *spectrum) (*surface.Map, Truth) {
	n := c.SizePX
	dx := c.SpacingUM
	side := float64(n) * dx
	tr := Truth{
		RotationDeg: uniform(r, -c.RotationRangeDeg, c.RotationRangeDeg),
		ShiftXUM:    uniform(r, -maxShiftUM, maxShiftUM),
		ShiftYUM:    uniform(r, -maxShiftUM, maxShiftUM),
	}
	amp := uniform(r, 0.8, 1.2)
	sinT, cosT := math.Sincos(tr.RotationDeg * math.Pi / 180)

	// Partial contact: a smooth field thresholded to the chosen coverage.
	contact := coarseField(r, side, 4)
	coverage := uniform(r, 0.4, 0.9)
	sorted := slices.Clone(contact.v)
	slices.Sort(sorted)
	threshold := sorted[int((1-coverage)*float64(len(sorted)-1))]

	noiseRMS := 0.0
	if !math.IsInf(c.NoiseSNR, 1) {
		noiseRMS = breechRMSUM / c.NoiseSNR
	}
	noise := noiseSpec.field(r)

	// Primer and firing-pin hole, relative to the scan centre.
	mid := float64(n-1) / 2 * dx
	pcx, pcy := uniform(r, -3, 3)*dx, uniform(r, -3, 3)*dx
	hcx, hcy := pcx+uniform(r, -20, 20), pcy+uniform(r, -20, 20)
	var primerR float64
	if c.Raw {
		primerR = uniform(r, 0.42, 0.47) * side
	} else {
		primerR = uniform(r, 0.40, 0.46) * side
	}
	holeR := uniform(r, 0.25, 0.35) * primerR
	innerR := holeR * uniform(r, 1.08, 1.18) // processed: the annulus starts outside the rim

	var wavy *grid
	var tiltX, tiltY, sag, offset, pinDepth, rimH, rimW float64
	if c.Raw {
		wavy = coarseField(r, side, 3)
		tiltX, tiltY = uniform(r, -0.02, 0.02), uniform(r, -0.02, 0.02)
		sag = uniform(r, -6, 6) / (primerR * primerR) // paraboloid: ±6 µm at the primer edge
		offset = uniform(r, -20, 20)
		pinDepth = uniform(r, 40, 120)
		rimH, rimW = uniform(r, 3, 12), uniform(r, 0.03, 0.06)*primerR
	}

	m := surface.New(n, n, dx, dx)
	for row := 0; row < n; row++ {
		py := float64(row)*dx - mid
		for col := 0; col < n; col++ {
			px := float64(col)*dx - mid
			dp := math.Hypot(px-pcx, py-pcy)
			dh := math.Hypot(px-hcx, py-hcy)
			if dp > primerR || (!c.Raw && dh < innerR) {
				continue
			}
			w := smoothstep((contact.at(px, py)-threshold)/0.5 + 0.5)
			qx := cosT*px - sinT*py + tr.ShiftXUM
			qy := sinT*px + cosT*py + tr.ShiftYUM
			z := amp*w*tpl.at(qx, qy) + noiseRMS*noise[row*n+col] + cartScannerUM*r.NormFloat64()
			if c.Raw {
				if dh < holeR {
					// Firing-pin impression: a rounded dent without breech-face marks;
					// its steep wall loses points.
					t := dh / holeR
					z = noiseRMS*noise[row*n+col] - pinDepth*math.Sqrt(1-t*t)
					if t > 0.85 && r.Float64() < 0.6 {
						continue
					}
				}
				e := (dh - holeR) / rimW
				z += rimH*math.Exp(-e*e) + wavy.at(px, py) + tiltX*px + tiltY*py + sag*dp*dp + offset
				if r.Float64() < 0.0003 {
					z += uniform(r, 5, 30) * float64(1-2*r.IntN(2)) // spike
				}
			}
			m.Z[row*n+col] = z
		}
	}
	dropouts(r, m)
	if !c.Raw {
		levelMean(m)
	}
	return m, tr
}

// dropouts removes a few small clusters and isolated points (NaN).
func dropouts(r *rand.Rand, m *surface.Map) {
	for range r.IntN(6) {
		cx, cy := r.IntN(m.NX), r.IntN(m.NY)
		rad := 1 + r.IntN(4)
		for y := max(0, cy-rad); y <= min(m.NY-1, cy+rad); y++ {
			for x := max(0, cx-rad); x <= min(m.NX-1, cx+rad); x++ {
				if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= rad*rad {
					m.Z[y*m.NX+x] = math.NaN()
				}
			}
		}
	}
	for i := range m.Z {
		if r.Float64() < 0.001 {
			m.Z[i] = math.NaN()
		}
	}
}

// levelMean subtracts the mean of the valid points.
func levelMean(m *surface.Map) {
	var s float64
	k := 0
	for _, v := range m.Z {
		if !math.IsNaN(v) {
			s += v
			k++
		}
	}
	if k == 0 {
		return
	}
	mean := s / float64(k)
	for i := range m.Z {
		m.Z[i] -= mean
	}
}

// noiseSpectrum is the spectrum of a firing's own band-limited noise.
func noiseSpectrum(c CartridgeConfig) *spectrum {
	return newSpectrum(c.SizePX, c.SizePX, c.SpacingUM, breechShortUM, breechLongUM, breechBeta)
}
