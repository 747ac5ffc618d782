package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/synth"
	"github.com/tracemark/tracemark/internal/x3p"
)

// TestShardedCorrelator: two shard-worker Correlators (each loading half
// of the corpus by search.ShardOf) answering over the node's embedded
// NATS, and a querying Correlator with remote shards, rank the same
// candidates with the same scores as the node's unsharded Correlator.
func TestShardedCorrelator(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests synthetic scans")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := quietConfig(t.TempDir())
	cfg.Workers = -1 // no correlation jobs: this test searches itself
	node, err := server.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	scans := ingestCartridges(t, ctx, node, 3, 9)

	const shards = 2
	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan error, shards)
	loaded := 0
	for i := range shards {
		c, err := server.NewCorrelator(node.Store, node.Blobs, cfg.Log, server.WithShard(i, shards))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Load(ctx); err != nil {
			t.Fatal(err)
		}
		loaded += c.IndexRows()
		t.Logf("shard %d of %d: %d index rows", i, shards, c.IndexRows())
		go func() { done <- c.ServeShard(serveCtx, node.Queue, 1) }()
	}
	defer func() {
		stop()
		for range shards {
			if err := <-done; err != nil {
				t.Errorf("ServeShard: %v", err)
			}
		}
	}()
	if loaded != len(scans) || node.Corr.Len() != len(scans) {
		t.Fatalf("the shards loaded %d entries, the node %d; want %d each", loaded, node.Corr.Len(), len(scans))
	}
	// Scans stored after the shard workers loaded: they load them before
	// answering.
	scans = append(scans, ingestCartridges(t, ctx, node, 1, 10)...)
	querying, err := server.NewCorrelator(node.Store, node.Blobs, cfg.Log, server.WithRemoteShards(node.Queue, shards))
	if err != nil {
		t.Fatal(err)
	}
	querying.K = node.Corr.K
	if err := querying.Load(ctx); err != nil {
		t.Fatal(err)
	}
	// The querying node keeps the entries' metadata only.
	if querying.Len() != len(scans) || querying.IndexRows() != 0 || node.Corr.IndexRows() != len(scans) {
		t.Errorf("querying node: %d entries, %d index rows; unsharded %d index rows; want %d, 0, %d",
			querying.Len(), querying.IndexRows(), node.Corr.IndexRows(), len(scans), len(scans))
	}
	summary := func(cands []domain.Candidate) []string {
		var out []string
		for _, c := range cands {
			var reg server.Registration
			if err := json.Unmarshal(c.Registration, &reg); err != nil {
				t.Fatal(err)
			}
			out = append(out, string(c.Scan)+" "+strconvF(c.Score)+" "+strconvF(reg.CoarseScore))
		}
		return out
	}
	for _, scan := range []domain.ScanID{scans[0], scans[2], scans[len(scans)-1]} {
		q, err := node.Corr.QueryForScan(ctx, node.Agency.ID, scan)
		if err != nil {
			t.Fatal(err)
		}
		want, wantSt, err := node.Corr.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []domain.Candidate
		var gotSt server.Stats
		// The shard workers subscribe in their goroutines: retry briefly.
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if got, gotSt, err = querying.Search(ctx, q); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		// Every scan has a mate the engine identifies, so both searches
		// expand the query with it; the sharded one sends the expanded
		// query to the shards.
		if len(wantSt.ExpandedWith) == 0 || wantSt.ExpandError != "" || !slices.Equal(gotSt.ExpandedWith, wantSt.ExpandedWith) {
			t.Errorf("scan %s: expanded with %v (error %q) unsharded, %v (error %q) sharded; want the same identified hits",
				scan, wantSt.ExpandedWith, wantSt.ExpandError, gotSt.ExpandedWith, gotSt.ExpandError)
		}
		w, g := summary(want), summary(got)
		t.Logf("scan %s: %d candidates, top %s", scan, len(w), w[0])
		if len(w) == 0 || len(w) != len(g) {
			t.Fatalf("scan %s: %d candidates sharded, %d unsharded", scan, len(g), len(w))
		}
		for i := range w {
			if w[i] != g[i] {
				t.Errorf("scan %s rank %d: sharded %s, unsharded %s", scan, i+1, g[i], w[i])
			}
			if g[i][:len(scan)] == string(scan) {
				t.Errorf("scan %s found itself", scan)
			}
		}
	}
}

func strconvF(f float64) string { b, _ := json.Marshal(f); return string(b) }

// ingestCartridges stores 2×firearms synthetic cartridge cases in node and
// returns their scans.
func ingestCartridges(t *testing.T, ctx context.Context, node *server.Node, firearms int, seed uint64) []domain.ScanID {
	t.Helper()
	return ingestSynthetic(t, ctx, node, domain.KindCartridgeCase, func(fn func(synth.Scan) error) error {
		return synth.EachCartridge(synth.CartridgeConfig{Firearms: firearms, Shots: 2, Seed: seed, SizePX: 256}, fn)
	}, func(s synth.Scan) string { return fmt.Sprintf("seed%d-%s", seed, s.Name) })
}

// ingestBullets stores barrels×2 synthetic bullets of 6 lands in node (one
// exhibit per bullet) and returns their land scans.
func ingestBullets(t *testing.T, ctx context.Context, node *server.Node, barrels int, seed uint64) []domain.ScanID {
	t.Helper()
	return ingestSynthetic(t, ctx, node, domain.KindBullet, func(fn func(synth.Scan) error) error {
		return synth.EachBullet(synth.BulletConfig{Barrels: barrels, Bullets: 2, Seed: seed, SpacingUM: 3.125}, fn)
	}, func(s synth.Scan) string { return fmt.Sprintf("seed%d-%s", seed, s.Truth.BulletID) })
}

// ingestSynthetic ingests every scan of each into the exhibit of its kind
// in the case numbered caseOf(scan), and returns the scans.
func ingestSynthetic(t *testing.T, ctx context.Context, node *server.Node, kind domain.ExhibitKind, each func(func(synth.Scan) error) error, caseOf func(synth.Scan) string) []domain.ScanID {
	t.Helper()
	var scans []domain.ScanID
	err := each(func(s synth.Scan) error {
		var buf bytes.Buffer
		if err := x3p.Write(&buf, x3p.New(s.Surface)); err != nil {
			return err
		}
		cs, _, err := ingest.FindOrCreateCase(ctx, node.Store, domain.Case{AgencyID: node.Agency.ID, Number: caseOf(s)})
		if err != nil {
			return err
		}
		ex, _, err := ingest.FindOrCreateExhibit(ctx, node.Store, domain.Exhibit{AgencyID: node.Agency.ID, CaseID: cs.ID, Label: "E1",
			Kind: kind, Role: domain.RoleCrimeScene})
		if err != nil {
			return err
		}
		res, err := node.Ingester.Ingest(ctx, ingest.Request{Agency: node.Agency.ID, Actor: node.User.ID, Exhibit: ex.ID,
			Name: s.Name + ".x3p", Body: bytes.NewReader(buf.Bytes())})
		if err == nil {
			scans = append(scans, res.Scan.ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return scans
}

// TestShardNodes: a node with RemoteShards 2 and two shard-worker nodes
// (Config.Shard, serving on the first node's NATS over loopback, sharing
// its database and blobs) rank cartridge cases and bullets like an
// unsharded Correlator, the querying node holding no index rows.
func TestShardNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests synthetic scans")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	cfg := quietConfig(dir)
	cfg.NATSListen, cfg.Workers, cfg.RemoteShards = "127.0.0.1:0", -1, 2
	node, err := server.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	scans := ingestCartridges(t, ctx, node, 3, 9)
	lands := ingestBullets(t, ctx, node, 2, 5)

	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 2)
	for i := range 2 {
		scfg := quietConfig(dir)
		scfg.NATSURL, scfg.Addr, scfg.Shard, scfg.Workers = node.Queue.URL(), "127.0.0.1:0", fmt.Sprintf("%d/2", i), -1
		sn, err := server.Open(ctx, scfg)
		if err != nil {
			t.Fatal(err)
		}
		defer sn.Close()
		go func() { done <- sn.Serve(serveCtx, nil) }()
	}
	defer func() {
		stop()
		for range 2 {
			if err := <-done; err != nil {
				t.Errorf("shard node: %v", err)
			}
		}
	}()
	whole, err := server.NewCorrelator(node.Store, node.Blobs, cfg.Log)
	if err != nil {
		t.Fatal(err)
	}
	whole.K = node.Corr.K
	if err := whole.Load(ctx); err != nil {
		t.Fatal(err)
	}
	const bullets = 4
	if n := len(scans) + bullets; whole.Len() != n || whole.IndexRows() != n || node.Corr.Len() != n || node.Corr.IndexRows() != 0 {
		t.Errorf("unsharded: %d entries, %d index rows; querying node: %d entries, %d index rows; want %d, %d, %d, 0",
			whole.Len(), whole.IndexRows(), node.Corr.Len(), node.Corr.IndexRows(), n, n, n)
	}
	for _, scan := range []domain.ScanID{scans[0], scans[1], lands[0], lands[len(lands)-1]} {
		q, err := whole.QueryForScan(ctx, node.Agency.ID, scan)
		if err != nil {
			t.Fatal(err)
		}
		want, _, err := whole.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []domain.Candidate
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if got, _, err = node.Corr.Search(ctx, q); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 || len(got) != len(want) {
			t.Fatalf("scan %s: %d candidates sharded, %d unsharded", scan, len(got), len(want))
		}
		for i := range want {
			if got[i].Scan != want[i].Scan || got[i].Score != want[i].Score {
				t.Errorf("scan %s rank %d: sharded %s %v, unsharded %s %v", scan, i+1, got[i].Scan, got[i].Score, want[i].Scan, want[i].Score)
			}
		}
	}
	if _, err := server.Open(ctx, server.Config{DataDir: t.TempDir(), NATSListen: "off", Shard: "2/2", Log: cfg.Log}); err == nil {
		t.Error("shard 2/2 accepted")
	}
}
