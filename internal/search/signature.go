package search

import (
	"errors"
	"fmt"
	"math"

	"github.com/tracemark/tracemark/internal/fft"
	"github.com/tracemark/tracemark/internal/surface"
)

// Signature geometry (cartridge cases, format 3). The stored features are
// computed from the processed breech face:
//
//   - the polar amplitude harmonics, from the surface resampled to
//     PolarSpacingUM on a polarMapSize² window (3.2 mm) about the valid
//     region's centroid, tapered and zero-padded to polarFFT²: the amplitude
//     spectrum at wavelengths 36–240 µm on a polar grid (Rings rings ×
//     Angles angles over 180°, each ring standardised), kept as its first
//     Harmonics harmonics along the angle. A shift of the scan leaves it
//     unchanged and a rotation turns into a phase ramp, so one cheap product
//     gives the correlation at every rotation (the rotation hypotheses);
//   - the map: the surface resampled to MapSpacingUM on a MapSize² grid
//     centred on the valid region's centroid, its valid region tapered and
//     its weighted mean removed (NaN → 0), quantised to int8. The index
//     derives from it the spectrum of the map block-averaged to
//     RegSpacingUM (RegSize²), band-limited to wavelengths ≤ regLongestUM:
//     its product with a rotated query's spectrum gives the
//     cross-correlation at every shift (the registration score).
//
// The polar spectrum is taken at 12.5 µm, not from the 25 µm map: the
// shorter wavelengths (36–60 µm) add independent samples to a statistic
// that grows only as the square of the marks two firings share (on 180
// synthetic mates the true rotation is among the two best peaks for 94 %
// instead of 90.5 %).
const (
	MapSpacingUM = 25.0
	MapSize      = 128 // 3.2 mm: larger scans are cropped about their centre
	taperUM      = 50  // width of the cosine taper inside the valid region's edge

	// PolarSpacingUM is the spacing of the surface whose amplitude spectrum
	// gives the polar harmonics.
	PolarSpacingUM = 12.5
	polarMapSize   = 256 // 3.2 mm at PolarSpacingUM
	polarFFT       = 288 // FFT side for the polar spectrum (3.6 mm: ≥ polarMapSize)
	polarRingMin   = 15  // ring radius in bins of polarFFT: 3600/15 = 240 µm
	polarRingMax   = 100 // 36 µm
	// Rings × Angles is the polar grid; Harmonics are kept per ring.
	Rings     = polarRingMax - polarRingMin + 1
	Angles    = 128 // over 180°: 1.40625° per cell
	Harmonics = 32
	// PolarLen is the length of the quantised polar harmonics (re, im).
	PolarLen = Rings * Harmonics * 2

	RegSpacingUM = 2 * MapSpacingUM // registration grid, 50 µm
	RegSize      = MapSize / 2      // 64
	regHalf      = RegSize/2 + 1
	regKMin      = 8 // wavelengths above 3200/8 = 400 µm (form, mask) are left out
	// SpectrumLen is the length of the quantised registration spectrum.
	SpectrumLen = RegSize * regHalf * 2

	// polarScale maps the normalised polar harmonics to int8 (±4 saturate).
	polarScale = 127.0 / 4
)

// AngleStepDeg is the rotation of one polar angle cell.
const AngleStepDeg = 180.0 / Angles

// ErrNoSignal is wrapped when a surface has too little valid texture for a
// signature.
var ErrNoSignal = errors.New("search: surface has too little valid texture for a signature")

// Signer computes cartridge signatures. It keeps FFT plans and buffers and
// is not safe for concurrent use: one per goroutine.
type Signer struct {
	polarPlan *fft.Plan2D
	pbuf      []float64
	ampTab    []float64
	row       []float64
	cs, sn    []float64 // angle DFT twiddles, Angles each
	phiCos    []float64 // polar sample directions, Angles each over 180°
	phiSin    []float64
}

// NewSigner returns a Signer.
func NewSigner() *Signer {
	s := &Signer{
		pbuf:   make([]float64, polarFFT*polarFFT),
		ampTab: make([]float64, (2*polarRingMax+3)*(polarRingMax+2)),
		row:    make([]float64, Angles),
		cs:     make([]float64, Angles),
		sn:     make([]float64, Angles),
		phiCos: make([]float64, Angles),
		phiSin: make([]float64, Angles),
	}
	for a := range Angles {
		s.sn[a], s.cs[a] = math.Sincos(2 * math.Pi * float64(a) / Angles)
		s.phiSin[a], s.phiCos[a] = math.Sincos(math.Pi * float64(a) / Angles)
	}
	return s
}

// Cartridge computes the coarse features of a processed breech-face surface
// (µm; NaN = missing; square pixels no coarser than MapSpacingUM). m is not
// modified.
func (s *Signer) Cartridge(m *surface.Map) (*Features, error) {
	if m == nil || m.NX < 8 || m.NY < 8 || len(m.Z) != m.NX*m.NY {
		return nil, fmt.Errorf("search: signature: empty or malformed surface")
	}
	if !(m.DX > 0) || math.Abs(m.DX-m.DY) > 1e-3*m.DX {
		return nil, fmt.Errorf("search: signature: pixels are %g×%g µm; need square pixels (preprocess the scan first)", m.DX, m.DY)
	}
	if m.DX > MapSpacingUM*1.001 {
		return nil, fmt.Errorf("search: signature: %g µm pixels are too coarse (at most %g µm)", m.DX, MapSpacingUM)
	}
	field := make([]float64, MapSize*MapSize)
	peak, err := centredField(field, m, MapSpacingUM, MapSize, MapSize)
	if err != nil {
		return nil, err
	}
	f := &Features{Kind: KindCartridge, Map: make([]int8, MapSize*MapSize), MapScale: float32(peak / 127)}
	for i, v := range field {
		f.Map[i] = int8(math.Round(v / peak * 127))
	}
	clear(s.pbuf)
	if _, err := centredField(s.pbuf, m, PolarSpacingUM, polarMapSize, polarFFT); err != nil {
		return nil, err
	}
	// Rings beyond 80 % of the surface's own Nyquist frequency carry only
	// interpolation: they are left at zero (no contribution to a product).
	ringMax := min(polarRingMax, int(polarFFT*PolarSpacingUM/(2.5*m.DX)))
	if f.Polar, err = s.polar(ringMax); err != nil {
		return nil, err
	}
	return f, nil
}

// centredField writes into dst (a stride×stride grid) the n×n window of m
// resampled to dx µm about its valid region's centroid, the valid region
// tapered over taperUM and its weighted mean removed (missing → 0), and
// returns the largest magnitude written. The window is centred on the
// valid region's centroid (for a breech face, about the firing-pin hole),
// not on the scan's frame, which cropping and trimming move; rotations
// turn about that centre.
func centredField(dst []float64, m *surface.Map, dx float64, n, stride int) (float64, error) {
	nx, ny, z := resampleTo(m, dx)
	w, valid := taperWeights(z, nx, ny, max(1, int(math.Round(taperUM/dx))))
	if minValid := int(256 * (MapSpacingUM / dx) * (MapSpacingUM / dx)); valid < minValid {
		return 0, fmt.Errorf("%w (%d valid points at %g µm)", ErrNoSignal, valid, dx)
	}
	var sw, sz, sx, sy float64
	for i, v := range z {
		if w[i] > 0 {
			sw += w[i]
			sz += w[i] * v
			sx += w[i] * float64(i%nx)
			sy += w[i] * float64(i/nx)
		}
	}
	if !(sw > 0) {
		return 0, fmt.Errorf("%w (valid region narrower than the taper)", ErrNoSignal)
	}
	mean := sz / sw
	c := float64(n-1) / 2
	ox, oy := int(math.Round(sx/sw-c)), int(math.Round(sy/sw-c))
	var peak float64
	for y := range n {
		sy := y + oy
		if sy < 0 || sy >= ny {
			continue
		}
		for x := range n {
			sx := x + ox
			if sx < 0 || sx >= nx {
				continue
			}
			if wt := w[sy*nx+sx]; wt > 0 {
				v := wt * (z[sy*nx+sx] - mean)
				dst[y*stride+x] = v
				peak = math.Max(peak, math.Abs(v))
			}
		}
	}
	if !(peak > 0) {
		return 0, fmt.Errorf("%w (no height variation)", ErrNoSignal)
	}
	return peak, nil
}

// resampleTo returns m on a grid of spacing dx µm: block means when dx is a
// whole multiple of m's spacing (NaN when fewer than half the block is
// valid), bilinear interpolation of the block means otherwise.
func resampleTo(m *surface.Map, dx float64) (nx, ny int, z []float64) {
	f := max(1, int(math.Floor(dx/m.DX+1e-6)))
	bx, by, bz := blockAverage(m, f)
	bdx := m.DX * float64(f)
	if math.Abs(bdx-dx) <= 1e-3*dx {
		return bx, by, bz
	}
	r := dx / bdx
	nx, ny = int(float64(bx)/r), int(float64(by)/r)
	z = make([]float64, nx*ny)
	for y := range ny {
		for x := range nx {
			z[y*nx+x] = bilinear(bz, bx, by, float64(x)*r, float64(y)*r)
		}
	}
	return nx, ny, z
}

// bilinear interpolates z (nx×ny) at (x, y) pixels; NaN when a corner is
// missing or outside.
func bilinear(z []float64, nx, ny int, x, y float64) float64 {
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	if x0 < 0 || y0 < 0 || x0 >= nx || y0 >= ny {
		return math.NaN()
	}
	x1, y1 := min(x0+1, nx-1), min(y0+1, ny-1)
	tx, ty := x-float64(x0), y-float64(y0)
	return (1-ty)*((1-tx)*z[y0*nx+x0]+tx*z[y0*nx+x1]) + ty*((1-tx)*z[y1*nx+x0]+tx*z[y1*nx+x1])
}

// blockAverage averages f×f blocks over their valid points (NaN when fewer
// than half are valid).
func blockAverage(m *surface.Map, f int) (nx, ny int, z []float64) {
	if f == 1 {
		return m.NX, m.NY, m.Z
	}
	nx, ny = m.NX/f, m.NY/f
	z = make([]float64, nx*ny)
	for i := range ny {
		for j := range nx {
			var s float64
			k := 0
			for y := i * f; y < i*f+f; y++ {
				for x := j * f; x < j*f+f; x++ {
					if v := m.Z[y*m.NX+x]; !math.IsNaN(v) {
						s += v
						k++
					}
				}
			}
			if 2*k >= f*f {
				z[i*nx+j] = s / float64(k)
			} else {
				z[i*nx+j] = math.NaN()
			}
		}
	}
	return nx, ny, z
}

// taperWeights returns weights in [0, 1]: 0 on missing points, rising as a
// raised cosine over r points from the edge of the valid region (the
// city-block distance to the nearest missing point or the border), so that
// the mask's edges do not dominate the spectrum.
func taperWeights(z []float64, nx, ny, r int) ([]float64, int) {
	const far = math.MaxInt32
	d := make([]int, nx*ny)
	valid := 0
	for i, v := range z {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			d[i] = 0
		} else {
			d[i] = far
			valid++
		}
	}
	// Two-pass city-block distance transform; the border counts as missing.
	for y := range ny {
		for x := range nx {
			i := y*nx + x
			if d[i] == 0 {
				continue
			}
			v := 1
			if x > 0 && y > 0 && x < nx-1 && y < ny-1 {
				v = min(d[i-1], d[i-nx]) + 1
			}
			d[i] = min(d[i], v)
		}
	}
	for y := ny - 1; y >= 0; y-- {
		for x := nx - 1; x >= 0; x-- {
			i := y*nx + x
			if d[i] == 0 {
				continue
			}
			if x < nx-1 {
				d[i] = min(d[i], d[i+1]+1)
			}
			if y < ny-1 {
				d[i] = min(d[i], d[i+nx]+1)
			}
		}
	}
	w := make([]float64, nx*ny)
	for i, di := range d {
		switch {
		case di == 0:
		case di >= r:
			w[i] = 1
		default:
			w[i] = 0.5 - 0.5*math.Cos(math.Pi*float64(di)/float64(r))
		}
	}
	return w, valid
}

// deriver computes the registration spectrum from a stored map. It keeps
// an FFT plan and buffers and is not safe for concurrent use.
type deriver struct {
	regPlan *fft.Plan2D
	rbuf    []float64
}

func newDeriver() *deriver {
	return &deriver{regPlan: fft.NewPlan2D(RegSize, RegSize), rbuf: make([]float64, RegSize*RegSize)}
}

// polar returns the quantised polar amplitude harmonics of the field in
// s.pbuf (polarFFT², zero-padded): per ring up to ringMax, harmonics
// 1..Harmonics of the ring standardised along the angle, divided by
// √Angles (re, im interleaved); rings beyond ringMax stay zero.
func (s *Signer) polar(ringMax int) ([]int8, error) {
	if s.polarPlan == nil {
		s.polarPlan = fft.NewPlan2D(polarFFT, polarFFT)
	}
	spec := s.polarPlan.Forward(nil, s.pbuf)
	const half = polarFFT/2 + 1
	// Amplitude (|F|) on the quadrants the rings reach (|kx|, |ky| ≤ polarRingMax+1),
	// as a (2R+1)×(R+1) table: ky from −R..R, kx from 0..R. The amplitude
	// rather than the log power: the log spreads the many near-zero values
	// of a periodogram, which carry no shared signal (600 synthetic mates:
	// the true rotation among the two best peaks for 90 % instead of 86 %).
	const R = polarRingMax + 1
	lp := s.ampTab[:(2*R+1)*(R+1)]
	for ky := -R; ky <= R; ky++ {
		r := ky
		if r < 0 {
			r += polarFFT
		}
		for kx := 0; kx <= R; kx++ {
			c := spec[r*half+kx]
			lp[(ky+R)*(R+1)+kx] = math.Sqrt(real(c)*real(c) + imag(c)*imag(c))
		}
	}
	amp := func(kx, ky int) float64 {
		if kx < 0 {
			kx, ky = -kx, -ky
		}
		return lp[(ky+R)*(R+1)+kx]
	}
	out := make([]int8, PolarLen)
	norm := 1 / math.Sqrt(Angles)
	for ring := range min(Rings, ringMax-polarRingMin+1) {
		k := float64(polarRingMin + ring)
		var mu float64
		for a := range Angles {
			fx, fy := k*s.phiCos[a], k*s.phiSin[a]
			x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
			tx, ty := fx-float64(x0), fy-float64(y0)
			v := (1-ty)*((1-tx)*amp(x0, y0)+tx*amp(x0+1, y0)) + ty*((1-tx)*amp(x0, y0+1)+tx*amp(x0+1, y0+1))
			s.row[a] = v
			mu += v
		}
		mu /= Angles
		var ss float64
		for _, v := range s.row {
			ss += (v - mu) * (v - mu)
		}
		if !(ss > 0) {
			return nil, fmt.Errorf("%w (flat spectrum ring)", ErrNoSignal)
		}
		inv := 1 / math.Sqrt(ss/Angles)
		for h := 1; h <= Harmonics; h++ {
			var re, im float64
			for a, v := range s.row {
				j := (h * a) % Angles
				re += (v - mu) * s.cs[j]
				im -= (v - mu) * s.sn[j]
			}
			i := 2 * (ring*Harmonics + h - 1)
			out[i] = quantPolar(re * inv * norm)
			out[i+1] = quantPolar(im * inv * norm)
		}
	}
	return out, nil
}

func quantPolar(v float64) int8 {
	return int8(max(-127, min(127, math.Round(v*polarScale))))
}

// regMap samples a stored map at RegSpacingUM on the RegSize² grid, turned
// by theta degrees about the centre: each output pixel is the mean of 2×2
// bilinear samples of the map (an exact block mean at theta = 0).
func regMap(dst []float64, m []int8, scale float32, theta float64) {
	sn, cs := math.Sincos(theta * math.Pi / 180)
	const c = float64(MapSize-1) / 2
	s := float64(scale) / 4
	for oy := range RegSize {
		for ox := range RegSize {
			var v float64
			for sy := range 2 {
				uy := float64(2*oy+sy) - c
				for sx := range 2 {
					ux := float64(2*ox+sx) - c
					v += sampleMap(m, cs*ux-sn*uy+c, sn*ux+cs*uy+c)
				}
			}
			dst[oy*RegSize+ox] = v * s
		}
	}
}

// sampleMap interpolates a stored map bilinearly at (x, y) pixels; 0
// outside it.
func sampleMap(m []int8, x, y float64) float64 {
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	if x0 < 0 || y0 < 0 || x0 >= MapSize-1 || y0 >= MapSize-1 {
		return 0
	}
	tx, ty := x-float64(x0), y-float64(y0)
	i := y0*MapSize + x0
	return (1-ty)*((1-tx)*float64(m[i])+tx*float64(m[i+1])) + ty*((1-tx)*float64(m[i+MapSize])+tx*float64(m[i+MapSize+1]))
}

// regWeights holds, per half-spectrum cell (row r, column k) of a RegSize²
// transform, the weight (|k|/16)^1.5 inside the registration band and 0
// outside. The band-passed breech face has most of its power at long
// wavelengths; the stored spectrum is multiplied by the weight before
// quantisation (it flattens it), so the registration correlates the maps
// with each wavelength weighted by it: a half whitening, which at 10,000
// synthetic exhibits kept 2 of the 19 mates the plain correlation lost,
// where full whitening (the weight squared) lost 4 more (the shortest
// wavelengths suffer most from the angle step). Read-only after
// initialisation.
var regWeights = func() []float64 {
	w := make([]float64, RegSize*regHalf)
	for r := range RegSize {
		ky := r
		if r > RegSize/2 {
			ky = r - RegSize
		}
		for k := range regHalf {
			if f := math.Hypot(float64(k), float64(ky)); f >= regKMin {
				w[r*regHalf+k] = math.Pow(f/16, 1.5)
			}
		}
	}
	return w
}()

// regSpectrum returns the band-limited spectrum of a registration map and
// its norm (√ of the weighted energy over the whole plane, by Parseval).
func (d *deriver) regSpectrum(dst []complex128, x []float64) ([]complex128, float64) {
	spec := d.regPlan.Forward(dst, x)
	var e float64
	for r := range RegSize {
		for k := range regHalf {
			i := r*regHalf + k
			if regWeights[i] == 0 {
				spec[i] = 0
				continue
			}
			w := 2.0
			if k == 0 || k == RegSize/2 {
				w = 1
			}
			e += w * regWeights[i] * (real(spec[i])*real(spec[i]) + imag(spec[i])*imag(spec[i]))
		}
	}
	return spec, math.Sqrt(e)
}

// cartridgeRow is what the index keeps per cartridge case.
type cartridgeRow struct {
	polar    []int8 // PolarLen, quantised by polarScale
	spectrum []int8 // SpectrumLen, flattened and quantised by specScale
	specStep float32
	specNorm float32
}

// derive computes an index row from stored features.
func (d *deriver) derive(f *Features) (cartridgeRow, error) {
	row := cartridgeRow{polar: f.Polar, spectrum: make([]int8, SpectrumLen)}
	regMap(d.rbuf, f.Map, f.MapScale, 0)
	spec, norm := d.regSpectrum(nil, d.rbuf)
	if !(norm > 0) {
		return cartridgeRow{}, fmt.Errorf("%w (nothing in the registration band)", ErrNoSignal)
	}
	var peak float64
	for i, w := range regWeights {
		c := spec[i]
		peak = math.Max(peak, w*math.Max(math.Abs(real(c)), math.Abs(imag(c))))
	}
	row.specStep = float32(peak / 127)
	row.specNorm = float32(norm)
	for i, w := range regWeights {
		if w > 0 {
			c := spec[i]
			row.spectrum[2*i] = int8(math.Round(w * real(c) / peak * 127))
			row.spectrum[2*i+1] = int8(math.Round(w * imag(c) / peak * 127))
		}
	}
	return row, nil
}
