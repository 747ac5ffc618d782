package web

//go:generate go run ./gen -src ../../web -out dist

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/tracemark/tracemark/internal/i18n"
)

//go:embed dist
var dist embed.FS

// ContentSecurityPolicy is sent with every answer: scripts, styles and
// connections from this origin only; images may also be blob: and data:
// URLs made by the page itself (rendered canvases, decoded height maps).
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; worker-src 'self' blob:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// file is one servable file, read once.
type file struct {
	body      []byte
	typ       string
	etag      string
	immutable bool
}

// Handler serves the workstation's files.
type Handler struct {
	files map[string]file // by URL path
	index file
	start time.Time
}

// New reads the embedded build and catalogs. It fails only when the
// embedded build lacks index.html (a broken `go generate`).
func New() (*Handler, error) {
	h := &Handler{files: map[string]file{}, start: time.Now()}
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, err
	}
	if err := h.add(sub, "/"); err != nil {
		return nil, fmt.Errorf("web: embedded build: %w", err)
	}
	if err := h.add(i18n.Files(), "/i18n/"); err != nil {
		return nil, fmt.Errorf("web: message catalogs: %w", err)
	}
	idx, ok := h.files["/index.html"]
	if !ok {
		return nil, fmt.Errorf("web: the embedded build has no index.html; run `go generate ./internal/web`")
	}
	h.index = idx
	return h, nil
}

func (h *Handler) add(fsys fs.FS, prefix string) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		typ := mime.TypeByExtension(path.Ext(p))
		if t, ok := contentTypes[path.Ext(p)]; ok {
			typ = t
		}
		if typ == "" {
			typ = "application/octet-stream"
		}
		h.files[prefix+p] = file{body: body, typ: typ, etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
			immutable: strings.HasPrefix(p, "assets/")}
		return nil
	})
}

// contentTypes fixes the types that matter, whatever the host's mime tables say.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

// ServeHTTP serves a file, or index.html for a client route.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if p == "/api" || strings.HasPrefix(p, "/api/") {
		http.NotFound(w, r) // the API is mounted separately; never shadow it with index.html
		return
	}
	f, ok := h.files[p]
	switch {
	case ok && p != "/index.html":
	case path.Ext(p) == "" || p == "/index.html":
		f = h.index // a client route
	default:
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	hd.Set("Content-Type", f.typ)
	hd.Set("ETag", f.etag)
	if f.immutable {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", h.start, bytes.NewReader(f.body))
}

// Mount returns the node's handler: apiHandler under /api/ and the
// workstation everywhere else. Should the embedded build be broken (a
// failed `go generate`), the API still works and pages answer 500 with
// the reason.
func Mount(apiHandler http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", apiHandler)
	mux.Handle("/api", apiHandler)
	ui, err := New()
	if err != nil {
		mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		})
		return mux
	}
	mux.Handle("/", ui)
	return mux
}
