package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/auth/authtest"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

var ctx = context.Background()

func engines(t *testing.T) []string {
	var out []string
	for name := range authtest.Engines(t) {
		out = append(out, name)
	}
	return out
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	k, err := audit.LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// Two case IDs the entries alternate between.
var cases = [2]string{"0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a60", "0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a61"}

// fill appends n entries alternating between two cases.
func fill(t *testing.T, l *audit.Log, n int) {
	t.Helper()
	for i := range n {
		_, err := l.Append(ctx, audit.Record{Agency: "ag", Actor: "u1", Action: "case.view", ObjectType: "case",
			ObjectID: cases[i%2], CaseID: cases[i%2], Details: map[string]any{"i": i, "note": "ü\x00$:"}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func verify(t *testing.T, st *store.Store, keys ...ed25519.PublicKey) audit.Report {
	t.Helper()
	rep, err := audit.Verify(ctx, st, keys...)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestAppendVerifyListExport(t *testing.T) {
	for _, engine := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			st, _ := authtest.OpenRaw(t, engine)
			key := newKey(t)
			l := audit.New(st, key, audit.WithCheckpointEvery(10))
			if rep := verify(t, st, pub(key)); rep.Problem != nil || rep.Entries != 0 {
				t.Fatalf("empty log: %+v", rep)
			}
			fill(t, l, 25)
			rep := verify(t, st, pub(key))
			if rep.Problem != nil || rep.Entries != 25 || rep.LastSeq != 25 || rep.Checkpoints != 2 || rep.Unsigned != 5 {
				t.Fatalf("report %+v, want 25 entries, 2 checkpoints, 5 unsigned", rep)
			}
			if seq, err := l.Checkpoint(ctx); err != nil || seq != 25 {
				t.Fatalf("Checkpoint = %d, %v", seq, err)
			}
			if rep := verify(t, st, pub(key)); rep.Unsigned != 0 || rep.Checkpoints != 3 {
				t.Errorf("after Checkpoint: %+v", rep)
			}
			// A checkpoint by another key is refused when the node key is given.
			if rep := verify(t, st, pub(newKey(t))); rep.Problem == nil || rep.Problem.Kind != audit.Checkpoint {
				t.Errorf("checkpoints verified against a foreign trusted key: %+v", rep)
			}
			es, err := l.List(ctx, audit.Filter{Case: domain.CaseID(cases[1])}, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != 12 || es[0].Seq != 2 || es[0].CaseID != cases[1] {
				t.Errorf("List per case: %d entries from %d", len(es), es[0].Seq)
			}
			var buf bytes.Buffer
			n, err := l.Export(ctx, &buf, audit.Filter{})
			if err != nil || n != 25 {
				t.Fatalf("Export = %d, %v", n, err)
			}
			// The export alone lets anyone recompute the chain.
			sc := bufio.NewScanner(&buf)
			prev := strings.Repeat("0", 64)
			for sc.Scan() {
				var j audit.JSONEntry
				if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
					t.Fatal(err)
				}
				e := audit.Entry{Seq: j.Seq, At: j.At, Agency: j.Agency, Actor: j.Actor, Action: j.Action, ObjectType: j.ObjectType,
					ObjectID: j.ObjectID, CaseID: j.CaseID, Details: string(j.Details), PrevHash: j.PrevHash, Hash: j.Hash}
				if j.PrevHash != prev || audit.Hash(e) != j.Hash {
					t.Fatalf("exported line %d does not verify", j.Seq)
				}
				prev = j.Hash
			}
		})
	}
}

// The append-only triggers refuse UPDATE and DELETE outright.
func TestTriggers(t *testing.T) {
	for _, engine := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			st, raw := authtest.OpenRaw(t, engine)
			fill(t, audit.New(st, nil), 3)
			if _, err := raw.Exec(`UPDATE audit_log SET action = 'x' WHERE seq = 2`); err == nil {
				t.Error("UPDATE of audit_log succeeded")
			}
			if _, err := raw.Exec(`DELETE FROM audit_log WHERE seq = 2`); err == nil {
				t.Error("DELETE from audit_log succeeded")
			}
		})
	}
}

func dropTriggers(t *testing.T, raw *sql.DB) {
	t.Helper()
	for _, q := range []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`} {
		if _, err := raw.Exec(q); err != nil {
			if _, err2 := raw.Exec(q + ` ON audit_log`); err2 != nil {
				t.Fatalf("%s: %v / %v", q, err, err2)
			}
		}
	}
}

func TestTamper(t *testing.T) {
	type tamper struct {
		name string
		do   func(t *testing.T, raw *sql.DB, st *store.Store)
		kind audit.ProblemKind
		seq  int64
	}
	exec := func(t *testing.T, raw *sql.DB, q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	row := func(t *testing.T, st *store.Store, seq int64) audit.Entry {
		t.Helper()
		es, err := st.AuditRows(ctx, store.AuditFilter{AfterSeq: seq - 1, Limit: 1})
		if err != nil || len(es) != 1 {
			t.Fatalf("row %d: %v", seq, err)
		}
		return es[0]
	}
	insert := func(t *testing.T, raw *sql.DB, e audit.Entry) {
		exec(t, raw, `INSERT INTO audit_log (seq, at, agency_id, actor, action, object_type, object_id, case_id, details, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, e.Seq, e.At, e.Agency, e.Actor, e.Action, e.ObjectType,
			e.ObjectID, e.CaseID, e.Details, e.PrevHash, e.Hash)
	}
	// shift renumbers entries ≥ from by d (two steps, so the primary key never collides).
	shift := func(t *testing.T, raw *sql.DB, from, d int64) {
		exec(t, raw, `UPDATE audit_log SET seq = -seq WHERE seq >= $1`, from)
		exec(t, raw, `UPDATE audit_log SET seq = -seq + $1 WHERE seq < 0`, d)
	}
	tests := []tamper{
		{"change a field", func(t *testing.T, raw *sql.DB, _ *store.Store) {
			exec(t, raw, `UPDATE audit_log SET actor = 'someone-else' WHERE seq = 14`)
		}, audit.Changed, 14},
		{"change details", func(t *testing.T, raw *sql.DB, _ *store.Store) {
			exec(t, raw, `UPDATE audit_log SET details = '{"i":6}' WHERE seq = 7`)
		}, audit.Changed, 7},
		{"change the time", func(t *testing.T, raw *sql.DB, st *store.Store) {
			exec(t, raw, `UPDATE audit_log SET at = $1 WHERE seq = 3`, row(t, st, 3).At.Add(time.Second))
		}, audit.Changed, 3},
		{"delete a row", func(t *testing.T, raw *sql.DB, _ *store.Store) {
			exec(t, raw, `DELETE FROM audit_log WHERE seq = 9`)
		}, audit.Deleted, 9},
		{"delete a row and renumber", func(t *testing.T, raw *sql.DB, _ *store.Store) {
			exec(t, raw, `DELETE FROM audit_log WHERE seq = 9`)
			shift(t, raw, 10, -1)
		}, audit.Deleted, 9},
		{"delete the newest rows", func(t *testing.T, raw *sql.DB, _ *store.Store) {
			exec(t, raw, `DELETE FROM audit_log WHERE seq > 18`)
		}, audit.Deleted, 19},
		{"insert a row and renumber", func(t *testing.T, raw *sql.DB, st *store.Store) {
			prev := row(t, st, 11)
			shift(t, raw, 12, +1)
			e := audit.Entry{Seq: 12, At: prev.At, Action: "case.view", Details: "{}", PrevHash: prev.Hash}
			e.Hash = audit.Hash(e) // a forger who knows the algorithm
			insert(t, raw, e)
		}, audit.Inserted, 12},
		{"append a forged row", func(t *testing.T, raw *sql.DB, st *store.Store) {
			prev := row(t, st, 20)
			insert(t, raw, audit.Entry{Seq: 21, At: prev.At, Action: "case.view", Details: "{}", PrevHash: prev.Hash, Hash: strings.Repeat("ab", 32)})
		}, audit.Changed, 21},
		{"rewrite an entry with a new hash", func(t *testing.T, raw *sql.DB, st *store.Store) {
			e := row(t, st, 15)
			e.Actor = "intruder"
			exec(t, raw, `UPDATE audit_log SET actor = $1, hash = $2 WHERE seq = 15`, e.Actor, audit.Hash(e))
		}, audit.Changed, 15},
		{"rewrite the whole chain after an edit", func(t *testing.T, raw *sql.DB, st *store.Store) {
			prev := row(t, st, 4).Hash
			for seq := int64(5); seq <= 20; seq++ {
				e := row(t, st, seq)
				if seq == 5 {
					e.Actor = "intruder"
				}
				e.PrevHash = prev
				e.Hash = audit.Hash(e)
				exec(t, raw, `UPDATE audit_log SET actor = $1, prev_hash = $2, hash = $3 WHERE seq = $4`, e.Actor, e.PrevHash, e.Hash, seq)
				prev = e.Hash
			}
		}, audit.Checkpoint, 10},
		{"forge a checkpoint signature", func(t *testing.T, raw *sql.DB, _ *store.Store) {
			exec(t, raw, `UPDATE audit_checkpoints SET signature = $1 WHERE seq = 10`, strings.Repeat("00", 64))
		}, audit.Checkpoint, 10},
	}
	for _, engine := range engines(t) {
		for _, tt := range tests {
			t.Run(engine+"/"+tt.name, func(t *testing.T) {
				st, raw := authtest.OpenRaw(t, engine)
				key := newKey(t)
				fill(t, audit.New(st, key, audit.WithCheckpointEvery(10)), 20)
				if rep := verify(t, st, pub(key)); rep.Problem != nil {
					t.Fatalf("intact log: %v", rep.Problem)
				}
				dropTriggers(t, raw)
				tt.do(t, raw, st)
				rep := verify(t, st, pub(key))
				if rep.Problem == nil {
					t.Fatalf("tampering not detected: %+v", rep)
				}
				if rep.Problem.Kind != tt.kind || rep.Problem.Seq != tt.seq {
					t.Errorf("Verify: %s at %d (%s), want %s at %d", rep.Problem.Kind, rep.Problem.Seq, rep.Problem.Message, tt.kind, tt.seq)
				}
			})
		}
	}
}

func TestConcurrentAppenders(t *testing.T) {
	for _, engine := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			st, _ := authtest.OpenRaw(t, engine)
			key := newKey(t)
			// Two Logs over one store behave like two processes.
			logs := []*audit.Log{audit.New(st, key, audit.WithCheckpointEvery(7)), audit.New(st, key, audit.WithCheckpointEvery(7))}
			const workers, each = 8, 15
			var wg sync.WaitGroup
			errc := make(chan error, workers*each)
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						if _, err := logs[w%2].Append(ctx, audit.Record{Actor: fmt.Sprint("w", w), Action: "search", Details: map[string]int{"i": i}}); err != nil {
							errc <- err
						}
					}
				})
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Error(err)
			}
			rep := verify(t, st, pub(key))
			if rep.Problem != nil || rep.Entries != workers*each || rep.LastSeq != workers*each {
				t.Errorf("after concurrent appends: %+v %v", rep, rep.Problem)
			}
			if rep.Checkpoints != workers*each/7 {
				t.Errorf("%d checkpoints, want %d", rep.Checkpoints, workers*each/7)
			}
		})
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	k1, err := audit.LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := audit.LoadOrCreateKey(dir)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("key not reloaded: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, audit.KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, %v; want 0600", fi.Mode(), err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, audit.PublicKeyFile))
	if p, err := audit.ParsePublicKey(string(b)); err != nil || !p.Equal(pub(k1)) {
		t.Errorf("public key file: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "bad.key"), []byte("zz"), 0o600)
	if _, err := audit.LoadKey(filepath.Join(dir, "bad.key")); !errs.Is(errs.Invalid, err) {
		t.Errorf("malformed key: %v", err)
	}
}

func TestCustody(t *testing.T) {
	for _, engine := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			st, raw := authtest.OpenRaw(t, engine)
			key := newKey(t)
			l := audit.New(st, key)
			ag, _ := st.CreateAgency(ctx, domain.Agency{Code: "KZ", Name: "Lab"})
			u, _ := st.CreateUser(ctx, domain.User{AgencyID: ag.ID, Username: "tech", Roles: []domain.Role{domain.RoleTechnician}})
			c, _ := st.CreateCase(ctx, domain.Case{AgencyID: ag.ID, Number: "C-1"})
			ex, err := st.CreateExhibit(ctx, domain.Exhibit{AgencyID: ag.ID, CaseID: c.ID, Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			events := []store.CustodyEvent{
				{Kind: store.CustodyReceived, At: t0, By: u.ID, Place: "evidence room 2", Counterpart: "Officer Abenov", Notes: "sealed bag #123"},
				{Kind: store.CustodyScanned, At: t0.Add(time.Hour), By: u.ID, Place: "3D lab", ScanHashes: []string{strings.Repeat("ab", 32)},
					Warnings: []string{"md5checksum.hex does not match bindata/data.bin"}},
				{Kind: store.CustodyTransferred, At: t0.Add(2 * time.Hour), By: u.ID, Counterpart: "Central lab, Astana"},
			}
			for _, e := range events {
				e.Agency, e.Exhibit = ag.ID, ex.ID
				if _, err := l.AddCustody(ctx, string(u.ID), string(c.ID), e); err != nil {
					t.Fatal(err)
				}
			}
			got, err := st.CustodyEvents(ctx, ag.ID, ex.ID)
			if err != nil || len(got) != 3 {
				t.Fatalf("CustodyEvents = %d, %v", len(got), err)
			}
			if got[1].Kind != store.CustodyScanned || len(got[1].Warnings) != 1 || got[1].ScanHashes[0] != events[1].ScanHashes[0] || got[0].Counterpart != "Officer Abenov" {
				t.Errorf("custody round trip: %+v", got)
			}
			es, _ := l.List(ctx, audit.Filter{Case: c.ID}, 10)
			if len(es) != 3 || es[1].Action != "custody.scanned" || es[1].Seq != got[1].AuditSeq || !strings.Contains(es[1].Details, "md5checksum") {
				t.Errorf("custody audit entries: %+v", es)
			}
			// Bad input: unknown kind, transfer without counterpart, another agency's exhibit.
			other, _ := st.CreateAgency(ctx, domain.Agency{Code: "UZ", Name: "Other"})
			bad := []store.CustodyEvent{
				{Agency: ag.ID, Exhibit: ex.ID, Kind: "lost", At: t0},
				{Agency: ag.ID, Exhibit: ex.ID, Kind: store.CustodyTransferred, At: t0},
				{Agency: ag.ID, Exhibit: ex.ID, Kind: store.CustodyReceived},
				{Agency: other.ID, Exhibit: ex.ID, Kind: store.CustodyReceived, At: t0},
			}
			for i, e := range bad {
				if _, err := l.AddCustody(ctx, "", string(c.ID), e); err == nil {
					t.Errorf("bad custody event %d accepted", i)
				}
			}
			if _, err := st.CustodyEvents(ctx, other.ID, ex.ID); !errs.Is(errs.NotFound, err) {
				t.Errorf("another agency lists the custody chain: %v", err)
			}
			if rep := verify(t, st, pub(key)); rep.Problem != nil || rep.Entries != 3 {
				t.Errorf("audit after custody: %+v", rep)
			}
			if _, err := raw.Exec(`UPDATE custody_events SET notes = 'x'`); err == nil {
				t.Error("custody events can be updated")
			}
		})
	}
}

func TestAuthEvents(t *testing.T) {
	st := authtest.OpenSQLite(t)
	l := audit.New(st, nil)
	ag, _ := st.CreateAgency(ctx, domain.Agency{Code: "KZ", Name: "Lab"})
	u, _ := st.CreateUser(ctx, domain.User{AgencyID: ag.ID, Username: "aliya", Roles: []domain.Role{domain.RoleExaminer}})
	svc := auth.NewService(st, auth.Config{Params: auth.Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}, Record: l.RecordAuth})
	admin := auth.Actor{User: "0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6b", Agency: ag.ID}
	if err := svc.SetPassword(ctx, admin, ag.ID, u.ID, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	svc.Login(ctx, "aliya", "wrong password!", "10.1.2.3", "test")
	lg, err := svc.Login(ctx, "aliya", "a long enough password", "10.1.2.3", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Act(ctx, lg.Actor, "case.view", "case", cases[0], cases[0], nil); err != nil {
		t.Fatal(err)
	}
	es, _ := l.List(ctx, audit.Filter{Agency: ag.ID}, 10)
	var got []string
	for _, e := range es {
		got = append(got, e.Action+" "+e.Actor+" "+e.ObjectID)
		if strings.Contains(e.Details, "a long enough password") || strings.Contains(e.Details, lg.Token) {
			t.Errorf("entry %d holds a secret: %s", e.Seq, e.Details)
		}
	}
	want := []string{
		"auth.password_set " + string(admin.User) + " " + string(u.ID),
		"auth.login_failed " + string(u.ID) + " " + string(u.ID),
		"auth.login " + string(u.ID) + " " + string(u.ID),
		"case.view " + string(u.ID) + " " + cases[0],
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit entries:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
