package bullet

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/metrics"
	"github.com/tracemark/tracemark/internal/realdata"
	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/synth"
	"github.com/tracemark/tracemark/internal/x3p"
)

func readSurface(tb testing.TB, path string) *surface.Map {
	tb.Helper()
	f, err := x3p.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return f.Surface
}

func hambyLandPath(tb testing.TB, bullet, land int) string {
	return filepath.Join(realdata.Dir(tb, "hamby44-lowres"), "barrel1", "bullet"+itoa(bullet), "Barrel_1-Bullet_"+itoa(bullet)+"-Land_"+itoa(land)+".x3p")
}

func itoa(i int) string { return string(rune('0' + i)) }

// TestSyntheticResolutions processes synthetic lands of one barrel at the
// finest and coarsest supported spacings: every pair of lands from
// different bullets must rank same-land pairs first, also across
// resolutions, and the kept part of each profile must lie inside the
// true land-engraved area.
func TestSyntheticResolutions(t *testing.T) {
	type item struct {
		land  *Land
		truth synth.Truth
	}
	var items []item
	for k, sp := range []float64{1.5625, 7.8} {
		scans, err := synth.Bullets(synth.BulletConfig{Barrels: 1, Bullets: 2, Seed: 40 + uint64(k), SpacingUM: sp, ShuffleLands: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range scans {
			l, err := ProcessLand(s.Surface, DefaultParams())
			if err != nil {
				t.Fatalf("%g µm %s: %v", sp, s.Name, err)
			}
			if l.Grooves[0] < s.Truth.GrooveLeftUM-2*sp || l.Grooves[1] > s.Truth.GrooveRightUM+2*sp {
				t.Errorf("%g µm %s: kept %.0f–%.0f µm, outside the land-engraved area %.0f–%.0f µm", sp, s.Name, l.Grooves[0], l.Grooves[1], s.Truth.GrooveLeftUM, s.Truth.GrooveRightUM)
			}
			if w := l.Grooves[1] - l.Grooves[0]; w < 0.6*(s.Truth.GrooveRightUM-s.Truth.GrooveLeftUM) {
				t.Errorf("%g µm %s: kept only %.0f µm of the %.0f µm land", sp, s.Name, w, s.Truth.GrooveRightUM-s.Truth.GrooveLeftUM)
			}
			items = append(items, item{l, s.Truth})
		}
	}
	c, err := NewComparer()
	if err != nil {
		t.Fatal(err)
	}
	for _, cross := range []bool{false, true} {
		var pairs []metrics.Scored
		for i := range items {
			for j := i + 1; j < len(items); j++ {
				a, b := items[i], items[j]
				if a.truth.BulletID == b.truth.BulletID || (a.land.DX != b.land.DX) != cross {
					continue
				}
				lc, err := c.CompareLands(a.land, b.land)
				if err != nil {
					t.Fatal(err)
				}
				// Both seeds engrave barrel 1, but different seeds make
				// different barrels: same land needs the same spacing set.
				same := a.land.DX == b.land.DX && a.truth.LandSourceID == b.truth.LandSourceID
				pairs = append(pairs, metrics.Scored{Score: lc.Score, Same: same})
			}
		}
		if cross {
			// Different barrels only: scores must stay low.
			_, maxDiff := metrics.Separation(pairs)
			t.Logf("cross-resolution pairs: highest score %.3f", maxDiff)
			continue
		}
		if auc := metrics.AUC(pairs); auc < 0.99 {
			t.Errorf("same-resolution land AUC %.3f < 0.99", auc)
		}
	}
}

// TestCrossResolution compares a land scanned at 1.5625 µm with the same
// land decimated to 7.8125 µm (block means of 5×5): the comparer resamples
// to the coarser spacing and must find the match.
func TestCrossResolution(t *testing.T) {
	scans, err := synth.Bullets(synth.BulletConfig{Barrels: 1, Bullets: 2, Lands: 2, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultParams()
	fine, err := ProcessLand(scans[0].Surface, p)
	if err != nil {
		t.Fatal(err)
	}
	coarseMate, err := ProcessLand(blockMean(scans[2].Surface, 5), p)
	if err != nil {
		t.Fatal(err)
	}
	coarseOther, err := ProcessLand(blockMean(scans[3].Surface, 5), p)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := NewComparer()
	mate, err := c.CompareLands(fine, coarseMate)
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.CompareLands(fine, coarseOther)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("1.5625 vs 7.8125 µm: same land ccf %.3f score %.3f; different land ccf %.3f score %.3f", mate.Features.CCF, mate.Score, other.Features.CCF, other.Score)
	if !(mate.Score > other.Score) || mate.Features.CCF < 0.5 {
		t.Errorf("same land scored %.3f (ccf %.3f), different land %.3f", mate.Score, mate.Features.CCF, other.Score)
	}
}

// blockMean averages k×k blocks (NaN-aware), like x3ptools' down-sampling.
func blockMean(m *surface.Map, k int) *surface.Map {
	out := surface.New(m.NX/k, m.NY/k, m.DX*float64(k), m.DY*float64(k))
	for y := 0; y < out.NY; y++ {
		for x := 0; x < out.NX; x++ {
			var s, n float64
			for dy := 0; dy < k; dy++ {
				for dx := 0; dx < k; dx++ {
					if v := m.At(x*k+dx, y*k+dy); !math.IsNaN(v) {
						s += v
						n++
					}
				}
			}
			if n > 0 {
				out.Set(x, y, s/n)
			}
		}
	}
	return out
}

// TestMicrometreUnits: a file whose increments and heights were written in
// µm reaches us 1e6× too large; the land must still process to the same
// signature.
func TestMicrometreUnits(t *testing.T) {
	m := readSurface(t, hambyLandPath(t, 1, 1))
	want, err := ProcessLand(m, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	bad := m.Clone()
	bad.DX *= 1e6
	bad.DY *= 1e6
	for i := range bad.Z {
		bad.Z[i] *= 1e6
	}
	// Written to X3P, bad stores 7.8125 as the increment and heights in µm:
	// what a writer that forgot the metres produces.
	path := filepath.Join(t.TempDir(), "micrometres.x3p")
	if err := x3p.WriteFile(path, x3p.New(bad)); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLand(path, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Notes) < 2 || !strings.Contains(got.Notes[0], "not metres") {
		t.Errorf("notes %q do not report the unit fix", got.Notes)
	}
	if len(got.Signature) != len(want.Signature) || math.Abs(got.DX-want.DX) > 1e-9 {
		t.Fatalf("signature length %d at %g µm, want %d at %g µm", len(got.Signature), got.DX, len(want.Signature), want.DX)
	}
	for i := range want.Signature {
		// The file holds float32 heights: allow their rounding.
		if d := got.Signature[i] - want.Signature[i]; math.Abs(d) > 1e-3 {
			t.Fatalf("signature[%d] = %g, want %g", i, got.Signature[i], want.Signature[i])
		}
	}
}

// TestRotatedScan: a land scanned with its striae along x is turned and
// processed exactly as the original.
func TestRotatedScan(t *testing.T) {
	m := readSurface(t, hambyLandPath(t, 2, 3))
	want, err := ProcessLand(m, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	// The inverse of rotate90: rotate90(r) == m.
	r := surface.New(m.NY, m.NX, m.DY, m.DX)
	for row := 0; row < r.NY; row++ {
		for col := 0; col < r.NX; col++ {
			r.Set(col, row, m.At(row, m.NY-1-col))
		}
	}
	got, err := ProcessLand(r, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if !got.Rotated || want.Rotated {
		t.Fatalf("rotated flags: turned scan %v, original %v", got.Rotated, want.Rotated)
	}
	if len(got.Signature) != len(want.Signature) {
		t.Fatalf("signature length %d, want %d", len(got.Signature), len(want.Signature))
	}
	for i := range want.Signature {
		if got.Signature[i] != want.Signature[i] && !(math.IsNaN(got.Signature[i]) && math.IsNaN(want.Signature[i])) {
			t.Fatalf("signature[%d] = %g, want %g", i, got.Signature[i], want.Signature[i])
		}
	}
}

func TestNotALand(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	noise := surface.New(300, 300, 6.25, 6.25)
	for i := range noise.Z {
		noise.Z[i] = r.NormFloat64()
	}
	fadul := readSurface(t, filepath.Join(realdata.Dir(t, "fadul"), "fadulProcessed", "Fadul 1-1.x3p"))
	for name, m := range map[string]*surface.Map{"isotropic noise": noise, "Fadul 1-1 breech face": fadul, "tiny": surface.New(4, 4, 1, 1)} {
		_, err := ProcessLand(m, DefaultParams())
		if !errors.Is(err, ErrNotALand) {
			t.Errorf("%s: got %v, want ErrNotALand", name, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func TestUnsuitableLand(t *testing.T) {
	m := readSurface(t, hambyLandPath(t, 1, 2))
	// Damage over all but a narrow strip: too little land to compare.
	broken := m.Clone()
	for y := 0; y < m.NY; y++ {
		for x := 0; x < m.NX; x++ {
			if x < m.NX/2 || x > m.NX/2+40 {
				broken.Set(x, y, math.NaN())
			}
		}
	}
	_, err := ProcessLand(broken, DefaultParams())
	var u *UnsuitableError
	if !errors.As(err, &u) {
		t.Fatalf("got %v, want an UnsuitableError", err)
	}
	t.Log(err)
}
