package search

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"

	"github.com/tracemark/tracemark/internal/fft"
	"github.com/tracemark/tracemark/internal/surface"
)

// Signature geometry (cartridge cases). The processed breech face is
// block-averaged to about SignatureSpacingUM, its valid region tapered, and
// its log power spectrum sampled on a polar grid of Rings × Angles cells
// between the wavelengths ShortestUM and LongestUM. The power spectrum does
// not change when the scan is shifted, and turns with the scan: a rotation is
// a circular shift along the angle axis (period 180°, the spectrum of a real
// surface being centro-symmetric).
const (
	SignatureSpacingUM = 12.5
	ShortestUM         = 25.0  // Nyquist at SignatureSpacingUM
	LongestUM          = 250.0 // long cut-off of the breech-face band (Chen 2017)
	Rings              = 24
	Angles             = 64 // 180°/64 = 2.8125° per cell
	Harmonics          = 16 // |DFT| along the angle kept per ring (1..Harmonics)
	taperUM            = 50 // width of the cosine taper inside the valid region's edge

	// VectorDim is the length of the rotation-invariant coarse vector.
	VectorDim = Rings * Harmonics
	// PolarLen is the length of the polar log-spectrum.
	PolarLen = Rings * Angles
	// polarScale maps standardised polar values to int8 (±4σ saturate).
	polarScale = 127.0 / 4
)

// AngleStepDeg is the rotation of one polar angle cell.
const AngleStepDeg = 180.0 / Angles

// ErrNoSignal is wrapped when a surface has too little valid texture for a
// signature.
var ErrNoSignal = errors.New("search: surface has too little valid texture for a signature")

// Signer computes cartridge signatures. It keeps FFT plans and buffers
// between calls and is not safe for concurrent use: one per goroutine.
type Signer struct {
	plans map[[2]int]*fft.Plan2D
	buf   []float64
	spec  []complex128
}

// NewSigner returns a Signer.
func NewSigner() *Signer { return &Signer{plans: map[[2]int]*fft.Plan2D{}} }

// Cartridge computes the coarse features of a processed breech-face surface
// (µm; NaN = missing; square pixels of at most SignatureSpacingUM·1.5). m is
// not modified.
func (s *Signer) Cartridge(m *surface.Map) (*Features, error) {
	if m == nil || m.NX < 8 || m.NY < 8 || len(m.Z) != m.NX*m.NY {
		return nil, fmt.Errorf("search: signature: empty or malformed surface")
	}
	if !(m.DX > 0) || math.Abs(m.DX-m.DY) > 1e-3*m.DX {
		return nil, fmt.Errorf("search: signature: pixels are %g×%g µm; need square pixels (preprocess the scan first)", m.DX, m.DY)
	}
	f := max(1, int(math.Round(SignatureSpacingUM/m.DX)))
	dx := m.DX * float64(f)
	if dx > 1.5*SignatureSpacingUM {
		return nil, fmt.Errorf("search: signature: %g µm pixels are too coarse (at most %g µm)", m.DX, 1.5*SignatureSpacingUM)
	}
	nx, ny, z := blockAverage(m, f)
	w, valid := taperWeights(z, nx, ny, max(1, int(math.Round(taperUM/dx))))
	if valid < 64 {
		return nil, fmt.Errorf("%w (%d valid points at %g µm)", ErrNoSignal, valid, dx)
	}
	// Weighted mean and RMS, then the tapered, normalised field.
	var sw, sz float64
	for i, v := range z {
		if w[i] > 0 {
			sw += w[i]
			sz += w[i] * v
		}
	}
	if !(sw > 0) {
		return nil, fmt.Errorf("%w (valid region narrower than the taper)", ErrNoSignal)
	}
	mean := sz / sw
	n := fft.GoodSize(max(nx, ny))
	key := [2]int{n, n}
	plan, ok := s.plans[key]
	if !ok {
		plan = fft.NewPlan2D(n, n)
		s.plans[key] = plan
	}
	if cap(s.buf) < n*n {
		s.buf = make([]float64, n*n)
	}
	buf := s.buf[:n*n]
	clear(buf)
	var ss float64
	for y := range ny {
		for x := range nx {
			if wt := w[y*nx+x]; wt > 0 {
				v := wt * (z[y*nx+x] - mean)
				buf[y*n+x] = v
				ss += v * v
			}
		}
	}
	if !(ss > 0) {
		return nil, fmt.Errorf("%w (no height variation)", ErrNoSignal)
	}
	if len(s.spec) != plan.SpectrumLen() {
		s.spec = make([]complex128, plan.SpectrumLen())
	}
	spec := plan.Forward(s.spec, buf)
	polar, err := polarLogSpectrum(spec, n, dx)
	if err != nil {
		return nil, err
	}
	return newCartridgeFeatures(polar), nil
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

// polarLogSpectrum averages log power over the polar cells (ring by spatial
// frequency, angle in [0°, 180°)) and standardises each ring to zero mean and
// unit variance; empty cells take the ring mean (0).
func polarLogSpectrum(spec []complex128, n int, dx float64) ([]float32, error) {
	half := n/2 + 1
	fmin, fmax := 1/float64(LongestUM), 1/float64(ShortestUM)
	df := 1 / (float64(n) * dx) // cycles/µm per bin
	sum := make([]float64, PolarLen)
	cnt := make([]int, PolarLen)
	for r := range n {
		ky := r
		if r > n/2 {
			ky = r - n
		}
		fy := float64(ky) * df
		for kx := range half {
			fx := float64(kx) * df
			f := math.Hypot(fx, fy)
			if f < fmin || f >= fmax {
				continue
			}
			ring := int((f - fmin) / (fmax - fmin) * Rings)
			ang := math.Atan2(fy, fx) * 180 / math.Pi // (−90, 90]
			if ang < 0 {
				ang += 180
			}
			a := int(ang/AngleStepDeg) % Angles
			p := cmplx.Abs(spec[r*half+kx])
			i := ring*Angles + a
			sum[i] += math.Log(p*p + 1e-30)
			cnt[i]++
		}
	}
	out := make([]float32, PolarLen)
	for ring := range Rings {
		var s, ss float64
		k := 0
		for a := range Angles {
			i := ring*Angles + a
			if cnt[i] > 0 {
				sum[i] /= float64(cnt[i])
				s += sum[i]
				k++
			}
		}
		if k < 2 {
			return nil, fmt.Errorf("%w (scan too small for the %g–%g µm band)", ErrNoSignal, ShortestUM, LongestUM)
		}
		mean := s / float64(k)
		for a := range Angles {
			if i := ring*Angles + a; cnt[i] > 0 {
				ss += (sum[i] - mean) * (sum[i] - mean)
			}
		}
		sd := math.Sqrt(ss / float64(k))
		if !(sd > 0) {
			continue
		}
		for a := range Angles {
			if i := ring*Angles + a; cnt[i] > 0 {
				out[i] = float32((sum[i] - mean) / sd)
			}
		}
	}
	return out, nil
}

// rotationInvariant returns, per ring, the magnitudes of harmonics
// 1..Harmonics of the polar values along the angle, centred and scaled to
// unit length (cosine similarity = dot product).
func rotationInvariant(polar []float32) []float32 {
	v := make([]float32, VectorDim)
	var cs, sn [Angles]float64
	for a := range Angles {
		sn[a], cs[a] = math.Sincos(2 * math.Pi * float64(a) / Angles)
	}
	for ring := range Rings {
		row := polar[ring*Angles : (ring+1)*Angles]
		for h := 1; h <= Harmonics; h++ {
			var re, im float64
			for a, x := range row {
				k := (h * a) % Angles
				re += float64(x) * cs[k]
				im += float64(x) * sn[k]
			}
			v[ring*Harmonics+h-1] = float32(math.Hypot(re, im))
		}
	}
	normalise(v)
	return v
}

// normalise centres v and scales it to unit length (left as zeros when
// constant).
func normalise(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x)
	}
	mean := s / float64(len(v))
	var ss float64
	for i := range v {
		v[i] -= float32(mean)
		ss += float64(v[i]) * float64(v[i])
	}
	if ss == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range v {
		v[i] *= inv
	}
}
