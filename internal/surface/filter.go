package surface

import (
	"fmt"
	"math"
)

// Kernel selects the Gaussian weighting function and how missing points are
// handled by a Filter.
type Kernel int

const (
	// KernelISO is the ISO 16610-61 areal Gaussian: the separable weighting
	// s(x) = (1/(αλ))·exp(−π (x/(αλ))²), α = √(ln 2/π), which transmits 50 %
	// of the amplitude at the cut-off λ (σ = αλ/√(2π) ≈ 0.1874·λ), truncated
	// at ±ceil(3σ) points. Missing points are handled by normalised
	// convolution: out = G∗(z·w) / G∗w with w = 1 where z is valid and 0
	// where it is NaN or outside the map. That is a zeroth-order Gaussian
	// regression filter: a constant passes unchanged however many holes
	// surround it, and the border is not damped. Large kernels on large maps
	// are applied by FFT (internal/fft), small ones by separable passes over
	// the valid spans; both agree to about 1e-14.
	KernelISO Kernel = iota
	// KernelCMCR reproduces the cmcR package (preProcess_gaussFilter): a
	// Gaussian with σ = λ/(2π) µm (50 % transmission near 0.85·λ), truncated
	// at ±ceil(2.6σ) points and normalised to sum 1. It is not NaN-aware: the
	// valid heights are mean-centred, NaN is set to 0 and the map is
	// convolved with zero padding, so values near holes and the border are
	// pulled towards 0; the NaN positions are restored at the end. The mean
	// is not added back, so LowPass returns the low-pass of the centred map.
	KernelCMCR
)

func (k Kernel) String() string {
	switch k {
	case KernelISO:
		return "iso"
	case KernelCMCR:
		return "cmcR-compat"
	}
	return fmt.Sprintf("Kernel(%d)", int(k))
}

// Filter is an areal Gaussian filter for maps. The zero value is the ISO
// 16610-61 filter with normalised convolution.
//
// Every method returns a new map and leaves its input unchanged. A point that
// is NaN in the input is NaN in the output; with KernelISO and MinWeight > 0
// more points may become NaN (see MinWeight). Cut-off wavelengths are in µm
// and must be positive and finite; the map's DX and DY convert them to
// points.
type Filter struct {
	Kernel Kernel
	// MinWeight (KernelISO only, 0…1) sets to NaN every output point where
	// the valid share of the kernel's weight, G∗w / ΣG, is below it, e.g.
	// 0.3 to drop points whose local mean rests mostly on extrapolation near
	// holes and borders. 0, the default, keeps every valid point.
	MinWeight float64
	// Order (KernelISO only) is the degree of the local polynomial of the
	// Gaussian regression filter: 0, the default, is the normalised
	// convolution above (a local weighted mean); 2 fits a local quadratic
	// in x and y by weighted least squares at every point (ISO 16610-71
	// style second-order Gaussian regression, as in Chen 2017), which follows
	// form and curvature up to the edges of holes and of the map instead of
	// flattening them. Its weighting uses α₂ ≈ 0.7309 instead of α so that
	// it still transmits 50 % at the cut-off, truncated at ±4σ; it costs
	// about fifteen times the zeroth order (21 moment images instead of 2).
	// Where the valid points around a point do not determine a quadratic (an
	// isolated point, a one-pixel line), that point falls back to the zeroth
	// order.
	Order int
}

// GaussianLowPass returns the ISO 16610-61 Gaussian low-pass of m at cut-off
// lambdaC µm (normalised convolution; see Filter and KernelISO).
func GaussianLowPass(m *Map, lambdaC float64) (*Map, error) {
	return Filter{}.LowPass(m, lambdaC)
}

// GaussianHighPass returns m minus its ISO Gaussian low-pass at lambdaC µm.
func GaussianHighPass(m *Map, lambdaC float64) (*Map, error) {
	return Filter{}.HighPass(m, lambdaC)
}

// GaussianBandPass returns the ISO Gaussian band-pass of m keeping
// wavelengths between lambdaS and lambdaC µm: LowPass_λs(m − LowPass_λc(m)).
func GaussianBandPass(m *Map, lambdaS, lambdaC float64) (*Map, error) {
	return Filter{}.BandPass(m, lambdaS, lambdaC)
}

// LowPass returns the Gaussian low-pass of m at cut-off lambda µm.
func (f Filter) LowPass(m *Map, lambda float64) (*Map, error) {
	if err := f.check(lambda); err != nil {
		return nil, err
	}
	if f.Kernel == KernelCMCR {
		z, nanAt := cmcrCentre(m)
		out := cmcrConvolve(m, z, lambda)
		return cmcrRestore(m, out, nanAt), nil
	}
	return f.isoLowPass(m, lambda), nil
}

// isoLowPass dispatches the ISO low-pass on Order.
func (f Filter) isoLowPass(m *Map, lambda float64) *Map {
	if f.Order == 2 {
		return regressionLowPass(m, lambda, f.MinWeight)
	}
	return isoLowPass(m, lambda, lambda, f.MinWeight)
}

// isoHighPass returns m − f.isoLowPass(m) with m's NaN (and MinWeight NaN).
func (f Filter) isoHighPass(m *Map, lambda float64) *Map {
	out := f.isoLowPass(m, lambda)
	for i, v := range out.Z {
		out.Z[i] = m.Z[i] - v
	}
	return out
}

// HighPass returns m minus its Gaussian low-pass at cut-off lambda µm. With
// KernelCMCR the result is that of cmcR: the mean-centred map minus its
// low-pass.
func (f Filter) HighPass(m *Map, lambda float64) (*Map, error) {
	if err := f.check(lambda); err != nil {
		return nil, err
	}
	if f.Kernel == KernelCMCR {
		z, nanAt := cmcrCentre(m)
		lp := cmcrConvolve(m, z, lambda)
		for i := range lp {
			lp[i] = z[i] - lp[i]
		}
		return cmcrRestore(m, lp, nanAt), nil
	}
	return f.isoHighPass(m, lambda), nil
}

// BandPass returns the Gaussian band-pass of m between lambdaS (short
// cut-off, removes roughness finer than it) and lambdaC (long cut-off,
// removes form and waviness longer than it), both in µm, lambdaS < lambdaC:
// LowPass_λs(m − LowPass_λc(m)). With KernelCMCR the intermediate high-pass
// keeps its (non-zero) values at the NaN positions for the second
// convolution, as cmcR does; NaN is restored at the end.
func (f Filter) BandPass(m *Map, lambdaS, lambdaC float64) (*Map, error) {
	if err := f.check(lambdaS); err != nil {
		return nil, err
	}
	if err := f.check(lambdaC); err != nil {
		return nil, err
	}
	if !(lambdaS < lambdaC) {
		return nil, fmt.Errorf("surface: band-pass short cut-off %g µm must be below the long cut-off %g µm", lambdaS, lambdaC)
	}
	if f.Kernel == KernelCMCR {
		z, nanAt := cmcrCentre(m)
		lp := cmcrConvolve(m, z, lambdaC)
		for i := range lp {
			lp[i] = z[i] - lp[i]
		}
		return cmcrRestore(m, cmcrConvolve(m, lp, lambdaS), nanAt), nil
	}
	return f.isoLowPass(f.isoHighPass(m, lambdaC), lambdaS), nil
}

func (f Filter) check(lambda float64) error {
	if !(lambda > 0) || math.IsInf(lambda, 0) {
		return fmt.Errorf("surface: Gaussian cut-off %g µm, want finite and positive", lambda)
	}
	if f.Kernel != KernelISO && f.Kernel != KernelCMCR {
		return fmt.Errorf("surface: unknown Gaussian kernel %v", f.Kernel)
	}
	if f.Order != 0 && f.Order != 2 {
		return fmt.Errorf("surface: Gaussian regression order %d, want 0 or 2", f.Order)
	}
	if f.Order != 0 && f.Kernel != KernelISO {
		return fmt.Errorf("surface: Gaussian regression order %d needs the ISO kernel, not %v", f.Order, f.Kernel)
	}
	if !(f.MinWeight >= 0 && f.MinWeight <= 1) {
		return fmt.Errorf("surface: Gaussian MinWeight %g, want 0…1", f.MinWeight)
	}
	return nil
}

// isoAlpha is α = √(ln 2/π) of ISO 16610-61.
var isoAlpha = math.Sqrt(math.Ln2 / math.Pi)

// isoKernel returns the half kernel k[0..R] (k[0] is the centre, sum of the
// full kernel 1) of the ISO Gaussian at cut-off lambda µm sampled every d µm,
// R = ceil(3σ) but at most maxR (see kernelRadius). lambda == 0 gives the
// identity kernel {1}.
func isoKernel(lambda, d float64, maxR int) []float64 {
	if lambda == 0 {
		return []float64{1}
	}
	al := isoAlpha * lambda
	sigma := al / math.Sqrt(2*math.Pi) / d
	return halfKernel(kernelRadius(3*sigma, maxR), func(k int) float64 {
		x := float64(k) * d / al
		return math.Exp(-math.Pi * x * x)
	})
}

// cmcrKernel returns the half kernel of cmcR's Gaussian at wavelength lambda
// µm sampled every d µm: σ = λ/(2π·d) points, truncated at ±ceil(2.6σ) but
// at most maxR (see kernelRadius).
func cmcrKernel(lambda, d float64, maxR int) []float64 {
	sigma := lambda / (2 * math.Pi * d)
	return halfKernel(kernelRadius(2.6*sigma, maxR), func(k int) float64 {
		x := float64(k) / sigma
		return math.Exp(-0.5 * x * x)
	})
}

// kernelRadius returns ceil(r) capped at maxR. A filter on an n-point axis
// never uses taps beyond n−1 (they meet no data), so kernels are cut at the
// map's larger size: a cut-off much longer than the map then costs no more
// than the map and cannot exhaust memory. The cut kernel is normalised over
// what remains, which only changes results when the kernel is wider than
// the map (for the ISO filter not at all, being normalised per point).
func kernelRadius(r float64, maxR int) int {
	if !(r < float64(maxR)) {
		return maxR
	}
	return int(math.Ceil(r))
}

// halfKernel tabulates weight(0..r) and normalises so that the symmetric
// kernel weight(−r..r) sums to 1.
func halfKernel(r int, weight func(int) float64) []float64 {
	k := make([]float64, r+1)
	sum := 0.0
	for i := range k {
		k[i] = weight(i)
		if i == 0 {
			sum += k[i]
		} else {
			sum += 2 * k[i]
		}
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}

// isoLowPass is the normalised-convolution ISO low-pass with cut-off lx along
// x and ly along y (0 = no filtering along that axis). The output is NaN
// where m is NaN and where the valid weight share is below minWeight. It
// runs separable 1D passes over the rows' valid spans, or 2D FFTs when that
// is cheaper (large kernels on large maps; see fftCheaper). Both give the
// same result to rounding (≈1e-14 relative).
func isoLowPass(m *Map, lx, ly, minWeight float64) *Map {
	maxR := max(m.NX, m.NY)
	kx, ky := isoKernel(lx, m.DX, maxR), isoKernel(ly, m.DY, maxR)
	if fftCheaper(m.NX, m.NY, validSpan(m), len(kx)-1, len(ky)-1, 4) {
		return isoLowPassFFT(m, kx, ky, minWeight)
	}
	return isoLowPassDirect(m, kx, ky, minWeight)
}

// validSpan returns the number of points between the first and the last
// valid point of each row, summed over the rows.
func validSpan(m *Map) int {
	span := 0
	for r := 0; r < m.NY; r++ {
		row := m.Z[r*m.NX : (r+1)*m.NX]
		lo, hi := -1, -1
		for c, v := range row {
			if !math.IsNaN(v) {
				if lo < 0 {
					lo = c
				}
				hi = c
			}
		}
		if lo >= 0 {
			span += hi - lo + 1
		}
	}
	return span
}

// isoLowPassDirect is isoLowPass by separable 1D passes with the half
// kernels kx, ky.
func isoLowPassDirect(m *Map, kx, ky []float64, minWeight float64) *Map {
	nx, ny := m.NX, m.NY
	out := &Map{NX: nx, NY: ny, DX: m.DX, DY: m.DY, X0: m.X0, Y0: m.Y0, Z: make([]float64, len(m.Z))}
	// Valid span [lo, hi] of every row; lo > hi for a row without valid point.
	lo, hi := make([]int, ny), make([]int, ny)
	zw := make([]float64, len(m.Z)) // z·w
	w := make([]float64, len(m.Z))  // w
	for r := 0; r < ny; r++ {
		lo[r], hi[r] = nx, -1
		for c := 0; c < nx; c++ {
			if v := m.Z[r*nx+c]; !math.IsNaN(v) {
				zw[r*nx+c], w[r*nx+c] = v, 1
				lo[r] = min(lo[r], c)
				hi[r] = c
			}
		}
	}
	// Pass along x into tzw, tw. Outside [lo−R, hi+R] a row convolves to 0.
	rx := len(kx) - 1
	tzw := make([]float64, len(m.Z))
	tw := make([]float64, len(m.Z))
	for r := 0; r < ny; r++ {
		if lo[r] > hi[r] {
			continue
		}
		a, b := max(lo[r]-rx, 0), min(hi[r]+rx, nx-1)
		convolveRow2(tzw[r*nx:(r+1)*nx], tw[r*nx:(r+1)*nx], zw[r*nx:(r+1)*nx], w[r*nx:(r+1)*nx], kx, a, b)
	}
	// Pass along y, row by row with vector adds over whole row segments,
	// in tiles of yTile columns so the 2R+1 input rows a tile needs stay in
	// cache; only over each output row's valid span, rows outside the map
	// count as zero.
	for i := range out.Z {
		out.Z[i] = math.NaN()
	}
	ryy := len(ky) - 1
	num, den := zw[:nx], w[:nx] // reuse as row accumulators
	for t0 := 0; t0 < nx; t0 += yTile {
		t1 := min(t0+yTile, nx)
		for r := 0; r < ny; r++ {
			a, b := max(lo[r], t0), min(hi[r]+1, t1)
			if a >= b {
				continue
			}
			n, d := num[a:b], den[a:b]
			k0 := ky[0]
			for c := range n {
				n[c] = k0 * tzw[r*nx+a+c]
				d[c] = k0 * tw[r*nx+a+c]
			}
			for k := 1; k <= ryy; k++ {
				kk := ky[k]
				up, dn := r-k, r+k
				switch {
				case up >= 0 && dn < ny:
					axpy2(n, kk, tzw[up*nx+a:up*nx+b], tzw[dn*nx+a:dn*nx+b])
					axpy2(d, kk, tw[up*nx+a:up*nx+b], tw[dn*nx+a:dn*nx+b])
				case up >= 0:
					axpy(n, kk, tzw[up*nx+a:up*nx+b])
					axpy(d, kk, tw[up*nx+a:up*nx+b])
				case dn < ny:
					axpy(n, kk, tzw[dn*nx+a:dn*nx+b])
					axpy(d, kk, tw[dn*nx+a:dn*nx+b])
				}
			}
			o := out.Z[r*nx+a : r*nx+b]
			for c, v := range m.Z[r*nx+a : r*nx+b] {
				if math.IsNaN(v) || d[c] < minWeight || d[c] <= 0 {
					continue
				}
				o[c] = n[c] / d[c]
			}
		}
	}
	return out
}

// yTile is the column tile width of the y pass: 256 columns × (2R+1) rows
// × 2 arrays × 8 bytes is 0.8 MiB for R = 100, which fits a typical L2.
const yTile = 256

// convolveRow writes the convolution of src (zero outside) with the
// symmetric half kernel k into dst[a..b]; dst outside [a, b] is untouched.
func convolveRow(dst, src, k []float64, a, b int) {
	n, r := len(src), len(k)-1
	k0 := k[0]
	for c := a; c <= b; c++ {
		if c < r || c+r >= n {
			s := k0 * src[c]
			for j := 1; j <= r; j++ {
				if c-j >= 0 {
					s += k[j] * src[c-j]
				}
				if c+j < n {
					s += k[j] * src[c+j]
				}
			}
			dst[c] = s
			continue
		}
		s := k0 * src[c]
		win := src[c-r : c+r+1]
		for j := 1; j <= r; j++ {
			s += k[j] * (win[r-j] + win[r+j])
		}
		dst[c] = s
	}
}

// convolveRow2 is convolveRow of src1 into dst1 and src2 into dst2 in one
// pass (the numerator and denominator of the normalised convolution).
func convolveRow2(dst1, dst2, src1, src2, k []float64, a, b int) {
	n, r := len(src1), len(k)-1
	src2 = src2[:n]
	k0 := k[0]
	for c := a; c <= b; c++ {
		if c < r || c+r >= n {
			s1, s2 := k0*src1[c], k0*src2[c]
			for j := 1; j <= r; j++ {
				if c-j >= 0 {
					s1 += k[j] * src1[c-j]
					s2 += k[j] * src2[c-j]
				}
				if c+j < n {
					s1 += k[j] * src1[c+j]
					s2 += k[j] * src2[c+j]
				}
			}
			dst1[c], dst2[c] = s1, s2
			continue
		}
		w1, w2 := src1[c-r:c+r+1], src2[c-r:c+r+1]
		kk := k[1 : r+1]
		s1, s2 := k0*w1[r], k0*w2[r]
		for j, kj := range kk {
			s1 += kj * (w1[r-1-j] + w1[r+1+j])
			s2 += kj * (w2[r-1-j] + w2[r+1+j])
		}
		dst1[c], dst2[c] = s1, s2
	}
}

// axpy adds a·x to y.
func axpy(y []float64, a float64, x []float64) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}

// axpy2 adds a·(x1+x2) to y.
func axpy2(y []float64, a float64, x1, x2 []float64) {
	x1, x2 = x1[:len(y)], x2[:len(y)]
	for i := range y {
		y[i] += a * (x1[i] + x2[i])
	}
}

// cmcrCentre returns the valid heights of m minus their mean with NaN set to
// 0, and the NaN positions.
func cmcrCentre(m *Map) (z []float64, nanAt []bool) {
	z = make([]float64, len(m.Z))
	nanAt = make([]bool, len(m.Z))
	sum, n := 0.0, 0
	for _, v := range m.Z {
		if !math.IsNaN(v) {
			sum += v
			n++
		}
	}
	mean := 0.0
	if n > 0 {
		mean = sum / float64(n)
	}
	for i, v := range m.Z {
		if math.IsNaN(v) {
			nanAt[i] = true
		} else {
			z[i] = v - mean
		}
	}
	return z, nanAt
}

// cmcrConvolve convolves the dense grid z (m's size and spacing) with cmcR's
// kernel at wavelength lambda, zero padded, and returns the result (by 2D
// FFT, as cmcR does, when that is cheaper than separable passes).
func cmcrConvolve(m *Map, z []float64, lambda float64) []float64 {
	maxR := max(m.NX, m.NY)
	kx, ky := cmcrKernel(lambda, m.DX, maxR), cmcrKernel(lambda, m.DY, maxR)
	nx, ny := m.NX, m.NY
	if fftCheaper(nx, ny, nx*ny, len(kx)-1, len(ky)-1, 2) {
		return newFFTConvolver(nx, ny, kx, ky).convolve(z)
	}
	t := make([]float64, len(z))
	for r := 0; r < ny; r++ {
		convolveRow(t[r*nx:(r+1)*nx], z[r*nx:(r+1)*nx], kx, 0, nx-1)
	}
	out := make([]float64, len(z))
	ryy := len(ky) - 1
	for r := 0; r < ny; r++ {
		o := out[r*nx : (r+1)*nx]
		axpy(o, ky[0], t[r*nx:(r+1)*nx])
		for k := 1; k <= ryy; k++ {
			if up := r - k; up >= 0 {
				axpy(o, ky[k], t[up*nx:(up+1)*nx])
			}
			if dn := r + k; dn < ny {
				axpy(o, ky[k], t[dn*nx:(dn+1)*nx])
			}
		}
	}
	return out
}

// cmcrRestore wraps z as a map shaped like m with NaN at nanAt.
func cmcrRestore(m *Map, z []float64, nanAt []bool) *Map {
	for i, isNaN := range nanAt {
		if isNaN {
			z[i] = math.NaN()
		}
	}
	return &Map{NX: m.NX, NY: m.NY, DX: m.DX, DY: m.DY, X0: m.X0, Y0: m.Y0, Z: z}
}
