package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/search"
	"github.com/tracemark/tracemark/internal/synth"
	"github.com/tracemark/tracemark/internal/x3p"
)

// storeRandomCartridges stores n cartridge scans with random search
// features (randomFeatures; no surfaces, so they cannot be compared in
// full) in node, two scans per exhibit, as an ingest would record them.
func storeRandomCartridges(tb testing.TB, ctx context.Context, node *Node, n int, seed uint64) []domain.ScanID {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	cs, _, err := ingest.FindOrCreateCase(ctx, node.Store, domain.Case{AgencyID: node.Agency.ID, Number: fmt.Sprintf("memory-%d", seed)})
	if err != nil {
		tb.Fatal(err)
	}
	var ex domain.Exhibit
	scans := make([]domain.ScanID, 0, n)
	for i := range n {
		if i%2 == 0 {
			if ex, _, err = ingest.FindOrCreateExhibit(ctx, node.Store, domain.Exhibit{AgencyID: node.Agency.ID, CaseID: cs.ID,
				Label: fmt.Sprintf("E%d", i/2), Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene}); err != nil {
				tb.Fatal(err)
			}
		}
		data, err := randomFeatures(r).MarshalBinary()
		if err != nil {
			tb.Fatal(err)
		}
		feat, err := receive(ctx, node.Blobs, data)
		if err != nil {
			tb.Fatal(err)
		}
		orig, err := receive(ctx, node.Blobs, fmt.Appendf(nil, "original %d of %d", i, seed))
		if err != nil {
			tb.Fatal(err)
		}
		sc, _, err := node.Store.PutScan(ctx, domain.Scan{AgencyID: node.Agency.ID, ExhibitID: ex.ID, Original: orig, Format: domain.FormatX3P,
			OriginalName: fmt.Sprintf("scan-%d.x3p", i), Features: feat})
		if err != nil {
			tb.Fatal(err)
		}
		scans = append(scans, sc.ID)
	}
	return scans
}

func receive(ctx context.Context, b blob.Receiver, data []byte) (blob.Ref, error) {
	ref, _, err := b.Receive(ctx, bytes.NewReader(data), int64(len(data)))
	return ref, err
}

// correlatorHeap loads a Correlator of the node's corpus (opts) and
// returns the heap it retains per entry (HeapAlloc after a collection,
// after Load minus before) and the index's resident bytes per row
// (search.Index.ResidentBytes, spare capacity included; 0 without rows).
func correlatorHeap(tb testing.TB, ctx context.Context, node *Node, opts ...CorrelatorOption) (perEntry, indexPerRow float64) {
	tb.Helper()
	c, err := NewCorrelator(node.Store, node.Blobs, slog.New(slog.NewTextHandler(io.Discard, nil)), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := c.Load(ctx); err != nil {
		tb.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	n := c.Len()
	if n == 0 {
		tb.Fatal("nothing loaded")
	}
	var resident int64
	c.mu.RLock()
	for _, ac := range c.agencies {
		if ac.idx != nil {
			resident += ac.idx.ResidentBytes()
		}
	}
	c.mu.RUnlock()
	rows := c.IndexRows()
	runtime.KeepAlive(c)
	perEntry = (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n)
	if rows > 0 {
		indexPerRow = float64(resident) / float64(rows)
	}
	return perEntry, indexPerRow
}

func openMemoryNode(tb testing.TB, ctx context.Context) *Node {
	tb.Helper()
	node, err := Open(ctx, Config{DataDir: tb.TempDir(), NATSListen: "off", Workers: -1, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(node.Close)
	return node
}

// BenchmarkCorrelatorMemory reports the heap a loaded Correlator retains
// per cartridge entry (B/entry) and the index's share of it (index-B/row),
// for 2,000 stored scans (TRACEMARK_MEMORY_SCANS=n for another count),
// holding the index (local) or, on a querying node with remote shards,
// only the entries' metadata:
//
//	go test -run '^$' -bench CorrelatorMemory -benchtime 1x ./internal/server/
func BenchmarkCorrelatorMemory(b *testing.B) {
	scans := 2000
	if v := os.Getenv("TRACEMARK_MEMORY_SCANS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("TRACEMARK_MEMORY_SCANS=%q: want a positive number of scans", v)
		}
		scans = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	node := openMemoryNode(b, ctx)
	storeRandomCartridges(b, ctx, node, scans, 1)
	for _, bc := range []struct {
		name string
		opts []CorrelatorOption
	}{
		{"local", nil},
		{"remote-shards", []CorrelatorOption{WithRemoteShards(node.Queue, 2)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var perEntry, perRow float64
			for b.Loop() {
				perEntry, perRow = correlatorHeap(b, ctx, node, bc.opts...)
			}
			b.ReportMetric(perEntry, "B/entry")
			b.ReportMetric(perRow, "index-B/row")
		})
	}
}

// TestCorrelatorMemory: a loaded Correlator keeps little beyond its index
// rows per cartridge entry (the decoded features, 22 KB a scan, are read
// again when a stored scan is queried, not kept).
func TestCorrelatorMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 600 scans")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	node := openMemoryNode(t, ctx)
	storeRandomCartridges(t, ctx, node, 600, 2)
	perEntry, perRow := correlatorHeap(t, ctx, node)
	t.Logf("%.0f B retained per entry, index %.0f B per row", perEntry, perRow)
	if limit := 2*perRow + 4096; perEntry > limit || perRow == 0 {
		t.Errorf("%.0f B retained per entry, want at most %.0f (twice the index's %.0f B per row + 4 KiB)", perEntry, limit, perRow)
	}
	// A querying node with remote shards keeps the metadata only.
	perEntry, perRow = correlatorHeap(t, ctx, node, WithRemoteShards(node.Queue, 2))
	t.Logf("remote shards: %.0f B retained per entry, index %.0f B per row", perEntry, perRow)
	if perEntry > 4096 || perRow != 0 {
		t.Errorf("remote shards: %.0f B retained per entry, index %.0f B per row; want at most 4 KiB and no index", perEntry, perRow)
	}
}

// TestQueryForScanReadsFeatures: a cartridge entry keeps no features, and
// QueryForScan reads them again from the blob the scan's record names;
// features recomputed from an older format are held in memory only when
// they could not be stored (no writer, a failing one). A querying node
// with remote shards reads none at load and recomputes stale ones when
// queried.
func TestQueryForScanReadsFeatures(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests synthetic scans")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	node := openMemoryNode(t, ctx)
	var scans []domain.Scan
	err := synth.EachCartridge(synth.CartridgeConfig{Firearms: 1, Shots: 2, Seed: 3, SizePX: 256}, func(s synth.Scan) error {
		var buf bytes.Buffer
		if err := x3p.Write(&buf, x3p.New(s.Surface)); err != nil {
			return err
		}
		cs, _, err := ingest.FindOrCreateCase(ctx, node.Store, domain.Case{AgencyID: node.Agency.ID, Number: s.Name})
		if err != nil {
			return err
		}
		ex, _, err := ingest.FindOrCreateExhibit(ctx, node.Store, domain.Exhibit{AgencyID: node.Agency.ID, CaseID: cs.ID, Label: "E1",
			Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})
		if err != nil {
			return err
		}
		res, err := node.Ingester.Ingest(ctx, ingest.Request{Agency: node.Agency.ID, Actor: node.User.ID, Exhibit: ex.ID, Name: s.Name + ".x3p", Body: &buf})
		scans = append(scans, res.Scan)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fresh, stale := scans[0], scans[1]
	decode := func(ref blob.Ref) (*search.Features, error) {
		b, err := blob.ReadAll(ctx, node.Blobs, ref)
		if err != nil {
			t.Fatal(err)
		}
		f := new(search.Features)
		return f, f.UnmarshalBinary(b)
	}
	want := map[domain.ScanID]*search.Features{}
	for _, sc := range scans {
		if want[sc.ID], err = decode(sc.Features); err != nil {
			t.Fatal(err)
		}
	}
	// The stale scan's record points at its blob as an older format.
	b, err := blob.ReadAll(ctx, node.Blobs, stale.Features)
	if err != nil {
		t.Fatal(err)
	}
	b[4] = 1 // the first format version, older than any this build reads
	old, err := receive(ctx, node.Blobs, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decode(old); !errors.Is(err, search.ErrStaleFormat) {
		t.Fatalf("the made-up old blob does not read as stale: %v", err)
	}

	for _, tc := range []struct {
		name   string
		writer blob.Receiver
		remote bool // a querying node: reads no cartridge features at load
		// held: the entry holds the recomputed features; stored: the
		// record names the recomputed blob after the load.
		held, stored bool
	}{
		{"no writer", nil, false, true, false},
		{"failing writer", failingWriter{}, false, true, false},
		{"writer", node.Blobs, false, false, true},
		{"remote shards", node.Blobs, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := node.Store.SetScanDerived(ctx, node.Agency.ID, stale.ID, blob.Ref{}, old); err != nil {
				t.Fatal(err)
			}
			var opts []CorrelatorOption
			if tc.writer != nil {
				opts = append(opts, WithFeatureWriter(tc.writer))
			}
			if tc.remote {
				opts = append(opts, WithRemoteShards(node.Queue, 2))
			}
			c, err := NewCorrelator(node.Store, node.Blobs, slog.New(slog.NewTextHandler(io.Discard, nil)), opts...)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Load(ctx); err != nil {
				t.Fatal(err)
			}
			if c.Len() != 2 {
				t.Fatalf("%d entries, want 2", c.Len())
			}
			rec, err := node.Store.Scan(ctx, node.Agency.ID, stale.ID)
			if err != nil {
				t.Fatal(err)
			}
			c.mu.RLock()
			ef, es := *c.entries[string(fresh.ID)], *c.entries[string(stale.ID)]
			c.mu.RUnlock()
			if ef.held != nil || ef.kind != search.KindCartridge || es.kind != search.KindCartridge {
				t.Errorf("current scan: entry holds features %v; entries of kinds %s and %s", ef.held != nil, ef.kind, es.kind)
			}
			if (es.held != nil) != tc.held || (rec.Features != old) != tc.stored {
				t.Errorf("stale scan: entry holds features %v, the record names a new blob %v; want %v, %v", es.held != nil, rec.Features != old, tc.held, tc.stored)
			}
			for _, sc := range scans {
				q, err := c.QueryForScan(ctx, node.Agency.ID, sc.ID)
				if err != nil {
					t.Fatal(err)
				}
				if q.Features == nil || q.Surface == nil {
					t.Fatalf("scan %s: query without features or surface", sc.ID)
				}
				// Recomputing gives the features of the ingest again.
				if !slices.Equal(q.Features.Map, want[sc.ID].Map) || !slices.Equal(q.Features.Polar, want[sc.ID].Polar) {
					t.Errorf("scan %s: the query's features differ from the stored ones", sc.ID)
				}
				if tc.remote {
					continue // no shard workers to search
				}
				got, _, err := c.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || got[0].Scan == sc.ID {
					t.Errorf("scan %s: %d candidates, want its mate", sc.ID, len(got))
				}
			}
		})
	}
}

// failingWriter refuses to store anything.
type failingWriter struct{}

func (failingWriter) Receive(context.Context, io.Reader, int64) (blob.Ref, int64, error) {
	return blob.Ref{}, 0, errors.New("blob store unavailable")
}
