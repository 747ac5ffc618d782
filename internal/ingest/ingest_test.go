package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/blob/local"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/synth"
	"github.com/tracemark/tracemark/internal/x3p"
)

type env struct {
	st      *store.Store
	blobs   *local.Storage
	in      *ingest.Ingester
	agency  domain.AgencyID
	user    domain.UserID
	exhibit domain.Exhibit
}

type recorder struct {
	mu   sync.Mutex
	jobs map[string]int // dedupID → enqueues
}

func (r *recorder) Enqueue(_ context.Context, kind string, payload []byte, dedupID string) error {
	if _, err := ingest.DecodeJob(payload); err != nil || kind != ingest.JobKind {
		return fmt.Errorf("bad job %s %s: %v", kind, payload, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jobs[dedupID]++
	return nil
}

// newEnv opens a real SQLite file and a real local blob folder.
func newEnv(t testing.TB, q ingest.Enqueuer) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bs, err := local.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	ag, err := st.CreateAgency(ctx, domain.Agency{Code: "LAB", Name: "Lab"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, domain.User{AgencyID: ag.ID, Username: "tech", Roles: []domain.Role{domain.RoleTechnician}})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := st.CreateCase(ctx, domain.Case{AgencyID: ag.ID, Number: "C-1"})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := st.CreateExhibit(ctx, domain.Exhibit{AgencyID: ag.ID, CaseID: cs.ID, Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, blobs: bs, in: &ingest.Ingester{Store: st, Blobs: bs, Queue: q}, agency: ag.ID, user: u.ID, exhibit: ex}
}

// synthFiles returns n distinct synthetic cartridge X3P files.
func synthFiles(t testing.TB, n int, seed uint64) [][]byte {
	t.Helper()
	var out [][]byte
	err := synth.EachCartridge(synth.CartridgeConfig{Firearms: n, Shots: 1, Seed: seed, SizePX: 256}, func(s synth.Scan) error {
		var buf bytes.Buffer
		if err := x3p.Write(&buf, x3p.New(s.Surface)); err != nil {
			return err
		}
		out = append(out, buf.Bytes())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *env) ingest(data []byte, name string) (*ingest.Result, error) {
	return e.in.Ingest(context.Background(), ingest.Request{Agency: e.agency, Actor: e.user, Exhibit: e.exhibit.ID,
		Name: name, Body: bytes.NewReader(data)})
}

// TestConcurrentIngest ingests 4 files 4 times each from 16 goroutines:
// 4 scans, 4 runs, each job queued once per run, every blob intact.
func TestConcurrentIngest(t *testing.T) {
	q := &recorder{jobs: map[string]int{}}
	e := newEnv(t, q)
	files := synthFiles(t, 4, 1)
	var wg sync.WaitGroup
	results := make([]*ingest.Result, 16)
	errors := make([]error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errors[i] = e.ingest(files[i%4], fmt.Sprintf("f%d.x3p", i%4))
		}()
	}
	wg.Wait()
	created := map[domain.ScanID]int{}
	for i, err := range errors {
		if err != nil {
			t.Fatalf("ingest %d: %v", i, err)
		}
		if results[i].Created {
			created[results[i].Scan.ID]++
		}
	}
	ctx := context.Background()
	scans, _, err := e.st.ListScans(ctx, e.agency, e.exhibit.ID, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(scans) != 4 || len(created) != 4 {
		t.Fatalf("%d scans stored, %d created, want 4 and 4", len(scans), len(created))
	}
	for _, sc := range scans {
		if n := created[sc.ID]; n != 1 {
			t.Errorf("scan %s reported created %d times", sc.ID, n)
		}
		runs, _, err := e.st.ListRuns(ctx, store.RunFilter{Agency: e.agency, QueryScan: sc.ID}, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 {
			t.Errorf("scan %s has %d runs, want 1", sc.ID, len(runs))
		}
		for _, ref := range []blob.Ref{sc.Original, sc.Preprocessed, sc.Features} {
			if _, err := blob.ReadAll(ctx, e.blobs, ref); err != nil {
				t.Errorf("scan %s blob %s: %v", sc.ID, ref, err)
			}
		}
	}
	if len(q.jobs) != 4 {
		t.Fatalf("jobs queued for %d scans, want 4", len(q.jobs))
	}
}

// TestRefusalsStoreNothing: bad files are refused with their reason and
// leave no blob and no record.
func TestRefusalsStoreNothing(t *testing.T) {
	e := newEnv(t, nil)
	good := synthFiles(t, 1, 2)[0]
	e.in.MaxFileBytes = int64(len(good)) - 1
	tests := []struct {
		name string
		data []byte
		kind errs.Kind
		want string
	}{
		{"empty", nil, errs.Invalid, "empty"},
		{"text", []byte("not a scan"), errs.Invalid, "neither an X3P"},
		{"truncated", good[:len(good)/3], errs.Invalid, "x3p"},
		{"too large", good, errs.TooLarge, "limit"},
	}
	for _, tc := range tests {
		_, err := e.ingest(tc.data, tc.name)
		if !errs.Is(tc.kind, err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want kind %v mentioning %q", tc.name, err, tc.kind, tc.want)
		}
	}
	refs, err := e.blobs.Enumerate(context.Background(), blob.Ref{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	scans, _, _ := e.st.ListScans(context.Background(), e.agency, e.exhibit.ID, store.Page{})
	if len(refs) != 0 || len(scans) != 0 {
		t.Fatalf("refusals left %d blobs and %d scans", len(refs), len(scans))
	}
}

// TestBatchResumes ingests a manifest with a missing file, then again: the
// second run stores nothing new and still reports the missing file.
func TestBatchResumes(t *testing.T) {
	e := newEnv(t, nil)
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("file,case_number,exhibit_label,kind,calibre\n")
	for i, f := range synthFiles(t, 3, 3) {
		name := fmt.Sprintf("s%d.x3p", i)
		if err := os.WriteFile(filepath.Join(dir, name), f, 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&csv, "%s,K-%d,E1,cartridge,9mm Luger\n", name, i)
	}
	csv.WriteString("missing.x3p,K-9,E1,cartridge,\n")
	rows, err := ingest.ParseManifest(strings.NewReader(csv.String()))
	if err != nil {
		t.Fatal(err)
	}
	b := &ingest.Batch{In: e.in, Agency: e.agency, Actor: e.user, BaseDir: dir}
	first := b.Run(context.Background(), rows)
	second := b.Run(context.Background(), rows)
	if first.Stored != 3 || first.Failed != 1 || second.Stored != 0 || second.Present != 3 || second.Failed != 1 {
		t.Fatalf("first %+v, second %+v", first, second)
	}
	if !strings.Contains(first.Errors[0].Err.Error(), "missing.x3p") {
		t.Fatalf("error %v does not name the file", first.Errors[0].Err)
	}
	cs, err := e.st.CaseByNumber(context.Background(), e.agency, "K-1")
	if err != nil {
		t.Fatal(err)
	}
	exs, _, _ := e.st.ListExhibits(context.Background(), e.agency, cs.ID, store.Page{})
	if len(exs) != 1 || exs[0].Class.Calibre != "9mm Luger" {
		t.Fatalf("case K-1 exhibits %+v", exs)
	}
}

func TestParseManifest(t *testing.T) {
	tests := []struct {
		name, in string
		rows     int
		err      string
	}{
		{"csv", "file,case_number,exhibit_label,kind,lands\na.x3p,1,E1,bullet-land,6\n", 1, ""},
		{"json", `[{"file":"a.png","case_number":"1","exhibit_label":"E1","kind":"image","um_per_pixel":2.5}]`, 1, ""},
		{"bom and blank line", "\ufefffile,case_number,exhibit_label,kind\na,1,E1,cartridge\n\n", 1, ""},
		{"unknown column", "file,case,exhibit_label,kind\n", 0, `column 2 "case" is unknown`},
		{"missing kind", "file,case_number,exhibit_label,kind\na,1,E1,\n", 0, "kind is required"},
		{"bad kind", "file,case_number,exhibit_label,kind\na,1,E1,shoe\n", 0, "shoe"},
		{"bad number", "file,case_number,exhibit_label,kind,lands\na,1,E1,cartridge,six\n", 0, "line 2, column lands"},
		{"bad time", "file,case_number,exhibit_label,kind,acquired_at\na,1,E1,cartridge,yesterday\n", 0, "RFC 3339"},
		{"json unknown field", `[{"file":"a","nope":1}]`, 0, "nope"},
		{"empty", "", 0, "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ingest.ParseManifest(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || len(rows) != tc.rows {
				t.Fatalf("%d rows, err %v", len(rows), err)
			}
		})
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte("file,case_number,exhibit_label,kind\na.x3p,1,E1,cartridge\n"))
	f.Add([]byte(`[{"file":"a","case_number":"1","exhibit_label":"E","kind":"image","um_per_pixel":1}]`))
	f.Add([]byte("file,lands\n\"a,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ingest.ParseManifest(bytes.NewReader(data))
		if err != nil {
			if !errs.Is(errs.Invalid, err) {
				t.Fatalf("error of kind %v: %v", errs.KindOf(err), err)
			}
			return
		}
		for _, r := range rows {
			if r.File == "" || r.CaseNumber == "" || r.ExhibitLabel == "" {
				t.Fatalf("accepted an incomplete row %+v", r)
			}
		}
	})
}

// BenchmarkIngest measures the ingest rate of new synthetic cartridge
// cases (256×256 points at 6.25 µm), correlation excluded.
func BenchmarkIngest(b *testing.B) {
	e := newEnv(b, nil)
	files := synthFiles(b, max(b.N, 1), 100)
	b.ResetTimer()
	for i := range b.N {
		if _, err := e.ingest(files[i], "bench.x3p"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scans/s")
}

// BenchmarkIngestParallel is BenchmarkIngest with four files in flight, as
// tracemark ingest and concurrent uploads run: the fsyncs of the database
// and the blob store overlap with the processing of other files.
func BenchmarkIngestParallel(b *testing.B) {
	e := newEnv(b, nil)
	files := synthFiles(b, max(b.N, 1), 200)
	next := make(chan []byte, len(files))
	for _, f := range files {
		next <- f
	}
	close(next)
	b.ResetTimer()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				if _, err := e.ingest(f, "bench.x3p"); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scans/s")
}

// TestImageIngest stores a calibrated PNG as it is: no derived data, no
// correlation run.
func TestImageIngest(t *testing.T) {
	q := &recorder{jobs: map[string]int{}}
	e := newEnv(t, q)
	var buf bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 40, 30))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	res, err := e.in.Ingest(context.Background(), ingest.Request{Agency: e.agency, Actor: e.user, Exhibit: e.exhibit.ID,
		Name: "photo.png", UMPerPixel: 1.5, Body: bytes.NewReader(buf.Bytes())})
	if err != nil {
		t.Fatal(err)
	}
	sc := res.Scan
	if !res.Created || sc.Format != domain.FormatPNG || sc.UMPerPixel != 1.5 || !sc.Features.IsZero() || res.Run != nil || len(q.jobs) != 0 {
		t.Fatalf("image ingest: %+v run %v jobs %v", sc, res.Run, q.jobs)
	}
	got, err := blob.ReadAll(context.Background(), e.blobs, sc.Original)
	if err != nil || !bytes.Equal(got, buf.Bytes()) {
		t.Fatalf("stored image differs from the upload (%v)", err)
	}
}
