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
//   - polar harmonics: the amplitude spectrum at 60–240 µm on a polar grid
//     (46 rings × 128 angles over 180°, each ring standardised), its first
//     32 harmonics along the angle. The amplitude spectrum ignores a shift
//     of the scan, and a rotation is a phase ramp of the harmonics, so one
//     product per ring gives the spectra's correlation at every rotation
//     (the amplitude, not the log power: see Known limits);
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
//  2. full rotation sweep on those: every second angle cell, then the
//     cells beside the two best of those and beside the exhaustive scan's
//     angle (the registration peak is one to two cells wide, so a peak on
//     an odd cell can hide between two weak even ones; the sweep never
//     ends below the scan's score); keeps K, with the rotation and shift
//     found.
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
// At 100,000 exhibits (20,000 synthetic firings of 5,000 firearms, 79,960
// turned or mirrored distractors, the 40 Fadul scans; the full comparison
// of the best 10; two runs of tracemark bench search at load 6–8 on the 2
// cores, 20 and 30 synthetic queries): recall@100 is 1.000 on the 126
// Fadul mates and top-1 1.000 (every Fadul query's best candidate among
// 100,000 is a mate); on the synthetic mates recall@100 is 0.917 (60) and
// 0.867 (90), 0.88 over the 120 distinct mates of both runs, top-1 1.000.
// A query costs 6.5–6.7 s of process CPU (median; p95 7.8–8.9 s), 8.1–9.1 s
// wall at that load; peak RSS 3.0 GiB (index 770 MiB, prepared cache
// 1 GiB). The coarse stage alone (--coarse-only, same corpus and queries,
// same recall: it is deterministic) costs 4.5 CPU-s per query (45 µs a
// row with the sweep), 3.0 s wall at load 3–5, so the 10 full
// comparisons cost ≈ 2.2 CPU-s. Before the bench's bulk path preprocessed its exhibits as ingest
// does (band-pass), the queries were band-passed and the corpus not, which
// cost recall: the 0.833 measured at 50,040 then is not comparable.
//
// Why synthetic mates are lost (TestDiagnoseMates, 10,000 exhibits, 180
// mates, 19 lost): 7 pairs the full engine does not identify either
// (fast mode: high-CMC ≤ 1, log10 LR ≤ 0.3; they share too little
// contact), 5 whose zero-filled NCC at the true rotation is below the 100th
// best of the unrelated scans (0.10–0.12 against ≈ 0.13; the engine finds
// them, high-CMC 4–14), and 7 whose true rotation is not among the polar
// spectrum's two best peaks (its statistic grows with ρ², the shared
// fraction squared), which a sweep would find (NCC 0.16–0.30). The coarse
// stage thus keeps about 93 % of the mates the engine identifies. The
// polar peaks hold the true rotation among the best 2 for 90.5 % of 600
// mates with the amplitude spectrum (86.2 % with the log power), the best
// 3 for 92 %, the best 4 for 93 %; every further hypothesis costs one 64²
// inverse FFT (≈ 15 µs a row; Hypotheses 3 kept one more of the 180 mates
// above), and a sweep of every row ≈ 0.5 ms a row.
// Tried and left out: choosing among 4–5 polar peaks by a 100 µm (32²)
// registration of the long wavelengths (200–400 µm): it picks wrong angles
// even for strong mates; weighting rings by radius and more harmonics
// (64): within noise. The target of 99 % needs a rotation estimate that
// grows with ρ (not ρ²) at the cost of a few FFTs a row, or an index keyed
// by local cell descriptors, and a statistic normalised over the shared
// contact for the weak pairs.
//
// Bullets (BulletFeatures): per land, the log energies of the signature's
// spectrum in 32 log-spaced bands (20–500 µm), which do not depend on
// where the striae sit along the signature; a bullet scores against another
// by the best cyclic land phase's mean cosine (phase voting).
//
// # Full comparison and memory
//
// Pipeline compares the best Full coarse candidates with the engines. A
// cartridge.Prepared holds about 9× its surface's 8 bytes a point once
// compared (Prepared.Bytes: ≈ 21 MB for a Fadul scan, 5 MB fresh);
// PreparedCache keeps the recently used ones within a byte budget (LRU,
// sizes measured again at every insertion) and loads the others, so memory
// is the index (≈ 7 KiB per cartridge case) plus the budget.
//
// # Cost and scaling (measured; see tracemark bench search)
//
// Per cartridge row: 7,176 bytes resident (polar harmonics 2,944, spectrum
// 4,224, two float32) plus about 200 bytes of id, class and map entry (770
// MiB for 100,000 rows with the slices' spare capacity); the stored
// feature blob is 16,390 bytes. Per candidate and query, CPU on one core
// of the project machine under load (BenchmarkCandidate): the exhaustive
// scan 36–48 µs (two 64² inverse FFTs of ≈ 15 µs dominate), the sweep
// ≈ 0.5 ms (about 28 of them), so a query costs about N × 40 µs +
// Rerank × 0.5 ms + Full × ≈ 0.2 s (engine, fast mode, both directions,
// candidates loaded through the cache) of CPU: at 100,000 with Full 10
// measured 4.5 CPU-s coarse and 6.5–6.7 CPU-s in all, i.e. ≈ 3.5 s on the
// two cores of an otherwise idle machine (not measurable here: the
// machine is shared).
//
// Projection to 1,000,000 cartridge cases (no class prefilter, the worst
// case): index 7.4 GB resident, the exhaustive scan ≈ 45 CPU-s. The scan
// is embarrassingly parallel over rows, so the corpus shards by row range
// (or by calibre partition) across worker processes: 8 workers × 2 cores
// holding 125,000 rows each (≈ 0.95 GB resident and ≈ 5.6 CPU-s per query
// each, ≈ 3 s wall), each returning its best Rerank to the querying node,
// which runs the sweep on the merged list (0.5 CPU-s) and the full
// comparison of the top 10 (≈ 2 CPU-s, shared out on the JetStream
// correlation queue): ≈ 4–5 s wall per query. Today every worker loads
// the whole corpus (server.Correlator.Reload): at 1,000,000 that is 7.4 GB
// per worker, so sharding (a shard id in the work message and a per-shard
// Load) is what the workers need; the prepared-candidate cache is bounded
// per process (PreparedCache) and the full-comparison candidates are
// loaded from the blob store (≈ 60 MB each once compared). The class
// prefilter (calibre group alone) usually cuts the compatible set 3–10×.
// Recall falls as the corpus grows (the 100th best unrelated score
// rises): expect fewer than the 0.88 of synthetic mates at 1,000,000
// unless the coarse statistic improves (Known limits).
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
