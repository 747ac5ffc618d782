package render

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/tracemark/tracemark/internal/realdata"
	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/x3p"
)

// plane returns an nx×ny map of z = a·x + b·y (µm, x and y from the indices).
func plane(nx, ny int, dx, a, b float64) *surface.Map {
	m := surface.New(nx, ny, dx, dx)
	for r := 0; r < ny; r++ {
		for c := 0; c < nx; c++ {
			m.Set(c, r, a*float64(c)*dx+b*float64(r)*dx)
		}
	}
	return m
}

func TestMissingIsTransparent(t *testing.T) {
	m := plane(50, 40, 2, 0.1, 0)
	for r := 10; r < 20; r++ {
		for c := 5; c < 30; c++ {
			m.Set(c, r, math.NaN())
		}
	}
	for _, opt := range []Options{{NoScaleBar: true}, {NoScaleBar: true, Colour: true}, {NoScaleBar: true, YUp: true}} {
		img := Relief(m, opt)
		for r := 0; r < m.NY; r++ {
			for c := 0; c < m.NX; c++ {
				py := r
				if opt.YUp {
					py = m.NY - 1 - r
				}
				a := img.NRGBAAt(c, py).A
				if nan := math.IsNaN(m.At(c, r)); nan != (a == 0) || (!nan && a != 0xff) {
					t.Fatalf("%+v: point (%d,%d) NaN=%v has alpha %d", opt, c, r, nan, a)
				}
			}
		}
	}
}

func TestPlaneLitFromItsNormal(t *testing.T) {
	for _, yUp := range []bool{false, true} {
		// z = a·x + b·y with y along rows. On screen (y up the image) the
		// slope along y flips sign unless YUp.
		a, b := 0.3, -0.2
		m := plane(40, 30, 3.125, a, b)
		sy := -b
		if yUp {
			sy = b
		}
		n := math.Sqrt(a*a + sy*sy + 1)
		el := math.Asin(1/n) * 180 / math.Pi
		az := math.Atan2(-a, -sy) * 180 / math.Pi
		img := Relief(m, Options{AzimuthDeg: az, ElevationDeg: el, Exaggeration: 1, NoScaleBar: true, YUp: yUp})
		for y := 0; y < m.NY; y++ {
			for x := 0; x < m.NX; x++ {
				if c := img.NRGBAAt(x, y); c.R != 255 || c.G != 255 || c.B != 255 {
					t.Fatalf("yUp=%v: pixel (%d,%d) = %v, want full white", yUp, x, y, c)
				}
			}
		}
		// Lit obliquely the plane is uniformly grey at cos(angle).
		img = Relief(m, Options{AzimuthDeg: az + 90, ElevationDeg: 30, Exaggeration: 1, NoScaleBar: true, YUp: yUp})
		first := img.NRGBAAt(0, 0)
		if first.R == 255 || first.R == 0 {
			t.Errorf("yUp=%v: oblique light gives %v, want a mid grey", yUp, first)
		}
		for y := 0; y < m.NY; y++ {
			for x := 0; x < m.NX; x++ {
				if c := img.NRGBAAt(x, y); c != first {
					t.Fatalf("yUp=%v: pixel (%d,%d) = %v, want uniform %v", yUp, x, y, c, first)
				}
			}
		}
	}
}

func TestLightDirection(t *testing.T) {
	// A ridge along y lit from the left (azimuth 270°): its left flank faces
	// the light and is brighter than its right flank.
	m := surface.New(60, 20, 1, 1)
	for r := 0; r < m.NY; r++ {
		for c := 0; c < m.NX; c++ {
			m.Set(c, r, 20*math.Exp(-math.Pow(float64(c-30)/8, 2)))
		}
	}
	img := Relief(m, Options{AzimuthDeg: 270, ElevationDeg: 30, Exaggeration: 1, NoScaleBar: true})
	if l, r := img.NRGBAAt(24, 10).R, img.NRGBAAt(36, 10).R; l <= r {
		t.Errorf("lit from the left: left flank %d not brighter than right flank %d", l, r)
	}
	// A ramp rising towards larger rows, lit from the top of the image: with
	// row 0 at the top it rises away from the light and faces it; with YUp
	// it rises towards the light and turns away.
	ramp := plane(20, 20, 1, 0, 0.5)
	down := Relief(ramp, Options{AzimuthDeg: 0, ElevationDeg: 30, Exaggeration: 1, NoScaleBar: true}).NRGBAAt(10, 10).R
	up := Relief(ramp, Options{AzimuthDeg: 0, ElevationDeg: 30, Exaggeration: 1, NoScaleBar: true, YUp: true}).NRGBAAt(10, 10).R
	if down <= up {
		t.Errorf("ramp rising with the rows, lit from the top: row 0 at the top gives %d, want brighter than YUp's %d", down, up)
	}
}

func TestColourFollowsHeight(t *testing.T) {
	m := surface.New(40, 40, 2, 2)
	for r := 0; r < m.NY; r++ {
		for c := 0; c < m.NX; c++ {
			z := 0.0
			if c >= 20 {
				z = 10
			}
			m.Set(c, r, z)
		}
	}
	img := Relief(m, Options{Colour: true, NoScaleBar: true, Exaggeration: 1})
	lo, hi := img.NRGBAAt(5, 5), img.NRGBAAt(35, 5)
	// viridis runs from dark purple to bright yellow.
	if !(hi.G > lo.G && hi.R > lo.R && lo.B > hi.B) {
		t.Errorf("low %v and high %v: want viridis dark purple → yellow", lo, hi)
	}
	// A fixed range maps both sides to its lower half.
	img = Relief(m, Options{Colour: true, NoScaleBar: true, Exaggeration: 1, ZMin: 0, ZMax: 100})
	if c := img.NRGBAAt(35, 5); c.G >= hi.G {
		t.Errorf("with ZMax 100 the 10 µm side %v should be darker than %v", c, hi)
	}
}

func TestScaleBar(t *testing.T) {
	for _, tc := range []struct {
		width  float64
		length float64
		label  string
	}{
		{3406.25, 500, "500 µm"},
		{2500, 500, "500 µm"},
		{2499, 200, "200 µm"},
		{10000, 2000, "2 mm"},
		{5000, 1000, "1 mm"},
		{100, 20, "20 µm"},
		{7, 1, "1 µm"},
		{3, 0.5, "0.5 µm"},
	} {
		l, s := ScaleBar(tc.width)
		if l != tc.length || s != tc.label {
			t.Errorf("width %g: got %g %q, want %g %q", tc.width, l, s, tc.length, tc.label)
		}
		mant := l / math.Pow(10, math.Floor(math.Log10(l)+1e-9))
		if math.Abs(mant-1) > 1e-9 && math.Abs(mant-2) > 1e-9 && math.Abs(mant-5) > 1e-9 {
			t.Errorf("width %g: length %g is not 1, 2 or 5 × 10ⁿ", tc.width, l)
		}
	}
	if l, s := ScaleBar(0); l != 0 || s != "" {
		t.Errorf("width 0: got %g %q", l, s)
	}
	// The bar is drawn in the lower left and nowhere else.
	m := plane(300, 200, 6.25, 0, 0)
	with := Relief(m, Options{Exaggeration: 1})
	without := Relief(m, Options{Exaggeration: 1, NoScaleBar: true})
	changedLow, changedHigh := 0, 0
	for y := 0; y < 200; y++ {
		for x := 0; x < 300; x++ {
			if with.NRGBAAt(x, y) != without.NRGBAAt(x, y) {
				if x < 150 && y > 120 {
					changedLow++
				} else {
					changedHigh++
				}
			}
		}
	}
	if changedLow < 50 || changedHigh != 0 {
		t.Errorf("scale bar changed %d pixels in the lower left and %d elsewhere", changedLow, changedHigh)
	}
}

func TestBoxesAndDownscale(t *testing.T) {
	m := plane(400, 100, 1, 0, 0)
	box := Box{X0: 100, Y0: 20, X1: 200, Y1: 60, Color: Red}
	img := Relief(m, Options{MaxWidth: 200, NoScaleBar: true, Exaggeration: 1, Boxes: []Box{box}})
	if img.Rect.Dx() != 200 || img.Rect.Dy() != 50 {
		t.Fatalf("size %v, want 200×50", img.Rect.Size())
	}
	if c := img.NRGBAAt(75, 10); c != Red { // top edge, halved coordinates
		t.Errorf("top edge pixel %v, want red", c)
	}
	if c := img.NRGBAAt(75, 20); c == Red {
		t.Error("box interior painted")
	}
	up := Relief(m, Options{MaxWidth: 200, NoScaleBar: true, Exaggeration: 1, YUp: true, Boxes: []Box{box}})
	if c := up.NRGBAAt(75, 50-10-1); c != Red { // the top edge is now at the bottom of the box
		t.Errorf("YUp: edge pixel %v, want red", c)
	}
}

func TestCompose(t *testing.T) {
	a := Relief(plane(30, 20, 1, 0.2, 0), Options{Exaggeration: 1, NoScaleBar: true})
	b := Relief(plane(30, 20, 1, -0.2, 0), Options{Exaggeration: 1, NoScaleBar: true})
	s := SideBySide(4, a, b, Relief(plane(10, 25, 1, 0, 0), Options{NoScaleBar: true}))
	if s.Rect.Dx() != 30+4+30+4+10 || s.Rect.Dy() != 25 {
		t.Errorf("side by side size %v", s.Rect.Size())
	}
	if s.NRGBAAt(32, 5).A != 0 || s.NRGBAAt(40, 5) != b.NRGBAAt(6, 5) {
		t.Error("side by side: gap not transparent or second image misplaced")
	}
	sp, err := Split(a, b, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if sp.NRGBAAt(2, 5) != a.NRGBAAt(2, 5) || sp.NRGBAAt(27, 5) != b.NRGBAAt(27, 5) {
		t.Error("split: halves not taken from a and b")
	}
	ov, err := Overlay(a, a)
	if err != nil {
		t.Fatal(err)
	}
	if c := ov.NRGBAAt(5, 5); c.R != c.G || c.G != c.B {
		t.Errorf("overlay of an image with itself is not grey: %v", c)
	}
	if _, err := Split(a, s, 0.5); err == nil {
		t.Error("split of different sizes: no error")
	}
	if _, err := Overlay(a, s); err == nil {
		t.Error("overlay of different sizes: no error")
	}
}

func TestPair(t *testing.T) {
	// Two flat maps at different heights: with a shared colour range the
	// higher one is brighter; rendered alone each would sit mid-range.
	a, b := plane(20, 20, 1, 0, 0), plane(30, 20, 1, 0, 0)
	for i := range b.Z {
		b.Z[i] = 10
	}
	a.Z[0], b.Z[0] = -5, 15 // give each map a spread of its own
	p := Pair(a, b, Options{Colour: true, NoScaleBar: true}, []Box{{X0: 2, Y0: 2, X1: 8, Y1: 8, Color: Red}}, nil, 5)
	if p.Rect.Dx() != 20+5+30 || p.Rect.Dy() != 20 {
		t.Fatalf("size %v", p.Rect.Size())
	}
	if lo, hi := p.NRGBAAt(10, 15), p.NRGBAAt(40, 15); hi.G <= lo.G {
		t.Errorf("shared range: b (10 µm) %v not brighter than a (0 µm) %v", hi, lo)
	}
	if p.NRGBAAt(2, 2) != Red || p.NRGBAAt(25+2, 2) == Red {
		t.Error("box not on a only")
	}
}

func TestEmptyAndAllMissing(t *testing.T) {
	if img := Relief(&surface.Map{DX: 1, DY: 1}, Options{}); img.Rect.Dx() != 0 {
		t.Errorf("empty map: %v", img.Rect)
	}
	img := Relief(surface.New(10, 10, 1, 1), Options{Colour: true})
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] != 0 {
			t.Fatal("all-NaN map has an opaque pixel")
		}
	}
}

func TestAutoExaggeration(t *testing.T) {
	if k := AutoExaggeration(plane(20, 20, 1, 0, 0)); k != 1 {
		t.Errorf("flat map: %g, want 1", k)
	}
	if k := AutoExaggeration(plane(20, 20, 1, 0.01, 0)); math.Abs(k-60) > 1e-6 {
		t.Errorf("slope 0.01: %g, want 60", k)
	}
	if k := AutoExaggeration(plane(20, 20, 1, 5, 0)); k != 1 {
		t.Errorf("steep map: %g, want 1 (never flattened)", k)
	}
}

func TestRenderFadul(t *testing.T) {
	dir := realdata.Dir(t, "fadul")
	f, err := x3p.ReadFile(filepath.Join(dir, "fadulProcessed", "Fadul 1-1.x3p"))
	if err != nil {
		t.Fatal(err)
	}
	m := f.Surface
	img := Relief(m, Options{Colour: true, NoScaleBar: true})
	transparent := 0
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] == 0 {
			transparent++
		}
	}
	if nan := len(m.Z) - m.ValidCount(); transparent != nan {
		t.Errorf("%d transparent pixels, want %d (the NaN count)", transparent, nan)
	}
	out := filepath.Join(t.TempDir(), "fadul-1-1.png")
	var buf bytes.Buffer
	if err := WritePNG(&buf, Relief(m, Options{Colour: true})); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dec, err := png.Decode(r)
	if err != nil {
		t.Fatalf("decoding %s: %v", out, err)
	}
	if got := dec.Bounds(); got != image.Rect(0, 0, m.NX, m.NY) {
		t.Errorf("decoded size %v, want %d×%d", got, m.NX, m.NY)
	}
}

func BenchmarkRelief(b *testing.B) {
	// 545×545 like a Fadul scan: a band-limited-looking field with a hole.
	m := surface.New(545, 545, 6.25, 6.25)
	for r := 0; r < m.NY; r++ {
		for c := 0; c < m.NX; c++ {
			if math.Hypot(float64(c-272), float64(r-272)) < 60 {
				continue
			}
			m.Set(c, r, math.Sin(float64(c)/7)*math.Cos(float64(r)/11)+0.3*math.Sin(float64(c+2*r)/3))
		}
	}
	for _, colour := range []bool{false, true} {
		name := "grey"
		if colour {
			name = "colour"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				Relief(m, Options{Colour: colour})
			}
		})
	}
}
