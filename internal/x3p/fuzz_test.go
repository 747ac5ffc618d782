package x3p

import (
	"archive/zip"
	"bytes"
	"io"
	"path/filepath"
	"reflect"
	"testing"
)

// fuzzOptions keep fuzzing inputs small enough not to exhaust memory while
// still exercising the limit checks.
var fuzzOptions = Options{MaxPoints: 1 << 22, MaxUncompressed: 64 << 20, MaxXMLBytes: 8 << 20}

// FuzzRead feeds whole archives to Read: seeded with every file in
// testdata. A successful read must write and read back to the same data.
func FuzzRead(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.x3p"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds in testdata: %v", err)
	}
	for _, p := range seeds {
		b, err := readTestFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkReadWrite(t, b)
	})
}

// FuzzMainXML fuzzes main.xml and data.bin inside a well-formed zip (valid
// CRCs), which reaches the header and decoding logic far more often than
// mutating compressed archives.
func FuzzMainXML(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.x3p"))
	for _, p := range seeds {
		b, err := readTestFile(p)
		if err != nil {
			f.Fatal(err)
		}
		xml, data := members(b)
		if len(data) > 4096 {
			data = data[:4096]
		}
		f.Add(xml, data)
	}
	f.Fuzz(func(t *testing.T, xml, data []byte) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, m := range []struct {
			name string
			b    []byte
		}{{"main.xml", xml}, {"bindata/data.bin", data}, {"bindata/valid.bin", data}, {"bindata/mask.png", data}} {
			w, err := zw.Create(m.name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(m.b); err != nil {
				t.Fatal(err)
			}
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		checkReadWrite(t, buf.Bytes())
	})
}

func checkReadWrite(t *testing.T, b []byte) {
	f, err := readBytes(b, fuzzOptions)
	if err != nil {
		return
	}
	var out bytes.Buffer
	if err := Write(&out, f); err != nil {
		t.Fatalf("Write of a file Read accepted: %v", err)
	}
	g, err := readBytes(out.Bytes(), fuzzOptions)
	if err != nil {
		t.Fatalf("re-read of a written file: %v", err)
	}
	compareData(t, f, g)
	compareMetadata(t, f, g)
}

// compareMetadata checks what Write promises to carry over.
func compareMetadata(t *testing.T, f, g *File) {
	t.Helper()
	if !reflect.DeepEqual(f.Header.Record2, g.Header.Record2) {
		t.Errorf("Record2 %+v, want %+v", g.Header.Record2, f.Header.Record2)
	}
	if !reflect.DeepEqual(f.Header.Extensions, g.Header.Extensions) {
		t.Errorf("extensions %q, want %q", g.Header.Extensions, f.Header.Extensions)
	}
	if !reflect.DeepEqual(f.Header.VendorSpecificID, g.Header.VendorSpecificID) {
		t.Errorf("VendorSpecificID %q, want %q", g.Header.VendorSpecificID, f.Header.VendorSpecificID)
	}
	if !reflect.DeepEqual(f.Mask, g.Mask) {
		t.Errorf("mask %+v, want %+v", g.Mask, f.Mask)
	}
	// Members named like the members Write creates are replaced by them.
	var want []Member
	for _, m := range f.Members {
		switch m.Name {
		case dataName, mainName, checksumName:
		default:
			if f.Mask == nil || f.Mask.PNG == nil || m.Name != maskLink(f.Mask) {
				want = append(want, m)
			}
		}
	}
	if len(want) != len(g.Members) || (len(want) > 0 && !reflect.DeepEqual(want, g.Members)) {
		t.Errorf("members %v, want %v", g.Members, want)
	}
}

// members returns main.xml and data.bin of an archive (nil when absent).
func members(b []byte) (xml, data []byte) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, nil
	}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			continue
		}
		c, _ := io.ReadAll(io.LimitReader(rc, 16<<20))
		rc.Close()
		switch filepath.Base(zf.Name) {
		case "main.xml":
			xml = c
		case "data.bin":
			data = c
		}
	}
	return xml, data
}
