package x3p

import (
	"archive/zip"
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/tracemark/tracemark/internal/surface"
)

// Options bounds what Read accepts. Zero fields take the defaults below.
type Options struct {
	// MaxPoints is the largest number of points (SizeX×SizeY×SizeZ or
	// ListDimension) accepted. Default 200 million.
	MaxPoints int64
	// MaxUncompressed is the largest size in bytes of one zip member after
	// decompression (data.bin, valid.bin, mask.png, kept extra members).
	// Default 4 GiB.
	MaxUncompressed int64
	// MaxXMLBytes is the largest main.xml accepted. Default 64 MiB (enough
	// for an inline DataList of about two million points).
	MaxXMLBytes int64
}

// Default limits.
const (
	DefaultMaxPoints       = 200_000_000
	DefaultMaxUncompressed = 4 << 30
	DefaultMaxXMLBytes     = 64 << 20

	maxXMLDepth = 64
	// maxXMLElems bounds the structural elements of main.xml (a standard
	// header has about 60; inline Datum values are counted separately).
	maxXMLElems = 100_000
	// maxDeflateRatio is above the largest ratio deflate can reach (1032:1);
	// a member claiming more is lying about its size.
	maxDeflateRatio = 1100
	// maxKeptBytes bounds the unknown members kept for round trip.
	maxKeptBytes = 64 << 20
)

func (o Options) withDefaults() Options {
	if o.MaxPoints <= 0 {
		o.MaxPoints = DefaultMaxPoints
	}
	if o.MaxUncompressed <= 0 {
		o.MaxUncompressed = DefaultMaxUncompressed
	}
	if o.MaxXMLBytes <= 0 {
		o.MaxXMLBytes = DefaultMaxXMLBytes
	}
	return o
}

// Status is the outcome of one checksum check.
type Status string

// Checksum outcomes.
const (
	StatusOK       Status = "ok"
	StatusMismatch Status = "mismatch"
	StatusAbsent   Status = "absent" // no checksum to compare against
)

// Checksums reports the MD5 checks made while reading.
type Checksums struct {
	Data  Status `json:"data"`            // data.bin vs Record3 MD5ChecksumPointData
	Valid Status `json:"valid,omitempty"` // valid.bin vs MD5ChecksumValidPoints ("" when no valid.bin)
	Main  Status `json:"main"`            // main.xml vs md5checksum.hex
	// DataMD5 and MainMD5 are the MD5 sums computed from the file (lower-case hex).
	DataMD5 string `json:"data_md5,omitempty"`
	MainMD5 string `json:"main_md5"`
}

// Point is one point of a point cloud (or of a matrix with absolute lateral
// axes), in µm. Z is NaN for an invalid point.
type Point struct{ X, Y, Z float64 }

// Member is a zip member kept verbatim for round trip (for example a vendor
// file or a Cadre mask.bin). Name is relative to the folder of main.xml.
type Member struct {
	Name string
	Data []byte
}

// File is a decoded X3P file.
type File struct {
	Header Header
	// Surface holds the heights in µm for SUR and PRF files (a profile is a
	// one-row or one-column map); nil for PCL point clouds, whose points are
	// in Points. Row 0 is the first row stored in the file.
	Surface *surface.Map
	// Points holds every point with its coordinates in µm when the lateral
	// axes are absolute (PCL, or a matrix with an absolute X or Y axis).
	Points []Point
	// Mask is the CSAFE mask (Record3/Mask block and mask.png), nil if none.
	Mask *Mask
	// Warnings lists defects that do not stop the heights from being used.
	Warnings []Warning
	// Checksums reports the MD5 checks made by Read (zero for a File built by New).
	Checksums Checksums
	// Members are other zip members (not main.xml, checksums, data, valid
	// bits, mask.png or OS junk), written back verbatim.
	Members []Member
}

func (f *File) warn(code, format string, args ...any) {
	f.Warnings = append(f.Warnings, Warning{Code: code, Message: fmt.Sprintf(format, args...)})
}

// ReadFile reads the X3P file at path with default Options. Errors name the file.
func ReadFile(name string) (*File, error) {
	fh, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("x3p: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("x3p: %w", err)
	}
	f, err := Read(fh, st.Size(), Options{})
	if err != nil {
		return nil, withFile(err, name)
	}
	return f, nil
}

// withFile sets the file name on the package's error types.
func withFile(err error, name string) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		c := *fe
		c.File = name
		return &c
	}
	var ue *UnsupportedError
	if errors.As(err, &ue) {
		c := *ue
		c.File = name
		return &c
	}
	return fmt.Errorf("x3p: %s: %w", name, err)
}

// Read decodes an X3P archive of the given size. Every declared size is
// checked against the limits in opt and against the sizes recorded in the
// zip before anything is allocated; data.bin is inflated once, streaming.
func Read(r io.ReaderAt, size int64, opt Options) (*File, error) {
	opt = opt.withDefaults()
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, &FormatError{Part: "zip", Msg: "not a readable zip archive (truncated, or not an X3P)", Err: err}
	}
	a, err := newArchive(zr, size)
	if err != nil {
		return nil, err
	}
	mainXML, err := a.readAll(a.main, opt.MaxXMLBytes)
	if err != nil {
		return nil, err
	}
	root, err := parseXML(mainXML, xmlLimits{maxDepth: maxXMLDepth, maxElems: maxXMLElems, maxDatums: int(min(opt.MaxPoints, math.MaxInt32))})
	if err != nil {
		return nil, &FormatError{Part: "main.xml", Msg: "malformed XML", Err: err}
	}
	h, r3, err := parseHeader(root)
	if err != nil {
		return nil, err
	}
	f := &File{Header: *h}
	if err := checkHeader(f, opt); err != nil {
		return nil, err
	}
	if h.PointDataLink != "" {
		err = a.readBinary(f, opt)
	} else {
		err = readDataList(f, r3.child("DataList"))
	}
	if err != nil {
		return nil, err
	}
	if err := a.readMask(f, r3.child("Mask"), opt); err != nil {
		return nil, err
	}
	a.checkMainMD5(f, mainXML)
	if err := a.keepMembers(f); err != nil {
		return nil, err
	}
	return f, nil
}

// checkHeader validates the combination of Record1 and Record3 and the
// limits, before any data are read.
func checkHeader(f *File, opt Options) error {
	h := &f.Header
	if h.Z.AxisType != AxisAbsolute {
		return formatErr("Record1/Axes/CZ/AxisType", "%q: the Z axis must be absolute", h.Z.AxisType)
	}
	if h.Z.DataType == "" {
		return formatErr("Record1/Axes/CZ/DataType", "missing")
	}
	n, err := h.pointCount()
	if err != nil {
		return err
	}
	if n > opt.MaxPoints {
		return unsupported("Record3", "%d points declared, more than the limit of %d", n, opt.MaxPoints)
	}
	for _, ax := range []struct {
		name string
		a    Axis
	}{{"CX", h.X}, {"CY", h.Y}, {"CZ", h.Z}} {
		part := "Record1/Axes/" + ax.name
		if h.IsMatrix() && ax.a.AxisType == AxisIncremental && !(ax.a.Increment > 0) {
			return formatErr(part+"/Increment", "%g: must be positive", ax.a.Increment)
		}
		// Lengths are converted to µm; refuse values that overflow.
		if math.IsInf(ax.a.Increment*1e6, 0) {
			return formatErr(part+"/Increment", "%g m is out of range", ax.a.Increment)
		}
		if math.IsInf(ax.a.Offset*1e6, 0) {
			return formatErr(part+"/Offset", "%g m is out of range", ax.a.Offset)
		}
	}
	if (h.Z.DataType == TypeFloat32 || h.Z.DataType == TypeFloat64) && (h.Z.Increment != 1 || h.Z.Offset != 0) {
		f.warn(WarnZScaled, "float Z data scaled as Offset + Increment × value with CZ offset %g m and increment %g (x3ptools ignores both for float data)", h.Z.Offset, h.Z.Increment)
	}
	if h.SizeZ > 1 {
		f.warn(WarnLayers, "SizeZ is %d: only layer 1 of %d was read", h.SizeZ, h.SizeZ)
	}
	if r := h.Rotation; r != nil && *r != [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1} {
		f.warn(WarnRotation, "Record1/Axes/Rotation is not the identity; heights are given in the unrotated frame")
	}
	return nil
}

// pointCount is the number of stored points (all layers).
func (h *Header) pointCount() (int64, error) {
	if !h.IsMatrix() {
		return int64(h.ListSize), nil
	}
	n := int64(h.SizeX)
	for _, s := range []int{h.SizeY, h.SizeZ} {
		if n > math.MaxInt64/int64(s) {
			return 0, formatErr("Record3/MatrixDimension", "%d×%d×%d points overflow", h.SizeX, h.SizeY, h.SizeZ)
		}
		n *= int64(s)
	}
	return n, nil
}

// absoluteAxes lists the axes stored per point, in storage order (X, Y, Z).
func (h *Header) absoluteAxes() []Axis {
	var axes []Axis
	if h.X.AxisType == AxisAbsolute {
		axes = append(axes, h.X)
	}
	if h.Y.AxisType == AxisAbsolute {
		axes = append(axes, h.Y)
	}
	return append(axes, h.Z)
}

// hasAbsoluteLateral reports whether X or Y coordinates are stored per point.
func (h *Header) hasAbsoluteLateral() bool {
	return h.X.AxisType == AxisAbsolute || h.Y.AxisType == AxisAbsolute
}

// toMicrons converts a raw value of axis a to µm with the ISO 5436-2
// formula, real = Offset + Increment × value (metres), for every data type.
// The common case (increment 1, offset 0) multiplies only, so that -0 and
// NaN payloads survive.
func (a Axis) toMicrons(raw float64) float64 {
	if a.Increment == 1 && a.Offset == 0 {
		return raw * 1e6
	}
	return (a.Offset + a.Increment*raw) * 1e6
}

// decoder turns per-point records into the File.
type decoder struct {
	f         *File
	axes      []Axis
	stride    int   // point records per layer stored in Surface/Points
	n         int64 // points decoded so far
	nonFinite int   // infinite heights turned into missing points
}

// finish reports what put had to tolerate.
func (d *decoder) finish() {
	if d.nonFinite > 0 {
		d.f.warn(WarnNonFinite, "%d infinite heights read as missing points", d.nonFinite)
	}
}

func newDecoder(f *File) (*decoder, error) {
	h := &f.Header
	d := &decoder{f: f, axes: h.absoluteAxes()}
	if h.IsMatrix() {
		nx, ny := h.SizeX, h.SizeY
		dx, dy := h.X.Increment*1e6, h.Y.Increment*1e6
		if h.X.AxisType == AxisAbsolute || !(dx > 0) {
			dx = math.Abs(dx)
		}
		if h.Y.AxisType == AxisAbsolute || !(dy > 0) {
			dy = math.Abs(dy)
		}
		if !(dx > 0) {
			dx = 1
		}
		if !(dy > 0) {
			dy = 1
		}
		f.Surface = surface.New(nx, ny, dx, dy)
		f.Surface.X0 = h.X.Offset * 1e6
		f.Surface.Y0 = h.Y.Offset * 1e6
		d.stride = nx * ny
		if h.hasAbsoluteLateral() {
			f.Points = make([]Point, d.stride)
			f.warn(WarnAbsoluteAxis, "absolute lateral axis: the surface grid uses index × increment; exact coordinates are in Points")
		}
	} else {
		d.stride = h.ListSize
		f.Points = make([]Point, d.stride)
	}
	return d, nil
}

// put stores the raw values of one point (one per absolute axis, Z last);
// valid=false marks a missing point. Points beyond layer 1 are dropped.
func (d *decoder) put(raw []float64, valid bool) {
	i := d.n
	d.n++
	if i >= int64(d.stride) {
		return
	}
	z := math.NaN()
	if rz := raw[len(raw)-1]; valid {
		z = d.axes[len(d.axes)-1].toMicrons(rz)
		if math.IsInf(z, 0) {
			// An infinite height cannot be measured; treat it as missing
			// so that no downstream computation sees it.
			z = math.NaN()
			d.nonFinite++
		}
	} else if math.IsNaN(rz) {
		// Keep the stored NaN's payload (R writes NA as a NaN with payload
		// 1954) so that a round trip is bit-identical.
		z = rz
	}
	if d.f.Surface != nil {
		d.f.Surface.Z[i] = z
	}
	if d.f.Points != nil {
		p := Point{Z: z}
		h := &d.f.Header
		k := 0
		nx := max(h.SizeX, 1)
		if h.X.AxisType == AxisAbsolute {
			p.X = h.X.toMicrons(raw[k])
			k++
		} else {
			p.X = (h.X.Offset + float64(int(i)%nx)*h.X.Increment) * 1e6
		}
		if h.Y.AxisType == AxisAbsolute {
			p.Y = h.Y.toMicrons(raw[k])
		} else {
			p.Y = (h.Y.Offset + float64(int(i)/nx)*h.Y.Increment) * 1e6
		}
		if !valid {
			p.X, p.Y = math.NaN(), math.NaN()
		}
		d.f.Points[i] = p
	}
}

// archive indexes the zip members relative to the folder of main.xml.
type archive struct {
	zr      *zip.Reader
	size    int64
	main    *zip.File
	dir     string               // folder of main.xml inside the zip ("" at the root)
	members map[string]*zip.File // by normalised full name
	entries []entry              // usable members in archive order
	used    map[*zip.File]bool   // members consumed by the reader
}

// isJunk reports OS metadata that archivers add (macOS resource forks and
// Finder files); real CSAFE files contain them and they are ignored.
func isJunk(name string) bool {
	if strings.HasPrefix(name, "__MACOSX/") {
		return true
	}
	base := path.Base(name)
	return base == ".DS_Store" || strings.HasPrefix(base, "._") || base == "Thumbs.db"
}

// entry is a usable zip member with its normalised name.
type entry struct {
	zf   *zip.File
	name string // forward slashes, cleaned
}

func newArchive(zr *zip.Reader, size int64) (*archive, error) {
	a := &archive{zr: zr, size: size, members: map[string]*zip.File{}, used: map[*zip.File]bool{}}
	var mains []entry
	for _, zf := range zr.File {
		// Some Windows archivers write backslashes as separators.
		name := strings.ReplaceAll(zf.Name, `\`, "/")
		if strings.HasSuffix(name, "/") || isJunk(name) || checkLocalName(name) != nil {
			continue // directories, OS junk, and names that could escape a folder
		}
		name = path.Clean(name)
		if _, dup := a.members[name]; dup {
			return nil, formatErr(zf.Name, "duplicate zip member")
		}
		a.members[name] = zf
		a.entries = append(a.entries, entry{zf, name})
		if strings.EqualFold(path.Base(name), "main.xml") {
			mains = append(mains, entry{zf, name})
		}
	}
	if len(mains) == 0 {
		// x3ptools reads whichever *.xml the archive holds; accept a
		// differently named XML only when it is the only one.
		for _, e := range a.entries {
			if strings.EqualFold(path.Ext(e.name), ".xml") {
				mains = append(mains, e)
			}
		}
		if len(mains) != 1 {
			return nil, formatErr("main.xml", "no main.xml in the archive")
		}
	}
	// Writers put main.xml at the root (x3ptools) or in one folder (CSAFE
	// zips of a folder); take the shallowest and refuse ambiguity.
	best := mains[0]
	ambiguous := false
	for _, m := range mains[1:] {
		switch dm, db := strings.Count(m.name, "/"), strings.Count(best.name, "/"); {
		case dm < db:
			best, ambiguous = m, false
		case dm == db:
			ambiguous = true
		}
	}
	if ambiguous {
		return nil, formatErr("main.xml", "several main.xml at the same depth")
	}
	a.main = best.zf
	a.used[best.zf] = true
	if d := path.Dir(best.name); d != "." {
		a.dir = d
	}
	return a, nil
}

// rel returns the name of e relative to the folder of main.xml, and false
// when e lies outside that folder.
func (a *archive) rel(e entry) (string, bool) {
	if a.dir == "" {
		return e.name, true
	}
	r, ok := strings.CutPrefix(e.name, a.dir+"/")
	return r, ok
}

// checkLocalName rejects absolute names, drive letters and ".." components
// (zip-slip): links must stay inside the archive folder of main.xml.
func checkLocalName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if strings.ContainsRune(name, 0) {
		return errors.New("name contains NUL")
	}
	n := strings.ReplaceAll(name, `\`, "/")
	if strings.HasPrefix(n, "/") || (len(n) >= 2 && n[1] == ':') {
		return fmt.Errorf("absolute path %q", name)
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return fmt.Errorf("path %q leaves the archive", name)
		}
	}
	return nil
}

// lookup resolves a link from main.xml relative to its folder.
func (a *archive) lookup(link, part string) (*zip.File, error) {
	if err := checkLocalName(link); err != nil {
		return nil, formatErr(part, "%v", err)
	}
	// Windows writers may use backslashes in links.
	name := path.Clean(strings.ReplaceAll(link, `\`, "/"))
	if a.dir != "" {
		name = a.dir + "/" + name
	}
	if zf, ok := a.members[name]; ok {
		return zf, nil
	}
	for _, e := range a.entries {
		if strings.EqualFold(e.name, name) {
			return e.zf, nil
		}
	}
	return nil, formatErr(part, "links to %q, which is not in the archive", link)
}

// checkDeclared refuses a member whose declared size exceeds limit or
// cannot be the inflation of its compressed bytes.
func (a *archive) checkDeclared(zf *zip.File, limit int64) error {
	u := zf.UncompressedSize64
	if u > uint64(limit) {
		return unsupported(zf.Name, "%d bytes uncompressed, more than the limit of %d", u, limit)
	}
	if zf.CompressedSize64 > uint64(a.size) {
		return formatErr(zf.Name, "compressed size %d exceeds the archive size %d", zf.CompressedSize64, a.size)
	}
	switch zf.Method {
	case zip.Store:
		if u != zf.CompressedSize64 {
			return formatErr(zf.Name, "stored member declares %d bytes but holds %d", u, zf.CompressedSize64)
		}
	case zip.Deflate:
		if u > zf.CompressedSize64*maxDeflateRatio+1024 {
			return formatErr(zf.Name, "declares %d bytes from %d compressed bytes, impossible for deflate", u, zf.CompressedSize64)
		}
	default:
		return unsupported(zf.Name, "zip compression method %d (want store or deflate)", zf.Method)
	}
	return nil
}

// open returns a reader of zf that fails if the content exceeds the
// declared size.
func (a *archive) open(zf *zip.File, limit int64) (io.ReadCloser, error) {
	if err := a.checkDeclared(zf, limit); err != nil {
		return nil, err
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, &FormatError{Part: zf.Name, Msg: "cannot open", Err: err}
	}
	a.used[zf] = true
	return rc, nil
}

// readAll reads a small member completely.
func (a *archive) readAll(zf *zip.File, limit int64) ([]byte, error) {
	rc, err := a.open(zf, limit)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	buf := make([]byte, 0, zf.UncompressedSize64)
	buf, err = readLimited(rc, buf, int64(zf.UncompressedSize64))
	if err != nil {
		return nil, &FormatError{Part: zf.Name, Msg: "cannot read", Err: err}
	}
	return buf, nil
}

// readLimited appends exactly n bytes from r to buf; more or fewer is an error.
func readLimited(r io.Reader, buf []byte, n int64) ([]byte, error) {
	w := bytes.NewBuffer(buf)
	got, err := io.Copy(w, io.LimitReader(r, n+1))
	if err != nil {
		return nil, err
	}
	if got != n {
		return nil, fmt.Errorf("holds %d bytes, zip header declares %d", got, n)
	}
	return w.Bytes(), nil
}

// readBinary decodes data.bin (and valid.bin) in one streaming pass.
func (a *archive) readBinary(f *File, opt Options) error {
	h := &f.Header
	zf, err := a.lookup(h.PointDataLink, "Record3/DataLink/PointDataLink")
	if err != nil {
		return err
	}
	n, _ := h.pointCount()
	axes := h.absoluteAxes()
	rec := 0
	for _, ax := range axes {
		if typeSize(ax.DataType) == 0 {
			return formatErr("Record1/Axes", "absolute axis without a valid DataType")
		}
		rec += typeSize(ax.DataType)
	}
	want := n * int64(rec)
	if n > 0 && want/n != int64(rec) {
		return formatErr("Record3", "data size overflows")
	}
	if got := int64(zf.UncompressedSize64); got != want {
		return formatErr(zf.Name, "holds %d bytes but the header declares %d points × %d bytes (data type %s) = %d bytes",
			got, n, rec, typeNames(axes), want)
	}
	var valid []byte
	if h.ValidPointsLink != "" {
		if valid, err = a.readValid(f, n, opt); err != nil {
			return err
		}
	}
	rc, err := a.open(zf, opt.MaxUncompressed)
	if err != nil {
		return err
	}
	defer rc.Close()
	d, err := newDecoder(f)
	if err != nil {
		return err
	}
	sum := md5.New()
	src := io.TeeReader(io.LimitReader(rc, want), sum)
	raw := make([]float64, len(axes))
	// Decode whole blocks of records: far cheaper than a read per value.
	block := make([]byte, int64(rec)*min(n, 8192))
	for i := int64(0); i < n; {
		k := min(n-i, int64(len(block)/rec))
		b := block[:k*int64(rec)]
		if _, err := io.ReadFull(src, b); err != nil {
			return &FormatError{Part: zf.Name, Msg: fmt.Sprintf("cannot read points %d to %d of %d", i, i+k, n), Err: err}
		}
		for ; len(b) > 0; i++ {
			for a, ax := range axes {
				sz := typeSize(ax.DataType)
				raw[a] = decodeValue(ax.DataType, b[:sz])
				b = b[sz:]
			}
			ok := valid == nil || valid[i>>3]&(1<<(i&7)) != 0
			if valid == nil && math.IsNaN(raw[len(raw)-1]) {
				ok = false
			}
			d.put(raw, ok)
		}
	}
	d.finish()
	// The zip reader verifies the CRC only at EOF: read to the end.
	if extra, err := io.Copy(io.Discard, rc); err != nil {
		return &FormatError{Part: zf.Name, Msg: "corrupt", Err: err}
	} else if extra != 0 {
		return formatErr(zf.Name, "longer than the %d bytes declared", want)
	}
	f.Checksums.DataMD5 = hex.EncodeToString(sum.Sum(nil))
	f.Checksums.Data = compareMD5(f, h.PointDataMD5, f.Checksums.DataMD5, zf.Name, WarnDataMD5Mismatch)
	if f.Checksums.Data == StatusAbsent {
		f.warn(WarnDataMD5Missing, "Record3 has no MD5ChecksumPointData for %s", zf.Name)
	}
	return nil
}

func typeNames(axes []Axis) string {
	s := make([]string, len(axes))
	for i, a := range axes {
		s[i] = a.DataType
	}
	return strings.Join(s, "+")
}

func decodeValue(t string, b []byte) float64 {
	switch t {
	case TypeInt16:
		return float64(int16(binary.LittleEndian.Uint16(b)))
	case TypeInt32:
		return float64(int32(binary.LittleEndian.Uint32(b)))
	case TypeFloat32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	default:
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
}

// readValid reads valid.bin: one bit per point in data order, least
// significant bit first within each byte (openGPS). A file longer than
// needed is tolerated (padding); a shorter one is an error.
func (a *archive) readValid(f *File, n int64, opt Options) ([]byte, error) {
	h := &f.Header
	zf, err := a.lookup(h.ValidPointsLink, "Record3/DataLink/ValidPointsLink")
	if err != nil {
		return nil, err
	}
	need := (n + 7) / 8
	if int64(zf.UncompressedSize64) < need {
		return nil, formatErr(zf.Name, "holds %d bytes, %d points need %d", zf.UncompressedSize64, n, need)
	}
	b, err := a.readAll(zf, min(opt.MaxUncompressed, need+1<<20))
	if err != nil {
		return nil, err
	}
	sum := md5.Sum(b)
	f.Checksums.Valid = compareMD5(f, h.ValidPointsMD5, hex.EncodeToString(sum[:]), zf.Name, WarnValidMD5Mismatch)
	return b, nil
}

// compareMD5 compares a declared MD5 (either case) with the computed one.
func compareMD5(f *File, declared, computed, what, code string) Status {
	if declared == "" {
		return StatusAbsent
	}
	if !strings.EqualFold(declared, computed) {
		f.warn(code, "MD5 of %s is %s, the file declares %s", what, computed, declared)
		return StatusMismatch
	}
	return StatusOK
}

var md5Pattern = regexp.MustCompile(`\b[0-9a-fA-F]{32}\b`)

// checkMainMD5 compares md5checksum.hex (md5sum format: hex, optionally
// followed by " *main.xml") with the MD5 of main.xml.
func (a *archive) checkMainMD5(f *File, mainXML []byte) {
	sum := md5.Sum(mainXML)
	f.Checksums.MainMD5 = hex.EncodeToString(sum[:])
	name := f.Header.ChecksumFile
	if name == "" {
		name = "md5checksum.hex"
	}
	f.Checksums.Main = StatusAbsent
	zf, err := a.lookup(name, "Record4/ChecksumFile")
	if err != nil {
		f.warn(WarnMainMD5Missing, "no checksum file %q for main.xml", name)
		return
	}
	b, err := a.readAll(zf, 4096)
	if err != nil {
		f.warn(WarnMainMD5Missing, "checksum file %s unreadable: %v", zf.Name, err)
		return
	}
	// md5sum writes "<hex> *main.xml"; BSD md5 writes "MD5 (main.xml) = <hex>".
	declared := md5Pattern.FindString(string(b))
	if declared == "" {
		f.warn(WarnMainMD5Missing, "checksum file %s holds no MD5 sum", zf.Name)
		return
	}
	f.Checksums.Main = compareMD5(f, declared, f.Checksums.MainMD5, a.main.Name, WarnMainMD5Mismatch)
}

// readDataList decodes an inline DataList: one Datum per point holding the
// values of the absolute axes separated by ";"; an empty Datum is a missing
// point.
func readDataList(f *File, dl *node) error {
	h := &f.Header
	n, _ := h.pointCount()
	if int64(len(dl.datums)) != n || len(dl.children) != 0 {
		return formatErr("Record3/DataList", "holds %d Datum elements (and %d other elements), the header declares %d points", len(dl.datums), len(dl.children), n)
	}
	d, err := newDecoder(f)
	if err != nil {
		return err
	}
	axes := h.absoluteAxes()
	raw := make([]float64, len(axes))
	for i, s := range dl.datums {
		if s == "" {
			d.put(raw, false)
			continue
		}
		parts := strings.Split(s, ";")
		if len(parts) != len(axes) {
			return formatErr("Record3/DataList/Datum", "point %d: %q has %d values, want %d (one per absolute axis)", i, s, len(parts), len(axes))
		}
		for k, p := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return formatErr("Record3/DataList/Datum", "point %d: %q is not a number", i, p)
			}
			raw[k] = v
		}
		d.put(raw, !math.IsNaN(raw[len(raw)-1]))
	}
	d.finish()
	f.Checksums.Data = StatusAbsent // inline data are covered by the main.xml checksum
	return nil
}

// keepMembers keeps the unread, non-junk members for round trip.
func (a *archive) keepMembers(f *File) error {
	var kept int64
	for _, e := range a.entries {
		zf := e.zf
		rel, inside := a.rel(e)
		if a.used[zf] || !inside {
			continue // read already, or outside the X3P folder
		}
		if zf.UncompressedSize64 > uint64(maxKeptBytes-kept) {
			f.warn(WarnMemberSkipped, "member %s (%d bytes) not kept: kept members are limited to %d bytes", zf.Name, zf.UncompressedSize64, maxKeptBytes)
			continue
		}
		b, err := a.readAll(zf, maxKeptBytes)
		if err != nil {
			return err
		}
		kept += int64(len(b))
		f.Members = append(f.Members, Member{Name: rel, Data: b})
	}
	return nil
}
