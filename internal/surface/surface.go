package surface

import (
	"fmt"
	"math"
)

// Map is a height map on a regular grid.
//
// Heights and spacings are in micrometres; NaN marks a missing point.
type Map struct {
	NX, NY int       // number of columns (x) and rows (y)
	DX, DY float64   // lateral spacing between columns and between rows, µm
	X0, Y0 float64   // position of Z[0], µm
	Z      []float64 // heights, µm, row-major, len NX*NY
}

// New returns a map of nx×ny points at the given spacing (µm), all missing.
// It panics if a size is negative or a spacing is not positive, which are
// programmer errors; callers that size maps from untrusted input validate first.
func New(nx, ny int, dx, dy float64) *Map {
	if nx < 0 || ny < 0 {
		panic(fmt.Sprintf("surface: negative size %d×%d", nx, ny))
	}
	if !(dx > 0) || !(dy > 0) {
		panic(fmt.Sprintf("surface: spacing must be positive, got %g×%g µm", dx, dy))
	}
	z := make([]float64, nx*ny)
	for i := range z {
		z[i] = math.NaN()
	}
	return &Map{NX: nx, NY: ny, DX: dx, DY: dy, Z: z}
}

// At returns the height at column x, row y (NaN if missing).
func (m *Map) At(x, y int) float64 { return m.Z[y*m.NX+x] }

// Set sets the height at column x, row y.
func (m *Map) Set(x, y int, v float64) { m.Z[y*m.NX+x] = v }

// Clone returns a deep copy of m.
func (m *Map) Clone() *Map {
	c := *m
	c.Z = append([]float64(nil), m.Z...)
	return &c
}

// Width and Height return the lateral extent in µm (spacing × points).
func (m *Map) Width() float64  { return float64(m.NX) * m.DX }
func (m *Map) Height() float64 { return float64(m.NY) * m.DY }

// ValidCount returns the number of points that are not NaN.
func (m *Map) ValidCount() int {
	n := 0
	for _, v := range m.Z {
		if !math.IsNaN(v) {
			n++
		}
	}
	return n
}

// ValidFraction returns the share of points that are not NaN (0 for an empty map).
func (m *Map) ValidFraction() float64 {
	if len(m.Z) == 0 {
		return 0
	}
	return float64(m.ValidCount()) / float64(len(m.Z))
}

// ValidArea returns the measured area in mm².
func (m *Map) ValidArea() float64 {
	return float64(m.ValidCount()) * m.DX * m.DY * 1e-6
}
