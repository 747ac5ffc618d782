package cartridge

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/synth"
)

func synthScan(t *testing.T, sc synth.CartridgeConfig) *surface.Map {
	t.Helper()
	s, err := synth.Cartridges(sc)
	if err != nil {
		t.Fatal(err)
	}
	return s[0].Surface
}

func TestPreprocessRefusals(t *testing.T) {
	processed, _ := PreprocessPreset("default")
	processed.Processed = true

	// A bullet-land-shaped strip: 300×80 points at 7.8 µm.
	strip := surface.New(300, 80, 7.8125, 7.8125)
	for i := range strip.Z {
		strip.Z[i] = math.Sin(float64(i%300) * 0.7)
	}
	// A small patch: 0.3 mm².
	small := synthScan(t, synth.CartridgeConfig{Firearms: 1, Shots: 1, Seed: 1, SizePX: 100})

	for _, tc := range []struct {
		name string
		m    *surface.Map
		want string
	}{
		{"bullet strip", strip, "bullet land"},
		{"too small", small, "valid area"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Preprocess(tc.m, processed)
			if !errors.Is(err, ErrUnsuitable) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an unsuitable error mentioning %q", err, tc.want)
			}
			if tc.name == "too small" && !strings.Contains(err.Error(), "mm²") {
				t.Fatalf("error %q does not give the measured area", err)
			}
		})
	}
}

// TestPreprocessUnitsAndResample: a scan stored in µm where X3P wants
// metres arrives 10⁶ too large and is rescaled; a scan at another spacing is
// resampled to 6.25 µm.
func TestPreprocessUnitsAndResample(t *testing.T) {
	cfg, _ := PreprocessPreset("default")
	cfg.Processed = true
	m := synthScan(t, synth.CartridgeConfig{Firearms: 1, Shots: 1, Seed: 5, SizePX: 300, SpacingUM: 5})
	big := m.Clone()
	big.DX, big.DY = m.DX*1e6, m.DY*1e6
	for i := range big.Z {
		big.Z[i] *= 1e6
	}
	for name, in := range map[string]*surface.Map{"µm file": big, "5 µm": m} {
		p, err := Preprocess(in, cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if math.Abs(p.Map.DX-6.25) > 1e-9 || math.Abs(p.Map.DY-6.25) > 1e-9 {
			t.Errorf("%s: spacing %g×%g, want 6.25", name, p.Map.DX, p.Map.DY)
		}
		wantW := float64(m.NX) * 5 / 6.25
		if math.Abs(float64(p.Map.NX)-wantW) > 0.15*wantW {
			t.Errorf("%s: %d columns, want about %.0f", name, p.Map.NX, wantW)
		}
		if name == "µm file" && len(p.Warnings) == 0 {
			t.Errorf("%s: no warning about the units", name)
		}
	}
}

// TestCompareRefusesMixedSpacing: scans prepared at different spacings are
// refused with a reason, never compared.
func TestCompareRefusesMixedSpacing(t *testing.T) {
	cfg := DefaultConfig()
	a, err := Prepare("a", synthScan(t, synth.CartridgeConfig{Firearms: 1, Shots: 1, Seed: 1}), cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Prepare("b", synthScan(t, synth.CartridgeConfig{Firearms: 1, Shots: 1, Seed: 1, SpacingUM: 5}), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewComparer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compare(a, b); err == nil || !strings.Contains(err.Error(), "spacing") {
		t.Fatalf("got %v, want a spacing error", err)
	}
}

// TestScoreNeverNaN: degenerate features (NaN, ±Inf) still give a finite score.
func TestScoreNeverNaN(t *testing.T) {
	cal, err := DefaultCalibration()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Features{{}, {HighCMC: math.NaN(), GlobalCorr: math.Inf(1)}, {HighCMC: 1e300, OriginalMin: -1e300}} {
		s, lr := cal.Score(f)
		if math.IsNaN(s) || math.IsInf(s, 0) || math.IsNaN(lr) || math.IsInf(lr, 0) {
			t.Errorf("features %+v: score %g, log10 LR %g", f, s, lr)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"mode", func(c *Config) { c.Mode = "slow" }},
		{"grid", func(c *Config) { c.GridCells = 0 }},
		{"theta step", func(c *Config) { c.ThetaStep = 0 }},
		{"missing", func(c *Config) { c.MaxMissing = 1 }},
		{"translation", func(c *Config) { c.TransUM = -1 }},
		{"coarse", func(c *Config) { c.CoarseFactor = 0 }},
		{"region", func(c *Config) { c.RegionMultiplier = 0 }},
	} {
		c := DefaultConfig()
		tc.mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted %+v", tc.name, c)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Error(err)
	}
	if err := CmcRConfig().Validate(); err != nil {
		t.Error(err)
	}
}

// TestRotateNearest: a quarter turn is exact and the thetas grid has 21 angles.
func TestRotateNearest(t *testing.T) {
	m := surface.New(5, 5, 1, 1)
	for i := range m.Z {
		m.Z[i] = float64(i)
	}
	r := rotateNearest(nil, m, 90)
	// Output p shows input R(−90°)(p − c) + c: output (x=2+1, y=2) shows
	// input (x=2, y=2−1).
	if got, want := r.At(3, 2), m.At(2, 1); got != want {
		t.Errorf("rotated (3,2) = %g, want %g", got, want)
	}
	if got := len(DefaultConfig().thetas()); got != 21 {
		t.Errorf("%d rotations, want 21", got)
	}
}

// TestErodeKeepsSmallDropouts: erosion grows the exterior and large holes
// by r but leaves an isolated missing point alone.
func TestErodeKeepsSmallDropouts(t *testing.T) {
	m := surface.New(40, 40, 1, 1)
	for i := range m.Z {
		m.Z[i] = 1
	}
	m.Set(30, 30, math.NaN()) // isolated dropout
	for y := 5; y < 15; y++ { // 10×10 hole
		for x := 5; x < 15; x++ {
			m.Set(x, y, math.NaN())
		}
	}
	e := erode(m, 2)
	if got := e.ValidCount(); got >= m.ValidCount() {
		t.Fatalf("nothing eroded: %d valid of %d", got, m.ValidCount())
	}
	if math.IsNaN(e.At(28, 30)) || math.IsNaN(e.At(31, 31)) {
		t.Error("eroded around an isolated missing point")
	}
	if !math.IsNaN(e.At(16, 10)) || !math.IsNaN(e.At(1, 20)) {
		t.Error("did not erode around the hole or the frame")
	}
	if math.IsNaN(e.At(20, 20)) {
		t.Error("eroded a point far from any edge")
	}
}
