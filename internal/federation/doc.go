// Package federation connects tracemark nodes of different agencies and
// countries: each node answers its peers' ballistic searches over mutual
// TLS, within what its agencies' sharing rules allow, and sends its own
// searches to all its peers at once. It also moves signed exchange
// bundles (package exchange) in and out of a node's store.
//
// # Registration and trust
//
// A node has two keys: its Ed25519 exchange identity (exchange.Identity,
// which signs bundles and federation requests) and a self-signed TLS
// certificate (Cert, <data dir>/federation_tls.pem, mode 0600). Operators
// exchange Cards (node, agency, country, public key, certificate
// fingerprint, URL) by a channel they trust and register each other
// (store.AddPeer). There is no certificate authority: each side pins the
// other's certificate by its SHA-256 fingerprint.
//
// # A search
//
// The asking node analyses the query once and sends its search features
// and processed surface (never the original file) to every trusted peer in
// parallel, each request signed with its exchange key over the method,
// path, date and body hash. The answering node refuses, with HTTP 403 and
// the reason, a client certificate it has not pinned, one of a revoked
// peer, one outside its validity period, a signature that does not verify
// with that peer's key, or a date more than MaxClockSkew away. Otherwise,
// for each of its agencies, exchange.Evaluate decides from the agency's
// sharing rules what may go to that peer (nothing, scores, thumbnails, or
// the full original scan), and only allowed agencies are searched, each in
// its own index (Searcher): the coarse signature stage over all its
// exhibits ranks K candidates, and only the best Full of them (what the
// asker wants, DefaultFull = 3, capped by the node's own MaxFull, default
// 5) get the full engine comparison. Measured (bench federated, 3 nodes ×
// 10,000 exhibits, pprof): a full comparison costs 0.13–0.3 s of CPU, the
// coarse stage about 40–60 µs a row plus a rerank sweep of about 0.5 s per
// node and query, so a search of three such peers costs about 4 s of CPU
// in all, 30 % of it in full comparisons. Compared candidates
// carry the engine's score; the rest only their coarse score, which is the
// same computation on every node, so the asker ranks all peers' candidates
// together (compared first). A node runs at most MaxConcurrent (default 2)
// peer searches at once; the others wait within their deadline. The
// query's features and processed surface travel once per peer (16 kB and
// 540 kB for a 200×200 synthetic cartridge case, 0.74 MB as JSON);
// decoding it, preparing the query, TLS, JSON and SQLite take about 2 % of
// the CPU of a search. A caller's certificate, key and date are checked
// before its body is read. Candidates carry the owning agency and
// country — for an imported exhibit, its original ones (record origins).
// The asker waits at most PeerTimeout per peer; a peer that refuses, fails
// or does not answer is reported in its PeerResult while the others'
// candidates are returned. Both sides append every exchange to their
// audit logs (federation.search.sent, .served, .refused;
// exchange.export, exchange.import, exchange.import.refused).
//
// # Trace requests
//
// A trace request whose addressee is an agency of another node names that
// node (TraceRequest.Peer, its key fingerprint). SendTrace delivers it
// (POST TracePath, mutual TLS, signed like a search) when the requesting
// agency's sharing rules let trace_requests go to that peer in full; the
// receiving node checks the sender's country against the peer's, finds
// the addressed agency by code and stores the request as incoming with
// its origin (Peer = the sender). The request becomes sent on the asking
// side only once the peer has stored it; otherwise it stays a draft whose
// Delivery is Pending with the reason (unknown or revoked peer, no rule,
// refused, unreachable), and SendTrace again retries; a delivery repeated
// after a lost answer is not stored twice. Later changes are made locally
// first (UpdateTrace) and delivered (POST TraceUpdatePath); one that cannot
// be is kept, Pending, and SyncTrace retries it. A serving node retries
// failures on the way (peer down, 5xx) every few minutes (RetryPending);
// refusals (Delivery.Refused: unknown or revoked peer, no rule, the
// peer's 4xx) wait for a person to fix the cause and send again. Each side may only make
// its own changes: the addressee acknowledges and answers, either closes.
// Both sides audit (trace.delivered, trace.delivery.failed, trace.received,
// trace.update.delivered, .failed, .received, .refused). The files of the
// request's and the answers' attachments travel with them (TraceDelivery,
// TraceUpdate.Files); the receiver refuses a missing file, one that does
// not hash to its attachment's ref, or one no attachment names (at most
// 32 MiB a file, 48 MiB a message).
//
// # Bundles
//
// Export collects the selected records with their cases and scans and
// writes an exchange bundle signed by the node for one named, trusted
// peer. A bundle carries records in full, so the agency's sharing rules
// must grant the peer each kind in it (exhibits, firearms, cases) at
// detail full; otherwise the export is refused (errs.Permission) with the
// rule's answer and the refusal is audited (exchange.export.refused). Import verifies it against
// the node's trusted peers (exchange.Open), stores the original files,
// then all records in one transaction with their origin
// (store.ImportBundle: a bundle imported twice is refused, records already
// held are not duplicated), and finally computes the derived data that
// makes imported scans searchable.
//
// Scores are those of the search pipeline (cartridge: calibrated
// log-odds with log10 LR; bullet: SAM in [0, 1]); times are milliseconds.
package federation
