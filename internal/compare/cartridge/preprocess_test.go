package cartridge

import (
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/tracemark/tracemark/internal/realdata"
	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/synth"
	"github.com/tracemark/tracemark/internal/x3p"
)

func TestPreprocessProbe(t *testing.T) {
	dir := realdata.Dir(t, "fadul")
	f, err := x3p.ReadFile(filepath.Join(dir, "fadulProcessed", "Fadul 1-1.x3p"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fadul coherence %.3f", striationCoherence(f.Surface))
	cfg, _ := PreprocessPreset("default")
	cfg.Processed = true
	p, err := Preprocess(f.Surface, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("processed %+v", p.Steps)
	cfg.Processed = false
	p, err = Preprocess(f.Surface, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("raw %+v %v", p.Steps, p.Warnings)
	h := realdata.Dir(t, "hamby44-lowres")
	b, err := x3p.ReadFile(filepath.Join(h, "barrel1/bullet1/Barrel_1-Bullet_1-Land_1.x3p"))
	if err != nil {
		t.Fatal(err)
	}
	lev, _, _ := b.Surface.RemovePlane(0)
	t.Logf("bullet coherence %.3f", striationCoherence(lev))
	_, err = Preprocess(b.Surface, cfg)
	t.Logf("bullet: %v", err)
	if !errors.Is(err, ErrUnsuitable) {
		t.Fatal("bullet accepted")
	}
	scans, err := synth.Cartridges(synth.CartridgeConfig{Firearms: 1, Shots: 1, Raw: true, Seed: 1, SpacingUM: 3.125, SizePX: 1216})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("synth raw coherence %.3f", striationCoherence(scans[0].Surface))
	p, err = Preprocess(scans[0].Surface, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("synth raw %+v %v", p.Steps, p.Warnings)
}

// TestProcessedBandPass: a processed scan that still carries a long wave
// (600 µm, beyond the default 250 µm long cut-off) on a fine texture has
// the long wave removed by the default preset, which band-passes processed
// scans, and kept by the cmcR preset, which compares them as they are.
func TestProcessedBandPass(t *testing.T) {
	const n, dx = 200, 6.25
	m := surface.New(n, n, dx, dx)
	for y := range n {
		for x := range n {
			long := 5 * math.Sin(2*math.Pi*float64(x)*dx/600)
			var fine float64 // isotropic texture: waves of 60 µm in three directions
			for _, a := range []float64{0, math.Pi / 3, 2 * math.Pi / 3} {
				fine += 0.3 * math.Sin(2*math.Pi*(float64(x)*math.Cos(a)+float64(y)*math.Sin(a))*dx/60)
			}
			m.Z[y*n+x] = long + fine
		}
	}
	rms := func(p *Preprocessed) float64 {
		var s float64
		var k int
		for _, v := range p.Map.Z {
			if !math.IsNaN(v) {
				s += v * v
				k++
			}
		}
		return math.Sqrt(s / float64(k))
	}
	for _, tc := range []struct {
		preset         string
		minRMS, maxRMS float64
	}{
		{"default", 0, 1.2}, // fine texture (RMS 0.37) and a damped rest of the long wave
		{"cmcr", 3, 4},      // long wave (RMS 3.5) kept
	} {
		cfg, err := PreprocessPreset(tc.preset)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Processed = true
		p, err := Preprocess(m, cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.preset, err)
		}
		if r := rms(p); r < tc.minRMS || r > tc.maxRMS {
			t.Errorf("%s preset: RMS after preprocessing %.2f µm, want %.1f–%.1f (steps %+v)", tc.preset, r, tc.minRMS, tc.maxRMS, p.Steps)
		}
	}
}
