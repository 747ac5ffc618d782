// Package backup takes consistent online snapshots of a tracemark node
// (database, the blobs it references, the audit log and the data folder's
// key files) into one archive, verifies archives, and restores them.
//
// # Consistency
//
// Create snapshots the database first (store.Snapshot: SQLite VACUUM INTO,
// PostgreSQL one REPEATABLE READ transaction), while the node keeps
// serving, then copies every blob the snapshot mentions (any text value
// of the form sha256-<hex>: scan originals, derived blobs, custody hashes)
// through blob.Fetcher, so local folders and S3 work alike. Blobs are
// content-addressed and never change, so a blob copied later than the
// database snapshot is still the right one, and a restored database never
// names a blob the archive lacks. A blob the database names but the blob
// store does not hold (already missing at backup time) is listed in the
// manifest's missing_blobs and reported. With the node's audit signing
// key, Create first signs an audit checkpoint and signs the manifest,
// which records the audit head (seq and hash) of the snapshot, so the
// whole chain in the archive is covered by a signature even when entries
// were appended between the checkpoint and the snapshot. Restore checks
// the restored log ends at that head and, when the restored key is the
// one that signed the manifest, signs a checkpoint there.
//
// The job queue (NATS state) is not backed up: a restored node requeues
// every unfinished correlation run at start (server.Requeue).
//
// # Archive format (tracemark-backup/1)
//
// A tar file, optionally gzip- or zstd-compressed (detected on read), with
// only regular files named:
//
//	db/sqlite/tracemark.db       the SQLite snapshot, or
//	db/postgres/<table>.jsonl    one row_to_json object per line per table
//	blobs/sha256-<64 hex>        each referenced blob, byte for byte
//	keys/<file>                  top-level files of the data folder (audit
//	                             signing key, node identity, TLS keys, …)
//	manifest.json                written last: every entry's name, size and
//	                             SHA-256; tracemark and schema versions,
//	                             dialect, time, source node, table row
//	                             counts, the audit head in the snapshot
//	manifest.sig                 optional hex Ed25519 signature of
//	                             manifest.json by the source node's audit key
//
// # Reading untrusted archives
//
// Verify reads the whole archive and checks every entry against the
// manifest (a changed byte is refused naming the entry), refuses unknown,
// duplicate, missing or non-regular entries and names outside the layout
// above (so nothing can be written outside the target: no "..", no
// absolute paths, no links), and bounds entry counts and sizes (Limits)
// before allocating. Restore verifies the whole archive before writing
// anything, then extracts it again checking every hash on the way,
// builds the new data folder beside the target, opens the store (which
// migrates an older schema forward; a newer one is refused), checks every
// blob is present and verifies the audit chain, and only then moves the
// new folder into place. With Force, an existing data folder is renamed
// aside (never deleted) once the new one is complete; a non-empty
// PostgreSQL schema likewise: the backup is loaded and checked in a
// staging schema, then the two are swapped in one transaction.
package backup
