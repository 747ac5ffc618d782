package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

//go:embed migrations
var migrations embed.FS

// Dialect names the database engine behind a Store.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store keeps the domain records in SQL. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect Dialect
	ids     *domain.IDGen
	now     func() time.Time
}

// Option changes how Open sets up a Store.
type Option func(*Store)

// WithClock makes the store take times (created_at and the like) and the
// time part of new IDs from now instead of the system clock.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		s.now = now
		s.ids = &domain.IDGen{Now: now}
	}
}

// SQLite connection settings: WAL so readers never block the writer,
// foreign keys on, a generous busy timeout so concurrent writers wait
// instead of failing, synchronous=FULL so a committed transaction survives
// power loss, and BEGIN IMMEDIATE so a write transaction takes the write lock
// at its start (a deferred one could fail with SQLITE_BUSY midway).
const sqliteParams = "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
	"&_pragma=synchronous(FULL)&_txlock=immediate"

// Open opens the database at url and brings its schema up to date.
//
//   - "postgres://…" or "postgresql://…": PostgreSQL through pgx (any
//     libpq-style parameters, e.g. sslmode or search_path, are passed on).
//   - "sqlite:///abs/path.db", "sqlite:rel/path.db" or a plain file path:
//     SQLite through modernc.org/sqlite; the file and its folder are created
//     when missing.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	const op = "store.Open"
	s := &Store{ids: &domain.IDGen{}, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	var err error
	switch {
	case strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://"):
		s.dialect = Postgres
		s.db, err = sql.Open("pgx", url)
		if err != nil {
			return nil, errs.E(op, errs.Invalid, fmt.Errorf("PostgreSQL URL: %w", err))
		}
		s.db.SetMaxOpenConns(16)
	default:
		path, perr := sqlitePath(url)
		if perr != nil {
			return nil, errs.E(op, errs.Invalid, perr)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, errs.E(op, errs.Other, fmt.Errorf("creating the database folder: %w", err))
		}
		s.dialect = SQLite
		s.db, err = sql.Open("sqlite", "file:"+path+"?"+sqliteParams)
		if err != nil {
			return nil, errs.E(op, errs.Invalid, fmt.Errorf("SQLite database %s: %w", path, err))
		}
		// One writer at a time anyway; a few connections serve readers.
		s.db.SetMaxOpenConns(8)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, s.classify(op, fmt.Errorf("connecting to the %s database: %w", s.dialect, err))
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, errs.E(op, errs.Other, err)
	}
	return s, nil
}

// sqlitePath extracts the file path from a SQLite URL or path.
func sqlitePath(url string) (string, error) {
	path := url
	switch {
	case strings.HasPrefix(url, "sqlite://"):
		path = strings.TrimPrefix(url, "sqlite://")
	case strings.HasPrefix(url, "sqlite:"):
		path = strings.TrimPrefix(url, "sqlite:")
	case strings.Contains(url, "://"):
		scheme, _, _ := strings.Cut(url, "://")
		return "", fmt.Errorf("database URL scheme %q: want postgres://, sqlite:// or a file path", scheme)
	}
	if path == "" {
		return "", errors.New("database path is empty")
	}
	if strings.ContainsAny(path, "?#") {
		return "", fmt.Errorf("SQLite path %q must not contain '?' or '#'", path)
	}
	return path, nil
}

func (s *Store) migrate(ctx context.Context) error {
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.dialect == Postgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
		// Nodes starting together must not migrate at the same time.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(dialect, s.db, fsys, opts...)
	if err != nil {
		return fmt.Errorf("preparing migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrating the %s schema: %w", s.dialect, err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Dialect reports which engine the store uses.
func (s *Store) Dialect() Dialect { return s.dialect }

// SchemaVersion returns the number of the newest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version`).Scan(&v)
	return v, s.classify("store.SchemaVersion", err)
}

// timestamp returns the store's current time as stored: UTC, µs precision.
func (s *Store) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// inTx runs fn in a transaction and commits it, retrying a few times when
// the database reports a transient conflict (SQLite busy, PostgreSQL
// serialization failure or deadlock). fn may run more than once.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := s.tryTx(ctx, fn)
		if err == nil {
			return nil
		}
		err = s.classify(op, err)
		if !errs.Is(errs.Transient, err) || attempt >= 5 || ctx.Err() != nil {
			return err
		}
		delay := time.Duration(1<<attempt)*10*time.Millisecond + rand.N(10*time.Millisecond)
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Store) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// classify wraps a database error with op and a Kind. Errors that already
// carry a Kind, and context errors, pass through.
func (s *Store) classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if errs.KindOf(err) != errs.Other || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(op, errs.NotFound, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505":
			return errs.E(op, errs.Conflict, fmt.Errorf("already exists (%s): %w", pgErr.ConstraintName, err))
		case pgErr.Code == "23503":
			return errs.E(op, errs.Invalid, fmt.Errorf("refers to a record that does not exist in this agency (%s): %w", pgErr.ConstraintName, err))
		case strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "23"):
			return errs.E(op, errs.Invalid, err) // bad data or another constraint
		case pgErr.Code == "40001" || pgErr.Code == "40P01" || pgErr.Code == "55P03" ||
			strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "53") || strings.HasPrefix(pgErr.Code, "57P"):
			return errs.E(op, errs.Transient, err)
		}
		return errs.E(op, errs.Internal, err)
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch code := liteErr.Code(); {
		case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return errs.E(op, errs.Conflict, fmt.Errorf("already exists: %w", err))
		case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return errs.E(op, errs.Invalid, fmt.Errorf("refers to a record that does not exist in this agency: %w", err))
		case code&0xff == sqlite3.SQLITE_CONSTRAINT || code&0xff == sqlite3.SQLITE_MISMATCH || code&0xff == sqlite3.SQLITE_TOOBIG:
			return errs.E(op, errs.Invalid, err)
		case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED:
			return errs.E(op, errs.Transient, err)
		case code&0xff == sqlite3.SQLITE_FULL || code&0xff == sqlite3.SQLITE_IOERR || code&0xff == sqlite3.SQLITE_CANTOPEN ||
			code&0xff == sqlite3.SQLITE_READONLY || code&0xff == sqlite3.SQLITE_PERM:
			return errs.E(op, errs.Other, err) // the operator must act: disk, permissions
		}
		return errs.E(op, errs.Internal, err)
	}
	return errs.E(op, errs.Other, err)
}

// Page asks for one page of a list.
type Page struct {
	// Limit is the most items to return: 0 means DefaultLimit, and it is
	// capped at MaxLimit.
	Limit int
	// Cursor is "" for the first page, else the next-cursor a previous
	// call returned for the same list and filter.
	Cursor string
}

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// cursor is the decoded form of an opaque page cursor: the list it belongs
// to and the sort key of the last item returned.
type cursor struct {
	List string `json:"l"`
	ID   string `json:"i,omitempty"`
	N    int64  `json:"n,omitempty"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor parses a cursor for list; "" gives the zero cursor.
func decodeCursor(op, list, s string) (cursor, bool, error) {
	if s == "" {
		return cursor{}, false, nil
	}
	bad := func(why string) (cursor, bool, error) {
		return cursor{}, false, errs.Errorf(op, errs.Invalid, "page cursor %q is not valid for this list (%s); start again without a cursor", clip(s), why)
	}
	if len(s) > 256 {
		return bad("too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return bad("not base64url")
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return bad("garbled")
	}
	if c.List != list {
		return bad("it belongs to another list")
	}
	if c.ID != "" && domain.CheckID("cursor", c.ID) != nil {
		return bad("bad position")
	}
	return c, true, nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// where builds a WHERE clause with numbered placeholders.
type where struct {
	conds []string
	args  []any
}

// add appends cond, in which "?" stands for arg.
func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.args)), 1))
}

// next returns the placeholder for one more argument.
func (w *where) next(arg any) string {
	w.args = append(w.args, arg)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// Conversions between Go zero values ("unknown") and SQL NULL.

func nullString[T ~string](v T) any {
	if v == "" {
		return nil
	}
	return string(v)
}

func nullFloat(v float64) any {
	if v == 0 {
		return nil
	}
	return v
}

func nullInt(v int) any {
	if v == 0 {
		return nil
	}
	return int64(v)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

func fromNullTime(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// checkIDs validates IDs from callers before they reach SQL, so a malformed
// one is an Invalid error that names it rather than a driver error.
func checkIDs(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := domain.CheckID(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func notFound(op, format string, args ...any) error {
	return errs.Errorf(op, errs.NotFound, format, args...)
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// querier is *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}
