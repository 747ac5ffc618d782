// Package domain holds the records of the evidence database — agencies,
// users, cases, exhibits, scans, correlation runs, candidates, reviews and
// case links — as plain Go values with their validation rules. It has no
// I/O: internal/store persists these values, and the API, the ingest
// pipeline and the search engine exchange them, so they live in a package
// of their own that every one of those can import cheaply.
//
// Conventions:
//
//   - Every record belongs to one agency (AgencyID); the store scopes every
//     read and write by agency.
//   - IDs are UUIDv7 strings (RFC 9562) in typed string types (CaseID, ScanID,
//     …), so an ID of one kind cannot be passed where another is expected.
//     UUIDs are globally unique, so records keep their IDs when exchanged
//     between nodes and agencies; version 7 starts with a millisecond
//     timestamp, so IDs sort by creation time and index well. IDGen makes
//     them, monotonically within one process.
//   - Lengths are micrometres (µm) and named so (LandWidthUM, ResolutionUM,
//     UMPerPixel). Coordinates are WGS 84 degrees.
//   - Times are UTC; the zero time.Time means "unknown".
//   - Zero values of optional class characteristics ("" or 0) mean
//     "unknown", never a measured zero.
//   - Validate methods return errs.Invalid errors that name the field and
//     the rule broken; they do not mutate the record.
package domain
