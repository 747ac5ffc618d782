package x3p

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/tracemark/tracemark/internal/surface"
)

var update = flag.Bool("update", false, "rewrite the generated fixtures in testdata")

// generated are the small fixtures this package writes itself (the other
// files in testdata are copies of public samples; see NOTICE).
var generated = []struct {
	name  string
	build func(t testing.TB) []byte
}{
	{"gen-written.x3p", func(t testing.TB) []byte {
		var buf bytes.Buffer
		if err := Write(&buf, writtenFixture()); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}},
	{"gen-int16-nested.x3p", func(t testing.TB) []byte { return int16Fixture().build(t) }},
	{"gen-profile-f32.x3p", func(t testing.TB) []byte { return profileFixture().build(t) }},
}

// writtenFixture is an 8×5 surface with holes, full metadata, a mask and
// vendor extensions, written by Write.
func writtenFixture() *File {
	m := surface.New(8, 5, 1.5625, 1.5625)
	m.X0, m.Y0 = 10, -5
	for y := range m.NY {
		for x := range m.NX {
			if (x+y)%7 != 3 {
				m.Set(x, y, 2*math.Sin(float64(x)/2)+0.25*float64(y))
			}
		}
	}
	f := New(m)
	f.Header.Record2 = &Record2{
		Date: "2026-11-27T06:00:00Z", Creator: "tracemark test", CalibrationDate: "2026-01-01T00:00:00Z",
		Instrument:    Instrument{Manufacturer: "Acme", Model: "Confocal 1", Serial: "SN-1", Version: "1.0"},
		ProbingSystem: ProbingSystem{Type: "NonContacting", Identification: "20x"},
		Comment:       "generated fixture <&>",
	}
	f.Header.Extensions = []Extension{
		{Parent: "Record1/Axes", XML: "<Origin>NW</Origin>"},
		{Parent: "", XML: `<Vendor xmlns="http://example.com/tracemark-test"><Gain unit="dB">3</Gain></Vendor>`},
	}
	f.Header.VendorSpecificID = []string{"http://example.com/tracemark-test"}
	f.Mask = &Mask{PNG: pngOf(8, 5), Link: "bindata/mask.png", Background: DefaultMaskBackground,
		Annotations: []Annotation{{Color: "#ff0000", Label: "damage"}}, Version: "2", HasBlock: true}
	f.Members = []Member{{Name: "vendor/notes.txt", Data: []byte("kept verbatim\n")}}
	return f
}

// int16Fixture: integer heights with offset and increment, valid.bin, a
// namespace-less root, an empty offset and a nested folder with junk.
func int16Fixture() spec {
	s := newSpec(5, 3)
	s.zType, s.zInc, s.zOff = "I", "1e-9", ""
	s.values = []float64{0, 1, -1, 100, -100, 32767, -32768, 7, 8, 9, 10, 11, 12, 13, 14}
	s.valid = []byte{0b1101_1111, 0b0111_1111} // points 5 and 15 (padding) clear
	s.root = "bare"
	s.dir = "scan-folder"
	s.axesExtra = "<Origin>NW</Origin>"
	s.extra = map[string][]byte{"__MACOSX/scan-folder/._main.xml": []byte("junk"), "scan-folder/.DS_Store": []byte("junk")}
	return s
}

// profileFixture: a float32 profile of 16×1 points without Record2 and with
// an upper-case data MD5.
func profileFixture() spec {
	s := newSpec(16, 1)
	s.feature, s.zType, s.record2 = "PRF", "F", false
	s.values[3] = math.NaN()
	s.dataMD5 = upperMD5(s.encode())
	return s
}

func upperMD5(b []byte) string {
	h := md5hex(b)
	return string(bytes.ToUpper([]byte(h)))
}

// TestGeneratedFixtures checks that the committed generated fixtures hold
// what their generators describe (and rewrites them with -update).
func TestGeneratedFixtures(t *testing.T) {
	for _, g := range generated {
		t.Run(g.name, func(t *testing.T) {
			path := filepath.Join("testdata", g.name)
			want := g.build(t)
			if *update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := readBytes(want, Options{})
			if err != nil {
				t.Fatal(err)
			}
			compareData(t, ref, got)
			if got.Checksums.Data != StatusOK || got.Checksums.Main != StatusOK {
				t.Errorf("checksums %+v", got.Checksums)
			}
		})
	}
	f, err := ReadFile(filepath.Join("testdata", "gen-int16-nested.x3p"))
	if err != nil {
		t.Fatal(err)
	}
	if z := f.Surface.Z; !isNaN(z[5]) || isNaN(z[4]) || math.Abs(z[4]-(-100e-9*1e6)) > 1e-12 {
		t.Errorf("int16 fixture Z = %v, want point 5 missing and Z[4] = -0.1 µm", z)
	}
	w, err := ReadFile(filepath.Join("testdata", "gen-written.x3p"))
	if err != nil {
		t.Fatal(err)
	}
	if w.Surface.X0 != 10 || w.Surface.Y0 != -5 || w.Header.Record2.Comment != "generated fixture <&>" || len(w.Members) != 1 || w.Mask.PNG == nil {
		t.Errorf("written fixture: origin %g,%g, Record2 %+v, members %v", w.Surface.X0, w.Surface.Y0, w.Header.Record2, w.Members)
	}
}
