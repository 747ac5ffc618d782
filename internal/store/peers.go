package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"strings"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
)

// Peer is a trusted node: its exchange key (exchange.Peer) with the pinned
// fingerprint of its federation TLS certificate and its endpoint URL.
type Peer struct {
	exchange.Peer
	// CertFingerprint is "SHA256:" + hex SHA-256 of the DER certificate
	// the peer presents, both as server and as client ("" for a peer that
	// only exchanges bundles).
	CertFingerprint string        `json:"cert_fingerprint,omitempty"`
	URL             string        `json:"url,omitempty"` // https://host:port of its federation endpoint
	AddedBy         domain.UserID `json:"added_by,omitempty"`
}

// AddPeer trusts a peer node. Adding the same key again returns the stored
// peer (updating its URL and certificate fingerprint); a revoked key stays
// revoked (errs.Conflict); a certificate fingerprint already pinned for
// another key is an errs.Conflict.
func (s *Store) AddPeer(ctx context.Context, p Peer) (Peer, error) {
	const op = "store.AddPeer"
	if len(p.PublicKey) != ed25519.PublicKeySize {
		return Peer{}, errs.Errorf(op, errs.Invalid, "public key of peer %q is %d bytes, want %d", clip(p.Node), len(p.PublicKey), ed25519.PublicKeySize)
	}
	if strings.TrimSpace(p.Node) == "" || len(p.Country) != 2 {
		return Peer{}, errs.Errorf(op, errs.Invalid, "peer needs a node name and an ISO 3166-1 alpha-2 country (got %q, %q)", clip(p.Node), clip(p.Country))
	}
	if p.URL != "" && !strings.HasPrefix(p.URL, "https://") {
		return Peer{}, errs.Errorf(op, errs.Invalid, "peer URL %q must start with https:// (federation runs over mutual TLS only)", clip(p.URL))
	}
	if p.CertFingerprint != "" && !strings.HasPrefix(p.CertFingerprint, "SHA256:") {
		return Peer{}, errs.Errorf(op, errs.Invalid, "certificate fingerprint %q: want SHA256:<64 hex digits>", clip(p.CertFingerprint))
	}
	p.Fingerprint = exchange.Fingerprint(p.PublicKey)
	p.AddedAt = s.timestamp()
	p.RevokedAt, p.RevokeReason = time.Time{}, ""
	var out Peer
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		prev, err := s.peer(ctx, tx, `fingerprint = $1`, p.Fingerprint)
		switch {
		case err == nil && !prev.RevokedAt.IsZero():
			return errs.Errorf(op, errs.Conflict, "key %s of %q was revoked on %s (%s); the peer must make a new key",
				prev.Fingerprint, prev.Node, prev.RevokedAt.Format(time.RFC3339), prev.RevokeReason)
		case err == nil:
			_, err = tx.ExecContext(ctx, `UPDATE peers SET url = $1, cert_fingerprint = $2, node = $3, agency_id = $4, agency = $5, country = $6
				WHERE fingerprint = $7`, p.URL, p.CertFingerprint, p.Node, string(p.AgencyID), p.Agency, p.Country, p.Fingerprint)
		case err == sql.ErrNoRows:
			_, err = tx.ExecContext(ctx, `INSERT INTO peers (fingerprint, node, agency_id, agency, country, public_key, cert_fingerprint,
					url, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				p.Fingerprint, p.Node, string(p.AgencyID), p.Agency, p.Country, base64.StdEncoding.EncodeToString(p.PublicKey),
				p.CertFingerprint, p.URL, nullString(p.AddedBy), p.AddedAt)
		}
		if errs.Is(errs.Conflict, s.classify(op, err)) {
			return errs.Errorf(op, errs.Conflict, "certificate %s is already pinned for another peer", p.CertFingerprint)
		}
		if err != nil {
			return err
		}
		out, err = s.peer(ctx, tx, `fingerprint = $1`, p.Fingerprint)
		return err
	})
	return out, err
}

const peerColumns = `fingerprint, node, agency_id, agency, country, public_key, cert_fingerprint, url, added_by, added_at, revoked_at, revoke_reason`

func scanPeer(r rowScanner) (Peer, error) {
	var (
		p       Peer
		agency  string
		key     string
		addedBy sql.NullString
		revoked sql.NullTime
	)
	if err := r.Scan(&p.Fingerprint, &p.Node, &agency, &p.Agency, &p.Country, &key, &p.CertFingerprint, &p.URL, &addedBy,
		&p.AddedAt, &revoked, &p.RevokeReason); err != nil {
		return p, err
	}
	pub, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return p, errs.Errorf("store.Peer", errs.Internal, "stored public key of peer %s is damaged", p.Fingerprint)
	}
	p.PublicKey, p.AgencyID, p.AddedBy = pub, domain.AgencyID(agency), domain.UserID(addedBy.String)
	p.AddedAt, p.RevokedAt = p.AddedAt.UTC(), fromNullTime(revoked)
	return p, nil
}

func (s *Store) peer(ctx context.Context, q querier, cond string, arg any) (Peer, error) {
	return scanPeer(q.QueryRowContext(ctx, `SELECT `+peerColumns+` FROM peers WHERE `+cond, arg))
}

// PeerByFingerprint returns the peer with exchange key fingerprint fp,
// revoked or not (callers check Revoked).
func (s *Store) PeerByFingerprint(ctx context.Context, fp string) (Peer, error) {
	const op = "store.PeerByFingerprint"
	p, err := s.peer(ctx, s.db, `fingerprint = $1`, fp)
	if err == sql.ErrNoRows {
		return p, notFound(op, "no peer with key %s", clip(fp))
	}
	return p, s.classify(op, err)
}

// PeerByCert returns the peer whose pinned TLS certificate has fingerprint
// fp, revoked or not.
func (s *Store) PeerByCert(ctx context.Context, fp string) (Peer, error) {
	const op = "store.PeerByCert"
	if fp == "" {
		return Peer{}, notFound(op, "no certificate fingerprint given")
	}
	p, err := s.peer(ctx, s.db, `cert_fingerprint = $1`, fp)
	if err == sql.ErrNoRows {
		return p, notFound(op, "no peer with certificate %s", clip(fp))
	}
	return p, s.classify(op, err)
}

// Peers returns every peer, revoked ones included, by node name.
func (s *Store) Peers(ctx context.Context) ([]Peer, error) {
	const op = "store.Peers"
	rows, err := s.db.QueryContext(ctx, `SELECT `+peerColumns+` FROM peers ORDER BY node, fingerprint`)
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	var out []Peer
	for rows.Next() {
		p, err := scanPeer(rows)
		if err != nil {
			return nil, s.classify(op, err)
		}
		out = append(out, p)
	}
	return out, s.classify(op, rows.Err())
}

// RevokePeer stops trusting the peer with key fingerprint fp from now on.
// Revoking twice keeps the first time and reason.
func (s *Store) RevokePeer(ctx context.Context, fp, reason string) (Peer, error) {
	const op = "store.RevokePeer"
	if strings.TrimSpace(reason) == "" {
		return Peer{}, errs.Errorf(op, errs.Invalid, "give the reason for revoking peer %s", clip(fp))
	}
	var out Peer
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE peers SET revoked_at = $1, revoke_reason = $2 WHERE fingerprint = $3 AND revoked_at IS NULL`,
			s.timestamp(), reason, fp); err != nil {
			return err
		}
		var err error
		out, err = s.peer(ctx, tx, `fingerprint = $1`, fp)
		if err == sql.ErrNoRows {
			return notFound(op, "no peer with key %s", clip(fp))
		}
		return err
	})
	return out, err
}

// TrustStore returns the peers' keys as an exchange.TrustStore (for
// verifying bundles).
func (s *Store) TrustStore(ctx context.Context) (exchange.TrustStore, error) {
	ps, err := s.Peers(ctx)
	if err != nil {
		return exchange.TrustStore{}, err
	}
	var t exchange.TrustStore
	for _, p := range ps {
		t.Peers = append(t.Peers, p.Peer)
	}
	return t, nil
}
