package x3p

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/tracemark/tracemark/internal/realdata"
)

func TestReadFadulNaNFraction(t *testing.T) {
	dir := realdata.Dir(t, "fadul")
	f, err := ReadFile(filepath.Join(dir, "fadulProcessed", "Fadul 1-1.x3p"))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Surface
	if s.NX != 545 || s.NY != 545 {
		t.Errorf("size %d×%d, want 545×545", s.NX, s.NY)
	}
	if math.Abs(s.DX-6.25) > 1e-9 || math.Abs(s.DY-6.25) > 1e-9 {
		t.Errorf("spacing %g×%g µm, want 6.25", s.DX, s.DY)
	}
	if nan := 1 - s.ValidFraction(); math.Abs(nan-0.722) > 0.001 {
		t.Errorf("NaN fraction %.4f, want 0.722 ± 0.001", nan)
	}
	if f.Checksums.Data != StatusOK || f.Checksums.Main != StatusOK {
		t.Errorf("checksums %+v, want ok", f.Checksums)
	}
}
