package surface

import (
	"fmt"
	"math"
)

// Crop returns a new map holding the w×h points whose top-left point is
// column x0, row y0 of m (all in pixels). The origin moves with the window
// (X0 += x0·DX, Y0 += y0·DY) so every kept point keeps its position in µm.
// NaN points are copied as they are; m is not changed. A window that does not
// lie inside m, or a negative size, is an error.
func (m *Map) Crop(x0, y0, w, h int) (*Map, error) {
	if w < 0 || h < 0 || x0 < 0 || y0 < 0 || x0 > m.NX-w || y0 > m.NY-h {
		return nil, fmt.Errorf("surface: crop window %d×%d at column %d, row %d does not fit a %d×%d map", w, h, x0, y0, m.NX, m.NY)
	}
	c := &Map{NX: w, NY: h, DX: m.DX, DY: m.DY,
		X0: m.X0 + float64(x0)*m.DX, Y0: m.Y0 + float64(y0)*m.DY,
		Z: make([]float64, w*h)}
	for r := 0; r < h; r++ {
		copy(c.Z[r*w:(r+1)*w], m.Z[(y0+r)*m.NX+x0:])
	}
	return c, nil
}

// CropMicrons returns the part of m inside the rectangle [x, x+w) × [y, y+h)
// given in µm in the map's own coordinates (the same frame as X0, Y0): the
// points whose position X0+col·DX, Y0+row·DY falls inside. The rectangle is
// clipped to the map, so the result may be smaller than asked, or empty
// (0×0). NaN points are copied as they are; m is not changed.
func (m *Map) CropMicrons(x, y, w, h float64) (*Map, error) {
	if math.IsNaN(x+y+w+h) || math.IsInf(x+y+w+h, 0) || w < 0 || h < 0 {
		return nil, fmt.Errorf("surface: crop rectangle %g×%g µm at (%g, %g) µm is not a finite rectangle", w, h, x, y)
	}
	c0 := clampIndex(math.Ceil((x-m.X0)/m.DX), m.NX)
	c1 := clampIndex(math.Ceil((x+w-m.X0)/m.DX), m.NX)
	r0 := clampIndex(math.Ceil((y-m.Y0)/m.DY), m.NY)
	r1 := clampIndex(math.Ceil((y+h-m.Y0)/m.DY), m.NY)
	if c1 <= c0 || r1 <= r0 {
		c0, c1, r0, r1 = 0, 0, 0, 0
	}
	return m.Crop(c0, r0, c1-c0, r1-r0)
}

// clampIndex clamps a float index to [0, n].
func clampIndex(v float64, n int) int {
	if v <= 0 {
		return 0
	}
	if v >= float64(n) {
		return n
	}
	return int(v)
}

// TrimNaN returns a new map without the border rows and columns that hold
// only NaN, and the column and row of m at which the kept window starts (add
// them to a position in the result to get the position in m). The origin
// moves with the window, as in Crop. A map with no valid point trims to an
// empty 0×0 map with offsets 0, 0. m is not changed.
func (m *Map) TrimNaN() (t *Map, col0, row0 int) {
	minC, maxC, minR, maxR := m.NX, -1, m.NY, -1
	for r := 0; r < m.NY; r++ {
		row := m.Z[r*m.NX : (r+1)*m.NX]
		first := -1
		for c, v := range row {
			if !math.IsNaN(v) {
				first = c
				break
			}
		}
		if first < 0 {
			continue
		}
		last := first
		for c := m.NX - 1; c > first; c-- {
			if !math.IsNaN(row[c]) {
				last = c
				break
			}
		}
		minC, maxC = min(minC, first), max(maxC, last)
		minR, maxR = min(minR, r), r
	}
	if maxC < 0 {
		t, _ = m.Crop(0, 0, 0, 0)
		return t, 0, 0
	}
	t, _ = m.Crop(minC, minR, maxC-minC+1, maxR-minR+1)
	return t, minC, minR
}
