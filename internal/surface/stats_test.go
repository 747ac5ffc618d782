package surface

import (
	"encoding/json"
	"math"
	"testing"
)

func TestStats(t *testing.T) {
	m := New(3, 2, 1, 1)
	copy(m.Z, []float64{1, math.NaN(), 3, 5, math.NaN(), -1})
	s := m.Stats()
	// Valid 1, 3, 5, −1: mean 2, |dev| 1,1,3,3, dev² 1,1,9,9.
	want := Stats{Min: -1, Max: 5, Mean: 2, Sa: 2, Sq: math.Sqrt(5), Valid: 4, ValidFraction: 4.0 / 6}
	if math.Abs(s.Sq-want.Sq) > 1e-12 {
		t.Errorf("Sq %v, want %v", s.Sq, want.Sq)
	}
	s.Sq = want.Sq
	if s != want {
		t.Errorf("Stats %+v, want %+v", s, want)
	}
	empty := New(2, 2, 1, 1).Stats()
	if empty != (Stats{}) {
		t.Errorf("all-NaN stats %+v, want zero", empty)
	}
	if _, err := json.Marshal(empty); err != nil {
		t.Error(err)
	}
}

func TestStandardise(t *testing.T) {
	m := New(3, 2, 1, 1)
	copy(m.Z, []float64{1, math.NaN(), 3, 5, math.NaN(), -1})
	z, mean, sd := m.Standardise()
	if mean != 2 || math.Abs(sd-math.Sqrt(20.0/3)) > 1e-12 {
		t.Errorf("mean %v sd %v", mean, sd)
	}
	sameNaN(t, "standardise", m, z)
	s := z.Stats()
	if math.Abs(s.Mean) > 1e-12 || math.Abs(s.Sq*math.Sqrt(4.0/3)-1) > 1e-12 {
		t.Errorf("standardised mean %v, sample sd %v", s.Mean, s.Sq*math.Sqrt(4.0/3))
	}
	flat := fill(3, 3, 1, func(x, y float64) float64 { return 4 })
	z, mean, sd = flat.Standardise()
	if mean != 4 || sd != 0 || z.Stats() != (Stats{Valid: 9, ValidFraction: 1}) {
		t.Errorf("constant: mean %v sd %v stats %+v", mean, sd, z.Stats())
	}
}
