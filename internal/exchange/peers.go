package exchange

import (
	"crypto/ed25519"
	"time"

	"github.com/tracemark/tracemark/internal/errs"
)

// Peer is another node whose public key this node trusts.
type Peer struct {
	NodeInfo
	PublicKey    ed25519.PublicKey `json:"public_key"` // base64 in JSON
	Fingerprint  string            `json:"fingerprint"`
	AddedAt      time.Time         `json:"added_at"`
	RevokedAt    time.Time         `json:"revoked_at,omitzero"` // zero: trusted
	RevokeReason string            `json:"revoke_reason,omitempty"`
}

// Revoked reports whether p was revoked at or before at.
func (p Peer) Revoked(at time.Time) bool { return !p.RevokedAt.IsZero() && !p.RevokedAt.After(at) }

// TrustStore is the set of peers a node knows, by fingerprint. It is a
// plain value (JSON-serialisable); methods with a pointer receiver mutate it.
type TrustStore struct {
	Peers []Peer `json:"peers"`
}

// Add trusts a peer's key. Re-adding a revoked key is refused: revocation
// is final for a key; the peer must make a new one.
func (t *TrustStore) Add(info NodeInfo, pub ed25519.PublicKey, at time.Time) (Peer, error) {
	const op = "exchange.TrustStore.Add"
	if len(pub) != ed25519.PublicKeySize {
		return Peer{}, errs.Errorf(op, errs.Invalid, "public key of %q is %d bytes, want %d", info.Node, len(pub), ed25519.PublicKeySize)
	}
	fp := Fingerprint(pub)
	for _, p := range t.Peers {
		if p.Fingerprint == fp {
			if !p.RevokedAt.IsZero() {
				return Peer{}, errs.Errorf(op, errs.Conflict, "key %s of %q was revoked on %s (%s); the peer must make a new key", fp, p.Node, p.RevokedAt.Format(time.RFC3339), p.RevokeReason)
			}
			return p, nil
		}
	}
	p := Peer{NodeInfo: info, PublicKey: append(ed25519.PublicKey(nil), pub...), Fingerprint: fp, AddedAt: at}
	t.Peers = append(t.Peers, p)
	return p, nil
}

// Revoke stops trusting the key with fingerprint fp from at on.
func (t *TrustStore) Revoke(fp string, at time.Time, reason string) error {
	for i := range t.Peers {
		if t.Peers[i].Fingerprint == fp {
			if t.Peers[i].RevokedAt.IsZero() {
				t.Peers[i].RevokedAt, t.Peers[i].RevokeReason = at, reason
			}
			return nil
		}
	}
	return errs.Errorf("exchange.TrustStore.Revoke", errs.NotFound, "no peer with key %s", fp)
}

// Trusted returns the peer with fingerprint fp if it is trusted at time
// at; otherwise an errs.Permission error saying whether the key is
// unknown or revoked (when and why).
func (t TrustStore) Trusted(fp string, at time.Time) (Peer, error) {
	const op = "exchange.TrustStore.Trusted"
	for _, p := range t.Peers {
		if p.Fingerprint != fp {
			continue
		}
		if p.Revoked(at) {
			return Peer{}, errs.Errorf(op, errs.Permission, "peer %q (%s) key %s was revoked on %s: %s", p.Node, p.Country, fp, p.RevokedAt.Format(time.RFC3339), p.RevokeReason)
		}
		return p, nil
	}
	return Peer{}, errs.Errorf(op, errs.Permission, "unknown peer key %s: add the peer's public key (compare its fingerprint with the peer) before importing", fp)
}
