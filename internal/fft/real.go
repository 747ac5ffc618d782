package fft

// rplan is a real-input FFT of length n on V interleaved rows. An even n is
// computed as a complex FFT of length n/2 (even samples real, odd samples
// imaginary) and a split step; an odd n as a complex FFT of length n.
type rplan struct {
	n, m int
	c    *cplan
	w    []complex128 // e^{-2πik/n}, k ≤ m (even n)
	wInv []float64    // per k < m: (re, -re, im, im) of w[k], for invSplitAVX
	wFwd []float64    // per k < m: (re, re, -im, im) of w[k], for fwdSplitAVX
	avx  bool         // inverse split step by invSplitAVX (even row counts)
}

func newRplan(n int) *rplan {
	p := &rplan{n: n}
	if n%2 == 0 && n >= 2 {
		p.m = n / 2
		p.c = newCplan(p.m)
		p.w = make([]complex128, p.m+1)
		for k := range p.w {
			p.w[k] = expi(-2 * 3.14159265358979323846264338327950288 * float64(k) / float64(n))
		}
		p.avx = haveAVX
		if p.avx {
			p.wInv = make([]float64, 4*p.m)
			p.wFwd = make([]float64, 4*p.m)
			for k := range p.m {
				w := p.w[k]
				p.wInv[4*k], p.wInv[4*k+1], p.wInv[4*k+2], p.wInv[4*k+3] = real(w), -real(w), imag(w), imag(w)
				p.wFwd[4*k], p.wFwd[4*k+1], p.wFwd[4*k+2], p.wFwd[4*k+3] = real(w), real(w), -imag(w), imag(w)
			}
		}
	} else {
		p.c = newCplan(n)
	}
	return p
}

// clen is the length of the complex transform used.
func (p *rplan) clen() int { return p.c.n }

// forwardRows writes the n/2+1 coefficients of each of the V rows of src
// (row-major V×n) into dst (V×(n/2+1)); a and b are scratch of ≥ V·clen.
func (p *rplan) forwardRows(dst []complex128, src []float64, V int, a, b []complex128) {
	n, h := p.n, p.n/2+1
	cn := p.c.n
	a, b = a[:cn*V], b[:cn*V]
	if p.m == 0 { // odd n
		for r := range V {
			row := src[r*n : (r+1)*n]
			for k, x := range row {
				a[k*V+r] = complex(x, 0)
			}
		}
		res := p.c.transform(a, b, V)
		for r := range V {
			out := dst[r*h : (r+1)*h]
			for k := range out {
				out[k] = res[k*V+r]
			}
		}
		return
	}
	m := p.m
	for r := range V {
		row := src[r*n : (r+1)*n]
		for k := range m {
			a[k*V+r] = complex(row[2*k], row[2*k+1])
		}
	}
	res := p.c.transform(a, b, V)
	if p.avx && V%2 == 0 {
		_ = res[m*V-1]
		_ = dst[V*h-1]
		fwdSplitAVX(&dst[0], &res[0], &p.wFwd[0], m, V, h)
		for r := range V {
			z0 := res[r]
			dst[r*h] = complex(real(z0)+imag(z0), 0)
			dst[r*h+m] = complex(real(z0)-imag(z0), 0)
		}
		return
	}
	for r := range V {
		out := dst[r*h : (r+1)*h]
		z0 := res[r]
		out[0] = complex(real(z0)+imag(z0), 0)
		out[m] = complex(real(z0)-imag(z0), 0)
		for k := 1; k < m; k++ {
			zk := res[k*V+r]
			zc := res[(m-k)*V+r]
			zc = complex(real(zc), -imag(zc))
			e := half(zk + zc)
			d := half(zk - zc)
			o := complex(imag(d), -real(d)) // d / i
			out[k] = e + p.w[k]*o
		}
	}
}

// inverseRows writes the real rows (V×n) whose half spectra are spec
// (V×(n/2+1)) into dst, multiplied by scale/n·(n-normalisation): the result
// is the unnormalised inverse times scale/n. spec is not modified.
func (p *rplan) inverseRows(dst []float64, spec []complex128, V int, scale float64, a, b []complex128) {
	n, h := p.n, p.n/2+1
	cn := p.c.n
	a, b = a[:cn*V], b[:cn*V]
	if p.m == 0 { // odd n: rebuild the Hermitian spectrum
		for r := range V {
			in := spec[r*h : (r+1)*h]
			for k, z := range in {
				a[k*V+r] = swapReIm(z)
				if k > 0 {
					a[(n-k)*V+r] = complex(-imag(z), real(z)) // swap(conj z)
				}
			}
		}
		res := p.c.transform(a, b, V)
		s := scale / float64(n)
		for r := range V {
			out := dst[r*n : (r+1)*n]
			for k := range out {
				out[k] = imag(res[k*V+r]) * s // real part of swap(res)
			}
		}
		return
	}
	// Z[k] = E[k] + i·O[k] with E, O the spectra of the even and odd
	// samples; computed here as 2·Z (the ½ goes into the final scale).
	m := p.m
	if p.avx && V%2 == 0 {
		_ = spec[V*h-1]
		_ = a[m*V-1]
		invSplitAVX(&a[0], &spec[0], &p.wInv[0], m, V, h)
	} else {
		for r := range V {
			in := spec[r*h : (r+1)*h]
			for k := range m {
				xk := in[k]
				xc := in[m-k]
				xc = complex(real(xc), -imag(xc))
				wk := p.w[k]
				o := (xk - xc) * complex(real(wk), -imag(wk))
				z := xk + xc + complex(-imag(o), real(o)) // + i·o
				a[k*V+r] = swapReIm(z)
			}
		}
	}
	res := p.c.transform(a, b, V)
	s := scale / float64(2*m)
	for r := range V {
		out := dst[r*n : (r+1)*n]
		for k := range m {
			z := res[k*V+r]
			out[2*k] = imag(z) * s
			out[2*k+1] = real(z) * s
		}
	}
}

// half returns z/2 (two real multiplications, not a complex one).
func half(z complex128) complex128 { return complex(0.5*real(z), 0.5*imag(z)) }
