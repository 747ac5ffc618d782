package search

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/realdata"
)

// TestFadulDatabaseSearch: the 40 processed Fadul scans as a database; each
// scan queries the other 39 through the whole pipeline (coarse stage, full
// fast-mode comparison of the best 20, the default). About 800 full comparisons: run with -timeout 30m on a busy machine. Every true mate must survive the
// coarse stage and the top hit must be a mate (algorithms.md §5.3 recall
// guardrail; issue 5 target top-1 = 100 %).
func TestFadulDatabaseSearch(t *testing.T) {
	dir := realdata.Dir(t, "fadul")
	if testing.Short() {
		t.Skip("40 searches with full comparisons; skipped with -short")
	}
	rows, err := cartridge.ReadTruth(filepath.Join(dir, "ground_truth.csv"))
	if err != nil {
		t.Fatal(err)
	}
	pcfg, err := cartridge.PreprocessPreset("default")
	if err != nil {
		t.Fatal(err)
	}
	pcfg.Processed = true
	ccfg := cartridge.DefaultConfig()
	idx := NewIndex(0)
	mem := NewMemorySource()
	sg := NewSigner()
	prep := map[string]*cartridge.Prepared{}
	feats := map[string]*Features{}
	source := map[string]string{}
	for _, r := range rows {
		pp, err := cartridge.LoadScan(filepath.Join(dir, r.File), pcfg)
		if err != nil {
			t.Fatal(err)
		}
		p, err := cartridge.Prepare(r.File, pp.Map, ccfg)
		if err != nil {
			t.Fatal(err)
		}
		f, err := sg.Cartridge(pp.Map)
		if err != nil {
			t.Fatal(err)
		}
		// Round trip through the stored form, as the API layer will.
		blob, err := f.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var g Features
		if err := g.UnmarshalBinary(blob); err != nil {
			t.Fatal(err)
		}
		if err := idx.Add(r.File, Class{Kind: KindCartridge, Calibre: "9mm Luger"}, &g); err != nil {
			t.Fatal(err)
		}
		mem.PutPrepared(r.File, p)
		prep[r.File], feats[r.File], source[r.File] = p, &g, r.Source
	}
	pipe, err := NewPipeline(idx, mem, nil, PipelineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	top1 := 0
	for _, r := range rows {
		res, err := pipe.Search(ctx, Request{ID: r.File, Class: Class{Calibre: "9MM luger"}, Features: feats[r.File], Prepared: prep[r.File]})
		if err != nil {
			t.Fatal(err)
		}
		mates, kept := 0, 0
		for _, o := range rows {
			if o.File != r.File && o.Source == r.Source {
				mates++
			}
		}
		for _, h := range res.Hits {
			if h.ID == r.File {
				t.Errorf("%s found itself", r.File)
			}
			if source[h.ID] == r.Source {
				kept++
			}
		}
		if kept != mates {
			t.Errorf("%s: coarse stage kept %d of %d mates", r.File, kept, mates)
		}
		h := res.Hits[0]
		if h.Compared && source[h.ID] == r.Source {
			top1++
		} else {
			t.Errorf("%s: top hit %s (score %.2f, compared %v) is not a mate", r.File, h.ID, h.Score, h.Compared)
		}
	}
	t.Logf("top-1 %d/%d", top1, len(rows))
}
