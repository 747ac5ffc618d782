package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/tracemark/tracemark/internal/compare/bullet"
	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/x3p"
)

// EncodeSurface encodes a processed cartridge surface as the content of its
// derived blob: an X3P file (float64 heights), so that the preprocessed scan
// can be downloaded and opened by any X3P viewer.
func EncodeSurface(m *surface.Map) ([]byte, error) {
	var buf bytes.Buffer
	if err := x3p.Write(&buf, x3p.New(m)); err != nil {
		return nil, fmt.Errorf("ingest: encoding the processed surface: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeSurface decodes a blob written by EncodeSurface.
func DecodeSurface(data []byte) (*surface.Map, error) {
	f, err := x3p.Read(bytes.NewReader(data), int64(len(data)), x3p.Options{})
	if err != nil {
		return nil, fmt.Errorf("ingest: stored processed surface: %w", err)
	}
	if f.Surface == nil {
		return nil, fmt.Errorf("ingest: stored processed surface holds no height map")
	}
	return f.Surface, nil
}

// storedLand is the JSON form of a processed land (µm; null = missing).
type storedLand struct {
	Version      int        `json:"version"`
	Name         string     `json:"name"`
	DX           float64    `json:"dx_um"`
	SignatureX0  float64    `json:"signature_x0_um"`
	Signature    []*float64 `json:"signature_um"`
	CrosscutUM   float64    `json:"crosscut_um"`
	Grooves      [2]float64 `json:"grooves_um"`
	GrooveMethod string     `json:"groove_method"`
	Rotated      bool       `json:"rotated"`
	Notes        []string   `json:"notes,omitempty"`
}

const landVersion = 1

// EncodeLand encodes a processed bullet land as the content of its derived
// blob (JSON, signature in µm with null for missing points).
func EncodeLand(l *bullet.Land) ([]byte, error) {
	s := storedLand{Version: landVersion, Name: l.Name, DX: l.DX, SignatureX0: l.SignatureX0,
		Signature: make([]*float64, len(l.Signature)), CrosscutUM: l.CrosscutUM, Grooves: l.Grooves,
		GrooveMethod: l.GrooveMethod, Rotated: l.Rotated, Notes: l.Notes}
	for i := range l.Signature {
		if v := l.Signature[i]; !math.IsNaN(v) && !math.IsInf(v, 0) {
			s.Signature[i] = &l.Signature[i]
		}
	}
	return json.Marshal(s)
}

// DecodeLand decodes a blob written by EncodeLand into a land ready for
// bullet.Comparer (its display profile is not kept).
func DecodeLand(data []byte) (*bullet.Land, error) {
	var s storedLand
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("ingest: stored land: %w", err)
	}
	if s.Version != landVersion {
		return nil, fmt.Errorf("ingest: stored land has version %d, want %d", s.Version, landVersion)
	}
	if !(s.DX > 0) || len(s.Signature) < 2 {
		return nil, fmt.Errorf("ingest: stored land %q has spacing %g µm and %d points", s.Name, s.DX, len(s.Signature))
	}
	l := &bullet.Land{Name: s.Name, DX: s.DX, SignatureX0: s.SignatureX0, Signature: make([]float64, len(s.Signature)),
		CrosscutUM: s.CrosscutUM, CrosscutCCF: math.NaN(), Grooves: s.Grooves, GrooveMethod: s.GrooveMethod,
		Rotated: s.Rotated, Notes: s.Notes}
	for i, v := range s.Signature {
		if v == nil {
			l.Signature[i] = math.NaN()
		} else {
			l.Signature[i] = *v
		}
	}
	return l, nil
}
