package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/jobs"
	"github.com/tracemark/tracemark/internal/search"
)

// randomFeatures are valid cartridge features of white noise (a disc on
// the map, random polar harmonics).
func randomFeatures(r *rand.Rand) *search.Features {
	f := &search.Features{Kind: search.KindCartridge, Map: make([]int8, search.MapSize*search.MapSize), MapScale: 0.05,
		Polar: make([]int8, search.PolarLen)}
	for y := range search.MapSize {
		for x := range search.MapSize {
			if dx, dy := x-search.MapSize/2, y-search.MapSize/2; dx*dx+dy*dy < 50*50 {
				f.Map[y*search.MapSize+x] = int8(max(-127, min(127, 30*r.NormFloat64())))
			}
		}
	}
	for i := range f.Polar {
		f.Polar[i] = int8(max(-127, min(127, 16*r.NormFloat64())))
	}
	return f
}

// TestRemoteShards: two shard workers answering over the embedded NATS
// give, merged, the candidates of the unsharded index.
func TestRemoteShards(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q, err := jobs.Open(ctx, jobs.Config{DataDir: filepath.Join(t.TempDir(), "nats")})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	const n, shards = 120, 2
	agency := domain.AgencyID("agency-1")
	r := rand.New(rand.NewPCG(3, 4))
	whole := search.NewIndex(1)
	parts := []*search.Index{search.NewIndex(1), search.NewIndex(1)}
	feats := make([]*search.Features, n)
	for i := range n {
		id := fmt.Sprintf("scan-%d", i)
		feats[i] = randomFeatures(r)
		if err := whole.Add(id, search.Class{Calibre: "9mm"}, feats[i]); err != nil {
			t.Fatal(err)
		}
		if err := parts[search.ShardOf(id, shards)].Add(id, search.Class{Calibre: "9mm"}, feats[i]); err != nil {
			t.Fatal(err)
		}
	}
	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan error, shards)
	for i, x := range parts {
		go func() {
			done <- ServeShard(serveCtx, q, i, 2, func(_ context.Context, a domain.AgencyID) (search.Coarse, error) {
				if a != agency {
					return nil, nil
				}
				return x, nil
			})
		}()
	}
	defer func() {
		stop()
		for range shards {
			if err := <-done; err != nil {
				t.Errorf("ServeShard: %v", err)
			}
		}
	}()
	remote := search.Shards{RemoteShard{Queue: q, Shard: 0, Agency: agency}, RemoteShard{Queue: q, Shard: 1, Agency: agency}}
	// The responders subscribe in their goroutines: wait for both.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, _, err := remote.Query(ctx, search.Query{Features: feats[0], K: 1}); err == nil || time.Now().After(deadline) {
			break
		}
	}

	exclude := func(id string) bool { return id == "scan-7" || id == "scan-8" }
	query := search.Query{Features: feats[7], K: 10, Rerank: 1000, Exclude: exclude}
	want, wantSt, err := whole.Query(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	got, st, err := remote.Query(WithExcludeIDs(ctx, []string{"scan-7", "scan-8"}), query)
	if err != nil {
		t.Fatal(err)
	}
	if st != wantSt || len(got) != len(want) {
		t.Fatalf("stats %+v, %d candidates; unsharded %+v, %d", st, len(got), wantSt, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("rank %d: %+v, unsharded %+v", i+1, got[i], want[i])
		}
	}
	// Without the ids the exclusions cannot travel: refused.
	if _, _, err := remote.Query(ctx, query); err == nil || !strings.Contains(err.Error(), "WithExcludeIDs") {
		t.Errorf("exclusions without ids: %v", err)
	}
	// Another agency has nothing in the shards.
	other := search.Shards{RemoteShard{Queue: q, Shard: 0, Agency: "agency-2"}, RemoteShard{Queue: q, Shard: 1, Agency: "agency-2"}}
	if got, st, err := other.Query(ctx, search.Query{Features: feats[1], K: 10}); err != nil || len(got) != 0 || st.Compatible != 0 {
		t.Errorf("other agency: %d candidates, %+v, %v", len(got), st, err)
	}
	// A shard nobody serves fails with the shard's number.
	missing := search.Shards{RemoteShard{Queue: q, Shard: 0, Agency: agency}, RemoteShard{Queue: q, Shard: 5, Agency: agency}}
	if _, _, err := missing.Query(ctx, search.Query{Features: feats[1], K: 10}); err == nil || !strings.Contains(err.Error(), "shard 1 of 2") {
		t.Errorf("unserved shard: %v", err)
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in      string
		i, n    int
		wantErr bool
	}{
		{"0/3", 0, 3, false},
		{"2/3", 2, 3, false},
		{"0/1", 0, 1, false},
		{"3/3", 0, 0, true},
		{"-1/3", 0, 0, true},
		{"1/0", 0, 0, true},
		{"1", 0, 0, true},
		{"a/b", 0, 0, true},
	}
	for _, tc := range tests {
		i, n, err := ParseShard(tc.in)
		if (err != nil) != tc.wantErr || i != tc.i || n != tc.n {
			t.Errorf("ParseShard(%q) = %d, %d, %v", tc.in, i, n, err)
		}
	}
}
