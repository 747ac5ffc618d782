// Package search is the ranked search over an evidence corpus
// (algorithms.md §5.3): a class-characteristic prefilter, a coarse stage
// over every compatible exhibit, and the full comparison of the engines
// (internal/compare/cartridge in its fast mode, internal/compare/bullet) on
// the best coarse candidates. It holds no database: the API layer stores
// each exhibit's Features as a derived blob (MarshalBinary), loads them into
// an Index at start-up and backs PreparedSource/BulletSource with its blobs.
//
// # Coarse stage
//
// Cartridge cases (Signer.Cartridge): the processed breech face is averaged
// to 12.5 µm, its valid region tapered, and the log power spectrum in the
// 25–250 µm band sampled on a polar grid (24 rings × 64 angles over 180°),
// each ring standardised. A shift of the scan leaves the power spectrum
// unchanged; a rotation shifts the polar grid along the angle. Two steps:
//
//  1. an exhaustive scan of a rotation-invariant vector (per ring the
//     magnitudes of the first 16 harmonics along the angle; 384 float32,
//     unit length, one contiguous matrix, dot products on all workers),
//     keeping Query.Rerank candidates;
//  2. a rotation search of the quantised polar spectra (int8, circular
//     shifts within ±MaxRotationDeg) on those, keeping K.
//
// Bullets (BulletFeatures): per land, the log energies of the signature's
// spectrum in 32 log-spaced bands (20–500 µm), which do not depend on
// where the striae sit along the signature; a bullet scores against another
// by the best cyclic land phase's mean cosine (phase voting).
//
// # Known limits (measured, see the bench)
//
// The spectral signature ranks real breech faces well (Fadul, with 400
// synthetic distractors: 124 of 126 mates in the coarse top 100, and the
// full comparison of the top 20 puts a mate first for all 40 queries) but
// hardly separates the synthetic firearms of internal/synth: their marks
// are isotropic random fields with one shared spectrum, seen through
// independent partial-contact masks and shifted up to ±200 µm, so any
// global Fourier invariant (power spectrum, its polar harmonics) mostly
// measures the mask. Reaching recall@100 ≥ 99 % on them at 100,000 needs
// a phase-keeping, translation-tolerant signature (local keypoint
// descriptors with geometric verification); the Index and Features format
// (versioned) are ready for it.
//
// # Class prefilter
//
// Class.Compatible: every field known on both sides must agree (texts
// ignoring case and spaces, land widths within ±10 %); an unknown field
// (zero value) matches anything.
//
// # Conventions
//
// Lengths are µm; NaN marks missing points in surfaces and signatures and
// never reaches a feature or a score. Features are read-only once built;
// Index copies what it is given. Scores are finite.
package search
