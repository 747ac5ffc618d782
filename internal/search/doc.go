// Package search is the ranked search over an evidence corpus
// (algorithms.md §5.3): a class-characteristic prefilter, a coarse stage
// over every compatible exhibit, and the full comparison of the engines
// (internal/compare/cartridge in its fast mode, internal/compare/bullet) on
// the best coarse candidates. It holds no database: the API layer stores
// each exhibit's Features as a derived blob (MarshalBinary), loads them into
// an Index at start-up and backs PreparedSource/BulletSource with its blobs.
//
// # Coarse stage (cartridge cases, feature format 2)
//
// A cartridge case's stored features (Signer.Cartridge) are its processed
// breech face resampled to 25 µm on a 128² grid (3.2 mm about the valid
// region's centroid), the valid region tapered over 50 µm and the weighted mean
// removed, quantised to int8 (16 KiB). Index.Add derives and keeps
// resident only what the coarse stage compares (≈ 7 KiB a row):
//
//   - polar harmonics: the log-power spectrum at 60–240 µm on a polar grid
//     (46 rings × 128 angles over 180°, each ring standardised), its first
//     32 harmonics along the angle. The power spectrum ignores a shift of
//     the scan, and a rotation is a phase ramp of the harmonics, so one
//     product per ring gives the spectra's correlation at every rotation;
//   - the registration spectrum: the map block-averaged to 50 µm (64²),
//     band-limited to wavelengths ≤ 400 µm (the mask and form are longer),
//     flattened by (|k|/16)^1.5 and quantised to int8.
//
// A query (Index.Query) turns its own map by every angle cell within
// MaxRotationDeg and transforms each. Then, phase-coherently:
//
//  1. exhaustive scan: per compatible row, the polar correlation over the
//     angle cells, and at its best Hypotheses peaks (default 2) the FFT
//     cross-correlation of the registration maps at every shift within
//     ±700 µm; the score is the peak normalised by the maps' norms (a
//     zero-filled NCC). Keeps Rerank (default 1000);
//  2. full rotation sweep on those: every second angle cell, then the two
//     beside the best; keeps K, with the rotation and shift found.
//
// Why phase-coherent: two firings of one firearm share only part of their
// marks (partial contact, different shifts). The power spectrum of such
// partly shared random fields correlates only as the square of the shared
// fraction ρ, and pooling it into bins loses that; the registration
// correlates as ρ itself. Measured on synthetic firings (internal/synth,
// where every firearm has the same spectrum): the v1 power-spectrum
// signature kept 2 % of mates at 100,000; the polar correlation alone
// ranks half of the mates first among 1,000 but many at random; a full
// registration sweep at 50 µm separates all but the pairs with the least
// common contact. The bench (tracemark bench search) reports recall@K.
//
// # Known limits (measured)
//
// At 50,040 exhibits (7,500 synthetic firings, 42,500 turned or mirrored
// distractors, the 40 Fadul scans; coarse only): recall@100 is 1.000 on
// the 126 Fadul mates and 0.833 on 60 synthetic mates (0.867 at 10,040,
// 0.967 at 2,000 with 30 mates); the coarse stage costs 2.7 s of CPU per
// query (55 µs a row). The synthetic mates lost are of two kinds: (1) the
// polar spectrum's best two rotation peaks miss the true rotation (its
// statistic grows with ρ², so pairs with little shared contact get a wrong
// angle; about 13 % of mates at 4,000, most of which the full sweep would
// find), and (2) pairs whose best registration scores like the best of
// tens of thousands of unrelated scans (zero-filled NCC ≈ 0.1–0.17). The
// target of 99 % needs a statistic normalised over the overlap (masked
// NCC, or CMC-like cells voting on one rotation and shift) in the
// exhaustive scan, at two to three times the FFT work, or a second index
// keyed by local cell descriptors.
//
// Bullets (BulletFeatures): per land, the log energies of the signature's
// spectrum in 32 log-spaced bands (20–500 µm), which do not depend on
// where the striae sit along the signature; a bullet scores against another
// by the best cyclic land phase's mean cosine (phase voting).
//
// # Full comparison and memory
//
// Pipeline compares the best Full coarse candidates with the engines. A
// cartridge.Prepared holds about 25× its surface once compared (≈ 60 MB
// for a Fadul scan); PreparedCache keeps the recently used ones within a
// byte budget (LRU) and loads the others, so memory is the index (≈ 7 KiB
// per cartridge case) plus the budget.
//
// # Cost and scaling (measured; see tracemark bench search)
//
// Per cartridge row: 7,176 bytes resident (polar harmonics 2,944, spectrum
// 4,224, two float32) plus about 200 bytes of id, class and map entry; the
// stored feature blob is 16,390 bytes. Per candidate and query, CPU on one
// core of the project machine under load (BenchmarkCandidate): the
// exhaustive scan ≈ 40–70 µs (two 64² inverse FFTs dominate), the full
// sweep ≈ 0.5 ms (26 of them), so a query costs about
// N × 55 µs + Rerank × 0.5 ms + Full × ~0.3 s (engine, fast mode, both
// directions, candidate caches warm) of CPU.
//
// Projection to 1,000,000 cartridge cases (no class prefilter, the worst
// case): index 7.4 GB resident, the exhaustive scan ≈ 55 CPU-s, i.e.
// ≈ 3.5 s on 16 cores. The scan is embarrassingly parallel over rows, so
// the corpus shards by row range (or by calibre partition) across worker
// processes: 8 workers × 2 cores holding 125,000 rows each (≈ 0.93 GB
// resident and ≈ 7 CPU-s per query each, ≈ 3.5 s wall), each returning its
// best Rerank to the querying node, which runs the sweep on the merged
// list (0.5 CPU-s) and the full comparison of the top 10–20 (3–6 CPU-s,
// shared out on the JetStream correlation queue). Today every worker loads
// the whole corpus (server.Correlator.Reload): at 1,000,000 that is 7.4 GB
// per worker, so sharding (a shard id in the work message and a per-shard
// Load) is what the workers need; the prepared-candidate cache is bounded
// per process (PreparedCache) and the full-comparison candidates are
// loaded from the blob store (≈ 60 MB each once compared). The class
// prefilter (calibre group alone) usually cuts the compatible set 3–10×.
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
