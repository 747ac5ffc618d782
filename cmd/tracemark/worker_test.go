package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
)

// TestWorkerRemoteShards: tracemark worker --remote-shards 2 runs the
// demo's queued correlations with its coarse stage on two shard workers
// (on the serving node's NATS), holds no index rows itself, and stores
// the candidates an unsharded corpus ranks.
func TestWorkerRemoteShards(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a small demo and correlates it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	node, err := server.Open(ctx, server.Config{DataDir: dir, NATSListen: "127.0.0.1:0", Workers: -1, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	demo, err := node.LoadDemo(ctx, server.DemoConfig{Firearms: 1, Shots: 2, Barrels: 1, Bullets: 2})
	if err != nil {
		t.Fatal(err)
	}

	serveCtx, stop := context.WithCancel(ctx)
	defer stop()
	var running []chan error
	for i := range 2 {
		c, err := server.NewCorrelator(node.Store, node.Blobs, quiet, server.WithShard(i, 2))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.ServeShard(serveCtx, node.Queue, 1) }()
		running = append(running, done)
	}
	var stderr bytes.Buffer
	worker := newRootCmd()
	worker.SetOut(io.Discard)
	worker.SetErr(&stderr)
	worker.SetArgs([]string{"worker", "--data", dir, "--nats", node.Queue.URL(), "--remote-shards", "2", "--concurrency", "1"})
	done := make(chan error, 1)
	go func() { done <- worker.ExecuteContext(serveCtx) }()
	running = append(running, done)
	defer func() {
		stop()
		for _, done := range running {
			if err := <-done; err != nil && ctx.Err() == nil {
				t.Errorf("shard worker or worker: %v", err)
			}
		}
	}()

	for {
		left, err := node.Store.UnfinishedRuns(ctx, "", store.MaxLimit)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%d of %d runs unfinished", len(left), demo.Runs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	runs, _, err := node.Store.ListRuns(ctx, store.RunFilter{Agency: node.Agency.ID}, store.Page{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := server.NewCorrelator(node.Store, node.Blobs, quiet)
	if err != nil {
		t.Fatal(err)
	}
	whole.K = node.Corr.K
	if err := whole.Load(ctx); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range runs {
		if r.Status != domain.RunDone {
			t.Fatalf("run %s of scan %s: %s (%s)", r.ID, r.QueryScan, r.Status, r.Error)
		}
		q, err := whole.QueryForScan(ctx, node.Agency.ID, r.QueryScan)
		if err != nil {
			t.Fatal(err)
		}
		want, _, err := whole.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := node.Store.ListCandidates(ctx, store.CandidateFilter{Agency: node.Agency.ID, Run: r.ID}, store.Page{Limit: store.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 || len(got) != len(want) {
			t.Fatalf("run of scan %s: %d candidates, unsharded %d", r.QueryScan, len(got), len(want))
		}
		for i := range want {
			if got[i].Scan != want[i].Scan || got[i].Score != want[i].Score {
				t.Errorf("run of scan %s rank %d: %s %v, unsharded %s %v", r.QueryScan, i+1, got[i].Scan, got[i].Score, want[i].Scan, want[i].Score)
			}
		}
		kinds[q.Kind.String()]++
	}
	t.Logf("%d runs (%v) as unsharded", len(runs), kinds)
	if len(runs) != demo.Runs || len(kinds) != 2 {
		t.Errorf("%d runs of %d kinds, want the demo's %d of cartridge cases and bullets", len(runs), len(kinds), demo.Runs)
	}
	stop()
	for _, done := range running {
		if err := <-done; err != nil {
			t.Errorf("shard worker or worker: %v", err)
		}
	}
	running = nil
	if !strings.Contains(stderr.String(), "coarse stage on 2 remote shards, 0 index rows here") {
		t.Errorf("the worker does not report its remote shards:\n%s", &stderr)
	}
}
