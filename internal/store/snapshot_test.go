package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// snapshotFixture is what fillForSnapshot wrote.
type snapshotFixture struct {
	agency domain.AgencyID
	cas    domain.CaseID
	refs   []blob.Ref // every ref written: scan columns and audit details
}

func fillForSnapshot(t *testing.T, st *store.Store) snapshotFixture {
	t.Helper()
	ctx := context.Background()
	ag, err := st.CreateAgency(ctx, domain.Agency{Code: "SNAP", Name: "Snapshot lab"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.CreateCase(ctx, domain.Case{AgencyID: ag.ID, Number: "S-1", Status: domain.CaseOpen})
	if err != nil {
		t.Fatal(err)
	}
	e, err := st.CreateExhibit(ctx, domain.Exhibit{AgencyID: ag.ID, CaseID: c.ID, Label: "E1", Kind: domain.KindBullet, Role: domain.RoleCrimeScene})
	if err != nil {
		t.Fatal(err)
	}
	fx := snapshotFixture{agency: ag.ID, cas: c.ID}
	for _, s := range []string{"original", "preprocessed", "features", "only in the audit log"} {
		fx.refs = append(fx.refs, blob.RefOf([]byte(s)))
	}
	if _, _, err := st.PutScan(ctx, domain.Scan{AgencyID: ag.ID, ExhibitID: e.ID, Original: fx.refs[0], Size: 8, Format: domain.FormatX3P,
		Preprocessed: fx.refs[1], Features: fx.refs[2]}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendAudit(ctx, func(last store.AuditRow) (store.AuditRow, error) {
		return store.AuditRow{Seq: last.Seq + 1, At: last.At, Action: "scan.download", Details: `{"ref":"` + fx.refs[3].String() + `"}`,
			PrevHash: "0", Hash: "1"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(fx.refs, func(a, b blob.Ref) int {
		if a.Less(b) {
			return -1
		}
		return 1
	})
	return fx
}

func checkSnapshotInfo(t *testing.T, info store.SnapshotInfo, fx snapshotFixture, d store.Dialect) {
	t.Helper()
	latest, err := store.LatestSchemaVersion(d)
	if err != nil {
		t.Fatal(err)
	}
	if info.Dialect != d || info.SchemaVersion != latest {
		t.Errorf("snapshot dialect %s schema %d, want %s %d", info.Dialect, info.SchemaVersion, d, latest)
	}
	if !slices.Equal(info.Refs, fx.refs) {
		t.Errorf("snapshot refs %v, want %v", info.Refs, fx.refs)
	}
	if info.Audit.Seq != 1 || info.Audit.Action != "scan.download" {
		t.Errorf("snapshot audit head %+v, want entry 1", info.Audit)
	}
	rows := map[string]int64{}
	for _, tr := range info.Tables {
		rows[tr.Name] = tr.Rows
	}
	if rows["cases"] != 1 || rows["scans"] != 1 || rows["audit_log"] != 1 {
		t.Errorf("snapshot row counts %v, want one case, scan and audit entry", rows)
	}
	if _, ok := rows["goose_db_version"]; ok {
		t.Error("the snapshot lists goose's version table")
	}
}

func TestSnapshotSQLite(t *testing.T) {
	ctx := context.Background()
	st := openSQLite(t)
	fx := fillForSnapshot(t, st)
	dir := t.TempDir()
	info, err := st.Snapshot(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	checkSnapshotInfo(t, info, fx, store.SQLite)
	if _, err := st.Snapshot(ctx, dir); !errs.Is(errs.Conflict, err) {
		t.Errorf("second snapshot into the same folder = %v, want a Conflict", err)
	}
	// The snapshot file is a complete database on its own.
	snap, err := store.Open(ctx, filepath.Join(dir, store.SnapshotSQLiteFile))
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	if _, err := snap.Case(ctx, fx.agency, fx.cas); err != nil {
		t.Errorf("case in the snapshot: %v", err)
	}
}

func TestOpenExistingNeverCreates(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing.db")
	if _, err := store.OpenExisting(context.Background(), p); !errs.Is(errs.NotFound, err) {
		t.Errorf("OpenExisting of a missing file = %v, want NotFound", err)
	}
}

func TestCheckTableName(t *testing.T) {
	for name, ok := range map[string]bool{"cases": true, "audit_log": true, "t2": true, "": false, "Cases": false,
		"a-b": false, `x"; DROP TABLE y; --`: false, "../x": false, "2x": false} {
		if got := store.CheckTableName(name) == nil; got != ok {
			t.Errorf("CheckTableName(%q) ok=%v, want %v", name, got, ok)
		}
	}
}

// freshSchemaURL returns the URL of a new PostgreSQL schema, dropped at the end.
func freshSchemaURL(t *testing.T) string {
	t.Helper()
	base := postgresURL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	rand.Read(b[:])
	schema := "snap_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestSnapshotPostgres(t *testing.T) {
	ctx := context.Background()
	st := openPostgres(t)
	fx := fillForSnapshot(t, st)
	dir := t.TempDir()
	info, err := st.Snapshot(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	checkSnapshotInfo(t, info, fx, store.Postgres)

	target := freshSchemaURL(t)
	if err := store.LoadSnapshot(ctx, target, dir, info.SchemaVersion, info.Tables); err != nil {
		t.Fatalf("LoadSnapshot: %v", err)
	}
	loaded, err := store.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	c, err := loaded.Case(ctx, fx.agency, fx.cas)
	if err != nil || c.Number != "S-1" {
		t.Fatalf("loaded case: %+v, %v", c, err)
	}
	again, err := loaded.Snapshot(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Tables, info.Tables) || !slices.Equal(again.Refs, info.Refs) || again.Audit != info.Audit {
		t.Errorf("snapshot of the loaded database differs:\n%+v\nwant\n%+v", again, info)
	}
	// A database that holds tables is refused.
	if err := store.LoadSnapshot(ctx, target, dir, info.SchemaVersion, info.Tables); !errs.Is(errs.Conflict, err) {
		t.Errorf("LoadSnapshot into a non-empty schema = %v, want a Conflict", err)
	}
	// A row count that does not match the dump is refused, and nothing is kept.
	bad := slices.Clone(info.Tables)
	for i := range bad {
		if bad[i].Name == "cases" {
			bad[i].Rows++
		}
	}
	other := freshSchemaURL(t)
	if err := store.LoadSnapshot(ctx, other, dir, info.SchemaVersion, bad); !errs.Is(errs.Invalid, err) {
		t.Errorf("LoadSnapshot with a wrong row count = %v, want Invalid", err)
	}
}
