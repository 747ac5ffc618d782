package server

import (
	"context"

	"github.com/tracemark/tracemark/internal/api"
	"github.com/tracemark/tracemark/internal/compare/bullet"
	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/search"
)

// engine serves the API's searches and comparisons from a Correlator.
type engine struct{ c *Correlator }

var _ api.Engine = engine{}

func (e engine) SearchFile(ctx context.Context, agency domain.AgencyID, a *ingest.Analysis, class domain.ClassCharacteristics, name string, k int) ([]domain.Candidate, any, error) {
	q, err := QueryForAnalysis(agency, a, class, name)
	if err != nil {
		return nil, nil, err
	}
	q.K = k
	cands, st, err := e.c.Search(ctx, q)
	return cands, st, err
}

func (e engine) Compare(ctx context.Context, agency domain.AgencyID, a, b domain.ScanID) (*api.Comparison, error) {
	return e.c.Compare(ctx, agency, a, b)
}

// Compare compares two stored scans of one agency in full. For bullets the
// scans stand for their exhibits: every land of each bullet takes part.
func (c *Correlator) Compare(ctx context.Context, agency domain.AgencyID, a, b domain.ScanID) (*api.Comparison, error) {
	const op = "server.Compare"
	qa, err := c.QueryForScan(ctx, agency, a)
	if err != nil {
		return nil, err
	}
	qb, err := c.QueryForScan(ctx, agency, b)
	if err != nil {
		return nil, err
	}
	if qa.Kind != qb.Kind {
		return nil, errs.Errorf(op, errs.Invalid, "scan %s is a %s and scan %s a %s: only alike exhibits compare", a, qa.Kind, b, qb.Kind)
	}
	out := &api.Comparison{Kind: qa.Kind.String(), A: a, B: b}
	switch qa.Kind {
	case search.KindCartridge:
		// Prepared once and cached: the workstation opens the same pairs again.
		pa, err := c.preparedScan(ctx, agency, a)
		if err != nil {
			return nil, errs.E(op, errs.Invalid, err)
		}
		pb, err := c.preparedScan(ctx, agency, b)
		if err != nil {
			return nil, errs.E(op, errs.Invalid, err)
		}
		cc := c.cmpPool.Get().(*cartridge.Comparer)
		defer c.cmpPool.Put(cc)
		if out.Cartridge, err = cc.Compare(pa, pb); err != nil {
			return nil, errs.E(op, errs.Invalid, err)
		}
	case search.KindBullet:
		ba := &bullet.Bullet{Name: qa.Name, Lands: qa.Lands, Problems: make([]string, len(qa.Lands))}
		bb := &bullet.Bullet{Name: qb.Name, Lands: qb.Lands, Problems: make([]string, len(qb.Lands))}
		if out.Bullet, err = c.bullets.CompareBullets(ba, bb); err != nil {
			return nil, errs.E(op, errs.Invalid, err)
		}
	}
	return out, nil
}
