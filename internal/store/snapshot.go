package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// SnapshotSQLiteFile is the file name of a SQLite snapshot inside the
// folder given to Snapshot.
const SnapshotSQLiteFile = "tracemark.db"

// SnapshotTableExt ends the file name of each table of a PostgreSQL
// snapshot: <table>.jsonl, one row_to_json object per line.
const SnapshotTableExt = ".jsonl"

// SnapshotInfo describes a snapshot taken by Snapshot.
type SnapshotInfo struct {
	Dialect       Dialect
	SchemaVersion int64
	// Tables lists every table copied with its row count, in name order
	// (goose's own version table is left out: migrations recreate it).
	Tables []TableRows
	// Refs are the blob refs ("sha256-…") that appear anywhere in the
	// snapshot's text (scan columns, JSON lists, audit details), sorted.
	Refs []blob.Ref
	// Audit is the newest audit entry in the snapshot (zero: none) and
	// AuditCheckpoints the number of signed checkpoints.
	Audit            AuditRow
	AuditCheckpoints int
}

// TableRows is a table name with the number of rows copied.
type TableRows struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
}

// refPattern finds blob refs in any text value.
var refPattern = regexp.MustCompile(`sha256-[0-9a-f]{64}`)

// OpenExisting opens the database at url like Open, but never creates it
// and never migrates it: backups must not change the database they copy,
// and a restore checks a target before touching it. A SQLite file must
// exist.
func OpenExisting(ctx context.Context, url string) (*Store, error) {
	const op = "store.OpenExisting"
	s := &Store{ids: &domain.IDGen{}, now: time.Now}
	var err error
	if isPostgresURL(url) {
		s.dialect = Postgres
		if s.db, err = sql.Open("pgx", url); err != nil {
			return nil, errs.E(op, errs.Invalid, fmt.Errorf("PostgreSQL URL: %w", err))
		}
	} else {
		path, perr := sqlitePath(url)
		if perr != nil {
			return nil, errs.E(op, errs.Invalid, perr)
		}
		if _, err := os.Stat(path); err != nil {
			return nil, errs.E(op, errs.NotFound, fmt.Errorf("no SQLite database at %s (give the data folder or --db of the node): %w", path, err))
		}
		s.dialect = SQLite
		if s.db, err = sql.Open("sqlite", "file:"+path+"?"+sqliteParams); err != nil {
			return nil, errs.E(op, errs.Invalid, fmt.Errorf("SQLite database %s: %w", path, err))
		}
		s.db.SetMaxOpenConns(4)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, s.classify(op, fmt.Errorf("connecting to the %s database: %w", s.dialect, err))
	}
	return s, nil
}

func isPostgresURL(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// IsPostgresURL reports whether Open would treat url as PostgreSQL.
func IsPostgresURL(url string) bool { return isPostgresURL(url) }

// LatestSchemaVersion is the newest migration this binary has for d.
func LatestSchemaVersion(d Dialect) (int64, error) {
	entries, err := fs.ReadDir(migrations, "migrations/"+string(d))
	if err != nil {
		return 0, errs.Errorf("store.LatestSchemaVersion", errs.Invalid, "no migrations for dialect %q", d)
	}
	var latest int64
	for _, e := range entries {
		digits, _, ok := strings.Cut(e.Name(), "_")
		if v, err := strconv.ParseInt(digits, 10, 64); ok && err == nil && strings.HasSuffix(e.Name(), ".sql") {
			latest = max(latest, v)
		}
	}
	return latest, nil
}

// Snapshot writes a transactionally consistent copy of the whole database
// into the existing folder dir while other connections keep writing:
//
//   - SQLite: VACUUM INTO dir/tracemark.db (a read transaction on the WAL
//     database; writers are not blocked).
//   - PostgreSQL: one REPEATABLE READ, READ ONLY transaction writes every
//     table of the current schema to dir/<table>.jsonl (row_to_json), so
//     all tables show the same instant; LoadSnapshot reads them back.
//
// The info (schema version, row counts, referenced blobs, audit head) is
// read from that same snapshot, never from the live database.
func (s *Store) Snapshot(ctx context.Context, dir string) (SnapshotInfo, error) {
	const op = "store.Snapshot"
	if s.dialect == Postgres {
		info, err := s.snapshotPostgres(ctx, dir)
		return info, s.classify(op, err)
	}
	path := filepath.Join(dir, SnapshotSQLiteFile)
	if _, err := os.Stat(path); err == nil {
		return SnapshotInfo{}, errs.Errorf(op, errs.Conflict, "snapshot file %s exists already", path)
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return SnapshotInfo{}, s.classify(op, fmt.Errorf("VACUUM INTO %s: %w", path, err))
	}
	info, err := inspectSQLite(ctx, path)
	return info, s.classify(op, err)
}

// inspectSQLite reads the info of a SQLite snapshot file without changing it.
func inspectSQLite(ctx context.Context, path string) (SnapshotInfo, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		return SnapshotInfo{}, err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return SnapshotInfo{}, err
	}
	defer tx.Rollback()
	tables, err := queryStrings(ctx, tx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return SnapshotInfo{}, err
	}
	if err := quickCheck(ctx, tx); err != nil {
		return SnapshotInfo{}, err
	}
	info := SnapshotInfo{Dialect: SQLite}
	refs := map[blob.Ref]bool{}
	for _, t := range tables {
		if t == "goose_db_version" {
			continue
		}
		n, err := scanTableRefs(ctx, tx, t, refs)
		if err != nil {
			return info, err
		}
		info.Tables = append(info.Tables, TableRows{Name: t, Rows: n})
	}
	return info, finishInfo(ctx, tx, &info, tables, refs)
}

// CheckIntegrity runs SQLite's quick_check over the whole database file
// (every page, row and constraint except index contents) and reports
// what it finds; on PostgreSQL it does nothing.
func (s *Store) CheckIntegrity(ctx context.Context) error {
	if s.dialect != SQLite {
		return nil
	}
	return s.classify("store.CheckIntegrity", quickCheck(ctx, s.db))
}

func quickCheck(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}) error {
	problems, err := queryStrings(ctx, q, `PRAGMA quick_check`)
	if err != nil {
		return fmt.Errorf("checking the database file: %w", err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return errs.Errorf("store.CheckIntegrity", errs.Invalid, "the SQLite file is damaged: %s", strings.Join(problems[:min(len(problems), 5)], "; "))
	}
	return nil
}

// scanTableRefs counts the rows of table and adds every blob ref found in
// its text values to refs.
func scanTableRefs(ctx context.Context, tx *sql.Tx, table string, refs map[blob.Ref]bool) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
	if err != nil {
		return 0, fmt.Errorf("reading table %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, fmt.Errorf("reading table %s: %w", table, err)
		}
		for _, v := range vals {
			switch v := v.(type) {
			case string:
				addRefs(v, refs)
			case []byte:
				addRefs(string(v), refs)
			}
		}
		n++
	}
	return n, rows.Err()
}

func addRefs(text string, refs map[blob.Ref]bool) {
	if !strings.Contains(text, "sha256-") {
		return
	}
	for _, m := range refPattern.FindAllString(text, -1) {
		if r, err := blob.Parse(m); err == nil {
			refs[r] = true
		}
	}
}

// finishInfo fills the schema version, the audit head and the sorted refs
// from the snapshot's own transaction.
func finishInfo(ctx context.Context, tx *sql.Tx, info *SnapshotInfo, tables []string, refs map[blob.Ref]bool) error {
	if slices.Contains(tables, "goose_db_version") {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version`).Scan(&info.SchemaVersion); err != nil {
			return fmt.Errorf("reading the schema version: %w", err)
		}
	}
	if slices.Contains(tables, "audit_log") {
		last, err := scanAudit(tx.QueryRowContext(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY seq DESC LIMIT 1`))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading the audit head: %w", err)
		}
		if err == nil {
			info.Audit = last
		}
	}
	if slices.Contains(tables, "audit_checkpoints") {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_checkpoints`).Scan(&info.AuditCheckpoints); err != nil {
			return fmt.Errorf("counting audit checkpoints: %w", err)
		}
	}
	for r := range refs {
		info.Refs = append(info.Refs, r)
	}
	slices.SortFunc(info.Refs, func(a, b blob.Ref) int {
		if a.Less(b) {
			return -1
		}
		if b.Less(a) {
			return 1
		}
		return 0
	})
	return nil
}

func queryStrings(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// MigrateTo applies this binary's migrations up to and including version
// (LoadSnapshot; tests that need a database of an older schema).
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.migrationProvider()
	if err != nil {
		return err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("migrating the %s schema to version %d: %w", s.dialect, version, err)
	}
	return nil
}

func (s *Store) migrationProvider() (*goose.Provider, error) {
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	if s.dialect == Postgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
	}
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(dialect, s.db, fsys)
	if err != nil {
		return nil, fmt.Errorf("preparing migrations: %w", err)
	}
	return p, nil
}
