package tracing

import (
	"sort"

	"github.com/tracemark/tracemark/internal/domain"
)

// NodeKind is the kind of a graph node.
type NodeKind string

// Node kinds.
const (
	NodeFirearm NodeKind = "firearm"
	NodeExhibit NodeKind = "exhibit"
	NodeCase    NodeKind = "case"
	NodeAgency  NodeKind = "agency"
)

// EdgeKind is the relation an edge stands for.
type EdgeKind string

// Edge kinds. Edges point from the first-named to the second-named kind.
const (
	EdgeTestFire  EdgeKind = "test_fire"    // firearm → exhibit fired with it
	EdgeInCase    EdgeKind = "in_case"      // exhibit → its case
	EdgeOwnedBy   EdgeKind = "owned_by"     // case → agency
	EdgeHeldBy    EdgeKind = "held_by"      // firearm → holding agency
	EdgeRecovered EdgeKind = "recovered_in" // firearm → case it was recovered in
	EdgeHit       EdgeKind = "hit"          // case → case, a confirmed hit (CaseLink)
	EdgeLinked    EdgeKind = "linked"       // firearm → case reached through a hit on its test fires
)

// Node is one vertex; ID is "<kind>:<record id>" so kinds never collide.
type Node struct {
	ID    string   `json:"id"`
	Kind  NodeKind `json:"kind"`
	Label string   `json:"label"`
}

// Edge is one directed relation.
type Edge struct {
	From string   `json:"from"`
	To   string   `json:"to"`
	Kind EdgeKind `json:"kind"`
}

// Graph is the firearm ↔ exhibits ↔ cases ↔ agencies graph, sorted by ID
// (nodes) and by (from, to, kind) (edges) so that its JSON is stable.
type Graph struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// GraphInput is what BuildGraph links.
type GraphInput struct {
	Firearms []Firearm
	Exhibits []domain.Exhibit
	Cases    []domain.Case
	Agencies []domain.Agency
	Hits     []domain.CaseLink
}

// NodeID returns the graph ID of a record.
func NodeID(kind NodeKind, id string) string { return string(kind) + ":" + id }

// BuildGraph makes the graph. Edges to records missing from the input are
// kept with a bare node (label = ID) so that the graph shows what is known
// to exist even when the viewer may not read it.
func BuildGraph(in GraphInput) Graph {
	b := graphBuilder{nodes: map[string]Node{}, edges: map[Edge]bool{}}
	for _, a := range in.Agencies {
		b.node(NodeAgency, string(a.ID), a.Code+" "+a.Name)
	}
	for _, c := range in.Cases {
		b.node(NodeCase, string(c.ID), c.Number)
		b.edge(NodeCase, string(c.ID), NodeAgency, string(c.AgencyID), EdgeOwnedBy)
	}
	exhibitCase := map[domain.ExhibitID]domain.CaseID{}
	for _, e := range in.Exhibits {
		b.node(NodeExhibit, string(e.ID), e.Label)
		b.edge(NodeExhibit, string(e.ID), NodeCase, string(e.CaseID), EdgeInCase)
		exhibitCase[e.ID] = e.CaseID
	}
	hitsOf := map[domain.CaseID][]domain.CaseID{}
	for _, h := range in.Hits {
		b.edge(NodeCase, string(h.CaseA), NodeCase, string(h.CaseB), EdgeHit)
		hitsOf[h.CaseA] = append(hitsOf[h.CaseA], h.CaseB)
		hitsOf[h.CaseB] = append(hitsOf[h.CaseB], h.CaseA)
	}
	for _, f := range in.Firearms {
		b.node(NodeFirearm, string(f.ID), f.Make+" "+f.Model+" "+f.SerialNumber)
		b.edge(NodeFirearm, string(f.ID), NodeAgency, string(f.AgencyID), EdgeHeldBy)
		if f.CaseID != "" {
			b.edge(NodeFirearm, string(f.ID), NodeCase, string(f.CaseID), EdgeRecovered)
		}
		for _, tf := range f.TestFires {
			b.edge(NodeFirearm, string(f.ID), NodeExhibit, string(tf), EdgeTestFire)
			if c, ok := exhibitCase[tf]; ok {
				for _, linked := range hitsOf[c] {
					b.edge(NodeFirearm, string(f.ID), NodeCase, string(linked), EdgeLinked)
				}
			}
		}
	}
	return b.graph()
}

type graphBuilder struct {
	nodes map[string]Node
	edges map[Edge]bool
}

func (b *graphBuilder) node(kind NodeKind, id, label string) string {
	nid := NodeID(kind, id)
	if n, ok := b.nodes[nid]; !ok || n.Label == id {
		b.nodes[nid] = Node{ID: nid, Kind: kind, Label: label}
	}
	return nid
}

func (b *graphBuilder) edge(fk NodeKind, from string, tk NodeKind, to string, kind EdgeKind) {
	if from == "" || to == "" {
		return
	}
	f, t := NodeID(fk, from), NodeID(tk, to)
	if _, ok := b.nodes[f]; !ok {
		b.nodes[f] = Node{ID: f, Kind: fk, Label: from}
	}
	if _, ok := b.nodes[t]; !ok {
		b.nodes[t] = Node{ID: t, Kind: tk, Label: to}
	}
	b.edges[Edge{From: f, To: t, Kind: kind}] = true
}

func (b *graphBuilder) graph() Graph {
	g := Graph{Nodes: make([]Node, 0, len(b.nodes)), Edges: make([]Edge, 0, len(b.edges))}
	for _, n := range b.nodes {
		g.Nodes = append(g.Nodes, n)
	}
	for e := range b.edges {
		g.Edges = append(g.Edges, e)
	}
	sort.Slice(g.Nodes, func(i, j int) bool { return g.Nodes[i].ID < g.Nodes[j].ID })
	sort.Slice(g.Edges, func(i, j int) bool {
		a, c := g.Edges[i], g.Edges[j]
		if a.From != c.From {
			return a.From < c.From
		}
		if a.To != c.To {
			return a.To < c.To
		}
		return a.Kind < c.Kind
	})
	return g
}
