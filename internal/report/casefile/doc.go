// Package casefile fills report.Data from the records of a case: the case,
// its exhibits and their chain of custody, the scans compared, every
// conclusion with its verification, and the comparison images and figures
// recomputed from the stored processed scans with the engines' default
// configuration (the configuration the correlator uses). The HTTP API and
// `tracemark report case` both call Build and then report.Render, so they
// produce the same file from the same records and issue time.
//
// Blindness: a conclusion still awaiting verification is left out of a
// report unless the reader is its examiner, exactly as the API hides it.
//
// Nothing is written: recording the report's hash in the audit trail is
// the caller's job. Units are µm as everywhere; NaN marks missing points.
package casefile
