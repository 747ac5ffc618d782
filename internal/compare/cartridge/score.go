package cartridge

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
)

// Features are the pair-level quantities the score combines. All are finite.
type Features struct {
	HighCMC     float64 `json:"high_cmc"`     // combined High-CMC count
	OriginalMin float64 `json:"original_min"` // min of the two original-rule counts
	// HighShare is HighCMC over the cells that could take part (the smaller
	// of the two scans' usable cells), so small scans are not penalised.
	HighShare float64 `json:"high_share"`
	// CMCCorr is the mean correlation of the counted cells (0 when none).
	CMCCorr float64 `json:"cmc_corr"`
	// GlobalCorr is the mean over both directions of the whole-scan
	// correlation at the best coarse alignment.
	GlobalCorr float64 `json:"global_corr"`
	// ThetaAgree is 1 when the two directions' whole-scan rotations are
	// opposite within Tθ, else 0.
	ThetaAgree float64 `json:"theta_agree"`
}

// vector returns the features in the order of Calibration.Features.
func (f Features) vector() []float64 {
	return []float64{f.HighCMC, f.OriginalMin, f.HighShare, f.CMCCorr, f.GlobalCorr, f.ThetaAgree}
}

var featureNames = []string{"high_cmc", "original_min", "high_share", "cmc_corr", "global_corr", "theta_agree"}

func features(r *Result) Features {
	d := r.Decision
	f := Features{HighCMC: float64(d.HighCMC), OriginalMin: float64(d.OriginalMin)}
	if n := min(r.Forward.Cells, r.Backward.Cells); n > 0 {
		f.HighShare = float64(d.HighCMC) / float64(n)
	}
	f.CMCCorr = meanCorr(d.HighCMCs)
	f.GlobalCorr = finiteOr((r.Forward.Registration.Corr+r.Backward.Registration.Corr)/2, 0)
	if math.Abs(r.Forward.Registration.Theta+r.Backward.Registration.Theta) <= r.Thresholds.ThetaDeg {
		f.ThetaAgree = 1
	}
	return f
}

func finiteOr(v, alt float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return alt
	}
	return v
}

// Calibration is a logistic-regression model over Features: the score is
// the log-odds intercept + Σ weight·feature, and the score-based likelihood
// ratio is the odds over the prior odds the model was fitted at
// (PriorLogOdds). FitCalibration fits with the classes balanced, so
// PriorLogOdds is 0 and the score is the natural log of the likelihood
// ratio: the proportion of same-source pairs in the training data does not
// leak into it. The shipped model (calibration.json) is fitted on synthetic
// cartridge cases from internal/synth, never on the benchmark data: see
// TestFitCalibration.
type Calibration struct {
	Version       string    `json:"version"`
	Data          string    `json:"data"` // what it was fitted on
	Features      []string  `json:"features"`
	Intercept     float64   `json:"intercept"`
	Weights       []float64 `json:"weights"`
	PriorLogOdds  float64   `json:"prior_log_odds"` // prior log-odds of the fit (0: classes balanced)
	TrainingPairs int       `json:"training_pairs"`
	TrainingSame  int       `json:"training_same_source_pairs"`
	TrainingAUC   float64   `json:"training_auc"`
}

//go:embed calibration.json
var calibrationJSON []byte

// DefaultCalibration returns the shipped calibration.
func DefaultCalibration() (*Calibration, error) {
	return ParseCalibration(calibrationJSON)
}

// ParseCalibration decodes and checks a calibration file.
func ParseCalibration(b []byte) (*Calibration, error) {
	var c Calibration
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("cartridge: calibration: %w", err)
	}
	if len(c.Features) != len(featureNames) || len(c.Weights) != len(featureNames) {
		return nil, fmt.Errorf("cartridge: calibration %q has %d features and %d weights, want %v",
			c.Version, len(c.Features), len(c.Weights), featureNames)
	}
	for i, n := range featureNames {
		if c.Features[i] != n {
			return nil, fmt.Errorf("cartridge: calibration %q feature %d is %q, want %q", c.Version, i, c.Features[i], n)
		}
	}
	for _, w := range append([]float64{c.Intercept, c.PriorLogOdds}, c.Weights...) {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("cartridge: calibration %q has a non-finite coefficient", c.Version)
		}
	}
	return &c, nil
}

// maxLogOdds bounds the score: a likelihood ratio beyond 10^±13 is not
// supported by any training set we have.
const maxLogOdds = 30

// Score returns the similarity score (log-odds, finite) and the log10
// score-based likelihood ratio.
func (c *Calibration) Score(f Features) (score, log10LR float64) {
	score = c.Intercept
	for i, v := range f.vector() {
		score += c.Weights[i] * finiteOr(v, 0)
	}
	score = math.Max(-maxLogOdds, math.Min(maxLogOdds, finiteOr(score, 0)))
	return score, (score - c.PriorLogOdds) / math.Ln10
}
