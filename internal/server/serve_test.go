package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
)

// TestServeShutsDownGracefully serves on a free port, answers a request,
// and returns nil once its context is cancelled (SIGINT/SIGTERM in
// tracemark serve).
func TestServeShutsDownGracefully(t *testing.T) {
	cfg := quietConfig(t.TempDir())
	cfg.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := server.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx, func(a string) { addr <- a }) }()
	var base string
	select {
	case base = <-addr:
	case err := <-done:
		t.Fatalf("Serve returned early: %v", err)
	}
	resp, err := http.Get(base + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("Serve did not stop within 40 s of cancellation")
	}
	if _, err := http.Get(base + "/api/health"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

// TestReloadKeepsSearching reloads the corpus (as worker processes do
// periodically) and searches again with the same result.
func TestReloadKeepsSearching(t *testing.T) {
	ctx := context.Background()
	n, err := server.Open(ctx, quietConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if _, err := n.LoadDemo(ctx, server.DemoConfig{Firearms: 2, Shots: 2, Barrels: 1, Bullets: 1}); err != nil {
		t.Fatal(err)
	}
	runs, _, err := n.Store.ListRuns(ctx, store.RunFilter{Agency: n.Agency.ID}, store.Page{Limit: 1})
	if err != nil || len(runs) == 0 {
		t.Fatal("no runs", err)
	}
	search := func() []domain.Candidate {
		q, err := n.Corr.QueryForScan(ctx, n.Agency.ID, runs[0].QueryScan)
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := n.Corr.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	before, size := search(), n.Corr.Len()
	if err := n.Corr.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	after := search()
	if n.Corr.Len() != size || len(after) != len(before) || len(after) > 0 && after[0].Scan != before[0].Scan {
		t.Fatalf("after reload: %d entries and %d candidates, before %d and %d", n.Corr.Len(), len(after), size, len(before))
	}
}
