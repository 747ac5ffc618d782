package bullet

import "math"

// loessOptions controls the local regression smoother.
type loessOptions struct {
	// span is the share of the valid points in each local neighbourhood
	// (R's loess `span`, 0 < span ≤ 1; larger values widen the tricube
	// kernel beyond the data as R does).
	span float64
	// interpolate fits only at vertices spaced a twentieth of the neighbourhood
	// apart and joins them with cubic Hermite segments using the fitted
	// slopes, as R's default surface = "interpolate" does. It turns the cost
	// from O(n·q) into O(20·n/q) fits of q points each.
	interpolate bool
}

// loess smooths y(x) by local quadratic regression with tricube weights
// (Cleveland 1979; R's loess with degree 2, family "gaussian").
//
// x must be strictly increasing (positions in µm); y may hold NaN, which are
// left out of the fits. The result has one value per x: the local fit at
// that position, also where y is NaN, and NaN outside the range of the valid
// points or when fewer than 3 points are valid. dst is reused when it has the
// right length.
func loess(dst, x, y []float64, o loessOptions) []float64 {
	if len(dst) != len(x) {
		dst = make([]float64, len(x))
	}
	vx := make([]float64, 0, len(x))
	vy := make([]float64, 0, len(x))
	for i, v := range y {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			vx = append(vx, x[i])
			vy = append(vy, v)
		}
	}
	n := len(vx)
	for i := range dst {
		dst[i] = math.NaN()
	}
	if n < 3 {
		return dst
	}
	q := int(math.Floor(float64(n) * o.span))
	if q < 3 {
		q = 3
	}
	widen := 1.0
	if q > n {
		widen = o.span // R widens the largest distance by span^(1/p), p = 1
		q = n
	}
	f := localFitter{x: vx, y: vy, q: q, widen: widen}

	step := q / 20
	if !o.interpolate || step < 2 {
		for i, x0 := range x {
			if x0 < vx[0] || x0 > vx[n-1] {
				continue
			}
			dst[i], _ = f.fit(x0)
		}
		return dst
	}
	// Vertices at every step-th valid point plus the last one.
	var vert []int
	for i := 0; i < n-1; i += step {
		vert = append(vert, i)
	}
	vert = append(vert, n-1)
	vval := make([]float64, len(vert))
	vslope := make([]float64, len(vert))
	for k, i := range vert {
		vval[k], vslope[k] = f.fit(vx[i])
	}
	k := 0
	for i, x0 := range x {
		if x0 < vx[0] || x0 > vx[n-1] {
			continue
		}
		for k < len(vert)-2 && x0 > vx[vert[k+1]] {
			k++
		}
		x1, x2 := vx[vert[k]], vx[vert[k+1]]
		dst[i] = hermite(x0, x1, x2, vval[k], vval[k+1], vslope[k], vslope[k+1])
	}
	return dst
}

// hermite evaluates the cubic through (x1,y1) and (x2,y2) with slopes d1, d2.
func hermite(x, x1, x2, y1, y2, d1, d2 float64) float64 {
	h := x2 - x1
	t := (x - x1) / h
	t2, t3 := t*t, t*t*t
	return (2*t3-3*t2+1)*y1 + (t3-2*t2+t)*h*d1 + (-2*t3+3*t2)*y2 + (t3-t2)*h*d2
}

// localFitter fits weighted quadratics to the q nearest of the sorted points.
type localFitter struct {
	x, y  []float64
	q     int
	widen float64
	lo    int // start of the last neighbourhood; queries mostly increase
}

// fit returns the local quadratic's value and slope at x0.
func (f *localFitter) fit(x0 float64) (value, slope float64) {
	n, q := len(f.x), f.q
	// Slide the window [lo, lo+q) to the q nearest points of x0.
	lo := f.lo
	if lo+q > n {
		lo = n - q
	}
	for lo > 0 && x0-f.x[lo-1] < f.x[lo+q-1]-x0 {
		lo--
	}
	for lo+q < n && f.x[lo+q]-x0 < x0-f.x[lo] {
		lo++
	}
	f.lo = lo
	h := math.Max(x0-f.x[lo], f.x[lo+q-1]-x0) * f.widen
	if h <= 0 {
		return f.y[lo], 0
	}
	// R's lowesd nudges the bandwidth so the q-th point keeps a tiny weight.
	h *= 1 + 1e-7
	var s0, s1, s2, s3, s4, t0, t1, t2 float64
	for i := lo; i < lo+q; i++ {
		u := (f.x[i] - x0) / h
		a := math.Abs(u)
		if a >= 1 {
			continue
		}
		c := 1 - a*a*a
		w := c * c * c
		yi := f.y[i]
		wu := w * u
		wu2 := wu * u
		s0 += w
		s1 += wu
		s2 += wu2
		s3 += wu2 * u
		s4 += wu2 * u * u
		t0 += w * yi
		t1 += wu * yi
		t2 += wu2 * yi
	}
	// Solve the 3×3 normal equations of y ≈ b0 + b1·u + b2·u² by Cramer's
	// rule; fall back to a local line, then a weighted mean, when the
	// neighbourhood is too degenerate for a quadratic.
	det := s0*(s2*s4-s3*s3) - s1*(s1*s4-s3*s2) + s2*(s1*s3-s2*s2)
	scale := s0 * s2 * s4
	if scale > 0 && math.Abs(det) > 1e-12*scale {
		b0 := (t0*(s2*s4-s3*s3) - s1*(t1*s4-s3*t2) + s2*(t1*s3-s2*t2)) / det
		b1 := (s0*(t1*s4-t2*s3) - t0*(s1*s4-s3*s2) + s2*(s1*t2-t1*s2)) / det
		return b0, b1 / h
	}
	det2 := s0*s2 - s1*s1
	if s0 > 0 && math.Abs(det2) > 1e-12*s0*s2 {
		b0 := (t0*s2 - s1*t1) / det2
		b1 := (s0*t1 - s1*t0) / det2
		return b0, b1 / h
	}
	if s0 > 0 {
		return t0 / s0, 0
	}
	return f.y[lo], 0
}
