package loadtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/loadtest"
)

// TestShortLoad runs a few clients for a few seconds against a real server
// on loopback and requires zero errors, zero lost uploads and an intact
// audit chain. Latencies are logged, never asserted.
func TestShortLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and ingests scans for several seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := loadtest.Run(ctx, loadtest.Config{DataDir: t.TempDir(), Clients: 4, Duration: 4 * time.Second, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for k, s := range rep.Kinds {
		t.Logf("%-7s %4d requests, %d errors, p50 %.0f ms, p99 %.0f ms", k, s.Requests, s.Errors, s.P50MS, s.P99MS)
	}
	t.Logf("%d requests in %.1f s (%.1f/s); %d uploads acknowledged, %d lost; audit: %s %+v",
		rep.Requests, rep.Duration.Seconds(), rep.PerSecond, rep.Acknowledged, rep.Lost, rep.AuditChecked, rep.Audit)
	if rep.Errors != 0 {
		t.Fatalf("%d errors: %q", rep.Errors, rep.ErrorSamples)
	}
	if rep.Acknowledged == 0 || rep.Kinds[loadtest.KindView].Requests == 0 || rep.Kinds[loadtest.KindSearch].Requests == 0 {
		t.Fatalf("the run did too little to judge: %+v", rep.Kinds)
	}
	if rep.Lost != 0 {
		t.Fatalf("%d of %d acknowledged uploads lost", rep.Lost, rep.Acknowledged)
	}
	if rep.Audit == nil || rep.Audit.Problem != nil || rep.Audit.Unsigned != 0 {
		t.Fatalf("audit after the run: %s %+v", rep.AuditChecked, rep.Audit)
	}
	if !rep.OK() {
		t.Fatal("report not OK")
	}
}
