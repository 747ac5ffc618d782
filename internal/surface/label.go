package surface

import "fmt"

// Connectivity says which neighbours join points into one component.
type Connectivity int

const (
	// Four joins a point to its left, right, upper and lower neighbours.
	Four Connectivity = 4
	// Eight also joins the four diagonal neighbours.
	Eight Connectivity = 8
)

// Component describes one connected component of a mask. Positions are in
// pixels (column, row).
type Component struct {
	Label int // 1-based; Components.Label holds it at the component's points
	Size  int // number of points
	// CentroidCol, CentroidRow is the mean position of the points.
	CentroidCol, CentroidRow float64
	// MinCol…MaxRow is the bounding box, inclusive.
	MinCol, MinRow, MaxCol, MaxRow int
}

// Components is a labelling of a mask's true points.
type Components struct {
	NX, NY int
	// Label holds, row-major, 0 for points outside the mask and the 1-based
	// component label otherwise.
	Label []int32
	// Parts[i] describes the component with label i+1. Labels are given in
	// the raster order (row by row) of each component's first point.
	Parts []Component
}

// Label returns the connected components of the true points of k under the
// given connectivity (Four or Eight; any other value is an error). It runs
// in O(NX·NY) time with an explicit queue, so large components cannot
// overflow a stack.
func (k *Mask) Label(conn Connectivity) (*Components, error) {
	if conn != Four && conn != Eight {
		return nil, fmt.Errorf("surface: connectivity %d, want 4 or 8", conn)
	}
	nx, ny := k.NX, k.NY
	cs := &Components{NX: nx, NY: ny, Label: make([]int32, len(k.In))}
	var queue []int
	for start, in := range k.In {
		if !in || cs.Label[start] != 0 {
			continue
		}
		label := int32(len(cs.Parts) + 1)
		p := Component{Label: int(label), MinCol: nx, MinRow: ny, MaxCol: -1, MaxRow: -1}
		var sumC, sumR float64
		cs.Label[start] = label
		queue = append(queue[:0], start)
		for len(queue) > 0 {
			i := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			c, r := i%nx, i/nx
			p.Size++
			sumC += float64(c)
			sumR += float64(r)
			p.MinCol, p.MaxCol = min(p.MinCol, c), max(p.MaxCol, c)
			p.MinRow, p.MaxRow = min(p.MinRow, r), max(p.MaxRow, r)
			for dr := -1; dr <= 1; dr++ {
				for dc := -1; dc <= 1; dc++ {
					if (dr == 0 && dc == 0) || (conn == Four && dr != 0 && dc != 0) {
						continue
					}
					cc, rr := c+dc, r+dr
					if cc < 0 || rr < 0 || cc >= nx || rr >= ny {
						continue
					}
					j := rr*nx + cc
					if k.In[j] && cs.Label[j] == 0 {
						cs.Label[j] = label
						queue = append(queue, j)
					}
				}
			}
		}
		p.CentroidCol, p.CentroidRow = sumC/float64(p.Size), sumR/float64(p.Size)
		cs.Parts = append(cs.Parts, p)
	}
	return cs, nil
}

// At returns the label at column c, row r (0 outside the mask).
func (cs *Components) At(c, r int) int { return int(cs.Label[r*cs.NX+c]) }

// Largest returns the component with the most points and true, or false
// when there is none. Ties go to the lower label.
func (cs *Components) Largest() (Component, bool) {
	best := -1
	for i, p := range cs.Parts {
		if best < 0 || p.Size > cs.Parts[best].Size {
			best = i
		}
	}
	if best < 0 {
		return Component{}, false
	}
	return cs.Parts[best], true
}

// Mask returns the mask of the points with the given label (all false for
// a label that does not exist).
func (cs *Components) Mask(label int) *Mask {
	k := NewMask(cs.NX, cs.NY)
	for i, l := range cs.Label {
		k.In[i] = int(l) == label && label > 0
	}
	return k
}
