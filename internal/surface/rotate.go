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
// weight is NaN; a source within 1e-9 pixel of a grid line or the map edge
// counts as on it, so rounding noise neither drops edge points nor pulls in
// NaN neighbours with weights of order 1e-16). Angles that are multiples of
// 90° are exact: sine and cosine are taken as exact 0 and ±1, so with the
// default centre of a square map every output point is a copy of one input
// point. A NaN or infinite angle or centre gives an all-NaN map.
func RotateAbout(dst, m *Map, deg, cx, cy float64, mode Interp) *Map {
	if dst == nil {
		dst = &Map{NX: m.NX, NY: m.NY, Z: make([]float64, len(m.Z))}
	} else if dst.NX != m.NX || dst.NY != m.NY || len(dst.Z) != len(m.Z) {
		panic(fmt.Sprintf("surface: Rotate dst is %d×%d, want %d×%d", dst.NX, dst.NY, m.NX, m.NY))
	}
	dst.DX, dst.DY, dst.X0, dst.Y0 = m.DX, m.DY, m.X0, m.Y0
	sin, cos := exactSinCos(deg)
	nx, ny := m.NX, m.NY
	nan := math.NaN()
	for r := 0; r < ny; r++ {
		v := float64(r) - cy
		// Source of output (c, r): column cx + u·cos − v·sin, row
		// cy + u·sin + v·cos with u = c − cx, i.e. linear in c.
		sx0 := cx - cx*cos - v*sin
		sy0 := cy - cx*sin + v*cos
		out := dst.Z[r*nx : (r+1)*nx]
		c0, c1 := insideRange(sx0, cos, float64(nx-1), nx)
		if c1 > c0 {
			c0, c1 = insideRange2(sy0, sin, float64(ny-1), c0, c1)
		}
		for c := range out {
			out[c] = nan
		}
		// Columns c0 … c1-1 have their source inside the map (checked
		// again per point, so rounding at the ends cannot read outside).
		if mode == Nearest {
			m.rotateNearestRow(out, sx0, sy0, cos, sin, c0, c1)
		} else {
			m.rotateBilinearRow(out, sx0, sy0, cos, sin, c0, c1)
		}
	}
	return dst
}

// rotateBilinearRow fills out[c0:c1] by bilinear interpolation at column
// sx0 + c·cos, row sy0 + c·sin, NaN where the source is outside.
func (m *Map) rotateBilinearRow(out []float64, sx0, sy0, cos, sin float64, c0, c1 int) {
	nx := m.NX
	xmax, ymax := float64(nx-1), float64(m.NY-1)
	z := m.Z
	for c := c0; c < c1; c++ {
		x, okx := snap(sx0+float64(c)*cos, xmax)
		y, oky := snap(sy0+float64(c)*sin, ymax)
		if !okx || !oky {
			continue
		}
		xi, fx := split(x)
		yi, fy := split(y)
		i := yi*nx + xi
		v := z[i]
		if fx != 0 {
			v += fx * (z[i+1] - v)
		}
		if fy != 0 {
			b := z[i+nx]
			if fx != 0 {
				b += fx * (z[i+nx+1] - b)
			}
			v += fy * (b - v)
		}
		out[c] = v
	}
}

// edgeSlack is how far (in pixels) a source coordinate may fall outside the
// map, by rounding, and still be taken as on its edge.
const edgeSlack = 1e-9

// snap returns x clamped to [0, hi] and true when it lies within edgeSlack
// of that interval, false otherwise (also for NaN).
func snap(x, hi float64) (float64, bool) {
	switch {
	case x >= 0 && x <= hi:
		return x, true
	case x < 0 && x >= -edgeSlack:
		return 0, true
	case x > hi && x <= hi+edgeSlack:
		return hi, true
	}
	return x, false
}

// split returns the integer and fractional parts of x ≥ 0, with a fraction
// within edgeSlack of 0 or 1 rounded to a whole pixel, so that a weight of
// order 1e-16 from rounding cannot pull a NaN neighbour in.
func split(x float64) (int, float64) {
	i := int(x)
	f := x - float64(i)
	switch {
	case f < edgeSlack:
		return i, 0
	case f > 1-edgeSlack:
		return i + 1, 0
	}
	return i, f
}

// rotateNearestRow is rotateBilinearRow with the nearest point.
func (m *Map) rotateNearestRow(out []float64, sx0, sy0, cos, sin float64, c0, c1 int) {
	nx := m.NX
	xmax, ymax := float64(nx-1), float64(m.NY-1)
	for c := c0; c < c1; c++ {
		x := math.Round(sx0 + float64(c)*cos)
		y := math.Round(sy0 + float64(c)*sin)
		if x >= 0 && y >= 0 && x <= xmax && y <= ymax {
			out[c] = m.Z[int(y)*nx+int(x)]
		}
	}
}

// insideRange returns the columns [c0, c1) of 0…n−1 for which
// s0 + c·step lies in [−1, hi+1] (one point of slack on each side for
// rounding and nearest-neighbour rounding; the caller checks each point).
func insideRange(s0, step, hi float64, n int) (c0, c1 int) {
	return insideRange2(s0, step, hi, 0, n)
}

// insideRange2 narrows [c0, c1) as insideRange does.
func insideRange2(s0, step, hi float64, c0, c1 int) (int, int) {
	lo, up := -1.0, hi+1
	if step == 0 {
		if s0 < lo || s0 > up {
			return c0, c0
		}
		return c0, c1
	}
	a, b := (lo-s0)/step, (up-s0)/step
	if a > b {
		a, b = b, a
	}
	if a > float64(c0) {
		c0 = int(min(math.Ceil(a), float64(c1)))
	}
	if b < float64(c1-1) {
		c1 = max(int(math.Floor(b))+1, c0)
	}
	return c0, c1
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
