package casefile

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/compare/bullet"
	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/report"
	"github.com/tracemark/tracemark/internal/store"
)

// Sources are the records a report reads.
type Sources struct {
	Store *store.Store
	Blobs blob.Fetcher
	// Software and Version name the program in the report (default
	// "tracemark", "dev").
	Software, Version string
}

// Request says which report to build.
type Request struct {
	Agency domain.AgencyID
	Reader domain.UserID // who asks: pending conclusions of others stay out
	// Case selects a case report (every conclusion on the case);
	// Conclusion a comparison report of one conclusion. Exactly one is set.
	Case       domain.CaseID
	Conclusion store.ConclusionID
	// IssuedAt is the report date (zero: now, to the minute). The same
	// records and IssuedAt give the same file.
	IssuedAt time.Time
	TimeZone string // IANA zone of the dates shown (default UTC)
}

// Build collects the data of the requested report.
func Build(ctx context.Context, src Sources, req Request) (*report.Data, error) {
	const op = "casefile.Build"
	if (req.Case == "") == (req.Conclusion == "") {
		return nil, errs.Errorf(op, errs.Invalid, "name either a case or a conclusion to report on")
	}
	if src.Software == "" {
		src.Software = "tracemark"
	}
	if src.Version == "" {
		src.Version = "dev"
	}
	if req.IssuedAt.IsZero() {
		req.IssuedAt = time.Now().UTC().Truncate(time.Minute)
	}
	st := src.Store
	var conclusions []store.Conclusion
	kind := report.KindCase
	caseID := req.Case
	if req.Conclusion != "" {
		kind = report.KindComparison
		c, err := st.Conclusion(ctx, req.Agency, req.Conclusion)
		if err != nil {
			return nil, err
		}
		if c.Status == store.AwaitingVerification && c.Examiner != req.Reader {
			return nil, errs.Errorf(op, errs.Permission, "conclusion %s awaits its blind verification; only its examiner can report on it until then", c.ID)
		}
		caseID, conclusions = c.CaseA, []store.Conclusion{c}
	} else {
		all, _, err := st.ListConclusions(ctx, store.ConclusionFilter{Agency: req.Agency, Case: req.Case}, store.Page{Limit: store.MaxLimit})
		if err != nil {
			return nil, err
		}
		for _, c := range slices.Backward(all) { // oldest first
			if c.Status == store.AwaitingVerification && c.Examiner != req.Reader {
				continue
			}
			conclusions = append(conclusions, c)
		}
	}
	cs, err := st.Case(ctx, req.Agency, caseID)
	if err != nil {
		return nil, err
	}
	ag, err := st.Agency(ctx, req.Agency)
	if err != nil {
		return nil, err
	}
	d := &report.Data{Kind: kind, IssuedAt: req.IssuedAt, TimeZone: req.TimeZone, Case: cs,
		Number:   cs.Number + "-" + req.IssuedAt.UTC().Format("20060102-1504"),
		Lab:      report.Lab{Name: ag.Name, Agency: ag.Code},
		Software: src.Software, Version: src.Version}

	b := builder{ctx: ctx, src: src, agency: req.Agency, d: d, exhibits: map[domain.ExhibitID]domain.Exhibit{},
		users: map[domain.UserID]report.Person{}, scans: map[domain.ScanID]bool{},
		prepared: map[domain.ScanID]func() (*cartridge.Prepared, error){}}
	own, _, err := st.ListExhibits(ctx, req.Agency, cs.ID, store.Page{Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	for _, e := range own {
		if err := b.exhibit(e.ID); err != nil {
			return nil, err
		}
	}
	cfg := cartridge.DefaultConfig()
	var figures []func() (report.Comparison, error)
	for _, c := range conclusions {
		f, err := b.comparison(c, cfg)
		if err != nil {
			return nil, err
		}
		figures = append(figures, f)
	}
	if err := b.computeFigures(figures); err != nil {
		return nil, err
	}
	if len(conclusions) > 0 {
		d.Params = engineParams(cfg)
		first := conclusions[0]
		d.Examiner = b.person(first.Examiner)
		if first.Verification != nil {
			d.Verifier = b.person(first.Verification.By)
		}
	}
	return d, nil
}

type builder struct {
	ctx      context.Context
	src      Sources
	agency   domain.AgencyID
	d        *report.Data
	exhibits map[domain.ExhibitID]domain.Exhibit
	users    map[domain.UserID]report.Person
	scans    map[domain.ScanID]bool

	mu       sync.Mutex // guards prepared, filled while figures are computed
	prepared map[domain.ScanID]func() (*cartridge.Prepared, error)
}

// exhibit adds an exhibit and its chain of custody once.
func (b *builder) exhibit(id domain.ExhibitID) error {
	if _, ok := b.exhibits[id]; ok {
		return nil
	}
	e, err := b.src.Store.Exhibit(b.ctx, b.agency, id)
	if err != nil {
		return err
	}
	b.exhibits[id] = e
	b.d.Exhibits = append(b.d.Exhibits, e)
	events, err := b.src.Store.CustodyEvents(b.ctx, b.agency, id)
	if err != nil {
		return err
	}
	for _, ev := range events {
		b.d.Custody = append(b.d.Custody, report.CustodyEvent{Exhibit: e.Label, Kind: string(ev.Kind), At: ev.At,
			By: b.person(ev.By).Name, Counterpart: ev.Counterpart, Notes: ev.Notes})
	}
	return nil
}

// person names a user of the agency (display name, else username).
func (b *builder) person(id domain.UserID) report.Person {
	if id == "" {
		return report.Person{}
	}
	if p, ok := b.users[id]; ok {
		return p
	}
	u, err := b.src.Store.User(b.ctx, b.agency, id)
	p := report.Person{Name: string(id)}
	if err == nil {
		p.Name = cmp.Or(u.DisplayName, u.Username)
	}
	b.users[id] = p
	return p
}

func (b *builder) label(ex domain.ExhibitID) string {
	e := b.exhibits[ex]
	if e.CaseID != b.d.Case.ID {
		if cs, err := b.src.Store.Case(b.ctx, b.agency, e.CaseID); err == nil {
			return cs.Number + " " + e.Label
		}
	}
	return e.Label
}

func (b *builder) scanInfo(sc domain.Scan) {
	if b.scans[sc.ID] {
		return
	}
	b.scans[sc.ID] = true
	res := sc.ResolutionUM
	if res == 0 {
		res = sc.UMPerPixel
	}
	b.d.Scans = append(b.d.Scans, report.ScanInfo{Exhibit: b.label(sc.ExhibitID), File: cmp.Or(sc.OriginalName, string(sc.ID)),
		SHA256: sc.Original.Hex(), Instrument: sc.Instrument, ResolutionUM: res})
}

// computeFigures runs the engine comparisons, a few at once, and fills in
// the figures and images of the comparisons in order.
func (b *builder) computeFigures(figures []func() (report.Comparison, error)) error {
	results := make([]report.Comparison, len(figures))
	failed := make([]error, len(figures))
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i, f := range figures {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i], failed[i] = f()
		}()
	}
	wg.Wait()
	for i, r := range results {
		if failed[i] != nil {
			return failed[i]
		}
		c := &b.d.Comparisons[i]
		c.A, c.B, c.Cartridge, c.Bullet, c.Image = r.A, r.B, r.Cartridge, r.Bullet, r.Image
	}
	return nil
}

// comparison adds a conclusion with its verification and returns the
// function that recomputes the engine's figures and image of its pair.
func (b *builder) comparison(c store.Conclusion, cfg cartridge.Config) (func() (report.Comparison, error), error) {
	st := b.src.Store
	for _, ex := range []domain.ExhibitID{c.ExhibitA, c.ExhibitB} {
		if err := b.exhibit(ex); err != nil {
			return nil, err
		}
	}
	sa, err := st.Scan(b.ctx, b.agency, c.ScanA)
	if err != nil {
		return nil, err
	}
	sb, err := st.Scan(b.ctx, b.agency, c.ScanB)
	if err != nil {
		return nil, err
	}
	la, lb := b.label(c.ExhibitA), b.label(c.ExhibitB)
	var figures func() (report.Comparison, error)
	landsA, err := LandScans(b.ctx, st, b.agency, c.ExhibitA)
	if err != nil {
		return nil, err
	}
	if len(landsA) > 0 {
		landsB, err := LandScans(b.ctx, st, b.agency, c.ExhibitB)
		if err != nil {
			return nil, err
		}
		for _, sc := range slices.Concat(landsA, landsB) {
			b.scanInfo(sc)
		}
		figures = func() (report.Comparison, error) { return b.bulletComparison(la, lb, landsA, landsB) }
	} else {
		b.scanInfo(sa)
		b.scanInfo(sb)
		figures = func() (report.Comparison, error) { return b.cartridgeComparison(la, lb, sa, sb, cfg) }
	}
	out := report.Comparison{A: la, B: lb, Conclusion: report.Conclusion(cmp.Or(c.FinalConclusion, c.Conclusion)), Notes: c.Notes}
	if v := c.Verification; v != nil {
		out.Verification = &report.Verification{By: b.person(v.By), At: v.At, Conclusion: report.Conclusion(v.Conclusion), Blind: true, Notes: v.Notes}
		if r := c.Resolution; r != nil {
			note := fmt.Sprintf("%s → %s (%s)", v.Conclusion, r.Conclusion, b.person(r.By).Name)
			out.Verification.Notes = strings.TrimSpace(v.Notes + "\n" + note + " " + r.Notes)
		}
	}
	b.d.Comparisons = append(b.d.Comparisons, out)
	return figures, nil
}

// surface returns the prepared processed surface of a scan, once per
// report (safe for concurrent use).
func (b *builder) surface(sc domain.Scan) (*cartridge.Prepared, error) {
	b.mu.Lock()
	get, ok := b.prepared[sc.ID]
	if !ok {
		get = sync.OnceValues(func() (*cartridge.Prepared, error) { return b.prepare(sc) })
		b.prepared[sc.ID] = get
	}
	b.mu.Unlock()
	return get()
}

func (b *builder) prepare(sc domain.Scan) (*cartridge.Prepared, error) {
	if sc.Preprocessed.IsZero() {
		return nil, errs.Errorf("casefile.surface", errs.Invalid, "scan %s has no processed surface (a 2D image, or not processed yet); it cannot be reported with figures", sc.ID)
	}
	data, err := blob.ReadAll(b.ctx, b.src.Blobs, sc.Preprocessed)
	if err != nil {
		return nil, err
	}
	m, err := ingest.DecodeSurface(data)
	if err != nil {
		return nil, errs.E("casefile.surface", errs.Internal, err)
	}
	return cartridge.Prepare(cmp.Or(sc.OriginalName, string(sc.ID)), m, cartridge.DefaultConfig())
}

func (b *builder) cartridgeComparison(la, lb string, sa, sb domain.Scan, cfg cartridge.Config) (report.Comparison, error) {
	pa, err := b.surface(sa)
	if err != nil {
		return report.Comparison{}, err
	}
	pb, err := b.surface(sb)
	if err != nil {
		return report.Comparison{}, err
	}
	cc, err := cartridge.NewComparer(cfg, nil)
	if err != nil {
		return report.Comparison{}, err
	}
	r, err := cc.Compare(pa, pb)
	if err != nil {
		return report.Comparison{}, errs.E("casefile.compare", errs.Invalid, err)
	}
	return report.FromCartridge(la, lb, r, pa, pb, cc.Calibration().Version)
}

func (b *builder) bulletComparison(la, lb string, landsA, landsB []domain.Scan) (report.Comparison, error) {
	var bullets [2]*bullet.Bullet
	for i, lands := range [][]domain.Scan{landsA, landsB} {
		bl := &bullet.Bullet{Name: []string{la, lb}[i], Problems: make([]string, len(lands))}
		for _, sc := range lands {
			data, err := blob.ReadAll(b.ctx, b.src.Blobs, sc.Preprocessed)
			if err != nil {
				return report.Comparison{}, err
			}
			l, err := ingest.DecodeLand(data)
			if err != nil {
				return report.Comparison{}, errs.E("casefile.land", errs.Internal, err)
			}
			bl.Lands = append(bl.Lands, l)
		}
		bullets[i] = bl
	}
	bc, err := bullet.NewComparer()
	if err != nil {
		return report.Comparison{}, err
	}
	r, err := bc.CompareBullets(bullets[0], bullets[1])
	if err != nil {
		return report.Comparison{}, errs.E("casefile.compare", errs.Invalid, err)
	}
	return report.FromBullet(la, lb, r, 5)
}

func engineParams(cfg cartridge.Config) []report.Param {
	return []report.Param{
		{Name: "mode", Value: string(cfg.Mode)},
		{Name: "cells", Value: fmt.Sprintf("%d×%d", cfg.GridCells, cfg.GridCells)},
		{Name: "θ range, step", Value: fmt.Sprintf("%g…%g°, %g°", cfg.ThetaMin, cfg.ThetaMax, cfg.ThetaStep)},
		{Name: "T_x,y, T_θ, T_CCF", Value: fmt.Sprintf("%g µm, %g°, %g", cfg.TransUM, cfg.ThetaDeg, cfg.CorrThresh)},
	}
}

// LandScans returns the processed bullet-land scans of an exhibit in the
// correlator's order (file names compared with numbers as numbers, then
// IDs); none for an exhibit that is not a bullet.
func LandScans(ctx context.Context, st *store.Store, agency domain.AgencyID, exhibit domain.ExhibitID) ([]domain.Scan, error) {
	ex, err := st.Exhibit(ctx, agency, exhibit)
	if err != nil {
		return nil, err
	}
	if ex.Kind != domain.KindBullet {
		return nil, nil
	}
	all, _, err := st.ListScans(ctx, agency, exhibit, store.Page{Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	var out []domain.Scan
	for _, sc := range all {
		if !sc.Preprocessed.IsZero() && !sc.Features.IsZero() && !sc.Format.Is2D() {
			out = append(out, sc)
		}
	}
	slices.SortFunc(out, func(a, b domain.Scan) int {
		return cmp.Or(NaturalCompare(a.OriginalName, b.OriginalName), strings.Compare(string(a.ID), string(b.ID)))
	})
	return out, nil
}

// NaturalCompare orders names with embedded numbers numerically ("land 2"
// before "land 10").
func NaturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digits(s string) int {
	n := 0
	for n < len(s) && unicode.IsDigit(rune(s[n])) {
		n++
	}
	return n
}

// Render builds the requested report and renders it in lang with templates
// t (nil: the defaults). The caller records Output.SHA256 in the audit
// trail (AuditDetails).
func Render(ctx context.Context, src Sources, req Request, lang string, t *report.Templates) (*report.Output, *report.Data, error) {
	d, err := Build(ctx, src, req)
	if err != nil {
		return nil, nil, err
	}
	out, err := report.Render(d, lang, t)
	if err != nil {
		return nil, nil, errs.E("casefile.Render", errs.Invalid, err)
	}
	return out, d, nil
}

// AuditDetails are the details of the audit entry of a rendered report.
func AuditDetails(out *report.Output, d *report.Data, lang string) map[string]any {
	return map[string]any{"sha256": out.SHA256, "number": out.Number, "kind": d.Kind, "lang": lang, "pages": out.Pages,
		"issued_at": d.IssuedAt.UTC().Format(time.RFC3339), "comparisons": len(d.Comparisons)}
}
