package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/federation"
	"github.com/tracemark/tracemark/internal/search"
	"github.com/tracemark/tracemark/internal/store"
)

type cardOutput struct{ Body federation.Card }

// PeerInfo is a registered peer node.
type PeerInfo struct {
	Node            string          `json:"node"`
	AgencyID        domain.AgencyID `json:"agency_id,omitempty"`
	Agency          string          `json:"agency,omitempty"`
	Country         string          `json:"country"`
	PublicKey       []byte          `json:"public_key"`
	Fingerprint     string          `json:"fingerprint"`
	CertFingerprint string          `json:"cert_fingerprint,omitempty"`
	URL             string          `json:"url,omitempty"`
	AddedAt         time.Time       `json:"added_at"`
	RevokedAt       time.Time       `json:"revoked_at,omitzero"`
	RevokeReason    string          `json:"revoke_reason,omitempty"`
}

func peerInfo(p store.Peer) PeerInfo {
	return PeerInfo{Node: p.Node, AgencyID: p.AgencyID, Agency: p.Agency, Country: p.Country, PublicKey: p.PublicKey, Fingerprint: p.Fingerprint,
		CertFingerprint: p.CertFingerprint, URL: p.URL, AddedAt: p.AddedAt, RevokedAt: p.RevokedAt, RevokeReason: p.RevokeReason}
}

type peersOutput struct {
	Body struct {
		Items []PeerInfo `json:"items"`
	}
}

type peerOutput struct{ Body PeerInfo }

type addPeerInput struct{ Body federation.Card }

type revokePeerInput struct {
	Body struct {
		Fingerprint string `json:"fingerprint" minLength:"1" maxLength:"80"`
		Reason      string `json:"reason" minLength:"1" maxLength:"1024"`
	}
}

// FederatedSearchInput asks the peers about a stored scan of the agency.
type FederatedSearchInput struct {
	Scan  domain.ScanID   `json:"scan_id"`
	K     int             `json:"k,omitempty" minimum:"0" maximum:"50" doc:"candidates per agency of each peer (default 10)"`
	Want  exchange.Detail `json:"want,omitempty" enum:"scores,thumbnails,full," doc:"what to ask for; each peer's rules may give less (default thumbnails)"`
	Full  int             `json:"full,omitempty" minimum:"-1" maximum:"50" doc:"full engine comparisons per agency of each peer, best coarse candidates first (default 3; -1: coarse ranking only); each peer does at most its own limit"`
	Peers []string        `json:"peers,omitempty" maxItems:"100" doc:"key fingerprints; default every trusted peer"`
}

type federatedSearchInput struct{ Body FederatedSearchInput }

type federatedSearchOutput struct{ Body federation.Result }

func (h *handler) federationRoutes() []route {
	tags := []string{"federation"}
	return []route{
		newRoute(Read, huma.Operation{OperationID: "federation-card", Method: http.MethodGet, Path: "/api/federation/card",
			Summary: "This node's card: names, exchange key, pinned certificate, URL", Tags: tags}, h.federationCard),
		newRoute(Read, huma.Operation{OperationID: "list-peers", Method: http.MethodGet, Path: "/api/federation/peers",
			Summary: "Registered peer nodes, revoked ones included", Tags: tags}, h.listPeers),
		newRoute(Admin, huma.Operation{OperationID: "add-peer", Method: http.MethodPost, Path: "/api/federation/peers",
			Summary: "Register a peer node from its card", Description: "Compare the key fingerprint with the peer's operators by another channel first.",
			Tags: tags, DefaultStatus: http.StatusCreated}, h.addPeer),
		newRoute(Admin, huma.Operation{OperationID: "revoke-peer", Method: http.MethodPost, Path: "/api/federation/peers/revoke",
			Summary: "Stop trusting a peer (its searches and bundles are refused from now on)", Tags: tags}, h.revokePeer),
		newRoute(Search, huma.Operation{OperationID: "federated-search", Method: http.MethodPost, Path: "/api/federation/search",
			Summary: "Search the peers' shared exhibits with a stored scan", Tags: tags}, h.federatedSearch),
	}
}

func (h *handler) federationCard(ctx context.Context, _ *struct{}) (*cardOutput, error) {
	fed, err := h.federationNode()
	if err != nil {
		return nil, err
	}
	return &cardOutput{Body: fed.Card()}, nil
}

func (h *handler) listPeers(ctx context.Context, _ *struct{}) (*peersOutput, error) {
	ps, err := h.Store.Peers(ctx)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &peersOutput{}
	out.Body.Items = []PeerInfo{}
	for _, p := range ps {
		out.Body.Items = append(out.Body.Items, peerInfo(p))
	}
	return out, nil
}

func (h *handler) addPeer(ctx context.Context, in *addPeerInput) (*peerOutput, error) {
	a := actor(ctx)
	p, err := in.Body.Peer()
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	p.AddedBy = a.User
	p, err = h.Store.AddPeer(ctx, p)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "peer.add", "peer", p.Fingerprint, "", map[string]any{"node": p.Node, "country": p.Country, "cert": p.CertFingerprint, "url": p.URL}); err != nil {
		return nil, err
	}
	return &peerOutput{Body: peerInfo(p)}, nil
}

func (h *handler) revokePeer(ctx context.Context, in *revokePeerInput) (*peerOutput, error) {
	p, err := h.Store.RevokePeer(ctx, in.Body.Fingerprint, in.Body.Reason)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "peer.revoke", "peer", p.Fingerprint, "", map[string]any{"node": p.Node, "reason": in.Body.Reason}); err != nil {
		return nil, err
	}
	return &peerOutput{Body: peerInfo(p)}, nil
}

func (h *handler) federatedSearch(ctx context.Context, in *federatedSearchInput) (*federatedSearchOutput, error) {
	const op = "api.federatedSearch"
	a := actor(ctx)
	fed, err := h.federationNode()
	if err != nil {
		return nil, err
	}
	b := in.Body
	sc, err := h.Store.Scan(ctx, a.Agency, b.Scan)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if sc.Features.IsZero() || sc.Preprocessed.IsZero() {
		return nil, h.fail(ctx, errs.Errorf(op, errs.Invalid, "scan %s has no search features yet (a 2D image, or still processing)", sc.ID))
	}
	ex, err := h.Store.Exhibit(ctx, a.Agency, sc.ExhibitID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	feat, err := blob.ReadAll(ctx, h.Blobs, sc.Features)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	var f search.Features
	if err := f.UnmarshalBinary(feat); err != nil {
		return nil, h.fail(ctx, errs.E(op, errs.Internal, err))
	}
	pre, err := blob.ReadAll(ctx, h.Blobs, sc.Preprocessed)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	res, err := fed.Search(ctx, federation.Outgoing{Agency: a.Agency, User: a.User, Kind: f.Kind.String(), Class: ex.Class,
		Features: feat, Processed: pre, Name: sc.OriginalName, K: b.K, Full: b.Full, Want: b.Want, Peers: b.Peers})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	requestOf(ctx).audited = true // Search audited it (federation.search.sent)
	return &federatedSearchOutput{Body: *res}, nil
}
