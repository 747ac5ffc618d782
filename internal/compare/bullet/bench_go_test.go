package bullet

import (
	"testing"

	"github.com/tracemark/tracemark/internal/synth"
)

// synthLands returns processed synthetic lands of two bullets of one barrel
// at the given spacing.
func synthLands(tb testing.TB, spacing float64) (*Bullet, *Bullet, []synth.Scan) {
	tb.Helper()
	scans, err := synth.Bullets(synth.BulletConfig{Barrels: 1, Bullets: 2, Seed: 5, SpacingUM: spacing, ShuffleLands: true})
	if err != nil {
		tb.Fatal(err)
	}
	var bs [2]*Bullet
	for k := range bs {
		bs[k] = &Bullet{Name: scans[6*k].Truth.BulletID}
		for _, s := range scans[6*k : 6*k+6] {
			l, err := ProcessLand(s.Surface, DefaultParams())
			if err != nil {
				tb.Fatal(err)
			}
			bs[k].Lands = append(bs[k].Lands, l)
		}
	}
	return bs[0], bs[1], scans
}

func benchComparer(b *testing.B) *Comparer {
	c, err := NewComparer()
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkLandPair(b *testing.B) {
	b.Run("hamby44-7.8um", func(b *testing.B) {
		b1, b2 := hamby44(b)
		c := benchComparer(b)
		for b.Loop() {
			if _, err := c.CompareLands(b1.Lands[0], b2.Lands[4]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("synth-1.5625um", func(b *testing.B) {
		b1, b2, _ := synthLands(b, 1.5625)
		c := benchComparer(b)
		for b.Loop() {
			if _, err := c.CompareLands(b1.Lands[0], b2.Lands[1]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkBulletPair(b *testing.B) {
	b.Run("hamby44-7.8um", func(b *testing.B) {
		b1, b2 := hamby44(b)
		c := benchComparer(b)
		for b.Loop() {
			if _, err := c.CompareBullets(b1, b2); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("synth-1.5625um", func(b *testing.B) {
		b1, b2, _ := synthLands(b, 1.5625)
		c := benchComparer(b)
		for b.Loop() {
			if _, err := c.CompareBullets(b1, b2); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPreprocessLand(b *testing.B) {
	for _, sp := range []float64{1.5625, 7.8125} {
		scans, err := synth.Bullets(synth.BulletConfig{Barrels: 1, Bullets: 1, Lands: 1, Seed: 9, SpacingUM: sp})
		if err != nil {
			b.Fatal(err)
		}
		b.Run("synth-"+formatSpacing(sp), func(b *testing.B) {
			for b.Loop() {
				if _, err := ProcessLand(scans[0].Surface, DefaultParams()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func formatSpacing(sp float64) string {
	switch sp {
	case 1.5625:
		return "1.5625um"
	default:
		return "7.8125um"
	}
}
