package fft

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tracemark/tracemark/internal/procstat"
)

// loop runs f b.N times and also reports the process CPU time per
// operation ("cpu-ns/op"): on this shared machine wall time depends on the
// other processes' load, CPU time much less (run with -cpu 1).
func loop(b *testing.B, f func()) {
	start := procstat.SelfCPU()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	b.ReportMetric(float64(procstat.SelfCPU()-start)/float64(n), "cpu-ns/op")
}

type plan2D interface {
	Forward(dst []complex128, src []float64) []complex128
	Inverse(dst []float64, spec []complex128) []float64
}

var benchSizes = []int{240, 256, 270, 288, 512, 576, 1024}

func benchPlans(n int) map[string]plan2D {
	return map[string]plan2D{"own": NewPlan2D(n, n), "own-sse2": noAVX(NewPlan2D(n, n)), "own-go": pureGo(NewPlan2D(n, n)), "gonum": newGonumPlan2D(n, n)}
}

// noAVX switches p to the SSE2 butterflies.
func noAVX(p *Plan2D) *Plan2D {
	for _, c := range []*cplan{p.row.c, p.col} {
		for k := range c.passes {
			c.passes[k].avx = false
		}
	}
	return p
}

// pureGo switches p to the Go butterflies (no assembly).
func pureGo(p *Plan2D) *Plan2D {
	for _, c := range []*cplan{p.row.c, p.col} {
		for k := range c.passes {
			c.passes[k].asm = false
		}
	}
	return p
}

var benchImpls = []string{"own", "own-sse2", "own-go", "gonum"}

func randReal(n int) []float64 {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

// The 2D benchmarks run four implementations: own (this package as built),
// own-sse2 (assembly without AVX), own-go (Go butterflies, as with -tags
// purego or off amd64) and gonum (the reference in gonum_test.go).

// BenchmarkForward2D: one real-input forward transform of n×n.
func BenchmarkForward2D(b *testing.B) {
	for _, n := range benchSizes {
		for _, impl := range benchImpls {
			b.Run(fmt.Sprintf("%d/%s", n, impl), func(b *testing.B) {
				p := benchPlans(n)[impl]
				x := randReal(n * n)
				spec := make([]complex128, n*(n/2+1))
				loop(b, func() {
					p.Forward(spec, x)
				})
			})
		}
	}
}

// BenchmarkInverse2D: one inverse transform of n×n.
func BenchmarkInverse2D(b *testing.B) {
	for _, n := range benchSizes {
		for _, impl := range benchImpls {
			b.Run(fmt.Sprintf("%d/%s", n, impl), func(b *testing.B) {
				p := benchPlans(n)[impl]
				x := randReal(n * n)
				spec := p.Forward(make([]complex128, n*(n/2+1)), x)
				work := make([]complex128, len(spec))
				loop(b, func() {
					copy(work, spec)
					p.Inverse(x, work)
				})
			})
		}
	}
}

// BenchmarkCorrelation2D: circular cross-correlation of two n×n arrays (two
// forward transforms, conjugate multiply, one inverse).
func BenchmarkCorrelation2D(b *testing.B) {
	for _, n := range benchSizes {
		for _, impl := range benchImpls {
			b.Run(fmt.Sprintf("%d/%s", n, impl), func(b *testing.B) {
				p := benchPlans(n)[impl]
				x, y := randReal(n*n), randReal(n*n + 1)[1:]
				sx := make([]complex128, n*(n/2+1))
				sy := make([]complex128, n*(n/2+1))
				out := make([]float64, n*n)
				loop(b, func() {
					p.Forward(sx, x)
					p.Forward(sy, y)
					for i, v := range sy {
						sx[i] = v * complex(real(sx[i]), -imag(sx[i]))
					}
					p.Inverse(out, sx)
				})
			})
		}
	}
}

// BenchmarkCellCorrelation: one cartridge cell (68×68) against its region
// (204×204) with a cached template, as the cartridge engine calls it per
// cell and angle.
func BenchmarkCellCorrelation(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, bc := range []struct {
		name string
		g    Geometry
	}{
		{"full", Geometry{TemplateRows: 68, TemplateCols: 68, RegionRows: 204, RegionCols: 204}},
		{"shift102", Geometry{TemplateRows: 68, TemplateCols: 68, RegionRows: 204, RegionCols: 204, MaxShiftX: 102, MaxShiftY: 102}},
		{"shift67", Geometry{TemplateRows: 68, TemplateCols: 68, RegionRows: 204, RegionCols: 204, MaxShiftX: 67, MaxShiftY: 67}},
	} {
		c, err := NewCrossCorrelator(bc.g)
		if err != nil {
			b.Fatal(err)
		}
		// Missing points as in processed scans: a few isolated ones and a
		// large hole (firing pin, scan border) in the region.
		tm := randField(rng, 68, 68, 0.01)
		rg := randField(rng, 204, 204, 0.01)
		for i := range 204 {
			for j := range 204 {
				if (i-40)*(i-40)+(j-150)*(j-150) < 60*60 {
					rg[i*204+j] = math.NaN()
				}
			}
		}
		var m Map
		b.Run(bc.name+"/zero-filled", func(b *testing.B) {
			tt, _ := c.PrepareTemplate(nil, tm, ModeZeroFilled)
			loop(b, func() {
				if _, err := c.ZeroFilledCCF(&m, tt, rg); err != nil {
					b.Fatal(err)
				}
			})
		})
		tmFull := randField(rng, 68, 68, 0)
		rgFull := randField(rng, 204, 204, 0)
		for _, mc := range []struct {
			name   string
			tm, rg []float64
		}{{"masked", tm, rg}, {"masked-complete-cell", tmFull, rg}, {"masked-complete", tmFull, rgFull}} {
			b.Run(bc.name+"/"+mc.name, func(b *testing.B) {
				tt, _ := c.PrepareTemplate(nil, mc.tm, ModeMasked)
				loop(b, func() {
					if _, err := c.MaskedNCC(&m, tt, mc.rg, 700); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

// BenchmarkAlign: one bullet land pair's signature alignment with the
// bulletxtrctr overlap rule (0.75 × the shorter length).
func BenchmarkAlign(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{500, 1500, 3000} {
		for _, nan := range []float64{0, 0.02} {
			x := randSignal(rng, n, nan)
			y := randSignal(rng, n*9/10, nan)
			a := NewAligner()
			b.Run(fmt.Sprintf("n%d/nan%g", n, nan), func(b *testing.B) {
				loop(b, func() {
					a.Align(x, y, 10, (len(y)*3+2)/4)
				})
			})
		}
	}
}
