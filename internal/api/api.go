package api

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/compare/bullet"
	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/federation"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/report"
	"github.com/tracemark/tracemark/internal/store"
)

// Actor is who acts in a request (package auth): a user of one agency with
// roles, signed in with a session or acting through an API token. Every
// handler reads it (actor) and scopes every store call to its agency.
type Actor = auth.Actor

// Access is what an operation does with evidence. It decides how the audit
// trail records the operation; who may perform it is decided by the one
// policy table of package auth, keyed by operation ID.
type Access string

// Access levels.
const (
	Public   Access = "public"   // no identity needed (health, sign-in); not audited here
	Identity Access = "identity" // the actor's own session (whoami, sign-out); package auth audits sign-ins
	Read     Access = "read"     // view records of the actor's agency (audited as a view)
	Write    Access = "write"    // create or change cases, exhibits, scans, custody
	Search   Access = "search"   // run searches and comparisons
	Review   Access = "review"   // review candidates, record conclusions
	Admin    Access = "admin"    // users, tokens and the audit trail itself
)

// audited reports whether a successful operation of this access must leave
// an audit entry.
func (a Access) audited() bool { return a != Public && a != Identity }

// Engine runs searches and comparisons for the API.
type Engine interface {
	// SearchFile searches the agency's corpus with an analysed file that is
	// not stored; k ≤ 0 uses the default.
	SearchFile(ctx context.Context, agency domain.AgencyID, a *ingest.Analysis, class domain.ClassCharacteristics, name string, k int) ([]domain.Candidate, any, error)
	// Compare compares two stored scans of the agency.
	Compare(ctx context.Context, agency domain.AgencyID, a, b domain.ScanID) (*Comparison, error)
}

// Comparison is the full result of comparing two stored scans.
type Comparison struct {
	Kind      string                   `json:"kind" enum:"cartridge,bullet"`
	A         domain.ScanID            `json:"a"`
	B         domain.ScanID            `json:"b"`
	Cartridge *cartridge.Result        `json:"cartridge,omitempty"`
	Bullet    *bullet.BulletComparison `json:"bullet,omitempty"`
}

// Deps are the API's dependencies.
type Deps struct {
	Store  *store.Store
	Blobs  blob.Fetcher
	Ingest *ingest.Ingester
	Engine Engine
	// Federation exchanges bundles and searches with peer nodes (nil: those routes answer 503).
	Federation *federation.Node
	// ReportTemplates are the laboratory's report templates (header, logo,
	// wording, numbering); nil: the built-in ones.
	ReportTemplates *report.Templates
	// Auth identifies every request (session cookie or Bearer API token);
	// without it every route but the public ones answers 401.
	Auth *auth.Service
	// Audit receives the audit entry of every operation on evidence.
	Audit *audit.Log
	// AuditKeys are the public keys whose checkpoints verify-audit trusts
	// (the node's own; none: each checkpoint's own key, which proves less).
	AuditKeys []ed25519.PublicKey
	// SecureCookies marks the session cookie Secure (the server speaks TLS).
	SecureCookies bool
	// MaxUploadBytes bounds a scan upload (ingest.DefaultMaxFileBytes if 0).
	MaxUploadBytes int64
	// MaxBodyBytes bounds every other request body (1 MiB if 0).
	MaxBodyBytes int64
	// Health, if set, adds details to the health answer.
	Health  func(ctx context.Context) map[string]any
	Version string
	Log     *slog.Logger
}

type handler struct {
	Deps
	api    huma.API
	policy map[string]auth.Rule
	access map[string]Access
}

// route is one operation: its description, its access level and how it
// registers itself.
type route struct {
	op       huma.Operation
	access   Access
	register func(huma.API, huma.Operation)
}

func newRoute[I, O any](access Access, op huma.Operation, fn func(context.Context, *I) (*O, error)) route {
	return route{op: op, access: access, register: func(a huma.API, o huma.Operation) { huma.Register(a, o, fn) }}
}

// routeGroups lists the route functions of every resource file. A new
// resource adds its function here; its operation IDs need entries in the
// policy table of package auth (the matrix test fails otherwise).
func (h *handler) routeGroups() []func() []route {
	return []func() []route{
		h.healthRoutes,
		h.sessionRoutes,
		h.userRoutes,
		h.auditRoutes,
		h.caseRoutes,
		h.exhibitRoutes,
		h.custodyRoutes,
		h.scanRoutes,
		h.runRoutes,
		h.candidateRoutes,
		h.searchRoutes,
		h.comparisonRoutes,
		h.conclusionRoutes, h.myWorkRoutes, h.surfaceRoutes, h.reportRoutes, // workstation
		h.firearmRoutes, h.traceRoutes, h.exchangeRoutes, h.federationRoutes, h.statsRoutes, // tracing
		h.fileRoutes, // firearm photos, trace request attachments
	}
}

func (h *handler) routes() []route {
	var out []route
	for _, g := range h.routeGroups() {
		out = append(out, g()...)
	}
	return out
}

// RouteInfo describes one registered operation.
type RouteInfo struct {
	OperationID string
	Method      string
	Path        string
	Access      Access
}

// Routes lists every registered operation, for the authorization matrix
// test (authtest.CheckMatrix) and the documentation.
func Routes() []RouteInfo {
	h := &handler{}
	var out []RouteInfo
	for _, r := range h.routes() {
		out = append(out, RouteInfo{OperationID: r.op.OperationID, Method: r.op.Method, Path: r.op.Path, Access: r.access})
	}
	return out
}

// New returns the HTTP handler of the API: the operations under /api/ and
// the OpenAPI document at /api/openapi.json.
func New(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.MaxUploadBytes <= 0 {
		d.MaxUploadBytes = ingest.DefaultMaxFileBytes
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 1 << 20
	}
	if d.Version == "" {
		d.Version = "dev"
	}
	h := &handler{Deps: d, policy: auth.Operations(), access: map[string]Access{}}
	mux := http.NewServeMux()
	cfg := huma.DefaultConfig("tracemark", d.Version)
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaName)
	cfg.OpenAPIPath = "/api/openapi"
	cfg.DocsPath = "/api/docs"
	cfg.SchemasPath = "/api/schemas"
	cfg.Info.Description = "Ballistic information search: cases, exhibits, scans, correlation runs and candidate lists.\n\n" +
		"Sign in with POST /api/auth/login (a session cookie; send the returned csrf_token in the " + auth.CSRFHeader +
		" header on every changing request) or send an API token as `Authorization: Bearer tmk_…`."
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"session": {Type: "apiKey", In: "cookie", Name: auth.CookieName},
		"token":   {Type: "http", Scheme: "bearer"},
	}
	a := humago.New(mux, cfg)
	h.api = a
	a.UseMiddleware(h.guard)
	for _, r := range h.routes() {
		h.access[r.op.OperationID] = r.access
		if r.op.BodyReadTimeout == 0 {
			// huma's default (5 s) leaves a read deadline on the connection
			// after the body is read; when it passes, net/http's background
			// read cancels the request's context, and a handler still
			// working (a slow sign-in or ingest on a busy machine) fails.
			// limitBodies bounds the time to read JSON bodies instead.
			r.op.BodyReadTimeout = -1
		}
		if rule, ok := h.policy[r.op.OperationID]; ok && !rule.Public {
			r.op.Security = []map[string][]string{{"session": {}}, {"token": {}}}
		}
		r.register(a, r.op)
	}
	// Anything else under /api/ answers like the routes do: a problem
	// document, not net/http's plain-text 404.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, "no API route "+r.Method+" "+clip(r.URL.Path, 200)+"; see /api/openapi.json")
	})
	return h.limitBodies(recoverPanics(d.Log, mux))
}

// request is what the middleware learns about a request for the handlers:
// the client's address, and the session token when the cookie
// authenticated it (for sign-out and the CSRF token).
type request struct {
	ip, userAgent string
	session       string
	access        Access
	audited       bool // the handler recorded its own audit entry
}

type requestKey struct{}

func requestOf(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	if r == nil {
		return &request{}
	}
	return r
}

// guard is the one place where requests are identified and authorized:
// the operation ID selects the rule of the policy table (auth.Authorize),
// the actor comes from the session cookie or the Bearer token
// (auth.Service.Identify, CSRF checked on cookie-authenticated changes).
// After a successful operation on evidence it makes sure the audit trail
// has an entry, writing a generic one if the handler wrote none.
func (h *handler) guard(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	if op == nil {
		next(ctx)
		return
	}
	req := &request{ip: clientIP(ctx.RemoteAddr()), userAgent: clip(ctx.Header("User-Agent"), 200), access: h.access[op.OperationID]}
	c := context.WithValue(ctx.Context(), requestKey{}, req)
	rule, ok := h.policy[op.OperationID]
	if !ok {
		h.writeError(ctx, auth.Authorize(Actor{}, op.OperationID))
		return
	}
	if rule.Public {
		next(huma.WithContext(ctx, c))
		return
	}
	if h.Auth == nil {
		h.writeError(ctx, auth.Authorize(Actor{}, op.OperationID))
		return
	}
	a, err := h.Auth.Identify(c, ctx.Method(), ctx.Header)
	if err == nil {
		err = auth.Authorize(a, op.OperationID)
	}
	if err != nil {
		h.writeError(ctx, err)
		return
	}
	if a.Token == "" {
		req.session = auth.SessionToken(ctx.Header("Cookie"))
	}
	c = auth.WithActor(c, a)
	next(huma.WithContext(ctx, c))
	if req.access.audited() && !req.audited && ctx.Status() < 400 {
		// A route that records nothing itself still leaves a trace.
		if _, err := h.Audit.Act(c, a, op.OperationID, "", ctx.Param("id"), "", map[string]any{"method": op.Method, "path": op.Path}); err != nil {
			h.Log.ErrorContext(c, "audit entry not written", "operation", op.OperationID, "err", err)
		}
	}
}

// writeError answers a request refused before its handler ran, as huma
// answers an error returned by a handler.
func (h *handler) writeError(ctx huma.Context, err error) {
	err = h.fail(ctx.Context(), err)
	var he huma.HeadersError
	if errors.As(err, &he) {
		for k, vs := range he.GetHeaders() {
			for _, v := range vs {
				ctx.AppendHeader(k, v)
			}
		}
	}
	var se huma.StatusError
	if !errors.As(err, &se) {
		se = huma.NewError(http.StatusInternalServerError, "internal error")
	}
	huma.WriteErr(h.api, ctx, se.GetStatus(), se.Error())
}

// record appends the audit entry of the request's operation: what the
// actor did (action such as "case.view", "scan.export"), to which record,
// in which case (listed per case). A handler on evidence calls it before
// it answers; if the entry cannot be written the request fails.
func (h *handler) record(ctx context.Context, action, objectType, objectID string, caseID domain.CaseID, details any) error {
	requestOf(ctx).audited = true
	if _, err := h.Audit.Act(ctx, actor(ctx), action, objectType, objectID, string(caseID), details); err != nil {
		return h.fail(ctx, err)
	}
	return nil
}

// limitBodies caps every request body: uploads at the upload limit plus
// room for the form fields, everything else at MaxBodyBytes, and refuses
// JSON nested deeper than maxJSONDepth (huma checks JSON bodies per
// operation too).
func (h *handler) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := h.MaxBodyBytes
		if r.Method == http.MethodPost && isUploadPath(r.URL.Path) {
			limit = h.MaxUploadBytes + 1<<20
		}
		if r.ContentLength > limit {
			writeProblem(w, http.StatusRequestEntityTooLarge, "request body is larger than the limit of "+mib(limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if isJSON(r.Header.Get("Content-Type")) && r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
			// A deadline for reading the body only: cleared before the
			// handler runs (see BodyReadTimeout in New).
			rc := http.NewResponseController(w)
			rc.SetReadDeadline(time.Now().Add(jsonBodyTimeout))
			body, status, msg := readJSONBody(r.Body, limit)
			rc.SetReadDeadline(time.Time{})
			if status != 0 {
				writeProblem(w, status, msg)
				return
			}
			r.Body = body
		}
		next.ServeHTTP(w, r)
	})
}

// schemaName names OpenAPI schemas after their Go type, prefixed with the
// package for types from outside this package (cartridge.Features and
// bullet.Features are different schemas).
func schemaName(t reflect.Type, hint string) string {
	name := huma.DefaultSchemaNamer(t, hint)
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if pkg := path.Base(t.PkgPath()); t.Name() != "" && strings.HasPrefix(t.PkgPath(), "github.com/tracemark/") && pkg != "api" && !strings.HasPrefix(name, strings.ToUpper(pkg[:1])+pkg[1:]) {
		name = strings.ToUpper(pkg[:1]) + pkg[1:] + name
	}
	return name
}

// actor returns the request's actor; handlers behind a non-public route
// always have one.
func actor(ctx context.Context) Actor {
	a, _ := auth.ActorFrom(ctx)
	return a
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
