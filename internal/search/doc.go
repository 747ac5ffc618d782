// Package search is the ranked search over an evidence corpus
// (algorithms.md §5.3): a class-characteristic prefilter, a coarse stage
// over every compatible exhibit, and the full comparison of the engines
// (internal/compare/cartridge in its fast mode, internal/compare/bullet) on
// the best coarse candidates. It holds no database: the API layer stores
// each exhibit's Features as a derived blob (MarshalBinary), loads them into
// an Index at start-up and backs PreparedSource/BulletSource with its blobs.
//
// # Coarse stage (cartridge cases, feature format 3)
//
// A cartridge case's stored features (Signer.Cartridge, 21,894 bytes) are
// computed once from its processed breech face:
//
//   - polar harmonics: the amplitude spectrum of the surface at 12.5 µm
//     (a 3.2 mm window about the valid region's centroid, tapered) at
//     36–240 µm on a polar grid (86 rings × 128 angles over 180°, each
//     ring standardised), its first 32 harmonics along the angle,
//     quantised to int8 (5,504 bytes). The amplitude spectrum ignores a
//     shift of the scan, and a rotation is a phase ramp of the harmonics,
//     so one product per ring gives the spectra's correlation at every
//     rotation (the amplitude, not the log power: see Known limits);
//   - the map: the surface resampled to 25 µm on a 128² grid (3.2 mm about
//     the valid region's centroid), the valid region tapered over 50 µm
//     and the weighted mean removed, quantised to int8 (16 KiB).
//
// Index.Add keeps resident only what the coarse stage compares (≈ 9.5 KiB a
// row): the polar harmonics as stored, and the registration spectrum
// derived from the map: block-averaged to 50 µm (64²), band-limited to
// wavelengths ≤ 400 µm (the mask and form are longer), flattened by
// (|k|/16)^1.5 and quantised to int8. The registration correlates the
// query with the flattened spectrum, so each wavelength counts with that
// weight (a half whitening).
//
// A query (Index.Query) turns its own map by every angle cell within
// MaxRotationDeg and transforms each. Then, phase-coherently:
//
//  1. exhaustive scan: per compatible row, the polar correlation over the
//     angle cells, and at its best Hypotheses peaks (the pipeline's
//     default: 1 with query expansion, 2 without; Query's: 2) the FFT
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
// # Query expansion (cartridge cases)
//
// A firing that shares little contact with the query can share much more
// with another firing of the same firearm, and the search usually finds
// that one (query expansion, as Chum et al., "Total recall", ICCV 2007, do
// for image retrieval). So after the full comparison of the best Full
// coarse candidates, Pipeline.Search takes those the engine identifies
// (high-CMC ≥ IdentifiedCMC; at most PipelineConfig.Expand, default 3,
// best first), derives their features from their prepared surfaces, turns
// and shifts each into the query's frame by its coarse registration and
// adds it to the query (expandFeatures: the maps summed, the polar
// harmonics averaged), and scans the corpus again with that query: one
// rotation hypothesis, the sweep of the best 300 (ExpandRerankDefault).
// Every candidate keeps the better of its two coarse scores; the list
// stays at K (the compared hits, then the best others by coarse score);
// new candidates among the best Full by coarse score get the full
// comparison too (at most Expand of them). Hits only the expanded query found are marked
// (Hit.Expanded; Registration.Expanded in the server's stored lists) and
// Result.ExpandedWith names the hits used. A query with no identified hit,
// the common case for a new crime-scene exhibit, costs nothing more.
// Seeds come only from the engine's identification, not from the coarse
// score, so that an unrelated candidate cannot steer the second scan.
//
// Measured with TestDiagnoseExpansion (TRACEMARK_SEARCH_DIAG_EXPAND=
// firearms:distractors:queries:seeds, seeds = the best coarse candidates
// scoring ≥ 0.2, all of them mates here): at 10,000 exhibits
// (500:8000:60, 180 mates) the plain search loses 15, the expanded search
// 7 with one seed and 4 with three; at 100,000 (5000:79960:40, the bench's
// 120 mates) the plain search loses 17, the expanded search 4 with three
// seeds and a second scan like the first (two hypotheses, the sweep of
// 1,000) and 5 with the pipeline's cheaper one (one hypothesis, 300).
// With one hypothesis in the first scan too (TRACEMARK_SEARCH_DIAG_HYP=1,
// the pipeline's default with expansion): 17 and 5 at 100,000, 18 and 6
// at 10,000. Dividing each list's scores by its K-th before merging (the
// variant suffix n) changed nothing at 10,000 (measured there only). The pipeline keeps more than this
// diagnostic (tracemark bench search at 100,000: 1 lost), as its seeds
// are the mates the engine identifies.
//
// # Known limits (measured)
//
// At 100,000 exhibits (20,000 synthetic firings of 5,000 firearms, 79,960
// turned or mirrored distractors, the 40 Fadul scans; the full comparison
// of the best 10; tracemark bench search --queries 40, feature format 3):
// recall@100 is 1.000 on the 126 Fadul mates and top-1 1.000 (every
// Fadul query's best candidate among 100,000 is a mate); on the 120
// synthetic mates recall@100 is 0.992 with query expansion (1.000 over
// the 111 of them the engine identifies when it compares the pair
// directly, high-CMC ≥ 6, --engine-mates; the one lost is not), top-1
// 1.000. The query's own scan keeps 0.858 (0.919 of the identified): the
// figures until session 5, with two hypotheses; one keeps the same 103.
// A query takes 4.6 s wall (median; p95 7.1 s: the machine slowed during
// the run, the same first scan taking 1.2 s early and 1.8 s late), of
// which the first coarse scan 1.7 s and the expanded one 1.5 s, and 8.8 s
// of process CPU; peak RSS 3.1 GiB (index 1,085 MiB, prepared cache 512
// MiB). Without the expansion, with two hypotheses: 3.0 s (p95 3.5 s),
// 5.7 s of CPU, 3.0 GiB. With a 1 GiB prepared cache, measured exactly since
// Prepared.Bytes, the heap met the bench's 3 GiB soft limit and the
// collector ran all the time (6.0 s median for the real queries): the
// cache budget is 512 MiB in the bench and the server.
//
// Why the query's own scan loses synthetic mates at 100,000 (TestDiagnoseMates with
// TRACEMARK_SEARCH_DIAG=5000:79960:40 and _ENGINE=1; the same 120 mates, 17
// lost): 16 are not among the exhaustive scan's best 1,000 (ranks 588 to
// 98,186) and one falls just below the 100th best after the sweep (0.136
// against 0.137). Of the 16, 12 would score below the 100th best unrelated
// scan (≈ 0.135) even at their best rotation (0.088–0.131): the 50 µm
// registration of 100–400 µm wavelengths is too weak a statistic for pairs
// that share little contact, although the engine at full resolution
// identifies 6 of them (high-CMC 6–17); 4 need a rotation the polar peaks
// miss (0.139–0.176 once swept); 4 of the 17 the engine does not identify
// either (high-CMC ≤ 1). At 10,000 exhibits the same diagnosis
// (500:8000:60) loses 12 of 180 mates (19 with format 2): 9 in the scan,
// 3 after the sweep; 7 of them fall below high-CMC 6 in the engine (5 at
// ≤ 1).
//
// Format 3 took the polar spectrum from the 12.5 µm surface down to 36 µm
// (format 2: from the 25 µm map, 60–240 µm): the true rotation is among
// the two best polar peaks for 94 % of 180 mates instead of 90.5 %; and the
// registration weights each wavelength by the flattening weight (at
// 10,000: 19 → 17 lost; the weight squared, full whitening: 23; its square
// root: 18). Tried and left out, each measured with TestDiagnoseMates at
// 10,000 (180 mates): a third or fourth polar hypothesis (no gain); local
// polar spectra of 1.2 mm patches summed over neighbouring patches (the
// true rotation among the best two peaks for 58–63 % alone, 88 % added to
// the global spectrum); registering at templates summed over 5–12
// neighbouring angle cells to widen each hypothesis (13–21 lost); the
// polar correlation at the registered angle added to the final score (no
// gain); a cell-wise correlation of 500 µm cells at the coarse
// registration (worse: too few wavelengths per cell at 50 µm); the
// correlation surface weighted by the inverse square root of the masks'
// overlap (17 lost); a 25 µm registration of the 1,000 swept candidates
// from their stored maps (2 more of 180 kept at 10,000, but at 100,000
// almost every loss happens before the sweep); turning the query in half
// cells (0.7°) for the polar peaks and the sweep (17 lost: the filter
// scores rise, but so does the 100th best unrelated one after the finer
// sweep); dividing each registration peak by its null standard deviation
// √Σ|Q|²|C|² (13 lost); searching shifts within ±450 µm, where every
// mate's lies, instead of ±700 (12 lost; the 100th best unrelated score
// barely moves: unrelated maxima sit within ±250 µm of zero, where the
// masks overlap most and the correlation varies most); sweeping only ±1–2
// cells about the two polar hypotheses (16 lost: the full sweep rescues
// the mates whose rotation the polar peaks missed); the registration band
// from 250 µm instead of 400 µm (14 lost) or from 533 µm (12); the
// registration on an 80² grid at 40 µm, down to 80 µm wavelengths (12 lost
// at 66 µs a row instead of 38: the 100th best unrelated score falls from
// 0.125 to 0.111, and the mates' scores fall as much); local amplitude
// spectra of 0.8 mm cells (TestDiagnoseLocalSpectra, 2,000 firings, 60
// mates: 19 within the best 0.1 % of the other firings and 28 within the
// best 1 %, where the registration keeps 168 of 180 at 10,000; a mate's
// best-matching cells correlate at only about 0.2). Earlier:
// choosing among 4–5 polar peaks by a 100 µm registration of 200–400 µm,
// ring weights, 64 harmonics. The 99 % target needs an exhaustive statistic as strong as
// the engine's at a few tens of microseconds a row: at 50 µm the
// registration has too few independent wavelengths, and a 25 µm
// registration of every row costs about four times as much (≈ 15 CPU-s
// at 100,000).
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
// is the index (≈ 9.5 KiB per cartridge case) plus the budget.
//
// # Cost and scaling (measured; see tracemark bench search)
//
// Per cartridge row: 9,736 bytes resident (polar harmonics 5,504,
// spectrum 4,224, two float32) plus about 200 bytes of id, class and map
// entry (1,085 MiB for 100,000 rows with the slices' spare capacity); the
// stored feature blob is 21,894 bytes. Per candidate and query, CPU on one
// core (BenchmarkCandidate -benchtime 20000x, quiet machine, three runs):
// the exhaustive scan 36–39 µs, as with format 2 (the larger polar block,
// its cross-spectrum in int32 ≈ 10 µs, costs what pruning the two 64²
// inverse FFTs to the rows of the searched shifts saved; ≈ 13 µs each
// now), the sweep ≈ 0.45 ms (about 28 registrations), deriving a row
// from a stored blob 0.17–0.19 ms; computing the features of a scan
// (BenchmarkSignature) 2.9–3.1 ms. With one hypothesis (the pipeline's
// default with query expansion) the scan skips one registration, ≈ 13 µs
// a row. A query thus costs about N × 25 µs + Rerank × 0.45 ms + Full × ≈
// 0.2 s (engine, fast mode, both directions, candidates loaded through the
// cache) of CPU, and when the engine identifies hits, the expanded query
// as much again for its scan, 300 × 0.45 ms for its sweep and up to 3 more
// full comparisons: at 100,000 with Full 10, 8.8 CPU-s per query, 4.6 s
// wall on the two cores (tracemark bench search, median; 5.7 CPU-s and
// 3.0 s without the expansion).
//
// Projection to 1,000,000 cartridge cases (no class prefilter, the worst
// case): index ≈ 10.6 GiB resident, the exhaustive scan ≈ 38 CPU-s. The
// scan is embarrassingly parallel over rows, so the corpus shards across
// worker processes (Shards, ShardOf; tracemark serve --shard i/n on each
// worker and --remote-shards n on the querying node, over NATS
// request-reply): 8 workers × 2 cores holding 125,000 rows each (≈ 1.3 GiB
// resident and ≈ 3.1 CPU-s per query each for the scan, plus its own sweep
// of Rerank rows, 0.45 CPU-s: ≈ 1.8 s wall), each returning its best K to
// the querying node, which merges them by coarse score (exact: a row's
// score does not depend on the rest of the corpus) and runs the full
// comparison of the top 10 (≈ 2 CPU-s): ≈ 3 s wall per query; a query
// whose hits the engine identifies sends the expanded query to the shards
// too (≈ 1.7 s more) and compares up to 3 more candidates: ≈ 5 s wall. The
// querying node (and tracemark worker --remote-shards n) keeps only the
// entries' metadata: ≈ 540 B per entry, 0.5 GiB at 1,000,000, against
// ≈ 11 KB with a local index (BenchmarkCorrelatorMemory in
// internal/server). Measured across processes at 100,000 exhibits
// (tracemark bench search --synthetic 20000 --distractors 79960 --queries
// 10 --full 10 --shards 2 --shard-processes, quiet machine): two shard
// processes over NATS on loopback keep exactly the mates and top hits of
// the in-process run; coarse 2.30 s and query 3.26 s median against 2.32 s
// and 3.22 s in one process (the request-reply costs ≈ 10–20 ms a query,
// measured on 400 exhibits); each shard holds a 556 MiB index (615 MiB
// resident once built; the peak, 1.56 GiB, is the build's garbage), the
// querying process peaks at 1.5 GiB (its 512 MiB prepared cache and the
// collector's slack), against 3.0 GiB for one process. On one 2-core machine
// the processes share the cores, so no speed-up is expected: the run
// shows the overhead and the memory split that the projection assumes.
// The prepared-candidate cache is bounded per process (PreparedCache, 512 MiB
// in the server) and the full-comparison candidates are loaded from the
// blob store (≈ 21 MB each once compared). The class prefilter (calibre
// group alone) usually cuts the compatible set 3–10×. Recall falls as the
// corpus grows (the 100th best unrelated score rises: ≈ 0.13 at 10,000,
// ≈ 0.135 at 100,000): expect fewer than the 0.86 of synthetic mates at
// 1,000,000 unless the coarse statistic improves (Known limits).
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
