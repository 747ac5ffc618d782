package bullet

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tracemark/tracemark/internal/metrics"
	"github.com/tracemark/tracemark/internal/realdata"
)

// hamby44 loads the two Hamby 44 barrel-1 bullets of the shared data.
func hamby44(tb testing.TB) (*Bullet, *Bullet) {
	tb.Helper()
	dir := realdata.Dir(tb, "hamby44-lowres")
	var bs [2]*Bullet
	for k := range bs {
		files := make([]string, 6)
		for l := range files {
			files[l] = filepath.Join(dir, "barrel1", fmt.Sprintf("bullet%d", k+1), fmt.Sprintf("Barrel_1-Bullet_%d-Land_%d.x3p", k+1, l+1))
		}
		b, err := LoadBullet(context.Background(), fmt.Sprintf("B1-Bu%d", k+1), files, DefaultParams())
		if err != nil {
			tb.Fatal(err)
		}
		for i, why := range b.Problems {
			if why != "" {
				tb.Fatalf("%s land %d unsuitable: %s", b.Name, i+1, why)
			}
		}
		bs[k] = b
	}
	return bs[0], bs[1]
}

// TestHamby44 checks the targets of the bullet engine on real lands that
// played no part in fitting the model: bullet 1 land k matches bullet 2
// land k+4 (mod 6).
func TestHamby44(t *testing.T) {
	b1, b2 := hamby44(t)
	c, err := NewComparer()
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.CompareBullets(b1, b2)
	if err != nil {
		t.Fatal(err)
	}
	if r.Phase != 4 {
		t.Errorf("phase %d, want 4 (phase scores %v)", r.Phase, r.PhaseScores)
	}
	t.Logf("SAM %.3f (CCF %.3f), margin %.3f, p-value %v", r.Score, r.ScoreCCF, r.Margin, r.PValue)

	// Every land ranks its true partner first among the other bullet's lands.
	for i := 0; i < 6; i++ {
		mate := (i + 4) % 6
		for j := 0; j < 6; j++ {
			if j != mate && r.Scores[i][j] >= r.Scores[i][mate] {
				t.Errorf("bullet 1 land %d: land %d of bullet 2 scores %.3f ≥ its partner %d's %.3f", i+1, j+1, r.Scores[i][j], mate+1, r.Scores[i][mate])
			}
			if j != i && r.Scores[j][mate] >= r.Scores[i][mate] {
				t.Errorf("bullet 2 land %d: land %d of bullet 1 scores %.3f ≥ its partner %d's %.3f", mate+1, j+1, r.Scores[j][mate], i+1, r.Scores[i][mate])
			}
		}
	}

	// Land AUC over all 66 pairs (within-bullet pairs are different lands).
	lands := append(append([]*Land(nil), b1.Lands...), b2.Lands...)
	var pairs []metrics.Scored
	for i := range lands {
		for j := i + 1; j < len(lands); j++ {
			lc, err := c.CompareLands(lands[i], lands[j])
			if err != nil {
				t.Fatal(err)
			}
			pairs = append(pairs, metrics.Scored{Score: lc.Score, Same: i < 6 && j == 6+(i+4)%6})
		}
	}
	auc := metrics.AUC(pairs)
	minSame, maxDiff := metrics.Separation(pairs)
	t.Logf("land AUC %.4f over %d pairs; lowest same-land score %.3f, highest different-land %.3f", auc, len(pairs), minSame, maxDiff)
	if auc < 0.95 {
		t.Errorf("land AUC %.4f < 0.95", auc)
	}
}
