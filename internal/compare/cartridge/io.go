package cartridge

import (
	"fmt"
	"math"
	"sort"

	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/x3p"
)

// LoadScan reads an X3P breech-face scan and preprocesses it with cfg. The
// X3P reader's warnings are prepended to the result's warnings.
func LoadScan(path string, cfg PreprocessConfig) (*Preprocessed, error) {
	f, err := x3p.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if f.Surface == nil {
		return nil, fmt.Errorf("cartridge: %s is a point cloud; a breech-face comparison needs a gridded surface (SUR)", path)
	}
	p, err := Preprocess(f.Surface, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var w []string
	for _, x := range f.Warnings {
		w = append(w, "x3p: "+x.String())
	}
	p.Warnings = append(w, p.Warnings...)
	return p, nil
}

// LooksProcessed guesses whether a scan has already been levelled and
// band-passed (like the Fadul set) rather than being raw instrument output:
// after removing the least-squares plane the removed tilt spans less than 2
// µm across the scan, and the 1st–99th percentile height range is under 30 µm (a raw
// breech-face scan carries tilt, curvature and a firing-pin impression tens of
// µm deep). Use an explicit setting whenever the provenance is known.
func LooksProcessed(m *surface.Map) bool {
	if m == nil || m.ValidCount() < 16 {
		return false
	}
	lev, pl, err := m.RemovePlane(surface.LeastSquares)
	if err != nil {
		return false
	}
	if tilt := math.Abs(pl.B)*m.Width() + math.Abs(pl.C)*m.Height(); tilt > 2 {
		return false
	}
	var v []float64
	for _, z := range lev.Z {
		if !math.IsNaN(z) {
			v = append(v, z)
		}
	}
	sort.Float64s(v)
	lo, hi := v[len(v)/100], v[len(v)-1-len(v)/100]
	return hi-lo < 30
}
