package report

import (
	"bytes"
	"image/png"
	"math"
	"testing"

	"github.com/tracemark/tracemark/internal/compare/bullet"
)

func TestFromBullet(t *testing.T) {
	sig := func(phase float64) []float64 {
		v := make([]float64, 300)
		for i := range v {
			v[i] = 2 * math.Sin(float64(i)/9+phase)
		}
		v[10] = math.NaN()
		return v
	}
	r := &bullet.BulletComparison{A: "B1", B: "B2", Phase: 1, Score: 0.82, Margin: 0.3, PairsOnPhase: 2, PValue: bullet.Value(math.NaN()),
		Matched: []bullet.MatchedLand{{LandA: 1, LandB: 2, Score: 0.9, AlignedA: sig(0), AlignedB: sig(0.1), DX: 1.5}, {LandA: 2, LandB: 3, Score: 0.7, AlignedA: sig(1), AlignedB: sig(1.2), DX: 1.5}}}
	c, err := FromBullet("E3", "T1", r, 5)
	if err != nil {
		t.Fatal(err)
	}
	if c.Bullet == nil || c.Bullet.SAM != 0.82 || c.Bullet.Pairs != 2 || c.Bullet.PValue != nil {
		t.Errorf("scores %+v", c.Bullet)
	}
	if _, err := png.Decode(bytes.NewReader(c.Image)); err != nil {
		t.Errorf("signature plot: %v", err)
	}
	c.Conclusion = InconclusiveA
	d := sampleData(KindComparison)
	d.Comparisons = []Comparison{c}
	if _, err := Render(d, "ky", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := FromBullet("E3", "T1", &bullet.BulletComparison{A: "x", B: "y"}, 5); err == nil {
		t.Error("a result without matched lands gave a plot")
	}
	if _, err := FromBullet("E3", "T1", nil, 5); err == nil {
		t.Error("nil result accepted")
	}
	if _, err := FromCartridge("E1", "E2", nil, nil, nil, ""); err == nil {
		t.Error("nil cartridge result accepted")
	}
}
