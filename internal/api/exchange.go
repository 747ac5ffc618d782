package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/federation"
)

type exportInput struct{ Body federation.Selection }

type zipOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

type bundleInput struct {
	RawBody []byte `contentType:"application/zip"`
}

// BundleReport is what a verification or an import found.
type BundleReport struct {
	Valid    bool                 `json:"valid"`
	Reason   string               `json:"reason,omitempty" doc:"why the bundle was refused"`
	Member   string               `json:"member,omitempty" doc:"the member at fault"`
	Origin   *exchange.Origin     `json:"origin,omitempty"`
	Members  int                  `json:"members,omitempty"`
	Imported *federation.Imported `json:"imported,omitempty"`
}

type bundleOutput struct{ Body BundleReport }

// SharingRuleInput is a new sharing rule of the actor's agency.
type SharingRuleInput struct {
	Peer   string                `json:"peer" minLength:"1" maxLength:"80" doc:"a peer's key fingerprint (SHA256:…) or * for every peer"`
	Kinds  []exchange.RecordKind `json:"kinds" minItems:"1" maxItems:"4" doc:"exhibits, firearms, cases, trace_requests"`
	Detail exchange.Detail       `json:"detail" enum:"scores,thumbnails,full"`
	Note   string                `json:"note,omitempty" maxLength:"4096"`
}

type sharingRuleOutput struct{ Body exchange.SharingRule }

type sharingRulesOutput struct {
	Body struct {
		Items []exchange.SharingRule `json:"items"`
	}
}

type createRuleInput struct{ Body SharingRuleInput }

type ruleIDInput struct {
	ID string `path:"id" doc:"sharing rule ID"`
}

func (h *handler) exchangeRoutes() []route {
	tags := []string{"exchange"}
	return []route{
		newRoute(Write, huma.Operation{OperationID: "export-bundle", Method: http.MethodPost, Path: "/api/exchange/export",
			Summary:     "Export exhibits, scans and firearm records as a signed bundle (zip)",
			Description: "The bundle is for the trusted peer `to` (its key fingerprint). The agency's sharing rules must let each kind of record in it (exhibits, firearms, cases selected on their own) go to that peer in full; otherwise 403 with the rule's answer.",
			Tags:        tags}, h.exportBundle),
		newRoute(Write, huma.Operation{OperationID: "import-bundle", Method: http.MethodPost, Path: "/api/exchange/import",
			Summary: "Import a signed bundle from a trusted peer", Description: "Refused, with the reason and the member at fault, " +
				"if the signature, a hash or a size does not match, the key is unknown or revoked, or the bundle was imported before.",
			Tags: tags, MaxBodyBytes: -1}, h.importBundle),
		newRoute(Read, huma.Operation{OperationID: "verify-bundle", Method: http.MethodPost, Path: "/api/exchange/verify",
			Summary: "Check a bundle without importing it", Tags: tags, MaxBodyBytes: -1}, h.verifyBundle),
		newRoute(Read, huma.Operation{OperationID: "list-sharing-rules", Method: http.MethodGet, Path: "/api/sharing-rules",
			Summary: "The agency's sharing rules, revoked ones included", Tags: tags}, h.listRules),
		newRoute(Write, huma.Operation{OperationID: "create-sharing-rule", Method: http.MethodPost, Path: "/api/sharing-rules",
			Summary: "Let a peer search or receive the agency's records", Tags: tags, DefaultStatus: http.StatusCreated}, h.createRule),
		newRoute(Write, huma.Operation{OperationID: "revoke-sharing-rule", Method: http.MethodPost, Path: "/api/sharing-rules/{id}/revoke",
			Summary: "End a sharing rule from now on", Tags: tags}, h.revokeRule),
	}
}

func (h *handler) federationNode() (*federation.Node, error) {
	if h.Federation == nil {
		return nil, huma.Error503ServiceUnavailable("exchange and federation are off on this node: it has no country (give the default agency one, or start tracemark serve with --country)")
	}
	return h.Federation, nil
}

func (h *handler) exportBundle(ctx context.Context, in *exportInput) (*zipOutput, error) {
	a := actor(ctx)
	fed, err := h.federationNode()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	m, err := fed.Export(ctx, &buf, a.Agency, a.User, in.Body)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	requestOf(ctx).audited = true // Export audited it
	return &zipOutput{ContentType: "application/zip", ContentDisposition: `attachment; filename="tracemark-` + string(m.BundleID) + `.zip"`, Body: buf.Bytes()}, nil
}

// bundleRefusal turns a refusal into a report (a tampered bundle is an answer,
// not a server error); other errors are returned.
func bundleRefusal(err error) (BundleReport, error) {
	var te *exchange.TamperError
	if errors.As(err, &te) {
		return BundleReport{Reason: te.Reason, Member: te.Member}, nil
	}
	if errs.Is(errs.Conflict, err) || errs.Is(errs.Permission, err) {
		return BundleReport{Reason: err.Error()}, nil
	}
	return BundleReport{}, err
}

func (h *handler) importBundle(ctx context.Context, in *bundleInput) (*bundleOutput, error) {
	a := actor(ctx)
	fed, err := h.federationNode()
	if err != nil {
		return nil, err
	}
	if int64(len(in.RawBody)) > h.MaxUploadBytes {
		return nil, h.fail(ctx, errs.Errorf("api.importBundle", errs.TooLarge, "bundle is larger than the upload limit of %s", mib(h.MaxUploadBytes)))
	}
	imp, err := fed.Import(ctx, a.Agency, a.User, h.Ingest, bytes.NewReader(in.RawBody), int64(len(in.RawBody)))
	requestOf(ctx).audited = true // Import audits success and refusal
	if err != nil {
		rep, err := bundleRefusal(err)
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return nil, huma.Error422UnprocessableEntity("bundle refused: " + rep.Reason + memberNote(rep.Member))
	}
	o := imp.Origin
	return &bundleOutput{Body: BundleReport{Valid: true, Origin: &o, Imported: imp}}, nil
}

func memberNote(m string) string {
	if m == "" {
		return ""
	}
	return " (member " + m + ")"
}

func (h *handler) verifyBundle(ctx context.Context, in *bundleInput) (*bundleOutput, error) {
	fed, err := h.federationNode()
	if err != nil {
		return nil, err
	}
	b, err := fed.Verify(ctx, bytes.NewReader(in.RawBody), int64(len(in.RawBody)))
	if err != nil {
		rep, err := bundleRefusal(err)
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &bundleOutput{Body: rep}, nil
	}
	o := b.Origin
	return &bundleOutput{Body: BundleReport{Valid: true, Origin: &o, Members: len(b.Manifest.Members)}}, nil
}

func (h *handler) listRules(ctx context.Context, _ *struct{}) (*sharingRulesOutput, error) {
	rules, err := h.Store.SharingRules(ctx, actor(ctx).Agency)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &sharingRulesOutput{}
	out.Body.Items = nonNil(rules)
	return out, nil
}

func (h *handler) createRule(ctx context.Context, in *createRuleInput) (*sharingRuleOutput, error) {
	a := actor(ctx)
	b := in.Body
	if b.Peer != exchange.AnyPeer {
		p, err := h.Store.PeerByFingerprint(ctx, b.Peer)
		if err != nil {
			return nil, h.fail(ctx, errs.Errorf("api.createRule", errs.Invalid, "peer %s is not registered on this node; add it first", b.Peer))
		}
		if p.Revoked(time.Now()) {
			return nil, h.fail(ctx, errs.Errorf("api.createRule", errs.Invalid, "peer %s (%s) was revoked", p.Node, b.Peer))
		}
	}
	r, err := h.Store.CreateSharingRule(ctx, exchange.SharingRule{Owner: a.Agency, Peer: b.Peer, Kinds: b.Kinds, Detail: b.Detail, Note: b.Note, CreatedBy: a.User})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "sharing.create", "sharing_rule", string(r.ID), "", map[string]any{"peer": r.Peer, "kinds": r.Kinds, "detail": r.Detail}); err != nil {
		return nil, err
	}
	return &sharingRuleOutput{Body: r}, nil
}

func (h *handler) revokeRule(ctx context.Context, in *ruleIDInput) (*sharingRuleOutput, error) {
	a := actor(ctx)
	r, err := h.Store.RevokeSharingRule(ctx, a.Agency, exchange.RuleID(in.ID), a.User)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "sharing.revoke", "sharing_rule", string(r.ID), "", map[string]any{"peer": r.Peer}); err != nil {
		return nil, err
	}
	return &sharingRuleOutput{Body: r}, nil
}
