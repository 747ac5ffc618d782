package fft

import "math"

// cplan is a forward complex FFT of length n by the Stockham autosort
// algorithm with radix 4, 2, 3, 5 passes (other prime factors by a generic
// O(p²) pass). It transforms V interleaved vectors at once: element e of
// vector v is data[e*V+v]. Working on V neighbouring columns per pass keeps
// the column transforms of a 2D array cache-friendly, and the inner loop over
// v amortises the twiddle loads. On amd64 the radix 2–5 butterflies run in
// assembly (kernel_amd64.s, runAsm); the Go ones below are the reference and
// the code for other architectures.
//
// Only the forward (e^{-2πi…}) transform is implemented; the inverse is
// swap(forward(swap(x))) where swap exchanges real and imaginary parts, and
// callers fold the swap into their gather and scatter loops.
type cplan struct {
	n      int
	passes []cpass
	gen    []complex128 // scratch for generic passes
}

type cpass struct {
	radix, ido, l1 int
	tw             []complex128 // (radix-1)*ido twiddles, tw[(j-1)*ido+i] = w^(i·j)
	// twSSE holds the twiddles for the assembly butterflies: per i, for
	// j = 1..radix-1, (re, re, -im, im) of w^(i·j).
	twSSE []float64
	asm   bool         // use the assembly butterflies (radix 2 to 5)
	avx   bool         // use their AVX versions for even vector widths
	roots []complex128 // generic passes: ω^m, m < radix
}

func newCplan(n int) *cplan {
	p := &cplan{n: n}
	rest := n
	var factors []int
	for rest%4 == 0 {
		factors = append(factors, 4)
		rest /= 4
	}
	for _, f := range []int{2, 3, 5} {
		for rest%f == 0 {
			factors = append(factors, f)
			rest /= f
		}
	}
	for f := 7; rest > 1; f += 2 {
		for rest%f == 0 {
			factors = append(factors, f)
			rest /= f
		}
	}
	maxGen := 0
	l1 := 1
	for _, ip := range factors {
		ido := n / (l1 * ip)
		ps := cpass{radix: ip, ido: ido, l1: l1}
		if ido > 1 {
			ps.tw = make([]complex128, (ip-1)*ido)
			for j := 1; j < ip; j++ {
				for i := range ido {
					ps.tw[(j-1)*ido+i] = expi(-2 * math.Pi * float64(i*j) / float64(ido*ip))
				}
			}
		}
		ps.asm = haveAsm && ip <= 5
		ps.avx = ps.asm && haveAVX
		if ps.asm && ido > 1 {
			per := 4 * (ip - 1)
			ps.twSSE = make([]float64, per*ido)
			for i := range ido {
				for j := 1; j < ip; j++ {
					w := ps.tw[(j-1)*ido+i]
					t := ps.twSSE[per*i+4*(j-1) : per*i+4*j]
					t[0], t[1], t[2], t[3] = real(w), real(w), -imag(w), imag(w)
				}
			}
		}
		if ip > 5 {
			ps.roots = make([]complex128, ip)
			for m := range ip {
				ps.roots[m] = expi(-2 * math.Pi * float64(m) / float64(ip))
			}
			maxGen = max(maxGen, ip)
		}
		p.passes = append(p.passes, ps)
		l1 *= ip
	}
	p.gen = make([]complex128, maxGen)
	return p
}

// expi returns e^{iθ}.
func expi(theta float64) complex128 {
	s, c := math.Sincos(theta)
	return complex(c, s)
}

// transform runs the forward FFT on a (len n·V) using b (same length) as
// scratch and returns the slice holding the result (a or b).
func (p *cplan) transform(a, b []complex128, V int) []complex128 {
	in, out := a, b
	for k := range p.passes {
		ps := &p.passes[k]
		switch ps.radix {
		case 4:
			pass4(ps, V, in, out)
		case 2:
			pass2(ps, V, in, out)
		case 3:
			pass3(ps, V, in, out)
		case 5:
			pass5(ps, V, in, out)
		default:
			p.passGeneric(ps, V, in, out)
		}
		in, out = out, in
	}
	return in
}

// In every pass, input element (i, j, k) is at (i + ido*(j + radix*k))*V and
// output element (i, k, j) at (i + ido*(k + l1*j))*V; output j is multiplied
// by the twiddle w^(i·j), w = e^{-2πi/(ido·radix)}.

func pass2(ps *cpass, V int, in, out []complex128) {
	if ps.asm && V >= asmMinV {
		ps.runAsm(V, in, out)
		return
	}
	ido, l1 := ps.ido, ps.l1
	sj := ido * V      // input stride of j
	so := ido * l1 * V // output stride of j
	for k := range l1 {
		for i := range ido {
			ib := (i + ido*2*k) * V
			ob := (i + ido*k) * V
			a0 := in[ib : ib+V]
			a1 := in[ib+sj : ib+sj+V]
			o0 := out[ob : ob+V]
			o1 := out[ob+so : ob+so+V]
			a0 = a0[:len(o0)]
			a1 = a1[:len(o0)]
			o1 = o1[:len(o0)]
			if i == 0 {
				for v := range o0 {
					x, y := a0[v], a1[v]
					o0[v] = x + y
					o1[v] = x - y
				}
				continue
			}
			w := ps.tw[i]
			for v := range o0 {
				x, y := a0[v], a1[v]
				o0[v] = x + y
				o1[v] = w * (x - y)
			}
		}
	}
}

// mulNegI returns -i·z.
func mulNegI(z complex128) complex128 { return complex(imag(z), -real(z)) }

func pass4(ps *cpass, V int, in, out []complex128) {
	if ps.asm && V >= asmMinV {
		ps.runAsm(V, in, out)
		return
	}
	ido, l1 := ps.ido, ps.l1
	sj := ido * V
	so := ido * l1 * V
	for k := range l1 {
		for i := range ido {
			ib := (i + ido*4*k) * V
			ob := (i + ido*k) * V
			a0 := in[ib : ib+V]
			a1 := in[ib+sj : ib+sj+V]
			a2 := in[ib+2*sj : ib+2*sj+V]
			a3 := in[ib+3*sj : ib+3*sj+V]
			o0 := out[ob : ob+V]
			o1 := out[ob+so : ob+so+V]
			o2 := out[ob+2*so : ob+2*so+V]
			o3 := out[ob+3*so : ob+3*so+V]
			a0 = a0[:len(o0)]
			a1 = a1[:len(o0)]
			a2 = a2[:len(o0)]
			a3 = a3[:len(o0)]
			o1 = o1[:len(o0)]
			o2 = o2[:len(o0)]
			o3 = o3[:len(o0)]
			if i == 0 {
				for v := range o0 {
					t0 := a0[v] + a2[v]
					t1 := a0[v] - a2[v]
					t2 := a1[v] + a3[v]
					t3 := mulNegI(a1[v] - a3[v])
					o0[v] = t0 + t2
					o1[v] = t1 + t3
					o2[v] = t0 - t2
					o3[v] = t1 - t3
				}
				continue
			}
			w1, w2, w3 := ps.tw[i], ps.tw[ido+i], ps.tw[2*ido+i]
			for v := range o0 {
				t0 := a0[v] + a2[v]
				t1 := a0[v] - a2[v]
				t2 := a1[v] + a3[v]
				t3 := mulNegI(a1[v] - a3[v])
				o0[v] = t0 + t2
				o1[v] = w1 * (t1 + t3)
				o2[v] = w2 * (t0 - t2)
				o3[v] = w3 * (t1 - t3)
			}
		}
	}
}

const (
	sin60 = 0.86602540378443864676372317075293618 // √3/2
	c5a   = 0.30901699437494742410229341718281906 // cos(2π/5)
	c5b   = -0.8090169943749474241022934171828191 // cos(4π/5)
	s5a   = 0.95105651629515357211643933337938214 // sin(2π/5)
	s5b   = 0.58778525229247312916870595463907277 // sin(4π/5)
)

func pass3(ps *cpass, V int, in, out []complex128) {
	if ps.asm && V >= asmMinV {
		ps.runAsm(V, in, out)
		return
	}
	ido, l1 := ps.ido, ps.l1
	sj := ido * V
	so := ido * l1 * V
	for k := range l1 {
		for i := range ido {
			ib := (i + ido*3*k) * V
			ob := (i + ido*k) * V
			a0 := in[ib : ib+V]
			a1 := in[ib+sj : ib+sj+V]
			a2 := in[ib+2*sj : ib+2*sj+V]
			o0 := out[ob : ob+V]
			o1 := out[ob+so : ob+so+V]
			o2 := out[ob+2*so : ob+2*so+V]
			a0 = a0[:len(o0)]
			a1 = a1[:len(o0)]
			a2 = a2[:len(o0)]
			o1 = o1[:len(o0)]
			o2 = o2[:len(o0)]
			w1, w2 := complex(1, 0), complex(1, 0)
			if i > 0 {
				w1, w2 = ps.tw[i], ps.tw[ido+i]
			}
			for v := range o0 {
				t1 := a1[v] + a2[v]
				m := a0[v] - complex(0.5*real(t1), 0.5*imag(t1))
				d := a1[v] - a2[v]
				s := complex(sin60*imag(d), -sin60*real(d)) // -i·(√3/2)·d
				o0[v] = a0[v] + t1
				o1[v] = w1 * (m + s)
				o2[v] = w2 * (m - s)
			}
		}
	}
}

func pass5(ps *cpass, V int, in, out []complex128) {
	if ps.asm && V >= asmMinV {
		ps.runAsm(V, in, out)
		return
	}
	ido, l1 := ps.ido, ps.l1
	sj := ido * V
	so := ido * l1 * V
	for k := range l1 {
		for i := range ido {
			ib := (i + ido*5*k) * V
			ob := (i + ido*k) * V
			a0 := in[ib : ib+V]
			a1 := in[ib+sj : ib+sj+V]
			a2 := in[ib+2*sj : ib+2*sj+V]
			a3 := in[ib+3*sj : ib+3*sj+V]
			a4 := in[ib+4*sj : ib+4*sj+V]
			o0 := out[ob : ob+V]
			o1 := out[ob+so : ob+so+V]
			o2 := out[ob+2*so : ob+2*so+V]
			o3 := out[ob+3*so : ob+3*so+V]
			o4 := out[ob+4*so : ob+4*so+V]
			a0 = a0[:len(o0)]
			a1 = a1[:len(o0)]
			a2 = a2[:len(o0)]
			a3 = a3[:len(o0)]
			a4 = a4[:len(o0)]
			o1 = o1[:len(o0)]
			o2 = o2[:len(o0)]
			o3 = o3[:len(o0)]
			o4 = o4[:len(o0)]
			w1, w2, w3, w4 := complex(1, 0), complex(1, 0), complex(1, 0), complex(1, 0)
			if i > 0 {
				w1, w2, w3, w4 = ps.tw[i], ps.tw[ido+i], ps.tw[2*ido+i], ps.tw[3*ido+i]
			}
			for v := range o0 {
				x0 := a0[v]
				t1 := a1[v] + a4[v]
				t2 := a2[v] + a3[v]
				t3 := a1[v] - a4[v]
				t4 := a2[v] - a3[v]
				m1 := x0 + complex(c5a*real(t1)+c5b*real(t2), c5a*imag(t1)+c5b*imag(t2))
				m2 := x0 + complex(c5b*real(t1)+c5a*real(t2), c5b*imag(t1)+c5a*imag(t2))
				n1 := complex(s5a*real(t3)+s5b*real(t4), s5a*imag(t3)+s5b*imag(t4))
				n2 := complex(s5b*real(t3)-s5a*real(t4), s5b*imag(t3)-s5a*imag(t4))
				// -i·n
				in1 := complex(imag(n1), -real(n1))
				in2 := complex(imag(n2), -real(n2))
				o0[v] = x0 + t1 + t2
				o1[v] = w1 * (m1 + in1)
				o4[v] = w4 * (m1 - in1)
				o2[v] = w2 * (m2 + in2)
				o3[v] = w3 * (m2 - in2)
			}
		}
	}
}

// passGeneric is the O(radix²) pass for prime factors above 5.
func (p *cplan) passGeneric(ps *cpass, V int, in, out []complex128) {
	ido, l1, r := ps.ido, ps.l1, ps.radix
	sj := ido * V
	so := ido * l1 * V
	a := p.gen[:r]
	for k := range l1 {
		for i := range ido {
			ib := (i + ido*r*k) * V
			ob := (i + ido*k) * V
			for v := range V {
				for q := range r {
					a[q] = in[ib+q*sj+v]
				}
				for j := range r {
					var s complex128
					for q := range r {
						s += a[q] * ps.roots[(j*q)%r]
					}
					if j > 0 && i > 0 {
						s *= ps.tw[(j-1)*ido+i]
					}
					out[ob+j*so+v] = s
				}
			}
		}
	}
}

func swapReIm(z complex128) complex128 { return complex(imag(z), real(z)) }

// asmMinV is the vector width from which the assembly butterflies are used.
const asmMinV = 1

// runAsm runs the pass with the assembly butterflies: one call per group k
// (a run over i), or a single run over k when ido = 1.
func (ps *cpass) runAsm(V int, in, out []complex128) {
	ido, l1, r := ps.ido, ps.l1, ps.radix
	sj, so := ido*V, ido*l1*V
	// Every element the runs touch lies below r·ido·l1·V = n·V (see the
	// index formulas above); check that once here.
	_ = in[r*ido*l1*V-1]
	_ = out[r*ido*l1*V-1]
	run := radix4Run
	switch r {
	case 2:
		run = radix2Run
	case 3:
		run = radix3Run
	case 5:
		run = radix5Run
	}
	if ps.avx && V%2 == 0 {
		run = radix4RunAVX
		switch r {
		case 2:
			run = radix2RunAVX
		case 3:
			run = radix3RunAVX
		case 5:
			run = radix5RunAVX
		}
	}
	if ido == 1 {
		run(&out[0], so, &in[0], sj, V, l1, r*V, V, nil, 0)
		return
	}
	per := 4 * (r - 1)
	for k := range l1 {
		run(&out[ido*k*V], so, &in[ido*r*k*V], sj, V, ido, V, V, &ps.twSSE[0], per)
	}
}
