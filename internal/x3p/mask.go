package x3p

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"path"
	"strings"
)

// DefaultMaskBackground is the colour CSAFE tools paint unannotated areas with.
const DefaultMaskBackground = "#cd7f32"

// Mask is the CSAFE/FiX3P mask: a PNG raster with one colour per region
// (rows = SizeY, columns = SizeX, row 0 = first stored row) and a legend
// mapping colours to labels, kept in Record3/Mask.
//
// The PNG bytes are kept verbatim and written back unchanged; Read decodes
// them once only to check that they are a readable PNG.
type Mask struct {
	PNG         []byte       // mask.png content; nil when the file has only the <Mask> block
	Link        string       // member name relative to main.xml's folder, e.g. bindata/mask.png
	Background  string       // e.g. #cd7f32
	Annotations []Annotation // colour → label
	Version     string       // CSAFE mask version, e.g. "2"
	HasBlock    bool         // the file carries a Record3/Mask element
}

// Annotation maps a mask colour to a label, e.g. "#1f376c" → "break-off".
type Annotation struct {
	Color string `json:"color"`
	Label string `json:"label"`
}

// Image decodes the mask PNG (nil, nil when the mask has no PNG).
func (m *Mask) Image() (image.Image, error) {
	if m == nil || m.PNG == nil {
		return nil, nil
	}
	img, err := png.Decode(bytes.NewReader(m.PNG))
	if err != nil {
		return nil, fmt.Errorf("x3p: mask %s: %w", m.Link, err)
	}
	return img, nil
}

// readMask reads the Record3/Mask block and a PNG mask member.
//
// The PNG is located as mask.png next to data.bin (x3ptools writes
// bindata/mask.png), or as any *.png inside the folder of main.xml. An
// unreadable PNG is an error: the file claims a mask we cannot honour, and
// the examiner must know rather than silently get unmasked data.
func (a *archive) readMask(f *File, block *node, opt Options) error {
	var m Mask
	if block != nil {
		m.HasBlock = true
		m.Background = block.child("Background").value()
		m.Version = block.child("Version").value()
		for _, c := range block.child("Annotations").childrenNamed("Annotation") {
			m.Annotations = append(m.Annotations, Annotation{Color: strings.TrimSpace(c.attr("color")), Label: c.value()})
		}
	}
	if zf, rel := a.findMaskPNG(m.HasBlock); zf != nil {
		// A mask is at most one RGBA pixel per point; allow the PNG overhead.
		limit := min(opt.MaxUncompressed, int64(4*max(f.Header.SizeX, 1)*max(f.Header.SizeY, 1))+1<<20)
		b, err := a.readAll(zf, limit)
		if err != nil {
			return err
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return &FormatError{Part: zf.Name, Msg: "unreadable PNG mask", Err: err}
		}
		// Decoding allocates up to 8 bytes per pixel: bound the raster by
		// the matrix it annotates (a mismatch only warns, below).
		n, _ := f.Header.pointCount()
		if px := int64(cfg.Width) * int64(cfg.Height); px > max(2*n, 1<<22) || px > opt.MaxPoints {
			return unsupported(zf.Name, "mask of %d×%d pixels exceeds the point limit", cfg.Width, cfg.Height)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			return &FormatError{Part: zf.Name, Msg: "unreadable PNG mask", Err: err}
		}
		if f.Header.IsMatrix() && (cfg.Width != f.Header.SizeX || cfg.Height != f.Header.SizeY) {
			f.warn(WarnMaskSize, "mask %s is %d×%d pixels, the matrix is %d×%d", zf.Name, cfg.Width, cfg.Height, f.Header.SizeX, f.Header.SizeY)
		}
		m.PNG = b
		m.Link = rel
	}
	if m.HasBlock || m.PNG != nil {
		f.Mask = &m
	}
	return nil
}

// findMaskPNG returns mask.png, or with a <Mask> block any other PNG (FiX3P
// names vary), or nil.
func (a *archive) findMaskPNG(anyPNG bool) (*zip.File, string) {
	var found *zip.File
	var foundRel string
	for _, e := range a.entries {
		rel, inside := a.rel(e)
		if a.used[e.zf] || !inside || !strings.EqualFold(path.Ext(e.name), ".png") {
			continue
		}
		if strings.EqualFold(path.Base(e.name), "mask.png") {
			return e.zf, rel
		}
		if found == nil {
			found, foundRel = e.zf, rel
		}
	}
	if !anyPNG {
		return nil, ""
	}
	return found, foundRel
}

func (n *node) childrenNamed(local string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, c := range n.children {
		if c.name.Local == local {
			out = append(out, c)
		}
	}
	return out
}
