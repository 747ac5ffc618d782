package surface_test

import (
	"fmt"
	"math"

	"github.com/tracemark/tracemark/internal/surface"
)

// A sine at the cut-off wavelength keeps half its amplitude, and the NaN
// hole stays a hole.
func ExampleGaussianLowPass() {
	const lambdaC, dx = 250.0, 6.25
	m := surface.New(400, 3, dx, dx)
	for r := 0; r < m.NY; r++ {
		for c := 0; c < m.NX; c++ {
			m.Set(c, r, math.Cos(2*math.Pi*float64(c)*dx/lambdaC))
		}
	}
	m.Set(10, 1, math.NaN())
	lp, err := surface.GaussianLowPass(m, lambdaC)
	if err != nil {
		panic(err)
	}
	// Column 200 lies on a crest (200·6.25 µm = 5 wavelengths).
	fmt.Printf("crest %.2f, hole NaN: %v\n", lp.At(200, 1), math.IsNaN(lp.At(10, 1)))
	// Output: crest 0.50, hole NaN: true
}

// Rotation by +90° turns the picture counter-clockwise with row 0 at the
// top: the right-hand column becomes the top row.
func ExampleRotate() {
	m := surface.New(3, 3, 1, 1)
	for i := range m.Z {
		m.Z[i] = float64(i)
	}
	r := surface.Rotate(nil, m, 90, surface.Bilinear)
	for row := 0; row < 3; row++ {
		fmt.Println(r.Z[row*3 : row*3+3])
	}
	// Output:
	// [2 5 8]
	// [1 4 7]
	// [0 3 6]
}

func ExampleMap_RemovePlane() {
	m := surface.New(4, 4, 2, 2)
	for r := 0; r < 4; r++ {
		for c := 0; c < 4; c++ {
			m.Set(c, r, 1+0.5*float64(c)*m.DX-0.25*float64(r)*m.DY)
		}
	}
	m.Set(3, 0, 100) // an outlier the median plane ignores
	_, p, err := m.RemovePlane(surface.Median)
	if err != nil {
		panic(err)
	}
	fmt.Printf("z = %.3f %+.3f·x %+.3f·y\n", p.A, p.B, p.C)
	// Output: z = 1.000 +0.500·x -0.250·y
}
