package x3p

import (
	"archive/zip"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/realdata"
)

// TestReadRealFiles reads every X3P in the shared data and checks that the
// decoded surface agrees with the header and that the checksums match
// (the data README states every file's MD5 was verified).
func TestReadRealFiles(t *testing.T) {
	for _, p := range realFiles(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()
			f, err := ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			h := f.Header
			if f.Checksums.Main != StatusOK {
				t.Errorf("main.xml checksum %s", f.Checksums.Main)
			}
			if h.PointDataLink != "" && f.Checksums.Data != StatusOK {
				t.Errorf("data.bin checksum %s", f.Checksums.Data)
			}
			for _, w := range f.Warnings {
				if strings.HasPrefix(w.Code, "md5") {
					t.Errorf("unexpected warning %s", w)
				}
			}
			if h.FeatureType == FeaturePointCloud {
				if f.Surface != nil || len(f.Points) != h.ListSize {
					t.Errorf("point cloud: surface %v, %d points, want nil and %d", f.Surface, len(f.Points), h.ListSize)
				}
				return
			}
			s := f.Surface
			if s.NX != h.SizeX || s.NY != h.SizeY || len(s.Z) != s.NX*s.NY {
				t.Errorf("surface %d×%d (%d values), header %d×%d", s.NX, s.NY, len(s.Z), h.SizeX, h.SizeY)
			}
			if h.X.AxisType == AxisIncremental && s.DX != h.X.Increment*1e6 {
				t.Errorf("DX %g µm, header increment %g m", s.DX, h.X.Increment)
			}
			if h.Y.AxisType == AxisIncremental && s.DY != h.Y.Increment*1e6 {
				t.Errorf("DY %g µm, header increment %g m", s.DY, h.Y.Increment)
			}
			if s.X0 != h.X.Offset*1e6 || s.Y0 != h.Y.Offset*1e6 {
				t.Errorf("origin %g,%g µm, header offsets %g,%g m", s.X0, s.Y0, h.X.Offset, h.Y.Offset)
			}
			if s.ValidCount() == 0 {
				t.Errorf("no valid point")
			}
		})
	}
}

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
	r2 := f.Header.Record2
	if r2 == nil || r2.Instrument.Manufacturer != "NanoFocus" || r2.Creator != "Xiaoyu Zheng" || r2.Date != "2011-01-24T13:00:00" {
		t.Errorf("Record2 %+v", r2)
	}
	if f.Mask == nil || !f.Mask.HasBlock || f.Mask.PNG != nil || f.Mask.Background != "#cd7f32" {
		t.Errorf("mask %+v, want the CSAFE block without PNG", f.Mask)
	}
}

// TestConformance checks the openGPS samples and sample-land against what
// is known about them independently of this reader.
func TestConformance(t *testing.T) {
	dir := realdata.Dir(t, "x3p-conformance")
	read := func(name string) *File {
		t.Helper()
		f, err := ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	t.Run("valid.bin equals inline empty Datum", func(t *testing.T) {
		// The _bin samples store the same 4×4 data as their inline twins,
		// with point 7 (x=4, y=2) invalid: valid.bin is 7f ff, which marks
		// point 7 only if bits are read least significant first.
		for _, pair := range [][2]string{{"ISO5436-sample1.x3p", "ISO5436-sample1_bin.x3p"}, {"ISO5436-sample4.x3p", "ISO5436-sample4_bin.x3p"}} {
			a, b := read(pair[0]).Surface, read(pair[1]).Surface
			for i := range a.Z {
				if isNaN(a.Z[i]) != (i == 7) || isNaN(b.Z[i]) != (i == 7) {
					t.Errorf("%s/%s point %d: %v / %v, want only point 7 missing", pair[0], pair[1], i, a.Z[i], b.Z[i])
				}
				if !isNaN(a.Z[i]) && math.Abs(a.Z[i]-b.Z[i]) > 1e-9*math.Abs(a.Z[i]) {
					t.Errorf("%s point %d: inline %v, binary %v", pair[0], i, a.Z[i], b.Z[i])
				}
			}
		}
	})
	t.Run("int16 Z offset and increment", func(t *testing.T) {
		// sample4: CZ int16, offset -0.5 m, increment 0.001 m; first datum 986.
		s := read("ISO5436-sample4_bin.x3p").Surface
		if want := (-0.5 + 0.001*986) * 1e6; math.Abs(s.Z[0]-want) > 1e-6 {
			t.Errorf("Z[0] = %v µm, want %v", s.Z[0], want)
		}
	})
	t.Run("point cloud", func(t *testing.T) {
		f := read("ISO5436-sample2.x3p")
		if f.Header.FeatureType != FeaturePointCloud || f.Surface != nil || len(f.Points) != 16 {
			t.Fatalf("feature %s, surface %v, %d points", f.Header.FeatureType, f.Surface, len(f.Points))
		}
		// Datum 2 is "1e-6;0e-6;3.46…e-3" with axis offsets 0.1, 2, 2 m.
		p := f.Points[1]
		if math.Abs(p.X-(0.1+1e-6)*1e6) > 1e-6 || math.Abs(p.Y-2e6) > 1e-6 || math.Abs(p.Z-(2+3.46341436648013e-3)*1e6) > 1e-6 {
			t.Errorf("point 1 = %+v", p)
		}
	})
	t.Run("absolute Y axis", func(t *testing.T) {
		f := read("ISO5436-sample3.x3p")
		if !hasWarning(f, WarnAbsoluteAxis) || len(f.Points) != 16 {
			t.Fatalf("warnings %v, %d points", f.Warnings, len(f.Points))
		}
		// Row r stores y index r+1; CY offset 1 m, increment 2 m.
		if y := f.Points[4].Y; math.Abs(y-(1+2*2)*1e6) > 1e-6 {
			t.Errorf("point 4 y = %v µm, want 5e6", y)
		}
	})
	t.Run("sample-land quirks", func(t *testing.T) {
		f := read("sample-land.x3p")
		s := f.Surface
		if s.NX != 918 || s.NY != 256 || s.DX != 2.58 {
			t.Errorf("surface %d×%d at %g µm", s.NX, s.NY, s.DX)
		}
		// 25,292 NaN of 235,008 points (algorithms.md §1.3).
		if n := len(s.Z) - s.ValidCount(); n != 25292 {
			t.Errorf("%d missing points, want 25292", n)
		}
		if f.Header.rootPrefixed || f.Header.Z.Offset != 0 {
			t.Errorf("root prefixed %v, Z offset %g", f.Header.rootPrefixed, f.Header.Z.Offset)
		}
		if f.Mask == nil || f.Mask.PNG == nil || len(f.Mask.Annotations) != 9 || f.Mask.Annotations[0] != (Annotation{"#1f376c", "break-off"}) {
			t.Errorf("mask %+v", f.Mask)
		}
		if len(f.Members) != 0 {
			t.Errorf("kept members %v; the junk must be ignored", f.Members)
		}
	})
}

func TestReadFileNamesTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "broken.x3p")
	if err := os.WriteFile(p, []byte("PK\x03\x04 not really"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(p)
	var fe *FormatError
	if !errors.As(err, &fe) || fe.File != p || !strings.Contains(err.Error(), p) {
		t.Errorf("error %v, want a FormatError naming %s", err, p)
	}
	if !errors.Is(err, zip.ErrFormat) {
		t.Errorf("error %v does not wrap zip.ErrFormat", err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "absent.x3p")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file: %v, want ErrNotExist", err)
	}
}
