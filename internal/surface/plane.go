package surface

import (
	"errors"
	"fmt"
	"math"
)

// Plane is z = A + B·x + C·y with x = X0 + col·DX and y = Y0 + row·DY in µm
// (the map's own coordinates), so A is in µm and B, C are slopes (µm/µm).
type Plane struct{ A, B, C float64 }

// At returns the plane's height at x, y µm.
func (p Plane) At(x, y float64) float64 { return p.A + p.B*x + p.C*y }

// ErrTooFewPoints is returned by the plane fits when the valid points do not
// determine a plane (fewer than three, or all on one line).
var ErrTooFewPoints = errors.New("surface: valid points do not determine a plane (fewer than 3, or collinear)")

// FitPlane returns the least-squares plane through the valid points of m
// (NaN points are ignored). It fails with ErrTooFewPoints when they do not
// determine a plane.
func (m *Map) FitPlane() (Plane, error) {
	pts := m.planePoints()
	q, err := pts.solve()
	if err != nil {
		return Plane{}, err
	}
	return pts.plane(q), nil
}

// FitPlaneQuantile returns the plane of the tau-quantile regression of the
// valid heights on x and y (tau = 0.5: the least-absolute-deviations, or
// median, plane, the robust de-trending of cmcR's preProcess_removeTrend).
// It minimises Σ ρτ(z − plane) with ρτ(r) = r·(τ − [r<0]) exactly, to a
// relative duality gap of 1e-12, with a Frisch–Newton interior-point method
// (the algorithm of quantreg's "fn" method, which cmcR calls) started from
// the least-squares plane. Should that fail to converge it falls back to
// iteratively reweighted least squares (see quantileIRLS). NaN points are
// ignored. tau must lie in (0, 1).
func (m *Map) FitPlaneQuantile(tau float64) (Plane, error) {
	if !(tau > 0 && tau < 1) {
		return Plane{}, fmt.Errorf("surface: plane quantile %g, want 0 < tau < 1", tau)
	}
	pts := m.planePoints()
	q, err := pts.solve()
	if err != nil {
		return Plane{}, err
	}
	scale := 0.0
	for i := range pts.z {
		scale += math.Abs(pts.residual(q, i))
	}
	scale /= float64(len(pts.z))
	if scale == 0 {
		return pts.plane(q), nil // every point is on the plane
	}
	if exact, ok := pts.quantileIPM(tau, q, scale); ok {
		return pts.plane(exact), nil
	}
	q, err = pts.quantileIRLS(tau, q, scale)
	if err != nil {
		return Plane{}, err
	}
	return pts.plane(q), nil
}

// quantileIRLS approximates the tau-quantile regression by iteratively
// reweighted least squares from start (scale: its mean absolute residual):
// weights τ/|r| above the plane and (1−τ)/|r| below, |r| floored at 1e-6 of
// scale, until the fitted heights change by less than 1e-9 of scale or 200
// iterations have run. IRLS converges linearly; on 545×545 synthetic scans
// the plane after 200 iterations is within 1e-4 of scale (sub-nanometre) of
// the exact one.
func (p *planePoints) quantileIRLS(tau float64, start [3]float64, scale float64) ([3]float64, error) {
	q := start
	floor, tol := 1e-6*scale, 1e-9*scale
	for iter := 0; iter < 200; iter++ {
		next, err := p.solveQuantileStep(q, tau, floor)
		if err != nil {
			return q, err
		}
		// Largest change of the fitted height over the points' extent.
		change := math.Abs(next[0]-q[0]) + math.Abs(next[1]-q[1])*p.ux + math.Abs(next[2]-q[2])*p.uy
		q = next
		if change < tol {
			break
		}
	}
	return q, nil
}

// SubtractPlane returns m minus the plane p (NaN stays NaN); m is not changed.
func (m *Map) SubtractPlane(p Plane) *Map {
	out := &Map{NX: m.NX, NY: m.NY, DX: m.DX, DY: m.DY, X0: m.X0, Y0: m.Y0, Z: make([]float64, len(m.Z))}
	for r := 0; r < m.NY; r++ {
		y := m.Y0 + float64(r)*m.DY
		for c := 0; c < m.NX; c++ {
			i := r*m.NX + c
			out.Z[i] = m.Z[i] - p.At(m.X0+float64(c)*m.DX, y)
		}
	}
	return out
}

// PlaneFit selects the estimator RemovePlane uses.
type PlaneFit int

const (
	// LeastSquares fits the plane minimising the squared residuals.
	LeastSquares PlaneFit = iota
	// Median fits the least-absolute-deviations (τ = 0.5 quantile) plane,
	// robust to outliers and to large one-sided features.
	Median
)

// RemovePlane fits a plane to the valid points of m with the chosen
// estimator and returns m minus it, together with the plane. NaN stays NaN;
// m is not changed.
func (m *Map) RemovePlane(fit PlaneFit) (*Map, Plane, error) {
	var p Plane
	var err error
	switch fit {
	case LeastSquares:
		p, err = m.FitPlane()
	case Median:
		p, err = m.FitPlaneQuantile(0.5)
	default:
		err = fmt.Errorf("surface: unknown plane fit %d", fit)
	}
	if err != nil {
		return nil, Plane{}, err
	}
	return m.SubtractPlane(p), p, nil
}

// planePoints holds the valid points with centred, scaled coordinates
// u = (x − cx)/ux, v = (y − cy)/uy so the normal equations are well
// conditioned whatever the origin and extent.
type planePoints struct {
	u, v, z        []float64
	cx, cy, ux, uy float64
}

func (m *Map) planePoints() *planePoints {
	n := m.ValidCount()
	p := &planePoints{u: make([]float64, 0, n), v: make([]float64, 0, n), z: make([]float64, 0, n)}
	p.cx = m.X0 + float64(m.NX-1)*m.DX/2
	p.cy = m.Y0 + float64(m.NY-1)*m.DY/2
	p.ux = max(float64(m.NX-1)*m.DX/2, m.DX)
	p.uy = max(float64(m.NY-1)*m.DY/2, m.DY)
	for r := 0; r < m.NY; r++ {
		v := (m.Y0 + float64(r)*m.DY - p.cy) / p.uy
		for c := 0; c < m.NX; c++ {
			if z := m.Z[r*m.NX+c]; !math.IsNaN(z) {
				p.u = append(p.u, (m.X0+float64(c)*m.DX-p.cx)/p.ux)
				p.v = append(p.v, v)
				p.z = append(p.z, z)
			}
		}
	}
	return p
}

// residual returns z − (q0 + q1·u + q2·v) at point i.
func (p *planePoints) residual(q [3]float64, i int) float64 {
	return p.z[i] - q[0] - q[1]*p.u[i] - q[2]*p.v[i]
}

// plane converts coefficients in (u, v) to a Plane in map coordinates.
func (p *planePoints) plane(q [3]float64) Plane {
	b, c := q[1]/p.ux, q[2]/p.uy
	return Plane{A: q[0] - b*p.cx - c*p.cy, B: b, C: c}
}

// solve returns the least-squares coefficients.
func (p *planePoints) solve() ([3]float64, error) {
	return p.weightedSolve([3]float64{}, 0, 0)
}

// solveQuantileStep returns the next IRLS iterate of the tau-quantile fit
// from coefficients q: weights τ/|r| above the plane, (1−τ)/|r| below, |r|
// floored at floor.
func (p *planePoints) solveQuantileStep(q [3]float64, tau, floor float64) ([3]float64, error) {
	return p.weightedSolve(q, tau, floor)
}

// weightedSolve returns the least-squares coefficients in one pass, with
// unit weights when tau is 0 and otherwise the quantile IRLS weights for
// residuals from the plane q (see solveQuantileStep). Scalar accumulators
// keep the loop in registers.
func (p *planePoints) weightedSolve(q [3]float64, tau, floor float64) ([3]float64, error) {
	if len(p.z) < 3 {
		return [3]float64{}, ErrTooFewPoints
	}
	var s00, s01, s02, s11, s12, s22, t0, t1, t2 float64
	us, vs := p.u[:len(p.z)], p.v[:len(p.z)]
	q0, q1, q2 := q[0], q[1], q[2]
	for i, z := range p.z {
		u, v := us[i], vs[i]
		wi := 1.0
		if tau != 0 {
			if r := z - q0 - q1*u - q2*v; r >= 0 {
				wi = tau / max(r, floor)
			} else {
				wi = (1 - tau) / max(-r, floor)
			}
		}
		wu, wv := wi*u, wi*v
		s00 += wi
		s01 += wu
		s02 += wv
		s11 += wu * u
		s12 += wu * v
		s22 += wv * v
		t0 += wi * z
		t1 += wu * z
		t2 += wv * z
	}
	return solve3([3][3]float64{{s00, s01, s02}, {s01, s11, s12}, {s02, s12, s22}}, [3]float64{t0, t1, t2})
}

// solve3 solves the symmetric 3×3 system s·q = t by Cramer's rule, failing
// when s is (nearly) singular relative to its scale.
func solve3(s [3][3]float64, t [3]float64) ([3]float64, error) {
	det := func(a [3][3]float64) float64 {
		return a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) -
			a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) +
			a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
	}
	d := det(s)
	if !(math.Abs(d) > 1e-12*s[0][0]*s[1][1]*s[2][2]) {
		return [3]float64{}, ErrTooFewPoints
	}
	var q [3]float64
	for k := 0; k < 3; k++ {
		a := s
		for r := 0; r < 3; r++ {
			a[r][k] = t[r]
		}
		q[k] = det(a) / d
	}
	return q, nil
}
