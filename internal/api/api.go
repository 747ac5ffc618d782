package api

import (
	"context"
	"log/slog"
	"net/http"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/compare/bullet"
	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/store"
)

// Actor is who acts in a request: a user of one agency with roles. Every
// handler reads it (ActorFrom) and scopes every store call to its agency.
type Actor struct {
	User   domain.UserID
	Agency domain.AgencyID
	Roles  []domain.Role
}

// Has reports whether the actor holds role r.
func (a Actor) Has(r domain.Role) bool { return slices.Contains(a.Roles, r) }

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of a request context (ok false when none:
// a public route).
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// Access is what an operation does with evidence, the unit of
// authorization.
type Access string

// Access levels.
const (
	Public Access = "public" // no identity needed (health)
	Read   Access = "read"   // view records of the actor's agency
	Write  Access = "write"  // create or change cases, exhibits, scans
	Search Access = "search" // run searches and comparisons
	Review Access = "review" // review candidates (examiner's triage)
)

// Authorizer decides whether actor may perform the operation opID of the
// given access. It returns an errs.Permission error to refuse. This is the
// one place where sign-in and roles plug in.
type Authorizer func(ctx context.Context, actor Actor, opID string, access Access) error

// RoleAuthorizer is the default Authorizer: read for every role, write for
// administrators, examiners and technicians, search and review for
// administrators, examiners and verifiers.
func RoleAuthorizer(_ context.Context, a Actor, opID string, access Access) error {
	allowed := map[Access][]domain.Role{
		Read:   domain.Roles,
		Write:  {domain.RoleAdministrator, domain.RoleExaminer, domain.RoleTechnician},
		Search: {domain.RoleAdministrator, domain.RoleExaminer, domain.RoleVerifier, domain.RoleTechnician},
		Review: {domain.RoleAdministrator, domain.RoleExaminer, domain.RoleVerifier},
	}[access]
	for _, r := range allowed {
		if a.Has(r) {
			return nil
		}
	}
	return errs.Errorf("api.authorize", errs.Permission, "operation %s needs one of the roles %v", opID, allowed)
}

// Identifier finds the actor of a request (a session, a token, or in
// development a fixed demo user). An errs.Permission error refuses the
// request with 401.
type Identifier func(ctx huma.Context) (Actor, error)

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
	// Identify finds the actor; Authorize decides (RoleAuthorizer if nil).
	Identify  Identifier
	Authorize Authorizer
	// MaxUploadBytes bounds a scan upload (ingest.DefaultMaxFileBytes if 0).
	MaxUploadBytes int64
	// Health, if set, adds details to the health answer.
	Health  func(ctx context.Context) map[string]any
	Version string
	Log     *slog.Logger
}

type handler struct {
	Deps
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

// Routes lists every operation ID with its access level (for the
// authorization matrix test of the security work).
func Routes() map[string]Access {
	h := &handler{}
	out := map[string]Access{}
	for _, r := range h.routes() {
		out[r.op.OperationID] = r.access
	}
	return out
}

// New returns the HTTP handler of the API: the operations under /api/ and
// the OpenAPI document at /api/openapi.json.
func New(d Deps) http.Handler {
	if d.Authorize == nil {
		d.Authorize = RoleAuthorizer
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.MaxUploadBytes <= 0 {
		d.MaxUploadBytes = ingest.DefaultMaxFileBytes
	}
	if d.Version == "" {
		d.Version = "dev"
	}
	h := &handler{Deps: d, access: map[string]Access{}}
	mux := http.NewServeMux()
	cfg := huma.DefaultConfig("tracemark", d.Version)
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaName)
	cfg.OpenAPIPath = "/api/openapi"
	cfg.DocsPath = "/api/docs"
	cfg.SchemasPath = "/api/schemas"
	cfg.Info.Description = "Ballistic information search: cases, exhibits, scans, correlation runs and candidate lists."
	a := humago.New(mux, cfg)
	a.UseMiddleware(h.authenticate(a))
	for _, r := range h.routes() {
		h.access[r.op.OperationID] = r.access
		r.register(a, r.op)
	}
	return h.limitBodies(recoverPanics(d.Log, mux))
}

// authenticate identifies the actor and applies the authorization hook
// before every operation.
func (h *handler) authenticate(a huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		if op == nil {
			next(ctx)
			return
		}
		access, ok := h.access[op.OperationID]
		if !ok {
			huma.WriteErr(a, ctx, http.StatusForbidden, "operation has no authorization entry")
			return
		}
		if access == Public {
			next(ctx)
			return
		}
		if h.Identify == nil {
			huma.WriteErr(a, ctx, http.StatusUnauthorized, "sign in first")
			return
		}
		actor, err := h.Identify(ctx)
		if err != nil {
			huma.WriteErr(a, ctx, http.StatusUnauthorized, err.Error())
			return
		}
		if err := h.Authorize(ctx.Context(), actor, op.OperationID, access); err != nil {
			se := h.fail(ctx.Context(), err)
			huma.WriteErr(a, ctx, se.GetStatus(), se.Error())
			return
		}
		next(huma.WithValue(ctx, actorKey{}, actor))
	}
}

// limitBodies caps every request body: uploads at the upload limit plus
// room for the form fields, everything else at 1 MiB (huma checks JSON
// bodies per operation too).
func (h *handler) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(1 << 20)
		if r.Method == http.MethodPost && isUploadPath(r.URL.Path) {
			limit = h.MaxUploadBytes + 1<<20
		}
		if r.ContentLength > limit {
			writeProblem(w, http.StatusRequestEntityTooLarge, "request body is larger than the limit of "+mib(limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

func (h *handler) routes() []route {
	return slices.Concat(
		h.healthRoutes(),
		h.caseRoutes(),
		h.exhibitRoutes(),
		h.scanRoutes(),
		h.runRoutes(),
		h.candidateRoutes(),
		h.searchRoutes(),
		h.comparisonRoutes(),
	)
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
	a, _ := ActorFrom(ctx)
	return a
}
