package bullet

// ReferenceSpacingUM is the lateral spacing (µm) of the Hamby 252/173 scans on
// which bulletxtrctr's sample-count parameters were set (Hare et al. 2017).
// Window sizes given there in samples are converted to µm at this spacing so
// they mean the same physical width at any scan resolution.
const ReferenceSpacingUM = 1.5625

// Params are the land-processing and comparison parameters. Lengths are in
// µm; spans are shares of the points in the profile (R's loess span).
type Params struct {
	// Stable cross-cut search (bulletxtrctr x3p_crosscut_optimize).
	CrosscutStartUM    float64 // first height above the base, 50 µm
	CrosscutStepUM     float64 // distance between compared cross-cuts, 25 µm
	CrosscutMinCCF     float64 // stability criterion, CCF > 0.9
	CrosscutMaxMissing float64 // skip rows with a larger share of missing points, 0.5

	// Groove detection, rollapply (grooveFinder): adjust 10 samples and
	// groove_cutoff 400 samples at 1.5625 µm; the smoothing window is Hare
	// et al. (2017)'s s = 35 samples (55 µm) rather than the package default
	// of 15 (23 µm), which at coarse spacings (3 samples at 7.8 µm) stops at
	// the first noise wiggle on the shoulder.
	GrooveSmoothUM float64
	GrooveAdjustUM float64
	GrooveCutoffUM float64
	// MiddleKeep is the share of the profile kept by the "middle" fallback (0.75).
	MiddleKeep float64

	// Signature (cc_get_signature): loess spans and the clamp of the result.
	CurvatureSpan float64 // 0.75: its residual is the raw signature
	SmoothSpan    float64 // 0.03: smooths the raw signature
	ClampUM       float64 // ±5 µm

	// Comparison.
	MinOverlap   float64 // share of the shorter signature, 0.75 (sig_align)
	PeakSmoothUM float64 // striae detection smoothing, 35 samples at 1.5625 µm
	RoughSpan    float64 // loess span removed before rough_cor, 0.3

	// Suitability of a land.
	MinSignatureUM float64 // shortest usable signature
	MinValidShare  float64 // least share of measured points in the signature
}

// DefaultParams returns the literature parameters (bulletxtrctr defaults,
// Hare et al. 2017), with sample counts converted to µm at 1.5625 µm.
func DefaultParams() Params {
	return Params{
		CrosscutStartUM:    50,
		CrosscutStepUM:     25,
		CrosscutMinCCF:     0.9,
		CrosscutMaxMissing: 0.5,
		GrooveSmoothUM:     35 * ReferenceSpacingUM,
		GrooveAdjustUM:     10 * ReferenceSpacingUM,
		GrooveCutoffUM:     400 * ReferenceSpacingUM,
		MiddleKeep:         0.75,
		CurvatureSpan:      0.75,
		SmoothSpan:         0.03,
		ClampUM:            5,
		MinOverlap:         0.75,
		PeakSmoothUM:       35 * ReferenceSpacingUM,
		RoughSpan:          0.3,
		MinSignatureUM:     400,
		MinValidShare:      0.5,
	}
}
