package surface

import (
	"fmt"
	"math"
)

// Decimate returns every factor-th row and column of m, starting with the
// first, at spacing DX·factor × DY·factor, like x3ptools x3p_sample(m) with
// offset 0. It does no anti-alias filtering: low-pass the map first (as the
// cmcR chain does with its 16 µm filter) when short wavelengths matter. NaN
// points are kept as they are; m is not changed. factor must be ≥ 1.
func (m *Map) Decimate(factor int) (*Map, error) {
	if factor < 1 {
		return nil, fmt.Errorf("surface: decimation factor %d, want ≥ 1", factor)
	}
	nx, ny := (m.NX+factor-1)/factor, (m.NY+factor-1)/factor
	d := &Map{NX: nx, NY: ny, DX: m.DX * float64(factor), DY: m.DY * float64(factor),
		X0: m.X0, Y0: m.Y0, Z: make([]float64, nx*ny)}
	for r := 0; r < ny; r++ {
		src := m.Z[r*factor*m.NX:]
		dst := d.Z[r*nx : (r+1)*nx]
		for c := range dst {
			dst[c] = src[c*factor]
		}
	}
	return d, nil
}

// Resample returns m sampled at spacing dx × dy µm over the same extent
// (the first point stays at X0, Y0; the last output point is the last that
// falls inside m). Along an axis whose spacing grows it first low-passes m
// with the ISO Gaussian at a cut-off of twice the new spacing (50 %
// transmission at the new Nyquist wavelength) so that short wavelengths do
// not alias; along an axis whose spacing shrinks or stays it does not
// filter. It then interpolates bilinearly, as Interpolate does: an output
// point is NaN if any input point with a non-zero weight is NaN. m is not
// changed.
func (m *Map) Resample(dx, dy float64) (*Map, error) {
	if err := checkSpacing(dx, dy); err != nil {
		return nil, err
	}
	src := m
	lx, ly := 0.0, 0.0
	if dx > m.DX*(1+1e-9) {
		lx = 2 * dx
	}
	if dy > m.DY*(1+1e-9) {
		ly = 2 * dy
	}
	if lx > 0 || ly > 0 {
		src = isoLowPass(m, lx, ly, 0)
	}
	return src.Interpolate(dx, dy)
}

// Interpolate returns m sampled bilinearly at spacing dx × dy µm over the
// same extent, without anti-alias filtering (see Resample). An output point
// is NaN if any of the up to four input points with a non-zero weight is NaN,
// so holes grow by less than one input pixel and never shrink. m is not
// changed.
func (m *Map) Interpolate(dx, dy float64) (*Map, error) {
	if err := checkSpacing(dx, dy); err != nil {
		return nil, err
	}
	nx, ny := 0, 0
	if m.NX > 0 && m.NY > 0 {
		nx = int(math.Floor(float64(m.NX-1)*m.DX/dx*(1+1e-12))) + 1
		ny = int(math.Floor(float64(m.NY-1)*m.DY/dy*(1+1e-12))) + 1
	}
	if float64(nx)*float64(ny) > maxPoints {
		return nil, fmt.Errorf("surface: resampling %d×%d at %g×%g µm to %g×%g µm gives %d×%d points, too many", m.NX, m.NY, m.DX, m.DY, dx, dy, nx, ny)
	}
	out := &Map{NX: nx, NY: ny, DX: dx, DY: dy, X0: m.X0, Y0: m.Y0, Z: make([]float64, nx*ny)}
	sx, sy := dx/m.DX, dy/m.DY
	for r := 0; r < ny; r++ {
		fy := float64(r) * sy
		for c := 0; c < nx; c++ {
			out.Z[r*nx+c] = m.bilinear(float64(c)*sx, fy)
		}
	}
	return out, nil
}

// maxPoints bounds the size of a map made by resampling (1 Gi points, 8 GiB).
const maxPoints = 1 << 30

func checkSpacing(dx, dy float64) error {
	if !(dx > 0) || !(dy > 0) || math.IsInf(dx, 0) || math.IsInf(dy, 0) {
		return fmt.Errorf("surface: target spacing %g×%g µm, want finite and positive", dx, dy)
	}
	return nil
}

// bilinear interpolates m at fractional column x, row y. It returns NaN
// outside [0, NX-1]×[0, NY-1] (up to edgeSlack for rounding) and when any point with a non-zero weight is
// NaN. An integer coordinate (within edgeSlack) uses one row or column only,
// so whole-pixel positions reproduce the input exactly.
func (m *Map) bilinear(x, y float64) float64 {
	x, okx := snap(x, float64(m.NX-1))
	y, oky := snap(y, float64(m.NY-1))
	if !okx || !oky {
		return math.NaN()
	}
	c0, fx := split(x)
	r0, fy := split(y)
	i := r0*m.NX + c0
	z00 := m.Z[i]
	if fx == 0 {
		if fy == 0 {
			return z00
		}
		return z00 + fy*(m.Z[i+m.NX]-z00)
	}
	z01 := m.Z[i+1]
	top := z00 + fx*(z01-z00)
	if fy == 0 {
		return top
	}
	z10, z11 := m.Z[i+m.NX], m.Z[i+m.NX+1]
	return top + fy*(z10+fx*(z11-z10)-top)
}
