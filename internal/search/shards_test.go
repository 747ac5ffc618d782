package search

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// shardCorpus indexes n random cartridge cases once unsharded and once
// split by ShardOf over each of parts, and returns the features.
func shardCorpus(t *testing.T, n int, parts ...int) (*Index, map[int]Shards, []*Features) {
	t.Helper()
	r := rand.New(rand.NewPCG(21, 22))
	whole := NewIndex(2)
	sharded := map[int]Shards{}
	idxs := map[int][]*Index{}
	for _, p := range parts {
		for range p {
			idxs[p] = append(idxs[p], NewIndex(1))
		}
	}
	feats := make([]*Features, n)
	for i := range n {
		id := fmt.Sprintf("e%d", i)
		feats[i] = randomCartridge(r)
		cls := Class{Calibre: "9mm"}
		if i%3 == 2 {
			cls.Calibre = ".45 ACP"
		}
		if err := whole.Add(id, cls, feats[i]); err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			if err := idxs[p][ShardOf(id, p)].Add(id, cls, feats[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, p := range parts {
		for _, x := range idxs[p] {
			if x.Len() == 0 {
				t.Fatalf("%d parts: an empty part (ShardOf does not spread %d ids)", p, n)
			}
			sharded[p] = append(sharded[p], x)
		}
	}
	return whole, sharded, feats
}

// TestShardsMatchIndex: the merged top K of the parts equals the
// unsharded index's when every compatible row is swept (Rerank above the
// corpus), and holds every unsharded candidate with the same score and
// registration when the Rerank cut bites (each part sweeps its own
// Rerank, so it may also find more).
func TestShardsMatchIndex(t *testing.T) {
	const n = 400
	whole, sharded, feats := shardCorpus(t, n, 1, 3)
	ctx := context.Background()
	exclude := func(id string) bool { return id == "e7" }
	tests := []struct {
		name   string
		query  *Features
		class  Class
		rerank int
		exact  bool
	}{
		{"self, all swept", feats[7], Class{}, 1000, true},
		{"other calibre, all swept", feats[8], Class{Calibre: ".45 acp"}, 1000, true},
		{"self, rerank cut", feats[7], Class{}, 20, false},
		{"unrelated query, rerank cut", randomCartridge(rand.New(rand.NewPCG(1, 2))), Class{Calibre: "9mm"}, 15, false},
	}
	for _, tc := range tests {
		q := Query{Features: tc.query, Class: tc.class, K: 10, Rerank: tc.rerank, Exclude: exclude}
		want, wantSt, err := whole.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != 10 {
			t.Fatalf("%s: unsharded query returned %d candidates", tc.name, len(want))
		}
		for _, parts := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/%d parts", tc.name, parts), func(t *testing.T) {
				got, st, err := sharded[parts].Query(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if st.Compatible != wantSt.Compatible {
					t.Errorf("compatible %d, unsharded %d", st.Compatible, wantSt.Compatible)
				}
				if len(got) != len(want) {
					t.Fatalf("%d candidates, unsharded %d", len(got), len(want))
				}
				byID := map[string]Candidate{}
				for i, c := range got {
					if c.ID == "e7" {
						t.Errorf("excluded e7 returned")
					}
					if i > 0 && (c.Score > got[i-1].Score || c.Score == got[i-1].Score && c.ID < got[i-1].ID) {
						t.Errorf("not ranked at %d: %+v after %+v", i, c, got[i-1])
					}
					byID[c.ID] = c
				}
				if tc.exact || parts == 1 {
					if st.Reranked != wantSt.Reranked {
						t.Errorf("reranked %d, unsharded %d", st.Reranked, wantSt.Reranked)
					}
					for i := range want {
						if got[i] != want[i] {
							t.Errorf("rank %d: %+v, unsharded %+v", i+1, got[i], want[i])
						}
					}
					return
				}
				if st.Reranked <= wantSt.Reranked {
					t.Errorf("reranked %d, unsharded %d", st.Reranked, wantSt.Reranked)
				}
				for i, w := range want {
					if g, ok := byID[w.ID]; ok {
						if g != w {
							t.Errorf("%s: %+v, unsharded %+v", w.ID, g, w)
						}
					} else if w.Score > got[len(got)-1].Score {
						t.Errorf("unsharded rank %d %+v missing above the sharded cut %.4f", i+1, w, got[len(got)-1].Score)
					}
				}
			})
		}
	}
}

// fakeCoarse answers with fixed candidates or an error, or blocks until
// its context ends.
type fakeCoarse struct {
	cands []Candidate
	err   error
	block bool
}

func (f fakeCoarse) Query(ctx context.Context, _ Query) ([]Candidate, Stats, error) {
	if f.block {
		<-ctx.Done()
		return nil, Stats{}, ctx.Err()
	}
	if f.err != nil {
		return nil, Stats{}, f.err
	}
	return f.cands, Stats{Compatible: len(f.cands), Reranked: len(f.cands)}, nil
}

func TestShardsMergeAndErrors(t *testing.T) {
	boom := errors.New("boom")
	a := fakeCoarse{cands: []Candidate{{ID: "a1", Score: 0.9}, {ID: "a2", Score: 0.5}, {ID: "dup", Score: 0.4}}}
	b := fakeCoarse{cands: []Candidate{{ID: "b1", Score: 0.7}, {ID: "b2", Score: 0.5}, {ID: "dup", Score: 0.4}}}
	tests := []struct {
		name    string
		shards  Shards
		k       int
		want    []string
		wantErr string
		is      error
	}{
		{"merged by score, ties by id, duplicate once", Shards{a, b}, 10, []string{"a1", "b1", "a2", "b2", "dup"}, "", nil},
		{"best K", Shards{b, a}, 3, []string{"a1", "b1", "a2"}, "", nil},
		{"a part fails, the blocked one is cancelled", Shards{fakeCoarse{block: true}, fakeCoarse{err: boom}}, 10, nil, "shard 1 of 2", boom},
		{"no parts", Shards{}, 10, nil, "no parts", nil},
		{"nil part", Shards{a, nil}, 10, nil, "part 1 of 2 is nil", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, st, err := tc.shards.Query(context.Background(), Query{K: tc.k})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || (tc.is != nil && !errors.Is(err, tc.is)) {
					t.Fatalf("error %v, want one with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			if strings.Join(ids, " ") != strings.Join(tc.want, " ") {
				t.Errorf("ids %v, want %v", ids, tc.want)
			}
			if st.Compatible != 6 || st.Reranked != 6 {
				t.Errorf("stats %+v, want the parts' sums (6, 6)", st)
			}
		})
	}
}

func TestShardsContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := Shards{fakeCoarse{block: true}, fakeCoarse{block: true}}.Query(ctx, Query{})
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestShardOf(t *testing.T) {
	counts := make([]int, 4)
	for i := range 4000 {
		id := fmt.Sprintf("019374a2-%04d", i)
		s := ShardOf(id, 4)
		if s != ShardOf(id, 4) || s < 0 || s >= 4 {
			t.Fatalf("ShardOf(%q, 4) = %d, unstable or out of range", id, s)
		}
		counts[s]++
		if ShardOf(id, 1) != 0 || ShardOf(id, 0) != 0 {
			t.Fatalf("ShardOf(%q, ≤ 1) != 0", id)
		}
	}
	for s, c := range counts {
		if c < 800 || c > 1200 {
			t.Errorf("shard %d holds %d of 4000 ids: not spread", s, c)
		}
	}
	// FNV-1a of "a" is 0xe40c292c: a fixed function, so processes of
	// different builds agree.
	if got := ShardOf("a", 1000); got != 0xe40c292c%1000 {
		t.Errorf("ShardOf(\"a\", 1000) = %d, want %d", got, 0xe40c292c%1000)
	}
}

func TestShardedPipeline(t *testing.T) {
	whole, sharded, feats := shardCorpus(t, 60, 3)
	var ranked []string
	for _, tc := range []struct {
		name string
		new  func() (*Pipeline, error)
	}{
		{"index", func() (*Pipeline, error) { return NewPipeline(whole, nil, nil, PipelineConfig{}) }},
		{"shards", func() (*Pipeline, error) { return NewCoarsePipeline(sharded[3], nil, nil, PipelineConfig{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pipe, err := tc.new()
			if err != nil {
				t.Fatal(err)
			}
			res, err := pipe.Search(context.Background(), Request{ID: "e3", Features: feats[3], Full: -1, K: 5})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) != 5 || res.Compatible != 59 {
				t.Fatalf("%d hits, %d compatible; want 5, 59", len(res.Hits), res.Compatible)
			}
			var ids []string
			for _, h := range res.Hits {
				ids = append(ids, fmt.Sprintf("%s %.6f", h.ID, h.Candidate.Score))
			}
			ranked = append(ranked, strings.Join(ids, ", "))
			if strings.Contains(ranked[len(ranked)-1], "e3 ") {
				t.Error("the query scan itself returned")
			}
		})
	}
	if len(ranked) == 2 && ranked[0] != ranked[1] {
		t.Errorf("index ranks %s; shards %s", ranked[0], ranked[1])
	}
	if _, err := NewCoarsePipeline(nil, nil, nil, PipelineConfig{}); err == nil {
		t.Error("a pipeline without a coarse stage accepted")
	}
}
