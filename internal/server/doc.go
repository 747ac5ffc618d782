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
// # Identity, audit and transport
//
// Open creates the default agency (LAB) with a console account (no roles,
// no password: it names commands run on the server's console, such as
// tracemark ingest and the demo loader, in the audit trail), loads or
// creates the node's audit signing key in the data folder, and builds the
// sign-in service (package auth) that records its events in the audit
// log. EnsureDemoUsers adds one demo user per role with DemoPassword.
// Serve speaks HTTPS with the given certificate or a self-signed one kept
// under DataDir/tls (ECDSA P-256; SANs: the listen host, localhost,
// 127.0.0.1, ::1, the machine's name), always on a non-loopback address
// unless InsecureHTTP; the session cookie is Secure then. It signs an
// audit checkpoint every CheckpointEvery and at shutdown.
package server
