package fft

import (
	"fmt"
)

// Block sizes of the 2D passes: rowBlock rows are transformed together (as
// interleaved vectors), and the column pass works on a block of neighbouring
// columns at a time, as many as keep its two buffers within colBytes (L2
// cache), an even number between 4 and 32.
const (
	rowBlock = 16
	colBytes = 256 << 10
)

func colBlockFor(rows int) int {
	return max(4, min(32, colBytes/(2*16*rows))) &^ 1 // even: see columns
}

// Plan2D computes forward and inverse 2D FFTs of real rows×cols arrays.
// It is not safe for concurrent use.
type Plan2D struct {
	rows, cols, half int
	row              *rplan // real transform along each row
	col              *cplan // complex transform along each column
	colBlock         int
	rowsNeeded       []bool // if set, Inverse computes only these output rows
	a, b             []complex128
}

// NewPlan2D returns a plan for rows×cols real arrays. Any positive size works;
// sizes whose prime factors are 2, 3 and 5 are fastest (see GoodSize), and an
// even cols is faster than an odd one.
func NewPlan2D(rows, cols int) *Plan2D {
	if rows <= 0 || cols <= 0 {
		panic(fmt.Sprintf("fft: bad size %d×%d", rows, cols))
	}
	p := &Plan2D{
		rows: rows, cols: cols, half: cols/2 + 1,
		row: newRplan(cols),
		col: newCplan(rows),
	}
	p.colBlock = colBlockFor(rows)
	n := max(rowBlock*p.row.clen(), p.colBlock*rows)
	p.a = make([]complex128, n)
	p.b = make([]complex128, n)
	return p
}

// OnlyRows makes Inverse compute only the given output rows (and the
// others of their row blocks); the rest of its dst keeps stale values. A
// correlation searched over a few shifts needs only their rows, which
// saves up to half the inverse. nil restores full inverses.
func (p *Plan2D) OnlyRows(rows []int) {
	if rows == nil {
		p.rowsNeeded = nil
		return
	}
	p.rowsNeeded = make([]bool, p.rows)
	for _, r := range rows {
		if r < 0 || r >= p.rows {
			panic(fmt.Sprintf("fft: OnlyRows: row %d outside 0..%d", r, p.rows-1))
		}
		p.rowsNeeded[r] = true
	}
}

// Size returns the plan's rows and cols.
func (p *Plan2D) Size() (rows, cols int) { return p.rows, p.cols }

// SpectrumLen returns the number of coefficients of a half spectrum: rows×(cols/2+1).
func (p *Plan2D) SpectrumLen() int { return p.rows * p.half }

// Forward writes the half spectrum of src (len rows×cols) into dst and returns
// it. A nil dst is allocated; a dst of the wrong length panics. Rows of src
// that are entirely zero cost nothing (zero-padded inputs are cheap).
func (p *Plan2D) Forward(dst []complex128, src []float64) []complex128 {
	if len(src) != p.rows*p.cols {
		panic(fmt.Sprintf("fft: Forward src len %d, want %d", len(src), p.rows*p.cols))
	}
	dst = p.spectrumBuf(dst)
	for r0 := 0; r0 < p.rows; r0 += rowBlock {
		nb := min(rowBlock, p.rows-r0)
		block := src[r0*p.cols : (r0+nb)*p.cols]
		out := dst[r0*p.half : (r0+nb)*p.half]
		if allZero(block) {
			clear(out)
			continue
		}
		p.row.forwardRows(out, block, nb, p.a, p.b)
	}
	p.columns(dst, false)
	return dst
}

// Inverse writes the real array whose half spectrum is spec into dst and
// returns it, normalised so that Inverse(Forward(x)) == x. spec is used as
// scratch and overwritten. A nil dst is allocated; a wrong length panics.
func (p *Plan2D) Inverse(dst []float64, spec []complex128) []float64 {
	if len(spec) != p.rows*p.half {
		panic(fmt.Sprintf("fft: Inverse spectrum len %d, want %d", len(spec), p.rows*p.half))
	}
	if dst == nil {
		dst = make([]float64, p.rows*p.cols)
	} else if len(dst) != p.rows*p.cols {
		panic(fmt.Sprintf("fft: Inverse dst len %d, want %d", len(dst), p.rows*p.cols))
	}
	p.columns(spec, true)
	scale := 1 / float64(p.rows)
	for r0 := 0; r0 < p.rows; r0 += rowBlock {
		nb := min(rowBlock, p.rows-r0)
		if p.rowsNeeded != nil && !anyTrue(p.rowsNeeded[r0:r0+nb]) {
			continue
		}
		p.row.inverseRows(dst[r0*p.cols:(r0+nb)*p.cols], spec[r0*p.half:(r0+nb)*p.half], nb, scale, p.a, p.b)
	}
	return dst
}

// columns transforms every column of the rows×half array s in place,
// p.colBlock columns at a time (inverse: unnormalised, by swapping re/im).
func (p *Plan2D) columns(s []complex128, inverse bool) {
	h := p.half
	// Equal blocks: a short last block would run at a poor vector width.
	nb := (h + p.colBlock - 1) / p.colBlock
	bw := (h + nb - 1) / nb
	bw += bw % 2 // even widths run the AVX butterflies
	for c0 := 0; c0 < h; c0 += bw {
		v := min(bw, h-c0)
		a := p.a[:p.rows*v]
		for r := range p.rows {
			src := s[r*h+c0 : r*h+c0+v]
			dst := a[r*v : r*v+v]
			if inverse {
				for i, z := range src {
					dst[i] = swapReIm(z)
				}
			} else {
				copy(dst, src)
			}
		}
		res := p.col.transform(a, p.b[:p.rows*v], v)
		for r := range p.rows {
			dst := s[r*h+c0 : r*h+c0+v]
			src := res[r*v : r*v+v]
			if inverse {
				for i, z := range src {
					dst[i] = swapReIm(z)
				}
			} else {
				copy(dst, src)
			}
		}
	}
}

func anyTrue(b []bool) bool {
	for _, v := range b {
		if v {
			return true
		}
	}
	return false
}

func allZero(x []float64) bool {
	for _, v := range x {
		if v != 0 {
			return false
		}
	}
	return true
}

func (p *Plan2D) spectrumBuf(dst []complex128) []complex128 {
	n := p.rows * p.half
	if dst == nil {
		return make([]complex128, n)
	}
	if len(dst) != n {
		panic(fmt.Sprintf("fft: spectrum len %d, want %d", len(dst), n))
	}
	return dst
}

// GoodSize returns the smallest n' ≥ n whose only prime factors are 2, 3 and 5.
func GoodSize(n int) int {
	if n <= 1 {
		return 1
	}
	for m := n; ; m++ {
		k := m
		for _, f := range [...]int{2, 3, 5} {
			for k%f == 0 {
				k /= f
			}
		}
		if k == 1 {
			return m
		}
	}
}
