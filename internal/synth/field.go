package synth

import (
	"math"
	"math/cmplx"
	"math/rand/v2"

	"github.com/tracemark/tracemark/internal/fft"
)

// gaussAlpha is the ISO 16610-61 Gaussian filter constant √(ln 2 / π): a
// wavelength equal to the cut-off is transmitted at 50 %.
var gaussAlpha = math.Sqrt(math.Ln2 / math.Pi)

// bandGain is the amplitude transmission of an ISO-style Gaussian band-pass
// with short cut-off loUM and long cut-off hiUM (µm) at spatial frequency f
// (1/µm). A non-positive cut-off disables that side.
func bandGain(f, loUM, hiUM float64) float64 {
	g := 1.0
	if loUM > 0 {
		a := gaussAlpha * loUM * f
		g *= math.Exp(-math.Pi * a * a)
	}
	if hiUM > 0 {
		a := gaussAlpha * hiUM * f
		g *= 1 - math.Exp(-math.Pi*a*a)
	}
	return g
}

// bandField returns a rows×cols Gaussian random field on spacing dx (µm) whose
// power spectrum falls as f^−beta, band-limited between the wavelengths loUM
// and hiUM by Gaussian filters, normalised to zero mean and unit RMS.
func bandField(r *rand.Rand, rows, cols int, dx, loUM, hiUM, beta float64) []float64 {
	return newSpectrum(rows, cols, dx, loUM, hiUM, beta).field(r)
}

// spectrum is the amplitude spectrum of the fields bandField makes, computed
// once for a grid and reused for many fields. Not safe for concurrent use.
type spectrum struct {
	plan       *fft.Plan2D
	rows, cols int
	amp        []float64 // per half-spectrum coefficient; 0 at DC
	buf        []complex128
}

func newSpectrum(rows, cols int, dx, loUM, hiUM, beta float64) *spectrum {
	half := cols/2 + 1
	s := &spectrum{plan: fft.NewPlan2D(rows, cols), rows: rows, cols: cols,
		amp: make([]float64, rows*half), buf: make([]complex128, rows*half)}
	for i := 0; i < rows; i++ {
		fi := i
		if fi > rows/2 {
			fi -= rows
		}
		fy := float64(fi) / (float64(rows) * dx)
		for k := 0; k < half; k++ {
			fx := float64(k) / (float64(cols) * dx)
			if f := math.Hypot(fx, fy); f > 0 {
				s.amp[i*half+k] = math.Pow(f, -beta/2) * bandGain(f, loUM, hiUM)
			}
		}
	}
	return s
}

// field draws one field (zero mean, unit RMS) from r.
func (s *spectrum) field(r *rand.Rand) []float64 {
	rows, half := s.rows, s.cols/2+1
	spec := s.buf
	for i, a := range s.amp {
		if i == 0 {
			spec[0] = 0 // no mean
			continue
		}
		spec[i] = complex(a*r.NormFloat64(), a*r.NormFloat64())
	}
	// The columns k = 0 and k = cols/2 (even cols) must be Hermitian along
	// the rows for the inverse transform to be real.
	hermitian := func(k int) {
		for i := 1; i < rows; i++ {
			if j := rows - i; j < i {
				spec[i*half+k] = cmplx.Conj(spec[j*half+k])
			} else if j == i {
				spec[i*half+k] = complex(real(spec[i*half+k]), 0)
			}
		}
		spec[k] = complex(real(spec[k]), 0)
	}
	hermitian(0)
	if s.cols%2 == 0 {
		hermitian(s.cols / 2)
	}
	out := s.plan.Inverse(nil, spec)
	normalise(out)
	return out
}

// normalise scales v in place to zero mean and unit RMS (finite values only).
func normalise(v []float64) {
	var s, ss float64
	n := 0
	for _, x := range v {
		if !math.IsNaN(x) {
			s += x
			n++
		}
	}
	if n == 0 {
		return
	}
	mean := s / float64(n)
	for _, x := range v {
		if !math.IsNaN(x) {
			ss += (x - mean) * (x - mean)
		}
	}
	rms := math.Sqrt(ss / float64(n))
	if rms == 0 {
		rms = 1
	}
	for i, x := range v {
		v[i] = (x - mean) / rms
	}
}

// grid is a square field sampled at spacing dx around its centre.
type grid struct {
	n  int
	dx float64
	v  []float64
}

// at returns the bilinear interpolation of g at (x, y) µm from its centre,
// clamping to the border.
func (g *grid) at(x, y float64) float64 {
	c := float64(g.n-1) / 2
	fx := x/g.dx + c
	fy := y/g.dx + c
	maxI := float64(g.n - 1)
	fx = math.Max(0, math.Min(fx, maxI))
	fy = math.Max(0, math.Min(fy, maxI))
	x0, y0 := int(fx), int(fy)
	if x0 == g.n-1 {
		x0--
	}
	if y0 == g.n-1 {
		y0--
	}
	tx, ty := fx-float64(x0), fy-float64(y0)
	i := y0*g.n + x0
	a := g.v[i] + tx*(g.v[i+1]-g.v[i])
	b := g.v[i+g.n] + tx*(g.v[i+g.n+1]-g.v[i+g.n])
	return a + ty*(b-a)
}

// profile is a 1-D function tabulated at step h from u0 (µm), read by linear
// interpolation and clamped at its ends.
type profile struct {
	u0, h float64
	v     []float64
}

func (p *profile) at(u float64) float64 {
	f := (u - p.u0) / p.h
	if f <= 0 {
		return p.v[0]
	}
	last := len(p.v) - 1
	if f >= float64(last) {
		return p.v[last]
	}
	i := int(f)
	t := f - float64(i)
	return p.v[i] + t*(p.v[i+1]-p.v[i])
}
