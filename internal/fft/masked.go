package fft

import "math"

// MaskedNCC computes the masked normalised cross-correlation of the template
// against region (row-major RegionRows×RegionCols, NaN = missing) into dst
// (nil allocates): at every shift of the correlator's range, the Pearson
// correlation over exactly the pixel pairs where both are valid — the same
// value as Geometry.PairwiseCorrelation, to rounding (tests hold it to
// 1e-9). Shifts with fewer than max(minOverlap, 2) valid pairs, or where
// either side is (numerically) constant over the pairs, are NaN. dst.Pairs
// receives the pair counts. region is not modified. Cost: three forward and
// six inverse transforms; two and three for a template without missing
// pixels, one and one when the region has none either.
func (c *CrossCorrelator) MaskedNCC(dst *Map, tmpl *Template, region []float64, minOverlap int) (*Map, error) {
	if err := c.checkCall(tmpl, region, ModeMasked); err != nil {
		return nil, err
	}
	if dst == nil {
		dst = new(Map)
	}
	rows, cols := c.maxDY-c.minDY+1, c.maxDX-c.minDX+1
	dst.reset(rows, cols, c.minDX, c.minDY, true)
	for k := range c.sums {
		c.sums[k] = resizeF(c.sums[k], rows*cols)
	}
	mean, sd, n := meanSD(region)
	if n < 2 || !(sd > 0) {
		// No correlation anywhere; the pair counts are still reported.
		fillNaN(dst.V)
		clear(dst.Pairs)
		if n > 0 {
			c.fillMasked(region, c.g.RegionRows, c.g.RegionCols, 0, 1)
			c.rspec[0] = resizeC(c.rspec[0], c.plan.SpectrumLen())
			c.plan.Forward(c.rspec[0], c.work[0])
			c.correlateInto(c.sums[0], tmpl.spec[0], c.rspec[0], 1)
			for i, v := range c.sums[0] {
				dst.Pairs[i] = int32(math.Round(v))
			}
		}
		return dst, nil
	}
	c.fillMasked(region, c.g.RegionRows, c.g.RegionCols, mean, sd)
	minN := max(minOverlap, 2)
	if len(tmpl.pz) > 0 {
		c.maskedCompleteTemplate(dst, tmpl, n == len(region), minN)
		return dst, nil
	}
	for k := range 3 {
		c.rspec[k] = resizeC(c.rspec[k], c.plan.SpectrumLen())
		c.plan.Forward(c.rspec[k], c.work[k])
	}
	tw, ta, tb := tmpl.spec[0], tmpl.spec[1], tmpl.spec[2]
	rw, ra, rb := c.rspec[0], c.rspec[1], c.rspec[2]
	cnt, st, stt, sr, srr := c.sums[0], c.sums[1], c.sums[2], c.sums[3], c.sums[4]
	c.correlateInto(cnt, tw, rw, 1)
	c.correlateInto(st, ta, rw, 1)
	c.correlateInto(stt, tb, rw, 1)
	c.correlateInto(sr, tw, ra, 1)
	c.correlateInto(srr, tw, rb, 1)
	c.correlateInto(dst.V, ta, ra, 1) // Σ t·r
	for i, str := range dst.V {
		np := math.Round(cnt[i])
		dst.Pairs[i] = int32(np)
		dst.V[i] = pearsonFromSums(np, st[i], stt[i], sr[i], srr[i], str, minN)
	}
	return dst, nil
}

// maskedCompleteTemplate is MaskedNCC for a template without missing
// pixels. The template mask is then its rectangle, so the pair count and the
// region's sums over the pairs are box sums of the region's mask, z and z²
// (2D prefix sums), and only Σt, Σt² and Σtr need transforms: two forward and
// three inverse instead of three and six. If the region has no missing
// pixels either, the count is the overlap area and Σt, Σt² are box sums of
// the template: one forward and one inverse transform.
func (c *CrossCorrelator) maskedCompleteTemplate(dst *Map, tmpl *Template, regionComplete bool, minN int) {
	rr, rc := c.g.RegionRows, c.g.RegionCols
	pn := (rr + 1) * (rc + 1)
	c.pz = prefixSums(resizeF(c.pz, pn), c.work[1], c.fc, rr, rc)
	c.pzz = prefixSums(resizeF(c.pzz, pn), c.work[2], c.fc, rr, rc)
	str := dst.V
	if regionComplete {
		c.rspec[1] = resizeC(c.rspec[1], c.plan.SpectrumLen())
		c.plan.Forward(c.rspec[1], c.work[1])
		c.correlateInto(str, tmpl.spec[1], c.rspec[1], 1)
	} else {
		c.pw = prefixSums(resizeF(c.pw, pn), c.work[0], c.fc, rr, rc)
		for k := range 2 {
			c.rspec[k] = resizeC(c.rspec[k], c.plan.SpectrumLen())
			c.plan.Forward(c.rspec[k], c.work[k])
		}
		c.correlateInto(c.sums[1], tmpl.spec[1], c.rspec[0], 1) // Σt
		c.correlateInto(c.sums[2], tmpl.spec[2], c.rspec[0], 1) // Σt²
		c.correlateInto(str, tmpl.spec[1], c.rspec[1], 1)       // Σtr
	}
	cols := dst.Cols
	tc1 := c.g.TemplateCols + 1
	for r := range dst.Rows {
		ra, rb := c.rowR0[r], c.rowR1[r]
		ta, tb := c.rowT0[r], c.rowT1[r]
		for col := range cols {
			i := r*cols + col
			ca, cb := c.colR0[col], c.colR1[col]
			var n, st, stt float64
			if regionComplete {
				n = float64((rb - ra) * (cb - ca))
				tca, tcb := c.colT0[col], c.colT1[col]
				st = boxSum(tmpl.pz, tc1, ta, tb, tca, tcb)
				stt = boxSum(tmpl.pzz, tc1, ta, tb, tca, tcb)
			} else {
				n = math.Round(boxSum(c.pw, rc+1, ra, rb, ca, cb))
				st, stt = c.sums[1][i], c.sums[2][i]
			}
			sr := boxSum(c.pz, rc+1, ra, rb, ca, cb)
			srr := boxSum(c.pzz, rc+1, ra, rb, ca, cb)
			dst.Pairs[i] = int32(n)
			dst.V[i] = pearsonFromSums(n, st, stt, sr, srr, str[i], minN)
		}
	}
}

// overlapBounds precomputes, for every map column and row, the overlap of
// template and region in region coordinates [R0, R1) and template
// coordinates [T0, T1) (empty when no overlap).
func (c *CrossCorrelator) overlapBounds() {
	bounds := func(lo, hi, tn, rn int, origin func(int) int) (r0, r1, t0, t1 []int) {
		for d := lo; d <= hi; d++ {
			o := origin(d)
			a, b := max(0, o), min(rn, o+tn)
			b = max(a, b)
			r0, r1 = append(r0, a), append(r1, b)
			t0, t1 = append(t0, a-o), append(t1, b-o)
		}
		return r0, r1, t0, t1
	}
	g := c.g
	c.colR0, c.colR1, c.colT0, c.colT1 = bounds(c.minDX, c.maxDX, g.TemplateCols, g.RegionCols,
		func(dx int) int { _, ox := g.Origin(dx, 0); return ox })
	c.rowR0, c.rowR1, c.rowT0, c.rowT1 = bounds(c.minDY, c.maxDY, g.TemplateRows, g.RegionRows,
		func(dy int) int { oy, _ := g.Origin(0, dy); return oy })
}

// prefixSums writes into dst ((rows+1)×(cols+1)) the 2D prefix sums of the
// rows×cols top-left block of src (row stride stride): dst[i*(cols+1)+j] is
// the sum of src over rows < i and columns < j. It returns dst.
func prefixSums(dst, src []float64, stride, rows, cols int) []float64 {
	w := cols + 1
	clear(dst[:w])
	for i := range rows {
		prev := dst[i*w : (i+1)*w]
		cur := dst[(i+1)*w : (i+2)*w]
		row := src[i*stride : i*stride+cols]
		cur[0] = 0
		var s float64
		for j, v := range row {
			s += v
			cur[j+1] = prev[j+1] + s
		}
	}
	return dst
}

// boxSum returns the sum over rows [r0, r1) and columns [c0, c1) from the
// prefix sums p of row width w.
func boxSum(p []float64, w, r0, r1, c0, c1 int) float64 {
	if r1 <= r0 || c1 <= c0 {
		return 0
	}
	return p[r1*w+c1] - p[r0*w+c1] - p[r1*w+c0] + p[r0*w+c0]
}
