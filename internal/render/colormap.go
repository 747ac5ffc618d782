package render

import "math"

// viridis returns the viridis colour (matplotlib's perceptually uniform map,
// CC0) at t ∈ [0, 1] as linear 0–1 RGB, from Matt Zucker's degree-6
// polynomial fit (max error about 1/255 per channel).
func viridis(t float64) (r, g, b float64) {
	t = math.Max(0, math.Min(1, t))
	poly := func(c [7]float64) float64 {
		v := c[6]
		for i := 5; i >= 0; i-- {
			v = v*t + c[i]
		}
		return math.Max(0, math.Min(1, v))
	}
	return poly(viridisR), poly(viridisG), poly(viridisB)
}

var (
	viridisR = [7]float64{0.2777273272234177, 0.1050930431085774, -0.3308618287255563, -4.634230498983486, 6.228269936347081, 4.776384997670288, -5.435455855934631}
	viridisG = [7]float64{0.005407344544966578, 1.404613529898575, 0.214847559468213, -5.799100973351585, 14.17993336680509, -13.74514537774601, 4.645852612178535}
	viridisB = [7]float64{0.3340998053353061, 1.384590162594685, 0.09509516302823659, -19.33244095627987, 56.69055260068105, -65.35303263337234, 26.3124352495832}
)
