package exchange

import (
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

func TestEvaluateSharing(t *testing.T) {
	var g domain.IDGen
	kz := domain.AgencyID(g.New())
	other := domain.AgencyID(g.New())
	uzPeer, kgPeer, tjPeer := "SHA256:uz", "SHA256:kg", "SHA256:tj"
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rule := func(peer string, d Detail, kinds ...RecordKind) SharingRule {
		return SharingRule{ID: RuleID(g.New()), Owner: kz, Peer: peer, Kinds: kinds, Detail: d, CreatedAt: t0}
	}
	uzFull := rule(uzPeer, DetailFull, ShareExhibits)
	anyScores := rule(AnyPeer, DetailScores, ShareExhibits, ShareFirearms)
	kgThumbs := rule(kgPeer, DetailThumbnails, ShareExhibits)
	kgThumbs.RevokedAt = t0.Add(48 * time.Hour)
	future := rule(tjPeer, DetailFull, ShareExhibits)
	future.CreatedAt = t0.Add(100 * 24 * time.Hour)
	rules := []SharingRule{anyScores, uzFull, kgThumbs, future}
	at := t0.Add(24 * time.Hour)
	later := t0.Add(72 * time.Hour)
	tests := []struct {
		name   string
		q      ShareQuery
		allow  bool
		detail Detail
		rule   RuleID
	}{
		{"uz full scans", ShareQuery{kz, uzPeer, ShareExhibits, DetailFull, at}, true, DetailFull, uzFull.ID},
		{"uz asks less", ShareQuery{kz, uzPeer, ShareExhibits, DetailScores, at}, true, DetailScores, uzFull.ID},
		{"kg thumbnails", ShareQuery{kz, kgPeer, ShareExhibits, DetailFull, at}, true, DetailThumbnails, kgThumbs.ID},
		{"kg after revocation falls back to any-peer", ShareQuery{kz, kgPeer, ShareExhibits, DetailFull, later}, true, DetailScores, anyScores.ID},
		{"tj before its rule: any-peer scores", ShareQuery{kz, tjPeer, ShareExhibits, DetailFull, at}, true, DetailScores, anyScores.ID},
		{"firearms to anyone: scores", ShareQuery{kz, uzPeer, ShareFirearms, DetailFull, at}, true, DetailScores, anyScores.ID},
		{"cases: no rule", ShareQuery{kz, uzPeer, ShareCases, DetailScores, at}, false, DetailNone, ""},
		{"other agency's records", ShareQuery{other, uzPeer, ShareExhibits, DetailScores, at}, false, DetailNone, ""},
		{"before any rule", ShareQuery{kz, uzPeer, ShareExhibits, DetailFull, t0.Add(-time.Hour)}, false, DetailNone, ""},
	}
	for _, tt := range tests {
		d := Evaluate(rules, tt.q)
		if d.Allowed != tt.allow || d.Detail != tt.detail || d.RuleID != tt.rule || d.Reason == "" {
			t.Errorf("%s: %+v, want allowed=%v detail=%s rule=%s", tt.name, d, tt.allow, tt.detail, tt.rule)
		}
	}

	revoked, err := Revoke(rules, kz, anyScores.ID, later, "")
	if err != nil {
		t.Fatal(err)
	}
	if d := Evaluate(revoked, ShareQuery{kz, tjPeer, ShareExhibits, DetailScores, later.Add(time.Second)}); d.Allowed {
		t.Errorf("after revoking the any-peer rule, tj still gets %+v", d)
	}
	if d := Evaluate(rules, ShareQuery{kz, tjPeer, ShareExhibits, DetailScores, later.Add(time.Second)}); !d.Allowed {
		t.Error("Revoke changed its input slice")
	}
	if _, err := Revoke(rules, other, uzFull.ID, later, ""); !errs.Is(errs.Permission, err) {
		t.Errorf("revoking another agency's rule: err = %v", err)
	}
	if _, err := Revoke(rules, kz, RuleID(g.New()), later, ""); !errs.Is(errs.NotFound, err) {
		t.Errorf("revoking an unknown rule: err = %v", err)
	}
}

func TestSharingRuleValidate(t *testing.T) {
	var g domain.IDGen
	ok := SharingRule{ID: RuleID(g.New()), Owner: domain.AgencyID(g.New()), Peer: AnyPeer, Kinds: []RecordKind{ShareExhibits}, Detail: DetailScores}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*SharingRule){
		func(r *SharingRule) { r.Peer = "" },
		func(r *SharingRule) { r.Kinds = nil },
		func(r *SharingRule) { r.Kinds = []RecordKind{"secrets"} },
		func(r *SharingRule) { r.Detail = DetailNone },
		func(r *SharingRule) { r.Detail = "everything" },
		func(r *SharingRule) { r.ID = "1" },
	}
	for i, edit := range bad {
		r := ok
		edit(&r)
		if err := r.Validate(); !errs.Is(errs.Invalid, err) {
			t.Errorf("case %d: err = %v, want Invalid", i, err)
		}
	}
}
