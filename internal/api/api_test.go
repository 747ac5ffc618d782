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
	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/server"
)

// fastHash keeps argon2id cheap in tests (the parameters are checked in
// package auth).
var fastHash = auth.Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}

// testPassword is the password of every test user.
const testPassword = "correct horse battery"

// testNode opens a node with every real part under a temporary folder: a
// SQLite file, a local blob folder and an embedded NATS JetStream server.
// Sign-in throttling is relaxed (package auth tests it); TestThrottle
// checks the HTTP answer with the real limits.
func testNode(t *testing.T, maxUpload int64) (*server.Node, *httptest.Server) {
	t.Helper()
	return testNodeAuth(t, maxUpload, auth.Config{Params: fastHash, IPRate: 1000, IPBurst: 1000, UserRate: 1000, UserBurst: 1000})
}

func testNodeAuth(t *testing.T, maxUpload int64, ac auth.Config) (*server.Node, *httptest.Server) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := server.Open(ctx, server.Config{DataDir: dir, NATSListen: "off", MaxUploadBytes: maxUpload, K: 5, Auth: ac,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler())
	t.Cleanup(func() { srv.Close(); n.Close() })
	return n, srv
}

// newUser creates a user of agency with roles and the test password.
func newUser(t testing.TB, n *server.Node, agency domain.AgencyID, name string, roles ...domain.Role) domain.User {
	t.Helper()
	ctx := context.Background()
	u, err := n.Store.CreateUser(ctx, domain.User{AgencyID: agency, Username: name, Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Auth.SetPassword(ctx, auth.Actor{User: n.User.ID, Agency: agency}, agency, u.ID, testPassword); err != nil {
		t.Fatal(err)
	}
	return u
}

// client calls the API as a signed-in user (session cookie and CSRF
// token), with an API token (bearer), or anonymously (neither).
type client struct {
	t       testing.TB
	base    string
	session string
	csrf    string
	bearer  string
}

// signIn signs in through the login route.
func signIn(t testing.TB, base, username string) client {
	t.Helper()
	c := client{t: t, base: base}
	var s api.Session
	resp := c.raw(http.MethodPost, "/api/auth/login", strings.NewReader(`{"username":"`+username+`","password":"`+testPassword+`"}`), "application/json")
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in as %s: %d %v", username, resp.StatusCode, err)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == auth.CookieName {
			c.session = ck.Value
		}
	}
	if c.session == "" || s.CSRFToken == "" {
		t.Fatalf("sign in as %s: no session cookie or CSRF token", username)
	}
	c.csrf = s.CSRFToken
	return c
}

// user creates a user of the node's agency with roles and signs in.
func user(t testing.TB, n *server.Node, base, name string, roles ...domain.Role) client {
	t.Helper()
	newUser(t, n, n.Agency.ID, name, roles...)
	return signIn(t, base, name)
}

func (c client) raw(method, path string, body io.Reader, contentType string) *http.Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.session != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: c.session})
		if method != http.MethodGet && method != http.MethodHead {
			req.Header.Set(auth.CSRFHeader, c.csrf)
		}
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

func (c client) do(method, path string, body io.Reader, contentType string, out any) int {
	c.t.Helper()
	resp := c.raw(method, path, body, contentType)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if os.Getenv("API_DEBUG") != "" {
		c.t.Logf("%s %s → %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil && len(b) > 0 {
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

func newExhibit(t testing.TB, c client, number string) domain.Exhibit {
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
	c := user(t, n, srv.URL, "ex", domain.RoleExaminer)
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
	resp := c.raw(http.MethodGet, "/api/scans/"+string(up1.Scan.ID)+"/original", nil, "")
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, a) {
		t.Fatalf("download: %d bytes, want the %d original bytes", len(got), len(a))
	}
	resp = c.raw(http.MethodGet, "/api/scans/"+string(up1.Scan.ID)+"/thumbnail?width=64", nil, "")
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
			c := user(t, n, srv.URL, "ex", domain.RoleExaminer)
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
