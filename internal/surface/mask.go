package surface

import (
	"fmt"
	"math"
)

// Mask is a boolean grid shaped like a Map, row-major: In[row*NX+col]. It is
// used for the valid region of a map (true = measured) and for regions such
// as the exterior or the firing-pin hole. Distances and radii in Mask
// methods are in pixels (square pixels); Map.Erode takes µm.
type Mask struct {
	NX, NY int
	In     []bool
}

// NewMask returns an nx×ny mask with every point false. Negative sizes panic.
func NewMask(nx, ny int) *Mask {
	if nx < 0 || ny < 0 {
		panic(fmt.Sprintf("surface: negative mask size %d×%d", nx, ny))
	}
	return &Mask{NX: nx, NY: ny, In: make([]bool, nx*ny)}
}

// ValidMask returns the mask of m's valid (non-NaN) points.
func (m *Map) ValidMask() *Mask {
	k := NewMask(m.NX, m.NY)
	for i, v := range m.Z {
		k.In[i] = !math.IsNaN(v)
	}
	return k
}

// ApplyMask returns a copy of m with NaN wherever k is false. k must have
// m's size; otherwise ApplyMask returns an error. m is not changed.
func (m *Map) ApplyMask(k *Mask) (*Map, error) {
	if k.NX != m.NX || k.NY != m.NY || len(k.In) != len(m.Z) {
		return nil, fmt.Errorf("surface: mask is %d×%d, map is %d×%d", k.NX, k.NY, m.NX, m.NY)
	}
	out := m.Clone()
	for i, in := range k.In {
		if !in {
			out.Z[i] = math.NaN()
		}
	}
	return out, nil
}

// At reports whether the point at column c, row r is in the mask.
func (k *Mask) At(c, r int) bool { return k.In[r*k.NX+c] }

// Count returns the number of true points.
func (k *Mask) Count() int {
	n := 0
	for _, in := range k.In {
		if in {
			n++
		}
	}
	return n
}

// Not returns the complement of k.
func (k *Mask) Not() *Mask {
	n := NewMask(k.NX, k.NY)
	for i, in := range k.In {
		n.In[i] = !in
	}
	return n
}

// Erode returns k with every true point removed that lies within radius
// pixels (Euclidean distance ≤ radius, a disk structuring element) of a
// false point or of the outside of the grid (points outside count as false,
// so the border is eroded too). A radius below 1 changes nothing. It costs
// O(NX·NY) whatever the radius (exact Euclidean distance transform).
func (k *Mask) Erode(radius float64) *Mask {
	return k.erode(radius, 1, 1)
}

// Dilate returns k with every point added that lies within radius pixels
// (Euclidean distance ≤ radius) of a true point. Outside the grid there are
// no true points. Dilating the missing region of a map is eroding its valid
// region: use Map.Erode for that. O(NX·NY) whatever the radius.
func (k *Mask) Dilate(radius float64) *Mask {
	out := NewMask(k.NX, k.NY)
	if k.Count() == 0 {
		return out
	}
	d := sqDistTo(k.In, k.NX, k.NY, 1, 1, false)
	r2 := radius * radius
	for i, v := range d {
		out.In[i] = v <= r2
	}
	return out
}

// erode is Erode with spacings dx, dy (radius in the same unit).
func (k *Mask) erode(radius, dx, dy float64) *Mask {
	notIn := make([]bool, len(k.In))
	for i, in := range k.In {
		notIn[i] = !in
	}
	d := sqDistTo(notIn, k.NX, k.NY, dx, dy, true)
	r2 := radius * radius
	out := NewMask(k.NX, k.NY)
	for i, in := range k.In {
		out.In[i] = in && d[i] > r2
	}
	return out
}

// Erode returns a copy of m with NaN at every valid point within radius µm
// (Euclidean, ≤) of a missing point or of the outside of the grid (a disk
// structuring element, honouring DX ≠ DY). Equivalently it dilates the
// missing region by radius. Existing NaN stays NaN; m is not changed. A
// negative or NaN radius is an error. O(NX·NY) whatever the radius.
func (m *Map) Erode(radius float64) (*Map, error) {
	if !(radius >= 0) || math.IsInf(radius, 0) {
		return nil, fmt.Errorf("surface: erosion radius %g µm, want finite and ≥ 0", radius)
	}
	k := m.ValidMask().erode(radius, m.DX, m.DY)
	return m.ApplyMask(k)
}

// sqDistTo returns, for every point of the nx×ny grid, the squared
// Euclidean distance to the nearest point where src is true, with spacing dx
// between columns and dy between rows. If outside is true, the points just
// beyond the grid (column −1 and nx, row −1 and ny) count as true too. With
// no true point the distance is +Inf. It is the separable exact transform
// of Felzenszwalb and Huttenlocher (2012), O(nx·ny).
func sqDistTo(src []bool, nx, ny int, dx, dy float64, outside bool) []float64 {
	pad := 0
	if outside {
		pad = 1
	}
	px, py := nx+2*pad, ny+2*pad
	g := make([]float64, px*py)
	inf := math.Inf(1)
	for r := 0; r < py; r++ {
		for c := 0; c < px; c++ {
			sr, sc := r-pad, c-pad
			if sr < 0 || sc < 0 || sr >= ny || sc >= nx || src[sr*nx+sc] {
				g[r*px+c] = 0
			} else {
				g[r*px+c] = inf
			}
		}
	}
	n := max(px, py)
	e := newEnvelope(n)
	f, d := make([]float64, n), make([]float64, n)
	// Columns (along y), then rows (along x).
	for c := 0; c < px; c++ {
		for r := 0; r < py; r++ {
			f[r] = g[r*px+c]
		}
		e.transform(d[:py], f[:py], dy*dy)
		for r := 0; r < py; r++ {
			g[r*px+c] = d[r]
		}
	}
	out := make([]float64, nx*ny)
	for r := pad; r < py-pad; r++ {
		e.transform(d[:px], g[r*px:(r+1)*px], dx*dx)
		copy(out[(r-pad)*nx:(r-pad+1)*nx], d[pad:pad+nx])
	}
	return out
}

// envelope is scratch space for the 1D distance transform.
type envelope struct {
	v []int     // positions of the parabolas in the lower envelope
	z []float64 // boundaries between them
}

func newEnvelope(n int) *envelope {
	return &envelope{v: make([]int, n), z: make([]float64, n+1)}
}

// transform sets d[p] = min_q w·(p−q)² + f[q]. f may hold +Inf (no source).
func (e *envelope) transform(d, f []float64, w float64) {
	k := -1
	for q, fq := range f {
		if math.IsInf(fq, 1) {
			continue
		}
		for k >= 0 {
			v := e.v[k]
			s := ((fq + w*float64(q*q)) - (f[v] + w*float64(v*v))) / (2 * w * float64(q-v))
			if s > e.z[k] {
				k++
				e.v[k], e.z[k], e.z[k+1] = q, s, math.Inf(1)
				break
			}
			k--
		}
		if k < 0 {
			k = 0
			e.v[0], e.z[0], e.z[1] = q, math.Inf(-1), math.Inf(1)
		}
	}
	if k < 0 {
		for p := range d {
			d[p] = math.Inf(1)
		}
		return
	}
	j := 0
	for p := range d {
		for e.z[j+1] < float64(p) {
			j++
		}
		q := e.v[j]
		d[p] = w*float64((p-q)*(p-q)) + f[q]
	}
}
