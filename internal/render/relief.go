package render

import (
	"image"
	"image/color"
	"math"
	"slices"

	"github.com/tracemark/tracemark/internal/surface"
)

// Options control Relief. The zero value renders with the defaults: light
// from azimuth 315° at 45° elevation, automatic vertical exaggeration, grey,
// with a scale bar.
type Options struct {
	// AzimuthDeg is the direction the light comes from, clockwise from the
	// top of the image; ElevationDeg its height above the horizon (0–90).
	// Both zero means the defaults 315° and 45°.
	AzimuthDeg, ElevationDeg float64

	// Exaggeration multiplies heights before shading. 0 picks one with
	// AutoExaggeration; 1 shows the true slopes.
	Exaggeration float64

	// Colour tints the relief with the viridis height map between the
	// robust percentiles LowPct and HighPct of the heights (default 1 and
	// 99), or between ZMin and ZMax (µm) when ZMax > ZMin, e.g. to give two
	// surfaces the same scale (see RobustRange).
	Colour          bool
	LowPct, HighPct float64
	ZMin, ZMax      float64

	// MaxWidth, if positive, shrinks the map by an integer factor (block
	// means) until the image is at most this many pixels wide.
	MaxWidth int

	YUp        bool  // draw map row 0 at the bottom (y up)
	NoScaleBar bool  // omit the µm scale bar
	Boxes      []Box // rectangles to outline, in map grid coordinates
}

// Box is a rectangle to outline on a rendered map: columns X0 to X1 and rows
// Y0 to Y1 of the input map (X1, Y1 exclusive; fractions allowed), drawn in
// Color with an optional Label at its top-left corner.
type Box struct {
	X0, Y0, X1, Y1 float64
	Color          color.NRGBA
	Label          string
}

// Common box colours for match overlays.
var (
	Green  = color.NRGBA{R: 0x1b, G: 0xc4, B: 0x4b, A: 0xff}
	Red    = color.NRGBA{R: 0xe8, G: 0x30, B: 0x30, A: 0xff}
	Yellow = color.NRGBA{R: 0xf5, G: 0xc5, B: 0x18, A: 0xff}
	White  = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
)

const (
	defaultAzimuth   = 315
	defaultElevation = 45
	ambient          = 0.3     // share of the colour kept in full shadow
	autoSlope        = 0.6     // target 95th-percentile slope of AutoExaggeration
	maxSamples       = 1 << 15 // heights or slopes sampled for percentiles
	lutSize          = 1024    // entries of the colour look-up table
)

// Relief renders m as a shaded relief image. It never fails: an empty map
// gives an empty image, an all-NaN map a transparent one.
func Relief(m *surface.Map, opt Options) *image.NRGBA {
	if m.NX == 0 || m.NY == 0 {
		return image.NewNRGBA(image.Rect(0, 0, 0, 0))
	}
	az, el := opt.AzimuthDeg, opt.ElevationDeg
	if az == 0 && el == 0 {
		az, el = defaultAzimuth, defaultElevation
	}
	factor := 1
	if opt.MaxWidth > 0 && m.NX > opt.MaxWidth {
		factor = (m.NX + opt.MaxWidth - 1) / opt.MaxWidth
		m = blockMean(m, factor)
	}
	k := opt.Exaggeration
	if k <= 0 {
		k = AutoExaggeration(m)
	}
	zmin, zmax := opt.ZMin, opt.ZMax
	if opt.Colour && !(zmax > zmin) {
		lo, hi := opt.LowPct, opt.HighPct
		if lo == 0 && hi == 0 {
			lo, hi = 1, 99
		}
		zmin, zmax = RobustRange(lo, hi, m)
	}

	// Light direction in screen coordinates: x right, y up the image, z out.
	sa, ca := math.Sincos(az * math.Pi / 180)
	se, ce := math.Sincos(el * math.Pi / 180)
	lx, ly, lz := sa*ce, ca*ce, se

	var lut []color.NRGBA // viridis at full light
	if opt.Colour {
		lut = make([]color.NRGBA, lutSize)
		for i := range lut {
			r, g, b := viridis(float64(i) / (lutSize - 1))
			lut[i] = color.NRGBA{R: byte255(r), G: byte255(g), B: byte255(b), A: 0xff}
		}
	}

	img := image.NewNRGBA(image.Rect(0, 0, m.NX, m.NY))
	for row := 0; row < m.NY; row++ {
		py := row
		if opt.YUp {
			py = m.NY - 1 - row
		}
		for col := 0; col < m.NX; col++ {
			z := m.Z[row*m.NX+col]
			if math.IsNaN(z) {
				continue // transparent
			}
			gx, gr := gradient(m, col, row)
			gy := -gr // a larger row is lower on the screen
			if opt.YUp {
				gy = gr
			}
			nx, ny := -k*gx, -k*gy
			shade := (nx*lx + ny*ly + lz) / math.Sqrt(nx*nx+ny*ny+1)
			shade = math.Max(0, shade)
			var c color.NRGBA
			if opt.Colour {
				t := 0.5
				if zmax > zmin {
					t = (z - zmin) / (zmax - zmin)
				}
				base := lut[int(math.Max(0, math.Min(1, t))*(lutSize-1)+0.5)]
				s := ambient + (1-ambient)*shade
				c = color.NRGBA{R: scale(base.R, s), G: scale(base.G, s), B: scale(base.B, s), A: 0xff}
			} else {
				v := byte255(shade)
				c = color.NRGBA{R: v, G: v, B: v, A: 0xff}
			}
			img.SetNRGBA(col, py, c)
		}
	}
	for _, b := range opt.Boxes {
		drawBox(img, b, factor, m.NY, opt.YUp)
	}
	if !opt.NoScaleBar {
		drawScaleBar(img, m.DX)
	}
	return img
}

// byte255 maps [0, 1] to 0–255, clamping (NaN gives 0).
func byte255(v float64) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(v*255 + 0.5)
}

// scale multiplies a colour channel by s ∈ [0, 1].
func scale(v uint8, s float64) uint8 { return uint8(float64(v)*s + 0.5) }

// gradient returns ∂z/∂x and ∂z/∂y (y along increasing rows) at a valid
// point, by central differences where both neighbours exist, one-sided
// differences where one does, and 0 where none does. Unitless (µm/µm).
func gradient(m *surface.Map, col, row int) (gx, gy float64) {
	i := row*m.NX + col
	z := m.Z[i]
	diff := func(prev, next float64, okPrev, okNext bool, d float64) float64 {
		switch {
		case okPrev && okNext:
			return (next - prev) / (2 * d)
		case okNext:
			return (next - z) / d
		case okPrev:
			return (z - prev) / d
		}
		return 0
	}
	var l, r, u, dn float64
	okL, okR, okU, okD := false, false, false, false
	if col > 0 {
		l = m.Z[i-1]
		okL = !math.IsNaN(l)
	}
	if col+1 < m.NX {
		r = m.Z[i+1]
		okR = !math.IsNaN(r)
	}
	if row > 0 {
		u = m.Z[i-m.NX]
		okU = !math.IsNaN(u)
	}
	if row+1 < m.NY {
		dn = m.Z[i+m.NX]
		okD = !math.IsNaN(dn)
	}
	return diff(l, r, okL, okR, m.DX), diff(u, dn, okU, okD, m.DY)
}

// AutoExaggeration returns the vertical exaggeration that makes the 95th
// percentile of m's slope magnitude about 0.6 (31°), so that fine marks show
// in the relief, clamped to 1–1000 (never flattening). 1 for a flat or
// empty map.
func AutoExaggeration(m *surface.Map) float64 {
	var slopes []float64
	step := max(1, m.ValidCount()/maxSamples)
	k := 0
	for row := 0; row < m.NY; row++ {
		for col := 0; col < m.NX; col++ {
			if math.IsNaN(m.Z[row*m.NX+col]) {
				continue
			}
			if k++; k%step != 0 {
				continue
			}
			gx, gy := gradient(m, col, row)
			slopes = append(slopes, math.Hypot(gx, gy))
		}
	}
	if len(slopes) == 0 {
		return 1
	}
	slices.Sort(slopes)
	p95 := slopes[int(0.95*float64(len(slopes)-1))]
	if !(p95 > 0) {
		return 1
	}
	return math.Max(1, math.Min(1000, autoSlope/p95))
}

// RobustRange returns the lo-th and hi-th percentiles (0–100) of the valid
// heights of the maps pooled, in µm; (0, 0) if there is none. Large maps are
// sampled on a regular stride.
func RobustRange(lo, hi float64, maps ...*surface.Map) (zmin, zmax float64) {
	total := 0
	for _, m := range maps {
		total += m.ValidCount()
	}
	if total == 0 {
		return 0, 0
	}
	step := max(1, total/maxSamples)
	var v []float64
	k := 0
	for _, m := range maps {
		for _, z := range m.Z {
			if math.IsNaN(z) {
				continue
			}
			if k%step == 0 {
				v = append(v, z)
			}
			k++
		}
	}
	slices.Sort(v)
	at := func(p float64) float64 {
		p = math.Max(0, math.Min(100, p))
		return v[int(math.Round(p/100*float64(len(v)-1)))]
	}
	return at(lo), at(hi)
}

// blockMean shrinks m by factor in both directions: each output point is the
// mean of the valid points of its block, NaN when fewer than half are valid.
func blockMean(m *surface.Map, factor int) *surface.Map {
	nx, ny := (m.NX+factor-1)/factor, (m.NY+factor-1)/factor
	out := surface.New(nx, ny, m.DX*float64(factor), m.DY*float64(factor))
	out.X0, out.Y0 = m.X0, m.Y0
	for r := 0; r < ny; r++ {
		for c := 0; c < nx; c++ {
			var s float64
			n, cells := 0, 0
			for y := r * factor; y < min(m.NY, (r+1)*factor); y++ {
				for x := c * factor; x < min(m.NX, (c+1)*factor); x++ {
					cells++
					if z := m.Z[y*m.NX+x]; !math.IsNaN(z) {
						s += z
						n++
					}
				}
			}
			if 2*n >= cells && n > 0 {
				out.Z[r*nx+c] = s / float64(n)
			}
		}
	}
	return out
}
