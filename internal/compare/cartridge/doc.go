// Package cartridge compares breech-face impressions on cartridge cases: it
// preprocesses raw scans, registers two scans cell by cell (the congruent
// matching cells family: Song 2013, Tong 2015, cmcR), applies the original
// and High-CMC decision rules, and turns the result into a similarity score
// and a calibrated likelihood ratio. algorithms.md §2 is the specification.
//
// # Units and conventions
//
// Everything is in micrometres (surface.Map), except the translations of the
// cell registration, which are in pixels of the processed scans (6.25 µm by
// default); Result.SpacingUM converts them. Rotations are in degrees. Pixel
// (x, y) is column x, row y; a rotation by θ turns the picture clockwise with
// row 0 at the top (rotateNearest). NaN marks a missing point everywhere and
// is never turned into a height: cells and regions are dropped above
// Config.MaxMissing missing, and correlations use the valid pairs only.
//
// # Pipeline
//
//  1. Preprocess (PreprocessConfig, presets "default" = Chen 2017 16–250 µm
//     ISO Gaussian, "cmcr" = cmcR 16–500 µm kernel): unit check, exterior
//     crop, firing-pin removal, robust plane, band-pass, decimation or
//     resampling to 6.25 µm, 50 µm edge erosion, trim, and refusal of bullet
//     lands and too small surfaces (ErrUnsuitable, with the measured area).
//     Processed: true skips crop, firing pin, de-trend and erosion (the
//     Fadul set) but, in the default preset, still band-passes to
//     16–250 µm so that every scan is compared in the same band (the Fadul
//     files carry cmcR's 16–500 µm band, whose edge-damped long waves are
//     shared by different slides).
//  2. Prepare splits the reference into cells (8×8 by default), keeps a
//     coarse copy (×4) and caches, once per scan and lazily, the coarse
//     rotations and the cells' FFT spectra. A Prepared is read-only
//     afterwards and may be shared by goroutines.
//  3. Comparer.Compare (one Comparer per goroutine; single-threaded; reuses
//     its FFT plans and buffers) runs both directions. Each direction first
//     registers the whole coarse scans over the rotation grid (θ*, d*: the
//     highest zero-filled CCF, which weighs agreement by overlap), then
//     for each rotation θ and each usable cell finds the translation by the
//     zero-filled FFT cross-correlation inside a region 3× the cell side and
//     computes the pairwise-complete correlation there. ModeExhaustive
//     searches all 21 rotations (−30…30 by 3); ModeFast only θ* ± 3° and two
//     probes at θ* ± 9° (5 rotations), which keep the High-CMC rotation test
//     able to reject structure shared by different sources. With
//     pre-alignment (default; not in CmcRConfig) each region is centred
//     where (θ*, d*) predicts the cell.
//  4. Decide applies the original rule per direction and High-CMC combined
//     over directions exactly as cmcR's decision_combineDirections does
//     (checked against cmcR's own per-cell results on 21 Fadul pairs).
//  5. Features → Calibration.Score: a logistic regression fitted with the
//     two classes weighted equally, so its log-odds (the ranking score) is
//     the natural log of a score-based likelihood ratio that does not
//     depend on the training mix. The shipped coefficients
//     (calibration.json) are fitted on synthetic cartridge cases from
//     internal/synth, never on Fadul: go test -run TestFitCalibration -args -update.
//     RunBench reports how it holds on real data (share of same-source
//     pairs with LR > 1, of different-source pairs with LR < 1, Cllr).
//
// Scores and likelihood ratios are always finite (bounded at ±30 log-odds).
package cartridge
