package render

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/tracemark/tracemark/internal/surface"
)

// goRegular is the parsed Go Regular font (it has µ); parsed once on first use.
var goRegular = sync.OnceValues(func() (*opentype.Font, error) { return opentype.Parse(goregular.TTF) })

// face returns Go Regular at sizePx pixels, or nil if the font cannot load.
func face(sizePx float64) font.Face {
	f, err := goRegular()
	if err != nil {
		return nil
	}
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: sizePx, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil
	}
	return fc
}

var black = color.NRGBA{A: 0xff}

// DrawText writes s on img with its baseline starting at pixel (x, y), in
// colour c at sizePx pixels, with a one-pixel dark halo for legibility on
// any background. It returns the text's width in pixels.
func DrawText(img *image.NRGBA, x, y int, s string, c color.NRGBA, sizePx float64) int {
	fc := face(sizePx)
	if fc == nil {
		return 0
	}
	defer fc.Close()
	d := font.Drawer{Dst: img, Face: fc}
	for _, o := range [][2]int{{-1, -1}, {0, -1}, {1, -1}, {-1, 0}, {1, 0}, {-1, 1}, {0, 1}, {1, 1}} {
		d.Src = image.NewUniform(black)
		d.Dot = fixed.P(x+o[0], y+o[1])
		d.DrawString(s)
	}
	d.Src = image.NewUniform(c)
	d.Dot = fixed.P(x, y)
	d.DrawString(s)
	return d.MeasureString(s).Ceil()
}

// ScaleBar returns the length of a scale bar for an image showing widthUM
// micrometres: the largest 1, 2 or 5 × 10ⁿ µm not above a fifth of the
// width, and its label ("200 µm", "1 mm").
func ScaleBar(widthUM float64) (lengthUM float64, label string) {
	target := widthUM / 5
	if !(target > 0) || math.IsInf(target, 0) {
		return 0, ""
	}
	p := math.Pow(10, math.Floor(math.Log10(target)))
	lengthUM = p
	for _, m := range []float64{5, 2} {
		if m*p <= target*(1+1e-12) {
			lengthUM = m * p
			break
		}
	}
	if lengthUM >= 1000 {
		return lengthUM, fmt.Sprintf("%g mm", lengthUM/1000)
	}
	return lengthUM, fmt.Sprintf("%g µm", lengthUM)
}

// drawScaleBar draws a white bar with a dark outline and its label in the
// lower-left corner; dx is the pixel size in µm.
func drawScaleBar(img *image.NRGBA, dx float64) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w < 40 || h < 24 {
		return
	}
	length, label := ScaleBar(float64(w) * dx)
	barPx := int(math.Round(length / dx))
	if barPx < 2 {
		return
	}
	margin := max(4, w/40)
	thick := max(2, w/150)
	x0, y1 := margin, h-margin
	fill(img, image.Rect(x0-1, y1-thick-1, x0+barPx+1, y1+1), black)
	fill(img, image.Rect(x0, y1-thick, x0+barPx, y1), White)
	size := math.Max(9, math.Min(32, float64(w)/28))
	DrawText(img, x0, y1-thick-int(size/3)-1, label, White, size)
}

// fill paints r (clipped to img) opaque in c.
func fill(img *image.NRGBA, r image.Rectangle, c color.NRGBA) {
	draw.Draw(img, r.Intersect(img.Rect), image.NewUniform(c), image.Point{}, draw.Src)
}

// drawBox outlines b, given in the grid of the map before shrinking by
// factor; ny is the image height in rows.
func drawBox(img *image.NRGBA, b Box, factor, ny int, yUp bool) {
	f := float64(factor)
	x0, x1 := int(math.Floor(b.X0/f)), int(math.Ceil(b.X1/f))
	y0, y1 := int(math.Floor(b.Y0/f)), int(math.Ceil(b.Y1/f))
	if yUp {
		y0, y1 = ny-y1, ny-y0
	}
	t := max(1, img.Rect.Dx()/300)
	fill(img, image.Rect(x0, y0, x1, y0+t), b.Color)
	fill(img, image.Rect(x0, y1-t, x1, y1), b.Color)
	fill(img, image.Rect(x0, y0, x0+t, y1), b.Color)
	fill(img, image.Rect(x1-t, y0, x1, y1), b.Color)
	if b.Label != "" {
		size := math.Max(9, math.Min(20, float64(img.Rect.Dx())/45))
		DrawText(img, x0+t+2, y0+t+int(size), b.Label, b.Color, size)
	}
}

// SideBySide places the images left to right, top-aligned, gap transparent
// pixels apart.
func SideBySide(gap int, imgs ...*image.NRGBA) *image.NRGBA {
	w, h := 0, 0
	for i, im := range imgs {
		if i > 0 {
			w += gap
		}
		w += im.Rect.Dx()
		h = max(h, im.Rect.Dy())
	}
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	x := 0
	for _, im := range imgs {
		r := image.Rect(x, 0, x+im.Rect.Dx(), im.Rect.Dy())
		draw.Draw(out, r, im, im.Rect.Min, draw.Src)
		x += im.Rect.Dx() + gap
	}
	return out
}

// Split returns the comparison-microscope split view of two registered
// renders of the same size: columns left of at·width come from a, the rest
// from b, with a thin white divider.
func Split(a, b *image.NRGBA, at float64) (*image.NRGBA, error) {
	if a.Rect.Size() != b.Rect.Size() {
		return nil, fmt.Errorf("render: split needs images of one size, got %v and %v", a.Rect.Size(), b.Rect.Size())
	}
	w, h := a.Rect.Dx(), a.Rect.Dy()
	cut := int(math.Round(math.Max(0, math.Min(1, at)) * float64(w)))
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, image.Rect(0, 0, cut, h), a, a.Rect.Min, draw.Src)
	draw.Draw(out, image.Rect(cut, 0, w, h), b, b.Rect.Min.Add(image.Pt(cut, 0)), draw.Src)
	fill(out, image.Rect(cut-max(1, w/400), 0, cut+max(1, w/400), h), White)
	return out, nil
}

// Overlay blends two registered grey renders of the same size in false
// colour: a in magenta, b in green. Where they agree the result is grey;
// where they differ it turns magenta or green. Alpha is the larger of the two.
func Overlay(a, b *image.NRGBA) (*image.NRGBA, error) {
	if a.Rect.Size() != b.Rect.Size() {
		return nil, fmt.Errorf("render: overlay needs images of one size, got %v and %v", a.Rect.Size(), b.Rect.Size())
	}
	w, h := a.Rect.Dx(), a.Rect.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			ca := a.NRGBAAt(a.Rect.Min.X+x, a.Rect.Min.Y+y)
			cb := b.NRGBAAt(b.Rect.Min.X+x, b.Rect.Min.Y+y)
			ga, gb := grey(ca), grey(cb)
			if ca.A == 0 {
				ga = 0
			}
			if cb.A == 0 {
				gb = 0
			}
			out.SetNRGBA(x, y, color.NRGBA{R: ga, G: gb, B: ga, A: max(ca.A, cb.A)})
		}
	}
	return out, nil
}

func grey(c color.NRGBA) uint8 {
	return uint8((299*uint32(c.R) + 587*uint32(c.G) + 114*uint32(c.B) + 500) / 1000)
}

// WritePNG encodes img as a PNG with the best compression.
func WritePNG(w io.Writer, img image.Image) error {
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(w, img); err != nil {
		return fmt.Errorf("render: encoding PNG: %w", err)
	}
	return nil
}

// Pair renders two surfaces for side-by-side comparison on a common footing:
// one vertical exaggeration (from a unless opt fixes it) and, with
// opt.Colour, one height range (the pooled percentiles unless opt fixes
// it). boxesA and boxesB are drawn on a and b (in their own grids; opt.Boxes
// is ignored); the images are placed gap pixels apart.
func Pair(a, b *surface.Map, opt Options, boxesA, boxesB []Box, gap int) *image.NRGBA {
	if opt.Exaggeration <= 0 {
		opt.Exaggeration = AutoExaggeration(a)
	}
	if opt.Colour && !(opt.ZMax > opt.ZMin) {
		lo, hi := opt.LowPct, opt.HighPct
		if lo == 0 && hi == 0 {
			lo, hi = 1, 99
		}
		opt.ZMin, opt.ZMax = RobustRange(lo, hi, a, b)
	}
	oa, ob := opt, opt
	oa.Boxes, ob.Boxes = boxesA, boxesB
	return SideBySide(gap, Relief(a, oa), Relief(b, ob))
}
