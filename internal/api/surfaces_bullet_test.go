package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/api"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/synth"
	"github.com/tracemark/tracemark/internal/x3p"
)

// TestBulletPairView uploads the lands of two synthetic bullets fired from
// one barrel and checks the land-by-land pair view: every land's
// signature, the matched lands on the best phase with aligned signatures
// and striae.
func TestBulletPairView(t *testing.T) {
	scans, err := synth.Bullets(synth.BulletConfig{Barrels: 1, Bullets: 2, Seed: 11, SpacingUM: 3.125, LandHeightUM: 300})
	if err != nil {
		t.Fatal(err)
	}
	n, srv := testNode(t, 0)
	c := user(t, n, srv.URL, "ex", domain.RoleExaminer)
	exhibits := map[string]domain.Exhibit{}
	first := map[string]domain.ScanID{}
	var order []string
	for _, s := range scans {
		ex, ok := exhibits[s.Truth.BulletID]
		if !ok {
			var cs domain.Case
			c.json(http.MethodPost, "/api/cases", api.CaseInput{Number: "B-" + s.Truth.BulletID}, &cs)
			if st := c.json(http.MethodPost, "/api/cases/"+string(cs.ID)+"/exhibits",
				api.ExhibitInput{Label: "B1", Kind: domain.KindBullet, Role: domain.RoleCrimeScene}, &ex); st != http.StatusCreated {
				t.Fatalf("bullet exhibit: %d", st)
			}
			exhibits[s.Truth.BulletID] = ex
			order = append(order, s.Truth.BulletID)
		}
		var buf bytes.Buffer
		if err := x3p.Write(&buf, x3p.New(s.Surface)); err != nil {
			t.Fatal(err)
		}
		var up api.UploadResult
		if st := c.upload(ex.ID, s.Name+".x3p", buf.Bytes(), map[string]string{"kind": "bullet-land"}, &up); st != http.StatusCreated {
			t.Fatalf("upload %s: %d", s.Name, st)
		}
		if _, ok := first[s.Truth.BulletID]; !ok {
			first[s.Truth.BulletID] = up.Scan.ID
		}
	}
	if len(order) != 2 {
		t.Fatalf("%d bullets, want 2", len(order))
	}
	var v api.PairView
	if st := c.json(http.MethodGet, "/api/pair-view?a="+string(first[order[0]])+"&b="+string(first[order[1]]), nil, &v); st != http.StatusOK || v.Bullet == nil {
		t.Fatalf("bullet pair view: %d %+v", st, v)
	}
	b := v.Bullet
	if v.Kind != "bullet" || len(b.LandsA) != 6 || len(b.LandsB) != 6 || len(b.Scores) != 6 || len(b.Matched) == 0 {
		t.Fatalf("bullet view: kind %s, %d/%d lands, %d score rows, %d matched", v.Kind, len(b.LandsA), len(b.LandsB), len(b.Scores), len(b.Matched))
	}
	for _, l := range b.LandsA {
		if len(l.Signature) < 100 || l.DXUM <= 0 {
			t.Errorf("land %d: %d points at %g µm", l.Land, len(l.Signature), l.DXUM)
		}
	}
	matches := 0
	for _, m := range b.Matched {
		if len(m.AlignedA) != len(m.AlignedB) || len(m.AlignedA) == 0 {
			t.Errorf("lands %d/%d: aligned signatures of %d and %d points", m.LandA, m.LandB, len(m.AlignedA), len(m.AlignedB))
		}
		for _, s := range m.Striae {
			if s.ToUM < s.FromUM || s.ToUM > float64(len(m.AlignedA))*m.DXUM+m.DXUM {
				t.Errorf("stria %+v outside the aligned frame of %g µm", s, float64(len(m.AlignedA))*m.DXUM)
			}
			if s.Match {
				matches++
			}
		}
	}
	if b.SAM < 0.5 || matches == 0 {
		t.Errorf("same-barrel bullets: SAM %.3f, %d matching striae", b.SAM, matches)
	}
	t.Logf("bullet pair view: phase %d, SAM %.3f, %d matched lands, %d matching striae, %.0f ms", b.Phase, b.SAM, len(b.Matched), matches, v.ElapsedMS)

	// A conclusion on the pair and its comparison report with the signature plot.
	var cv api.ConclusionView
	if st := c.json(http.MethodPost, "/api/conclusions", api.ConclusionInput{ScanA: first[order[0]], ScanB: first[order[1]],
		Conclusion: store.Identification, Notes: "land engraved areas agree"}, &cv); st != http.StatusCreated {
		t.Fatalf("record: %d", st)
	}
	pdf := postPDF(t, c, "/api/conclusions/"+string(cv.ID)+"/report", api.ReportInput{Lang: "tk"})
	if text := pdfText(t, pdf.body); text != "" && !strings.Contains(text, "land engraved areas agree") {
		t.Errorf("bullet comparison report lacks the notes:\n%s", text)
	}
}
