package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/search"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
)

// TestCorrelatorRederivesStaleFeatures: a stored cartridge scan and a
// bullet land whose feature blobs are of an older format version stay in
// the search corpus, their features recomputed from the processed
// surfaces (before: left out with a warning).
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
	fresh := func() (*server.Correlator, string) {
		var logs bytes.Buffer
		c, err := server.NewCorrelator(n.Store, n.Blobs, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Load(ctx); err != nil {
			t.Fatal(err)
		}
		return c, logs.String()
	}
	before, _ := fresh()
	staled := map[search.Kind][]byte{}
	for _, e := range entries {
		b, err := blob.ReadAll(ctx, n.Blobs, e.Features)
		if err != nil {
			t.Fatal(err)
		}
		kind := search.Kind(b[5])
		if staled[kind] != nil {
			continue
		}
		staled[kind] = b
		old := bytes.Clone(b)
		old[4]-- // the previous format version
		ref, _, err := n.Blobs.Receive(ctx, bytes.NewReader(old), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Store.SetScanDerived(ctx, e.Agency, e.Scan, blob.Ref{}, ref); err != nil {
			t.Fatal(err)
		}
	}
	if staled[search.KindCartridge] == nil || staled[search.KindBullet] == nil {
		t.Fatalf("demo has no cartridge or no bullet scan with features (%d entries)", len(entries))
	}
	after, logs := fresh()
	if after.Len() != before.Len() || after.Len() == 0 {
		t.Errorf("corpus of %d entries with stale blobs, %d before", after.Len(), before.Len())
	}
	if got := strings.Count(logs, "recomputed"); got != 2 {
		t.Errorf("%d recomputations logged, want 2:\n%s", got, logs)
	}
	if strings.Contains(logs, "left out") {
		t.Errorf("a scan was left out:\n%s", logs)
	}
}
