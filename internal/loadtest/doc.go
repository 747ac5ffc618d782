// Package loadtest runs a bounded load test of the tracemark API on this
// machine: concurrent clients sign in as real users and upload real X3P
// files (synthetic cartridge cases, each a new file so that every upload
// goes through the whole ingest), search with a file, and view pages
// (case, scans, runs, custody, thumbnails) for a fixed duration. It reports
// requests per second, p50 and p99 latency per kind of request and every
// error, then checks that every acknowledged upload is stored byte for
// byte (zero lost records) and that the audit chain verifies.
//
// With no URL it starts a real server on 127.0.0.1 (SQLite, local blobs,
// embedded NATS, one correlation worker) under a data folder, creates its
// users, and shuts it down before the checks (the shutdown signs an audit
// checkpoint). With a URL it targets that server and checks through the
// API. It never sends traffic anywhere else, and it stops by itself.
//
// Latencies are wall-clock milliseconds measured by the client, including
// queueing on a shared machine; nothing here asserts on them.
package loadtest
