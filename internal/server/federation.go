package server

import (
	"context"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/federation"
)

// FederationSearcher lets peers search this node's corpus
// (federation.Searcher): a peer's query runs through the same pipeline as
// a local search, on one agency's index at a time.
type FederationSearcher struct{ C *Correlator }

// Search implements federation.Searcher.
func (f FederationSearcher) Search(ctx context.Context, agency domain.AgencyID, q federation.Query) ([]federation.Match, error) {
	cands, _, err := f.C.Search(ctx, Query{Agency: agency, Kind: q.Kind, Class: searchClass(q.Kind, q.Class), Surface: q.Surface,
		Lands: q.Lands, Features: q.Features, Name: q.Name, K: q.K})
	if err != nil {
		return nil, err
	}
	out := make([]federation.Match, len(cands))
	for i, c := range cands {
		out[i] = federation.Match{Scan: c.Scan, Score: c.Score, Log10LR: c.Calibrated}
	}
	return out, nil
}
