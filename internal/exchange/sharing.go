package exchange

import (
	"fmt"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// RecordKind is a kind of record a sharing rule covers.
type RecordKind string

// Record kinds.
const (
	ShareExhibits      RecordKind = "exhibits" // exhibits and their scans (federated ballistic search)
	ShareFirearms      RecordKind = "firearms"
	ShareCases         RecordKind = "cases"
	ShareTraceRequests RecordKind = "trace_requests"
)

// Detail is how much of a record may leave the node, from least to most.
type Detail string

// Detail levels, in increasing order.
const (
	DetailNone       Detail = "none"
	DetailScores     Detail = "scores"     // candidate IDs and scores only
	DetailThumbnails Detail = "thumbnails" // scores and a thumbnail image
	DetailFull       Detail = "full"       // the full record, with original scans
)

var detailRank = map[Detail]int{DetailNone: 0, DetailScores: 1, DetailThumbnails: 2, DetailFull: 3}

// RuleID identifies a sharing rule: a UUIDv7 string as in internal/domain.
type RuleID string

// AnyPeer in SharingRule.Peer matches every trusted peer.
const AnyPeer = "*"

// SharingRule says what an agency lets leave the node to one peer (by key
// fingerprint) or to every peer. Rules only grant; what no active rule
// grants stays home.
type SharingRule struct {
	ID        RuleID          `json:"id"`
	Owner     domain.AgencyID `json:"owner"`
	Peer      string          `json:"peer"` // fingerprint, or AnyPeer
	Kinds     []RecordKind    `json:"kinds"`
	Detail    Detail          `json:"detail"`
	CreatedBy domain.UserID   `json:"created_by,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	RevokedAt time.Time       `json:"revoked_at,omitzero"` // zero: active
	RevokedBy domain.UserID   `json:"revoked_by,omitempty"`
	Note      string          `json:"note,omitempty"`
}

// Active reports whether r is in force at time at.
func (r SharingRule) Active(at time.Time) bool {
	return !r.CreatedAt.After(at) && (r.RevokedAt.IsZero() || r.RevokedAt.After(at))
}

// Validate checks a rule before it is stored.
func (r SharingRule) Validate() error {
	const op = "exchange.SharingRule"
	if err := domain.CheckID("rule id", string(r.ID)); err != nil {
		return err
	}
	if err := domain.CheckID("owner agency id", string(r.Owner)); err != nil {
		return err
	}
	if r.Peer == "" {
		return errs.Errorf(op, errs.Invalid, "peer is required: a key fingerprint or %q", AnyPeer)
	}
	if len(r.Kinds) == 0 {
		return errs.Errorf(op, errs.Invalid, "kinds is empty: the rule would share nothing")
	}
	for _, k := range r.Kinds {
		switch k {
		case ShareExhibits, ShareFirearms, ShareCases, ShareTraceRequests:
		default:
			return errs.Errorf(op, errs.Invalid, "record kind %q: want exhibits, firearms, cases or trace_requests", k)
		}
	}
	if _, ok := detailRank[r.Detail]; !ok || r.Detail == DetailNone {
		return errs.Errorf(op, errs.Invalid, "detail %q: want scores, thumbnails or full", r.Detail)
	}
	return nil
}

// ShareQuery asks whether records of one agency may go to one peer.
type ShareQuery struct {
	Owner domain.AgencyID
	Peer  string // the asking peer's key fingerprint
	Kind  RecordKind
	Want  Detail // what the peer asks for
	At    time.Time
}

// Decision is the answer to a ShareQuery.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Detail  Detail `json:"detail"`  // what may be sent: at most Want
	RuleID  RuleID `json:"rule_id"` // the rule that granted it
	Reason  string `json:"reason"`
}

// Evaluate applies the owner's active rules to q: the most generous rule
// matching the peer and kind decides, and the grant is capped at what the
// peer asked for. The caller must also check the peer is trusted
// (TrustStore.Trusted); a rule never makes an untrusted peer trusted.
func Evaluate(rules []SharingRule, q ShareQuery) Decision {
	best := -1
	for i, r := range rules {
		if r.Owner != q.Owner || !r.Active(q.At) || (r.Peer != AnyPeer && r.Peer != q.Peer) || !hasKind(r.Kinds, q.Kind) {
			continue
		}
		if best < 0 || detailRank[r.Detail] > detailRank[rules[best].Detail] ||
			detailRank[r.Detail] == detailRank[rules[best].Detail] && r.Peer != AnyPeer && rules[best].Peer == AnyPeer {
			best = i
		}
	}
	if best < 0 {
		return Decision{Detail: DetailNone, Reason: fmt.Sprintf("no active rule of agency %s shares %s with peer %s", q.Owner, q.Kind, q.Peer)}
	}
	r := rules[best]
	granted := r.Detail
	if detailRank[q.Want] < detailRank[granted] {
		granted = q.Want
	}
	d := Decision{Allowed: detailRank[granted] > 0, Detail: granted, RuleID: r.ID}
	switch {
	case !d.Allowed:
		d.Reason = "the peer asked for nothing"
	case granted != q.Want:
		d.Reason = fmt.Sprintf("rule %s allows only %s (asked for %s)", r.ID, granted, q.Want)
	default:
		d.Reason = fmt.Sprintf("rule %s allows %s", r.ID, granted)
	}
	return d
}

func hasKind(ks []RecordKind, k RecordKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// Revoke returns a copy of rules with rule id revoked at time at by by.
// Revoking a revoked rule keeps the first revocation. An unknown id is
// errs.NotFound; a rule of another agency is errs.Permission.
func Revoke(rules []SharingRule, owner domain.AgencyID, id RuleID, at time.Time, by domain.UserID) ([]SharingRule, error) {
	const op = "exchange.Revoke"
	out := append([]SharingRule(nil), rules...)
	for i := range out {
		if out[i].ID != id {
			continue
		}
		if out[i].Owner != owner {
			return rules, errs.Errorf(op, errs.Permission, "rule %s belongs to agency %s, not %s", id, out[i].Owner, owner)
		}
		if out[i].RevokedAt.IsZero() {
			out[i].RevokedAt, out[i].RevokedBy = at, by
		}
		return out, nil
	}
	return rules, errs.Errorf(op, errs.NotFound, "no sharing rule %s", id)
}
