package x3p

import (
	"math"
	"strconv"
	"strings"
)

// Namespace is the XML namespace of the ISO 5436-2 root element.
const Namespace = "http://www.opengps.eu/2008/ISO5436_2"

// Feature types (Record1/FeatureType).
const (
	FeatureSurface    = "SUR" // areal surface, SizeX×SizeY matrix
	FeatureProfile    = "PRF" // profile, N×1 (or 1×N) matrix
	FeaturePointCloud = "PCL" // unordered point list
)

// Axis types and data types (Record1/Axes/C?/AxisType, DataType).
const (
	AxisIncremental = "I"
	AxisAbsolute    = "A"

	TypeInt16   = "I"
	TypeInt32   = "L"
	TypeFloat32 = "F"
	TypeFloat64 = "D"
)

// Axis describes one axis of Record1, in the file's units (metres).
type Axis struct {
	AxisType  string  `json:"axis_type"`           // "I" incremental or "A" absolute
	DataType  string  `json:"data_type,omitempty"` // "I", "L", "F", "D"; may be empty for incremental axes
	Increment float64 `json:"increment"`           // metres per index (incremental) or per integer unit; 1 when absent
	Offset    float64 `json:"offset"`              // metres; 0 when absent or empty
}

// typeSize returns the size in bytes of a value of data type t, or 0.
func typeSize(t string) int {
	switch t {
	case TypeInt16:
		return 2
	case TypeInt32, TypeFloat32:
		return 4
	case TypeFloat64:
		return 8
	}
	return 0
}

// Record2 is the optional metadata record. Dates are kept verbatim
// (xsd:dateTime as written by the instrument).
type Record2 struct {
	Date            string        `json:"date,omitempty"`
	Creator         string        `json:"creator,omitempty"`
	Instrument      Instrument    `json:"instrument"`
	CalibrationDate string        `json:"calibration_date,omitempty"`
	ProbingSystem   ProbingSystem `json:"probing_system"`
	Comment         string        `json:"comment,omitempty"`
}

// Instrument identifies the measuring instrument.
type Instrument struct {
	Manufacturer string `json:"manufacturer,omitempty"`
	Model        string `json:"model,omitempty"`
	Serial       string `json:"serial,omitempty"`
	Version      string `json:"version,omitempty"`
}

// ProbingSystem describes the probe: Type is Contacting, NonContacting or Software.
type ProbingSystem struct {
	Type           string `json:"type,omitempty"`
	Identification string `json:"identification,omitempty"`
}

// Extension is an element this package does not interpret (vendor-specific
// or non-standard, e.g. <Origin>NW</Origin>), kept as XML for round trip.
// Parent is the slash-separated path of the enclosing element below the root
// ("" for the root, "Record1/Axes", "Record2", ...). Write inserts XML at the
// end of that parent.
type Extension struct {
	Parent string `json:"parent"`
	XML    string `json:"xml"`
}

// Header is the content of main.xml.
type Header struct {
	// Record1
	Revision    string      `json:"revision"`
	FeatureType string      `json:"feature_type"`
	X           Axis        `json:"x"`
	Y           Axis        `json:"y"`
	Z           Axis        `json:"z"`
	Rotation    *[9]float64 `json:"rotation,omitempty"` // r11..r33, nil when absent

	// Record2, nil when the file has none.
	Record2 *Record2 `json:"record2,omitempty"`

	// Record3. Matrix files set SizeX/SizeY/SizeZ; list files set ListSize.
	SizeX           int    `json:"size_x,omitempty"`
	SizeY           int    `json:"size_y,omitempty"`
	SizeZ           int    `json:"size_z,omitempty"`
	ListSize        int    `json:"list_size,omitempty"`
	PointDataLink   string `json:"point_data_link,omitempty"`   // e.g. bindata/data.bin; "" for inline DataList
	PointDataMD5    string `json:"point_data_md5,omitempty"`    // as written in the file
	ValidPointsLink string `json:"valid_points_link,omitempty"` // e.g. bindata/valid.bin
	ValidPointsMD5  string `json:"valid_points_md5,omitempty"`

	// Record4
	ChecksumFile string `json:"checksum_file,omitempty"` // normally md5checksum.hex

	// VendorSpecificID URIs declared at the root.
	VendorSpecificID []string `json:"vendor_specific_id,omitempty"`
	// Extensions holds every element not interpreted above.
	Extensions []Extension `json:"extensions,omitempty"`

	rootPrefixed bool // root element was namespaced (kept for information only)
}

// IsMatrix reports whether the data are a matrix (SUR, PRF) rather than a list.
func (h *Header) IsMatrix() bool { return h.ListSize == 0 }

// known lists the elements interpreted by parseHeader, by parent path; any
// other element becomes an Extension.
var known = map[string][]string{
	"":                         {"Record1", "Record2", "Record3", "Record4", "VendorSpecificID"},
	"Record1":                  {"Revision", "FeatureType", "Axes"},
	"Record1/Axes":             {"CX", "CY", "CZ", "Rotation"},
	"Record1/Axes/CX":          axisElems,
	"Record1/Axes/CY":          axisElems,
	"Record1/Axes/CZ":          axisElems,
	"Record1/Axes/Rotation":    {"r11", "r12", "r13", "r21", "r22", "r23", "r31", "r32", "r33"},
	"Record2":                  {"Date", "Creator", "Instrument", "CalibrationDate", "ProbingSystem", "Comment"},
	"Record2/Instrument":       {"Manufacturer", "Model", "Serial", "Version"},
	"Record2/ProbingSystem":    {"Type", "Identification"},
	"Record3/MatrixDimension":  {"SizeX", "SizeY", "SizeZ"},
	"Record3":                  {"MatrixDimension", "ListDimension", "DataLink", "DataList", "Mask"},
	"Record3/DataLink":         {"PointDataLink", "MD5ChecksumPointData", "ValidPointsLink", "MD5ChecksumValidPoints"},
	"Record3/Mask":             {"Background", "Annotations", "Version"},
	"Record3/Mask/Annotations": {"Annotation"},
	"Record4":                  {"ChecksumFile"},
}

var axisElems = []string{"AxisType", "DataType", "Increment", "Offset"}

func isKnown(parent, local string) bool {
	for _, k := range known[parent] {
		if k == local {
			return true
		}
	}
	return false
}

// collectExtensions records the unknown children of n (at path parent) and
// recurses into known records whose children are themselves checked.
func collectExtensions(h *Header, n *node, parent, rootSpace string) {
	for _, c := range n.children {
		local := c.name.Local
		if !isKnown(parent, local) {
			var b strings.Builder
			// Elements in the root's namespace (a default xmlns on the
			// root) are written unqualified like the standard elements.
			parentSpace := ""
			if c.name.Space == rootSpace {
				parentSpace = rootSpace
			}
			writeNode(&b, c, parentSpace)
			h.Extensions = append(h.Extensions, Extension{Parent: parent, XML: b.String()})
			continue
		}
		p := local
		if parent != "" {
			p = parent + "/" + local
		}
		if _, ok := known[p]; ok {
			collectExtensions(h, c, p, rootSpace)
		}
	}
}

// parseHeader interprets the main.xml tree. Mask is returned separately
// because its content lives partly in the zip.
func parseHeader(root *node) (*Header, *node, error) {
	if l := root.name.Local; l != "ISO5436_2" && l != "ISO5436" {
		return nil, nil, formatErr("main.xml", "root element is <%s>, want <ISO5436_2>", l)
	}
	h := &Header{rootPrefixed: root.name.Space != ""}
	r1 := root.child("Record1")
	if r1 == nil {
		return nil, nil, formatErr("Record1", "missing")
	}
	h.Revision = r1.child("Revision").value()
	h.FeatureType = strings.ToUpper(r1.child("FeatureType").value())
	switch h.FeatureType {
	case FeatureSurface, FeatureProfile, FeaturePointCloud:
	case "":
		return nil, nil, formatErr("Record1/FeatureType", "missing")
	default:
		return nil, nil, unsupportedAsFormat("Record1/FeatureType", h.FeatureType)
	}
	axes := r1.child("Axes")
	if axes == nil {
		return nil, nil, formatErr("Record1/Axes", "missing")
	}
	for _, a := range []struct {
		name string
		dst  *Axis
	}{{"CX", &h.X}, {"CY", &h.Y}, {"CZ", &h.Z}} {
		ax, err := parseAxis(axes.child(a.name), "Record1/Axes/"+a.name)
		if err != nil {
			return nil, nil, err
		}
		*a.dst = ax
	}
	if rot := axes.child("Rotation"); rot != nil {
		var r [9]float64
		for i := range 9 {
			el := "r" + strconv.Itoa(i/3+1) + strconv.Itoa(i%3+1)
			v, err := parseFloat(rot.child(el).value(), "Record1/Axes/Rotation/"+el)
			if err != nil {
				return nil, nil, err
			}
			r[i] = v
		}
		h.Rotation = &r
	}

	if r2 := root.child("Record2"); r2 != nil {
		h.Record2 = &Record2{
			Date:            r2.child("Date").value(),
			Creator:         r2.child("Creator").value(),
			CalibrationDate: r2.child("CalibrationDate").value(),
			Comment:         r2.child("Comment").value(),
			Instrument: Instrument{
				Manufacturer: r2.path("Instrument", "Manufacturer").value(),
				Model:        r2.path("Instrument", "Model").value(),
				Serial:       r2.path("Instrument", "Serial").value(),
				Version:      r2.path("Instrument", "Version").value(),
			},
			ProbingSystem: ProbingSystem{
				Type:           r2.path("ProbingSystem", "Type").value(),
				Identification: r2.path("ProbingSystem", "Identification").value(),
			},
		}
	}

	r3 := root.child("Record3")
	if r3 == nil {
		return nil, nil, formatErr("Record3", "missing")
	}
	if md := r3.child("MatrixDimension"); md != nil {
		var err error
		if h.SizeX, err = parseSize(md.child("SizeX"), "Record3/MatrixDimension/SizeX"); err != nil {
			return nil, nil, err
		}
		if h.SizeY, err = parseSize(md.child("SizeY"), "Record3/MatrixDimension/SizeY"); err != nil {
			return nil, nil, err
		}
		if md.child("SizeZ") == nil {
			h.SizeZ = 1 // tolerated: some writers omit SizeZ for a single layer
		} else if h.SizeZ, err = parseSize(md.child("SizeZ"), "Record3/MatrixDimension/SizeZ"); err != nil {
			return nil, nil, err
		}
	} else if ld := r3.child("ListDimension"); ld != nil {
		var err error
		if h.ListSize, err = parseSize(ld, "Record3/ListDimension"); err != nil {
			return nil, nil, err
		}
	} else {
		return nil, nil, formatErr("Record3", "neither MatrixDimension nor ListDimension")
	}
	if h.FeatureType == FeaturePointCloud && h.IsMatrix() {
		return nil, nil, formatErr("Record3", "feature type PCL needs ListDimension, got MatrixDimension")
	}
	if h.FeatureType != FeaturePointCloud && !h.IsMatrix() {
		return nil, nil, formatErr("Record3", "feature type %s needs MatrixDimension, got ListDimension", h.FeatureType)
	}
	if h.FeatureType == FeatureProfile && h.SizeX != 1 && h.SizeY != 1 {
		return nil, nil, formatErr("Record3/MatrixDimension", "profile (PRF) of %d×%d points: one size must be 1", h.SizeX, h.SizeY)
	}
	if dl := r3.child("DataLink"); dl != nil {
		h.PointDataLink = dl.child("PointDataLink").value()
		h.PointDataMD5 = dl.child("MD5ChecksumPointData").value()
		h.ValidPointsLink = dl.child("ValidPointsLink").value()
		h.ValidPointsMD5 = dl.child("MD5ChecksumValidPoints").value()
		if h.PointDataLink == "" {
			return nil, nil, formatErr("Record3/DataLink/PointDataLink", "missing or empty")
		}
	} else if r3.child("DataList") == nil {
		return nil, nil, formatErr("Record3", "neither DataLink nor DataList")
	}
	h.ChecksumFile = root.path("Record4", "ChecksumFile").value()
	for _, c := range root.children {
		if c.name.Local == "VendorSpecificID" {
			h.VendorSpecificID = append(h.VendorSpecificID, c.value())
		}
	}
	collectExtensions(h, root, "", root.name.Space)
	return h, r3, nil
}

func unsupportedAsFormat(part, v string) error {
	return formatErr(part, "unknown value %q (want SUR, PRF or PCL)", v)
}

func parseAxis(n *node, part string) (Axis, error) {
	if n == nil {
		return Axis{}, formatErr(part, "missing")
	}
	a := Axis{
		AxisType:  strings.ToUpper(n.child("AxisType").value()),
		DataType:  strings.ToUpper(n.child("DataType").value()),
		Increment: 1,
	}
	switch a.AxisType {
	case AxisIncremental, AxisAbsolute:
	default:
		return Axis{}, formatErr(part+"/AxisType", "%q, want I or A", a.AxisType)
	}
	if a.DataType != "" && typeSize(a.DataType) == 0 {
		return Axis{}, formatErr(part+"/DataType", "%q, want I, L, F or D", a.DataType)
	}
	if a.AxisType == AxisAbsolute && a.DataType == "" {
		return Axis{}, formatErr(part+"/DataType", "missing for an absolute axis")
	}
	// An empty <Offset/> or <Increment/> occurs in real files; read as absent.
	if s := n.child("Increment").value(); s != "" {
		v, err := parseFloat(s, part+"/Increment")
		if err != nil {
			return Axis{}, err
		}
		if v == 0 {
			return Axis{}, formatErr(part+"/Increment", "zero")
		}
		a.Increment = v
	}
	if s := n.child("Offset").value(); s != "" {
		v, err := parseFloat(s, part+"/Offset")
		if err != nil {
			return Axis{}, err
		}
		a.Offset = v
	}
	return a, nil
}

func parseFloat(s, part string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, formatErr(part, "%q is not a finite number", s)
	}
	return v, nil
}

// maxSize bounds one matrix dimension; the product is checked against
// Options.MaxPoints separately.
const maxSize = 1 << 31

func parseSize(n *node, part string) (int, error) {
	if n == nil {
		return 0, formatErr(part, "missing")
	}
	s := n.value()
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, formatErr(part, "%q is not an integer", s)
	}
	if v < 1 {
		return 0, formatErr(part, "%d, must be at least 1", v)
	}
	if v >= maxSize {
		return 0, formatErr(part, "%d is too large", v)
	}
	return int(v), nil
}
