package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/api"
	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/federation"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/tracing"
)

// fedNode is a server node with exchange and federation on: its API on an
// httptest server and its federation listener (mutual TLS) on loopback.
func fedNode(t *testing.T, name, country string) (*server.Node, *httptest.Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := server.Open(ctx, server.Config{DataDir: t.TempDir(), NATSListen: "off", K: 5, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Auth:       auth.Config{Params: fastHash, IPRate: 1000, IPBurst: 1000, UserRate: 1000, UserBurst: 1000},
		Federation: server.FederationConfig{Node: name, Country: country, URL: "https://" + ln.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	if n.Federation == nil {
		t.Fatal("federation is off on a node with a country")
	}
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Federation.Serve(sctx, ln) }()
	srv := httptest.NewServer(n.Handler())
	t.Cleanup(func() { stop(); <-done; srv.Close(); n.Close() })
	return n, srv
}

// TestFederationRoutes registers two nodes with each other through the API,
// shares an exhibit, searches it from the other node, and moves it by a
// bundle (a repeated or tampered import refused with the reason).
func TestFederationRoutes(t *testing.T) {
	if testing.Short() {
		t.Skip("two nodes comparing real scans")
	}
	kz, kzSrv := fedNode(t, "kz-mia", "KZ")
	uz, uzSrv := fedNode(t, "uz-mfc", "UZ")
	kzAdmin, uzAdmin := user(t, kz, kzSrv.URL, "kz-admin", domain.RoleAdministrator), user(t, uz, uzSrv.URL, "uz-admin", domain.RoleAdministrator)
	var kzCard, uzCard federation.Card
	if st := kzAdmin.json(http.MethodGet, "/api/federation/card", nil, &kzCard); st != http.StatusOK || kzCard.CertFingerprint == "" {
		t.Fatalf("card: %d %+v", st, kzCard)
	}
	uzAdmin.json(http.MethodGet, "/api/federation/card", nil, &uzCard)
	if st := kzAdmin.json(http.MethodPost, "/api/federation/peers", uzCard, nil); st != http.StatusCreated {
		t.Fatalf("kz adds uz: %d", st)
	}
	if st := uzAdmin.json(http.MethodPost, "/api/federation/peers", kzCard, nil); st != http.StatusCreated {
		t.Fatalf("uz adds kz: %d", st)
	}
	forged := uzCard
	forged.Fingerprint = kzCard.Fingerprint
	if st := kzAdmin.json(http.MethodPost, "/api/federation/peers", forged, nil); st != http.StatusUnprocessableEntity && st != http.StatusBadRequest {
		t.Errorf("a card whose fingerprint is not its key's: %d", st)
	}

	kzEx := user(t, kz, kzSrv.URL, "kz-ex", domain.RoleExaminer, domain.RoleLiaison)
	uzEx := user(t, uz, uzSrv.URL, "uz-ex", domain.RoleExaminer, domain.RoleLiaison)
	kzExhibit := newExhibit(t, kzEx, "KZ-1")
	var up api.UploadResult
	if st := kzEx.upload(kzExhibit.ID, "Fadul 1-1.x3p", fixture(t, "Fadul 1-1.x3p"), nil, &up); st != http.StatusCreated {
		t.Fatalf("kz upload: %d", st)
	}
	if st := kzEx.json(http.MethodPost, "/api/sharing-rules", api.SharingRuleInput{Peer: uzCard.Fingerprint,
		Kinds: []exchange.RecordKind{exchange.ShareExhibits}, Detail: exchange.DetailThumbnails}, nil); st != http.StatusCreated {
		t.Fatalf("sharing rule: %d", st)
	}
	uzExhibit := newExhibit(t, uzEx, "UZ-1")
	var q api.UploadResult
	if st := uzEx.upload(uzExhibit.ID, "Fadul 1-2.x3p", fixture(t, "Fadul 1-2.x3p"), nil, &q); st != http.StatusCreated {
		t.Fatalf("uz upload: %d", st)
	}
	var res federation.Result
	if st := uzEx.json(http.MethodPost, "/api/federation/search", api.FederatedSearchInput{Scan: q.Scan.ID, K: 3}, &res); st != http.StatusOK {
		t.Fatalf("federated search: %d", st)
	}
	if len(res.Candidates) != 1 || res.Candidates[0].Scan != up.Scan.ID || res.Candidates[0].Country != "KZ" || len(res.Candidates[0].Thumbnail) == 0 {
		t.Fatalf("federated search from uz: %+v", res)
	}

	// Bundle: export from KZ, verify and import in UZ, refuse it twice and tampered.
	exportBody := `{"to":"` + uzCard.Fingerprint + `","exhibits":["` + string(kzExhibit.ID) + `"]}`
	var refused problem
	if st := kzEx.do(http.MethodPost, "/api/exchange/export", strings.NewReader(exportBody), "application/json", &refused); st != http.StatusForbidden || !strings.Contains(refused.Detail, "allows only thumbnails") {
		t.Errorf("export with a thumbnails rule: %d %q; want 403 with the rule's reason", st, refused.Detail)
	}
	if st := kzEx.json(http.MethodPost, "/api/sharing-rules", api.SharingRuleInput{Peer: uzCard.Fingerprint,
		Kinds: []exchange.RecordKind{exchange.ShareExhibits}, Detail: exchange.DetailFull}, nil); st != http.StatusCreated {
		t.Fatalf("sharing rule: %d", st)
	}
	resp := kzEx.raw(http.MethodPost, "/api/exchange/export", strings.NewReader(exportBody), "application/json")
	bundle, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var rep api.BundleReport
	if st := uzEx.do(http.MethodPost, "/api/exchange/verify", bytes.NewReader(bundle), "application/zip", &rep); st != http.StatusOK || !rep.Valid || rep.Origin.Country != "KZ" {
		t.Fatalf("verify: %d %+v", st, rep)
	}
	if st := uzEx.do(http.MethodPost, "/api/exchange/import", bytes.NewReader(bundle), "application/zip", &rep); st != http.StatusOK || rep.Imported == nil || rep.Imported.Counts.Scans != 1 {
		t.Fatalf("import: %d %+v", st, rep)
	}
	var p problem
	if st := uzEx.do(http.MethodPost, "/api/exchange/import", bytes.NewReader(bundle), "application/zip", &p); st != http.StatusUnprocessableEntity || !strings.Contains(p.Detail, "imported") {
		t.Errorf("second import: %d %q", st, p.Detail)
	}
	bad := tamperBundle(t, bundle)
	if st := uzEx.do(http.MethodPost, "/api/exchange/verify", bytes.NewReader(bad), "application/zip", &rep); st != http.StatusOK || rep.Valid || !strings.HasPrefix(rep.Member, "records/") {
		t.Errorf("verify tampered: %d %+v", st, rep)
	}
	var sc domain.Scan
	if st := uzEx.json(http.MethodGet, "/api/scans/"+string(up.Scan.ID), nil, &sc); st != http.StatusOK || sc.Features.IsZero() {
		t.Errorf("imported scan in uz: %d, searchable %v", st, !sc.Features.IsZero())
	}

	// A trace request to the Kazakh node: kept as a draft saying why until
	// Uzbekistan's rules let trace requests go there, then delivered,
	// answered there, and the answer comes back.
	tr := api.TraceRequestInput{Addressee: tracing.Party{Agency: "LAB"}, Peer: kzCard.Fingerprint, Reason: "seized at the border", LegalBasis: "ITI para 17",
		Firearm: &tracing.Firearm{Make: "Makarov", Model: "PM", Type: tracing.TypePistol, SerialNumber: "KM 1234", Status: tracing.StatusSeized}, Send: true}
	if st := uzEx.json(http.MethodPost, "/api/trace-requests", tr, &p); st != http.StatusForbidden || !strings.Contains(p.Detail, "trace_requests") {
		t.Errorf("trace request without a sharing rule: %d %q", st, p.Detail)
	}
	var out struct{ Items []tracing.TraceRequest }
	uzEx.json(http.MethodGet, "/api/trace-requests?direction=outgoing", nil, &out)
	if len(out.Items) != 1 || out.Items[0].Status != tracing.TraceDraft || out.Items[0].Delivery == nil || !out.Items[0].Delivery.Pending || out.Items[0].Addressee.Country != "KZ" {
		t.Fatalf("undelivered trace request: %+v", out.Items)
	}
	id := string(out.Items[0].ID)
	if st := uzEx.json(http.MethodPost, "/api/sharing-rules", api.SharingRuleInput{Peer: kzCard.Fingerprint,
		Kinds: []exchange.RecordKind{exchange.ShareTraceRequests}, Detail: exchange.DetailFull}, nil); st != http.StatusCreated {
		t.Fatalf("sharing rule: %d", st)
	}
	var sent tracing.TraceRequest
	if st := uzEx.json(http.MethodPost, "/api/trace-requests/"+id+"/status", map[string]string{"status": "sent"}, &sent); st != http.StatusOK || sent.Status != tracing.TraceSent {
		t.Fatalf("send: %d %s", st, sent.Status)
	}
	kzEx.json(http.MethodGet, "/api/trace-requests?direction=incoming", nil, &out)
	if len(out.Items) != 1 || string(out.Items[0].ID) != id || out.Items[0].Requester.Country != "UZ" {
		t.Fatalf("incoming at kz: %+v", out.Items)
	}
	if st := kzEx.json(http.MethodPost, "/api/trace-requests/"+id+"/answers", map[string]string{"text": "sold in 2011 to a dealer"}, nil); st != http.StatusOK {
		t.Fatalf("answer at kz: %d", st)
	}
	var back tracing.TraceRequest
	if uzEx.json(http.MethodGet, "/api/trace-requests/"+id, nil, &back); back.Status != tracing.TraceAnswered || len(back.Answers) != 1 {
		t.Errorf("uz after kz answered: %s %+v", back.Status, back.Answers)
	}
}

// tamperBundle changes one byte of a record, keeping the signed manifest.
func tamperBundle(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if strings.HasPrefix(f.Name, "records/cases/") {
			b = bytes.Replace(b, []byte("KZ-1"), []byte("KZ-2"), 1)
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	zw.Close()
	return out.Bytes()
}
