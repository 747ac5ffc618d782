package x3p

import (
	"bytes"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tracemark/tracemark/internal/realdata"
)

// realFiles lists every X3P in the shared data sets (skipping sets that are
// absent, failing under CI).
func realFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, g := range []struct{ set, pattern string }{
		{"fadul", "fadulProcessed/*.x3p"},
		{"hamby44-lowres", "barrel*/bullet*/*.x3p"},
		{"x3p-conformance", "*.x3p"},
	} {
		dir := realdata.Dir(t, g.set)
		m, err := filepath.Glob(filepath.Join(dir, g.pattern))
		if err != nil || len(m) == 0 {
			t.Fatalf("no X3P files in %s/%s", dir, g.pattern)
		}
		files = append(files, m...)
	}
	return files
}

func TestRoundTripRealFiles(t *testing.T) {
	files := realFiles(t)
	if testing.Short() {
		// Every third file still covers each data set and type.
		var some []string
		for i := 0; i < len(files); i += 3 {
			some = append(some, files[i])
		}
		files = some
	}
	for _, p := range files {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()
			f1, err := ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := Write(&buf, f1); err != nil {
				t.Fatal(err)
			}
			f2, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()), Options{})
			if err != nil {
				t.Fatalf("re-read: %v", err)
			}
			if f2.Checksums.Data != StatusOK || f2.Checksums.Main != StatusOK {
				t.Errorf("written file checksums %+v, want ok", f2.Checksums)
			}
			if len(f2.Warnings) != 0 && f1.Header.SizeZ == 1 && !f1.Header.hasAbsoluteLateral() {
				t.Errorf("written file has warnings %v", f2.Warnings)
			}
			compareData(t, f1, f2)
			h := f1.Header
			if (h.Z.DataType == TypeFloat64 || h.Z.DataType == TypeFloat32) && h.PointDataLink != "" && h.ValidPointsLink == "" && h.SizeZ == 1 && !h.hasAbsoluteLateral() &&
				f2.Checksums.DataMD5 != f1.Checksums.DataMD5 {
				t.Errorf("data.bin MD5 %s after round trip, want the original %s (bit-identical float data)", f2.Checksums.DataMD5, f1.Checksums.DataMD5)
			}
			if !reflect.DeepEqual(f1.Header.Record2, f2.Header.Record2) {
				t.Errorf("Record2 %+v, want %+v", f2.Header.Record2, f1.Header.Record2)
			}
			if !reflect.DeepEqual(f1.Mask, f2.Mask) {
				t.Errorf("mask %+v, want %+v", f2.Mask, f1.Mask)
			}
			if !reflect.DeepEqual(f1.Header.Extensions, f2.Header.Extensions) {
				t.Errorf("extensions %q, want %q", f2.Header.Extensions, f1.Header.Extensions)
			}
		})
	}
}

// compareData checks heights and NaN positions for bit identity.
func compareData(t *testing.T, want, got *File) {
	t.Helper()
	if (want.Surface == nil) != (got.Surface == nil) {
		t.Fatalf("surface presence %v, want %v", got.Surface != nil, want.Surface != nil)
	}
	if s1, s2 := want.Surface, got.Surface; s1 != nil {
		if s1.NX != s2.NX || s1.NY != s2.NY || s1.DX != s2.DX || s1.DY != s2.DY || s1.X0 != s2.X0 || s1.Y0 != s2.Y0 {
			t.Fatalf("geometry %dx%d d=%g,%g o=%g,%g, want %dx%d d=%g,%g o=%g,%g",
				s2.NX, s2.NY, s2.DX, s2.DY, s2.X0, s2.Y0, s1.NX, s1.NY, s1.DX, s1.DY, s1.X0, s1.Y0)
		}
		for i := range s1.Z {
			a, b := s1.Z[i], s2.Z[i]
			if math.IsNaN(a) != math.IsNaN(b) || (!math.IsNaN(a) && a != b) {
				t.Fatalf("point %d: %v, want %v", i, b, a)
			}
		}
	}
	if want.Surface == nil {
		if len(want.Points) != len(got.Points) {
			t.Fatalf("%d points, want %d", len(got.Points), len(want.Points))
		}
		for i, p := range want.Points {
			q := got.Points[i]
			if !sameFloat(p.X, q.X) || !sameFloat(p.Y, q.Y) || !sameFloat(p.Z, q.Z) {
				t.Fatalf("point %d: %v, want %v", i, q, p)
			}
		}
	}
}

func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
