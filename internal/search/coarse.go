package search

import (
	"fmt"
	"math"
	"sort"

	"github.com/tracemark/tracemark/internal/fft"
)

// regMaxShiftUM bounds the translation searched between two registration
// maps (each axis): synth shifts a firing's marks by up to ±200 µm per axis
// against its primer, so two firings by up to 400 µm, and a turn of up to
// 30° about the primer moves them by up to 0.52 × that offset again; the
// centroids of two contact areas differ by a little more.
const regMaxShiftUM = 700

const regMaxShift = int(regMaxShiftUM / RegSpacingUM)

// cartQuery is a cartridge query prepared for the coarse stage: its polar
// harmonics and its registration spectrum at every angle cell within the
// rotation bound (zero outside the band; the stored rows carry the
// weights). Read-only once built: shared by the scan's goroutines.
type cartQuery struct {
	polar   []int8         // PolarLen, as stored
	shifts  int            // angle cells searched each way
	spectra [][]complex128 // [s+shifts]: the query turned by s·AngleStepDeg
	norms   []float64      // their norms
	tw      []complex128   // [(s+shifts)*Harmonics + h-1] = e^{i2πhs/Angles}
}

func newCartQuery(f *Features, maxRotDeg float64) (*cartQuery, error) {
	d := newDeriver()
	p := f.Polar
	shifts := min(Angles/2-1, int(math.Ceil(maxRotDeg/AngleStepDeg)))
	q := &cartQuery{polar: p, shifts: shifts, spectra: make([][]complex128, 2*shifts+1), norms: make([]float64, 2*shifts+1),
		tw: make([]complex128, (2*shifts+1)*Harmonics)}
	buf := make([]float64, RegSize*RegSize)
	for s := -shifts; s <= shifts; s++ {
		regMap(buf, f.Map, f.MapScale, float64(s)*AngleStepDeg)
		spec, norm := d.regSpectrum(nil, buf)
		if !(norm > 0) {
			return nil, fmt.Errorf("%w (nothing in the registration band)", ErrNoSignal)
		}
		q.spectra[s+shifts], q.norms[s+shifts] = spec, norm
		for h := 1; h <= Harmonics; h++ {
			sn, cs := math.Sincos(2 * math.Pi * float64(h*s) / Angles)
			q.tw[(s+shifts)*Harmonics+h-1] = complex(cs, sn)
		}
	}
	return q, nil
}

// scorer holds one goroutine's buffers for scoring candidates against a
// cartQuery.
type scorer struct {
	q     *cartQuery
	plan  *fft.Plan2D
	prod  []complex128
	out   []float64
	cross []complex128
	curve []float64
	peaks []int
}

func newScorer(q *cartQuery) *scorer {
	plan := fft.NewPlan2D(RegSize, RegSize)
	// register reads only the rows of the shifts within ±regMaxShift.
	var rows []int
	for dy := -regMaxShift; dy <= regMaxShift; dy++ {
		rows = append(rows, (dy+RegSize)%RegSize)
	}
	plan.OnlyRows(rows)
	return &scorer{q: q, plan: plan, prod: make([]complex128, RegSize*regHalf),
		out: make([]float64, RegSize*RegSize), cross: make([]complex128, Harmonics), curve: make([]float64, 2*q.shifts+1)}
}

// registration is a coarse registration: the normalised cross-correlation
// at angle cell angle and shift (dx, dy) pixels of RegSpacingUM.
type registration struct {
	score      float64
	angle      int
	dx, dy     int
	registered bool
}

// register correlates the query turned by angle cells with the candidate
// at every shift within regMaxShift.
func (s *scorer) register(c cartridgeRow, angle int) registration {
	qs := s.q.spectra[angle+s.q.shifts]
	cs := c.spectrum
	for i, qv := range qs {
		if qv == 0 {
			s.prod[i] = 0
			continue
		}
		cr, ci := float64(cs[2*i]), float64(cs[2*i+1])
		// qv · conj(c)
		s.prod[i] = complex(real(qv)*cr+imag(qv)*ci, imag(qv)*cr-real(qv)*ci)
	}
	s.plan.Inverse(s.out, s.prod)
	best, bx, by := math.Inf(-1), 0, 0
	for dy := -regMaxShift; dy <= regMaxShift; dy++ {
		row := s.out[((dy+RegSize)%RegSize)*RegSize:]
		for dx := -regMaxShift; dx <= regMaxShift; dx++ {
			if v := row[(dx+RegSize)%RegSize]; v > best {
				best, bx, by = v, dx, dy
			}
		}
	}
	den := s.q.norms[angle+s.q.shifts] * float64(c.specNorm)
	if !(den > 0) {
		return registration{}
	}
	return registration{score: best * float64(c.specStep) * RegSize * RegSize / den, angle: angle, dx: bx, dy: by, registered: true}
}

// filter registers the candidate at the best hypotheses peaks of the polar
// spectra's correlation over the angle cells.
func (s *scorer) filter(c cartridgeRow, hypotheses int) registration {
	// The cross-spectrum of the quantised harmonics in integers: at most
	// Rings·2·127² per harmonic, far inside int32.
	var re, im [Harmonics]int32
	qp, cp := s.q.polar, c.polar
	for i := 0; i < PolarLen; i += 2 * Harmonics {
		q := (*[2 * Harmonics]int8)(qp[i : i+2*Harmonics])
		r := (*[2 * Harmonics]int8)(cp[i : i+2*Harmonics])
		for h := range Harmonics {
			qr, qi := int32(q[2*h]), int32(q[2*h+1])
			cr, ci := int32(r[2*h]), int32(r[2*h+1])
			re[h] += qr*cr + qi*ci
			im[h] += qi*cr - qr*ci
		}
	}
	for h := range Harmonics {
		s.cross[h] = complex(float64(re[h]), float64(im[h]))
	}
	for k := range s.curve {
		tw := s.q.tw[k*Harmonics : (k+1)*Harmonics]
		var v float64
		for h, x := range s.cross {
			v += real(x)*real(tw[h]) - imag(x)*imag(tw[h])
		}
		s.curve[k] = v
	}
	s.peaks = s.peaks[:0]
	n := len(s.curve)
	for k, v := range s.curve {
		if (k == 0 || v >= s.curve[k-1]) && (k == n-1 || v > s.curve[k+1]) {
			s.peaks = append(s.peaks, k)
		}
	}
	sort.Slice(s.peaks, func(a, b int) bool { return s.curve[s.peaks[a]] > s.curve[s.peaks[b]] })
	best := registration{score: math.Inf(-1)}
	for _, k := range s.peaks[:min(hypotheses, len(s.peaks))] {
		if r := s.register(c, k-s.q.shifts); r.registered && r.score > best.score {
			best = r
		}
	}
	if !best.registered {
		best.score = 0
	}
	return best
}

// sweep registers the candidate at every second angle cell, then at the
// cells beside the two best of those and beside seed (the exhaustive
// scan's registration, kept when it stays the best): the registration
// peak is only one to two cells wide, so a peak on an odd cell between two
// weaker even ones would otherwise be missed.
func (s *scorer) sweep(c cartridgeRow, seed registration) registration {
	best, second := registration{score: math.Inf(-1)}, registration{score: math.Inf(-1)}
	for a := -s.q.shifts; a <= s.q.shifts; a += 2 {
		r := s.register(c, a)
		switch {
		case !r.registered:
		case r.score > best.score:
			best, second = r, best
		case r.score > second.score:
			second = r
		}
	}
	if !best.registered {
		return registration{}
	}
	done := map[int]bool{}
	for a := -s.q.shifts; a <= s.q.shifts; a += 2 {
		done[a] = true
	}
	var around []int
	for _, r := range []registration{best, second, seed} {
		if r.registered {
			around = append(around, r.angle-1, r.angle, r.angle+1)
		}
	}
	for _, a := range around {
		if a < -s.q.shifts || a > s.q.shifts || done[a] {
			continue
		}
		done[a] = true
		if r := s.register(c, a); r.registered && r.score > best.score {
			best = r
		}
	}
	return best
}
