// Package server wires a tracemark node together: configuration, the store
// (SQLite or PostgreSQL), the blob store (local folder or S3), the job queue
// (embedded NATS JetStream or a cluster), the in-memory search corpus with
// the correlation worker, the API handler, the demo data, start and
// graceful stop.
//
// # Correlation
//
// Correlator holds one search.Index per agency (loaded from
// store.SearchEntries and the feature blobs at start, extended by each
// ingest) and searches with search.Pipeline: class prefilter and coarse
// signatures → the engines' full comparison (cartridge CMC, bullet SAM) on
// the top K → candidates ranked by the engine score (only fully compared
// candidates are stored). It is the pipeline's source of prepared cartridge
// cases and processed bullets, read from the derived blobs and cached.
// Cartridge cases are indexed per scan, bullets per exhibit (their land
// scans in file-name order).
//
// Worker handles correlation jobs: it starts the run, searches, and stores
// the list with CompleteRun (one transaction), or FailRun for a scan that
// cannot be searched. Jobs are idempotent: a finished run is left alone.
// After a restart, Open puts every queued or running run back on the queue
// (Requeue) and JetStream redelivers jobs whose worker died.
//
// # Identity
//
// Until sign-in exists, requests act as the default user ("examiner" of
// agency LAB, every role), or as the user named in the X-Tracemark-User
// header; package api carries the actor to every handler.
package server
