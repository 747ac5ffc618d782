package bullet

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Plot colours.
var (
	plotBackground = color.RGBA{255, 255, 255, 255}
	plotMatch      = color.RGBA{200, 230, 200, 255} // matched striae
	plotAxis       = color.RGBA{200, 200, 200, 255}
	plotA          = color.RGBA{31, 119, 180, 255}
	plotB          = color.RGBA{214, 39, 40, 255}
	plotText       = color.RGBA{0, 0, 0, 255}
)

// WritePNG draws the aligned signatures of the matched lands of r, one
// panel per land pair (bullet A blue, bullet B red, matched striae shaded
// green), all on a common µm scale of ±ClampUM.
func (r *BulletComparison) WritePNG(w io.Writer, clampUM float64) error {
	const width, panelH, top = 1000, 140, 24
	if len(r.Matched) == 0 {
		return fmt.Errorf("bullet: %s vs %s: no matched lands to draw", r.A, r.B)
	}
	img := image.NewRGBA(image.Rect(0, 0, width, top+panelH*len(r.Matched)))
	draw.Draw(img, img.Bounds(), &image.Uniform{plotBackground}, image.Point{}, draw.Src)
	label(img, 8, 16, fmt.Sprintf("%s (blue) vs %s (red): phase %d, SAM %.3f; shaded: matching striae", r.A, r.B, r.Phase, r.Score))
	maxLen := 0.0
	for _, m := range r.Matched {
		maxLen = math.Max(maxLen, float64(len(m.AlignedA))*m.DX)
	}
	for k, m := range r.Matched {
		y0 := top + k*panelH
		plotH := panelH - 24
		sx := float64(width-20) / maxLen // pixels per µm
		xOf := func(i float64) int { return 10 + int(i*m.DX*sx) }
		yOf := func(v float64) int {
			v = math.Max(-clampUM, math.Min(clampUM, v))
			return y0 + 20 + int((clampUM-v)/(2*clampUM)*float64(plotH))
		}
		for _, g := range m.striae {
			if g.match {
				draw.Draw(img, image.Rect(xOf(g.xmin), y0+20, xOf(g.xmax)+1, y0+20+plotH), &image.Uniform{plotMatch}, image.Point{}, draw.Src)
			}
		}
		for x := 10; x < width-10; x++ {
			img.Set(x, yOf(0), plotAxis)
		}
		for _, s := range []struct {
			v []float64
			c color.Color
		}{{m.AlignedA, plotA}, {m.AlignedB, plotB}} {
			for i := 1; i < len(s.v); i++ {
				if math.IsNaN(s.v[i-1]) || math.IsNaN(s.v[i]) {
					continue
				}
				line(img, xOf(float64(i-1)), yOf(s.v[i-1]), xOf(float64(i)), yOf(s.v[i]), s.c)
			}
		}
		label(img, 10, y0+14, fmt.Sprintf("A land %d - B land %d: score %.3f, ccf %.2f, CMS %d", m.LandA, m.LandB, m.Score, m.Features.CCF, m.Features.CMS))
	}
	return png.Encode(w, img)
}

// line draws a straight segment (Bresenham).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	for {
		img.Set(x0, y0, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

func label(img *image.RGBA, x, y int, s string) {
	d := font.Drawer{Dst: img, Src: &image.Uniform{plotText}, Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
