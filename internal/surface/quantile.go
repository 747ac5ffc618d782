package surface

import "math"

// quantileIPM solves the tau-quantile regression of z on (1, u, v) exactly
// (to a relative duality gap of 1e-12) by a primal-dual interior-point
// method with Mehrotra's predictor-corrector on the dual linear program
//
//	max zᵀa  subject to  Xᵀa = (1−τ)·Xᵀ1,  0 ≤ a ≤ 1,
//
// the formulation of Koenker and Portnoy's Frisch–Newton solver that
// quantreg (and so cmcR) uses. The coefficients are minus the multipliers of
// the equality constraints. Each iteration costs a few passes over the
// points and a 3×3 solve; it needs 15–40 iterations whatever the number of
// points. start is the least-squares fit, scale its mean absolute residual
// (> 0). It reports false if it does not converge in 100 iterations.
func (p *planePoints) quantileIPM(tau float64, start [3]float64, scale float64) ([3]float64, bool) {
	n := len(p.z)
	x := make([]float64, n) // a: primal variables, 0 < a < 1
	s := make([]float64, n) // 1 − a
	zd := make([]float64, n)
	wd := make([]float64, n)
	dx := make([]float64, n)
	dz := make([]float64, n)
	dw := make([]float64, n)
	rho := make([]float64, n)
	theta := make([]float64, n)
	// b = (1−τ)·Xᵀ1.
	var b [3]float64
	for i := range p.z {
		b[0] += 1 - tau
		b[1] += (1 - tau) * p.u[i]
		b[2] += (1 - tau) * p.v[i]
	}
	// Start: a = 1−τ (primal feasible), multipliers −β_LS, dual slacks
	// z − w = −r (dual feasible) shifted by scale to be interior.
	y := [3]float64{-start[0], -start[1], -start[2]}
	for i := range p.z {
		x[i], s[i] = 1-tau, tau
		r := p.residual(start, i)
		zd[i] = max(-r, 0) + scale
		wd[i] = max(r, 0) + scale
	}
	affZ := make([]float64, n) // dx·dz of the predictor
	affW := make([]float64, n) // ds·dw of the predictor

	// direction solves the Newton system with complementarity targets
	// cz = μ − x·z − affZ and cw = μ − s·w − affW (predictor: μ = 0 and no
	// second-order terms) and returns dy; dx, dz, dw are written in place.
	direction := func(mu float64, corrector bool) ([3]float64, bool) {
		rp := b
		var m00, m01, m02, m11, m12, m22, h0, h1, h2 float64
		for i, zi := range p.z {
			u, v := p.u[i], p.v[i]
			rp[0] -= x[i]
			rp[1] -= x[i] * u
			rp[2] -= x[i] * v
			cz, cw := mu-x[i]*zd[i], mu-s[i]*wd[i]
			if corrector {
				cz -= affZ[i]
				cw -= affW[i]
			}
			// Dual residual c − Aᵀy − z + w with c = −z_obs.
			rd := -zi - y[0] - y[1]*u - y[2]*v - zd[i] + wd[i]
			r := rd - cz/x[i] + cw/s[i]
			t := 1 / (zd[i]/x[i] + wd[i]/s[i])
			rho[i], theta[i] = r, t
			tu, tv := t*u, t*v
			m00 += t
			m01 += tu
			m02 += tv
			m11 += tu * u
			m12 += tu * v
			m22 += tv * v
			h0 += t * r
			h1 += tu * r
			h2 += tv * r
		}
		dy, err := solve3([3][3]float64{{m00, m01, m02}, {m01, m11, m12}, {m02, m12, m22}},
			[3]float64{h0 + rp[0], h1 + rp[1], h2 + rp[2]})
		if err != nil {
			return dy, false
		}
		for i := range p.z {
			cz, cw := mu-x[i]*zd[i], mu-s[i]*wd[i]
			if corrector {
				cz -= affZ[i]
				cw -= affW[i]
			}
			d := theta[i] * (dy[0] + dy[1]*p.u[i] + dy[2]*p.v[i] - rho[i])
			dx[i] = d
			dz[i] = (cz - zd[i]*d) / x[i]
			dw[i] = (cw + wd[i]*d) / s[i]
		}
		return dy, true
	}
	// steps returns the largest primal and dual step lengths ≤ 1 that keep
	// x, s, z, w positive, times 0.99995.
	steps := func() (ap, ad float64) {
		ap, ad = 1, 1
		for i := range p.z {
			if d := dx[i]; d < 0 {
				ap = min(ap, -x[i]/d)
			} else if d > 0 {
				ap = min(ap, s[i]/d)
			}
			if d := dz[i]; d < 0 {
				ad = min(ad, -zd[i]/d)
			}
			if d := dw[i]; d < 0 {
				ad = min(ad, -wd[i]/d)
			}
		}
		return min(1, 0.99995*ap), min(1, 0.99995*ad)
	}

	for iter := 0; iter < 100; iter++ {
		gap := 0.0
		for i := range p.z {
			gap += x[i]*zd[i] + s[i]*wd[i]
		}
		if gap < 1e-12*float64(n)*scale {
			return [3]float64{-y[0], -y[1], -y[2]}, true
		}
		// Predictor (affine scaling).
		if _, ok := direction(0, false); !ok {
			return [3]float64{}, false
		}
		ap, ad := steps()
		gapAff := 0.0
		for i := range p.z {
			ds := -dx[i]
			gapAff += (x[i]+ap*dx[i])*(zd[i]+ad*dz[i]) + (s[i]+ap*ds)*(wd[i]+ad*dw[i])
			affZ[i] = dx[i] * dz[i]
			affW[i] = ds * dw[i]
		}
		sigma := math.Pow(gapAff/gap, 3)
		// Corrector with centring and the second-order terms.
		dy, ok := direction(sigma*gap/float64(2*n), true)
		if !ok {
			return [3]float64{}, false
		}
		ap, ad = steps()
		for i := range p.z {
			x[i] += ap * dx[i]
			s[i] -= ap * dx[i]
			zd[i] += ad * dz[i]
			wd[i] += ad * dw[i]
		}
		for a := range y {
			y[a] += ad * dy[a]
		}
	}
	return [3]float64{}, false
}
