package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // registers JPEG decoding for 2D microscope images
	_ "image/png"  // registers PNG decoding
	"strings"
	"sync"

	_ "golang.org/x/image/tiff" // registers TIFF decoding

	"github.com/tracemark/tracemark/internal/compare/bullet"
	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/search"
	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/x3p"
)

// Kind says what a scan shows and therefore how it is processed.
type Kind string

// Scan kinds.
const (
	KindCartridge  Kind = "cartridge"   // breech face of a cartridge case (X3P)
	KindBulletLand Kind = "bullet-land" // one land-engraved area of a bullet (X3P)
	KindImage      Kind = "image"       // a calibrated 2D microscope image: stored and shown, not correlated
)

// ParseKind accepts the kinds above; "" means "decide from the exhibit".
func ParseKind(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(strings.TrimSpace(s))); k {
	case "", KindCartridge, KindBulletLand, KindImage:
		return k, nil
	case "cartridge-case", "cartridge_case":
		return KindCartridge, nil
	case "bullet", "land":
		return KindBulletLand, nil
	}
	return "", errs.Errorf("ingest.ParseKind", errs.Invalid, "scan kind %q: want cartridge, bullet-land or image", clip(s))
}

// SearchKind is the search package's kind for k (KindUnknown for images).
func (k Kind) SearchKind() search.Kind {
	switch k {
	case KindCartridge:
		return search.KindCartridge
	case KindBulletLand:
		return search.KindBullet
	}
	return search.KindUnknown
}

// Analysis is what ingest computes from one file, once.
type Analysis struct {
	Format       domain.ScanFormat
	Kind         Kind
	Instrument   string
	ResolutionUM float64  // lateral spacing of the topography (or the image calibration), µm
	Warnings     []string // X3P reader warnings (checksums...) and preprocessing remarks

	// Derived data (nil for images): the processed surface or land and the
	// search features. Preprocessed is the blob content (EncodeSurface or
	// EncodeLand); Surface and Land are the decoded values.
	Preprocessed []byte
	Surface      *surface.Map
	Land         *bullet.Land
	Features     *search.Features
}

// Detect returns the format of a file from its first bytes: X3P (a zip
// archive), PNG, JPEG or TIFF.
func Detect(data []byte) (domain.ScanFormat, error) {
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return domain.FormatX3P, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return domain.FormatPNG, nil
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return domain.FormatJPEG, nil
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return domain.FormatTIFF, nil
	}
	return "", errs.Errorf("ingest.Detect", errs.Invalid,
		"the file is neither an X3P archive nor a PNG, JPEG or TIFF image (it starts with %q)", clip(string(data[:min(len(data), 8)])))
}

// maxImagePixels bounds a 2D image before it is decoded (a 16-bit 20k×20k
// TIFF is already 800 MB).
const maxImagePixels = 100 << 20

var signers = sync.Pool{New: func() any { return search.NewSigner() }}

// Analyse validates one file and computes its derived data. kind "" is
// decided from the format (images) or must be given for X3P files.
// umPerPixel is the calibration of a 2D image (required for images,
// ignored for X3P). The error is errs.Invalid with the reason for any file
// that cannot be ingested. data is not modified or kept.
func Analyse(data []byte, name string, kind Kind, umPerPixel float64) (*Analysis, error) {
	const op = "ingest.Analyse"
	format, err := Detect(data)
	if err != nil {
		return nil, err
	}
	if format.Is2D() {
		if kind != "" && kind != KindImage {
			return nil, errs.Errorf(op, errs.Invalid, "%s is a %s image; a %s needs an X3P topography", name, format, kind)
		}
		return analyseImage(data, name, format, umPerPixel)
	}
	if kind == KindImage {
		return nil, errs.Errorf(op, errs.Invalid, "%s is an X3P topography, not a 2D image", name)
	}
	if kind == "" {
		return nil, errs.Errorf(op, errs.Invalid, "%s: say whether the X3P scan is a cartridge or a bullet-land", name)
	}
	f, err := x3p.Read(bytes.NewReader(data), int64(len(data)), x3p.Options{})
	if err != nil {
		return nil, errs.E(op, errs.Invalid, fmt.Errorf("%s: %w", name, err))
	}
	if f.Surface == nil {
		return nil, errs.Errorf(op, errs.Invalid, "%s is an X3P point cloud; a comparison needs a gridded surface (SUR)", name)
	}
	a := &Analysis{Format: format, Kind: kind, ResolutionUM: f.Surface.DX}
	if r2 := f.Header.Record2; r2 != nil {
		a.Instrument = strings.TrimSpace(strings.Join(nonEmpty(r2.Instrument.Manufacturer, r2.Instrument.Model, r2.Instrument.Serial), " "))
	}
	for _, w := range f.Warnings {
		a.Warnings = append(a.Warnings, "x3p: "+w.String())
	}
	switch kind {
	case KindCartridge:
		err = a.cartridge(f.Surface, name)
	case KindBulletLand:
		err = a.land(f.Surface, name)
	}
	if err != nil {
		return nil, err
	}
	if len(a.Warnings) > 100 {
		a.Warnings = a.Warnings[:100]
	}
	return a, nil
}

func (a *Analysis) cartridge(m *surface.Map, name string) error {
	const op = "ingest.Analyse"
	cfg, err := cartridge.PreprocessPreset("default")
	if err != nil {
		return errs.E(op, errs.Internal, err)
	}
	// The provenance of an uploaded file is unknown: already processed
	// scans (such as the Fadul set) are only resampled.
	cfg.Processed = cartridge.LooksProcessed(m)
	p, err := cartridge.Preprocess(m, cfg)
	if err != nil {
		return errs.E(op, errs.Invalid, fmt.Errorf("%s cannot be used as a breech face: %w", name, err))
	}
	a.Warnings = append(a.Warnings, p.Warnings...)
	if _, err := cartridge.Prepare(name, p.Map, cartridge.DefaultConfig()); err != nil {
		return errs.E(op, errs.Invalid, fmt.Errorf("%s cannot be compared: %w", name, err))
	}
	s := signers.Get().(*search.Signer)
	feat, err := s.Cartridge(p.Map)
	signers.Put(s)
	if err != nil {
		return errs.E(op, errs.Invalid, fmt.Errorf("%s: no search signature: %w", name, err))
	}
	enc, err := EncodeSurface(p.Map)
	if err != nil {
		return errs.E(op, errs.Internal, err)
	}
	a.Surface, a.Features, a.Preprocessed = p.Map, feat, enc
	return nil
}

func (a *Analysis) land(m *surface.Map, name string) error {
	const op = "ingest.Analyse"
	l, err := bullet.ProcessLand(m, bullet.DefaultParams())
	var unsuitable *bullet.UnsuitableError
	switch {
	case errors.As(err, &unsuitable):
		return errs.E(op, errs.Invalid, fmt.Errorf("%s is a land too damaged to compare: %s", name, unsuitable.Reason))
	case err != nil:
		return errs.E(op, errs.Invalid, fmt.Errorf("%s cannot be used as a bullet land: %w", name, err))
	}
	l.Name = name
	a.Warnings = append(a.Warnings, l.Notes...)
	desc, err := search.LandDescriptor(l.Signature, l.DX)
	if err != nil {
		return errs.E(op, errs.Invalid, fmt.Errorf("%s: no search signature for the land: %w", name, err))
	}
	enc, err := EncodeLand(l)
	if err != nil {
		return errs.E(op, errs.Internal, err)
	}
	a.Land, a.Preprocessed = l, enc
	a.Features = &search.Features{Kind: search.KindBullet, Lands: [][]float32{desc}}
	return nil
}

func analyseImage(data []byte, name string, format domain.ScanFormat, umPerPixel float64) (*Analysis, error) {
	const op = "ingest.Analyse"
	if !(umPerPixel > 0) || umPerPixel > 1e4 {
		return nil, errs.Errorf(op, errs.Invalid, "%s: a %s image needs its calibration in µm per pixel (0 < um_per_pixel ≤ 10000), got %g", name, format, umPerPixel)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, errs.E(op, errs.Invalid, fmt.Errorf("%s: unreadable %s image: %w", name, format, err))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return nil, errs.Errorf(op, errs.Invalid, "%s: %d×%d pixels; the limit is %d pixels", name, cfg.Width, cfg.Height, maxImagePixels)
	}
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return nil, errs.E(op, errs.Invalid, fmt.Errorf("%s: damaged %s image: %w", name, format, err))
	}
	return &Analysis{Format: format, Kind: KindImage, ResolutionUM: umPerPixel}, nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
