package surface

import "math"

// alpha2 is the constant of the second-order Gaussian regression filter:
// its interior transfer function is (1+u)·exp(−u) with u = π·(α₂·λc/λ)²,
// which is ½ at λ = λc for u* = −1 − W₋₁(−1/(2e)) ≈ 1.6783, so
// α₂ = √(u*/π) ≈ 0.7309 (Seewig 2005). Computed by Newton's method.
var alpha2 = func() float64 {
	u := 1.7
	for range 50 {
		f := (1+u)*math.Exp(-u) - 0.5
		df := -u * math.Exp(-u)
		u -= f / df
	}
	return math.Sqrt(u / math.Pi)
}()

// monomial is x^I·y^J.
type monomial struct{ I, J int }

// quadBasis is the basis of the local quadratic, constant term first.
var quadBasis = []monomial{{0, 0}, {1, 0}, {0, 1}, {2, 0}, {1, 1}, {0, 2}}

// regressionLowPass is the second-order Gaussian regression low-pass at
// cut-off lambda µm: at every valid point, the constant term of the
// weighted least-squares quadratic with weights G·w (G the ISO Gaussian
// with α₂, w the validity). NaN where m is NaN or where the valid weight
// share is below minWeight.
//
// The normal equations need the moments Σ G·w·tx^i·ty^j (i+j ≤ 4) and
// Σ G·w·z·tx^i·ty^j (i+j ≤ 2), with t the offset from the output point in
// units of σ. Each is a separable correlation: an x pass with kernel
// g(t)·t^i, then a y pass with g(t)·t^j.
func regressionLowPass(m *Map, lambda, minWeight float64) *Map {
	nx, ny := m.NX, m.NY
	out := &Map{NX: nx, NY: ny, DX: m.DX, DY: m.DY, X0: m.X0, Y0: m.Y0, Z: make([]float64, len(m.Z))}
	for i := range out.Z {
		out.Z[i] = math.NaN()
	}
	maxR := max(nx, ny)
	kx := momentKernels(lambda, m.DX, maxR)
	ky := momentKernels(lambda, m.DY, maxR)
	rx, ry := (len(kx[0])-1)/2, (len(ky[0])-1)/2

	lo, hi := make([]int, ny), make([]int, ny)
	w := make([]float64, len(m.Z))
	wz := make([]float64, len(m.Z))
	for r := 0; r < ny; r++ {
		lo[r], hi[r] = nx, -1
		for c := 0; c < nx; c++ {
			if v := m.Z[r*nx+c]; !math.IsNaN(v) {
				w[r*nx+c], wz[r*nx+c] = 1, v
				lo[r] = min(lo[r], c)
				hi[r] = c
			}
		}
	}
	// x passes: xw[i] = w ⋆ g·t^i (i ≤ 4), xz[i] = wz ⋆ g·t^i (i ≤ 2).
	xw := make([][]float64, 5)
	xz := make([][]float64, 3)
	for i := range xw {
		xw[i] = make([]float64, len(m.Z))
		if i < 3 {
			xz[i] = make([]float64, len(m.Z))
		}
	}
	for r := 0; r < ny; r++ {
		if lo[r] > hi[r] {
			continue
		}
		a, b := max(lo[r]-rx, 0), min(hi[r]+rx, nx-1)
		row := w[r*nx : (r+1)*nx]
		zrow := wz[r*nx : (r+1)*nx]
		for i := range xw {
			correlateRow(xw[i][r*nx:(r+1)*nx], row, kx[i], a, b)
			if i < 3 {
				correlateRow(xz[i][r*nx:(r+1)*nx], zrow, kx[i], a, b)
			}
		}
	}
	// y pass, row by row: W[i][j] = Σ_t ky[j](t)·xw[i](r+t), Z[i][j] likewise.
	type acc struct {
		src []float64 // x-pass result
		j   int       // y kernel power
		buf []float64 // row accumulator
	}
	var wAcc [5][5]*acc
	var zAcc [3][3]*acc
	var all []*acc
	for i := 0; i <= 4; i++ {
		for j := 0; i+j <= 4; j++ {
			wAcc[i][j] = &acc{src: xw[i], j: j, buf: make([]float64, nx)}
			all = append(all, wAcc[i][j])
		}
	}
	for i := 0; i <= 2; i++ {
		for j := 0; i+j <= 2; j++ {
			zAcc[i][j] = &acc{src: xz[i], j: j, buf: make([]float64, nx)}
			all = append(all, zAcc[i][j])
		}
	}
	var mat [6][6]float64
	var rhs [6]float64
	for t0 := 0; t0 < nx; t0 += yTile {
		t1 := min(t0+yTile, nx)
		for r := 0; r < ny; r++ {
			a, b := max(lo[r], t0), min(hi[r]+1, t1)
			if a >= b {
				continue
			}
			for _, ac := range all {
				k := ky[ac.j]
				dst := ac.buf[a:b]
				src := ac.src[r*nx+a : r*nx+b]
				for c := range dst {
					dst[c] = k[ry] * src[c]
				}
				for t := 1; t <= ry; t++ {
					up, dn := r-t, r+t
					// k[ry−t] = ±k[ry+t]: odd powers are antisymmetric.
					kp, km := k[ry+t], k[ry-t]
					switch {
					case up >= 0 && dn < ny && ac.j%2 == 0:
						axpy2(dst, kp, ac.src[up*nx+a:up*nx+b], ac.src[dn*nx+a:dn*nx+b])
					case up >= 0 && dn < ny:
						axpyDiff(dst, kp, ac.src[dn*nx+a:dn*nx+b], ac.src[up*nx+a:up*nx+b])
					case up >= 0:
						axpy(dst, km, ac.src[up*nx+a:up*nx+b])
					case dn < ny:
						axpy(dst, kp, ac.src[dn*nx+a:dn*nx+b])
					}
				}
			}
			o := out.Z[r*nx : (r+1)*nx]
			for c := a; c < b; c++ {
				if math.IsNaN(m.Z[r*nx+c]) {
					continue
				}
				w00 := wAcc[0][0].buf[c]
				if w00 < minWeight || w00 <= 0 {
					continue
				}
				for p, bp := range quadBasis {
					for q, bq := range quadBasis {
						mat[p][q] = wAcc[bp.I+bq.I][bp.J+bq.J].buf[c]
					}
					rhs[p] = zAcc[bp.I][bp.J].buf[c]
				}
				if v, ok := constantTerm(&mat, &rhs); ok {
					o[c] = v
				} else {
					o[c] = rhs[0] / w00
				}
			}
		}
	}
	return out
}

// momentKernels returns the full kernels g(t)·(t/σ)^i, i = 0…4, t = −R…R
// points, of the ISO Gaussian with α₂ at cut-off lambda µm sampled every d
// µm; g sums to 1, so moment 0 of the validity is the valid weight share.
// R = ceil(4σ): the fourth moments weigh the tails, and at 3σ the
// transmission at λc would be 0.543 instead of 0.502. R is at most maxR
// (see kernelRadius).
func momentKernels(lambda, d float64, maxR int) [5][]float64 {
	al := alpha2 * lambda
	sigma := al / math.Sqrt(2*math.Pi) / d
	r := kernelRadius(4*sigma, maxR)
	var ks [5][]float64
	g := make([]float64, 2*r+1)
	sum := 0.0
	for t := -r; t <= r; t++ {
		x := float64(t) * d / al
		g[t+r] = math.Exp(-math.Pi * x * x)
		sum += g[t+r]
	}
	for i := range ks {
		ks[i] = make([]float64, 2*r+1)
		for t := -r; t <= r; t++ {
			ks[i][t+r] = g[t+r] / sum * math.Pow(float64(t)/sigma, float64(i))
		}
	}
	return ks
}

// axpyDiff adds a·(x1−x2) to y.
func axpyDiff(y []float64, a float64, x1, x2 []float64) {
	x1, x2 = x1[:len(y)], x2[:len(y)]
	for i := range y {
		y[i] += a * (x1[i] - x2[i])
	}
}

// correlateRow writes Σ_t k[t+R]·src[c+t] (src zero outside) into dst[a..b].
func correlateRow(dst, src, k []float64, a, b int) {
	n, r := len(src), (len(k)-1)/2
	for c := a; c <= b; c++ {
		t0, t1 := max(-r, -c), min(r, n-1-c)
		s := 0.0
		win := src[c+t0 : c+t1+1]
		kk := k[t0+r : t1+r+1]
		for t, v := range win {
			s += kk[t] * v
		}
		dst[c] = s
	}
}

// constantTerm solves the 6×6 symmetric system mat·β = rhs by Cholesky
// decomposition and returns β₀. It reports false when mat is not safely
// positive definite (a pivot below 1e-9 of its diagonal entry), i.e. the
// valid points nearby do not determine a quadratic.
func constantTerm(mat *[6][6]float64, rhs *[6]float64) (float64, bool) {
	const n = 6
	var l [n][n]float64
	for j := 0; j < n; j++ {
		d := mat[j][j]
		for k := 0; k < j; k++ {
			d -= l[j][k] * l[j][k]
		}
		if !(d > 1e-9*mat[j][j]) {
			return 0, false
		}
		l[j][j] = math.Sqrt(d)
		for i := j + 1; i < n; i++ {
			s := mat[i][j]
			for k := 0; k < j; k++ {
				s -= l[i][k] * l[j][k]
			}
			l[i][j] = s / l[j][j]
		}
	}
	var y, x [n]float64
	for i := 0; i < n; i++ {
		s := rhs[i]
		for k := 0; k < i; k++ {
			s -= l[i][k] * y[k]
		}
		y[i] = s / l[i][i]
	}
	for i := n - 1; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < n; k++ {
			s -= l[k][i] * x[k]
		}
		x[i] = s / l[i][i]
	}
	return x[0], true
}
