// Package exchange moves evidence between tracemark nodes of different
// agencies and countries: signed exchange bundles, node identities and
// trusted peer keys, and the sharing rules that decide what may leave a
// node. It has no HTTP and no SQL: internal/store keeps peers, sharing
// rules, imported bundle IDs and record origins; internal/federation
// exports and imports bundles and runs federated searches with them.
//
// # Bundles
//
// A bundle is a zip file:
//
//	manifest.json                 every other member: path, kind, SHA-256, size;
//	                              the exporting node, agency, country and key;
//	                              bundle ID (UUIDv7) and export time
//	manifest.sig                  base64 Ed25519 signature of
//	                              "tracemark bundle manifest v1\n" + manifest.json
//	records/firearms/<id>.json    tracing.Firearm
//	records/cases/<id>.json       domain.Case
//	records/exhibits/<id>.json    domain.Exhibit
//	records/scans/<id>.json       domain.Scan
//	scans/<sha256>.<format>       the original scan file (X3P ...), byte for byte
//
// manifest.json must be in canonical form (encoding/json of Manifest,
// members sorted by path), so the signed bytes are the only reading of it.
// Open accepts only these paths (which rules out zip-slip), checks the
// entry count and every declared size against Limits before reading, reads
// at most the declared size + 1 byte of each member, verifies the signature
// with the trusted key for the manifest's fingerprint (never with the key
// the bundle carries), then every size and hash, and refuses the first
// defect with a *TamperError naming the member. Records keep their IDs
// (UUIDs are global) and Bundle.Origin says which node, agency and country
// exported them and when.
//
// # Identities and peers
//
// A node's identity is an Ed25519 key pair in <data dir>/node_identity.json
// (mode 0600, refused if others can read it). Its fingerprint is
// "SHA256:" + hex SHA-256 of the public key. TrustStore holds peers' public
// keys; a revoked key stays revoked and every bundle signed with it is
// refused, whenever it was exported.
//
// # Sharing rules
//
// SharingRule grants a peer (or every peer) records of some kinds at a
// detail level (scores < thumbnails < full). Evaluate applies the most
// generous active rule and caps it at what was asked; no rule means
// nothing leaves. Revoke ends a rule from a time on; history is kept.
// Rules govern every way records leave a node (internal/federation):
// federated searches (exhibits, at the detail granted), bundles (each kind
// in the bundle at full) and trace requests to another node
// (trace_requests at full, since they carry the firearm record).
package exchange
