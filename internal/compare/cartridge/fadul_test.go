package cartridge

import (
	"path/filepath"
	"testing"

	"github.com/tracemark/tracemark/internal/realdata"
	"github.com/tracemark/tracemark/internal/x3p"
)

func loadFadul(t testing.TB, cfg Config, names ...string) []*Prepared {
	t.Helper()
	dir := realdata.Dir(t, "fadul")
	var out []*Prepared
	for _, n := range names {
		f, err := x3p.ReadFile(filepath.Join(dir, "fadulProcessed", "Fadul "+n+".x3p"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := Prepare("Fadul "+n, f.Surface, cfg)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func TestFadulQuick(t *testing.T) {
	for _, cfg := range []Config{CmcRConfig(), DefaultConfig()} {
		ps := loadFadul(t, cfg, "1-1", "1-2", "2-1")
		c, err := NewComparer(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range [][2]int{{0, 1}, {0, 2}} {
			r, err := c.Compare(ps[pr[0]], ps[pr[1]])
			if err != nil {
				t.Fatal(err)
			}
			d := r.Decision
			t.Logf("%s %s vs %s: orig %d/%d high %d (f %v %d, b %v %d) reg f %+v b %+v cells %d/%d %.0f ms",
				cfg.Mode, r.A, r.B, d.Forward.Count, d.Backward.Count, d.HighCMC, d.HighForward.Passed, len(d.HighForward.CMCs),
				d.HighBackward.Passed, len(d.HighBackward.CMCs), r.Forward.Registration, r.Backward.Registration, r.Forward.Cells, r.Backward.Cells, r.Elapsed)
		}
	}
}
