package cartridge

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/tracemark/tracemark/internal/realdata"
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
