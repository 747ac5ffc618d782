package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/search"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
)

// TestCorrelatorRederivesStaleFeatures: a stored cartridge scan and a
// bullet land whose feature blobs are of an older format version stay in
// the search corpus, their features recomputed from the processed
// surfaces (before: left out with a warning). Without a feature writer,
// or when storing fails, they are recomputed at every load; with one
// (as server.Open wires it) they are stored once, the scan's record points
// at the new blob and the next load (and Reload) reads it.
func TestCorrelatorRederivesStaleFeatures(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a small demo")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	n, err := server.Open(ctx, quietConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if _, err := n.LoadDemo(ctx, server.DemoConfig{Firearms: 1, Shots: 2, Barrels: 1, Bullets: 1}); err != nil {
		t.Fatal(err)
	}
	entries, err := n.Store.SearchEntries(ctx, "", store.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	load := func(opts ...server.CorrelatorOption) (*server.Correlator, string) {
		t.Helper()
		var logs bytes.Buffer
		c, err := server.NewCorrelator(n.Store, n.Blobs, slog.New(slog.NewTextHandler(&logs, nil)), opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(logs.String(), "left out") {
			t.Errorf("a scan was left out:\n%s", &logs)
		}
		return c, logs.String()
	}
	features := func(e store.SearchEntry) blob.Ref {
		t.Helper()
		sc, err := n.Store.Scan(ctx, e.Agency, e.Scan)
		if err != nil {
			t.Fatal(err)
		}
		return sc.Features
	}
	// makeStale stores e's feature blob with the previous format version
	// and points the scan at it.
	makeStale := func(e store.SearchEntry) blob.Ref {
		t.Helper()
		b, err := blob.ReadAll(ctx, n.Blobs, features(e))
		if err != nil {
			t.Fatal(err)
		}
		old := bytes.Clone(b)
		old[4] = 1 // the first format version, older than any this build reads
		if err := new(search.Features).UnmarshalBinary(old); !errors.Is(err, search.ErrStaleFormat) {
			t.Fatalf("the made-up old blob does not read as stale: %v", err)
		}
		ref, _, err := n.Blobs.Receive(ctx, bytes.NewReader(old), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Store.SetScanDerived(ctx, e.Agency, e.Scan, blob.Ref{}, ref); err != nil {
			t.Fatal(err)
		}
		return ref
	}

	before, _ := load()
	stale := map[domain.ScanID]blob.Ref{} // one cartridge scan and one bullet land
	var staled []store.SearchEntry
	kinds := map[search.Kind]bool{}
	for _, e := range entries {
		f := new(search.Features)
		b, err := blob.ReadAll(ctx, n.Blobs, e.Features)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if kinds[f.Kind] {
			continue
		}
		kinds[f.Kind] = true
		stale[e.Scan] = makeStale(e)
		staled = append(staled, e)
	}
	if !kinds[search.KindCartridge] || !kinds[search.KindBullet] {
		t.Fatalf("demo has no cartridge or no bullet scan with features (%d entries)", len(entries))
	}

	// No writer: recomputed in memory, the records keep the stale blobs.
	mem, logs := load()
	if mem.Len() != before.Len() || mem.Len() == 0 {
		t.Errorf("corpus of %d entries with stale blobs, %d before", mem.Len(), before.Len())
	}
	if got := strings.Count(logs, "recomputed"); got != 2 {
		t.Errorf("%d recomputations logged without a writer, want 2:\n%s", got, logs)
	}
	for _, e := range staled {
		if got := features(e); got != stale[e.Scan] {
			t.Errorf("scan %s: features %s changed without a writer", e.Scan, got)
		}
	}

	// A writer that fails: the same, with a warning, and the load goes on.
	failing, logs := load(server.WithFeatureWriter(failingReceiver{}))
	if failing.Len() != before.Len() {
		t.Errorf("corpus of %d entries when storing fails, %d before", failing.Len(), before.Len())
	}
	if got := strings.Count(logs, "level=WARN msg=\"search corpus: features of an older format recomputed from the processed surface but not stored"); got != 2 {
		t.Errorf("%d warnings of features not stored, want 2:\n%s", got, logs)
	}
	for _, e := range staled {
		if got := features(e); got != stale[e.Scan] {
			t.Errorf("scan %s: features %s changed although storing failed", e.Scan, got)
		}
	}

	// A writer: recomputed once and stored; the record points at a blob of
	// the current format.
	stored, logs := load(server.WithFeatureWriter(n.Blobs))
	if stored.Len() != before.Len() {
		t.Errorf("corpus of %d entries when storing, %d before", stored.Len(), before.Len())
	}
	if got := strings.Count(logs, "recomputed from the processed surface and stored"); got != 2 {
		t.Errorf("%d recomputations stored, want 2:\n%s", got, logs)
	}
	for _, e := range staled {
		ref := features(e)
		if ref == stale[e.Scan] {
			t.Errorf("scan %s still points at its stale features %s", e.Scan, ref)
			continue
		}
		b, err := blob.ReadAll(ctx, n.Blobs, ref)
		if err != nil {
			t.Fatal(err)
		}
		if err := new(search.Features).UnmarshalBinary(b); err != nil {
			t.Errorf("scan %s: the stored recomputed features do not decode: %v", e.Scan, err)
		}
		if _, _, err := n.Blobs.Fetch(ctx, stale[e.Scan]); err != nil {
			t.Errorf("scan %s: the stale blob was deleted: %v", e.Scan, err)
		}
	}
	again, logs := load(server.WithFeatureWriter(n.Blobs))
	if again.Len() != before.Len() {
		t.Errorf("corpus of %d entries on the next load, %d before", again.Len(), before.Len())
	}
	if strings.Contains(logs, "recomputed") {
		t.Errorf("the next load recomputed features again:\n%s", logs)
	}

	// The node's correlator (wired with its blob store) keeps the writer
	// through Reload.
	e := staled[0]
	old := makeStale(e)
	if err := n.Corr.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := features(e); got == old {
		t.Errorf("after Reload scan %s still points at its stale features", e.Scan)
	}
}

// failingReceiver refuses to store anything.
type failingReceiver struct{}

func (failingReceiver) Receive(context.Context, io.Reader, int64) (blob.Ref, int64, error) {
	return blob.Ref{}, 0, errors.New("blob store unavailable")
}
