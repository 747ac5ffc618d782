package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/auth/authtest"
	"github.com/tracemark/tracemark/internal/blob/memory"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/ingest"
)

// fuzzAPI is a handler over a real SQLite store with one signed-in user
// holding every role but administrator, and an administrator.
type fuzzAPI struct {
	h             http.Handler
	session, csrf string
	admin         string // session of the administrator
	adminCSRF     string
	caseID        domain.CaseID
	exhibitID     domain.ExhibitID
}

// openFuzzAPI builds the handler; t must live as long as the fuzz target.
func openFuzzAPI(tb testing.TB) *fuzzAPI {
	ctx := context.Background()
	st, _ := authtest.OpenRaw(tb, "sqlite")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	log := audit.New(st, nil, audit.WithLogger(quiet))
	svc := auth.NewService(st, auth.Config{Params: auth.Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32},
		IPRate: 1e6, IPBurst: 1e6, UserRate: 1e6, UserBurst: 1e6, Record: log.RecordAuth, Log: quiet})
	ag, err := st.CreateAgency(ctx, domain.Agency{Code: "FUZZ", Name: "Fuzz lab"})
	if err != nil {
		tb.Fatal(err)
	}
	mk := func(name string, roles ...domain.Role) auth.Login {
		u, err := st.CreateUser(ctx, domain.User{AgencyID: ag.ID, Username: name, Roles: roles})
		if err != nil {
			tb.Fatal(err)
		}
		if err := svc.SetPassword(ctx, auth.Actor{User: u.ID, Agency: ag.ID}, ag.ID, u.ID, "fuzzing password"); err != nil {
			tb.Fatal(err)
		}
		l, err := svc.Login(ctx, name, "fuzzing password", "127.0.0.1", "fuzz")
		if err != nil {
			tb.Fatal(err)
		}
		return l
	}
	worker := mk("worker", domain.RoleExaminer, domain.RoleTechnician, domain.RoleVerifier)
	admin := mk("admin", domain.RoleAdministrator)
	c, err := st.CreateCase(ctx, domain.Case{AgencyID: ag.ID, Number: "F-1", CreatedBy: worker.Actor.User})
	if err != nil {
		tb.Fatal(err)
	}
	ex, err := st.CreateExhibit(ctx, domain.Exhibit{AgencyID: ag.ID, CaseID: c.ID, Label: "E1", Kind: domain.KindCartridgeCase,
		Role: domain.RoleCrimeScene, CreatedBy: worker.Actor.User})
	if err != nil {
		tb.Fatal(err)
	}
	blobs := memory.New()
	h := New(Deps{Store: st, Blobs: blobs, Ingest: &ingest.Ingester{Store: st, Blobs: blobs, Log: quiet}, Auth: svc, Audit: log, Log: quiet})
	return &fuzzAPI{h: h, session: worker.Token, csrf: worker.CSRF, admin: admin.Token, adminCSRF: admin.CSRF, caseID: c.ID, exhibitID: ex.ID}
}

// call performs one request and checks what every answer must satisfy:
// no server error, no stack trace, a JSON problem document for refusals.
func (f *fuzzAPI) call(t *testing.T, asAdmin bool, method, target string, body []byte) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, "http://fuzz"+target, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	session, csrf := f.session, f.csrf
	if asAdmin {
		session, csrf = f.admin, f.adminCSRF
	}
	if session != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: session})
		req.Header.Set(auth.CSRFHeader, csrf)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	out := w.Body.Bytes()
	if w.Code >= 500 {
		t.Fatalf("%s %s %q: %d %s", method, target, body, w.Code, out)
	}
	if bytes.Contains(out, []byte("goroutine ")) || bytes.Contains(out, []byte(".go:")) {
		t.Fatalf("%s %s: answer carries a stack trace: %s", method, target, out)
	}
	if w.Code >= 400 {
		var p struct {
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		if err := json.Unmarshal(out, &p); err != nil || p.Status != w.Code || p.Detail == "" {
			t.Fatalf("%s %s: %d answer is not a problem document with a detail: %s", method, target, w.Code, out)
		}
	}
	return w.Code
}

// FuzzCreateCase posts arbitrary JSON bodies to create-case.
func FuzzCreateCase(f *testing.F) {
	for _, s := range []string{`{"number":"C-1"}`, `{"number":"C-2","title":"t","occurred_at":"2026-01-02T03:04:05Z","location":{"lat":43.2,"lon":76.9}}`,
		`{"number":""}`, `{"number":"x","location":{"lat":1e999}}`, `{"number":"\u0000"}`, `[`, `{"number":["a"]}`, `{"notes":"` + strings.Repeat("a", 100) + `"}`} {
		f.Add([]byte(s))
	}
	api := openFuzzAPI(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		switch st := api.call(t, false, http.MethodPost, "/api/cases", body); st {
		case 201, 400, 409, 413, 415, 422:
		default:
			t.Fatalf("create-case %q: status %d", body, st)
		}
	})
}

// FuzzCreateExhibit posts arbitrary JSON bodies to create-exhibit, and
// to add-custody-event of the same exhibit.
func FuzzCreateExhibit(f *testing.F) {
	for _, s := range []string{`{"label":"E2","kind":"bullet","role":"reference","class":{"calibre":"9mm","lands":6,"twist":"right"}}`,
		`{"label":"E3","kind":"cartridge_case","role":"crime_scene","collected_at":"2026-11-01T00:00:00Z"}`,
		`{"kind":"received","place":"lab","at":"2026-11-01T00:00:00Z"}`, `{"kind":"transferred"}`, `{"label":"","kind":"x"}`, `{}`} {
		f.Add([]byte(s))
	}
	api := openFuzzAPI(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/api/cases/" + string(api.caseID) + "/exhibits", "/api/exhibits/" + string(api.exhibitID) + "/custody"} {
			switch st := api.call(t, false, http.MethodPost, path, body); st {
			case 201, 400, 404, 409, 413, 415, 422:
			default:
				t.Fatalf("POST %s %q: status %d", path, body, st)
			}
		}
	})
}

// FuzzQueryParams sends arbitrary query strings (and path IDs) to the
// list routes.
func FuzzQueryParams(f *testing.F) {
	for _, s := range []string{"limit=10", "status=open&q=C-1", "cursor=abc", "limit=-1", "limit=99999", "q=%00", "status=done&scan=x",
		"status=confirmed&status=viewed", "after=5&limit=3", "case=" + "01a21bef-188d-72fb-85ab-db8b922402ac", "%zz", "width=16"} {
		f.Add(s, "01a21bef-188d-72fb-85ab-db8b922402ac")
	}
	api := openFuzzAPI(f)
	f.Fuzz(func(t *testing.T, query, id string) {
		vals, err := url.ParseQuery(query)
		if err != nil {
			return // not a query string a client can send
		}
		query = vals.Encode() // as a client sends it (a raw space is no request)
		id = url.PathEscape(id)
		for _, p := range []struct {
			path  string
			admin bool
		}{{"/api/cases", false}, {"/api/runs", false}, {"/api/cases/" + id, false}, {"/api/cases/" + id + "/exhibits", false},
			{"/api/exhibits/" + id + "/scans", false}, {"/api/runs/" + id + "/candidates", false}, {"/api/scans/" + id + "/thumbnail", false},
			{"/api/audit", true}, {"/api/cases/" + id + "/audit", true}, {"/api/users", true}} {
			switch st := api.call(t, p.admin, http.MethodGet, p.path+"?"+query, nil); st {
			case 200, 400, 404, 422:
			case 301, 307, 308: // net/http cleans paths such as /api/cases//exhibits (an empty ID)
			default:
				t.Fatalf("GET %s?%s: status %d", p.path, query, st)
			}
		}
	})
}

// FuzzLogin posts arbitrary sign-in bodies: never a server error, and only
// the right password opens a session.
func FuzzLogin(f *testing.F) {
	for _, s := range []string{`{"username":"worker","password":"fuzzing password"}`, `{"username":"worker","password":"wrong"}`,
		`{"username":"","password":""}`, `{"username":"` + strings.Repeat("w", 300) + `","password":"x"}`, `{"username":1}`, `null`} {
		f.Add([]byte(s))
	}
	api := openFuzzAPI(f)
	api.session = ""
	f.Fuzz(func(t *testing.T, body []byte) {
		st := api.call(t, false, http.MethodPost, "/api/auth/login", body)
		switch st {
		case 200:
			var in LoginInput
			if json.Unmarshal(body, &in) != nil || in.Password != "fuzzing password" {
				t.Fatalf("login %q succeeded", body)
			}
		case 400, 401, 413, 415, 422, 429: // 429: wrong passwords lock the account for a while
		default:
			t.Fatalf("login %q: status %d", body, st)
		}
	})
}

// FuzzJSONDepth compares jsonDepth with the nesting the JSON decoder sees.
func FuzzJSONDepth(f *testing.F) {
	for _, s := range []string{`{}`, `[[[]]]`, `{"a":"[[[{"}`, `{"a":"\"[["}`, `[1,{"b":[2]}]`, `"x"`, `[`, `]]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got := jsonDepth(data)
		if !json.Valid(data) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		depth, want := 0, 0
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			switch tok {
			case json.Delim('{'), json.Delim('['):
				depth++
				want = max(want, depth)
			case json.Delim('}'), json.Delim(']'):
				depth--
			}
		}
		if got != want {
			t.Fatalf("jsonDepth(%q) = %d, the decoder nests %d", data, got, want)
		}
	})
}

// FuzzBaseName checks that an uploaded file name never keeps a path.
func FuzzBaseName(f *testing.F) {
	for _, s := range []string{"a.x3p", "../../etc/passwd", `..\..\win.ini`, "dir/", "..", ".", "", "a\x00b", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := baseName(name)
		if got == "" || got == "." || got == ".." || strings.ContainsAny(got, `/\`) {
			t.Fatalf("baseName(%q) = %q", name, got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("baseName(%q) = %q keeps a control character", name, got)
			}
		}
		if utf8.ValidString(name) && !utf8.ValidString(got) {
			t.Fatalf("baseName(%q) = %q broke UTF-8", name, got)
		}
	})
}
