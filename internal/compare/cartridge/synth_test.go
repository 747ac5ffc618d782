package cartridge

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/tracemark/tracemark/internal/metrics"
	"github.com/tracemark/tracemark/internal/synth"
)

var update = flag.Bool("update", false, "refit the score calibration on synthetic data and rewrite calibration.json")

// prepareSynth generates processed-looking synthetic cartridge cases and
// prepares them for cfg.
func prepareSynth(t testing.TB, sc synth.CartridgeConfig, cfg Config) ([]*Prepared, []synth.Scan) {
	t.Helper()
	scans, err := synth.Cartridges(sc)
	if err != nil {
		t.Fatal(err)
	}
	pcfg, _ := PreprocessPreset("default")
	pcfg.Processed = true
	var out []*Prepared
	for _, s := range scans {
		p, err := Preprocess(s.Surface, pcfg)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		pr, err := Prepare(s.Name, p.Map, cfg)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		out = append(out, pr)
	}
	return out, scans
}

// TestSyntheticRegistration: for same-firearm synthetic pairs the
// registration recovers the relative rotation within one grid step and the
// translation within 2 px, in both modes.
func TestSyntheticRegistration(t *testing.T) {
	for _, mode := range []Mode{ModeFast, ModeExhaustive} {
		cfg := DefaultConfig()
		cfg.Mode = mode
		ps, scans := prepareSynth(t, synth.CartridgeConfig{Firearms: 1, Shots: 3, Seed: 7, SizePX: 545, RotationRangeDeg: 12, NoiseSNR: 4}, cfg)
		c, err := NewComparer(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range [][2]int{{0, 1}, {1, 2}} {
			a, b := pr[0], pr[1]
			r, err := c.Compare(ps[a], ps[b])
			if err != nil {
				t.Fatal(err)
			}
			thAB, tx, ty := synth.RelativePose(scans[a].Truth, scans[b].Truth)
			// Our θ rotates the target onto the reference: the inverse of
			// the synthetic relative pose.
			wantTheta := -thAB
			o := r.Forward.Consensus
			if math.Abs(o.Theta-wantTheta) > cfg.ThetaStep {
				t.Errorf("%s %s vs %s: θ %g, truth %.2f (one grid step %g)", mode, scans[a].Name, scans[b].Name, o.Theta, wantTheta, cfg.ThetaStep)
				continue
			}
			// Reference pixel p shows what target pixel R(−θ)(p + d − cB) + cB
			// shows; the truth is about the synthetic centres c' (moved by
			// the trim), so d = R(θ)(t + c'B − cB) + cB − c'A.
			dx := r.SpacingUM
			ax, ay := synthCentre(ps[a], scans[a])
			bx, by := synthCentre(ps[b], scans[b])
			cbx, cby := float64(ps[b].Map.NX/2), float64(ps[b].Map.NY/2)
			ux, uy := tx/dx+bx-cbx, ty/dx+by-cby
			s, co := sinCosDeg(o.Theta)
			wx, wy := co*ux-s*uy+cbx-ax, s*ux+co*uy+cby-ay
			if math.Hypot(o.DX-wx, o.DY-wy) > 2 {
				t.Errorf("%s %s vs %s: shift (%.1f, %.1f) px, truth (%.1f, %.1f) px at θ %g (truth θ %.2f)",
					mode, scans[a].Name, scans[b].Name, o.DX, o.DY, wx, wy, o.Theta, wantTheta)
			}
			if n := r.Decision.HighCMC; n < 10 {
				t.Errorf("%s %s vs %s: only %d High-CMCs for a same-firearm pair", mode, scans[a].Name, scans[b].Name, n)
			}
		}
	}
}

// synthCentre returns the synthetic scan's pose centre ((N−1)/2 points of
// the generated map) in the pixel grid of the prepared (trimmed) map.
func synthCentre(p *Prepared, s synth.Scan) (x, y float64) {
	return float64(s.Surface.NX-1)/2 - (p.Map.X0-s.Surface.X0)/p.Map.DX,
		float64(s.Surface.NY-1)/2 - (p.Map.Y0-s.Surface.Y0)/p.Map.DY
}

// TestSelfComparison: a scan against itself makes every usable cell a CMC.
func TestSelfComparison(t *testing.T) {
	for _, mode := range []Mode{ModeFast, ModeExhaustive} {
		cfg := DefaultConfig()
		cfg.Mode = mode
		ps, _ := prepareSynth(t, synth.CartridgeConfig{Firearms: 1, Shots: 1, Seed: 3, SizePX: 400}, cfg)
		c, err := NewComparer(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.Compare(ps[0], ps[0])
		if err != nil {
			t.Fatal(err)
		}
		n := ps[0].UsableCells()
		d := r.Decision
		if d.Forward.Count != n || d.Backward.Count != n || d.HighCMC != n {
			t.Errorf("%s: self-comparison CMC %d/%d, High-CMC %d; want all %d usable cells", mode, d.Forward.Count, d.Backward.Count, d.HighCMC, n)
		}
		if _, err := json.Marshal(r); err != nil {
			t.Errorf("%s: result does not encode as JSON: %v", mode, err)
		}
		if d.Forward.MedianTheta != 0 || d.Forward.MedianDX != 0 || d.Forward.MedianDY != 0 {
			t.Errorf("%s: self registration θ %g shift (%g, %g), want 0", mode, d.Forward.MedianTheta, d.Forward.MedianDX, d.Forward.MedianDY)
		}
	}
}

// calibrationSet is the synthetic population the shipped score is fitted
// on: from clean (SNR 2, the generator's default) to hard (SNR 0.5), with
// some sub-class field shared by all firearms (consecutively made slides)
// and machining marks, so that the classes overlap and the fit says
// something about uncertainty. Nothing of the Fadul benchmark is used.
func calibrationSet() []synth.CartridgeConfig {
	return []synth.CartridgeConfig{
		{Firearms: 6, Shots: 3, Seed: 2024, SizePX: 480, NoiseSNR: 2, ConsecutiveWeight: 0.15, ClassMarks: true},
		{Firearms: 6, Shots: 3, Seed: 2025, SizePX: 480, NoiseSNR: 1, ConsecutiveWeight: 0.1},
		{Firearms: 6, Shots: 3, Seed: 2026, SizePX: 480, NoiseSNR: 0.5, ConsecutiveWeight: 0.15, ClassMarks: true},
	}
}

// TestFitCalibration refits calibration.json with -update:
//
//	go test ./internal/compare/cartridge -run TestFitCalibration -update
//
// Without -update it checks the shipped file's provenance.
func TestFitCalibration(t *testing.T) {
	shipped, err := DefaultCalibration()
	if err != nil {
		t.Fatal(err)
	}
	if !*update {
		if shipped.TrainingPairs == 0 || shipped.Weights[0] <= 0 {
			t.Fatalf("shipped calibration %q is not a fit (pairs %d, High-CMC weight %g); run with -update", shipped.Version, shipped.TrainingPairs, shipped.Weights[0])
		}
		return
	}
	cfg := DefaultConfig()
	c, err := NewComparer(cfg, shipped)
	if err != nil {
		t.Fatal(err)
	}
	var feats []Features
	var same []bool
	var scored []metrics.Scored
	for k, sc := range calibrationSet() {
		ps, scans := prepareSynth(t, sc, cfg)
		for i := range ps {
			for j := i + 1; j < len(ps); j++ {
				r, err := c.Compare(ps[i], ps[j])
				if err != nil {
					t.Fatal(err)
				}
				feats = append(feats, r.Features)
				s := scans[i].Truth.SourceID == scans[j].Truth.SourceID
				same = append(same, s)
			}
		}
		t.Logf("set %d: %d pairs so far", k, len(feats))
	}
	cal, err := FitCalibration(feats, same, 1, "synth-fast-v4",
		"internal/synth cartridge cases, 3 runs × 6 firearms × 3 shots, 480×480 px at 6.25 µm (seeds 2024-2026, SNR 2/1/0.5, sub-class share 0.1-0.15, machining marks in 2 runs), default fast mode, classes balanced (prior-free LR); not Fadul")
	if err != nil {
		t.Fatal(err)
	}
	var sameLR, diffLR []float64
	for i, f := range feats {
		s, l := cal.Score(f)
		scored = append(scored, metrics.Scored{Score: s, Same: same[i]})
		if same[i] {
			sameLR = append(sameLR, l)
		} else {
			diffLR = append(diffLR, l)
		}
	}
	cal.TrainingAUC = metrics.AUC(scored)
	t.Logf("training: AUC %.3f, same-source LR > 1 %.2f, different-source LR < 1 %.2f, Cllr %.3f bits",
		cal.TrainingAUC, shareWhere(sameLR, func(v float64) bool { return v > 0 }),
		shareWhere(diffLR, func(v float64) bool { return v < 0 }), Cllr(sameLR, diffLR))
	b, err := json.MarshalIndent(cal, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("calibration.json", append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("wrote calibration.json: %s\n", b)
}

// TestRawEndToEnd: raw synthetic scans (tilt, curvature, a firing-pin
// impression with a rim, spikes; 3.125 µm) go through the default
// preprocessing chain and the fast comparison; same-firearm pairs score
// above different-firearm pairs.
func TestRawEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("raw preprocessing of four 1216² scans; skipped with -short")
	}
	scans, err := synth.Cartridges(synth.CartridgeConfig{Firearms: 2, Shots: 2, Seed: 11, Raw: true, SpacingUM: 3.125, SizePX: 1216, RotationRangeDeg: 15})
	if err != nil {
		t.Fatal(err)
	}
	pcfg, _ := PreprocessPreset("default")
	cfg := DefaultConfig()
	var ps []*Prepared
	for _, s := range scans {
		if LooksProcessed(s.Surface) {
			t.Errorf("%s: a raw scan looks processed", s.Name)
		}
		p, err := Preprocess(s.Surface, pcfg)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if p.Map.DX != 6.25 {
			t.Fatalf("%s: spacing %g after preprocessing", s.Name, p.Map.DX)
		}
		pr, err := Prepare(s.Name, p.Map, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, pr)
	}
	c, err := NewComparer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	minSame, maxDiff := math.Inf(1), math.Inf(-1)
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			r, err := c.Compare(ps[i], ps[j])
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s vs %s: High-CMC %d, score %.2f", scans[i].Name, scans[j].Name, r.Decision.HighCMC, r.Score)
			if scans[i].Truth.SourceID == scans[j].Truth.SourceID {
				minSame = math.Min(minSame, r.Score)
			} else {
				maxDiff = math.Max(maxDiff, r.Score)
			}
		}
	}
	if !(minSame > maxDiff) {
		t.Errorf("same-firearm scores ≥ %.2f, different-firearm ≤ %.2f: not separated", minSame, maxDiff)
	}
}
