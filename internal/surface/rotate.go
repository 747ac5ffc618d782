package surface

import (
	"fmt"
	"math"
)

// Interp selects how Rotate samples the input between grid points.
type Interp int

const (
	// Bilinear interpolates between the four surrounding points. An output
	// point is NaN if any of them with a non-zero weight is NaN.
	Bilinear Interp = iota
	// Nearest takes the nearest input point (ties round half away from
	// zero), so heights are never mixed and NaN regions keep sharp edges.
	Nearest
)

func (i Interp) String() string {
	switch i {
	case Bilinear:
		return "bilinear"
	case Nearest:
		return "nearest"
	}
	return fmt.Sprintf("Interp(%d)", int(i))
}

// Rotate returns m rotated by deg degrees about its centre, column
// (NX-1)/2, row (NY-1)/2; see RotateAbout.
func Rotate(dst, m *Map, deg float64, mode Interp) *Map {
	return RotateAbout(dst, m, deg, float64(m.NX-1)/2, float64(m.NY-1)/2, mode)
}

// RotateAbout writes m rotated by deg degrees about the point at fractional
// column cx, row cy into dst and returns it. A nil dst is allocated; a dst of
// another size than m panics. dst must not be m. The output has m's size,
// spacing and origin.
//
// Direction: with row 0 drawn at the top of the image (as image viewers and
// tracemark render show a map), a positive angle turns the surface
// counter-clockwise. In index terms, the content at offset (dc, dr) from the
// centre moves to (dc·cosθ + dr·sinθ, −dc·sinθ + dr·cosθ): at +90° what was
// right of the centre ends up above it (smaller row). With y growing with the
// row index this is a clockwise turn in the x-y plane; callers that think of
// y pointing up should pass −deg. The map is assumed to have square pixels
// (DX == DY); with unequal spacings the angle is in pixel space.
//
// Output points whose source falls outside m are NaN; NaN regions of m stay
// NaN (bilinear: an output point is NaN if any input point with a non-zero
// weight is NaN). Angles that are multiples of 90° are exact: sine and cosine
// are taken as exact 0 and ±1, so with the default centre of a square map
// every output point is a copy of one input point.
func RotateAbout(dst, m *Map, deg, cx, cy float64, mode Interp) *Map {
	if dst == nil {
		dst = &Map{NX: m.NX, NY: m.NY, Z: make([]float64, len(m.Z))}
	} else if dst.NX != m.NX || dst.NY != m.NY || len(dst.Z) != len(m.Z) {
		panic(fmt.Sprintf("surface: Rotate dst is %d×%d, want %d×%d", dst.NX, dst.NY, m.NX, m.NY))
	}
	dst.DX, dst.DY, dst.X0, dst.Y0 = m.DX, m.DY, m.X0, m.Y0
	sin, cos := exactSinCos(deg)
	nx, ny := m.NX, m.NY
	xmax, ymax := float64(nx-1), float64(ny-1)
	nan := math.NaN()
	for r := 0; r < ny; r++ {
		v := float64(r) - cy
		// Source of output (c, r): column cx + u·cos − v·sin, row cy + u·sin + v·cos, u = c − cx.
		sx0 := cx - cx*cos - v*sin
		sy0 := cy - cx*sin + v*cos
		out := dst.Z[r*nx : (r+1)*nx]
		for c := range out {
			x := sx0 + float64(c)*cos
			y := sy0 + float64(c)*sin
			if mode == Nearest {
				xi, yi := math.Round(x), math.Round(y)
				if xi >= 0 && yi >= 0 && xi <= xmax && yi <= ymax {
					out[c] = m.Z[int(yi)*nx+int(xi)]
				} else {
					out[c] = nan
				}
				continue
			}
			if !(x >= 0 && y >= 0 && x <= xmax && y <= ymax) {
				out[c] = nan
				continue
			}
			c0, r0 := int(x), int(y)
			fx, fy := x-float64(c0), y-float64(r0)
			i := r0*nx + c0
			z := m.Z[i]
			if fx != 0 {
				z += fx * (m.Z[i+1] - z)
			}
			if fy != 0 {
				b := m.Z[i+nx]
				if fx != 0 {
					b += fx * (m.Z[i+nx+1] - b)
				}
				z += fy * (b - z)
			}
			out[c] = z
		}
	}
	return dst
}

// exactSinCos returns sin and cos of deg degrees, exact for multiples of 90°.
func exactSinCos(deg float64) (sin, cos float64) {
	q := math.Mod(deg, 360)
	if q < 0 {
		q += 360
	}
	switch q {
	case 0:
		return 0, 1
	case 90:
		return 1, 0
	case 180:
		return 0, -1
	case 270:
		return -1, 0
	}
	return math.Sincos(q * math.Pi / 180)
}
