package bullet

import (
	"errors"
	"fmt"
	"math"

	"github.com/tracemark/tracemark/internal/surface"
)

// ErrNotALand is wrapped by ProcessLand when the surface cannot be a
// land-engraved area (for example a cartridge-case scan).
var ErrNotALand = errors.New("bullet: not a land-engraved area")

// UnsuitableError reports a land scan that is a land but too damaged or too
// incomplete to yield a signature.
type UnsuitableError struct{ Reason string }

func (e *UnsuitableError) Error() string { return "bullet: land unsuitable: " + e.Reason }

// Land is a processed land-engraved area: its signature and how it was found.
type Land struct {
	Name string

	// Signature is the band-passed cross-cut profile between the grooves,
	// µm, one value every DX µm, NaN where the scan had no measurement.
	// Both ends are valid points.
	Signature []float64
	DX        float64
	// SignatureX0 is the position (µm, from the left edge of the scan) of
	// Signature[0].
	SignatureX0 float64

	CrosscutUM   float64    // height of the cross-cut above the bullet base, µm
	CrosscutCCF  float64    // CCF with the cross-cut one step above; NaN when unknown
	Grooves      [2]float64 // left and right groove ends, µm from the left edge
	GrooveMethod string     // "rollapply", "rollapply+middle" (one side) or "middle"
	Rotated      bool       // the scan was turned 90° so that striae run along y
	Notes        []string   // unit fixes, fallbacks and other remarks

	// Profile is the cross-cut (µm) across the whole scan, for display.
	Profile []float64

	valid int // measured points in Signature
}

// ProcessLand turns a land scan into its signature. m is not modified.
//
// Orientation: striae must run along y with the bullet base at the last row
// (x3ptools convention, in which the first stored row is the top of the
// image; CSAFE's scans such as Hamby 44 come this way). A scan whose striae
// run along x is turned 90° first; which end of a turned scan is the base is
// unknown, so the cross-cut search then starts from the former right edge.
//
// It returns an error wrapping ErrNotALand for a surface that is not a land,
// and an *UnsuitableError for a land that yields no usable signature.
func ProcessLand(m *surface.Map, p Params) (*Land, error) {
	if m == nil || m.NX < 8 || m.NY < 2 || len(m.Z) != m.NX*m.NY {
		return nil, fmt.Errorf("%w: the scan is too small or malformed", ErrNotALand)
	}
	m = m.Clone()
	land := &Land{Notes: fixUnits(m)}

	ratio := anisotropy(m)
	switch {
	case math.IsNaN(ratio):
		return nil, &UnsuitableError{Reason: "too few measured points to tell the striation direction"}
	case ratio < 1.0/minAnisotropy:
		m = rotate90(m)
		land.Rotated = true
		land.Notes = append(land.Notes, "striae ran along x; scan turned 90°")
	case ratio < minAnisotropy:
		return nil, fmt.Errorf("%w: no striation direction (roughness ratio across/along %.2f, a land exceeds %g): a cartridge case or other isotropic surface?", ErrNotALand, ratio, float64(minAnisotropy))
	}
	if w := float64(m.NX) * m.DX; w < minLandWidthUM || w > maxLandWidthUM {
		return nil, fmt.Errorf("%w: width %.0f µm across the striae is outside %g–%g µm", ErrNotALand, w, float64(minLandWidthUM), float64(maxLandWidthUM))
	}
	land.DX = m.DX

	row, ccf, err := stableCrosscut(m, p)
	if err != nil {
		return nil, err
	}
	land.CrosscutUM = float64(m.NY-1-row) * m.DY
	land.CrosscutCCF = ccf
	if math.IsNaN(ccf) || ccf <= p.CrosscutMinCCF {
		land.Notes = append(land.Notes, fmt.Sprintf("no stable cross-cut (CCF > %g) found; used the most stable one", p.CrosscutMinCCF))
	}
	prof := append([]float64(nil), m.Z[row*m.NX:(row+1)*m.NX]...)
	land.Profile = prof
	x := positions(len(prof), m.DX)

	left, right, method := locateGrooves(prof, m.DX, p)
	land.GrooveMethod = method
	land.Grooves = [2]float64{float64(left) * m.DX, float64(right) * m.DX}
	switch method {
	case "middle":
		land.Notes = append(land.Notes, "no shoulder found on either side; kept the middle of the profile")
	case "rollapply+middle":
		land.Notes = append(land.Notes, "shoulder found on one side only; the other side cut by the middle rule")
	}

	sig := signature(x[left:right+1], prof[left:right+1], p)
	first, last := validRange(sig)
	if first < 0 {
		return nil, &UnsuitableError{Reason: "no measured points between the grooves"}
	}
	sig = sig[first : last+1]
	land.Signature = sig
	land.SignatureX0 = float64(left+first) * m.DX
	for _, v := range sig {
		if !math.IsNaN(v) {
			land.valid++
		}
	}
	if l := float64(len(sig)) * m.DX; l < p.MinSignatureUM {
		return nil, &UnsuitableError{Reason: fmt.Sprintf("signature only %.0f µm long (need %.0f µm): land too damaged or grooves too close", l, p.MinSignatureUM)}
	}
	if s := float64(land.valid) / float64(len(sig)); s < p.MinValidShare {
		return nil, &UnsuitableError{Reason: fmt.Sprintf("only %.0f%% of the signature measured (need %.0f%%)", 100*s, 100*p.MinValidShare)}
	}
	return land, nil
}

func positions(n int, dx float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i) * dx
	}
	return x
}

// validRange returns the first and last indices of non-NaN values (-1, -1 if none).
func validRange(v []float64) (int, int) {
	first, last := -1, -1
	for i, x := range v {
		if !math.IsNaN(x) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	return first, last
}

// signature removes the curvature of the profile (loess span 0.75; the
// residual is the raw signature) and smooths the residual (loess span 0.03),
// clamped to ±ClampUM. Points missing in the profile stay NaN.
func signature(x, prof []float64, p Params) []float64 {
	fit := loess(nil, x, prof, loessOptions{span: p.CurvatureSpan, interpolate: true})
	raw := make([]float64, len(prof))
	for i := range raw {
		raw[i] = prof[i] - fit[i] // NaN where the profile or the fit is missing
	}
	sig := loess(nil, x, raw, loessOptions{span: p.SmoothSpan})
	for i, v := range sig {
		switch {
		case math.IsNaN(raw[i]):
			sig[i] = math.NaN()
		case v > p.ClampUM:
			sig[i] = p.ClampUM
		case v < -p.ClampUM:
			sig[i] = -p.ClampUM
		}
	}
	return sig
}

// crosscutSignature is the quick signature used to test the stability of a
// cross-cut (land_cc): the row between its 15 % and 85 % x-quantiles,
// curvature removed with span 0.75, smoothed with span 0.03, clamped.
func crosscutSignature(m *surface.Map, row int, p Params) []float64 {
	lo, hi := int(0.15*float64(m.NX)), int(0.85*float64(m.NX))
	prof := m.Z[row*m.NX+lo : row*m.NX+hi]
	return signature(positions(len(prof), m.DX), prof, p)
}

// stableCrosscut finds the lowest row (closest to the base, the last row)
// at least CrosscutStartUM above the base whose quick signature correlates
// above CrosscutMinCCF with the one CrosscutStepUM higher. Without such a
// pair it returns the lower row of the best-correlated pair.
func stableCrosscut(m *surface.Map, p Params) (row int, ccf float64, err error) {
	rowAt := func(y float64) int { return m.NY - 1 - int(math.Round(y/m.DY)) }
	usable := func(r int) bool {
		miss := 0
		for _, v := range m.Z[r*m.NX : (r+1)*m.NX] {
			if math.IsNaN(v) {
				miss++
			}
		}
		return float64(miss) < p.CrosscutMaxMissing*float64(m.NX)
	}
	top := float64(m.NY-1) * m.DY
	y := math.Min(p.CrosscutStartUM, top)
	for y <= top && !usable(rowAt(y)) {
		y += p.CrosscutStepUM
	}
	if y > top {
		return 0, math.NaN(), &UnsuitableError{Reason: fmt.Sprintf("every cross-cut is more than %.0f%% missing", 100*p.CrosscutMaxMissing)}
	}
	bestRow, bestCCF := rowAt(y), math.Inf(-1)
	first := crosscutSignature(m, rowAt(y), p)
	for y+p.CrosscutStepUM <= top {
		r2 := rowAt(y + p.CrosscutStepUM)
		second := crosscutSignature(m, r2, p)
		a := alignSignatures(first, second, p.MinOverlap)
		if a.ok && a.ccf > p.CrosscutMinCCF {
			return rowAt(y), a.ccf, nil
		}
		if a.ok && a.ccf > bestCCF {
			bestRow, bestCCF = rowAt(y), a.ccf
		}
		first = second
		y += p.CrosscutStepUM
	}
	if math.IsInf(bestCCF, -1) {
		bestCCF = math.NaN()
	}
	return bestRow, bestCCF, nil
}
