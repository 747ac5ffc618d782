package cartridge

import (
	"fmt"
	"image"
	"math"

	"github.com/tracemark/tracemark/internal/render"
	"github.com/tracemark/tracemark/internal/surface"
)

// Aligned returns b resampled (nearest point) onto a's grid with the
// forward consensus registration of r.
func (r *Result) Aligned(b *Prepared, a *Prepared) (*surface.Map, Registration) {
	reg := r.Forward.Consensus
	rot := rotateNearest(nil, b.Map, reg.Theta)
	out := surface.New(a.Map.NX, a.Map.NY, a.Map.DX, a.Map.DY)
	ox, oy := int(math.Round(reg.DX)), int(math.Round(reg.DY))
	for y := range out.NY {
		sy := y + oy
		if sy < 0 || sy >= rot.NY {
			continue
		}
		for x := range out.NX {
			sx := x + ox
			if sx >= 0 && sx < rot.NX {
				out.Z[y*out.NX+x] = rot.Z[sy*rot.NX+sx]
			}
		}
	}
	return out, reg
}

// Overlay renders a (left) and b aligned onto a (right) side by side with
// the forward direction's cells outlined: green for congruent matching cells
// (original rule or High-CMC), yellow for the other compared cells. On the
// right each congruent cell is drawn where it matched.
func (r *Result) Overlay(a, b *Prepared) *image.NRGBA {
	al, reg := r.Aligned(b, a)
	zmin, zmax := render.RobustRange(1, 99, a.Map, al)
	opt := render.Options{Colour: true, ZMin: zmin, ZMax: zmax}
	congruent := map[int]CellResult{}
	for _, c := range r.Decision.Forward.CMCs {
		congruent[c.cellKey()] = c
	}
	for _, c := range r.Decision.HighForward.CMCs {
		if _, ok := congruent[c.cellKey()]; !ok {
			congruent[c.cellKey()] = c
		}
	}
	compared := map[int]bool{}
	for _, c := range r.Forward.Results {
		compared[c.cellKey()] = true
	}
	var left, right []render.Box
	for i := range a.cells {
		ce := &a.cells[i]
		key := CellResult{Row: ce.row, Col: ce.col}.cellKey()
		x0, y0 := float64(ce.x0), float64(ce.y0)
		w, h := float64(a.cellW), float64(a.cellH)
		if c, ok := congruent[key]; ok {
			lbl := fmt.Sprintf("%.2f", c.Corr)
			left = append(left, render.Box{X0: x0, Y0: y0, X1: x0 + w, Y1: y0 + h, Color: render.Green, Label: lbl})
			// Where the cell matched, in the aligned frame.
			mx, my := x0+c.DX-reg.DX, y0+c.DY-reg.DY
			right = append(right, render.Box{X0: mx, Y0: my, X1: mx + w, Y1: my + h, Color: render.Green})
		} else if compared[key] {
			left = append(left, render.Box{X0: x0, Y0: y0, X1: x0 + w, Y1: y0 + h, Color: render.Yellow})
		}
	}
	opt.Boxes = left
	li := render.Relief(a.Map, opt)
	opt.Boxes = right
	ri := render.Relief(al, opt)
	return render.SideBySide(8, li, ri)
}
