package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/api"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/tracing"
)

// TestFirearmsTracesStats drives the tracing routes as two agencies of
// one node: firearm records with transliterated and look-alike search,
// a trace request from one agency to the other through its states, the
// agency scope of every record, and the statistics.
func TestFirearmsTracesStats(t *testing.T) {
	n, srv := testNode(t, 0)
	ctx := context.Background()
	uzAgency, err := n.Store.CreateAgency(ctx, domain.Agency{Code: "UZ-MFC", Name: "Main forensic centre", Country: "UZ"})
	if err != nil {
		t.Fatal(err)
	}
	kzAgency, err := n.Store.CreateAgency(ctx, domain.Agency{Code: "KZ-MIA", Name: "Forensic centre", Country: "KZ"})
	if err != nil {
		t.Fatal(err)
	}
	newUser(t, n, kzAgency.ID, "kz-examiner", domain.RoleExaminer)
	newUser(t, n, kzAgency.ID, "kz-liaison", domain.RoleLiaison)
	ex, kzLiaison := signIn(t, srv.URL, "kz-examiner"), signIn(t, srv.URL, "kz-liaison")
	newUser(t, n, uzAgency.ID, "uz-liaison", domain.RoleLiaison)
	uzLiaison := signIn(t, srv.URL, "uz-liaison")

	var f tracing.Firearm
	in := api.FirearmInput{Make: "Izhevsk Mechanical Plant", Model: "ПМ", Type: tracing.TypePistol, Calibre: "9x18mm Makarov",
		SerialNumber: "ЕА 1234", CountryOfManufacture: "RU", OtherMarkings: []tracing.Marking{{Text: "ИЖ", Kind: "arsenal"}}}
	if st := ex.json(http.MethodPost, "/api/firearms", in, &f); st != http.StatusCreated {
		t.Fatalf("create firearm: %d", st)
	}
	if f.Status != tracing.StatusSeized || len(f.History) != 1 {
		t.Errorf("new firearm: status %s, %d history events", f.Status, len(f.History))
	}
	var list struct{ Items []tracing.Firearm }
	if st := ex.json(http.MethodGet, "/api/firearms?text=PM", nil, &list); st != http.StatusOK || len(list.Items) != 1 {
		t.Errorf("list by Latin model PM: %d, %d items", st, len(list.Items))
	}
	var serials struct {
		Items []api.SerialMatch
	}
	if st := ex.json(http.MethodGet, "/api/firearm-serials?q=EA12%3F4", nil, &serials); st != http.StatusOK || len(serials.Items) != 1 || serials.Items[0].Firearm.ID != f.ID {
		t.Errorf("serial search EA12?4: %d %+v", st, serials.Items)
	}
	if st := ex.json(http.MethodGet, "/api/firearm-serials?q=8A1234", nil, &serials); st != http.StatusOK || len(serials.Items) != 0 && serials.Items[0].Score >= 1 {
		t.Errorf("look-alike 8 for E must not score as exact: %d %+v", st, serials.Items)
	}
	var models struct{ Items []tracing.ModelMatch }
	if st := ex.json(http.MethodGet, "/api/firearm-models?q=%D0%9F%D0%9C", nil, &models); st != http.StatusOK || len(models.Items) == 0 {
		t.Errorf("model lookup ПМ: %d, %d matches", st, len(models.Items))
	}
	var tr struct{ Latin string }
	if st := ex.json(http.MethodGet, "/api/transliterate?text=%D0%98%D0%96&lang=ru", nil, &tr); st != http.StatusOK || tr.Latin != "IZH" {
		t.Errorf("transliterate ИЖ: %d %+v", st, tr)
	}
	if st := ex.json(http.MethodPost, "/api/firearms/"+string(f.ID)+"/status", map[string]any{"status": "in_reference_collection", "note": "test fired"}, &f); st != http.StatusOK || len(f.History) != 2 {
		t.Errorf("status change: %d, %d history events", st, len(f.History))
	}
	if st := ex.json(http.MethodPost, "/api/firearms/"+string(f.ID)+"/status", map[string]any{"status": "melted"}, nil); st != http.StatusUnprocessableEntity {
		t.Errorf("bad status: %d, want 422", st)
	}
	if st := uzLiaison.json(http.MethodGet, "/api/firearms/"+string(f.ID), nil, nil); st != http.StatusNotFound {
		t.Errorf("another agency reading the firearm: %d, want 404", st)
	}
	var g tracing.Graph
	if st := ex.json(http.MethodGet, "/api/firearms/"+string(f.ID)+"/graph", nil, &g); st != http.StatusOK || len(g.Nodes) != 2 || len(g.Edges) != 1 {
		t.Errorf("graph of a firearm without test fires: %d, %+v", st, g)
	}

	// A trace request from KZ to itself is refused; to UZ: sent, answered by UZ only.
	if st := kzLiaison.json(http.MethodPost, "/api/trace-requests", api.TraceRequestInput{Addressee: tracing.Party{AgencyID: kzAgency.ID},
		FirearmID: f.ID, Reason: "r", LegalBasis: "ITI"}, nil); st != http.StatusUnprocessableEntity && st != http.StatusBadRequest {
		t.Errorf("trace request to the agency itself: %d", st)
	}
	var req tracing.TraceRequest
	deadline := time.Now().Add(-time.Hour).UTC()
	if st := kzLiaison.json(http.MethodPost, "/api/trace-requests", api.TraceRequestInput{Addressee: tracing.Party{AgencyID: uzAgency.ID},
		FirearmID: f.ID, Reason: "recovered at a crime scene", LegalBasis: "ITI para 17", Deadline: deadline, Send: true}, &req); st != http.StatusCreated {
		t.Fatalf("create trace request: %d", st)
	}
	if req.Status != tracing.TraceSent || req.Addressee.Country != "UZ" || req.Firearm.SerialNumber != "ЕА 1234" {
		t.Errorf("trace request: %s to %s, firearm %q", req.Status, req.Addressee.Country, req.Firearm.SerialNumber)
	}
	var incoming struct{ Items []tracing.TraceRequest }
	if st := uzLiaison.json(http.MethodGet, "/api/trace-requests?direction=incoming", nil, &incoming); st != http.StatusOK || len(incoming.Items) != 1 {
		t.Errorf("UZ incoming: %d, %d items", st, len(incoming.Items))
	}
	var reminders struct{ Items []tracing.Reminder }
	if st := uzLiaison.json(http.MethodGet, "/api/trace-reminders", nil, &reminders); st != http.StatusOK || len(reminders.Items) != 1 || reminders.Items[0].Kind != tracing.Overdue {
		t.Errorf("reminders: %d %+v", st, reminders.Items)
	}
	answer := map[string]any{"text": "exported in 1996 to a dealer", "point_of_diversion": "dealer"}
	if st := kzLiaison.json(http.MethodPost, "/api/trace-requests/"+string(req.ID)+"/answers", answer, nil); st != http.StatusForbidden {
		t.Errorf("the requester answering its own request: %d, want 403", st)
	}
	if st := uzLiaison.json(http.MethodPost, "/api/trace-requests/"+string(req.ID)+"/answers", answer, &req); st != http.StatusOK || req.Status != tracing.TraceAnswered || len(req.Answers) != 1 {
		t.Errorf("answer: %d, %s, %d answers", st, req.Status, len(req.Answers))
	}
	if st := kzLiaison.json(http.MethodPost, "/api/trace-requests/"+string(req.ID)+"/status", map[string]any{"status": "closed"}, &req); st != http.StatusOK || req.Status != tracing.TraceClosed {
		t.Errorf("close: %d %s", st, req.Status)
	}
	if st := kzLiaison.json(http.MethodPost, "/api/trace-requests/"+string(req.ID)+"/status", map[string]any{"status": "sent"}, nil); st != http.StatusConflict {
		t.Errorf("re-sending a closed request: %d, want 409", st)
	}

	// Statistics, JSON and CSV.
	var stats api.TracingStats
	if st := ex.json(http.MethodGet, "/api/stats/tracing", nil, &stats); st != http.StatusOK ||
		stats.Firearms.Count("in_reference_collection", "pistol") != 1 || stats.Traces.Count("closed", "UZ") != 1 || len(stats.Hits.Rows) != 12 {
		t.Errorf("stats: %d %+v", st, stats)
	}
	resp := ex.raw(http.MethodGet, "/api/stats/tracing.csv?table=firearms", nil, "")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "status,pistol,total\n") || !strings.Contains(string(body), "in_reference_collection,1,1") {
		t.Errorf("stats CSV: %d %q", resp.StatusCode, body)
	}
	if st := ex.json(http.MethodGet, "/api/stats/tracing?from=2026-13", nil, nil); st != http.StatusUnprocessableEntity && st != http.StatusBadRequest {
		t.Errorf("bad month: %d", st)
	}
	// Exchange is off on a node without a country: said so, not a crash.
	if st := kzLiaison.json(http.MethodPost, "/api/exchange/verify", nil, nil); st != http.StatusServiceUnavailable && st != http.StatusBadRequest {
		t.Errorf("verify without federation: %d", st)
	}
}

// TestFirearmLeadsAndGraph: the test fire of a recovered firearm is
// searched against open crime-scene exhibits and finds the cartridge case
// it fired; confirming that candidate links the cases, and the firearm's
// graph reaches the crime-scene case.
func TestFirearmLeadsAndGraph(t *testing.T) {
	if testing.Short() {
		t.Skip("compares real scans")
	}
	n, srv := testNode(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Work(ctx, 1) }()
	defer func() { cancel(); <-done }()
	c := user(t, n, srv.URL, "ex", domain.RoleExaminer)
	crime := newExhibit(t, c, "CS-1")
	if st := c.upload(crime.ID, "Fadul 1-1.x3p", fixture(t, "Fadul 1-1.x3p"), nil, nil); st != http.StatusCreated {
		t.Fatalf("crime-scene upload: %d", st)
	}
	var tfCase domain.Case
	if st := c.json(http.MethodPost, "/api/cases", api.CaseInput{Number: "TF-1", Title: "test fires of a seized pistol"}, &tfCase); st != http.StatusCreated {
		t.Fatalf("case: %d", st)
	}
	var tf domain.Exhibit
	if st := c.json(http.MethodPost, "/api/cases/"+string(tfCase.ID)+"/exhibits", api.ExhibitInput{Label: "TF1", Kind: domain.KindTestFire, Role: domain.RoleReference}, &tf); st != http.StatusCreated {
		t.Fatalf("test-fire exhibit: %d", st)
	}
	var up api.UploadResult
	if st := c.upload(tf.ID, "Fadul 1-2.x3p", fixture(t, "Fadul 1-2.x3p"), nil, &up); st != http.StatusCreated {
		t.Fatalf("test-fire upload: %d", st)
	}
	var f tracing.Firearm
	if st := c.json(http.MethodPost, "/api/firearms", api.FirearmInput{Make: "Ruger", Model: "SR9", Type: tracing.TypePistol, CaseID: tfCase.ID}, &f); st != http.StatusCreated {
		t.Fatalf("firearm: %d", st)
	}
	if st := c.json(http.MethodPost, "/api/firearms/"+string(f.ID)+"/test-fires", map[string]any{"exhibit_id": crime.ID}, nil); st != http.StatusUnprocessableEntity {
		t.Errorf("linking a crime-scene exhibit as a test fire: %d, want 422", st)
	}
	if st := c.json(http.MethodPost, "/api/firearms/"+string(f.ID)+"/test-fires", map[string]any{"exhibit_id": tf.ID}, &f); st != http.StatusOK || len(f.TestFires) != 1 {
		t.Fatalf("link test fire: %d %+v", st, f.TestFires)
	}
	var leads struct {
		Items    []api.FirearmLead
		Searched int
	}
	if st := c.json(http.MethodPost, "/api/firearms/"+string(f.ID)+"/leads", nil, &leads); st != http.StatusOK || leads.Searched != 1 ||
		len(leads.Items) != 1 || leads.Items[0].Exhibit.ID != crime.ID {
		t.Fatalf("leads: %d %+v", st, leads)
	}
	// Confirm the hit from the test fire's correlation run.
	run := waitRun(t, c, up.Run.ID)
	var cands struct{ Items []domain.Candidate }
	c.json(http.MethodGet, "/api/runs/"+string(run.ID)+"/candidates", nil, &cands)
	if len(cands.Items) == 0 {
		t.Fatal("the test fire's run has no candidates")
	}
	if st := c.json(http.MethodPost, "/api/candidates/"+string(cands.Items[0].ID)+"/reviews", api.ReviewInput{Status: domain.ReviewConfirmed, Reason: "breech-face marks agree"}, nil); st >= 300 {
		t.Fatalf("confirm: %d", st)
	}
	var g tracing.Graph
	if st := c.json(http.MethodGet, "/api/firearms/"+string(f.ID)+"/graph", nil, &g); st != http.StatusOK {
		t.Fatalf("graph: %d", st)
	}
	linked := false
	for _, e := range g.Edges {
		if e.Kind == tracing.EdgeLinked && e.From == tracing.NodeID(tracing.NodeFirearm, string(f.ID)) && e.To == tracing.NodeID(tracing.NodeCase, string(crime.CaseID)) {
			linked = true
		}
	}
	if !linked {
		t.Errorf("graph does not link the firearm to the crime-scene case: %+v", g.Edges)
	}
}
