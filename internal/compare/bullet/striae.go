package bullet

// Stria is one group of striae of a matched land pair on the aligned frame
// (µm from the start of AlignedA/AlignedB): a peak or valley found in both
// signatures (Match) or in one only.
type Stria struct {
	FromUM   float64 `json:"from_um"`
	ToUM     float64 `json:"to_um"`
	Match    bool    `json:"match"`
	Peak     bool    `json:"peak"`      // the group starts with a peak (else a valley)
	HeightUM float64 `json:"height_um"` // mean height of a matched group, µm
}

// Striae returns the land pair's striae groups, for display.
func (m *MatchedLand) Striae() []Stria {
	out := make([]Stria, len(m.striae))
	for i, g := range m.striae {
		out[i] = Stria{FromUM: g.xmin * m.DX, ToUM: g.xmax * m.DX, Match: g.match, Peak: g.peak, HeightUM: g.height}
	}
	return out
}
