package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/compare/bullet"
	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/report/casefile"
)

// PairSide names one scan of a pair with its exhibit and case.
type PairSide struct {
	ScanID       domain.ScanID    `json:"scan_id"`
	ExhibitID    domain.ExhibitID `json:"exhibit_id"`
	ExhibitLabel string           `json:"exhibit_label"`
	CaseID       domain.CaseID    `json:"case_id"`
	CaseNumber   string           `json:"case_number"`
}

// PairRegistration is how B lies on A: rotate B by ThetaDeg about its
// centre point (NX/2, NY/2), then point p of A lies over point p + (DX, DY)
// of the rotated B.
type PairRegistration struct {
	ThetaDeg float64 `json:"theta_deg"`
	DXUM     float64 `json:"dx_um"`
	DYUM     float64 `json:"dy_um"`
	Corr     float64 `json:"corr"`
}

// PairCell is one of A's cells (µm, top-left and size) with where it
// matched best in B (same convention as the registration).
type PairCell struct {
	Row       int     `json:"row"`
	Col       int     `json:"col"`
	XUM       float64 `json:"x_um"`
	YUM       float64 `json:"y_um"`
	WUM       float64 `json:"w_um"`
	HUM       float64 `json:"h_um"`
	ThetaDeg  float64 `json:"theta_deg"`
	DXUM      float64 `json:"dx_um"`
	DYUM      float64 `json:"dy_um"`
	Corr      float64 `json:"corr"`
	Congruent bool    `json:"congruent" doc:"counted as a congruent matching cell (original or High-CMC rule)"`
}

// CartridgePairView is the engine's cartridge-case comparison for display.
type CartridgePairView struct {
	SpacingUM     float64          `json:"spacing_um"`
	Registration  PairRegistration `json:"registration"`
	Cells         []PairCell       `json:"cells"`
	CMCOriginal   int              `json:"cmc_original"`
	CMCHigh       int              `json:"cmc_high"`
	CellsCompared int              `json:"cells_compared"`
	Score         float64          `json:"score"`
	Log10LR       float64          `json:"log10_lr"`
}

// LandSignature is one land's signature: Signature[i] is at X0UM + i·DXUM
// µm from the left edge of the land scan (null: missing).
type LandSignature struct {
	Land      int            `json:"land"`
	ScanID    domain.ScanID  `json:"scan_id"`
	DXUM      float64        `json:"dx_um"`
	X0UM      float64        `json:"x0_um"`
	Signature []bullet.Value `json:"signature_um"`
}

// MatchedLandView is a land pair on the best phase: both signatures on one
// frame (0 µm at index 0, DXUM apart) with their striae.
type MatchedLandView struct {
	LandA    int            `json:"land_a"`
	LandB    int            `json:"land_b"`
	Score    float64        `json:"score"`
	CCF      float64        `json:"ccf"`
	LagUM    float64        `json:"lag_um"`
	DXUM     float64        `json:"dx_um"`
	AlignedA []bullet.Value `json:"aligned_a_um"`
	AlignedB []bullet.Value `json:"aligned_b_um"`
	Striae   []bullet.Stria `json:"striae"`
}

// BulletPairView is the engine's bullet comparison for display.
type BulletPairView struct {
	LandsA  []LandSignature   `json:"lands_a"`
	LandsB  []LandSignature   `json:"lands_b"`
	Phase   int               `json:"phase"`
	SAM     float64           `json:"sam"`
	Margin  float64           `json:"margin"`
	PValue  bullet.Value      `json:"p_value"`
	Scores  [][]bullet.Value  `json:"scores" doc:"land score of A land i+1 against B land j+1"`
	Matched []MatchedLandView `json:"matched"`
}

// PairView is everything the comparison view draws besides the surfaces.
type PairView struct {
	Kind      string             `json:"kind" enum:"cartridge,bullet"`
	A         PairSide           `json:"a"`
	B         PairSide           `json:"b"`
	Cached    bool               `json:"cached"`
	ElapsedMS float64            `json:"elapsed_ms"`
	Cartridge *CartridgePairView `json:"cartridge,omitempty"`
	Bullet    *BulletPairView    `json:"bullet,omitempty"`
}

type pairViewInput struct {
	A string `query:"a" required:"true" doc:"reference scan ID"`
	B string `query:"b" required:"true" doc:"compared scan ID"`
}

type pairViewOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         PairView
}

func (h *handler) getPairView(ctx context.Context, in *pairViewInput) (*pairViewOutput, error) {
	return h.pairView(ctx, domain.ScanID(in.A), domain.ScanID(in.B))
}

func (h *handler) getCandidatePairView(ctx context.Context, in *candidateIDInput) (*pairViewOutput, error) {
	a := actor(ctx)
	c, err := h.Store.Candidate(ctx, a.Agency, domain.CandidateID(in.ID))
	if errs.Is(errs.NotFound, err) {
		return nil, h.fail(ctx, errs.Errorf("api.pairView", errs.NotFound, "candidate %s no longer exists (it may have been deleted meanwhile); reload the candidate list", in.ID))
	}
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	run, err := h.Store.Run(ctx, a.Agency, c.RunID)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return h.pairView(ctx, run.QueryScan, c.Scan)
}

func (h *handler) pairView(ctx context.Context, idA, idB domain.ScanID) (*pairViewOutput, error) {
	a := actor(ctx)
	start := time.Now()
	v, hit, err := h.PairView(ctx, a.Agency, idA, idB)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	v.Cached = hit
	v.ElapsedMS = elapsedMS(start)
	return &pairViewOutput{CacheControl: "private, max-age=3600", Body: *v}, nil
}

// PairView computes (or reads from the cache) the pair view of two scans
// of agency.
func (h *handler) PairView(ctx context.Context, agency domain.AgencyID, idA, idB domain.ScanID) (*PairView, bool, error) {
	const op = "api.PairView"
	if idA == idB {
		return nil, false, errs.Errorf(op, errs.Invalid, "a and b are the same scan %s; choose two scans", idA)
	}
	var sides [2]PairSide
	var scans [2]domain.Scan
	for i, id := range []domain.ScanID{idA, idB} {
		sc, err := h.Store.Scan(ctx, agency, id)
		if err != nil {
			return nil, false, err
		}
		ex, err := h.Store.Exhibit(ctx, agency, sc.ExhibitID)
		if err != nil {
			return nil, false, err
		}
		cs, err := h.Store.Case(ctx, agency, ex.CaseID)
		if err != nil {
			return nil, false, err
		}
		scans[i] = sc
		sides[i] = PairSide{ScanID: sc.ID, ExhibitID: ex.ID, ExhibitLabel: ex.Label, CaseID: cs.ID, CaseNumber: cs.Number}
	}
	// Bullets compare whole exhibits: the key covers every scan of both.
	key := fmt.Sprintf("pair/%s/%s/%s/%s", pairCacheVersion, h.Version, surfaceRef(scans[0]), surfaceRef(scans[1]))
	var lands [2][]domain.Scan
	for i, sc := range scans {
		ls, err := casefile.LandScans(ctx, h.Store, agency, sc.ExhibitID)
		if err != nil {
			return nil, false, err
		}
		lands[i] = ls
		for _, l := range ls {
			key += "/" + surfaceRef(l)
		}
	}
	data, hit, err := h.cached(ctx, key, func() ([]byte, error) {
		cmp, err := h.Engine.Compare(ctx, agency, idA, idB)
		if err != nil {
			return nil, err
		}
		v := PairView{Kind: cmp.Kind}
		switch {
		case cmp.Cartridge != nil:
			v.Cartridge = cartridgeView(cmp.Cartridge)
		case cmp.Bullet != nil:
			if v.Bullet, err = h.bulletView(ctx, cmp.Bullet, lands); err != nil {
				return nil, err
			}
		default:
			return nil, errs.Errorf(op, errs.Internal, "the engine returned no result for %s and %s", idA, idB)
		}
		return json.Marshal(v)
	})
	if err != nil {
		return nil, false, err
	}
	var v PairView
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, false, errs.E(op, errs.Internal, err)
	}
	v.A, v.B = sides[0], sides[1]
	return &v, hit, nil
}

func cellKey(c cartridge.CellResult) [2]int { return [2]int{c.Row, c.Col} }

// cartridgeView lists A's compared cells (forward direction) at their best
// rotation, or at the rotation where they were counted as congruent.
func cartridgeView(r *cartridge.Result) *CartridgePairView {
	s := r.SpacingUM
	reg := r.Forward.Consensus
	v := &CartridgePairView{SpacingUM: s, CMCOriginal: r.Decision.OriginalMin, CMCHigh: r.Decision.HighCMC, Score: r.Score, Log10LR: r.Log10LR,
		Registration: PairRegistration{ThetaDeg: reg.Theta, DXUM: reg.DX * s, DYUM: reg.DY * s, Corr: finiteOr0(reg.Corr)}}
	best := map[[2]int]cartridge.CellResult{}
	for _, c := range r.Forward.Results {
		if math.IsNaN(c.Corr) {
			continue
		}
		if b, ok := best[cellKey(c)]; !ok || c.Corr > b.Corr {
			best[cellKey(c)] = c
		}
	}
	congruent := map[[2]int]cartridge.CellResult{}
	for _, list := range [][]cartridge.CellResult{r.Decision.HighForward.CMCs, r.Decision.Forward.CMCs} {
		for _, c := range list {
			congruent[cellKey(c)] = c
		}
	}
	for k, c := range best {
		cc, ok := congruent[k]
		if ok {
			c = cc
		}
		v.Cells = append(v.Cells, PairCell{Row: c.Row, Col: c.Col, XUM: float64(c.Col*r.CellW) * s, YUM: float64(c.Row*r.CellH) * s,
			WUM: float64(r.CellW) * s, HUM: float64(r.CellH) * s, ThetaDeg: c.Theta, DXUM: c.DX * s, DYUM: c.DY * s,
			Corr: finiteOr0(c.Corr), Congruent: ok})
	}
	slices.SortFunc(v.Cells, func(a, b PairCell) int {
		if a.Row != b.Row {
			return a.Row - b.Row
		}
		return a.Col - b.Col
	})
	v.CellsCompared = len(v.Cells)
	if v.Cells == nil {
		v.Cells = []PairCell{}
	}
	return v
}

func finiteOr0(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func values(v []float64) []bullet.Value {
	out := make([]bullet.Value, len(v))
	for i, x := range v {
		out[i] = bullet.Value(x)
	}
	return out
}

func (h *handler) bulletView(ctx context.Context, r *bullet.BulletComparison, lands [2][]domain.Scan) (*BulletPairView, error) {
	v := &BulletPairView{Phase: r.Phase, SAM: r.Score, Margin: r.Margin, PValue: r.PValue, Scores: r.Scores, Matched: []MatchedLandView{}}
	for side, ls := range lands {
		sigs := []LandSignature{}
		for i, sc := range ls {
			data, err := blob.ReadAll(ctx, h.Blobs, sc.Preprocessed)
			if err != nil {
				return nil, err
			}
			l, err := ingest.DecodeLand(data)
			if err != nil {
				return nil, errs.E("api.bulletView", errs.Internal, err)
			}
			sigs = append(sigs, LandSignature{Land: i + 1, ScanID: sc.ID, DXUM: l.DX, X0UM: l.SignatureX0, Signature: values(l.Signature)})
		}
		if side == 0 {
			v.LandsA = sigs
		} else {
			v.LandsB = sigs
		}
	}
	for i := range r.Matched {
		m := &r.Matched[i]
		v.Matched = append(v.Matched, MatchedLandView{LandA: m.LandA, LandB: m.LandB, Score: m.Score, CCF: m.Features.CCF,
			LagUM: m.Features.LagUM, DXUM: m.DX, AlignedA: values(m.AlignedA), AlignedB: values(m.AlignedB), Striae: m.Striae()})
	}
	return v, nil
}
