package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/api"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
)

// storedScan records a scan of exhibit directly in the store (conclusions
// need no surface).
func storedScan(t *testing.T, n *server.Node, ex domain.Exhibit, content string) domain.Scan {
	t.Helper()
	sc, _, err := n.Store.PutScan(context.Background(), domain.Scan{AgencyID: ex.AgencyID, ExhibitID: ex.ID,
		Original: blob.RefOf([]byte(content)), Size: int64(len(content)), Format: domain.FormatX3P})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// body returns a response body as text.
func (c client) body(method, path string, in any) (int, string) {
	c.t.Helper()
	var r io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		r = bytes.NewReader(b)
	}
	resp := c.raw(method, path, r, "application/json")
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestBlindVerification walks a conclusion through blind verification,
// disagreement and resolution as four users, checking that the verifier
// never sees the first conclusion before recording theirs.
func TestBlindVerification(t *testing.T) {
	n, srv := testNode(t, 0)
	first := user(t, n, srv.URL, "first", domain.RoleExaminer)
	second := user(t, n, srv.URL, "second", domain.RoleExaminer)
	super := user(t, n, srv.URL, "super", domain.RoleVerifier)
	tech := user(t, n, srv.URL, "tech", domain.RoleTechnician)
	exA, exB := newExhibit(t, first, "C-1"), newExhibit(t, first, "C-2")
	scanA, scanB := storedScan(t, n, exA, "a"), storedScan(t, n, exB, "b")

	const secret = "Aperture shear agrees at 3 o'clock"
	in := api.ConclusionInput{ScanA: scanA.ID, ScanB: scanB.ID, Conclusion: store.Identification, Notes: secret,
		Annotations:    []store.Annotation{{Scan: "a", Kind: "rect", Points: [][2]float64{{1, 2}, {30, 40}}, Label: "shear"}},
		IdempotencyKey: "form-1"}
	var rec api.ConclusionView
	if st := first.json(http.MethodPost, "/api/conclusions", in, &rec); st != http.StatusCreated {
		t.Fatalf("record: %d", st)
	}
	if rec.Blind || rec.Conclusion.Conclusion != store.Identification || rec.Notes != secret || rec.Status != store.AwaitingVerification {
		t.Errorf("the examiner's own view: %+v", rec)
	}
	id := string(rec.ID)

	// Nothing recorded twice: same key, then same pair without a key.
	var p problem
	if st := first.json(http.MethodPost, "/api/conclusions", in, &p); st != http.StatusConflict || !strings.Contains(p.Detail, id) {
		t.Errorf("same form again: %d %q", st, p.Detail)
	}
	in.IdempotencyKey = ""
	if st := first.json(http.MethodPost, "/api/conclusions", in, &p); st != http.StatusConflict {
		t.Errorf("second open conclusion on the pair: %d %q", st, p.Detail)
	}
	if st := tech.json(http.MethodPost, "/api/conclusions", in, nil); st != http.StatusForbidden {
		t.Errorf("a technician records a conclusion: %d", st)
	}

	// Blind: nothing the verifier can read reveals the conclusion or notes.
	for _, path := range []string{"/api/conclusions/" + id, "/api/conclusions?case=" + string(exA.CaseID), "/api/verifications", "/api/my-work"} {
		st, b := second.body(http.MethodGet, path, nil)
		if st != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, st, b)
		}
		if !strings.Contains(b, id) || !strings.Contains(b, `"blind":true`) {
			t.Errorf("GET %s does not list the pending conclusion as blind: %s", path, b)
		}
		if strings.Contains(b, "identification") || strings.Contains(b, "shear") || strings.Contains(b, "Aperture") {
			t.Errorf("GET %s reveals the first conclusion to the verifier: %s", path, b)
		}
	}
	if st, b := second.body(http.MethodGet, "/api/cases/"+string(exA.CaseID)+"/audit", nil); st != http.StatusOK || !strings.Contains(b, id) ||
		strings.Contains(b, "identification") || strings.Contains(b, "Aperture") {
		t.Errorf("the case's audit trail, as the verifier reads it: %d %s", st, b)
	}
	var techWork api.MyWork
	if st := tech.json(http.MethodGet, "/api/my-work", nil, &techWork); st != http.StatusOK || len(techWork.Verifications) != 0 {
		t.Errorf("a technician, who cannot verify, is offered %d verifications (%d)", len(techWork.Verifications), st)
	}
	var mine api.MyWork
	first.json(http.MethodGet, "/api/my-work", nil, &mine)
	if len(mine.Verifications) != 0 || len(mine.MyOpenConclusions) != 1 || mine.MyOpenConclusions[0].Blind {
		t.Errorf("the examiner's work: %+v", mine)
	}

	check := api.CheckInput{Conclusion: store.Elimination, Notes: "no agreement", IdempotencyKey: "verify-1"}
	if st := first.json(http.MethodPost, "/api/conclusions/"+id+"/verification", check, &p); st != http.StatusForbidden {
		t.Errorf("the examiner verifies their own conclusion: %d %q", st, p.Detail)
	}
	var ver api.ConclusionView
	if st := second.json(http.MethodPost, "/api/conclusions/"+id+"/verification", check, &ver); st != http.StatusOK {
		t.Fatalf("verify: %d", st)
	}
	if ver.Blind || ver.Status != store.Disagreement || ver.Conclusion.Conclusion != store.Identification || ver.Verification == nil || ver.Verification.Agrees {
		t.Errorf("after the verification: %+v", ver)
	}
	if st := second.json(http.MethodPost, "/api/conclusions/"+id+"/verification", check, &p); st != http.StatusConflict {
		t.Errorf("verification submitted twice: %d %q", st, p.Detail)
	}
	if st := second.json(http.MethodPost, "/api/conclusions/"+id+"/resolution", api.CheckInput{Conclusion: store.Elimination}, nil); st != http.StatusForbidden {
		t.Errorf("an examiner without the verifier role resolves: %d", st)
	}
	var work api.MyWork
	super.json(http.MethodGet, "/api/my-work", nil, &work)
	if len(work.Disagreements) != 1 || work.Disagreements[0].ID != rec.ID {
		t.Errorf("the supervisor's disagreements: %+v", work.Disagreements)
	}
	var res api.ConclusionView
	if st := super.json(http.MethodPost, "/api/conclusions/"+id+"/resolution", api.CheckInput{Conclusion: store.Identification, Notes: "re-examined"}, &res); st != http.StatusOK {
		t.Fatalf("resolve: %d", st)
	}
	if res.Status != store.Resolved || res.FinalConclusion != store.Identification || res.Link == nil {
		t.Fatalf("resolved: %+v", res)
	}
	var detail api.CaseDetail
	first.json(http.MethodGet, "/api/cases/"+string(exB.CaseID), nil, &detail)
	if len(detail.Links) != 1 || detail.Links[0].ConclusionID != id {
		t.Errorf("case detail links: %+v", detail.Links)
	}
	if st := super.json(http.MethodPost, "/api/conclusions/"+id+"/resolution", api.CheckInput{Conclusion: store.Identification}, &p); st != http.StatusConflict {
		t.Errorf("resolved twice: %d %q", st, p.Detail)
	}
}

func TestConclusionBadInput(t *testing.T) {
	n, srv := testNode(t, 0)
	c := user(t, n, srv.URL, "ex", domain.RoleExaminer)
	ex := newExhibit(t, c, "C-1")
	sc := storedScan(t, n, ex, "a")
	gone := domain.CandidateID("0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6b")
	cases := []struct {
		name string
		body string
		want int
		says string
	}{
		{"candidate deleted meanwhile", `{"candidate_id":"` + string(gone) + `","conclusion":"elimination"}`, http.StatusNotFound, "no longer exists"},
		{"no pair", `{"conclusion":"elimination"}`, http.StatusUnprocessableEntity, "candidate_id"},
		{"unknown conclusion", `{"scan_a":"` + string(sc.ID) + `","scan_b":"` + string(sc.ID) + `","conclusion":"probable"}`, http.StatusUnprocessableEntity, "validation"},
		{"same scan twice", `{"scan_a":"` + string(sc.ID) + `","scan_b":"` + string(sc.ID) + `","conclusion":"elimination"}`, http.StatusUnprocessableEntity, "same scan"},
		{"bad annotation", `{"scan_a":"` + string(sc.ID) + `","scan_b":"` + string(gone) + `","conclusion":"elimination","annotations":[{"scan":"a","kind":"rect","points_um":[[1,2]]}]}`,
			http.StatusUnprocessableEntity, "rect"},
		{"missing scan", `{"scan_a":"` + string(sc.ID) + `","scan_b":"` + string(gone) + `","conclusion":"elimination"}`, http.StatusNotFound, "scan_b"},
	}
	for _, tc := range cases {
		var p problem
		st := c.do(http.MethodPost, "/api/conclusions", strings.NewReader(tc.body), "application/json", &p)
		if st != tc.want || !strings.Contains(p.Detail+jsonText(p), tc.says) {
			t.Errorf("%s: %d %q, want %d mentioning %q", tc.name, st, p.Detail, tc.want, tc.says)
		}
	}
	var list struct{ Items []api.ConclusionView }
	c.json(http.MethodGet, "/api/conclusions", nil, &list)
	if len(list.Items) != 0 {
		t.Errorf("bad input stored %d conclusions", len(list.Items))
	}
	if st := c.json(http.MethodGet, "/api/conclusions/"+string(gone), nil, nil); st != http.StatusNotFound {
		t.Errorf("unknown conclusion: %d", st)
	}
}

func jsonText(v any) string { b, _ := json.Marshal(v); return string(b) }
