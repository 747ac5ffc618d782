// Package synth generates synthetic cartridge-case and bullet-land scans with
// known ground truth, so that tests, score-model fitting and scale benchmarks
// can make their own data (algorithms.md §7.2).
//
// # Determinism
//
// Every random draw comes from a PCG generator (math/rand/v2) seeded from the
// configuration's Seed and the identity of what is drawn (firearm, shot,
// barrel, bullet, land). The same configuration therefore gives bit-identical
// output, and firearm 3 of a run with 5 firearms equals firearm 3 of a run
// with 10. Bullet marks are modelled in µm, independently of the grid: one
// seed at two spacings (without Damage) scans the same bullets at two
// resolutions. There is no global random state.
//
// # Units and orientation
//
// Every length is in micrometres (µm), heights included. NaN marks a missing
// point. Column c lies at x = c·DX and row r at y = r·DY (X0 = Y0 = 0).
//
// Bullet lands follow algorithms.md §4.1 as CSAFE's scans (Hamby 44) and
// x3ptools have it: the striae run along the rows' direction of travel (y),
// the land-engraved area runs left to right from groove to groove with a
// groove shoulder near each end, and the bullet base is at the bottom of the
// image x3ptools draws, which is the LAST stored row (x3p_to_df puts the
// first stored row at the top). Heights "above the base" (BreakOffUM) are
// measured from the last row upwards.
//
// Cartridge pose: let p be a point of a scan relative to the scan centre
// ((NX−1)/2·DX, (NY−1)/2·DY). The scan shows the firearm's breech-face
// template at q = R(θ)·p + t, where R(θ) rotates counter-clockwise in (x, y)
// by Truth.RotationDeg and t = (ShiftXUM, ShiftYUM). RelativePose turns two
// truths into the transform that maps one scan onto the other.
//
// Generated maps are fresh allocations owned by the caller.
package synth
