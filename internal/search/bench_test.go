package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

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
	cpu0 := cpuTime()
	for b.Loop() {
		if _, _, err := idx.Query(ctx, Query{Features: q, K: 100, MaxRotationDeg: 33}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// cpuTime is the process's user+system time: on a shared machine wall time
// mostly measures the other processes.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
			cpu0 := cpuTime()
			for b.Loop() {
				c.fn()
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/1000/float64(b.N), "cpu-µs/op")
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
