package search

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Kind is the type of exhibit a feature set describes.
type Kind uint8

// Kinds of exhibit.
const (
	KindUnknown   Kind = 0
	KindCartridge Kind = 1
	KindBullet    Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindCartridge:
		return "cartridge"
	case KindBullet:
		return "bullet"
	}
	return "unknown"
}

// ParseKind accepts "cartridge", "bullet" or "" (unknown).
func ParseKind(s string) (Kind, error) {
	switch s {
	case "cartridge", "cartridge-case":
		return KindCartridge, nil
	case "bullet":
		return KindBullet, nil
	case "", "unknown":
		return KindUnknown, nil
	}
	return KindUnknown, fmt.Errorf("search: unknown exhibit kind %q (want cartridge or bullet)", s)
}

// Features are the stored search features of one exhibit, computed once at
// ingest (Signer.Cartridge, BulletFeatures) and kept as a derived blob
// (MarshalBinary). They are read-only once built.
type Features struct {
	Kind Kind
	// Cartridge cases: the tapered breech face at MapSpacingUM on a
	// MapSize² grid, row-major, quantised: height µm = Map·MapScale
	// (Signer.Cartridge). The index derives its registration spectrum
	// from it.
	Map      []int8
	MapScale float32
	// Polar (cartridge cases) is the polar amplitude harmonics of the
	// surface at PolarSpacingUM (PolarLen, quantised; Signer.Cartridge).
	Polar []int8
	// Bullets: one unit-length descriptor (LandDim) per land in land
	// order; nil for a missing or unsuitable land.
	Lands [][]float32
}

// Binary format, little-endian:
//
//	"TMSF" version(u8)=2 kind(u8)
//	cartridge: MapScale float32, MapSize² int8, PolarLen int8 (from version 3)
//	bullet:    lands(u16), then per land present(u8) and LandDim float32
//
// The dimensions are fixed by the version; a change of the signature
// geometry must bump formatVersion so that stored blobs are recomputed.
// Version 3 added the polar harmonics of cartridge cases; bullet blobs of
// version 2 have the same layout and are still read.
const (
	formatMagic       = "TMSF"
	formatVersion     = 3
	bulletSinceFormat = 2
	maxLands          = 64
)

// ErrFormat is wrapped by every decoding error.
var ErrFormat = errors.New("search: bad feature blob")

// ErrStaleFormat is wrapped (with ErrFormat) when a blob is of an older
// format version: its exhibit's features must be recomputed from the
// processed surface (Signer.Cartridge, LandDescriptor).
var ErrStaleFormat = fmt.Errorf("%w of an older version", ErrFormat)

// Validate checks that f is complete and finite for its kind.
func (f *Features) Validate() error {
	switch f.Kind {
	case KindCartridge:
		if len(f.Map) != MapSize*MapSize {
			return fmt.Errorf("search: cartridge features have %d map values, want %d", len(f.Map), MapSize*MapSize)
		}
		if !(f.MapScale > 0) || math.IsInf(float64(f.MapScale), 0) {
			return fmt.Errorf("search: cartridge map scale %g is not a positive number", f.MapScale)
		}
		if len(f.Polar) != PolarLen {
			return fmt.Errorf("search: cartridge features have %d polar harmonics, want %d", len(f.Polar), PolarLen)
		}
		return nil
	case KindBullet:
		if len(f.Lands) == 0 || len(f.Lands) > maxLands {
			return fmt.Errorf("search: bullet features have %d lands, want 1..%d", len(f.Lands), maxLands)
		}
		present := 0
		for i, l := range f.Lands {
			if l == nil {
				continue
			}
			present++
			if len(l) != LandDim {
				return fmt.Errorf("search: land %d has %d values, want %d", i+1, len(l), LandDim)
			}
			if err := finite(l); err != nil {
				return fmt.Errorf("search: land %d: %w", i+1, err)
			}
		}
		if present == 0 {
			return errors.New("search: bullet features have no usable land")
		}
		return nil
	}
	return fmt.Errorf("search: features of unknown kind %d", f.Kind)
}

func finite(v []float32) error {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("search: value %d is not finite", i)
		}
	}
	return nil
}

// MarshalBinary encodes f in the versioned binary format.
func (f *Features) MarshalBinary() ([]byte, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 10+MapSize*MapSize+PolarLen)
	b = append(b, formatMagic...)
	b = append(b, formatVersion, byte(f.Kind))
	switch f.Kind {
	case KindCartridge:
		b = appendFloats(b, []float32{f.MapScale})
		for _, v := range f.Map {
			b = append(b, byte(v))
		}
		for _, v := range f.Polar {
			b = append(b, byte(v))
		}
	case KindBullet:
		b = binary.LittleEndian.AppendUint16(b, uint16(len(f.Lands)))
		for _, l := range f.Lands {
			if l == nil {
				b = append(b, 0)
				continue
			}
			b = append(b, 1)
			b = appendFloats(b, l)
		}
	}
	return b, nil
}

func appendFloats(b []byte, v []float32) []byte {
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// UnmarshalBinary decodes a blob written by MarshalBinary. Any other input
// gets an error wrapping ErrFormat, never a panic. A blob of an older
// version gets ErrStaleFormat with f.Kind set from its header (every
// version keeps it), so that the caller knows what to recompute.
func (f *Features) UnmarshalBinary(data []byte) error {
	if len(data) < 6 || string(data[:4]) != formatMagic {
		return fmt.Errorf("%w: no TMSF header", ErrFormat)
	}
	if v := data[4]; v != formatVersion && !(Kind(data[5]) == KindBullet && v >= bulletSinceFormat && v < formatVersion) {
		err := ErrFormat
		if data[4] < formatVersion {
			err = ErrStaleFormat
			*f = Features{Kind: Kind(data[5])}
		}
		return fmt.Errorf("%w: version %d, this build reads %d (recompute the features from the processed surface)", err, data[4], formatVersion)
	}
	out := Features{Kind: Kind(data[5])}
	rest := data[6:]
	readFloats := func(n int) ([]float32, error) {
		if len(rest) < 4*n {
			return nil, fmt.Errorf("%w: truncated (%d bytes left, need %d)", ErrFormat, len(rest), 4*n)
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(rest[4*i:]))
		}
		rest = rest[4*n:]
		return v, nil
	}
	var err error
	switch out.Kind {
	case KindCartridge:
		sc, err := readFloats(1)
		if err != nil {
			return err
		}
		out.MapScale = sc[0]
		if len(rest) < MapSize*MapSize {
			return fmt.Errorf("%w: truncated map (%d bytes, need %d)", ErrFormat, len(rest), MapSize*MapSize)
		}
		out.Map = make([]int8, MapSize*MapSize)
		for i := range out.Map {
			out.Map[i] = int8(rest[i])
		}
		rest = rest[MapSize*MapSize:]
		if len(rest) < PolarLen {
			return fmt.Errorf("%w: truncated polar harmonics (%d bytes, need %d)", ErrFormat, len(rest), PolarLen)
		}
		out.Polar = make([]int8, PolarLen)
		for i := range out.Polar {
			out.Polar[i] = int8(rest[i])
		}
		rest = rest[PolarLen:]
	case KindBullet:
		if len(rest) < 2 {
			return fmt.Errorf("%w: truncated land count", ErrFormat)
		}
		n := int(binary.LittleEndian.Uint16(rest))
		rest = rest[2:]
		if n == 0 || n > maxLands {
			return fmt.Errorf("%w: %d lands, want 1..%d", ErrFormat, n, maxLands)
		}
		out.Lands = make([][]float32, n)
		for i := range out.Lands {
			if len(rest) < 1 {
				return fmt.Errorf("%w: truncated land %d", ErrFormat, i+1)
			}
			present := rest[0]
			rest = rest[1:]
			switch present {
			case 0:
			case 1:
				if out.Lands[i], err = readFloats(LandDim); err != nil {
					return err
				}
			default:
				return fmt.Errorf("%w: land %d flag %d", ErrFormat, i+1, present)
			}
		}
	default:
		return fmt.Errorf("%w: unknown kind %d", ErrFormat, out.Kind)
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrFormat, len(rest))
	}
	if err := out.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrFormat, err)
	}
	*f = out
	return nil
}
