// Package bullet compares fired bullets by the striae on their
// land-engraved areas (LEAs), following the bulletxtrctr pipeline of Hare,
// Hofmann and Carriquiry (2017) with our own land scorer.
//
// # Pipeline
//
//   - ProcessLand (once per land scan): fix implausible units, check the
//     scan is a land (striation anisotropy, width) and orient it, find a
//     stable cross-cut near the base, locate the grooves, remove the
//     curvature and smooth the residual into a signature.
//   - Comparer.CompareLands: align two signatures (best pairwise-complete
//     Pearson correlation with at least 75 % overlap), derive the striae
//     features and score them with a logistic model.
//   - Comparer.CompareBullets: land-by-land scores, the sequence-average
//     maximum (SAM) over land phases, the best phase, its margin and the
//     phase-test p-value.
//
// # Conventions
//
// Lengths are µm (heights, spacings, positions), as everywhere in tracemark;
// feature counts "per mm" divide by mm. A land scan has its striae along y
// and the bullet base at its last row: this is the x3ptools convention
// (x3p_to_df puts the first stored row at the top), in which CSAFE's scans
// such as Hamby 44 come. A scan whose striae run along x is turned 90°.
// A file whose lateral spacing exceeds 1 mm per sample, or whose heights span
// more than 1 cm, was written in µm rather than metres and is scaled by 1e-6
// (a land is about 2 mm wide; no scanner samples that coarsely).
//
// Parameters come from the literature and are expressed in µm so that they
// mean the same at any resolution (tested from 1.5625 to 7.8 µm): sample
// counts of bulletxtrctr/grooveFinder are converted at 1.5625 µm, the
// spacing they were set for.
//
// # Refusals and unsuitable lands
//
// ProcessLand refuses (ErrNotALand) a surface whose roughness is not
// anisotropic: the median squared second difference (lag 25 µm) across the
// striae must exceed twice that along them, either way round (the 12 Hamby 44
// lands score 2.6–26, the Fadul breech faces at most 1.5), and a land must be
// 0.25–8 mm wide. It reports a land as unsuitable (*UnsuitableError, with the
// reason) when every cross-cut is more than half missing, or the signature is
// shorter than 400 µm or less than half measured. Bullets keep such lands as
// nil; comparisons use the others and list what was left out.
//
// # Departures from bulletxtrctr
//
//   - Groove smoothing uses Hare et al. (2017)'s 35 samples (55 µm) instead of
//     grooveFinder's default 15 (23 µm): at 7.8 µm the latter is 3 samples and
//     stops at the first noise wiggle on the shoulder.
//   - A side where rollapply finds no shoulder (the wall was not measured, or
//     the minimum lies beyond 625 µm) is cut by the middle rule (12.5 % of the
//     measured width) instead of keeping the edge, which would put the groove
//     wall into the signature; no shoulder on either side gives "middle".
//   - Without a cross-cut pair above CCF 0.9 the most stable one is used (and
//     noted) instead of returning no cross-cut.
//   - Missing points keep their place (NaN) in the signature instead of being
//     dropped, so alignment keeps the true geometry.
//   - D is the RMS difference in µm and sd_D the sum of the SDs in µm, not
//     rescaled by the 1.5625 µm resolution; counts per mm use the overlap.
//   - rough_cor subtracts a span-0.3 loess of the point-wise mean of the two
//     aligned signatures.
//
// # Land model
//
// The land score is a logistic regression (model.json, embedded) fitted by
// TestFitLandModel on synthetic bullets only (internal/synth, two seeds, 2.5
// and 6.25 µm, damaged, shuffled lands; every cross-bullet land pair). Its
// candidate features are the dimensionless ones (ccf, rough_cor, D/sd_D and
// the striae counts per mm); absolute heights are left out because their
// scale depends on the ammunition, which synthetic lands cannot know. Features
// whose coefficient takes the wrong sign (collinearity) are dropped and the
// model refitted. Real lands were never used for fitting: TestHamby44 shows
// how the score transfers. Refit with
//
//	go test ./internal/compare/bullet -run TestFitLandModel -update
//
// which must be done whenever internal/synth changes its bullets.
//
// # Smoother
//
// loess is local quadratic regression with tricube weights over the
// nearest span·n valid points (R's loess, degree 2, family gaussian). The
// wide spans (0.75 curvature, 0.3 rough correlation) are fitted at vertices
// a twentieth of the neighbourhood apart and joined by cubic Hermite
// segments using the fitted slopes, as R's surface = "interpolate" does; the
// narrow signature span (0.03) is fitted at every point.
//
// # Missing points
//
// NaN marks a missing point. Missing points are left out of every fit and
// stay NaN in the signature; correlations are pairwise complete. Nothing
// here returns a NaN score: undefined correlations count as 0.
//
// No function mutates its arguments.
package bullet
