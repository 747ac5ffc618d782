package x3p

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"reflect"
	"strings"
	"testing"
)

// TestReadQuirks covers the robustness checklist of algorithms.md §1.5 on
// small generated files: each case must read and satisfy check.
func TestReadQuirks(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*spec)
		check func(t *testing.T, f *File)
	}{
		{"prefixed root", func(s *spec) {}, func(t *testing.T, f *File) {
			if f.Checksums.Data != StatusOK || f.Checksums.Main != StatusOK || len(f.Warnings) != 0 {
				t.Errorf("checksums %+v warnings %v, want ok and none", f.Checksums, f.Warnings)
			}
		}},
		{"bare root", func(s *spec) { s.root = "bare" }, nil},
		{"default namespace root", func(s *spec) { s.root = "default-ns" }, nil},
		{"nested folder with junk", func(s *spec) {
			s.dir = "scan"
			s.extra = map[string][]byte{"__MACOSX/scan/._main.xml": []byte("junk"), "scan/.DS_Store": []byte("junk"), "__MACOSX/._main.xml": {0}}
		}, func(t *testing.T, f *File) {
			if f.Checksums.Main != StatusOK || len(f.Members) != 0 {
				t.Errorf("main checksum %s, members %v; want ok and no junk kept", f.Checksums.Main, f.Members)
			}
		}},
		{"unknown elements kept", func(s *spec) {
			s.axesExtra = "<Origin>NW</Origin>"
			s.rootTail = `<VendorSpecificID>http://example.com/v1</VendorSpecificID><Vendor xmlns="http://example.com/v1"><Setting a="1">x &amp; y</Setting></Vendor>`
		}, func(t *testing.T, f *File) {
			want := []Extension{
				{Parent: "Record1/Axes", XML: "<Origin>NW</Origin>"},
				{Parent: "", XML: `<Vendor xmlns="http://example.com/v1"><Setting a="1">x &amp; y</Setting></Vendor>`},
			}
			if len(f.Header.Extensions) != 2 || f.Header.Extensions[0] != want[0] || f.Header.Extensions[1] != want[1] {
				t.Errorf("extensions %q, want %q", f.Header.Extensions, want)
			}
			if len(f.Header.VendorSpecificID) != 1 {
				t.Errorf("VendorSpecificID %q", f.Header.VendorSpecificID)
			}
		}},
		{"unknown elements in nested records", func(s *spec) {
			s.xmlEdit = func(x string) string {
				x = strings.Replace(x, "<Offset>0</Offset></CX>", "<Offset>0</Offset><Units>m</Units></CX>", 1)
				x = strings.Replace(x, "<Version>1.0</Version>", "<Version>1.0</Version><Firmware>7</Firmware>", 1)
				return strings.Replace(x, "<SizeZ>1</SizeZ>", "<SizeZ>1</SizeZ><Layers/>", 1)
			}
		}, func(t *testing.T, f *File) {
			want := []Extension{
				{Parent: "Record1/Axes/CX", XML: "<Units>m</Units>"},
				{Parent: "Record2/Instrument", XML: "<Firmware>7</Firmware>"},
				{Parent: "Record3/MatrixDimension", XML: "<Layers/>"},
			}
			if !reflect.DeepEqual(f.Header.Extensions, want) {
				t.Errorf("extensions %q, want %q", f.Header.Extensions, want)
			}
		}},
		{"empty offset", func(s *spec) { s.zOff = "" }, nil},
		{"upper-case MD5", func(s *spec) {
			sum := newSpec(3, 2)
			d := sum.encode()
			s.dataMD5 = strings.ToUpper(md5hex(d))
		}, func(t *testing.T, f *File) {
			if f.Checksums.Data != StatusOK {
				t.Errorf("data checksum %s, want ok", f.Checksums.Data)
			}
		}},
		{"missing Record2", func(s *spec) { s.record2 = false }, func(t *testing.T, f *File) {
			if f.Header.Record2 != nil {
				t.Errorf("Record2 %+v, want nil", f.Header.Record2)
			}
		}},
		{"data MD5 mismatch is a warning", func(s *spec) { s.dataMD5 = "00000000000000000000000000000000" }, func(t *testing.T, f *File) {
			if f.Checksums.Data != StatusMismatch || !hasWarning(f, WarnDataMD5Mismatch) {
				t.Errorf("checksums %+v warnings %v, want data mismatch", f.Checksums, f.Warnings)
			}
		}},
		{"main MD5 mismatch is a warning", func(s *spec) { s.mainMD5 = "0123456789abcdef0123456789abcdef *main.xml" }, func(t *testing.T, f *File) {
			if f.Checksums.Main != StatusMismatch || !hasWarning(f, WarnMainMD5Mismatch) {
				t.Errorf("checksums %+v warnings %v, want main mismatch", f.Checksums, f.Warnings)
			}
		}},
		{"missing md5checksum.hex is a warning", func(s *spec) { s.mainMD5 = "-" }, func(t *testing.T, f *File) {
			if f.Checksums.Main != StatusAbsent || !hasWarning(f, WarnMainMD5Missing) {
				t.Errorf("checksums %+v warnings %v", f.Checksums, f.Warnings)
			}
		}},
		{"SizeZ 2 keeps layer 1", func(s *spec) {
			s.sizeZ = "2"
			s.values = append(s.values, 9, 9, 9, 9, 9, 9)
		}, func(t *testing.T, f *File) {
			if !hasWarning(f, WarnLayers) || f.Surface.Z[5] != 6e-7*1e6 {
				t.Errorf("warnings %v, Z %v: want layer warning and layer 1", f.Warnings, f.Surface.Z)
			}
		}},
		{"float32 Z", func(s *spec) { s.zType = "F" }, func(t *testing.T, f *File) {
			if want := float64(float32(3e-7)) * 1e6; f.Surface.Z[2] != want {
				t.Errorf("Z[2] = %v, want %v", f.Surface.Z[2], want)
			}
		}},
		{"int16 Z with offset and increment", func(s *spec) {
			s.zType, s.zInc, s.zOff = "I", "1e-9", "-1e-6"
			s.values = []float64{0, 1000, -1000, 32767, -32768, 5}
		}, func(t *testing.T, f *File) {
			want := []float64{-1, 0, -2, -1 + 32.767, -1 - 32.768, -1 + 0.005}
			for i, w := range want {
				if math.Abs(f.Surface.Z[i]-w) > 1e-9 {
					t.Errorf("Z[%d] = %v µm, want %v", i, f.Surface.Z[i], w)
				}
			}
		}},
		{"int32 Z with valid.bin", func(s *spec) {
			s.zType, s.zInc, s.zOff = "L", "1e-9", "0"
			s.values = []float64{1, 2, 3, 4, 5, 6}
			s.valid = []byte{0b0011_1011} // point 2 invalid (LSB first)
		}, func(t *testing.T, f *File) {
			for i, z := range f.Surface.Z {
				if isNaN(z) != (i == 2) {
					t.Errorf("Z[%d] = %v; only point 2 should be missing", i, z)
				}
			}
			if f.Checksums.Valid != StatusOK {
				t.Errorf("valid.bin checksum %s", f.Checksums.Valid)
			}
		}},
		{"profile N×1", func(s *spec) { s.feature, s.sizeX, s.sizeY = "PRF", "6", "1" }, func(t *testing.T, f *File) {
			if f.Surface.NX != 6 || f.Surface.NY != 1 {
				t.Errorf("profile %d×%d", f.Surface.NX, f.Surface.NY)
			}
		}},
		{"profile 1×N", func(s *spec) { s.feature, s.sizeX, s.sizeY = "PRF", "1", "6" }, nil},
		{"windows link separator", func(s *spec) { s.link = `bindata\data.bin` }, nil},
		{"mask block and PNG", func(s *spec) {
			s.record3Tail = `<Mask><Background>#cd7f32</Background><Annotations><Annotation color="#ff0000">damage</Annotation></Annotations><Version>2</Version></Mask>`
			s.extra = map[string][]byte{"bindata/mask.png": pngOf(3, 2)}
		}, func(t *testing.T, f *File) {
			m := f.Mask
			if m == nil || m.PNG == nil || m.Link != "bindata/mask.png" || len(m.Annotations) != 1 || m.Annotations[0].Label != "damage" {
				t.Fatalf("mask %+v", m)
			}
			img, err := m.Image()
			if err != nil || img.Bounds().Dx() != 3 {
				t.Errorf("mask image %v, %v", img, err)
			}
		}},
		{"mask PNG of the wrong size is a warning", func(s *spec) {
			s.extra = map[string][]byte{"bindata/mask.png": pngOf(5, 5)}
		}, func(t *testing.T, f *File) {
			if !hasWarning(f, WarnMaskSize) {
				t.Errorf("warnings %v, want %s", f.Warnings, WarnMaskSize)
			}
		}},
		{"vendor member kept", func(s *spec) { s.extra = map[string][]byte{"vendor/settings.txt": []byte("gain=2")} }, func(t *testing.T, f *File) {
			if len(f.Members) != 1 || f.Members[0].Name != "vendor/settings.txt" {
				t.Errorf("members %v", f.Members)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSpec(3, 2)
			tt.edit(&s)
			f, err := readBytes(s.build(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if f.Surface == nil || f.Surface.DX != 1 || f.Surface.DY != 2 {
				t.Fatalf("surface %+v, want spacing 1×2 µm", f.Surface)
			}
			if tt.check != nil {
				tt.check(t, f)
			}
			// Every quirk must survive a round trip.
			var buf bytes.Buffer
			if err := Write(&buf, f); err != nil {
				t.Fatal(err)
			}
			g, err := readBytes(buf.Bytes(), Options{})
			if err != nil {
				t.Fatalf("re-read: %v", err)
			}
			compareData(t, f, g)
			compareMetadata(t, f, g)
		})
	}
}

// TestReadBadInput: each malformed file gives an error naming the problem.
func TestReadBadInput(t *testing.T) {
	good := newSpec(3, 2)
	tests := []struct {
		name string
		file func(t *testing.T) []byte
		opt  Options
		want string // substring of the error
		kind any    // *FormatError or *UnsupportedError
	}{
		{"empty", func(*testing.T) []byte { return nil }, Options{}, "not a readable zip", &FormatError{}},
		{"not a zip", func(*testing.T) []byte { return []byte("hello world, not a zip at all") }, Options{}, "not a readable zip", &FormatError{}},
		{"truncated zip", func(t *testing.T) []byte { b := good.build(t); return b[:len(b)*2/3] }, Options{}, "zip", &FormatError{}},
		{"missing main.xml", func(t *testing.T) []byte {
			return zipOf(t, map[string][]byte{"bindata/data.bin": good.encode()})
		}, Options{}, "no main.xml", &FormatError{}},
		{"malformed XML", func(t *testing.T) []byte {
			return zipOf(t, map[string][]byte{"main.xml": []byte("<ISO5436_2><Record1>")})
		}, Options{}, "malformed XML", &FormatError{}},
		{"wrong root", func(t *testing.T) []byte {
			return zipOf(t, map[string][]byte{"main.xml": []byte("<html/>")})
		}, Options{}, "root element", &FormatError{}},
		{"deep XML", func(t *testing.T) []byte {
			x := "<ISO5436_2>" + strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200) + "</ISO5436_2>"
			return zipOf(t, map[string][]byte{"main.xml": []byte(x)})
		}, Options{}, "nested deeper", &FormatError{}},
		{"non-numeric size", func(t *testing.T) []byte { s := good; s.sizeX = "three"; return s.build(t) }, Options{}, "SizeX", &FormatError{}},
		{"negative size", func(t *testing.T) []byte { s := good; s.sizeY = "-2"; return s.build(t) }, Options{}, "SizeY", &FormatError{}},
		{"zero size", func(t *testing.T) []byte { s := good; s.sizeX = "0"; return s.build(t) }, Options{}, "SizeX", &FormatError{}},
		{"unknown data type", func(t *testing.T) []byte { s := good; s.zType = "Q"; return s.build(t) }, Options{}, "DataType", &FormatError{}},
		{"data type disagrees with byte count", func(t *testing.T) []byte {
			s := good
			s.dataBytes = newSpecF(3, 2).encode() // float32 bytes under a D header
			return s.build(t)
		}, Options{}, "holds 24 bytes but the header declares 6 points × 8 bytes", &FormatError{}},
		{"huge declared matrix", func(t *testing.T) []byte { s := good; s.sizeX, s.sizeY = "100000", "100000"; return s.build(t) }, Options{}, "more than the limit", &UnsupportedError{}},
		{"matrix over a small limit", func(t *testing.T) []byte { return good.build(t) }, Options{MaxPoints: 5}, "more than the limit", &UnsupportedError{}},
		{"zip bomb", func(t *testing.T) []byte {
			s := good
			s.sizeX, s.sizeY = "2048", "2048" // 32 MiB of zeros, deflates to ~32 KiB
			s.dataBytes = make([]byte, 2048*2048*8)
			return s.build(t)
		}, Options{MaxUncompressed: 16 << 20}, "more than the limit", &UnsupportedError{}},
		{"zip header lies about the size", func(t *testing.T) []byte {
			s := good
			s.sizeX, s.sizeY = "16384", "16384" // 2 GiB declared in main.xml...
			b := s.build(t)
			// ...and in the central directory, over 48 compressed bytes.
			return setUncompressedSize(t, b, "bindata/data.bin", 16384*16384*8)
		}, Options{MaxPoints: 1 << 40, MaxUncompressed: 1 << 40}, "impossible for deflate", &FormatError{}},
		{"zip-slip link", func(t *testing.T) []byte { s := good; s.link = "../../etc/passwd"; return s.build(t) }, Options{}, "leaves the archive", &FormatError{}},
		{"absolute link", func(t *testing.T) []byte { s := good; s.link = "/etc/passwd"; return s.build(t) }, Options{}, "absolute path", &FormatError{}},
		{"dangling link", func(t *testing.T) []byte { s := good; s.link = "bindata/other.bin"; return s.build(t) }, Options{}, "not in the archive", &FormatError{}},
		{"unreadable PNG mask", func(t *testing.T) []byte {
			s := good
			s.extra = map[string][]byte{"bindata/mask.png": []byte("\x89PNG\r\n\x1a\nnot really")}
			return s.build(t)
		}, Options{}, "unreadable PNG mask", &FormatError{}},
		{"truncated PNG mask", func(t *testing.T) []byte {
			s := good
			p := pngOf(3, 2)
			s.extra = map[string][]byte{"bindata/mask.png": p[:len(p)-20]}
			return s.build(t)
		}, Options{}, "unreadable PNG mask", &FormatError{}},
		{"valid.bin too short", func(t *testing.T) []byte {
			s := newSpec(5, 4)
			s.valid = []byte{0xff, 0xff}
			return s.build(t)
		}, Options{}, "valid.bin", &FormatError{}},
		{"profile not N×1", func(t *testing.T) []byte { s := good; s.feature = "PRF"; return s.build(t) }, Options{}, "profile", &FormatError{}},
		{"unknown feature type", func(t *testing.T) []byte { s := good; s.feature = "XYZ"; return s.build(t) }, Options{}, "FeatureType", &FormatError{}},
		{"incremental Z axis", func(t *testing.T) []byte {
			s := good
			s.xmlEdit = func(x string) string { return strings.Replace(x, "<CZ><AxisType>A<", "<CZ><AxisType>I<", 1) }
			return s.build(t)
		}, Options{}, "Z axis must be absolute", &FormatError{}},
		{"Datum count disagrees", func(t *testing.T) []byte {
			s := good
			s.xmlEdit = func(x string) string {
				i, j := strings.Index(x, "<DataLink>"), strings.Index(x, "</DataLink>")+len("</DataLink>")
				return x[:i] + "<DataList><Datum>1</Datum><Datum/></DataList>" + x[j:]
			}
			return s.build(t)
		}, Options{}, "holds 2 Datum elements", &FormatError{}},
		{"non-numeric Datum", func(t *testing.T) []byte {
			s := newSpec(2, 1)
			s.xmlEdit = func(x string) string {
				i, j := strings.Index(x, "<DataLink>"), strings.Index(x, "</DataLink>")+len("</DataLink>")
				return x[:i] + "<DataList><Datum>1</Datum><Datum>abc</Datum></DataList>" + x[j:]
			}
			return s.build(t)
		}, Options{}, "not a number", &FormatError{}},
		{"duplicate member", func(t *testing.T) []byte {
			return dupZip(t, good.build(t))
		}, Options{}, "duplicate zip member", &FormatError{}},
		{"corrupt data CRC", func(t *testing.T) []byte {
			s := good
			s.dataBytes = make([]byte, 48)
			b := s.build(t)
			// Flip a byte inside the stored/deflated data of data.bin.
			i := bytes.Index(b, []byte("bindata/data.bin")) + len("bindata/data.bin") + 2
			b[i] ^= 0xff
			return b
		}, Options{}, "", &FormatError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := readBytes(tt.file(t), tt.opt)
			if err == nil {
				t.Fatalf("read succeeded (%+v), want an error containing %q", f.Header, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			switch tt.kind.(type) {
			case *FormatError:
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Errorf("error %T %v, want *FormatError", err, err)
				}
			case *UnsupportedError:
				var ue *UnsupportedError
				if !errors.As(err, &ue) {
					t.Errorf("error %T %v, want *UnsupportedError", err, err)
				}
			}
		})
	}
}

func newSpecF(nx, ny int) spec { s := newSpec(nx, ny); s.zType = "F"; return s }

func pngOf(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		img.Set(i%w, i/w, color.NRGBA{0xcd, 0x7f, 0x32, 0xff})
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}
