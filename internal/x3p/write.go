package x3p

import (
	"archive/zip"
	"bufio"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/tracemark/tracemark/internal/surface"
)

// Member names written by Write (x3ptools layout: everything at the root).
const (
	mainName     = "main.xml"
	checksumName = "md5checksum.hex"
	dataName     = "bindata/data.bin"
	maskName     = "bindata/mask.png"
)

// New returns a File holding m with a default header: feature type SUR,
// incremental X and Y axes at m's spacing and origin, Z absolute float64,
// no Record2. Set Header fields (Record2, FeatureType PRF, Z.DataType F)
// before writing as needed. m is not copied.
func New(m *surface.Map) *File {
	return &File{
		Header: Header{
			Revision:    "ISO5436 - 2000",
			FeatureType: FeatureSurface,
			X:           Axis{AxisType: AxisIncremental, DataType: TypeFloat64, Increment: m.DX * 1e-6, Offset: m.X0 * 1e-6},
			Y:           Axis{AxisType: AxisIncremental, DataType: TypeFloat64, Increment: m.DY * 1e-6, Offset: m.Y0 * 1e-6},
			Z:           Axis{AxisType: AxisAbsolute, DataType: TypeFloat64, Increment: 1},
			SizeX:       m.NX, SizeY: m.NY, SizeZ: 1,
			ChecksumFile: checksumName,
		},
		Surface: m,
	}
}

// WriteFile writes f to the named file (created or truncated).
func WriteFile(name string, f *File) error {
	out, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("x3p: %w", err)
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	err = Write(bw, f)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("x3p: writing %s: %w", name, err)
	}
	return nil
}

// Write encodes f as an X3P archive.
//
// Geometry comes from f.Surface (or f.Points for a PCL file with a nil
// Surface): sizes, spacing and origin overwrite the header's Record1 and
// Record3 values, converted from µm to metres. Z is written as float64 (D)
// unless f.Header.Z.DataType is F (float32), with NaN for missing points,
// increment 1 and offset 0; valid.bin is never written. Record2, the mask
// (PNG bytes verbatim and the <Mask> block), extensions, VendorSpecificID
// and kept members are written back. The layout follows x3ptools: members
// at the zip root, bindata/data.bin little-endian with x fastest, the data
// MD5 in Record3 and the MD5 of main.xml in md5checksum.hex.
func Write(w io.Writer, f *File) error {
	if f == nil {
		return errors.New("x3p: Write of a nil File")
	}
	g, err := newGeometry(f)
	if err != nil {
		return err
	}
	if r := f.Header.Rotation; r != nil {
		for _, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("x3p: rotation %v is not finite", *r)
			}
		}
	}
	for _, e := range f.Header.Extensions {
		if err := checkFragment(e.XML); err != nil {
			return fmt.Errorf("x3p: extension under %q: %w", e.Parent, err)
		}
	}
	sum := md5.New()
	if err := g.encode(sum); err != nil {
		return err
	}
	dataMD5 := hex.EncodeToString(sum.Sum(nil))
	mainXML, err := buildMainXML(f, g, dataMD5)
	if err != nil {
		return err
	}
	mainSum := md5.Sum(mainXML)

	zw := zip.NewWriter(w)
	if _, err := zw.CreateHeader(&zip.FileHeader{Name: "bindata/", Method: zip.Store}); err != nil {
		return fmt.Errorf("x3p: %w", err)
	}
	dw, err := zw.Create(dataName)
	if err != nil {
		return fmt.Errorf("x3p: %w", err)
	}
	if err := g.encode(dw); err != nil {
		return err
	}
	written := map[string]bool{"bindata/": true, dataName: true, mainName: true, checksumName: true}
	if m := f.Mask; m != nil && m.PNG != nil {
		name := maskLink(m)
		if err := writeMember(zw, name, m.PNG, zip.Store); err != nil {
			return err
		}
		written[name] = true
	}
	if err := writeMember(zw, mainName, mainXML, zip.Deflate); err != nil {
		return err
	}
	md5Line := []byte(hex.EncodeToString(mainSum[:]) + " *" + mainName + "\n")
	if err := writeMember(zw, checksumName, md5Line, zip.Deflate); err != nil {
		return err
	}
	for _, m := range f.Members {
		name := path.Clean(m.Name)
		if written[name] || checkLocalName(name) != nil || isJunk(name) {
			continue
		}
		if err := writeMember(zw, name, m.Data, zip.Deflate); err != nil {
			return err
		}
		written[name] = true
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("x3p: %w", err)
	}
	return nil
}

func maskLink(m *Mask) string {
	if m.Link != "" && checkLocalName(m.Link) == nil {
		return path.Clean(strings.ReplaceAll(m.Link, `\`, "/"))
	}
	return maskName
}

func writeMember(zw *zip.Writer, name string, data []byte, method uint16) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
	if err != nil {
		return fmt.Errorf("x3p: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("x3p: writing %s: %w", name, err)
	}
	return nil
}

// geometry is what Write derives from the File's data.
type geometry struct {
	feature string
	nx, ny  int // matrix size; ny = 0 for a point list
	dx, dy  float64
	x0, y0  float64
	zType   string
	z       []float64 // µm, matrix order
	points  []Point   // PCL only
	list    bool
}

func newGeometry(f *File) (*geometry, error) {
	g := &geometry{zType: TypeFloat64, feature: f.Header.FeatureType}
	if f.Header.Z.DataType == TypeFloat32 {
		g.zType = TypeFloat32
	}
	if s := f.Surface; s != nil {
		if s.NX < 1 || s.NY < 1 || len(s.Z) != s.NX*s.NY {
			return nil, fmt.Errorf("x3p: surface of %d×%d points with %d heights", s.NX, s.NY, len(s.Z))
		}
		for _, v := range []float64{s.DX, s.DY} {
			if !(v > 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("x3p: surface spacing %g×%g µm, must be positive", s.DX, s.DY)
			}
		}
		if math.IsNaN(s.X0) || math.IsInf(s.X0, 0) || math.IsNaN(s.Y0) || math.IsInf(s.Y0, 0) {
			return nil, fmt.Errorf("x3p: surface origin %g, %g µm is not finite", s.X0, s.Y0)
		}
		g.nx, g.ny, g.dx, g.dy, g.x0, g.y0, g.z = s.NX, s.NY, s.DX, s.DY, s.X0, s.Y0, s.Z
		if g.feature != FeatureProfile || (s.NX != 1 && s.NY != 1) {
			g.feature = FeatureSurface
		}
		return g, nil
	}
	if f.Points == nil {
		return nil, errors.New("x3p: Write of a File with neither Surface nor Points")
	}
	if len(f.Points) == 0 {
		return nil, errors.New("x3p: Write of an empty point cloud")
	}
	g.feature, g.list, g.points = FeaturePointCloud, true, f.Points
	return g, nil
}

// encode writes data.bin: little-endian, one record per point (x, y, z for
// a point list; z only for a matrix), metres.
func (g *geometry) encode(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf [8]byte
	put := func(v float64) error {
		if g.zType == TypeFloat32 {
			binary.LittleEndian.PutUint32(buf[:4], math.Float32bits(metres32(v)))
			_, err := bw.Write(buf[:4])
			return err
		}
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(metres64(v)))
		_, err := bw.Write(buf[:])
		return err
	}
	if g.list {
		for _, p := range g.points {
			for _, v := range []float64{p.X, p.Y, p.Z} {
				if err := put(v); err != nil {
					return fmt.Errorf("x3p: writing data: %w", err)
				}
			}
		}
	} else {
		for _, v := range g.z {
			if err := put(v); err != nil {
				return fmt.Errorf("x3p: writing data: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("x3p: writing data: %w", err)
	}
	return nil
}

// metres64 converts µm to metres so that reading the value back (×1e6)
// gives v exactly whenever v came from a read: multiplication by 1e6 is
// not invertible by division alone, so the neighbours of v/1e6 are tried.
func metres64(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	m := v / 1e6
	if m*1e6 == v {
		return m
	}
	up, down := m, m
	for range 3 {
		up, down = math.Nextafter(up, math.Inf(1)), math.Nextafter(down, math.Inf(-1))
		if up*1e6 == v {
			return up
		}
		if down*1e6 == v {
			return down
		}
	}
	return m
}

// metres32 is metres64 for float32 storage.
func metres32(v float64) float32 {
	if math.IsNaN(v) {
		return float32(v) // the conversion keeps the NaN payload
	}
	m := float32(v / 1e6)
	if float64(m)*1e6 == v {
		return m
	}
	up, down := m, m
	for range 2 {
		up, down = math.Nextafter32(up, float32(math.Inf(1))), math.Nextafter32(down, float32(math.Inf(-1)))
		if float64(up)*1e6 == v {
			return up
		}
		if float64(down)*1e6 == v {
			return down
		}
	}
	return m
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// xmlWriter builds main.xml with two-space indentation.
type xmlWriter struct {
	b      strings.Builder
	depth  int
	ext    map[string][]string // extension XML by parent path
	placed map[string]bool     // parents written so far
}

func (x *xmlWriter) indent() { x.b.WriteString("\n" + strings.Repeat("  ", x.depth)) }

func (x *xmlWriter) open(name string) {
	x.indent()
	x.b.WriteString("<" + name + ">")
	x.depth++
}

// close writes the extensions kept for parent, then the end tag.
func (x *xmlWriter) close(name, parent string) {
	x.placed[parent] = true
	for _, e := range x.ext[parent] {
		x.indent()
		x.b.WriteString(e)
	}
	x.depth--
	x.indent()
	x.b.WriteString("</" + name + ">")
}

func (x *xmlWriter) leaf(name, value string) {
	x.indent()
	if value == "" {
		x.b.WriteString("<" + name + "/>")
		return
	}
	x.b.WriteString("<" + name + ">" + escapeText(value) + "</" + name + ">")
}

// buildMainXML returns main.xml, or an error when an extension's parent
// element is not written (its content would be lost silently).
func buildMainXML(f *File, g *geometry, dataMD5 string) ([]byte, error) {
	h := &f.Header
	x := &xmlWriter{ext: map[string][]string{}, placed: map[string]bool{}}
	for _, e := range h.Extensions {
		x.ext[e.Parent] = append(x.ext[e.Parent], e.XML)
	}
	x.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.b.WriteString(`<p:ISO5436_2 xmlns:p="` + Namespace + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="` + Namespace + ` ` + Namespace + `/ISO5436_2.xsd">`)
	x.depth++

	x.open("Record1")
	rev := h.Revision
	if rev == "" {
		rev = "ISO5436 - 2000"
	}
	x.leaf("Revision", rev)
	x.leaf("FeatureType", g.feature)
	x.open("Axes")
	if g.list {
		for _, name := range []string{"CX", "CY"} {
			x.open(name)
			x.leaf("AxisType", AxisAbsolute)
			x.leaf("DataType", g.zType)
			x.leaf("Increment", "1")
			x.leaf("Offset", "0")
			x.close(name, "Record1/Axes/"+name)
		}
	} else {
		for _, a := range []struct {
			name      string
			inc, off0 float64
		}{{"CX", g.dx, g.x0}, {"CY", g.dy, g.y0}} {
			x.open(a.name)
			x.leaf("AxisType", AxisIncremental)
			x.leaf("DataType", TypeFloat64)
			x.leaf("Increment", fmtFloat(metres64(a.inc)))
			x.leaf("Offset", fmtFloat(metres64(a.off0)))
			x.close(a.name, "Record1/Axes/"+a.name)
		}
	}
	x.open("CZ")
	x.leaf("AxisType", AxisAbsolute)
	x.leaf("DataType", g.zType)
	x.leaf("Increment", "1")
	x.leaf("Offset", "0")
	x.close("CZ", "Record1/Axes/CZ")
	if r := h.Rotation; r != nil {
		x.open("Rotation")
		for i, v := range r {
			x.leaf("r"+strconv.Itoa(i/3+1)+strconv.Itoa(i%3+1), fmtFloat(v))
		}
		x.close("Rotation", "Record1/Axes/Rotation")
	}
	x.close("Axes", "Record1/Axes")
	x.close("Record1", "Record1")

	if r2 := h.Record2; r2 != nil {
		x.open("Record2")
		x.leaf("Date", r2.Date)
		if r2.Creator != "" {
			x.leaf("Creator", r2.Creator)
		}
		x.open("Instrument")
		x.leaf("Manufacturer", r2.Instrument.Manufacturer)
		x.leaf("Model", r2.Instrument.Model)
		x.leaf("Serial", r2.Instrument.Serial)
		x.leaf("Version", r2.Instrument.Version)
		x.close("Instrument", "Record2/Instrument")
		x.leaf("CalibrationDate", r2.CalibrationDate)
		x.open("ProbingSystem")
		x.leaf("Type", r2.ProbingSystem.Type)
		x.leaf("Identification", r2.ProbingSystem.Identification)
		x.close("ProbingSystem", "Record2/ProbingSystem")
		if r2.Comment != "" {
			x.leaf("Comment", r2.Comment)
		}
		x.close("Record2", "Record2")
	}

	x.open("Record3")
	if g.list {
		x.leaf("ListDimension", strconv.Itoa(len(g.points)))
	} else {
		x.open("MatrixDimension")
		x.leaf("SizeX", strconv.Itoa(g.nx))
		x.leaf("SizeY", strconv.Itoa(g.ny))
		x.leaf("SizeZ", "1")
		x.close("MatrixDimension", "Record3/MatrixDimension")
	}
	x.open("DataLink")
	x.leaf("PointDataLink", dataName)
	x.leaf("MD5ChecksumPointData", dataMD5)
	x.close("DataLink", "Record3/DataLink")
	if m := f.Mask; m != nil && m.HasBlock {
		x.open("Mask")
		bg := m.Background
		if bg == "" {
			bg = DefaultMaskBackground
		}
		x.leaf("Background", bg)
		if len(m.Annotations) == 0 && len(x.ext["Record3/Mask/Annotations"]) == 0 {
			x.leaf("Annotations", "")
		} else {
			x.open("Annotations")
			for _, a := range m.Annotations {
				x.indent()
				x.b.WriteString(`<Annotation color="` + escapeAttr(a.Color) + `"`)
				if a.Label == "" {
					x.b.WriteString("/>")
				} else {
					x.b.WriteString(">" + escapeText(a.Label) + "</Annotation>")
				}
			}
			x.close("Annotations", "Record3/Mask/Annotations")
		}
		if m.Version != "" {
			x.leaf("Version", m.Version)
		}
		x.close("Mask", "Record3/Mask")
	}
	x.close("Record3", "Record3")

	x.open("Record4")
	x.leaf("ChecksumFile", checksumName)
	x.close("Record4", "Record4")
	for _, v := range h.VendorSpecificID {
		x.leaf("VendorSpecificID", v)
	}
	x.close("p:ISO5436_2", "")
	x.b.WriteString("\n")
	for _, e := range h.Extensions {
		if !x.placed[e.Parent] {
			return nil, fmt.Errorf("x3p: extension %.40q belongs under %q, which this file does not contain", e.XML, e.Parent)
		}
	}
	return []byte(x.b.String()), nil
}

// checkFragment verifies that s is one well-formed XML element, so that an
// extension cannot break or inject structure into main.xml.
func checkFragment(s string) error {
	_, err := parseXML([]byte(s), xmlLimits{maxDepth: maxXMLDepth, maxElems: maxXMLElems, fragment: true})
	return err
}
