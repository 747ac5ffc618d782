package federation

import (
	"bytes"
	"context"
	"errors"
	"io"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/tracing"
)

// Selection names the records of one agency to export. Exhibits bring
// their case and scans; scans their exhibit and case; firearms their test
// fires (exhibits with scans) and the case they were recovered in.
type Selection struct {
	// To is the key fingerprint of the peer the bundle is for (required):
	// the agency's sharing rules decide what may go to it.
	To       string              `json:"to"`
	Exhibits []domain.ExhibitID  `json:"exhibits,omitempty"`
	Scans    []domain.ScanID     `json:"scans,omitempty"`
	Firearms []tracing.FirearmID `json:"firearms,omitempty"`
	Cases    []domain.CaseID     `json:"cases,omitempty"` // the case record only
}

// Export writes the selected records of agency, with the original scan
// files, as a bundle signed by this node for the trusted peer sel.To, and
// audits it. A bundle carries records in full (original scans included),
// so each kind of record in it needs an active sharing rule of the agency
// granting that kind to the peer in full: exhibits (and their scans, also
// a firearm's test fires), firearms, and cases selected on their own (a
// case that comes with its exhibit or firearm is covered by their rule).
// A refusal (errs.Permission) names the rule's answer and is audited.
func (n *Node) Export(ctx context.Context, w io.Writer, agency domain.AgencyID, by domain.UserID, sel Selection) (exchange.Manifest, error) {
	c, err := n.contents(ctx, agency, sel)
	if err != nil {
		return exchange.Manifest{}, err
	}
	if err := n.mayExport(ctx, agency, sel, c); err != nil {
		n.audit(ctx, audit.Record{Agency: string(agency), Actor: string(by), Action: "exchange.export.refused", ObjectType: "peer", ObjectID: sel.To,
			Details: map[string]any{"reason": err.Error()}})
		return exchange.Manifest{}, err
	}
	m, err := exchange.Export(ctx, w, n.cfg.Identity, c, n.cfg.Blobs, exchange.ExportOptions{Now: n.cfg.Now()})
	if err != nil {
		return m, err
	}
	n.audit(ctx, audit.Record{Agency: string(agency), Actor: string(by), Action: "exchange.export", ObjectType: "bundle", ObjectID: string(m.BundleID),
		Details: map[string]any{"to": sel.To, "firearms": len(c.Firearms), "cases": len(c.Cases), "exhibits": len(c.Exhibits), "scans": len(c.Scans), "members": len(m.Members)}})
	return m, nil
}

// mayExport checks that the peer is trusted and that the agency's rules
// let every kind of record in c go to it in full.
func (n *Node) mayExport(ctx context.Context, agency domain.AgencyID, sel Selection, c exchange.Contents) error {
	const op = "federation.Export"
	p, err := n.trustedPeer(ctx, op, sel.To)
	if err != nil {
		return err
	}
	var kinds []exchange.RecordKind
	if len(c.Exhibits)+len(c.Scans) > 0 {
		kinds = append(kinds, exchange.ShareExhibits)
	}
	if len(c.Firearms) > 0 {
		kinds = append(kinds, exchange.ShareFirearms)
	}
	if len(sel.Cases) > 0 {
		kinds = append(kinds, exchange.ShareCases)
	}
	return n.allowed(ctx, op, agency, p, exchange.DetailFull, kinds...)
}

// trustedPeer returns the registered, unrevoked peer with key fingerprint fp.
func (n *Node) trustedPeer(ctx context.Context, op, fp string) (store.Peer, error) {
	if fp == "" {
		return store.Peer{}, errs.Errorf(op, errs.Invalid, "name the peer the records are for (its key fingerprint): the agency's sharing rules decide what may go to it")
	}
	p, err := n.cfg.Store.PeerByFingerprint(ctx, fp)
	if errs.Is(errs.NotFound, err) {
		return p, errs.Errorf(op, errs.Invalid, "unknown peer %s: register it first (tracemark peer add)", clip(fp))
	}
	if err != nil {
		return p, err
	}
	if p.Revoked(n.cfg.Now()) {
		return p, errs.Errorf(op, errs.Permission, "peer %s was revoked on %s: %s", p.Node, p.RevokedAt.Format(time.RFC3339), p.RevokeReason)
	}
	return p, nil
}

// allowed checks that agency's sharing rules give peer p every kind at
// detail want; the refusal names the kind and the rules' answer.
func (n *Node) allowed(ctx context.Context, op string, agency domain.AgencyID, p store.Peer, want exchange.Detail, kinds ...exchange.RecordKind) error {
	rules, err := n.cfg.Store.SharingRules(ctx, agency)
	if err != nil {
		return err
	}
	for _, k := range kinds {
		d := exchange.Evaluate(rules, exchange.ShareQuery{Owner: agency, Peer: p.Fingerprint, Kind: k, Want: want, At: n.cfg.Now()})
		if d.Detail != want {
			return errs.Errorf(op, errs.Permission, "the agency's sharing rules do not let %s go to peer %s in %s: %s (an agency administrator adds a sharing rule for it)", k, p.Node, want, d.Reason)
		}
	}
	return nil
}

func (n *Node) contents(ctx context.Context, agency domain.AgencyID, sel Selection) (exchange.Contents, error) {
	st := n.cfg.Store
	var c exchange.Contents
	cases, exhibits, scans := map[domain.CaseID]bool{}, map[domain.ExhibitID]bool{}, map[domain.ScanID]bool{}
	addCase := func(id domain.CaseID) error {
		if id == "" || cases[id] {
			return nil
		}
		cs, err := st.Case(ctx, agency, id)
		if err != nil {
			return err
		}
		cases[id] = true
		c.Cases = append(c.Cases, cs)
		return nil
	}
	addScan := func(sc domain.Scan) {
		if !scans[sc.ID] {
			scans[sc.ID] = true
			c.Scans = append(c.Scans, sc)
		}
	}
	addExhibit := func(id domain.ExhibitID, withScans bool) error {
		if !exhibits[id] {
			ex, err := st.Exhibit(ctx, agency, id)
			if err != nil {
				return err
			}
			if err := addCase(ex.CaseID); err != nil {
				return err
			}
			exhibits[id] = true
			c.Exhibits = append(c.Exhibits, ex)
		}
		if !withScans {
			return nil
		}
		page := store.Page{Limit: store.MaxLimit}
		for {
			items, next, err := st.ListScans(ctx, agency, id, page)
			if err != nil {
				return err
			}
			for _, sc := range items {
				addScan(sc)
			}
			if next == "" {
				return nil
			}
			page.Cursor = next
		}
	}
	for _, id := range sel.Cases {
		if err := addCase(id); err != nil {
			return c, err
		}
	}
	for _, id := range sel.Exhibits {
		if err := addExhibit(id, true); err != nil {
			return c, err
		}
	}
	for _, id := range sel.Scans {
		sc, err := st.Scan(ctx, agency, id)
		if err != nil {
			return c, err
		}
		if err := addExhibit(sc.ExhibitID, false); err != nil {
			return c, err
		}
		addScan(sc)
	}
	for _, id := range sel.Firearms {
		f, err := st.Firearm(ctx, agency, id)
		if err != nil {
			return c, err
		}
		if err := addCase(f.CaseID); err != nil {
			return c, err
		}
		for _, e := range f.TestFires {
			if err := addExhibit(e, true); err != nil {
				return c, err
			}
		}
		c.Firearms = append(c.Firearms, f)
	}
	if len(c.Cases)+len(c.Firearms) == 0 {
		return c, errs.Errorf("federation.Export", errs.Invalid, "nothing selected: name exhibits, scans, firearms or cases to export")
	}
	return c, nil
}

// Imported reports an import.
type Imported struct {
	Origin   exchange.Origin    `json:"origin"`
	Counts   store.ImportCounts `json:"counts"`
	Indexed  int                `json:"indexed"` // imported scans made searchable here
	Warnings []string           `json:"warnings,omitempty"`
}

// Verify checks a bundle against this node's trusted peers without
// importing it: signature, key trust, every member's size and hash.
func (n *Node) Verify(ctx context.Context, r io.ReaderAt, size int64) (*exchange.Bundle, error) {
	trust, err := n.cfg.Store.TrustStore(ctx)
	if err != nil {
		return nil, err
	}
	return exchange.Open(r, size, exchange.OpenOptions{Trust: trust, Now: n.cfg.Now()})
}

// Import verifies a bundle and stores its records in agency with their
// origin: the original scan files first (content-addressed, so a retry
// stores nothing twice), then all records in one transaction, then the
// derived data that makes imported scans searchable (through in, when
// given; its OnIndexed hook adds them to the search corpus). A tampered, untrusted or already imported bundle is refused
// with the reason, and the refusal is audited.
func (n *Node) Import(ctx context.Context, agency domain.AgencyID, by domain.UserID, in *ingest.Ingester, r io.ReaderAt, size int64) (*Imported, error) {
	rec := audit.Record{Agency: string(agency), Actor: string(by), Action: "exchange.import", ObjectType: "bundle"}
	fail := func(err error) (*Imported, error) {
		rec.Action = "exchange.import.refused"
		rec.Details = map[string]any{"reason": err.Error(), "bytes": size}
		var te *exchange.TamperError
		if errors.As(err, &te) {
			rec.Details = map[string]any{"reason": te.Reason, "member": te.Member, "bytes": size}
		}
		n.audit(ctx, rec)
		return nil, err
	}
	trust, err := n.cfg.Store.TrustStore(ctx)
	if err != nil {
		return nil, err
	}
	var lookupErr error
	b, err := exchange.Open(r, size, exchange.OpenOptions{Trust: trust, Now: n.cfg.Now(), Imported: func(id exchange.BundleID) bool {
		ok, err := n.cfg.Store.BundleImported(ctx, agency, id)
		if err != nil {
			lookupErr = err
		}
		return ok
	}})
	if lookupErr != nil {
		return nil, lookupErr
	}
	if err != nil {
		return fail(err)
	}
	rec.ObjectID = string(b.Origin.BundleID)
	if err := b.StoreScans(ctx, n.cfg.Blobs, ingest.DefaultMaxFileBytes); err != nil {
		return fail(err)
	}
	counts, err := n.cfg.Store.ImportBundle(ctx, agency, by, b)
	if err != nil {
		return fail(err)
	}
	out := &Imported{Origin: b.Origin, Counts: counts}
	if in != nil {
		for _, s := range b.Scans {
			if err := n.index(ctx, in, agency, by, s.Record); err != nil {
				out.Warnings = append(out.Warnings, "scan "+string(s.Record.ID)+" is stored but not searchable: "+err.Error())
				continue
			}
			out.Indexed++
		}
	}
	rec.Details = map[string]any{"origin": b.Origin, "counts": counts, "indexed": out.Indexed, "warnings": out.Warnings}
	n.audit(ctx, rec)
	return out, nil
}

// index computes the derived data of an imported scan through the
// ingester (which finds the stored record by its original and completes
// it, as after a crash).
func (n *Node) index(ctx context.Context, in *ingest.Ingester, agency domain.AgencyID, by domain.UserID, sc domain.Scan) error {
	if sc.Format.Is2D() {
		return nil
	}
	data, err := blob.ReadAll(ctx, n.cfg.Blobs, sc.Original)
	if err != nil {
		return err
	}
	stored, err := n.cfg.Store.ScanByOriginal(ctx, agency, sc.Original)
	if err != nil {
		return err
	}
	_, err = in.Ingest(ctx, ingest.Request{Agency: agency, Actor: by, Exhibit: stored.ExhibitID, Name: sc.OriginalName, Body: bytes.NewReader(data)})
	return err
}
