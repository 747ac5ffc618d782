package backup_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/backup"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/blob/local"
	"github.com/tracemark/tracemark/internal/blob/s3"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// Services for the PostgreSQL and S3 variants; .ci/services/*.sh print them.
const (
	envPostgres = "TRACEMARK_TEST_POSTGRES"
	envS3       = "TRACEMARK_TEST_S3"
)

func serviceURL(t *testing.T, env string) string {
	t.Helper()
	u := os.Getenv(env)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the backup round trip against it (.ci/services/)", env)
		}
		t.Skipf("%s is not set; start the service with .ci/services/ to run this variant", env)
	}
	return u
}

func randomName(prefix string) string {
	var b [6]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// postgresSchemaURL makes a fresh schema, dropped at the end, and returns
// the URL that works in it.
func postgresSchemaURL(t *testing.T) string {
	t.Helper()
	base := serviceURL(t, envPostgres)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := randomName("backup_")
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
	return u.String()
}

// s3PrefixURL returns the S3 URL of a fresh prefix, emptied at the end.
func s3PrefixURL(t *testing.T) string {
	t.Helper()
	u := strings.TrimSuffix(serviceURL(t, envS3), "/") + "/" + randomName("backup-")
	t.Cleanup(func() {
		s, err := openBlobs(context.Background(), u)
		if err != nil {
			return
		}
		rm, ok := s.(blob.Remover)
		for ok {
			page, err := s.Enumerate(context.Background(), blob.Ref{}, 1000)
			if err != nil || len(page) == 0 {
				return
			}
			for _, sr := range page {
				rm.Remove(context.Background(), sr.Ref)
			}
		}
	})
	return u
}

// variant is one combination of database and blob back ends.
type variant struct {
	name string
	// db returns the source and target database URLs ("" : SQLite in the data folder).
	db func(t *testing.T) (src, dst string)
	// blobs returns the source and target blob URLs ("" : the data folder's).
	blobs func(t *testing.T) (src, dst string)
}

func none(*testing.T) (string, string) { return "", "" }

var variants = []variant{
	{name: "sqlite+local", db: none, blobs: none},
	{name: "postgres+local", db: func(t *testing.T) (string, string) { return postgresSchemaURL(t), postgresSchemaURL(t) }, blobs: none},
	{name: "sqlite+s3", db: none, blobs: func(t *testing.T) (string, string) { return s3PrefixURL(t), s3PrefixURL(t) }},
}

// node is a source node for the tests: store, blobs, audit log, data folder.
type node struct {
	dir    string
	dbURL  string
	st     *store.Store
	blobs  blob.Storage
	key    ed25519.PrivateKey
	log    *audit.Log
	agency domain.Agency
	user   domain.User
}

func newNode(t testing.TB, dbURL, blobsURL string) *node {
	t.Helper()
	ctx := context.Background()
	n := &node{dir: filepath.Join(t.TempDir(), "data"), dbURL: dbURL}
	if n.dbURL == "" {
		n.dbURL = filepath.Join(n.dir, "tracemark.db")
	}
	if blobsURL == "" {
		blobsURL = filepath.Join(n.dir, "blobs")
	}
	var err error
	if n.st, err = store.Open(ctx, n.dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.st.Close() })
	if n.blobs, err = openBlobs(ctx, blobsURL); err != nil {
		t.Fatal(err)
	}
	key, err := audit.LoadOrCreateKey(n.dir)
	if err != nil {
		t.Fatal(err)
	}
	n.key = key
	n.log = audit.New(n.st, key, audit.WithCheckpointEvery(7))
	if n.agency, err = n.st.CreateAgency(ctx, domain.Agency{Code: "BKP", Name: "Backup lab"}); err != nil {
		t.Fatal(err)
	}
	if n.user, err = n.st.CreateUser(ctx, domain.User{AgencyID: n.agency.ID, Username: "writer", Roles: domain.Roles}); err != nil {
		t.Fatal(err)
	}
	// A file in a subfolder, like the TLS certificate: it must come back.
	if err := os.MkdirAll(filepath.Join(n.dir, "tls"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(n.dir, "tls", "self-signed-key.pem"), []byte("not a real key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return n
}

// item is one case with its exhibit, scan (three blobs) and audit entry.
type item struct {
	c    domain.CaseID
	e    domain.ExhibitID
	scan domain.Scan
	seq  int64
}

// write stores one item; i makes the case number unique.
func (n *node) write(ctx context.Context, i string) (item, error) {
	c, err := n.st.CreateCase(ctx, domain.Case{AgencyID: n.agency.ID, Number: "W-" + i, Status: domain.CaseOpen, CreatedBy: n.user.ID})
	if err != nil {
		return item{}, err
	}
	e, err := n.st.CreateExhibit(ctx, domain.Exhibit{AgencyID: n.agency.ID, CaseID: c.ID, Label: "E1", Kind: domain.KindCartridgeCase,
		Role: domain.RoleCrimeScene, CreatedBy: n.user.ID})
	if err != nil {
		return item{}, err
	}
	var refs [3]blob.Ref
	var size int64
	for k := range refs {
		content := make([]byte, 512+k*1024)
		rand.Read(content)
		if refs[k], size, err = n.blobs.Receive(ctx, bytes.NewReader(content), 1<<20); err != nil {
			return item{}, err
		}
	}
	sc, _, err := n.st.PutScan(ctx, domain.Scan{AgencyID: n.agency.ID, ExhibitID: e.ID, Original: refs[0], Size: size, Format: domain.FormatX3P,
		Preprocessed: refs[1], Features: refs[2], CreatedBy: n.user.ID})
	if err != nil {
		return item{}, err
	}
	entry, err := n.log.Append(ctx, audit.Record{Agency: string(n.agency.ID), Actor: string(n.user.ID), Action: "scan.create",
		ObjectType: "scan", ObjectID: string(sc.ID), CaseID: string(c.ID), Details: map[string]string{"original": refs[0].String()}})
	if err != nil {
		return item{}, err
	}
	return item{c: c.ID, e: e.ID, scan: sc, seq: entry.Seq}, nil
}

// TestRoundTripWhileWriting backs a node up while goroutines keep writing
// cases, exhibits, scans with blobs and audit entries, restores it into a
// new folder (and database), and checks that everything written before
// the backup started is there, nothing started after it ended is, every
// blob is present and intact, the audit chain verifies and the restored
// node starts.
func TestRoundTripWhileWriting(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			srcDB, dstDB := v.db(t)
			srcBlobs, dstBlobs := v.blobs(t)
			roundTrip(t, srcDB, dstDB, srcBlobs, dstBlobs)
		})
	}
}

func roundTrip(t *testing.T, srcDB, dstDB, srcBlobs, dstBlobs string) {
	ctx := context.Background()
	n := newNode(t, srcDB, srcBlobs)

	var (
		started, finished atomic.Bool
		mu                sync.Mutex
		before, after     []item
		written           atomic.Int64
		writeErr          = make(chan error, 4)
		stop              = make(chan struct{})
		wg                sync.WaitGroup
	)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				startedAfterEnd := finished.Load()
				it, err := n.write(ctx, fmt.Sprintf("%d-%d", w, i))
				if err != nil {
					writeErr <- err
					return
				}
				committedBeforeStart := !started.Load()
				mu.Lock()
				switch {
				case committedBeforeStart:
					before = append(before, it)
				case startedAfterEnd:
					after = append(after, it)
				}
				mu.Unlock()
				written.Add(1)
			}
		}()
	}
	waitFor := func(k int64) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Minute); written.Load() < k; time.Sleep(5 * time.Millisecond) {
			select {
			case err := <-writeErr:
				t.Fatalf("writer: %v", err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("writers stored only %d items in 2 minutes", written.Load())
			}
		}
	}
	waitFor(15)

	archive := filepath.Join(t.TempDir(), "backup.tar.zst")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	// The backup has its own connections, as `tracemark backup` run
	// beside `tracemark serve` has.
	src, err := store.OpenExisting(ctx, n.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	started.Store(true)
	m, err := backup.Create(ctx, f, backup.Node{Store: src, Blobs: n.blobs, DataDir: n.dir, SigningKey: n.key},
		backup.Options{Compression: backup.Zstd, Version: "test", Hostname: "source", Log: quietLog()})
	finished.Store(true)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(written.Load() + 6) // some writes start after the backup ended
	close(stop)
	wg.Wait()
	select {
	case err := <-writeErr:
		t.Fatalf("writer: %v", err)
	default:
	}
	if len(before) == 0 || len(after) == 0 {
		t.Fatalf("want writes both before and after the backup, have %d and %d", len(before), len(after))
	}
	if len(m.MissingBlobs) != 0 {
		t.Errorf("missing blobs at backup time: %v", m.MissingBlobs)
	}

	// Restore into a new folder (and database, and blob store).
	newDir := filepath.Join(t.TempDir(), "restored")
	target := backup.Target{DataDir: newDir, DBURL: dstDB}
	if dstBlobs != "" {
		if target.Blobs, err = openBlobs(ctx, dstBlobs); err != nil {
			t.Fatal(err)
		}
	}
	res, err := backup.Restore(ctx, archive, target, backup.RestoreOptions{Log: quietLog()})
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !res.Signed {
		t.Error("the manifest of a backup taken with the signing key is not signed")
	}
	if res.Audit.Problem != nil || !res.AuditHeadMatches {
		t.Fatalf("restored audit log: %+v, head matches %v", res.Audit.Problem, res.AuditHeadMatches)
	}
	if res.Audit.Unsigned != 0 {
		t.Errorf("%d audit entries after the newest checkpoint: backup should sign one first", res.Audit.Unsigned)
	}
	for _, k := range []string{audit.KeyFile, audit.PublicKeyFile, "tls/self-signed-key.pem"} {
		if _, err := os.Stat(filepath.Join(newDir, filepath.FromSlash(k))); err != nil {
			t.Errorf("key file %s not restored: %v", k, err)
		}
	}

	dbURL := dstDB
	if dbURL == "" {
		dbURL = filepath.Join(newDir, "tracemark.db")
	}
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("opening the restored database: %v", err)
	}
	defer st.Close()
	blobs := target.Blobs
	if blobs == nil {
		if blobs, err = openBlobs(ctx, filepath.Join(newDir, "blobs")); err != nil {
			t.Fatal(err)
		}
	}
	ag := n.agency.ID
	for _, it := range before {
		if _, err := st.Case(ctx, ag, it.c); err != nil {
			t.Errorf("case %s written before the backup: %v", it.c, err)
		}
		if _, err := st.Exhibit(ctx, ag, it.e); err != nil {
			t.Errorf("exhibit %s written before the backup: %v", it.e, err)
		}
		sc, err := st.Scan(ctx, ag, it.scan.ID)
		if err != nil {
			t.Errorf("scan %s written before the backup: %v", it.scan.ID, err)
			continue
		}
		if sc.Original != it.scan.Original || sc.Features != it.scan.Features {
			t.Errorf("scan %s restored with other blob refs", sc.ID)
		}
	}
	if last, err := st.LastAudit(ctx); err != nil || last.Seq < before[len(before)-1].seq {
		t.Errorf("restored audit log ends at %d (%v); entries up to %d were written before the backup", last.Seq, err, before[len(before)-1].seq)
	}
	for _, it := range after {
		if _, err := st.Case(ctx, ag, it.c); !errs.Is(errs.NotFound, err) {
			t.Errorf("case %s written after the backup ended is in the restore (%v)", it.c, err)
		}
	}
	// Every scan in the restored database has all its blobs, intact.
	scans := 0
	for cursor := ""; ; {
		cases, next, err := st.ListCases(ctx, store.CaseFilter{Agency: ag}, store.Page{Limit: store.MaxLimit, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			exs, _, err := st.ListExhibits(ctx, ag, c.ID, store.Page{})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range exs {
				scs, _, err := st.ListScans(ctx, ag, e.ID, store.Page{})
				if err != nil {
					t.Fatal(err)
				}
				for _, sc := range scs {
					scans++
					for _, ref := range []blob.Ref{sc.Original, sc.Preprocessed, sc.Features} {
						if _, err := blob.ReadAll(ctx, blobs, ref); err != nil {
							t.Errorf("scan %s: blob %s: %v", sc.ID, ref, err)
						}
					}
				}
			}
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if scans < len(before) {
		t.Errorf("restored %d scans, %d were written before the backup", scans, len(before))
	}
	t.Logf("%d items before, %d during, %d after the backup; restored %d scans, %d blobs, audit %d entries (%d checkpoints)",
		len(before), int(written.Load())-len(before)-len(after), len(after), scans, res.Blobs, res.Audit.Entries, res.Audit.Checkpoints)

	// The restored node starts: its search corpus (every scan with
	// features, read from the blobs) loads.
	entries, err := st.SearchEntries(ctx, "", store.MaxLimit)
	if err != nil || len(entries) != scans {
		t.Errorf("restored search entries: %d, %v; want %d", len(entries), err, scans)
	}
}

// openBlobs opens S3 for http(s):// URLs, else a local folder (as the
// node does; package server is not imported so that these tests build
// on their own).
func openBlobs(ctx context.Context, u string) (blob.Storage, error) {
	if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
		cfg, err := s3.ParseURL(u)
		if err != nil {
			return nil, err
		}
		return s3.New(ctx, cfg)
	}
	return local.New(u)
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
