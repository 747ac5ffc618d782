package report

import (
	"bytes"
	"fmt"

	"github.com/tracemark/tracemark/internal/compare/bullet"
	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/render"
)

// FromCartridge fills a Comparison from a cartridge-case result: the
// figures, and the overlay of a and b aligned (internal/render) with the
// congruent cells. calibration names the calibration version ("" for
// none, which leaves the likelihood ratio out).
func FromCartridge(labelA, labelB string, r *cartridge.Result, a, b *cartridge.Prepared, calibration string) (Comparison, error) {
	if r == nil || a == nil || b == nil {
		return Comparison{}, fmt.Errorf("report: cartridge comparison %s/%s: missing result or scans", labelA, labelB)
	}
	var buf bytes.Buffer
	if err := render.WritePNG(&buf, r.Overlay(a, b)); err != nil {
		return Comparison{}, fmt.Errorf("report: overlay of %s and %s: %w", labelA, labelB, err)
	}
	reg := r.Forward.Consensus
	s := &CartridgeScores{
		HighCMC: r.Decision.HighCMC, OriginalMin: r.Decision.OriginalMin,
		CellsForward: r.Forward.Cells, CellsBackward: r.Backward.Cells,
		ThetaDeg: reg.Theta, DXUM: reg.DXUM, DYUM: reg.DYUM, Score: r.Score,
		Calibration: calibration,
	}
	if calibration != "" {
		lr := r.Log10LR
		s.Log10LR = &lr
	}
	return Comparison{A: labelA, B: labelB, Cartridge: s, Image: buf.Bytes()}, nil
}

// FromBullet fills a Comparison from a bullet result, with the aligned
// signature plot (±clampUM µm).
func FromBullet(labelA, labelB string, r *bullet.BulletComparison, clampUM float64) (Comparison, error) {
	if r == nil {
		return Comparison{}, fmt.Errorf("report: bullet comparison %s/%s: missing result", labelA, labelB)
	}
	var buf bytes.Buffer
	if err := r.WritePNG(&buf, clampUM); err != nil {
		return Comparison{}, fmt.Errorf("report: signature plot of %s and %s: %w", labelA, labelB, err)
	}
	s := &BulletScores{SAM: r.Score, Phase: r.Phase, Margin: r.Margin, Pairs: r.PairsOnPhase}
	if p := float64(r.PValue); p == p {
		s.PValue = &p
	}
	return Comparison{A: labelA, B: labelB, Bullet: s, Image: buf.Bytes()}, nil
}
