// Package ingest turns uploaded files into stored scans: validation, the
// original kept byte for byte, the record, the derived data computed once,
// and a queued correlation run.
//
// # Steps of Ingester.Ingest
//
//  1. Read the file into memory, at most MaxFileBytes (errs.TooLarge above).
//  2. If the agency already holds a file with the same SHA-256, return that
//     scan (Created false) after completing what an earlier crash may have
//     left undone (derived data, correlation run).
//  3. Analyse: detect the format (X3P, PNG, JPEG, TIFF); X3P files go
//     through the x3p reader (a bad file is refused with the reader's
//     reason) and are processed as a breech face (cartridge.Preprocess,
//     Prepare) or a bullet land (bullet.ProcessLand); search features come
//     from package search. Images are decoded to validate them and need a
//     µm-per-pixel calibration; they are stored and shown, not correlated.
//     Every refusal is errs.Invalid and nothing has been stored yet.
//  4. Store the original, then the derived blobs, then the record (PutScan,
//     idempotent by hash: concurrent ingests of one file make one record),
//     so a record never refers to a missing blob. A crash leaves at most
//     unreferenced blobs, which the next ingest of the same file reuses.
//  5. Create a queued correlation run unless the scan has one, and enqueue
//     job {agency, run} of kind JobKind with the run ID as dedup ID. The
//     first run of a scan has an ID derived from the scan ID, so the queue
//     deduplicates by scan; a retry after a failed run gets a fresh ID.
//
// # Derived blobs
//
// Cartridge cases: the processed surface (6.25 µm, band-passed) as an X3P
// file with float64 heights (EncodeSurface), and the search.Features binary.
// Bullet lands: the processed land as JSON (EncodeLand: signature in µm,
// null = missing) and a search.Features with one land descriptor. A bullet
// is the set of land scans of one exhibit, in file-name order.
//
// # Manifests
//
// ParseManifest reads the CSV or JSON manifests of tracemark ingest (the
// columns are listed at Row); FindOrCreateCase and FindOrCreateExhibit
// resolve a row's case number and exhibit label.
//
// Units are µm throughout (X3P metres are converted by package x3p).
package ingest
