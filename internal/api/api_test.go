package api_test

import (
	"bytes"
	"context"
	"encoding/json"

	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/api"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/server"
)

// testNode opens a node with every real part under a temporary folder: a
// SQLite file, a local blob folder and an embedded NATS JetStream server.
func testNode(t *testing.T, maxUpload int64) (*server.Node, *httptest.Server) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := server.Open(ctx, server.Config{DataDir: dir, NATSListen: "off", MaxUploadBytes: maxUpload, K: 5,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler())
	t.Cleanup(func() { srv.Close(); n.Close() })
	return n, srv
}

type client struct {
	t    *testing.T
	base string
	user string
}

func (c client) do(method, path string, body io.Reader, contentType string, out any) int {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.user != "" {
		req.Header.Set(server.UserHeader, c.user)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if os.Getenv("API_DEBUG") != "" {
		c.t.Logf("%s %s → %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

func (c client) json(method, path string, in, out any) int {
	c.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	return c.do(method, path, body, "application/json", out)
}

func (c client) upload(exhibit domain.ExhibitID, name string, data []byte, fields map[string]string, out any) int {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	return c.do(http.MethodPost, "/api/exhibits/"+string(exhibit)+"/scans", &buf, mw.FormDataContentType(), out)
}

type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "x3p", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newExhibit(t *testing.T, c client, number string) domain.Exhibit {
	t.Helper()
	var cs domain.Case
	if st := c.json(http.MethodPost, "/api/cases", api.CaseInput{Number: number, Title: "test"}, &cs); st != http.StatusCreated {
		t.Fatalf("create case: %d", st)
	}
	var ex domain.Exhibit
	if st := c.json(http.MethodPost, "/api/cases/"+string(cs.ID)+"/exhibits",
		api.ExhibitInput{Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene}, &ex); st != http.StatusCreated {
		t.Fatalf("create exhibit: %d", st)
	}
	return ex
}

// TestUploadDedupCandidates uploads two real Fadul scans of one firearm,
// one of them twice, and waits for the correlation worker's candidate list.
func TestUploadDedupCandidates(t *testing.T) {
	n, srv := testNode(t, 0)
	c := client{t: t, base: srv.URL}
	ex1, ex2 := newExhibit(t, c, "C-1"), newExhibit(t, c, "C-2")
	a, b := fixture(t, "Fadul 1-1.x3p"), fixture(t, "Fadul 1-2.x3p")

	var up1, again, up2 api.UploadResult
	if st := c.upload(ex1.ID, "Fadul 1-1.x3p", a, nil, &up1); st != http.StatusCreated || !up1.Created || up1.Run == nil {
		t.Fatalf("first upload: %d %+v", st, up1)
	}
	if st := c.upload(ex1.ID, "copy.x3p", a, nil, &again); st != http.StatusOK || again.Created || again.Scan.ID != up1.Scan.ID || again.Run != nil {
		t.Fatalf("same file again: %d %+v, want the stored scan %s", st, again, up1.Scan.ID)
	}
	if st := c.upload(ex2.ID, "Fadul 1-2.x3p", b, nil, &up2); st != http.StatusCreated {
		t.Fatalf("second upload: %d", st)
	}
	var scans struct{ Items []domain.Scan }
	c.json(http.MethodGet, "/api/exhibits/"+string(ex1.ID)+"/scans", nil, &scans)
	if len(scans.Items) != 1 {
		t.Fatalf("exhibit 1 has %d scans after the same file twice, want 1", len(scans.Items))
	}
	if sc := scans.Items[0]; sc.Original != blob.RefOf(a) || sc.Features.IsZero() || sc.Preprocessed.IsZero() || sc.ResolutionUM <= 0 {
		t.Fatalf("stored scan %+v: want the file's hash, derived blobs and a resolution", sc)
	}

	// The original comes back byte for byte.
	resp, err := http.Get(srv.URL + "/api/scans/" + string(up1.Scan.ID) + "/original")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, a) {
		t.Fatalf("download: %d bytes, want the %d original bytes", len(got), len(a))
	}
	resp, err = http.Get(srv.URL + "/api/scans/" + string(up1.Scan.ID) + "/thumbnail?width=64")
	if err != nil {
		t.Fatal(err)
	}
	png, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("thumbnail: %d, %d bytes", resp.StatusCode, len(png))
	}

	// Run the worker until both runs are done.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Work(ctx, 2) }()
	defer func() { cancel(); <-done }()
	run := waitRun(t, c, up2.Run.ID)
	var list struct {
		Items []api.CandidateView
	}
	c.json(http.MethodGet, "/api/runs/"+string(run.ID)+"/candidates", nil, &list)
	if len(list.Items) == 0 || list.Items[0].Scan != up1.Scan.ID || list.Items[0].Case == nil || list.Items[0].Case.Number != "C-1" {
		t.Fatalf("candidates of Fadul 1-2: %+v, want Fadul 1-1 (case C-1) first", list.Items)
	}

	// Review: a confirmed hit links the cases.
	var rv api.ReviewResult
	if st := c.json(http.MethodPost, "/api/candidates/"+string(list.Items[0].ID)+"/reviews",
		api.ReviewInput{Status: domain.ReviewConfirmed, Reason: "breech-face marks agree"}, &rv); st != http.StatusOK || rv.Link == nil {
		t.Fatalf("confirm: %d %+v", st, rv)
	}
	var detail api.CaseDetail
	c.json(http.MethodGet, "/api/cases/"+string(ex1.CaseID), nil, &detail)
	if len(detail.Links) != 1 {
		t.Fatalf("case C-1 has %d links after a confirmed hit, want 1", len(detail.Links))
	}

	// A full comparison of the two stored scans.
	var cmp api.Comparison
	if st := c.json(http.MethodPost, "/api/comparisons", api.CompareInput{A: up1.Scan.ID, B: up2.Scan.ID}, &cmp); st != 200 || cmp.Cartridge == nil || len(cmp.Cartridge.Forward.Results) == 0 {
		t.Fatalf("compare: %d kind %q", st, cmp.Kind)
	}
}

func waitRun(t *testing.T, c client, id domain.RunID) domain.CorrelationRun {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var r domain.CorrelationRun
		c.json(http.MethodGet, "/api/runs/"+string(id), nil, &r)
		switch r.Status {
		case domain.RunDone:
			return r
		case domain.RunFailed:
			t.Fatalf("run %s failed: %s", id, r.Error)
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s still %s after 2 minutes", id, r.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestUploadRefused checks that corrupt and oversized files are refused with
// a reason and that nothing is stored.
func TestUploadRefused(t *testing.T) {
	a := fixture(t, "Fadul 1-1.x3p")
	cases := []struct {
		name   string
		limit  int64
		data   []byte
		fields map[string]string
		status int
		reason string
	}{
		{"truncated X3P", 0, a[:len(a)/2], nil, http.StatusUnprocessableEntity, "x3p"},
		{"not a scan", 0, []byte("hello, this is text"), nil, http.StatusUnprocessableEntity, "neither an X3P"},
		{"image without calibration", 0, pngBytes(), nil, http.StatusUnprocessableEntity, "µm per pixel"},
		{"oversized", 100 << 10, a, nil, http.StatusRequestEntityTooLarge, "limit"},
		{"land that is a breech face", 0, a, map[string]string{"kind": "bullet-land"}, http.StatusUnprocessableEntity, "land"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, srv := testNode(t, tc.limit)
			c := client{t: t, base: srv.URL}
			ex := newExhibit(t, c, "C-1")
			var p problem
			st := c.upload(ex.ID, "f.x3p", tc.data, tc.fields, &p)
			if st != tc.status || !strings.Contains(p.Detail, tc.reason) {
				t.Fatalf("status %d %q, want %d mentioning %q", st, p.Detail, tc.status, tc.reason)
			}
			if strings.Contains(p.Detail, "goroutine") || strings.Contains(p.Detail, ".go:") {
				t.Fatalf("answer carries a stack trace: %q", p.Detail)
			}
			var scans struct{ Items []domain.Scan }
			c.json(http.MethodGet, "/api/exhibits/"+string(ex.ID)+"/scans", nil, &scans)
			blobs, err := n.Blobs.Enumerate(context.Background(), blob.Ref{}, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(scans.Items) != 0 || len(blobs) != 0 {
				t.Fatalf("refused upload left %d scans and %d blobs", len(scans.Items), len(blobs))
			}
		})
	}
}

func pngBytes() []byte {
	// A 1×1 PNG.
	return []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
		"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
}

// TestErrorsAndAgencies checks the status mapping, the body limits and that
// another agency's records are not found.
func TestErrorsAndAgencies(t *testing.T) {
	n, srv := testNode(t, 0)
	c := client{t: t, base: srv.URL}
	ex := newExhibit(t, c, "C-1")
	ctx := context.Background()
	other, err := n.Store.CreateAgency(ctx, domain.Agency{Code: "OTHER", Name: "Other lab"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Store.CreateUser(ctx, domain.User{AgencyID: other.ID, Username: "outsider", Roles: []domain.Role{domain.RoleExaminer}}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Store.CreateUser(ctx, domain.User{AgencyID: n.Agency.ID, Username: "reader", Roles: []domain.Role{domain.RoleInvestigator}}); err != nil {
		t.Fatal(err)
	}
	outsider := client{t: t, base: srv.URL, user: "outsider"}
	reader := client{t: t, base: srv.URL, user: "reader"}
	big := strings.Repeat("x", 2<<20)
	tests := []struct {
		name   string
		c      client
		method string
		path   string
		body   any
		status int
	}{
		{"health is public", c, "GET", "/api/health", nil, 200},
		{"openapi", c, "GET", "/api/openapi.json", nil, 200},
		{"malformed id", c, "GET", "/api/cases/not-an-id", nil, 422},
		{"missing case", c, "GET", "/api/cases/01a21bef-188d-72fb-85ab-db8b922402ac", nil, 404},
		{"duplicate case number", c, "POST", "/api/cases", api.CaseInput{Number: "C-1"}, 409},
		{"malformed JSON", c, "POST", "/api/cases", json.RawMessage(`{"number":`), 400},
		{"oversized JSON", c, "POST", "/api/cases", api.CaseInput{Number: "C-2", Notes: big}, 413},
		{"another agency's case", outsider, "GET", "/api/cases/" + string(ex.CaseID), nil, 404},
		{"another agency's exhibit", outsider, "GET", "/api/exhibits/" + string(ex.ID), nil, 404},
		{"unknown user", client{t: t, base: srv.URL, user: "nobody"}, "GET", "/api/cases", nil, 401},
		{"read-only role may read", reader, "GET", "/api/cases", nil, 200},
		{"read-only role may not write", reader, "POST", "/api/cases", api.CaseInput{Number: "C-3"}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if raw, ok := tc.body.(json.RawMessage); ok {
				body = bytes.NewReader(raw)
			} else if tc.body != nil {
				b, _ := json.Marshal(tc.body)
				body = bytes.NewReader(b)
			}
			var out json.RawMessage
			st := tc.c.do(tc.method, tc.path, body, "application/json", &out)
			if st != tc.status {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, st, out, tc.status)
			}
			if strings.Contains(string(out), "goroutine ") {
				t.Fatalf("answer carries a stack trace: %s", out)
			}
		})
	}
}

// TestEveryRouteHasAccess checks the route table the authorization work
// builds on: every operation of the OpenAPI document has an access entry.
func TestEveryRouteHasAccess(t *testing.T) {
	_, srv := testNode(t, 0)
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	client{t: t, base: srv.URL}.json("GET", "/api/openapi.json", nil, &doc)
	routes := api.Routes()
	n := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			n++
			if _, ok := routes[op.OperationID]; !ok {
				t.Errorf("%s %s (%s) has no access entry", method, path, op.OperationID)
			}
		}
	}
	if n != len(routes) || n < 15 {
		t.Fatalf("OpenAPI lists %d operations, the route table %d", n, len(routes))
	}

}
