package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/store/storetest"
)

// envPostgres names the PostgreSQL server the tests use; .ci/services/postgres.sh prints it.
const envPostgres = "TRACEMARK_TEST_POSTGRES"

func openSQLite(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "tracemark.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLite(t *testing.T) {
	storetest.Test(t, func(t *testing.T) *store.Store { return openSQLite(t) })
}

func postgresURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv(envPostgres)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the store suite on PostgreSQL (start it with .ci/services/postgres.sh)", envPostgres)
		}
		t.Skipf("%s is not set; run `eval \"$(bash .ci/services/postgres.sh)\"` to test on PostgreSQL", envPostgres)
	}
	return u
}

// openPostgres returns a store in a fresh schema of its own, dropped at the
// end, so that test runs and subtests never see each other's rows.
func openPostgres(t *testing.T) *store.Store {
	t.Helper()
	base := postgresURL(t)
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
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
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
	if s.Dialect() != store.Postgres {
		t.Fatalf("dialect %s", s.Dialect())
	}
	return s
}

func TestPostgres(t *testing.T) {
	postgresURL(t)
	storetest.Test(t, openPostgres)
}

func TestOpenURLs(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		url  string
		kind errs.Kind // Other means success
	}{
		{"sqlite://" + filepath.Join(dir, "a.db"), errs.Other},
		{"sqlite:" + filepath.Join(dir, "b.db"), errs.Other},
		{filepath.Join(dir, "sub", "folder", "c.db"), errs.Other},
		{"mysql://root@localhost/db", errs.Invalid},
		{"sqlite://", errs.Invalid},
		{filepath.Join(dir, "d.db?mode=ro"), errs.Invalid},
	}
	for _, tt := range tests {
		s, err := store.Open(context.Background(), tt.url)
		if tt.kind == errs.Other {
			if err != nil {
				t.Errorf("Open(%q): %v", tt.url, err)
				continue
			}
			v, err := s.SchemaVersion(context.Background())
			if err != nil || v < 1 || s.Dialect() != store.SQLite {
				t.Errorf("Open(%q): schema version %d, %v, dialect %s", tt.url, v, err, s.Dialect())
			}
			s.Close()
			continue
		}
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want a %v error", tt.url, tt.kind)
		} else if errs.KindOf(err) != tt.kind {
			t.Errorf("Open(%q) = %v (kind %v), want kind %v", tt.url, err, errs.KindOf(err), tt.kind)
		}
	}
	// Reopening an existing database migrates nothing and keeps the data.
	p := filepath.Join(dir, "a.db")
	s, err := store.Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
