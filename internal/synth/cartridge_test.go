package synth

import (
	"math"
	"testing"

	"github.com/tracemark/tracemark/internal/metrics"
	"github.com/tracemark/tracemark/internal/surface"
)

func smallCartridges(seed uint64) CartridgeConfig {
	return CartridgeConfig{Firearms: 3, Shots: 3, Seed: seed, SizePX: 160}
}

func TestCartridgesDeterministic(t *testing.T) {
	a, err := Cartridges(smallCartridges(4))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Cartridges(smallCartridges(4))
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i].Truth != b[i].Truth || a[i].Name != b[i].Name || !sameMaps(a[i].Surface, b[i].Surface) {
			t.Fatalf("scan %d (%s) differs between two runs with the same seed", i, a[i].Name)
		}
	}
	c, err := Cartridges(smallCartridges(5))
	if err != nil {
		t.Fatal(err)
	}
	if sameMaps(a[0].Surface, c[0].Surface) {
		t.Error("seeds 4 and 5 gave the same first scan")
	}
	cfg := smallCartridges(4)
	cfg.Firearms, cfg.Shots = 1, 2
	one, err := Cartridges(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range one {
		if one[i].Truth != a[i].Truth || !sameMaps(one[i].Surface, a[i].Surface) {
			t.Fatalf("shot %d of a smaller run differs from the larger run", i)
		}
	}
}

func TestCartridgesTruth(t *testing.T) {
	cfg := smallCartridges(9)
	cfg.RotationRangeDeg = 180
	scans, err := Cartridges(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(scans) != cfg.Firearms*cfg.Shots {
		t.Fatalf("%d scans, want %d", len(scans), cfg.Firearms*cfg.Shots)
	}
	names := map[string]bool{}
	for i, s := range scans {
		tr := s.Truth
		if want := "firearm-00" + string(rune('1'+i/cfg.Shots)); tr.SourceID != want {
			t.Errorf("%s: source %q, want %q", s.Name, tr.SourceID, want)
		}
		if names[s.Name] || s.Name != tr.ShotID || s.Kind != KindCartridge || tr.BulletID != "" || tr.Land != 0 {
			t.Errorf("%s: inconsistent truth %+v", s.Name, tr)
		}
		names[s.Name] = true
		if math.Abs(tr.RotationDeg) > 180 || math.Abs(tr.ShiftXUM) > maxShiftUM || math.Abs(tr.ShiftYUM) > maxShiftUM {
			t.Errorf("%s: pose out of range: %+v", s.Name, tr)
		}
		m := s.Surface
		if m.NX != cfg.SizePX || m.NY != cfg.SizePX || m.DX != DefaultCartridgeSpacingUM {
			t.Errorf("%s: %d×%d at %g µm", s.Name, m.NX, m.NY, m.DX)
		}
	}
}

func TestCartridgesMissingFraction(t *testing.T) {
	for _, raw := range []bool{false, true} {
		cfg := smallCartridges(2)
		cfg.Raw = raw
		scans, err := Cartridges(cfg)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := 0.36, 0.62 // annulus of R = 0.40–0.46 side, hole 0.25–0.35 R
		if raw {
			lo, hi = 0.29, 0.5 // primer disc of R = 0.42–0.47 side, pin-hole wall losses
		}
		for _, s := range scans {
			m := s.Surface
			if f := 1 - m.ValidFraction(); f < lo || f > hi {
				t.Errorf("raw=%v %s: NaN fraction %.3f, want %.2f–%.2f", raw, s.Name, f, lo, hi)
			}
			if !math.IsNaN(m.At(0, 0)) || !math.IsNaN(m.At(m.NX-1, m.NY-1)) {
				t.Errorf("raw=%v %s: corners outside the primer are not missing", raw, s.Name)
			}
			centre := m.At(m.NX/2, m.NY/2)
			if raw == math.IsNaN(centre) && !raw {
				t.Errorf("%s: processed scan has a value in the firing-pin hole", s.Name)
			}
		}
	}
}

func TestCartridgesRawFeatures(t *testing.T) {
	cfg := CartridgeConfig{Firearms: 1, Shots: 3, Seed: 3, SizePX: 200, Raw: true}
	scans, err := Cartridges(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scans {
		m := s.Surface
		side := float64(m.NX) * m.DX
		// Median heights on rings around the centre (in units of the side).
		ring := func(r0, r1 float64) float64 {
			var v []float64
			mid := float64(m.NX-1) / 2
			for row := 0; row < m.NY; row++ {
				for col := 0; col < m.NX; col++ {
					d := math.Hypot(float64(col)-mid, float64(row)-mid) * m.DX / side
					if d >= r0 && d < r1 {
						v = append(v, m.At(col, row))
					}
				}
			}
			return nanMedian(v)
		}
		hole, face := ring(0, 0.04), ring(0.25, 0.35)
		if face-hole < 30 {
			t.Errorf("%s: firing-pin impression %.1f µm below the breech face, want > 30", s.Name, face-hole)
		}
	}
}

// poseCorrelation returns the correlation of a with b after mapping a's
// points into b through the known relative pose (bilinear, NaN-aware).
func poseCorrelation(a, b *surface.Map, ta, tb Truth) float64 {
	th, dx, dy := RelativePose(ta, tb)
	s, c := math.Sincos(th * math.Pi / 180)
	midA := float64(a.NX-1) / 2 * a.DX
	midB := float64(b.NX-1) / 2 * b.DX
	var xs, ys []float64
	for row := 0; row < a.NY; row++ {
		for col := 0; col < a.NX; col++ {
			za := a.At(col, row)
			if math.IsNaN(za) {
				continue
			}
			px, py := float64(col)*a.DX-midA, float64(row)*a.DY-midA
			fx := (c*px - s*py + dx + midB) / b.DX
			fy := (s*px + c*py + dy + midB) / b.DY
			x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
			if x0 < 0 || y0 < 0 || x0+1 >= b.NX || y0+1 >= b.NY {
				continue
			}
			tx, ty := fx-float64(x0), fy-float64(y0)
			zb := (1-ty)*((1-tx)*b.At(x0, y0)+tx*b.At(x0+1, y0)) + ty*((1-tx)*b.At(x0, y0+1)+tx*b.At(x0+1, y0+1))
			if !math.IsNaN(zb) {
				xs = append(xs, za)
				ys = append(ys, zb)
			}
		}
	}
	r, _ := pearson(xs, ys)
	return r
}

func TestCartridgesSameSourceCorrelates(t *testing.T) {
	cfg := CartridgeConfig{Firearms: 4, Shots: 3, Seed: 17, SizePX: 200}
	scans, err := Cartridges(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []metrics.Scored
	var same, diff []float64
	for i := range scans {
		for j := i + 1; j < len(scans); j++ {
			r := poseCorrelation(scans[i].Surface, scans[j].Surface, scans[i].Truth, scans[j].Truth)
			km := scans[i].Truth.SourceID == scans[j].Truth.SourceID
			pairs = append(pairs, metrics.Scored{Score: r, Same: km})
			if km {
				same = append(same, r)
			} else {
				diff = append(diff, r)
			}
		}
	}
	minSame, maxDiff := metrics.Separation(pairs)
	t.Logf("pose-undone correlation: KM mean %.3f min %.3f, KNM mean %.3f max %.3f", mean(same), minSame, mean(diff), maxDiff)
	if minSame <= maxDiff {
		t.Errorf("same-source minimum %.3f not above different-source maximum %.3f", minSame, maxDiff)
	}
	if mean(same) < 0.3 || math.Abs(mean(diff)) > 0.1 {
		t.Errorf("KM mean %.3f (want ≥ 0.3), KNM mean %.3f (want about 0)", mean(same), mean(diff))
	}
}

func TestCartridgesConsecutiveWeight(t *testing.T) {
	// Firearms sharing a sub-class field look alike in the template frame:
	// the correlation of different firearms at the same pose rises with the
	// shared weight.
	knm := func(w float64) float64 {
		cfg := CartridgeConfig{Firearms: 3, Shots: 1, Seed: 8, SizePX: 160, ConsecutiveWeight: w, NoiseSNR: math.Inf(1)}
		scans, err := Cartridges(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var v []float64
		for i := range scans {
			for j := i + 1; j < len(scans); j++ {
				v = append(v, poseCorrelation(scans[i].Surface, scans[j].Surface, scans[i].Truth, scans[j].Truth))
			}
		}
		return mean(v)
	}
	r0, r6 := knm(0), knm(0.6)
	t.Logf("KNM correlation: %.3f without, %.3f with a shared weight of 0.6", r0, r6)
	if r6 < r0+0.12 {
		t.Errorf("shared weight 0.6 raised KNM correlation from %.3f to only %.3f", r0, r6)
	}
}

func TestCartridgeConfigErrors(t *testing.T) {
	for _, c := range []CartridgeConfig{
		{Firearms: 0, Shots: 1},
		{Firearms: 1, Shots: 0},
		{Firearms: 1, Shots: 1, SpacingUM: -3},
		{Firearms: 1, Shots: 1, SizePX: 10},
		{Firearms: 1, Shots: 1, NoiseSNR: -1},
		{Firearms: 1, Shots: 1, RotationRangeDeg: 200},
		{Firearms: 1, Shots: 1, ConsecutiveWeight: 1},
	} {
		if _, err := Cartridges(c); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

func BenchmarkCartridge400(b *testing.B) {
	for _, raw := range []bool{false, true} {
		name := "processed"
		if raw {
			name = "raw"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				cfg := CartridgeConfig{Firearms: 1, Shots: 1, Seed: uint64(i), Raw: raw}
				if _, err := Cartridges(cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCartridgeShot400(b *testing.B) {
	// Per-firing cost once the firearm template exists.
	cfg, _ := CartridgeConfig{Firearms: 1, Shots: 1}.withDefaults()
	n := templateSize(cfg)
	tpl := firearmTemplate(newRand(1, tagFirearm, 0), cfg, newSpectrum(n, n, cfg.SpacingUM, breechShortUM, breechLongUM, breechBeta), nil, classMarks{})
	spec := noiseSpectrum(cfg)
	for i := 0; b.Loop(); i++ {
		fire(newRand(1, tagShot, 0, uint64(i)), cfg, tpl, spec)
	}
}

func BenchmarkBulletLand(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		cfg := BulletConfig{Barrels: 1, Bullets: 1, Lands: 1, Seed: uint64(i)}
		if _, err := Bullets(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCartridgesNoiseLowersCorrelation(t *testing.T) {
	// Same-source correlation after undoing the pose falls as the SNR falls.
	prev := 2.0
	for _, snr := range []float64{math.Inf(1), 2, 0.5} {
		cfg := CartridgeConfig{Firearms: 2, Shots: 2, Seed: 6, SizePX: 128, NoiseSNR: snr}
		scans, err := Cartridges(cfg)
		if err != nil {
			t.Fatal(err)
		}
		r := (poseCorrelation(scans[0].Surface, scans[1].Surface, scans[0].Truth, scans[1].Truth) +
			poseCorrelation(scans[2].Surface, scans[3].Surface, scans[2].Truth, scans[3].Truth)) / 2
		t.Logf("SNR %g: KM correlation %.3f", snr, r)
		if r >= prev {
			t.Errorf("SNR %g: correlation %.3f not below %.3f of the higher SNR", snr, r, prev)
		}
		prev = r
	}
}
