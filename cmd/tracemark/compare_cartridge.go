package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/x3p"
)

// runCompareCartridges compares two breech-face scans. Each scan is
// preprocessed with the chosen preset unless it is declared processed, or
// (with --processed auto) looks processed (cartridge.LooksProcessed), in
// which case it is only checked and resampled.
func runCompareCartridges(cmd *cobra.Command, f compareFlags, a, b string) error {
	start := time.Now()
	cfg, pcfg, calib, err := cartridgeSettings(f)
	if err != nil {
		return err
	}
	pa, la, err := loadForCompare(a, f.processed, pcfg, cfg)
	if err != nil {
		return err
	}
	pb, lb, err := loadForCompare(b, f.processed, pcfg, cfg)
	if err != nil {
		return err
	}
	c, err := cartridge.NewComparer(cfg, calib)
	if err != nil {
		return err
	}
	r, err := c.Compare(pa, pb)
	if err != nil {
		return err
	}
	if f.png != "" {
		if err := savePNG(f.png, r.Overlay(pa, pb)); err != nil {
			return err
		}
	}
	total := time.Since(start)
	w := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			A              string            `json:"a"`
			B              string            `json:"b"`
			PreprocessingA string            `json:"preprocessing_a"`
			PreprocessingB string            `json:"preprocessing_b"`
			TotalMS        float64           `json:"total_ms"`
			Result         *cartridge.Result `json:"result"`
		}{a, b, la, lb, float64(total.Microseconds()) / 1000, r})
	}
	d := r.Decision
	fmt.Fprintf(w, "A: %s (%s, valid %.2f mm²)\nB: %s (%s, valid %.2f mm²)\n", a, la, r.AreaA, b, lb, r.AreaB)
	fmt.Fprintf(w, "score %.2f (log-odds)   log10 LR %.2f   [calibration: %s]\n", r.Score, r.Log10LR, c.Calibration().Version)
	fmt.Fprintf(w, "original CMC (Song): A→B %d, B→A %d, min %d   High-CMC (Tong, combined): %d%s\n",
		d.Forward.Count, d.Backward.Count, d.OriginalMin, d.HighCMC, map[bool]string{true: "", false: " (directions not combined: min of original)"}[d.HighCombined])
	fmt.Fprintf(w, "cells compared: A→B %d, B→A %d (%d×%d px at %g µm)\n", r.Forward.Cells, r.Backward.Cells, r.CellW, r.CellH, r.SpacingUM)
	for _, dir := range []cartridge.Direction{r.Forward, r.Backward} {
		g := dir.Registration
		fmt.Fprintf(w, "registration %s→%s: θ %+.0f°, shift (%+.0f, %+.0f) µm, whole-scan corr %.2f\n",
			shortName(dir.Reference), shortName(dir.Target), g.Theta, g.DXUM, g.DYUM, g.Corr)
	}
	fmt.Fprintf(w, "mode %s; comparison %.0f ms, total %.0f ms\n", r.Mode, r.Elapsed, float64(total.Microseconds())/1000)
	if f.png != "" {
		fmt.Fprintf(w, "wrote %s\n", f.png)
	}
	return nil
}

func shortName(s string) string {
	if len(s) > 40 {
		return "…" + s[len(s)-39:]
	}
	return s
}

// cartridgeSettings turns the comparison flags into engine settings.
func cartridgeSettings(f compareFlags) (cartridge.Config, cartridge.PreprocessConfig, *cartridge.Calibration, error) {
	var pcfg cartridge.PreprocessConfig
	mode, err := cartridge.ParseMode(f.mode)
	if err != nil {
		return cartridge.Config{}, pcfg, nil, err
	}
	cfg := cartridge.DefaultConfig()
	if f.preset == "cmcr" {
		cfg = cartridge.CmcRConfig()
	}
	cfg.Mode = mode
	if pcfg, err = cartridge.PreprocessPreset(f.preset); err != nil {
		return cfg, pcfg, nil, err
	}
	switch f.processed {
	case "auto", "yes", "no":
	default:
		return cfg, pcfg, nil, fmt.Errorf("--processed must be auto, yes or no, not %q", f.processed)
	}
	var calib *cartridge.Calibration
	if f.calibration != "" {
		b, err := os.ReadFile(f.calibration)
		if err != nil {
			return cfg, pcfg, nil, fmt.Errorf("reading the calibration: %w", err)
		}
		if calib, err = cartridge.ParseCalibration(b); err != nil {
			return cfg, pcfg, nil, fmt.Errorf("%s: %w", f.calibration, err)
		}
	}
	return cfg, pcfg, calib, nil
}

// loadForCompare reads and preprocesses one scan and prepares it; it
// returns how the scan was treated. processed is auto, yes or no.
func loadForCompare(path, processed string, pcfg cartridge.PreprocessConfig, cfg cartridge.Config) (*cartridge.Prepared, string, error) {
	f, err := x3p.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	if f.Surface == nil {
		return nil, "", fmt.Errorf("%s is a point cloud; a breech-face comparison needs a gridded surface", path)
	}
	how := "raw: preprocessed"
	if processed == "yes" || (processed == "auto" && cartridge.LooksProcessed(f.Surface)) {
		pcfg.Processed = true
		how = "already processed: checked and resampled only"
	}
	p, err := cartridge.Preprocess(f.Surface, pcfg)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	pr, err := cartridge.Prepare(path, p.Map, cfg)
	if err != nil {
		return nil, "", err
	}
	return pr, how, nil
}
