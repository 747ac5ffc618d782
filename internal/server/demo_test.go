package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
)

// TestDemo loads the demo, runs the worker until every run is done, and
// checks the candidate lists: the two real Fadul scans (one firearm) find
// each other, synthetic cartridge cases find their firearm's other firing
// and bullets their barrel's other bullet. A second load stores nothing.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("loads and correlates the whole demo")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	n, err := server.Open(ctx, quietConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	rep, err := n.LoadDemo(ctx, server.DemoConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo loaded: %+v", rep)
	if rep.Cases != 12 || rep.Scans != 2+6+24 {
		t.Fatalf("demo stored %d cases and %d scans, want 12 and 32", rep.Cases, rep.Scans)
	}
	start := time.Now()
	workCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n.Work(workCtx, 2) }()
	defer func() { stop(); <-done }()
	for {
		left, err := n.Store.UnfinishedRuns(ctx, "", store.MaxLimit)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%d demo runs unfinished", len(left))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("demo correlated in %.1f s", time.Since(start).Seconds())

	runs, _, err := n.Store.ListRuns(ctx, store.RunFilter{Agency: n.Agency.ID}, store.Page{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	top1, withList := 0, 0
	for _, r := range runs {
		if r.Status != domain.RunDone {
			t.Fatalf("run %s is %s: %s", r.ID, r.Status, r.Error)
		}
		cands, _, err := n.Store.ListCandidates(ctx, store.CandidateFilter{Agency: n.Agency.ID, Run: r.ID}, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(cands) == 0 {
			continue
		}
		withList++
		q, err1 := n.Store.Scan(ctx, n.Agency.ID, r.QueryScan)
		c, err2 := n.Store.Scan(ctx, n.Agency.ID, cands[0].Scan)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if sameSource(q.OriginalName, c.OriginalName) {
			top1++
		}
	}
	t.Logf("%d of %d runs have a candidate list; %d rank a same-source scan first", withList, len(runs), top1)
	if withList != len(runs) || top1 < len(runs)*3/4 {
		t.Fatalf("%d of %d runs listed candidates and %d ranked a mate first", withList, len(runs), top1)
	}
	again, err := n.LoadDemo(ctx, server.DemoConfig{})
	if err != nil || again.Scans != 0 || again.Cases != 0 {
		t.Fatalf("second demo load: %+v, %v; want nothing new", again, err)
	}
}

// sameSource compares demo file names: "Fadul 1-1" with "Fadul 1-2",
// "firearm-002-shot-01" with "firearm-002-shot-02", lands of barrel-001
// bullets with each other.
func sameSource(a, b string) bool {
	prefix := func(s string) string {
		for i := 0; i < len(s); i++ {
			if s[i] == '-' && i+1 < len(s) && (s[i+1] == '1' || s[i+1] == '2') && len(s) > 5 && s[:5] == "Fadul" {
				return s[:i]
			}
		}
		if len(s) >= 11 {
			return s[:11] // firearm-00N or barrel-00N-
		}
		return s
	}
	return prefix(a) == prefix(b)
}
