package store

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/errs"
)

// tableName is what a table name in a snapshot may look like (the
// manifest naming them is untrusted input on restore).
var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// CheckTableName reports whether name is acceptable as a snapshot table.
func CheckTableName(name string) error {
	if !tableName.MatchString(name) {
		return errs.Errorf("store.CheckTableName", errs.Invalid, "table name %q: want lowercase letters, digits and _ (at most 63)", clip(name))
	}
	return nil
}

func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// snapshotPostgres dumps every table of the current schema in one
// REPEATABLE READ, READ ONLY transaction.
func (s *Store) snapshotPostgres(ctx context.Context, dir string) (SnapshotInfo, error) {
	info := SnapshotInfo{Dialect: Postgres}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return info, err
	}
	defer tx.Rollback()
	tables, err := queryStrings(ctx, tx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		return info, fmt.Errorf("listing tables: %w", err)
	}
	refs := map[blob.Ref]bool{}
	for _, t := range tables {
		if t == "goose_db_version" {
			continue
		}
		if err := CheckTableName(t); err != nil {
			return info, err
		}
		n, err := dumpTable(ctx, tx, t, filepath.Join(dir, t+SnapshotTableExt), refs)
		if err != nil {
			return info, err
		}
		info.Tables = append(info.Tables, TableRows{Name: t, Rows: n})
	}
	return info, finishInfo(ctx, tx, &info, tables, refs)
}

func dumpTable(ctx context.Context, tx *sql.Tx, table, path string, refs map[blob.Ref]bool) (n int64, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("creating the dump of table %s: %w", table, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	rows, err := tx.QueryContext(ctx, `SELECT row_to_json(t)::text FROM `+quoteIdent(table)+` t`)
	if err != nil {
		return 0, fmt.Errorf("reading table %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return n, fmt.Errorf("reading table %s: %w", table, err)
		}
		addRefs(line, refs)
		w.WriteString(line)
		if err := w.WriteByte('\n'); err != nil {
			return n, fmt.Errorf("writing the dump of table %s: %w", table, err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("reading table %s: %w", table, err)
	}
	return n, w.Flush()
}

// loadBatchBytes bounds the JSON sent in one INSERT while loading.
const loadBatchBytes = 4 << 20

// LoadSnapshot loads a PostgreSQL snapshot taken by Snapshot (the folder
// dir with one <table>.jsonl per entry of tables) into the database at
// url, whose current schema must hold no tables yet. It migrates the
// schema to version (the snapshot's), loads every table in foreign-key
// order in one transaction, checks each row count and moves sequences
// past the loaded rows. Open then migrates forward to this binary's
// schema. On error nothing is loaded (the schema may be left migrated).
func LoadSnapshot(ctx context.Context, url, dir string, version int64, tables []TableRows) error {
	const op = "store.LoadSnapshot"
	if !isPostgresURL(url) {
		return errs.Errorf(op, errs.Invalid, "LoadSnapshot is for PostgreSQL; a SQLite snapshot is the database file itself")
	}
	latest, err := LatestSchemaVersion(Postgres)
	if err != nil {
		return err
	}
	if version < 1 || version > latest {
		return errs.Errorf(op, errs.Invalid, "snapshot schema version %d: this tracemark knows versions 1 to %d; restore with a newer tracemark", version, latest)
	}
	s, err := OpenExisting(ctx, url)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.CheckEmpty(ctx); err != nil {
		return err
	}
	if err := s.MigrateTo(ctx, version); err != nil {
		return errs.E(op, errs.Other, err)
	}
	order, err := s.loadOrder(ctx, tables)
	if err != nil {
		return s.classify(op, err)
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		for _, t := range order {
			if err := loadTable(ctx, tx, dir, t); err != nil {
				return err
			}
		}
		return resetSequences(ctx, tx)
	})
}

// CheckEmpty reports a Conflict when the database (PostgreSQL: its current
// schema) already holds tables, so a restore never mixes two databases.
func (s *Store) CheckEmpty(ctx context.Context) error {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.dialect == Postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	var n int
	if err := s.db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return s.classify("store.CheckEmpty", err)
	}
	if n > 0 {
		return errs.Errorf("store.CheckEmpty", errs.Conflict,
			"the target database already holds %d tables: restore into an empty database (PostgreSQL: a new database or schema)", n)
	}
	return nil
}

// loadOrder checks the snapshot's tables against the migrated schema and
// sorts them so that every table comes after the tables it references.
func (s *Store) loadOrder(ctx context.Context, tables []TableRows) ([]TableRows, error) {
	have, err := queryStrings(ctx, s.db, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		return nil, err
	}
	byName := map[string]TableRows{}
	for _, t := range tables {
		if err := CheckTableName(t.Name); err != nil {
			return nil, err
		}
		if !slices.Contains(have, t.Name) {
			return nil, errs.Errorf("store.LoadSnapshot", errs.Invalid, "the snapshot has table %s, which its schema version does not create", t.Name)
		}
		if _, dup := byName[t.Name]; dup {
			return nil, errs.Errorf("store.LoadSnapshot", errs.Invalid, "the snapshot lists table %s twice", t.Name)
		}
		byName[t.Name] = t
	}
	rows, err := s.db.QueryContext(ctx, `SELECT src.relname, dst.relname FROM pg_constraint c
		JOIN pg_class src ON src.oid = c.conrelid JOIN pg_class dst ON dst.oid = c.confrelid
		JOIN pg_namespace n ON n.oid = src.relnamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	deps := map[string][]string{} // table → tables it references
	for rows.Next() {
		var src, dst string
		if err := rows.Scan(&src, &dst); err != nil {
			return nil, err
		}
		if src != dst {
			deps[src] = append(deps[src], dst)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	var order []TableRows
	done := map[string]bool{}
	for len(order) < len(names) {
		progress := false
		for _, n := range names {
			if done[n] || slices.ContainsFunc(deps[n], func(d string) bool { _, in := byName[d]; return in && !done[d] }) {
				continue
			}
			done[n], progress = true, true
			order = append(order, byName[n])
		}
		if !progress {
			return nil, errors.New("the tables' foreign keys form a cycle; cannot order the load")
		}
	}
	return order, nil
}

func loadTable(ctx context.Context, tx *sql.Tx, dir string, t TableRows) error {
	var existing int64
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t.Name)).Scan(&existing); err != nil {
		return err
	}
	if existing != 0 {
		return errs.Errorf("store.LoadSnapshot", errs.Conflict, "table %s already holds %d rows after migration", t.Name, existing)
	}
	f, err := os.Open(filepath.Join(dir, t.Name+SnapshotTableExt))
	if err != nil {
		return errs.E("store.LoadSnapshot", errs.Invalid, fmt.Errorf("the dump of table %s: %w", t.Name, err))
	}
	defer f.Close()
	insert := `INSERT INTO ` + quoteIdent(t.Name) + ` OVERRIDING SYSTEM VALUE SELECT * FROM json_populate_recordset(NULL::` +
		quoteIdent(t.Name) + `, $1::json)`
	r := bufio.NewReaderSize(f, 1<<20)
	var batch bytes.Buffer
	var loaded int64
	flush := func() error {
		if batch.Len() == 0 {
			return nil
		}
		batch.WriteByte(']')
		res, err := tx.ExecContext(ctx, insert, batch.String())
		if err != nil {
			return fmt.Errorf("loading table %s: %w", t.Name, err)
		}
		n, _ := res.RowsAffected()
		loaded += n
		batch.Reset()
		return nil
	}
	for {
		line, err := r.ReadBytes('\n')
		if line = bytes.TrimSpace(line); len(line) > 0 {
			if batch.Len() == 0 {
				batch.WriteByte('[')
			} else {
				batch.WriteByte(',')
			}
			batch.Write(line)
			if batch.Len() >= loadBatchBytes {
				if ferr := flush(); ferr != nil {
					return ferr
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the dump of table %s: %w", t.Name, err)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if loaded != t.Rows {
		return errs.Errorf("store.LoadSnapshot", errs.Invalid, "table %s: loaded %d rows, the snapshot says %d", t.Name, loaded, t.Rows)
	}
	return nil
}

// resetSequences moves every sequence owned by a column of the current
// schema past the largest value loaded.
func resetSequences(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT seq.relname, tbl.relname, att.attname FROM pg_class seq
		JOIN pg_depend d ON d.objid = seq.oid AND d.deptype IN ('a', 'i')
		JOIN pg_class tbl ON tbl.oid = d.refobjid
		JOIN pg_attribute att ON att.attrelid = tbl.oid AND att.attnum = d.refobjsubid
		JOIN pg_namespace n ON n.oid = seq.relnamespace
		WHERE seq.relkind = 'S' AND n.nspname = current_schema()`)
	if err != nil {
		return err
	}
	type owned struct{ seq, table, col string }
	var all []owned
	for rows.Next() {
		var o owned
		if err := rows.Scan(&o.seq, &o.table, &o.col); err != nil {
			rows.Close()
			return err
		}
		all = append(all, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, o := range all {
		if _, err := tx.ExecContext(ctx, `SELECT setval($1::regclass, COALESCE((SELECT MAX(`+quoteIdent(o.col)+`) FROM `+
			quoteIdent(o.table)+`), 0) + 1, false)`, quoteIdent(o.seq)); err != nil {
			return fmt.Errorf("moving sequence %s: %w", o.seq, err)
		}
	}
	return nil
}

// CurrentSchema names the PostgreSQL schema the store works in.
func (s *Store) CurrentSchema(ctx context.Context) (string, error) {
	var name string
	err := s.db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&name)
	return name, s.classify("store.CurrentSchema", err)
}

// withSearchPath returns url with its search_path set to schema.
func withSearchPath(raw, schema string) (string, error) {
	u, err := neturl.Parse(raw)
	if err != nil {
		return "", errs.E("store", errs.Invalid, fmt.Errorf("PostgreSQL URL: %w", err))
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// siblingSchema is the name <current>_<suffix>, shortened to fit 63 bytes.
func siblingSchema(cur, suffix string) (string, error) {
	name := cur[:max(0, min(len(cur), 63-len(suffix)-1))] + "_" + suffix
	if err := CheckTableName(name); err != nil {
		return "", errs.Errorf("store", errs.Invalid, "schema name %q: want lowercase letters, digits and _", name)
	}
	return name, nil
}

// Staged is a schema made by StageSchema.
type Staged struct {
	Name string // the staging schema
	URL  string // the database URL with search_path set to it
}

// StageSchema creates the empty schema <current>_<suffix> beside the
// current schema of the PostgreSQL database at url, so that a snapshot
// can be loaded and checked next to the live data. SwapSchema later puts
// it in place; DropStagedSchema removes it after a failure.
func StageSchema(ctx context.Context, url, suffix string) (Staged, error) {
	const op = "store.StageSchema"
	s, err := OpenExisting(ctx, url)
	if err != nil {
		return Staged{}, err
	}
	defer s.Close()
	cur, err := s.CurrentSchema(ctx)
	if err != nil {
		return Staged{}, err
	}
	name, err := siblingSchema(cur, suffix)
	if err != nil {
		return Staged{}, err
	}
	if _, err := s.db.ExecContext(ctx, `CREATE SCHEMA `+quoteIdent(name)); err != nil {
		return Staged{}, s.classify(op, fmt.Errorf("creating the staging schema %s (the role needs CREATE on the database): %w", name, err))
	}
	stagedURL, err := withSearchPath(url, name)
	return Staged{Name: name, URL: stagedURL}, err
}

// SwapSchema renames, in one transaction, the current schema of the
// database at url to <current>_<suffix> and the schema staged to the
// current name: the restored data takes the place of the old, which is
// kept whole under the returned name.
func SwapSchema(ctx context.Context, url, staged, suffix string) (replaced string, err error) {
	const op = "store.SwapSchema"
	if err := CheckTableName(staged); err != nil {
		return "", err
	}
	s, err := OpenExisting(ctx, url)
	if err != nil {
		return "", err
	}
	defer s.Close()
	cur, err := s.CurrentSchema(ctx)
	if err != nil {
		return "", err
	}
	if replaced, err = siblingSchema(cur, suffix); err != nil {
		return "", err
	}
	return replaced, s.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `ALTER SCHEMA `+quoteIdent(cur)+` RENAME TO `+quoteIdent(replaced)); err != nil {
			return fmt.Errorf("renaming schema %s to %s (the role must own it): %w", cur, replaced, err)
		}
		if _, err := tx.ExecContext(ctx, `ALTER SCHEMA `+quoteIdent(staged)+` RENAME TO `+quoteIdent(cur)); err != nil {
			return fmt.Errorf("renaming schema %s to %s: %w", staged, cur, err)
		}
		return nil
	})
}

// DropStagedSchema removes a schema StageSchema made, after a failed
// restore. It refuses the current schema of url.
func DropStagedSchema(ctx context.Context, url, staged string) error {
	const op = "store.DropStagedSchema"
	if err := CheckTableName(staged); err != nil {
		return err
	}
	s, err := OpenExisting(ctx, url)
	if err != nil {
		return err
	}
	defer s.Close()
	if cur, err := s.CurrentSchema(ctx); err != nil || cur == staged {
		return errs.Errorf(op, errs.Invalid, "will not drop the current schema %s (%v)", staged, err)
	}
	_, err = s.db.ExecContext(ctx, `DROP SCHEMA `+quoteIdent(staged)+` CASCADE`)
	return s.classify(op, err)
}
