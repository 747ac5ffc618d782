package surface

import (
	"math"

	"github.com/tracemark/tracemark/internal/fft"
)

// isoLowPassFFT is isoLowPass computed with 2D FFTs (half kernels kx, ky):
// the numerator z·w and the denominator w are zero padded to at least
// NX+R × NY+R (so the circular convolution does not wrap into the map),
// transformed, multiplied by the separable kernel's spectrum (the outer
// product of the two 1D spectra, real as the kernel is symmetric) and
// transformed back.
func isoLowPassFFT(m *Map, kx, ky []float64, minWeight float64) *Map {
	nx, ny := m.NX, m.NY
	out := &Map{NX: nx, NY: ny, DX: m.DX, DY: m.DY, X0: m.X0, Y0: m.Y0, Z: make([]float64, len(m.Z))}
	rows, cols := fft.GoodSize(ny+len(ky)-1), fft.GoodSize(nx+len(kx)-1)
	plan := fft.NewPlan2D(rows, cols)
	zw := make([]float64, rows*cols)
	w := make([]float64, rows*cols)
	for r := 0; r < ny; r++ {
		for c := 0; c < nx; c++ {
			if v := m.Z[r*nx+c]; !math.IsNaN(v) {
				zw[r*cols+c], w[r*cols+c] = v, 1
			}
		}
	}
	sz := plan.Forward(nil, zw)
	sw := plan.Forward(nil, w)
	hx, hy := kernelSpectrum(kx, cols)[:cols/2+1], kernelSpectrum(ky, rows)
	half := cols/2 + 1
	for r := 0; r < rows; r++ {
		for k := 0; k < half; k++ {
			g := complex(hy[r]*hx[k], 0)
			sz[r*half+k] *= g
			sw[r*half+k] *= g
		}
	}
	plan.Inverse(zw, sz)
	plan.Inverse(w, sw)
	for r := 0; r < ny; r++ {
		for c := 0; c < nx; c++ {
			i := r*nx + c
			d := w[r*cols+c]
			if math.IsNaN(m.Z[i]) || d < minWeight || d <= 0 {
				out.Z[i] = math.NaN()
				continue
			}
			out.Z[i] = zw[r*cols+c] / d
		}
	}
	return out
}

// kernelSpectrum returns the DFT (real, the kernel being symmetric) of the
// symmetric half kernel k placed circularly on n points.
func kernelSpectrum(k []float64, n int) []float64 {
	h := make([]float64, n)
	for f := range h {
		s := k[0]
		for t := 1; t < len(k); t++ {
			s += 2 * k[t] * math.Cos(2*math.Pi*float64(f*t%n)/float64(n))
		}
		h[f] = s
	}
	return h
}
