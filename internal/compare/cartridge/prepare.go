package cartridge

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/tracemark/tracemark/internal/fft"
	"github.com/tracemark/tracemark/internal/surface"
)

// ErrUnsuitable is wrapped by errors about scans that cannot be compared
// (too little valid area, a bullet land, no usable cell).
var ErrUnsuitable = errors.New("cartridge: scan unsuitable for breech-face comparison")

// Prepared is a processed scan with everything a comparison computes from it
// alone: its cell grid, its coarse copy and (lazily, once) the coarse
// rotated copies and the cached cell spectra. One query compared with many
// candidates therefore does this work once. A Prepared is safe for
// concurrent use by several Comparers; nothing in it changes after the lazy
// caches are filled.
type Prepared struct {
	Name string
	Map  *surface.Map // processed surface, µm; not modified
	cfg  Config

	cellW, cellH int // cell size, px
	cells        []cell

	coarse    *surface.Map // block mean, CoarseFactor × CoarseFactor
	rotOnce   sync.Once
	coarseRot map[float64]*surface.Map // coarse copy rotated at every grid angle

	tmplMu    sync.Mutex
	templates map[fft.Geometry][]*fft.Template // per cell (nil when no variance)

	bytes     int64        // held once prepared (Bytes)
	lazyBytes atomic.Int64 // held by the lazy caches filled so far
}

type cell struct {
	row, col int
	x0, y0   int       // top-left pixel in the scan
	values   []float64 // cellH×cellW, NaN beyond the scan
	valid    int
	usable   bool // missing share ≤ MaxMissing and has variance
}

// centre returns the cell's centre pixel in the convention of fft.Geometry
// (index n/2 along each side).
func (p *Prepared) centre(c *cell) (x, y int) { return c.x0 + p.cellW/2, c.y0 + p.cellH/2 }

// Prepare builds the comparison state of a processed scan (see Preprocess)
// for cfg. The map must have square pixels; it is kept, not copied, and must
// not be changed afterwards.
func Prepare(name string, m *surface.Map, cfg Config) (*Prepared, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if m == nil || m.NX < 2 || m.NY < 2 || len(m.Z) != m.NX*m.NY {
		return nil, fmt.Errorf("cartridge: %s: empty or malformed surface", name)
	}
	if !(m.DX > 0) || math.Abs(m.DX-m.DY) > 1e-3*m.DX {
		return nil, fmt.Errorf("cartridge: %s: pixels are %g×%g µm; resample to square pixels first (tracemark preprocess)", name, m.DX, m.DY)
	}
	p := &Prepared{Name: name, Map: m, cfg: cfg, templates: map[fft.Geometry][]*fft.Template{}}
	if cfg.CellSizeUM > 0 {
		s := max(4, int(math.Round(cfg.CellSizeUM/m.DX)))
		p.cellW, p.cellH = s, s
	} else {
		p.cellW = (m.NX + cfg.GridCells - 1) / cfg.GridCells
		p.cellH = (m.NY + cfg.GridCells - 1) / cfg.GridCells
	}
	rows := (m.NY + p.cellH - 1) / p.cellH
	cols := (m.NX + p.cellW - 1) / p.cellW
	usable := 0
	p.cells = make([]cell, 0, rows*cols)
	for r := range rows {
		for c := range cols {
			ce := cell{row: r, col: c, x0: c * p.cellW, y0: r * p.cellH}
			ce.values, ce.valid = window(m, ce.x0, ce.y0, p.cellW, p.cellH, nil)
			miss := 1 - float64(ce.valid)/float64(p.cellW*p.cellH)
			ce.usable = miss <= cfg.MaxMissing && hasVariance(ce.values)
			if ce.usable {
				usable++
			}
			p.cells = append(p.cells, ce)
		}
	}
	if usable == 0 {
		return nil, fmt.Errorf("%w: %s has no cell with at least %.0f %% valid points (valid area %.2f mm²)",
			ErrUnsuitable, name, 100*(1-cfg.MaxMissing), m.ValidArea())
	}
	p.coarse = blockMean(m, cfg.CoarseFactor)
	p.bytes = int64(unsafe.Sizeof(*p)) + mapBytes(m) + mapBytes(p.coarse) + int64(cap(p.cells))*int64(unsafe.Sizeof(cell{}))
	for i := range p.cells {
		p.bytes += 8 * int64(cap(p.cells[i].values))
	}
	return p, nil
}

// Bytes returns the memory p holds now, in bytes: its processed surface,
// cells and coarse copy, and the caches comparisons have filled so far
// (the coarse copy turned at every grid angle once p was a target, the
// cells' spectra once it was a reference; each is filled once, so one
// Compare in both directions brings p to its final size). Slices count
// their capacity; maps count their keys and values, not the hash table's
// own bookkeeping. It is safe to call while p is being compared.
func (p *Prepared) Bytes() int64 { return p.bytes + p.lazyBytes.Load() }

// mapBytes is the memory of a surface map: its header and heights.
func mapBytes(m *surface.Map) int64 {
	return int64(unsafe.Sizeof(*m)) + 8*int64(cap(m.Z))
}

// UsableCells returns the number of cells taking part as reference.
func (p *Prepared) UsableCells() int {
	n := 0
	for i := range p.cells {
		if p.cells[i].usable {
			n++
		}
	}
	return n
}

// rotatedCoarse returns the coarse copy rotated by theta (a grid angle),
// computing all grid angles once.
func (p *Prepared) rotatedCoarse(theta float64) *surface.Map {
	p.rotOnce.Do(func() {
		p.coarseRot = map[float64]*surface.Map{}
		var n int64
		for _, t := range p.cfg.thetas() {
			r := rotateNearest(nil, p.coarse, t)
			p.coarseRot[t] = r
			n += int64(unsafe.Sizeof(t)+unsafe.Sizeof(r)) + mapBytes(r)
		}
		p.lazyBytes.Add(n)
	})
	if r, ok := p.coarseRot[theta]; ok {
		return r
	}
	return rotateNearest(nil, p.coarse, theta)
}

// cellTemplates returns the cells' zero-filled spectra for the correlator's
// geometry, computing them once per geometry.
func (p *Prepared) cellTemplates(cc *fft.CrossCorrelator) []*fft.Template {
	g := cc.Geometry()
	p.tmplMu.Lock()
	defer p.tmplMu.Unlock()
	if t, ok := p.templates[g]; ok {
		return t
	}
	ts := make([]*fft.Template, len(p.cells))
	n := int64(unsafe.Sizeof(g)+unsafe.Sizeof(ts)) + int64(cap(ts))*int64(unsafe.Sizeof(ts[0]))
	for i := range p.cells {
		if !p.cells[i].usable {
			continue
		}
		t, err := cc.PrepareTemplate(nil, p.cells[i].values, fft.ModeZeroFilled)
		if err == nil {
			ts[i] = t
			n += zeroFilledTemplateBytes(cc)
		}
	}
	p.templates[g] = ts
	p.lazyBytes.Add(n)
	return ts
}

// zeroFilledTemplateBytes is the memory of a template that cc prepares
// afresh in fft.ModeZeroFilled: the Template and the one conjugated half
// spectrum it keeps, FFT rows × (cols/2+1) complex values
// (fft.Plan2D.SpectrumLen); the masked mode's other spectra and prefix sums
// stay empty.
func zeroFilledTemplateBytes(cc *fft.CrossCorrelator) int64 {
	rows, cols := cc.FFTSize()
	return int64(unsafe.Sizeof(fft.Template{})) + 16*int64(rows)*int64(cols/2+1)
}

// window copies the w×h window of m with top-left pixel (x0, y0) into dst
// (reallocated when too small), NaN outside m, and counts its valid points.
func window(m *surface.Map, x0, y0, w, h int, dst []float64) ([]float64, int) {
	if cap(dst) < w*h {
		dst = make([]float64, w*h)
	}
	dst = dst[:w*h]
	nan := math.NaN()
	valid := 0
	for i := range h {
		y := y0 + i
		out := dst[i*w : (i+1)*w]
		if y < 0 || y >= m.NY {
			for j := range out {
				out[j] = nan
			}
			continue
		}
		src := m.Z[y*m.NX : (y+1)*m.NX]
		for j := range out {
			x := x0 + j
			if x < 0 || x >= m.NX {
				out[j] = nan
				continue
			}
			v := src[x]
			out[j] = v
			if !math.IsNaN(v) {
				valid++
			}
		}
	}
	return dst, valid
}

func hasVariance(v []float64) bool {
	first := math.NaN()
	for _, x := range v {
		if math.IsNaN(x) {
			continue
		}
		if math.IsNaN(first) {
			first = x
		} else if x != first {
			return true
		}
	}
	return false
}

// blockMean averages f×f blocks over their valid points (NaN when a block
// has fewer than half its points valid). Block (i, j) covers pixels
// [f·i, f·i+f) in each direction; the spacing grows by f.
func blockMean(m *surface.Map, f int) *surface.Map {
	if f <= 1 {
		return m.Clone()
	}
	nx, ny := (m.NX+f-1)/f, (m.NY+f-1)/f
	out := surface.New(nx, ny, m.DX*float64(f), m.DY*float64(f))
	out.X0, out.Y0 = m.X0, m.Y0
	for i := range ny {
		for j := range nx {
			var s float64
			n, tot := 0, 0
			for y := i * f; y < min(m.NY, i*f+f); y++ {
				for x := j * f; x < min(m.NX, j*f+f); x++ {
					tot++
					if v := m.Z[y*m.NX+x]; !math.IsNaN(v) {
						s += v
						n++
					}
				}
			}
			if n > 0 && 2*n >= tot {
				out.Z[i*nx+j] = s / float64(n)
			}
		}
	}
	return out
}

// rotateNearest writes m rotated by deg degrees about its centre pixel
// (NX/2, NY/2) into dst (reused when it has the same shape), sampling the
// nearest input point; points that come from outside m are NaN. With row 0
// at the top of the screen a positive angle turns the picture clockwise:
// output point p shows input point R(−deg)·(p − c) + c. This is cmcR's
// rotation (imager, interpolation 0, Dirichlet boundary).
func rotateNearest(dst, m *surface.Map, deg float64) *surface.Map {
	if dst == nil || dst.NX != m.NX || dst.NY != m.NY {
		dst = surface.New(m.NX, m.NY, m.DX, m.DY)
	}
	dst.DX, dst.DY, dst.X0, dst.Y0 = m.DX, m.DY, m.X0, m.Y0
	s, c := sinCosDeg(deg)
	cx, cy := float64(m.NX/2), float64(m.NY/2)
	nan := math.NaN()
	// Source coordinates plus 0.5, so that truncation rounds to nearest;
	// anything below 0 is outside (checked before truncating).
	for y := range m.NY {
		fy := float64(y) - cy
		// source = R(−θ)(p − c) + c: x' = c·fx + s·fy, y' = −s·fx + c·fy
		fx0 := -cx
		sx := c*fx0 + s*fy + cx + 0.5
		sy := -s*fx0 + c*fy + cy + 0.5
		row := dst.Z[y*m.NX : (y+1)*m.NX]
		for x := range row {
			if sx >= 0 && sy >= 0 {
				ix, iy := int(sx), int(sy)
				if ix < m.NX && iy < m.NY {
					row[x] = m.Z[iy*m.NX+ix]
				} else {
					row[x] = nan
				}
			} else {
				row[x] = nan
			}
			sx += c
			sy -= s
		}
	}
	return dst
}

// sinCosDeg returns exact values at multiples of 90°.
func sinCosDeg(deg float64) (s, c float64) {
	switch math.Mod(math.Mod(deg, 360)+360, 360) {
	case 0:
		return 0, 1
	case 90:
		return 1, 0
	case 180:
		return 0, -1
	case 270:
		return -1, 0
	}
	return math.Sincos(deg * math.Pi / 180)
}
