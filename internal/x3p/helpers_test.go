package x3p

import (
	"archive/zip"
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
)

// spec describes a small synthetic X3P for tests. Zero fields take the
// defaults of newSpec; the fields named Raw* replace generated parts.
type spec struct {
	root        string // "prefixed", "bare" or "default-ns"
	feature     string
	sizeX       string // strings, so tests can put garbage in
	sizeY       string
	sizeZ       string
	zType       string
	zInc, zOff  string
	values      []float64 // stored values (raw units of zType), data order
	valid       []byte    // valid.bin content; nil for none
	record2     bool
	axesExtra   string            // XML inserted after CZ
	record3Tail string            // XML inserted at the end of Record3 (e.g. <Mask>)
	rootTail    string            // XML inserted at the end of the root
	link        string            // PointDataLink
	dataMD5     string            // "" = computed; "-" = omitted
	dir         string            // folder holding the X3P members inside the zip
	mainMD5     string            // "" = computed; "-" = no md5checksum.hex
	extra       map[string][]byte // other members (full names)
	dataBytes   []byte            // replaces the encoded data.bin
	xmlEdit     func(string) string
}

func newSpec(nx, ny int) spec {
	vals := make([]float64, nx*ny)
	for i := range vals {
		vals[i] = float64(i+1) * 1e-7
	}
	return spec{
		root: "prefixed", feature: "SUR", sizeX: fmt.Sprint(nx), sizeY: fmt.Sprint(ny), sizeZ: "1",
		zType: "D", zInc: "1", zOff: "0", values: vals, record2: true, link: "bindata/data.bin",
	}
}

func (s spec) encode() []byte {
	if s.dataBytes != nil {
		return s.dataBytes
	}
	var b bytes.Buffer
	for _, v := range s.values {
		switch s.zType {
		case "I":
			_ = binary.Write(&b, binary.LittleEndian, int16(v))
		case "L":
			_ = binary.Write(&b, binary.LittleEndian, int32(v))
		case "F":
			_ = binary.Write(&b, binary.LittleEndian, float32(v))
		default:
			_ = binary.Write(&b, binary.LittleEndian, v)
		}
	}
	return b.Bytes()
}

func (s spec) mainXML(data []byte) string {
	open, close := `<p:ISO5436_2 xmlns:p="http://www.opengps.eu/2008/ISO5436_2">`, `</p:ISO5436_2>`
	switch s.root {
	case "bare":
		open, close = "<ISO5436>", "</ISO5436>"
	case "default-ns":
		open, close = `<ISO5436_2 xmlns="http://www.opengps.eu/2008/ISO5436_2">`, `</ISO5436_2>`
	}
	sum := md5.Sum(data)
	md := hex.EncodeToString(sum[:])
	if s.dataMD5 == "-" {
		md = ""
	} else if s.dataMD5 != "" {
		md = s.dataMD5
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + open)
	fmt.Fprintf(&b, `<Record1><Revision>ISO5436 - 2000</Revision><FeatureType>%s</FeatureType><Axes>`, s.feature)
	b.WriteString(`<CX><AxisType>I</AxisType><DataType>D</DataType><Increment>1e-06</Increment><Offset>0</Offset></CX>`)
	b.WriteString(`<CY><AxisType>I</AxisType><DataType>D</DataType><Increment>2e-06</Increment><Offset>0</Offset></CY>`)
	fmt.Fprintf(&b, `<CZ><AxisType>A</AxisType><DataType>%s</DataType><Increment>%s</Increment><Offset>%s</Offset></CZ>`, s.zType, s.zInc, s.zOff)
	b.WriteString(s.axesExtra + `</Axes></Record1>`)
	if s.record2 {
		b.WriteString(`<Record2><Date>2020-01-02T03:04:05</Date><Creator>Test</Creator><Instrument><Manufacturer>Acme</Manufacturer><Model>M1</Model><Serial>42</Serial><Version>1.0</Version></Instrument><CalibrationDate>2019-12-31T00:00:00</CalibrationDate><ProbingSystem><Type>NonContacting</Type><Identification>20x</Identification></ProbingSystem><Comment>synthetic</Comment></Record2>`)
	}
	fmt.Fprintf(&b, `<Record3><MatrixDimension><SizeX>%s</SizeX><SizeY>%s</SizeY><SizeZ>%s</SizeZ></MatrixDimension>`, s.sizeX, s.sizeY, s.sizeZ)
	fmt.Fprintf(&b, `<DataLink><PointDataLink>%s</PointDataLink>`, s.link)
	if md != "" {
		fmt.Fprintf(&b, `<MD5ChecksumPointData>%s</MD5ChecksumPointData>`, md)
	}
	if s.valid != nil {
		vs := md5.Sum(s.valid)
		fmt.Fprintf(&b, `<ValidPointsLink>bindata/valid.bin</ValidPointsLink><MD5ChecksumValidPoints>%x</MD5ChecksumValidPoints>`, vs)
	}
	b.WriteString(`</DataLink>` + s.record3Tail + `</Record3><Record4><ChecksumFile>md5checksum.hex</ChecksumFile></Record4>` + s.rootTail + close)
	return b.String()
}

// build returns the zip bytes of s.
func (s spec) build(t testing.TB) []byte {
	t.Helper()
	data := s.encode()
	main := s.mainXML(data)
	if s.xmlEdit != nil {
		main = s.xmlEdit(main)
	}
	members := map[string][]byte{"bindata/data.bin": data, "main.xml": []byte(main)}
	sum := md5.Sum([]byte(main))
	switch s.mainMD5 {
	case "":
		members["md5checksum.hex"] = []byte(hex.EncodeToString(sum[:]) + " *main.xml\n")
	case "-":
	default:
		members["md5checksum.hex"] = []byte(s.mainMD5 + "\n")
	}
	if s.valid != nil {
		members["bindata/valid.bin"] = s.valid
	}
	full := map[string][]byte{}
	for n, b := range members {
		if s.dir != "" {
			n = s.dir + "/" + n
		}
		full[n] = b
	}
	for n, b := range s.extra {
		full[n] = b
	}
	return zipOf(t, full)
}

func zipOf(t testing.TB, members map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(members))
	for n := range members {
		names = append(names, n)
	}
	sort.Strings(names) // deterministic archives
	for _, n := range names {
		b := members[n]
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readBytes(b []byte, opt Options) (*File, error) {
	return Read(bytes.NewReader(b), int64(len(b)), opt)
}

func hasWarning(f *File, code string) bool {
	for _, w := range f.Warnings {
		if w.Code == code {
			return true
		}
	}
	return false
}

func isNaN(v float64) bool { return math.IsNaN(v) }

func md5hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// dupZip returns a copy of the archive b with its first member added twice.
func dupZip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range append([]*zip.File{zr.File[0]}, zr.File...) {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// setUncompressedSize patches the central-directory uncompressed size of
// the named member (a lying zip header).
func setUncompressedSize(t testing.TB, b []byte, name string, size uint32) []byte {
	t.Helper()
	b = append([]byte(nil), b...)
	sig := []byte{'P', 'K', 1, 2}
	for i := 0; ; {
		j := bytes.Index(b[i:], sig)
		if j < 0 {
			t.Fatalf("member %s not in the central directory", name)
		}
		h := b[i+j:]
		n := int(binary.LittleEndian.Uint16(h[28:]))
		if string(h[46:46+n]) == name {
			binary.LittleEndian.PutUint32(h[24:], size)
			return b
		}
		i += j + 4
	}
}
