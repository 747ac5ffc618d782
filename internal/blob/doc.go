// Package blob names content by its SHA-256 digest and defines the small
// storage contracts that every blob back end implements.
//
// A blob is an immutable byte string; its Ref ("sha256-<64 hex digits>") is
// the SHA-256 of exactly those bytes. Original scan files are kept byte for
// byte as blobs, so a Ref doubles as the content hash recorded for chain of
// custody, and storing the same content twice stores it once.
//
// Contracts (one method each, combined by Storage; perkeep style):
//
//   - Fetcher.Fetch returns the content and its size. The caller closes the
//     reader. A missing blob is an error of kind errs.NotFound wrapping
//     ErrNotFound. Back ends return a reader that re-hashes while it is read
//     and fails with ErrCorrupt (kind errs.Internal) at the end if the stored
//     bytes no longer match the Ref, so silent corruption is detected.
//   - Receiver.Receive reads r to the end, hashing as it reads, and stores the
//     bytes under their Ref. It refuses content longer than maxSize with
//     ErrTooLarge (kind errs.TooLarge). A failed, cancelled or oversized
//     Receive stores nothing: back ends write to a temporary name and publish
//     the blob atomically only once it is complete and verified, so a crash
//     never leaves a partial blob under a real name. Receiving content that is
//     already stored succeeds and returns the same Ref.
//   - Statter.Stat returns the size of a stored blob (errs.NotFound if absent).
//   - Enumerator.Enumerate lists stored blobs in ascending Ref order, strictly
//     after a cursor, at most limit per call; an empty result means the end.
//   - Remover (optional, found by type assertion) deletes blobs; removing a
//     missing blob is not an error.
//
// Every call takes a context and stops early when it is cancelled.
//
// Back ends: blob/local (a folder with fan-out directories; the default),
// blob/s3 (any S3-compatible server through minio-go) and blob/memory (for
// unit tests of other packages). blob/blobtest is the conformance suite that
// every back end passes.
package blob
