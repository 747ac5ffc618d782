package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/tracing"
)

// FirearmInput is a firearm record as created or edited (International
// Tracing Instrument fields). Status changes go through the status route
// so that each is kept in the history.
type FirearmInput struct {
	Make                 string               `json:"make" minLength:"1" maxLength:"128"`
	Model                string               `json:"model,omitempty" maxLength:"128"`
	ModelRef             string               `json:"model_ref,omitempty" maxLength:"64" doc:"canonical model ID from /api/firearm-models"`
	Type                 tracing.FirearmType  `json:"type" enum:"pistol,revolver,rifle,assault_rifle,carbine,shotgun,submachine_gun,machine_gun,machine_pistol,combination_gun,other"`
	Calibre              string               `json:"calibre,omitempty" maxLength:"64"`
	SerialNumber         string               `json:"serial_number,omitempty" maxLength:"64" doc:"as read; '?' for unreadable positions"`
	SerialObliterated    bool                 `json:"serial_obliterated,omitempty"`
	CountryOfManufacture string               `json:"country_of_manufacture,omitempty" maxLength:"2" doc:"ISO 3166-1 alpha-2"`
	YearOfManufacture    int                  `json:"year_of_manufacture,omitempty" doc:"0 = unknown"`
	ImportMarks          []tracing.ImportMark `json:"import_marks,omitempty" maxItems:"32"`
	OtherMarkings        []tracing.Marking    `json:"other_markings,omitempty" maxItems:"64"`
	Photos               []blob.Ref           `json:"photos,omitempty" maxItems:"64" doc:"blob refs of uploaded photographs"`
	Status               tracing.Status       `json:"status,omitempty" doc:"initial status (create only; default seized)"`
	CaseID               domain.CaseID        `json:"case_id,omitempty" doc:"the case the firearm was recovered in"`
}

func (b FirearmInput) apply(f *tracing.Firearm) {
	f.Make, f.Model, f.ModelRef, f.Type, f.Calibre = b.Make, b.Model, b.ModelRef, b.Type, b.Calibre
	f.SerialNumber, f.SerialObliterated, f.CountryOfManufacture, f.YearOfManufacture = b.SerialNumber, b.SerialObliterated, b.CountryOfManufacture, b.YearOfManufacture
	f.ImportMarks, f.OtherMarkings, f.Photos, f.CaseID = b.ImportMarks, b.OtherMarkings, b.Photos, b.CaseID
}

type firearmOutput struct{ Body tracing.Firearm }

type firearmsOutput struct {
	Body struct {
		Items      []tracing.Firearm `json:"items"`
		NextCursor string            `json:"next_cursor,omitempty"`
	}
}

type listFirearmsInput struct {
	Status string `query:"status" enum:"lost,stolen,seized,recovered,destroyed,in_reference_collection," doc:"only this status"`
	Type   string `query:"type" maxLength:"32" doc:"only this type"`
	Text   string `query:"text" maxLength:"128" doc:"make, model, markings or serial, either script"`
	pageInput
}

type firearmIDInput struct {
	ID string `path:"id" doc:"firearm ID"`
}

type createFirearmInput struct{ Body FirearmInput }

type updateFirearmInput struct {
	ID   string `path:"id" doc:"firearm ID"`
	Body FirearmInput
}

type firearmStatusInput struct {
	ID   string `path:"id" doc:"firearm ID"`
	Body struct {
		Status tracing.Status `json:"status" enum:"lost,stolen,seized,recovered,destroyed,in_reference_collection"`
		Place  string         `json:"place,omitempty" maxLength:"256"`
		Note   string         `json:"note,omitempty" maxLength:"4096"`
		CaseID domain.CaseID  `json:"case_id,omitempty"`
	}
}

type testFireInput struct {
	ID   string `path:"id" doc:"firearm ID"`
	Body struct {
		Exhibit domain.ExhibitID `json:"exhibit_id" doc:"a test-fire exhibit of the actor's agency"`
	}
}

type serialSearchInput struct {
	Q        string  `query:"q" minLength:"1" maxLength:"64" doc:"serial as read: '?' one unreadable character, '*' any run; look-alikes (0/O, 1/I/l, 5/S, 8/B) and Cyrillic capitals match"`
	MinScore float64 `query:"min_score" minimum:"0" maximum:"1" doc:"default 0.5"`
	Limit    int     `query:"limit" minimum:"0" maximum:"200" doc:"default 20"`
}

// SerialMatch is a firearm found by its serial number.
type SerialMatch struct {
	Score   float64         `json:"score" doc:"1 exact; look-alikes and wildcards score less"`
	Firearm tracing.Firearm `json:"firearm"`
}

type serialSearchOutput struct {
	Body struct {
		Pattern string        `json:"pattern"`
		Items   []SerialMatch `json:"items"`
	}
}

type modelsInput struct {
	Q     string `query:"q" maxLength:"128" doc:"a make or model in any script or alias (\"ПМ\", \"Makarov PM\"); empty lists all"`
	Limit int    `query:"limit" minimum:"0" maximum:"100" doc:"default 10"`
}

type modelsOutput struct {
	Body struct {
		Items any `json:"items"`
	}
}

type translitInput struct {
	Text string `query:"text" minLength:"1" maxLength:"512"`
	Lang string `query:"lang" enum:"ru,kk,uz,ky,tg,tk," doc:"scheme for Cyrillic → Latin (default ru)"`
}

type translitOutput struct {
	Body struct {
		Latin     string `json:"latin"`
		Cyrillic  string `json:"cyrillic" doc:"a Russian reading of Latin input"`
		SearchKey string `json:"search_key"`
		SerialKey string `json:"serial_key"`
	}
}

type firearmLeadsInput struct {
	ID string `path:"id" doc:"firearm ID"`
	K  int    `query:"k" minimum:"0" maximum:"100" doc:"candidates per test-fire scan (default 20)"`
}

// FirearmLead is an open crime-scene exhibit that a test fire of the
// firearm matches.
type FirearmLead struct {
	TestFireScan domain.ScanID    `json:"test_fire_scan"`
	Candidate    domain.Candidate `json:"candidate"`
	Exhibit      domain.Exhibit   `json:"exhibit"`
	Case         domain.Case      `json:"case"`
}

type firearmLeadsOutput struct {
	Body struct {
		Items    []FirearmLead `json:"items"`
		Searched int           `json:"searched" doc:"test-fire scans searched"`
	}
}

type graphOutput struct{ Body tracing.Graph }

func (h *handler) firearmRoutes() []route {
	tags := []string{"firearms"}
	return []route{
		newRoute(Read, huma.Operation{OperationID: "list-firearms", Method: http.MethodGet, Path: "/api/firearms",
			Summary: "List the agency's firearm records", Tags: tags}, h.listFirearms),
		newRoute(Write, huma.Operation{OperationID: "create-firearm", Method: http.MethodPost, Path: "/api/firearms",
			Summary: "Record a firearm (ITI fields)", Tags: tags, DefaultStatus: http.StatusCreated}, h.createFirearm),
		newRoute(Read, huma.Operation{OperationID: "get-firearm", Method: http.MethodGet, Path: "/api/firearms/{id}",
			Summary: "A firearm record with its history and test fires", Tags: tags}, h.getFirearm),
		newRoute(Write, huma.Operation{OperationID: "update-firearm", Method: http.MethodPut, Path: "/api/firearms/{id}",
			Summary: "Edit a firearm record (status excluded)", Tags: tags}, h.updateFirearm),
		newRoute(Write, huma.Operation{OperationID: "set-firearm-status", Method: http.MethodPost, Path: "/api/firearms/{id}/status",
			Summary: "Change a firearm's status (kept in its history)", Tags: tags}, h.setFirearmStatus),
		newRoute(Write, huma.Operation{OperationID: "link-test-fire", Method: http.MethodPost, Path: "/api/firearms/{id}/test-fires",
			Summary: "Record that an exhibit was test-fired with the firearm", Tags: tags}, h.linkTestFire),
		newRoute(Search, huma.Operation{OperationID: "search-firearm-leads", Method: http.MethodPost, Path: "/api/firearms/{id}/leads",
			Summary: "Search the firearm's test fires against open crime-scene exhibits", Tags: tags}, h.firearmLeads),
		newRoute(Read, huma.Operation{OperationID: "firearm-graph", Method: http.MethodGet, Path: "/api/firearms/{id}/graph",
			Summary: "Firearm ↔ exhibits ↔ cases ↔ agencies, with cases linked by confirmed hits", Tags: tags}, h.firearmGraph),
		newRoute(Read, huma.Operation{OperationID: "search-serials", Method: http.MethodGet, Path: "/api/firearm-serials",
			Summary: "Find firearms by a partial or obliterated serial number", Tags: tags}, h.searchSerials),
		newRoute(Read, huma.Operation{OperationID: "lookup-firearm-models", Method: http.MethodGet, Path: "/api/firearm-models",
			Summary: "Resolve a make or model name or alias to the reference list", Tags: tags}, h.lookupModels),
		newRoute(Read, huma.Operation{OperationID: "transliterate", Method: http.MethodGet, Path: "/api/transliterate",
			Summary: "Cyrillic ↔ Latin forms and search keys of a marking", Tags: tags}, h.transliterate),
	}
}

func (h *handler) listFirearms(ctx context.Context, in *listFirearmsInput) (*firearmsOutput, error) {
	a := actor(ctx)
	items, next, err := h.Store.ListFirearms(ctx, store.FirearmFilter{Agency: a.Agency, Status: tracing.Status(in.Status),
		Type: tracing.FirearmType(in.Type), Text: in.Text}, store.Page{Limit: in.Limit, Cursor: in.Cursor})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &firearmsOutput{}
	out.Body.Items, out.Body.NextCursor = nonNil(items), next
	return out, nil
}

func (h *handler) createFirearm(ctx context.Context, in *createFirearmInput) (*firearmOutput, error) {
	a := actor(ctx)
	f := tracing.Firearm{AgencyID: a.Agency, Status: in.Body.Status}
	in.Body.apply(&f)
	if f.Status == "" {
		f.Status = tracing.StatusSeized
	}
	f.History = []tracing.HistoryEvent{{At: time.Now().UTC(), Kind: "status", Status: f.Status, AgencyID: a.Agency, By: a.User, CaseID: f.CaseID, Note: "recorded"}}
	if err := h.checkFiles(ctx, "api.createFirearm", "photo", f.Photos); err != nil {
		return nil, h.fail(ctx, err)
	}
	f, err := h.Store.CreateFirearm(ctx, f, nil)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "firearm.create", "firearm", string(f.ID), f.CaseID, map[string]any{"make": f.Make, "model": f.Model, "serial": f.SerialNumber, "status": f.Status}); err != nil {
		return nil, err
	}
	return &firearmOutput{Body: f}, nil
}

func (h *handler) getFirearm(ctx context.Context, in *firearmIDInput) (*firearmOutput, error) {
	f, err := h.Store.Firearm(ctx, actor(ctx).Agency, tracing.FirearmID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &firearmOutput{Body: f}, nil
}

func (h *handler) updateFirearm(ctx context.Context, in *updateFirearmInput) (*firearmOutput, error) {
	a := actor(ctx)
	f, err := h.Store.UpdateFirearm(ctx, a.Agency, tracing.FirearmID(in.ID), func(f *tracing.Firearm) error {
		// Photos the record already names stay (an imported firearm's may
		// not be files here); a new one must be a file of the agency.
		var added []blob.Ref
		for _, p := range in.Body.Photos {
			if !slices.Contains(f.Photos, p) {
				added = append(added, p)
			}
		}
		if err := h.checkFiles(ctx, "api.updateFirearm", "photo", added); err != nil {
			return err
		}
		in.Body.apply(f)
		return nil
	})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "firearm.update", "firearm", string(f.ID), f.CaseID, nil); err != nil {
		return nil, err
	}
	return &firearmOutput{Body: f}, nil
}

func (h *handler) setFirearmStatus(ctx context.Context, in *firearmStatusInput) (*firearmOutput, error) {
	a := actor(ctx)
	b := in.Body
	f, err := h.Store.UpdateFirearm(ctx, a.Agency, tracing.FirearmID(in.ID), func(f *tracing.Firearm) error {
		if err := f.SetStatus(b.Status, time.Now().UTC(), a.Agency, a.User, b.Note); err != nil {
			return err
		}
		last := &f.History[len(f.History)-1]
		last.Place, last.CaseID = b.Place, b.CaseID
		return nil
	})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "firearm.status", "firearm", string(f.ID), b.CaseID, map[string]any{"status": b.Status, "note": b.Note}); err != nil {
		return nil, err
	}
	return &firearmOutput{Body: f}, nil
}

func (h *handler) linkTestFire(ctx context.Context, in *testFireInput) (*firearmOutput, error) {
	a := actor(ctx)
	id := tracing.FirearmID(in.ID)
	ex, err := h.Store.Exhibit(ctx, a.Agency, in.Body.Exhibit)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if ex.Kind != domain.KindTestFire && ex.Role != domain.RoleReference {
		return nil, h.fail(ctx, errs.Errorf("api.linkTestFire", errs.Invalid, "exhibit %s is a %s %s, not a test fire or reference exhibit", ex.Label, ex.Role, ex.Kind))
	}
	f, err := h.Store.UpdateFirearm(ctx, a.Agency, id, func(f *tracing.Firearm) error {
		f.TestFires = append(f.TestFires, ex.ID)
		f.History = append(f.History, tracing.HistoryEvent{At: time.Now().UTC(), Kind: "test_fire", AgencyID: a.Agency, By: a.User, CaseID: ex.CaseID, Note: "test fire " + ex.Label})
		return nil
	})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "firearm.test_fire", "firearm", string(id), ex.CaseID, map[string]any{"exhibit": ex.ID}); err != nil {
		return nil, err
	}
	return &firearmOutput{Body: f}, nil
}

// firearmLeads searches every scan of the firearm's test fires against the
// agency's corpus and keeps the candidates that are crime-scene exhibits
// of open cases.
func (h *handler) firearmLeads(ctx context.Context, in *firearmLeadsInput) (*firearmLeadsOutput, error) {
	const op = "api.firearmLeads"
	a := actor(ctx)
	if h.Engine == nil {
		return nil, h.fail(ctx, errs.Errorf(op, errs.Other, "this node runs no search engine"))
	}
	f, err := h.Store.Firearm(ctx, a.Agency, tracing.FirearmID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &firearmLeadsOutput{}
	out.Body.Items = []FirearmLead{}
	for _, tf := range f.TestFires {
		scans, _, err := h.Store.ListScans(ctx, a.Agency, tf, store.Page{Limit: store.MaxLimit})
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		ex, err := h.Store.Exhibit(ctx, a.Agency, tf)
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		for _, sc := range scans {
			if sc.Format.Is2D() {
				continue
			}
			data, err := blob.ReadAll(ctx, h.Blobs, sc.Original)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			// A test fire is a cartridge case unless its class says it is a
			// bullet (lands known).
			kind := ingest.KindCartridge
			if ex.Class.Lands > 0 {
				kind = ingest.KindBulletLand
			}
			an, err := ingest.Analyse(data, sc.OriginalName, kind, sc.UMPerPixel)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			cands, _, err := h.Engine.SearchFile(ctx, a.Agency, an, ex.Class, sc.OriginalName, in.K)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out.Body.Searched++
			for _, c := range cands {
				lead, ok, err := h.openCrimeScene(ctx, a.Agency, c)
				if err != nil {
					return nil, h.fail(ctx, err)
				}
				if ok {
					lead.TestFireScan = sc.ID
					out.Body.Items = append(out.Body.Items, lead)
				}
			}
		}
	}
	if err := h.record(ctx, "firearm.search", "firearm", string(f.ID), f.CaseID, map[string]any{"scans": out.Body.Searched, "leads": len(out.Body.Items)}); err != nil {
		return nil, err
	}
	return out, nil
}

func (h *handler) openCrimeScene(ctx context.Context, agency domain.AgencyID, c domain.Candidate) (FirearmLead, bool, error) {
	sc, err := h.Store.Scan(ctx, agency, c.Scan)
	if errs.Is(errs.NotFound, err) {
		return FirearmLead{}, false, nil
	}
	if err != nil {
		return FirearmLead{}, false, err
	}
	ex, err := h.Store.Exhibit(ctx, agency, sc.ExhibitID)
	if err != nil {
		return FirearmLead{}, false, err
	}
	if ex.Role != domain.RoleCrimeScene {
		return FirearmLead{}, false, nil
	}
	cs, err := h.Store.Case(ctx, agency, ex.CaseID)
	if err != nil || cs.Status != domain.CaseOpen {
		return FirearmLead{}, false, err
	}
	return FirearmLead{Candidate: c, Exhibit: ex, Case: cs}, true, nil
}

func (h *handler) firearmGraph(ctx context.Context, in *firearmIDInput) (*graphOutput, error) {
	a := actor(ctx)
	f, err := h.Store.Firearm(ctx, a.Agency, tracing.FirearmID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	g, err := h.graphOf(ctx, a.Agency, f)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &graphOutput{Body: g}, nil
}

// graphOf gathers the firearm's test fires, their cases, the cases linked
// to those by confirmed hits, the case it was recovered in and the
// agencies owning them.
func (h *handler) graphOf(ctx context.Context, agency domain.AgencyID, f tracing.Firearm) (tracing.Graph, error) {
	in := tracing.GraphInput{Firearms: []tracing.Firearm{f}}
	cases := map[domain.CaseID]bool{}
	addCase := func(id domain.CaseID) error {
		if id == "" || cases[id] {
			return nil
		}
		c, err := h.Store.Case(ctx, agency, id)
		if err != nil {
			return err
		}
		cases[id] = true
		in.Cases = append(in.Cases, c)
		return nil
	}
	if err := addCase(f.CaseID); err != nil {
		return tracing.Graph{}, err
	}
	for _, id := range f.TestFires {
		ex, err := h.Store.Exhibit(ctx, agency, id)
		if err != nil {
			return tracing.Graph{}, err
		}
		in.Exhibits = append(in.Exhibits, ex)
		if err := addCase(ex.CaseID); err != nil {
			return tracing.Graph{}, err
		}
		links, err := h.Store.CaseLinks(ctx, agency, ex.CaseID)
		if err != nil {
			return tracing.Graph{}, err
		}
		for _, l := range links {
			in.Hits = append(in.Hits, l)
			if err := addCase(l.CaseA); err != nil {
				return tracing.Graph{}, err
			}
			if err := addCase(l.CaseB); err != nil {
				return tracing.Graph{}, err
			}
		}
	}
	ag, err := h.Store.Agency(ctx, agency)
	if err != nil {
		return tracing.Graph{}, err
	}
	in.Agencies = []domain.Agency{ag}
	return tracing.BuildGraph(in), nil
}

func (h *handler) searchSerials(ctx context.Context, in *serialSearchInput) (*serialSearchOutput, error) {
	a := actor(ctx)
	p, err := tracing.ParseSerialPattern(in.Q)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	serials, err := h.Store.FirearmSerials(ctx, a.Agency)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	idx := tracing.NewSerialIndex()
	for _, s := range serials {
		idx.Add(s.ID, s.Serial)
	}
	minScore, limit := in.MinScore, in.Limit
	if minScore == 0 {
		minScore = 0.5
	}
	if limit == 0 {
		limit = 20
	}
	out := &serialSearchOutput{}
	out.Body.Pattern, out.Body.Items = p.String(), []SerialMatch{}
	for _, hit := range idx.Search(p, minScore, limit) {
		f, err := h.Store.Firearm(ctx, a.Agency, hit.ID)
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		out.Body.Items = append(out.Body.Items, SerialMatch{Score: hit.Score, Firearm: f})
	}
	return out, nil
}

func (h *handler) lookupModels(ctx context.Context, in *modelsInput) (*modelsOutput, error) {
	cat, err := tracing.DefaultCatalogue()
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	limit := in.Limit
	if limit == 0 {
		limit = 10
	}
	out := &modelsOutput{}
	if in.Q == "" {
		ms := cat.Models()
		out.Body.Items = ms[:min(len(ms), limit)]
		return out, nil
	}
	out.Body.Items = nonNil(cat.Resolve(in.Q, 0.5, limit))
	return out, nil
}

func (h *handler) transliterate(ctx context.Context, in *translitInput) (*translitOutput, error) {
	lang := tracing.Lang(in.Lang)
	if lang == "" {
		lang = "ru"
	}
	out := &translitOutput{}
	out.Body.Latin, out.Body.Cyrillic = tracing.ToLatin(lang, in.Text), tracing.ToCyrillic(in.Text)
	out.Body.SearchKey, out.Body.SerialKey = tracing.SearchKey(in.Text), tracing.SerialKey(in.Text)
	return out, nil
}
