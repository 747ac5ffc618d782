// Package authtest helps test authorization and security storage: the
// allow/deny matrix check for the HTTP API, and stores over SQLite and
// (when TRACEMARK_TEST_POSTGRES is set) PostgreSQL.
package authtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/store"
)

// Route is one registered API operation.
type Route struct {
	OperationID string
	Method      string
	Path        string
}

// Anonymous is the role CheckMatrix passes for a caller without credentials.
const Anonymous domain.Role = ""

// Expected returns the status class CheckMatrix wants for role calling the
// operation: 0 if allowed (any status but 401 and 403), else 401 for an
// anonymous caller and 403 for a signed-in one.
func Expected(role domain.Role, opID string) int {
	r, ok := auth.Operations()[opID]
	signedIn := role != Anonymous
	var roles []domain.Role
	if signedIn {
		roles = []domain.Role{role}
	}
	switch {
	case ok && r.Allows(signedIn, roles):
		return 0
	case !signedIn:
		return http.StatusUnauthorized
	}
	return http.StatusForbidden
}

// CheckMatrix checks that every route has an entry in the authorization
// table and that the server enforces it: call must perform route as a
// user holding only role (Anonymous: no credentials) against a running
// handler, with valid-looking input, and return the HTTP status. A
// denied call must answer 401 (anonymous) or 403 (signed in); an allowed
// one must answer neither (404 for a made-up ID or 400 for empty input
// is fine: the request got past authorization).
func CheckMatrix(t testing.TB, routes []Route, call func(t testing.TB, role domain.Role, r Route) int) {
	t.Helper()
	ops := auth.Operations()
	roles := append([]domain.Role{Anonymous}, domain.Roles...)
	for _, r := range routes {
		if _, ok := ops[r.OperationID]; !ok {
			t.Errorf("route %s %s (%s) has no entry in the authorization table (internal/auth/policy.go)", r.Method, r.Path, r.OperationID)
			continue
		}
		for _, role := range roles {
			got := call(t, role, r)
			want := Expected(role, r.OperationID)
			name := string(role)
			if role == Anonymous {
				name = "anonymous"
			}
			switch {
			case want == 0 && (got == http.StatusUnauthorized || got == http.StatusForbidden):
				t.Errorf("%s %s (%s) as %s: status %d, want allowed", r.Method, r.Path, r.OperationID, name, got)
			case want != 0 && got != want:
				t.Errorf("%s %s (%s) as %s: status %d, want %d", r.Method, r.Path, r.OperationID, name, got, want)
			}
		}
	}
}

// EnvPostgres names the PostgreSQL server for tests (see .ci/services/postgres.sh).
const EnvPostgres = "TRACEMARK_TEST_POSTGRES"

// Engines returns store openers by engine name: "sqlite" always, and
// "postgres" when TRACEMARK_TEST_POSTGRES is set (under CI=true its
// absence fails the test). Each call opens an empty, migrated store
// (a fresh SQLite file or PostgreSQL schema) closed at the test's end.
func Engines(t *testing.T) map[string]func(t *testing.T) *store.Store {
	t.Helper()
	out := map[string]func(t *testing.T) *store.Store{"sqlite": OpenSQLite}
	if os.Getenv(EnvPostgres) != "" {
		out["postgres"] = OpenPostgres
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set: CI must test on PostgreSQL too (start it with .ci/services/postgres.sh)", EnvPostgres)
	}
	return out
}

// OpenSQLite opens a store on a new SQLite file.
func OpenSQLite(t *testing.T) *store.Store {
	t.Helper()
	s, _ := OpenRaw(t, "sqlite")
	return s
}

// OpenRaw opens an empty store on engine ("sqlite" or "postgres") and a
// second, plain database/sql connection to the same tables, for tests
// that tamper with rows behind the store's back.
func OpenRaw(t testing.TB, engine string) (*store.Store, *sql.DB) {
	t.Helper()
	var s *store.Store
	var raw *sql.DB
	var err error
	if engine == "postgres" {
		var u string
		s, u = OpenPostgresSchema(t)
		raw, err = sql.Open("pgx", u)
	} else {
		path := filepath.Join(t.TempDir(), "tracemark.db")
		s, err = store.Open(context.Background(), "sqlite://"+path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		raw, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return s, raw
}

// OpenPostgres opens a store in a fresh schema, dropped at the end.
func OpenPostgres(t *testing.T) *store.Store {
	t.Helper()
	s, _ := OpenPostgresSchema(t)
	return s
}

// OpenPostgresSchema is OpenPostgres that also returns the URL of the
// schema, for tests that reach the tables directly.
func OpenPostgresSchema(t testing.TB) (*store.Store, string) {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skipf("%s is not set", EnvPostgres)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("creating schema %s: %v", schema, err)
	}
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := store.Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("opening PostgreSQL store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, u.String()
}
