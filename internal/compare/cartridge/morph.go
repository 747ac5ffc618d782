package cartridge

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/tracemark/tracemark/internal/surface"
)

// component is a 4-connected set of pixels of a mask.
type component struct {
	n            int
	sx, sy       float64 // sums of coordinates (for the centroid)
	touchesFrame bool
}

func (c component) centroid() (float64, float64) { return c.sx / float64(c.n), c.sy / float64(c.n) }

// label labels the 4-connected components of mask (nx×ny, row-major); the
// label of pixel i is lab[i]-1 (0 = not in the mask).
func label(mask []bool, nx, ny int) (lab []int32, comps []component) {
	lab = make([]int32, len(mask))
	var stack []int
	for start, in := range mask {
		if !in || lab[start] != 0 {
			continue
		}
		comps = append(comps, component{})
		id := int32(len(comps))
		c := &comps[id-1]
		lab[start] = id
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := i%nx, i/nx
			c.n++
			c.sx += float64(x)
			c.sy += float64(y)
			if x == 0 || y == 0 || x == nx-1 || y == ny-1 {
				c.touchesFrame = true
			}
			for _, j := range [4]int{i - 1, i + 1, i - nx, i + nx} {
				if (j == i-1 && x == 0) || (j == i+1 && x == nx-1) || j < 0 || j >= len(mask) {
					continue
				}
				if mask[j] && lab[j] == 0 {
					lab[j] = id
					stack = append(stack, j)
				}
			}
		}
	}
	return lab, comps
}

// cropExterior sets to NaN everything beyond the breech face's equivalent
// radius less shave µm. The breech face is everything not connected to the
// frame through missing points (cmcR's "exterior" crop, legacy method):
// its centre is its centroid and its radius √(area/π).
func cropExterior(m *surface.Map, shaveUM float64) (*surface.Map, error) {
	nan := make([]bool, len(m.Z))
	for i, v := range m.Z {
		nan[i] = math.IsNaN(v)
	}
	lab, comps := label(nan, m.NX, m.NY)
	var n int
	var sx, sy float64
	exterior := false
	for i := range m.Z {
		if l := lab[i]; l != 0 && comps[l-1].touchesFrame {
			exterior = true
			continue
		}
		n++
		sx += float64(i % m.NX)
		sy += float64(i / m.NX)
	}
	if !exterior || n == 0 {
		return nil, errors.New("no missing exterior around the breech face; exterior crop skipped")
	}
	cx, cy := sx/float64(n), sy/float64(n)
	r := math.Sqrt(float64(n)/math.Pi) - shaveUM/m.DX
	if r <= 0 {
		return nil, fmt.Errorf("breech face too small for the %g µm exterior shave; crop skipped", shaveUM)
	}
	out := m.Clone()
	for i := range out.Z {
		dx, dy := float64(i%m.NX)-cx, float64(i/m.NX)-cy
		if dx*dx+dy*dy > r*r {
			out.Z[i] = math.NaN()
		}
	}
	return out, nil
}

// removeFiringPin finds the firing-pin hole (the largest missing blob not
// connected to the frame, near the centre) or, when the impression was
// measured, the deepest blob below the robust plane near the centre, and
// sets to NaN the disk of its equivalent radius plus margin µm.
func removeFiringPin(m *surface.Map, marginUM float64) (*surface.Map, string, bool) {
	x0, y0, x1, y1, ok := validBox(m)
	if !ok {
		return nil, "", false
	}
	bcx, bcy := float64(x0+x1)/2, float64(y0+y1)/2
	near := 0.25 * float64(max(x1-x0, y1-y0))
	minArea := math.Pi * math.Pow(100/m.DX, 2) // a firing pin is ≥ 0.2 mm across
	pick := func(mask []bool) (component, bool) {
		_, comps := label(mask, m.NX, m.NY)
		sort.Slice(comps, func(i, j int) bool { return comps[i].n > comps[j].n })
		for _, c := range comps {
			if c.touchesFrame || float64(c.n) < minArea {
				continue
			}
			if cx, cy := c.centroid(); math.Hypot(cx-bcx, cy-bcy) <= near {
				return c, true
			}
		}
		return component{}, false
	}
	hole := make([]bool, len(m.Z))
	for i, v := range m.Z {
		hole[i] = math.IsNaN(v)
	}
	c, found := pick(hole)
	how := "missing hole"
	if !found {
		if deep, ok := depression(m); ok {
			c, found = pick(deep)
			how = "measured impression"
		}
	}
	if !found {
		return nil, "", false
	}
	cx, cy := c.centroid()
	r := math.Sqrt(float64(c.n)/math.Pi) + marginUM/m.DX
	out := m.Clone()
	for i := range out.Z {
		dx, dy := float64(i%m.NX)-cx, float64(i/m.NX)-cy
		if dx*dx+dy*dy <= r*r {
			out.Z[i] = math.NaN()
		}
	}
	return out, fmt.Sprintf("%s at (%.0f, %.0f) px, radius %.0f µm + %g µm margin removed",
		how, cx, cy, math.Sqrt(float64(c.n)/math.Pi)*m.DX, marginUM), true
}

// depression marks the points far below the robust plane of m: residual
// below the median minus 10 robust standard deviations (1.4826·MAD) and at
// least 20 µm deep — a firing-pin impression is tens to hundreds of µm deep,
// breech-face marks a few µm.
func depression(m *surface.Map) ([]bool, bool) {
	lev, _, err := m.RemovePlane(surface.Median)
	if err != nil {
		return nil, false
	}
	var v []float64
	for _, z := range lev.Z {
		if !math.IsNaN(z) {
			v = append(v, z)
		}
	}
	if len(v) < 16 {
		return nil, false
	}
	med := medianFloats(v)
	for i := range v {
		v[i] = math.Abs(v[i] - med)
	}
	sd := 1.4826 * medianFloats(v)
	cut := med - math.Max(10*sd, 20)
	mask := make([]bool, len(lev.Z))
	any := false
	for i, z := range lev.Z {
		if z < cut {
			mask[i], any = true, true
		}
	}
	return mask, any
}

// erode sets to NaN every point within r pixels (Euclidean) of the frame
// or of a missing region of at least π·r² points (the exterior, the
// firing-pin hole, large dropouts). Isolated missing points and small
// dropouts are left as they are: eroding around each would punch holes of
// radius r all over the surface.
func erode(m *surface.Map, r int) *surface.Map {
	out := m.Clone()
	if r <= 0 {
		return out
	}
	missing := make([]bool, len(m.Z))
	for i, v := range m.Z {
		missing[i] = math.IsNaN(v)
	}
	lab, comps := label(missing, m.NX, m.NY)
	minArea := int(math.Pi * float64(r*r))
	type off struct{ dx, dy int }
	var disk []off
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if dx*dx+dy*dy <= r*r {
				disk = append(disk, off{dx, dy})
			}
		}
	}
	invalid := func(x, y int) bool {
		if x < 0 || y < 0 || x >= m.NX || y >= m.NY {
			return true
		}
		l := lab[y*m.NX+x]
		return l != 0 && (comps[l-1].n >= minArea || comps[l-1].touchesFrame)
	}
	nan := math.NaN()
	for y := -1; y <= m.NY; y++ {
		for x := -1; x <= m.NX; x++ {
			if !invalid(x, y) {
				continue
			}
			// Only eroding points that border a kept one matter.
			if invalid(x-1, y) && invalid(x+1, y) && invalid(x, y-1) && invalid(x, y+1) {
				continue
			}
			for _, o := range disk {
				px, py := x+o.dx, y+o.dy
				if px >= 0 && py >= 0 && px < m.NX && py < m.NY {
					out.Z[py*m.NX+px] = nan
				}
			}
		}
	}
	return out
}
