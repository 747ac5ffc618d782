package tracing

import (
	"encoding/json"
	"testing"

	"github.com/tracemark/tracemark/internal/domain"
)

func TestBuildGraph(t *testing.T) {
	kz := domain.Agency{ID: kzLab, Code: "KZ-MIA", Name: "KZ lab", Country: "KZ"}
	refCase := domain.Case{ID: domain.CaseID(ids.New()), AgencyID: kzLab, Number: "REF-1"}
	crimeCase := domain.Case{ID: domain.CaseID(ids.New()), AgencyID: kzLab, Number: "2026-17"}
	testFire := domain.Exhibit{ID: domain.ExhibitID(ids.New()), CaseID: refCase.ID, Label: "TF1"}
	scene := domain.Exhibit{ID: domain.ExhibitID(ids.New()), CaseID: crimeCase.ID, Label: "E3"}
	f := sampleFirearm()
	f.TestFires = []domain.ExhibitID{testFire.ID}
	f.CaseID = refCase.ID
	hit := domain.CaseLink{CaseA: refCase.ID, CaseB: crimeCase.ID}
	g := BuildGraph(GraphInput{
		Firearms: []Firearm{f}, Exhibits: []domain.Exhibit{testFire, scene},
		Cases: []domain.Case{refCase, crimeCase}, Agencies: []domain.Agency{kz}, Hits: []domain.CaseLink{hit},
	})
	if len(g.Nodes) != 6 {
		t.Errorf("%d nodes, want 6: %+v", len(g.Nodes), g.Nodes)
	}
	has := func(fk NodeKind, from string, tk NodeKind, to string, kind EdgeKind) bool {
		for _, e := range g.Edges {
			if e == (Edge{From: NodeID(fk, from), To: NodeID(tk, to), Kind: kind}) {
				return true
			}
		}
		return false
	}
	want := []struct {
		fk   NodeKind
		from string
		tk   NodeKind
		to   string
		kind EdgeKind
	}{
		{NodeFirearm, string(f.ID), NodeExhibit, string(testFire.ID), EdgeTestFire},
		{NodeFirearm, string(f.ID), NodeCase, string(crimeCase.ID), EdgeLinked},
		{NodeFirearm, string(f.ID), NodeAgency, string(kzLab), EdgeHeldBy},
		{NodeExhibit, string(scene.ID), NodeCase, string(crimeCase.ID), EdgeInCase},
		{NodeCase, string(refCase.ID), NodeCase, string(crimeCase.ID), EdgeHit},
		{NodeCase, string(crimeCase.ID), NodeAgency, string(kzLab), EdgeOwnedBy},
	}
	for _, w := range want {
		if !has(w.fk, w.from, w.tk, w.to, w.kind) {
			t.Errorf("missing edge %s %s → %s %s (%s)", w.fk, w.from, w.tk, w.to, w.kind)
		}
	}
	b1, _ := json.Marshal(g)
	b2, _ := json.Marshal(BuildGraph(GraphInput{
		Firearms: []Firearm{f}, Exhibits: []domain.Exhibit{scene, testFire},
		Cases: []domain.Case{crimeCase, refCase}, Agencies: []domain.Agency{kz}, Hits: []domain.CaseLink{hit},
	}))
	if string(b1) != string(b2) {
		t.Error("graph JSON depends on input order")
	}
}
