package cartridge

import (
	"fmt"
	"math"
)

// Mode selects how much of the rotation and translation space the cell
// registration searches.
type Mode string

const (
	// ModeExhaustive is the published search: every cell at every rotation
	// of the grid (21 angles), each cell's region 3× its side, both
	// directions.
	ModeExhaustive Mode = "exhaustive"
	// ModeFast first registers the two whole scans at a coarse resolution
	// over the full rotation grid (the ACES step 1, Zemmels 2023), then
	// searches the cells only at the rotations within FastSpanDeg of the
	// coarse optimum θ* and at θ* ± FastProbeDeg, each cell's region
	// centred on the position the coarse registration predicts. Both directions are
	// registered independently, so a pair of different sources does not get
	// opposite rotations for free.
	ModeFast Mode = "fast"
)

// ParseMode accepts "fast" or "exhaustive".
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case ModeFast, ModeExhaustive:
		return Mode(s), nil
	}
	return "", fmt.Errorf("cartridge: unknown mode %q (want fast or exhaustive)", s)
}

// Config holds the comparison parameters. Lengths are in µm and converted
// to pixels with the scans' spacing, so one Config fits any resolution.
// Defaults (DefaultConfig) come from the literature (algorithms.md §2.4–2.5):
// 8×8 cells, regions 3× the cell side, θ −30°…30° by 3°, Txy 125 µm (20 px at
// 6.25 µm, Song 2014), Tθ 6°, TCCF 0.5 (cmcR, Song 2018), High-CMC τ = 1.
type Config struct {
	Mode Mode `json:"mode"`
	// GridCells splits the reference into GridCells×GridCells cells. When
	// CellSizeUM > 0 it is used instead: square cells of that side.
	GridCells  int     `json:"grid_cells"`
	CellSizeUM float64 `json:"cell_size_um"`
	// RegionMultiplier is the side of the target region over the cell side.
	RegionMultiplier int `json:"region_multiplier"`
	// Rotation grid, degrees.
	ThetaMin  float64 `json:"theta_min"`
	ThetaMax  float64 `json:"theta_max"`
	ThetaStep float64 `json:"theta_step"`
	// MaxMissing drops cells and regions with a larger share of missing
	// points (cmcR default 0.85; Chen 2017 requires ≥ 15 % valid).
	MaxMissing float64 `json:"max_missing"`
	// Decision thresholds.
	TransUM    float64 `json:"trans_um"`    // Tx = Ty, µm
	ThetaDeg   float64 `json:"theta_deg"`   // Tθ
	CorrThresh float64 `json:"corr_thresh"` // TCCF
	Tau        int     `json:"tau"`         // High-CMC τ
	// PreAlign centres each cell's target region on where the whole-scan
	// registration at that rotation puts the cell, instead of on the
	// cell's own position (cmcR). Without it a large translation between
	// the scans pulls the per-rotation median translation away from the
	// truth whenever fewer than half the cells match. Fast mode always
	// pre-aligns.
	PreAlign bool `json:"pre_align"`
	// CoarseFactor is the decimation of the whole-scan registration.
	CoarseFactor int `json:"coarse_factor"`
	// FastSpanDeg: in fast mode the cells are searched at θ* ± this span.
	FastSpanDeg float64 `json:"fast_span_deg"`
	// FastProbeDeg adds the rotations θ* ± FastProbeDeg (0: none) in fast
	// mode. A true match is sharp in rotation while structure common to
	// different sources (sub-class marks, processing edges) is not; with
	// rotations only near θ* the High-CMC rule cannot see the difference,
	// since every candidate lies within Tθ. The probes restore its test.
	FastProbeDeg float64 `json:"fast_probe_deg"`
}

// DefaultConfig returns the literature settings in fast mode.
func DefaultConfig() Config {
	return Config{
		Mode:             ModeFast,
		GridCells:        8,
		RegionMultiplier: 3,
		ThetaMin:         -30,
		ThetaMax:         30,
		ThetaStep:        3,
		MaxMissing:       0.85,
		TransUM:          125,
		ThetaDeg:         6,
		CorrThresh:       0.5,
		Tau:              1,
		PreAlign:         true,
		CoarseFactor:     4,
		FastSpanDeg:      3,
		FastProbeDeg:     9,
	}
}

// CmcRConfig returns the settings of the cmcR Fadul study script
// (../shared/reference/cmcr/parameters.csv): like DefaultConfig in
// exhaustive mode, with cells and regions dropped above 90 % missing and
// regions centred on the cells (no pre-alignment).
func CmcRConfig() Config {
	c := DefaultConfig()
	c.Mode = ModeExhaustive
	c.MaxMissing = 0.90
	c.PreAlign = false
	return c
}

// Validate reports the first unusable parameter.
func (c Config) Validate() error {
	switch {
	case c.Mode != ModeFast && c.Mode != ModeExhaustive:
		return fmt.Errorf("cartridge: unknown mode %q (want fast or exhaustive)", c.Mode)
	case c.CellSizeUM < 0 || math.IsNaN(c.CellSizeUM):
		return fmt.Errorf("cartridge: cell size %g µm must be ≥ 0", c.CellSizeUM)
	case c.CellSizeUM == 0 && (c.GridCells < 1 || c.GridCells > 64):
		return fmt.Errorf("cartridge: grid of %d cells per side, want 1..64", c.GridCells)
	case c.RegionMultiplier < 1:
		return fmt.Errorf("cartridge: region multiplier %d must be ≥ 1", c.RegionMultiplier)
	case !(c.ThetaStep > 0) || !(c.ThetaMax >= c.ThetaMin) || (c.ThetaMax-c.ThetaMin)/c.ThetaStep > 720:
		return fmt.Errorf("cartridge: rotation grid %g..%g by %g is not usable", c.ThetaMin, c.ThetaMax, c.ThetaStep)
	case !(c.MaxMissing >= 0 && c.MaxMissing < 1):
		return fmt.Errorf("cartridge: max missing share %g must be in [0, 1)", c.MaxMissing)
	case !(c.TransUM > 0) || !(c.ThetaDeg >= 0) || math.IsNaN(c.CorrThresh) || c.Tau < 0:
		return fmt.Errorf("cartridge: bad thresholds Txy=%g µm Tθ=%g TCCF=%g τ=%d", c.TransUM, c.ThetaDeg, c.CorrThresh, c.Tau)
	case c.CoarseFactor < 1 || c.CoarseFactor > 16:
		return fmt.Errorf("cartridge: coarse factor %d, want 1..16", c.CoarseFactor)
	case c.Mode == ModeFast && (!(c.FastSpanDeg >= 0) || !(c.FastProbeDeg >= 0)):
		return fmt.Errorf("cartridge: fast-mode rotation span %g° and probe %g° must be ≥ 0", c.FastSpanDeg, c.FastProbeDeg)
	}
	return nil
}

// thetas returns the rotation grid.
func (c Config) thetas() []float64 {
	n := int(math.Floor((c.ThetaMax-c.ThetaMin)/c.ThetaStep+1e-9)) + 1
	out := make([]float64, n)
	for i := range out {
		out[i] = roundAngle(c.ThetaMin + float64(i)*c.ThetaStep)
	}
	return out
}

// roundAngle removes floating-point noise from grid angles (1e-9°).
func roundAngle(t float64) float64 { return math.Round(t*1e9) / 1e9 }

// thresholds converts the µm thresholds at spacing dx µm.
func (c Config) thresholds(dx float64) Thresholds {
	return Thresholds{TransPx: c.TransUM / dx, ThetaDeg: c.ThetaDeg, Corr: c.CorrThresh, Tau: c.Tau}
}
