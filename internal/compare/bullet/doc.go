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
