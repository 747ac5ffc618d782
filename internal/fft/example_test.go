package fft_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tracemark/tracemark/internal/fft"
)

// A cell cut from a region at shift (7, -4) is found there by the masked
// NCC, with correlation 1, despite a missing pixel in the cell.
func ExampleCrossCorrelator() {
	rng := rand.New(rand.NewPCG(1, 2))
	g := fft.Geometry{TemplateRows: 16, TemplateCols: 16, RegionRows: 48, RegionCols: 48}
	region := make([]float64, g.RegionRows*g.RegionCols)
	for i := range region {
		region[i] = rng.NormFloat64()
	}
	oy, ox := g.Origin(7, -4) // region pixel under the cell's top-left pixel
	cell := make([]float64, g.TemplateRows*g.TemplateCols)
	for i := range g.TemplateRows {
		for j := range g.TemplateCols {
			cell[i*g.TemplateCols+j] = region[(i+oy)*g.RegionCols+j+ox]
		}
	}
	cell[5] = math.NaN()

	cc, err := fft.NewCrossCorrelator(g)
	if err != nil {
		panic(err)
	}
	tmpl, err := cc.PrepareTemplate(nil, cell, fft.ModeMasked) // reuse for many regions
	if err != nil {
		panic(err)
	}
	m, err := cc.MaskedNCC(nil, tmpl, region, 100)
	if err != nil {
		panic(err)
	}
	dx, dy, v, ok := m.ArgMax()
	fmt.Printf("shift (%d, %d), correlation %.6f, ok %v\n", dx, dy, v, ok)
	// Output: shift (7, -4), correlation 1.000000, ok true
}

// Two signatures that agree when y is moved 25 samples along x.
func ExampleAligner() {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 600)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	y := make([]float64, 500)
	for j := range y {
		y[j] = x[j+25] + 0.05*rng.NormFloat64()
	}
	y[0], y[1] = math.NaN(), math.NaN()
	a := fft.NewAligner()
	res := a.Align(x, y, 10, len(y)*3/4) // bulletxtrctr: overlap ≥ 0.75 × shorter
	fmt.Printf("lag %d, correlation %.2f, %d pairs\n", res.Lag, res.Corr, res.Pairs)
	// Output: lag 25, correlation 1.00, 498 pairs
}
