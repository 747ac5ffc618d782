package web

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/i18n"
)

func newHandler(t *testing.T) *Handler {
	t.Helper()
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(t *testing.T, h http.Handler, method, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assets returns the bundle URLs that index.html names.
func assets(t *testing.T, h http.Handler) []string {
	t.Helper()
	idx := body(t, get(t, h, http.MethodGet, "/", nil))
	urls := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(idx, -1)
	if len(urls) != 2 {
		t.Fatalf("index.html names %d bundles, want the script and the style sheet:\n%s", len(urls), idx)
	}
	return []string{urls[0][1], urls[1][1]}
}

func TestServesIndexForClientRoutes(t *testing.T) {
	h := newHandler(t)
	for _, p := range []string{"/", "/index.html", "/cases", "/cases/0193-abc", "/compare/a/b", "/runs/x/"} {
		r := get(t, h, http.MethodGet, p, nil)
		if r.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", p, r.StatusCode)
			continue
		}
		if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", p, ct)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("%s: Cache-Control %q, want no-cache (index names the current bundles)", p, cc)
		}
		if b := body(t, r); !strings.Contains(b, `<main id="main"`) {
			t.Errorf("%s: not the index page", p)
		}
	}
}

func TestAssetsAreImmutableWithTypes(t *testing.T) {
	h := newHandler(t)
	for _, u := range assets(t, h) {
		r := get(t, h, http.MethodGet, u, nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", u, r.StatusCode)
		}
		want := "text/javascript; charset=utf-8"
		if strings.HasSuffix(u, ".css") {
			want = "text/css; charset=utf-8"
		}
		if ct := r.Header.Get("Content-Type"); ct != want {
			t.Errorf("%s: Content-Type %q, want %q", u, ct, want)
		}
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q, want immutable (hashed name)", u, cc)
		}
		etag := r.Header.Get("ETag")
		if etag == "" {
			t.Fatalf("%s: no ETag", u)
		}
		if r2 := get(t, h, http.MethodGet, u, map[string]string{"If-None-Match": etag}); r2.StatusCode != http.StatusNotModified {
			t.Errorf("%s: revalidation gave %d, want 304", u, r2.StatusCode)
		}
	}
}

func TestCatalogsServed(t *testing.T) {
	h := newHandler(t)
	for _, tag := range []string{"en", "ru", "kk", "uz-Latn", "ky", "tg", "tk"} {
		r := get(t, h, http.MethodGet, "/i18n/"+tag+".json", nil)
		if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("%s: status %d, type %q", tag, r.StatusCode, r.Header.Get("Content-Type"))
			continue
		}
		if b := body(t, r); !strings.Contains(b, `"ui.signin"`) {
			t.Errorf("%s: catalog lacks the workstation's messages", tag)
		}
	}
}

func TestRefusals(t *testing.T) {
	h := newHandler(t)
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/missing.js", http.StatusNotFound},
		{http.MethodGet, "/assets/nope-123.css", http.StatusNotFound},
		{http.MethodGet, "/i18n/de.json", http.StatusNotFound},
		{http.MethodGet, "/api/cases", http.StatusNotFound}, // never shadow the API with index.html
		{http.MethodGet, "/../web.go", http.StatusNotFound},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/cases", http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		r := get(t, h, tc.method, tc.path, nil)
		if r.StatusCode != tc.want {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, r.StatusCode, tc.want)
		}
		if csp := r.Header.Get("Content-Security-Policy"); csp != ContentSecurityPolicy {
			t.Errorf("%s %s: CSP %q", tc.method, tc.path, csp)
		}
	}
}

func TestStrictHeaders(t *testing.T) {
	r := get(t, newHandler(t), http.MethodHead, "/", nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("HEAD /: %d", r.StatusCode)
	}
	csp := r.Header.Get("Content-Security-Policy")
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "http:", "https:", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP allows %q: %s", bad, csp)
		}
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

// TestBundleIsSelfContained checks that the built page loads nothing from
// another origin (the workstation runs offline) and has no inline script.
func TestBundleIsSelfContained(t *testing.T) {
	h := newHandler(t)
	idx := body(t, get(t, h, http.MethodGet, "/", nil))
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]`).MatchString(idx) || strings.Contains(idx, "style=") {
		t.Error("index.html has inline script or style, which the CSP refuses")
	}
	if regexp.MustCompile(`(?:src|href)="(?:https?:)?//`).MatchString(idx) {
		t.Error("index.html loads from another origin")
	}
	for _, u := range assets(t, h) {
		b := body(t, get(t, h, http.MethodGet, u, nil))
		if m := regexp.MustCompile(`import\s*\(?\s*["']https?://`).FindString(b); m != "" {
			t.Errorf("%s imports from another origin: %s", u, m)
		}
	}
}

func TestMountRoutesAPIAndPages(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"api":"`+r.URL.Path+`"}`)
	})
	m := Mount(api)
	if b := body(t, get(t, m, http.MethodGet, "/api/cases", nil)); b != `{"api":"/api/cases"}` {
		t.Errorf("/api/cases went to %q", b)
	}
	if b := body(t, get(t, m, http.MethodPost, "/api/login", nil)); b != `{"api":"/api/login"}` {
		t.Errorf("POST /api/login went to %q", b)
	}
	if b := body(t, get(t, m, http.MethodGet, "/cases/1", nil)); !strings.Contains(b, "<!doctype html>") {
		t.Errorf("/cases/1 did not get the page: %.80q", b)
	}
}

func FuzzServePath(f *testing.F) {
	for _, s := range []string{"/", "/assets/x.js", "/i18n/ru.json", "/..%2f..", "/api/", "//x", "/cases/%00"} {
		f.Add(s)
	}
	h, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p string) {
		req, err := http.NewRequest(http.MethodGet, "http://x", nil)
		if err != nil {
			t.Skip()
		}
		req.URL.Path = p
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if c := rec.Code; c != http.StatusOK && c != http.StatusNotFound && c != http.StatusNotModified {
			t.Fatalf("%q: status %d", p, c)
		}
		if rec.Header().Get("Content-Security-Policy") == "" {
			t.Fatalf("%q: no CSP", p)
		}
	})
}

// TestEveryUIMessageInTheCatalogs reads the front-end source and checks
// that every message id it names literally exists in the English catalog
// (internal/i18n checks that every language has every English message).
func TestEveryUIMessageInTheCatalogs(t *testing.T) {
	src := os.DirFS("../../web/src")
	en := map[string]any{}
	data, err := fs.ReadFile(i18n.Files(), "en.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &en); err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`\bt[c]?\('([a-z0-9_.]+)'`)
	seen := 0
	err = fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			id := m[1]
			if strings.HasSuffix(id, ".") {
				continue // a prefix completed at run time (status, mode, …)
			}
			seen++
			if _, ok := en[id]; !ok {
				t.Errorf("%s: message %q is not in internal/i18n/locales/en.json (add it to web/i18n/ui_messages.py and run merge.py)", p, id)
			}
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("web/src is not here")
	}
	if err != nil {
		t.Fatal(err)
	}
	if seen < 100 {
		t.Errorf("found only %d message ids in web/src; is the pattern still right?", seen)
	}
}

// TestEnumeratedUIMessages checks the messages whose ids the screens build
// at run time from an API value (a firearm status, a trace status, a graph
// edge kind…), which TestEveryUIMessageInTheCatalogs cannot see.
func TestEnumeratedUIMessages(t *testing.T) {
	en := map[string]any{}
	data, err := fs.ReadFile(i18n.Files(), "en.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &en); err != nil {
		t.Fatal(err)
	}
	enums := map[string][]string{
		"ui.fa.status.":    {"lost", "stolen", "seized", "recovered", "destroyed", "in_reference_collection"},
		"ui.fa.type.":      {"pistol", "revolver", "rifle", "assault_rifle", "carbine", "shotgun", "submachine_gun", "machine_gun", "machine_pistol", "combination_gun", "other"},
		"ui.fa.event.":     {"status", "transfer", "test_fire", "trace", "note"},
		"ui.tr.status.":    {"draft", "sent", "acknowledged", "answered", "closed"},
		"ui.tr.":           {"incoming", "outgoing"},
		"ui.graph.kind.":   {"firearm", "exhibit", "case", "agency"},
		"ui.graph.edge.":   {"test_fire", "in_case", "owned_by", "held_by", "recovered_in", "hit", "linked"},
		"ui.fed.detail.":   {"scores", "thumbnails", "full"},
		"ui.st.dim.":       {"status", "month", "row"},
		"ui.concl.status.": {"awaiting_verification", "verified", "disagreement", "resolved"},
	}
	for prefix, values := range enums {
		for _, v := range values {
			if _, ok := en[prefix+v]; !ok {
				t.Errorf("message %q is missing from en.json", prefix+v)
			}
		}
	}
}
