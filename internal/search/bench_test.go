package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tracemark/tracemark/internal/procstat"
	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/synth"
)

// BenchmarkSignature: the features of one 2.5 mm synthetic scan at 6.25 µm
// (400×400 points).
func BenchmarkSignature(b *testing.B) {
	scans, err := synth.Cartridges(synth.CartridgeConfig{Firearms: 1, Shots: 1, Seed: 3})
	if err != nil {
		b.Fatal(err)
	}
	sg := NewSigner()
	for b.Loop() {
		if _, err := sg.Cartridge(scans[0].Surface); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkCoarse(b *testing.B, n int) {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	idx := NewIndex(0)
	var q *Features
	for i := range n {
		f := randomCartridge(r)
		if i == 0 {
			q = f
		}
		if err := idx.Add(fmt.Sprint(i), Class{Kind: KindCartridge}, f); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	cpu0 := procstat.SelfCPU()
	for b.Loop() {
		if _, _, err := idx.Query(ctx, Query{Features: q, K: 100, MaxRotationDeg: 33}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((procstat.SelfCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkCoarseQuery: vector scan over all exhibits plus the rotation
// search (±33°, the pipeline default) of the best 3000, all workers.
func BenchmarkCoarseQuery10k(b *testing.B)  { benchmarkCoarse(b, 10_000) }
func BenchmarkCoarseQuery100k(b *testing.B) { benchmarkCoarse(b, 100_000) }

// BenchmarkCandidate: the per-candidate costs of the coarse stage on one
// core: the exhaustive scan's filter (polar correlation and registration at
// 2 hypotheses) and the full sweep.
func BenchmarkCandidate(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	d := newDeriver()
	qf, cf := randomCartridge(r), randomCartridge(r)
	row, err := d.derive(cf)
	if err != nil {
		b.Fatal(err)
	}
	q, err := newCartQuery(qf, 33)
	if err != nil {
		b.Fatal(err)
	}
	sc := newScorer(q)
	for _, c := range []struct {
		name string
		fn   func()
	}{
		{"filter", func() { sc.filter(row, 2) }},
		{"register", func() { sc.register(row, 3) }},
		{"sweep", func() { sc.sweep(row, sc.filter(row, 2)) }},
		{"derive", func() { _, _ = d.derive(cf) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			cpu0 := procstat.SelfCPU()
			for b.Loop() {
				c.fn()
			}
			b.ReportMetric(float64((procstat.SelfCPU()-cpu0).Nanoseconds())/1000/float64(b.N), "cpu-µs/op")
		})
	}
}

func TestDihedral(t *testing.T) {
	m := surface.New(3, 2, 1, 1)
	for i := range m.Z {
		m.Z[i] = float64(i)
	}
	seen := map[string]bool{fmt.Sprint(m.Z): true}
	for v := 1; v <= distractorVariants; v++ {
		d := dihedral(m, v)
		key := fmt.Sprint(d.NX, d.NY, d.Z)
		if seen[key] {
			t.Errorf("variant %d repeats another (or the identity): %v", v, d.Z)
		}
		seen[key] = true
		sum := 0.0
		for _, z := range d.Z {
			sum += z
		}
		if sum != 15 || len(d.Z) != 6 {
			t.Errorf("variant %d is not a permutation: %v", v, d.Z)
		}
	}
	if back := dihedral(dihedral(m, 1), 2); fmt.Sprint(back.NX, back.Z) != fmt.Sprint(m.NX, m.Z) {
		t.Errorf("90° then 270° is not the identity: %v", back.Z)
	}
	for _, v := range []int{3, 4, 5, 6} {
		if back := dihedral(dihedral(m, v), v); fmt.Sprint(back.NX, back.Z) != fmt.Sprint(m.NX, m.Z) {
			t.Errorf("mirroring %d twice is not the identity", v)
		}
	}
}

// TestBuildBenchShard: the shards of the bench corpus are disjoint, each
// holds only its ShardOf rows, together they are the whole corpus, and
// the coarse stage over them ranks as over one index of it.
func TestBuildBenchShard(t *testing.T) {
	ctx := context.Background()
	cfg := BenchConfig{Synthetic: 10, Distractors: 14, Seed: 7, Pipeline: PipelineConfig{Workers: 2}}
	whole, info, err := BuildBenchShard(ctx, cfg, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if info.Exhibits != 24 || info.Synthetic != 10 || info.Distractors != 14 || whole.Len() != 24 {
		t.Fatalf("whole corpus: %+v, %d rows; want 10 synthetic + 14 distractors", info, whole.Len())
	}
	const n = 3
	seen := map[string]int{}
	var shards Shards
	total := 0
	for i := range n {
		part, pi, err := BuildBenchShard(ctx, cfg, i, n)
		if err != nil {
			t.Fatal(err)
		}
		if pi.Exhibits != part.Len() || pi.Synthetic+pi.Distractors != pi.Exhibits || pi.Shard != i || pi.Shards != n {
			t.Errorf("shard %d: info %+v for %d rows", i, pi, part.Len())
		}
		for _, id := range part.ids {
			if s := ShardOf(id, n); s != i {
				t.Errorf("shard %d holds %s of shard %d", i, id, s)
			}
			if _, ok := whole.rows[id]; !ok {
				t.Errorf("shard %d holds %s, not in the corpus", i, id)
			}
			seen[id]++
		}
		total += part.Len()
		shards = append(shards, part)
	}
	if total != whole.Len() || len(seen) != whole.Len() {
		t.Fatalf("the shards hold %d rows (%d distinct) of %d", total, len(seen), whole.Len())
	}
	for _, g := range []int{0, 1} {
		scans, err := synthFirearm(cfg.Seed, g, 1)
		if err != nil {
			t.Fatal(err)
		}
		f, err := NewSigner().Cartridge(scans[0].Surface)
		if err != nil {
			t.Fatal(err)
		}
		q := Query{Features: f, K: 10, MaxRotationDeg: 33}
		want, _, err := whole.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := shards.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("firearm %d: sharded candidates\n%v\nwant\n%v", g, got, want)
		}
	}
	if _, _, err := BuildBenchShard(ctx, cfg, 3, 3); err == nil {
		t.Error("shard 3 of 3 accepted")
	}
}

// TestRunBenchRemote: a bench whose coarse stage is given (as shard
// processes give it) keeps the same mates per query as one that indexes
// the corpus itself, and refuses parts that do not add up to the corpus.
func TestRunBenchRemote(t *testing.T) {
	ctx := context.Background()
	cfg := BenchConfig{Synthetic: 16, Distractors: 16, Seed: 3, Queries: 3, CoarseOnly: true, Pipeline: PipelineConfig{Workers: 2}}
	local, err := RunBench(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var shards Shards
	var parts []BenchShardInfo
	for i := range 2 {
		part, info, err := BuildBenchShard(ctx, cfg, i, 2)
		if err != nil {
			t.Fatal(err)
		}
		shards, parts = append(shards, part), append(parts, info)
	}
	var excluded []string
	rcfg := cfg
	rcfg.Remote = &BenchRemote{Coarse: shards, Parts: parts, WithExcludeIDs: func(ctx context.Context, ids []string) context.Context {
		excluded = append(excluded, ids...)
		return ctx
	}}
	remote, err := RunBench(ctx, rcfg)
	if err != nil {
		t.Fatal(err)
	}
	if remote.Exhibits != local.Exhibits || remote.Shards != 2 || len(remote.ShardParts) != 2 {
		t.Errorf("remote: %d exhibits in %d shards (%d parts); local %d", remote.Exhibits, remote.Shards, len(remote.ShardParts), local.Exhibits)
	}
	if len(excluded) != local.Synthetic.Queries {
		t.Errorf("exclusions %v for %d queries", excluded, local.Synthetic.Queries)
	}
	if remote.RecallAtK != local.RecallAtK || len(remote.Synthetic.Results) != len(local.Synthetic.Results) {
		t.Fatalf("remote recall %v over %d queries, local %v over %d", remote.RecallAtK, len(remote.Synthetic.Results), local.RecallAtK, len(local.Synthetic.Results))
	}
	for i, q := range remote.Synthetic.Results {
		if l := local.Synthetic.Results[i]; q.ID != l.ID || q.Kept != l.Kept || q.TopID != l.TopID {
			t.Errorf("query %d: remote %s kept %d top %s; local %s kept %d top %s", i, q.ID, q.Kept, q.TopID, l.ID, l.Kept, l.TopID)
		}
	}
	rcfg.Remote.Parts = parts[:1]
	if _, err := RunBench(ctx, rcfg); err == nil {
		t.Error("half the corpus accepted as the whole")
	}
}
