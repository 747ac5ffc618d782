// Package audit keeps the append-only, hash-chained audit trail: every
// creation, change, export and view of evidence, every search, conclusion
// and security event, in the order it happened.
//
// # Chain
//
// Entry n carries the hash of entry n−1 (PrevHash; 64 zeros for entry 1)
// and its own Hash, the SHA-256 of a length-prefixed encoding of all its
// fields including PrevHash (see Hash). Changing, inserting or deleting
// any entry breaks the chain at that point, and Verify names the entry.
// The store serialises appends (SQLite's write lock; a PostgreSQL advisory
// lock), so concurrent appenders, in one process or many, never fork the
// chain. The tables refuse UPDATE and DELETE by trigger; the chain is what
// catches someone who drops the triggers.
//
// # Checkpoints
//
// Every DefaultCheckpointEvery entries (and on Checkpoint) the node signs
// (seq, hash) with its Ed25519 key (KeyFile in the data folder, created on
// first use). A forger who rewrites the chain after an edit and recomputes
// every hash still fails the checkpoint; cutting entries off the end
// fails too. Entries after the newest checkpoint are protected by the
// chain only (Report.Unsigned says how many), so sign one at shutdown and
// before backups. Verify trusts only the keys it is given; keep the public
// key (PublicKeyFile) somewhere the database's writers cannot change.
//
// # Conventions
//
// Times are UTC with microsecond precision. Details are JSON, stored as
// the exact text hashed; they must never hold secrets (passwords, tokens).
// Entries name records by ID and never carry evidence data itself.
package audit
