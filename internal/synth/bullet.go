package synth

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tracemark/tracemark/internal/fft"
	"github.com/tracemark/tracemark/internal/surface"
)

// BulletConfig describes a set of synthetic bullets. Zero values take the
// documented defaults.
type BulletConfig struct {
	Barrels int // number of barrels (≥ 1)
	Bullets int // bullets fired per barrel (≥ 1)
	Lands   int // lands per barrel; default 6

	Seed      uint64
	SpacingUM float64 // lateral spacing, µm; default 1.5625 (Hamby); 0.5–20 accepted

	// NoiseSNR is the RMS ratio of the barrel's striation signature to the
	// bullet's own (non-reproducible) striation; default 2. One land
	// in ten is also engraved weakly (signature at 20–50 %), as real lands are. +Inf gives
	// noise-free lands (apart from the scanner's white noise).
	NoiseSNR float64

	Damage       bool // add base break-off, tank-rash blobs and missing bands
	ShuffleLands bool // scan each bullet's lands from a random starting land (phase)

	LandWidthUM  float64 // scanned width, µm; default 2000
	LandHeightUM float64 // scanned height along the bullet axis, µm; default 600
}

// Defaults of BulletConfig.
const (
	DefaultBulletSpacingUM = 1.5625
	DefaultBulletSNR       = 2
	DefaultLands           = 6
	DefaultLandWidthUM     = 2000
	DefaultLandHeightUM    = 600
)

// bullet model constants (µm unless stated).
const (
	bulletRadiusUM  = 4500 // 9 mm bullet
	signatureRMSUM  = 1.0  // RMS of a barrel land's striation signature
	scannerNoiseUM  = 0.05 // white measurement noise
	striaePerMM     = 35   // density of Gaussian ridges and grooves
	profileStepUM   = 0.25 // tabulation step of striation profiles
	maxShotShiftUM  = 60   // scan window offset per bullet
	maxShearDeg     = 1.0  // twist of the striae against the scan rows
	profileMarginUM = 200  // profile length beyond the land on each side
	weakLandShare   = 0.1  // share of lands the barrel engraves poorly
)

func (c BulletConfig) withDefaults() (BulletConfig, error) {
	if c.Lands == 0 {
		c.Lands = DefaultLands
	}
	if c.SpacingUM == 0 {
		c.SpacingUM = DefaultBulletSpacingUM
	}
	if c.NoiseSNR == 0 {
		c.NoiseSNR = DefaultBulletSNR
	}
	if c.LandWidthUM == 0 {
		c.LandWidthUM = DefaultLandWidthUM
	}
	if c.LandHeightUM == 0 {
		c.LandHeightUM = DefaultLandHeightUM
	}
	switch {
	case c.Barrels < 1 || c.Bullets < 1:
		return c, fmt.Errorf("synth: bullets: need at least 1 barrel and 1 bullet per barrel, got %d and %d", c.Barrels, c.Bullets)
	case c.Lands < 1 || c.Lands > 64:
		return c, fmt.Errorf("synth: bullets: lands must be 1–64, got %d", c.Lands)
	case !(c.SpacingUM >= 0.5 && c.SpacingUM <= 20):
		return c, fmt.Errorf("synth: bullets: spacing must be 0.5–20 µm, got %g", c.SpacingUM)
	case !(c.NoiseSNR > 0):
		return c, fmt.Errorf("synth: bullets: NoiseSNR must be positive (or +Inf), got %g", c.NoiseSNR)
	case !(c.LandWidthUM >= 200 && c.LandWidthUM <= 10000):
		return c, fmt.Errorf("synth: bullets: land width must be 200–10000 µm, got %g", c.LandWidthUM)
	case !(c.LandHeightUM >= 20 && c.LandHeightUM <= 10000):
		return c, fmt.Errorf("synth: bullets: land height must be 20–10000 µm, got %g", c.LandHeightUM)
	}
	return c, nil
}

// Bullets returns one Scan per land of every bullet: barrel by barrel,
// bullet by bullet, lands in scan order.
func Bullets(cfg BulletConfig) ([]Scan, error) {
	var out []Scan
	err := EachBullet(cfg, func(s Scan) error { out = append(out, s); return nil })
	return out, err
}

// EachBullet generates the scans of Bullets one at a time and hands each to
// fn, stopping at the first error fn returns.
func EachBullet(cfg BulletConfig, fn func(Scan) error) error {
	c, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	for b := 0; b < c.Barrels; b++ {
		barrelID := fmt.Sprintf("barrel-%03d", b+1)
		lands := make([]barrelLand, c.Lands)
		for l := range lands {
			lands[l] = newBarrelLand(newRand(c.Seed, tagBarrelLand, uint64(b), uint64(l)), c)
		}
		for j := 0; j < c.Bullets; j++ {
			bulletID := fmt.Sprintf("%s-bullet-%03d", barrelID, j+1)
			phase := 0
			if c.ShuffleLands {
				phase = newRand(c.Seed, tagBullet, uint64(b), uint64(j)).IntN(c.Lands)
			}
			for i := 0; i < c.Lands; i++ {
				l := (i + phase) % c.Lands
				r := newRand(c.Seed, tagBulletLand, uint64(b), uint64(j), uint64(l))
				m, tr := lands[l].engrave(r, c)
				tr.SourceID, tr.ShotID, tr.BulletID = barrelID, bulletID, bulletID
				tr.Land, tr.BarrelLand = i+1, l+1
				tr.LandSourceID = fmt.Sprintf("%s-land-%d", barrelID, l+1)
				s := Scan{Name: fmt.Sprintf("%s-land-%d", bulletID, i+1), Kind: KindBulletLand, Surface: m, Truth: tr}
				if err := fn(s); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// barrelLand is what one land of a barrel engraves on every bullet.
type barrelLand struct {
	signature  profile    // striation signature across the land, u in µm from the land centre
	edge       [2]float64 // left and right end of the land-engraved area, u in µm
	shoulderH  [2]float64 // height of the groove shoulders, µm
	shoulderW  [2]float64 // width of the shoulder slopes, µm
	shoulderLo float64    // extent of the profile tables (u of the first sample)
}

func newBarrelLand(r *rand.Rand, c BulletConfig) barrelLand {
	half := c.LandWidthUM / 2
	u0 := -half - profileMarginUM
	bl := barrelLand{
		signature:  striae(r, u0, c.LandWidthUM+2*profileMarginUM, signatureRMSUM),
		shoulderLo: u0,
	}
	for s := range 2 {
		inset := uniform(r, 0.06, 0.12) * c.LandWidthUM
		bl.edge[s] = (2*float64(s) - 1) * (half - inset)
		bl.shoulderH[s] = uniform(r, 30, 80)
		bl.shoulderW[s] = uniform(r, 20, 60)
	}
	return bl
}

// striae returns a striation profile over [u0, u0+length] µm: a sum of
// Gaussian ridges and grooves (FWHM 2–30 µm, depth 0.1–2 µm) plus a
// band-limited fractal component (5–200 µm, f^−2), scaled to the given RMS.
func striae(r *rand.Rand, u0, length, rms float64) profile {
	n := fft.GoodSize(int(math.Ceil(length/profileStepUM)) + 1)
	v := make([]float64, n)
	count := int(math.Round(striaePerMM * length / 1000))
	for range count {
		centre := uniform(r, u0, u0+length)
		fwhm := math.Exp(uniform(r, math.Log(2), math.Log(30)))
		sigma := fwhm / (2 * math.Sqrt(2*math.Ln2))
		depth := uniform(r, 0.1, 2)
		if r.IntN(2) == 0 {
			depth = -depth
		}
		lo := max(0, int((centre-4*sigma-u0)/profileStepUM))
		hi := min(n-1, int((centre+4*sigma-u0)/profileStepUM)+1)
		for i := lo; i <= hi; i++ {
			d := (u0 + float64(i)*profileStepUM - centre) / sigma
			v[i] += depth * math.Exp(-0.5*d*d)
		}
	}
	normalise(v)
	fractal := bandField(r, 1, n, profileStepUM, 5, 200, 2)
	for i := range v {
		v[i] += 0.6 * fractal[i]
	}
	normalise(v)
	for i := range v {
		v[i] *= rms
	}
	return profile{u0: u0, h: profileStepUM, v: v}
}

// smoothstep rises from 0 at t ≤ 0 to 1 at t ≥ 1 with zero slope at both ends.
func smoothstep(t float64) float64 {
	t = math.Max(0, math.Min(1, t))
	return t * t * (3 - 2*t)
}

// engrave renders the land as one bullet carries it and returns the map
// with the truth about its geometry (shift, grooves, break-off).
func (bl *barrelLand) engrave(r *rand.Rand, c BulletConfig) (*surface.Map, Truth) {
	nx := max(2, int(math.Round(c.LandWidthUM/c.SpacingUM)))
	ny := max(2, int(math.Round(c.LandHeightUM/c.SpacingUM)))
	m := surface.New(nx, ny, c.SpacingUM, c.SpacingUM)

	amp := uniform(r, 0.85, 1.15)
	if r.Float64() < weakLandShare {
		amp = uniform(r, 0.2, 0.5) // a poorly engraved land: the barrel's marks barely show
	}
	offset := uniform(r, -maxShotShiftUM, maxShotShiftUM)
	shear := math.Tan(uniform(r, -maxShearDeg, maxShearDeg) * math.Pi / 180)
	axis := offset + uniform(r, -50, 50) // cylinder axis, u coordinate
	slopeY := uniform(r, -0.01, 0.01)
	var edge [2]float64
	for s := range 2 {
		edge[s] = bl.edge[s] + uniform(r, -10, 10)
	}
	u0 := bl.shoulderLo - maxShotShiftUM
	span := c.LandWidthUM + 2*(profileMarginUM+maxShotShiftUM)
	own := striae(r, u0, span, 1) // this bullet's own, non-reproducible striation
	ownRMS := 0.0
	if !math.IsInf(c.NoiseSNR, 1) {
		ownRMS = signatureRMSUM / c.NoiseSNR
	}
	grooveRMS := 1.5 * signatureRMSUM // groove-engraved area: unrelated marks

	halfW := c.LandWidthUM / 2 // land centre, fixed in µm whatever the grid
	midY := float64(ny-1) * c.SpacingUM / 2
	for row := 0; row < ny; row++ {
		y := float64(ny-1-row) * c.SpacingUM // height above the base (the last row)
		for col := 0; col < nx; col++ {
			u := float64(col)*c.SpacingUM - halfW + offset // position on the land
			us := u - (y-midY)*shear                       // along the (twisted) striae
			mark := amp*bl.signature.at(us) + ownRMS*own.at(us)
			// Groove shoulders: outside the land-engraved area the surface
			// rises steeply to the groove-engraved area.
			var rise, outside float64
			if d := edge[0] - u; d > 0 {
				t := d / bl.shoulderW[0]
				outside, rise = smoothstep(t), bl.shoulderH[0]*smoothstep(t)
				if t > 0.25 && t < 0.9 && r.Float64() < 0.35 {
					continue // steep slope: the scanner lost the point
				}
			} else if d := u - edge[1]; d > 0 {
				t := d / bl.shoulderW[1]
				outside, rise = smoothstep(t), bl.shoulderH[1]*smoothstep(t)
				if t > 0.25 && t < 0.9 && r.Float64() < 0.35 {
					continue
				}
			}
			if outside > 0 {
				mark = (1-outside)*mark + outside*grooveRMS*own.at(-us)
			}
			du := u - axis
			curve := math.Sqrt(bulletRadiusUM*bulletRadiusUM-du*du) - bulletRadiusUM
			z := curve + rise + mark + slopeY*y + scannerNoiseUM*r.NormFloat64()
			if r.Float64() < 0.002 {
				continue // isolated dropout
			}
			m.Z[row*nx+col] = z
		}
	}
	breakOff := 0.0
	if c.Damage {
		breakOff = damageLand(r, m)
	}
	tr := Truth{
		ShiftXUM:      offset,
		GrooveLeftUM:  edge[0] + halfW - offset,
		GrooveRightUM: edge[1] + halfW - offset,
		BreakOffUM:    breakOff,
	}
	return m, tr
}

// damageLand adds, each with some probability, a break-off at the base, tank
// rash (dented blobs whose striae are destroyed) and missing bands. It
// returns the height of the break-off above the base (0 if none).
func damageLand(r *rand.Rand, m *surface.Map) float64 {
	dx := m.DX
	w, h := float64(m.NX)*dx, float64(m.NY)*dx
	breakOff := 0.0
	if r.Float64() < 0.5 {
		// An irregular edge over most of the width from one side, highest
		// at that side.
		top := uniform(r, 0.08, 0.25) * h
		cover := uniform(r, 0.6, 1) * w
		fromLeft := r.IntN(2) == 0
		phase, waves := uniform(r, 0, 2*math.Pi), uniform(r, 1, 3)
		for col := 0; col < m.NX; col++ {
			x := float64(col) * dx
			if !fromLeft {
				x = w - x
			}
			if x > cover {
				continue
			}
			edge := top * (0.75 + 0.25*math.Sin(phase+2*math.Pi*waves*x/w)) * (1 - 0.4*x/cover)
			for k := 0; k < m.NY && float64(k)*dx < edge; k++ {
				m.Z[(m.NY-1-k)*m.NX+col] = math.NaN() // k rows above the base
			}
		}
		// Report the height below which at least half of every row is now
		// missing (the break-off plus earlier dropouts): a cross-cut must lie
		// above it.
		for k := 0; k < m.NY; k++ {
			missing := 0
			for _, z := range m.Z[(m.NY-1-k)*m.NX : (m.NY-k)*m.NX] {
				if math.IsNaN(z) {
					missing++
				}
			}
			if 2*missing < m.NX {
				break
			}
			breakOff = float64(k+1) * dx
		}
	}
	if r.Float64() < 0.4 {
		for range 1 + r.IntN(3) {
			cx, cy := uniform(r, 0, w), uniform(r, 0, h)
			rx, ry := uniform(r, 30, 150), uniform(r, 20, 100)
			depth := uniform(r, 1, 8)
			for row := 0; row < m.NY; row++ {
				for col := 0; col < m.NX; col++ {
					ex := (float64(col)*dx - cx) / rx
					ey := (float64(row)*dx - cy) / ry
					d2 := ex*ex + ey*ey
					i := row*m.NX + col
					if d2 < 1 && !math.IsNaN(m.Z[i]) {
						m.Z[i] += -depth*(1-d2) + 1.5*r.NormFloat64()
					}
				}
			}
		}
	}
	if r.Float64() < 0.25 {
		// A band of rows lost across the whole land.
		y0 := uniform(r, 0.3, 0.9) * h
		y1 := y0 + uniform(r, 10, 60)
		for row := 0; row < m.NY; row++ {
			if y := float64(row) * dx; y >= y0 && y < y1 {
				for col := 0; col < m.NX; col++ {
					m.Z[row*m.NX+col] = math.NaN()
				}
			}
		}
	}
	if r.Float64() < 0.15 {
		// A narrow band of columns lost over the full height.
		x0 := uniform(r, 0.2, 0.8) * w
		x1 := x0 + uniform(r, 10, 40)
		for col := 0; col < m.NX; col++ {
			if x := float64(col) * dx; x >= x0 && x < x1 {
				for row := 0; row < m.NY; row++ {
					m.Z[row*m.NX+col] = math.NaN()
				}
			}
		}
	}
	return breakOff
}
