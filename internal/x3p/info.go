package x3p

import "math"

// Info summarises a File for display (tracemark x3p info). Lengths are µm.
type Info struct {
	FeatureType string    `json:"feature_type"`
	SizeX       int       `json:"size_x"`
	SizeY       int       `json:"size_y"`
	SizeZ       int       `json:"size_z,omitempty"`
	Points      int       `json:"points"`
	SpacingX    float64   `json:"spacing_x_um,omitempty"`
	SpacingY    float64   `json:"spacing_y_um,omitempty"`
	OriginX     float64   `json:"origin_x_um"`
	OriginY     float64   `json:"origin_y_um"`
	FileUnits   string    `json:"file_units"`  // always "m" (ISO 5436-2)
	ZType       string    `json:"z_type"`      // D, F, I or L
	ZTypeName   string    `json:"z_type_name"` // float64, float32, int16, int32
	DataSource  string    `json:"data_source"` // data link or "inline DataList"
	Record2     *Record2  `json:"record2,omitempty"`
	Checksums   Checksums `json:"checksums"`
	NaNFraction float64   `json:"nan_fraction"`
	HeightMin   *float64  `json:"height_min_um,omitempty"` // nil when no valid point
	HeightMax   *float64  `json:"height_max_um,omitempty"`
	Mask        *MaskInfo `json:"mask,omitempty"`
	Extensions  int       `json:"extensions"`
	VendorIDs   []string  `json:"vendor_specific_id,omitempty"`
	Warnings    []Warning `json:"warnings"`
}

// MaskInfo describes the mask of a file.
type MaskInfo struct {
	PNG         bool         `json:"png"`
	Link        string       `json:"link,omitempty"`
	Background  string       `json:"background,omitempty"`
	Annotations []Annotation `json:"annotations,omitempty"`
}

// TypeName returns the Go name of an X3P data type code.
func TypeName(t string) string {
	switch t {
	case TypeInt16:
		return "int16"
	case TypeInt32:
		return "int32"
	case TypeFloat32:
		return "float32"
	case TypeFloat64:
		return "float64"
	}
	return "unknown"
}

// Info returns a summary of f.
func (f *File) Info() Info {
	h := &f.Header
	in := Info{
		FeatureType: h.FeatureType,
		SizeX:       h.SizeX, SizeY: h.SizeY, SizeZ: h.SizeZ,
		FileUnits:  "m",
		ZType:      h.Z.DataType,
		ZTypeName:  TypeName(h.Z.DataType),
		DataSource: h.PointDataLink,
		Record2:    h.Record2,
		Checksums:  f.Checksums,
		Extensions: len(h.Extensions),
		VendorIDs:  h.VendorSpecificID,
		Warnings:   f.Warnings,
	}
	if in.Warnings == nil {
		in.Warnings = []Warning{}
	}
	if in.DataSource == "" {
		in.DataSource = "inline DataList"
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	total, missing := 0, 0
	visit := func(z float64) {
		total++
		if math.IsNaN(z) {
			missing++
			return
		}
		lo, hi = min(lo, z), max(hi, z)
	}
	if s := f.Surface; s != nil {
		in.SizeX, in.SizeY = s.NX, s.NY
		in.SpacingX, in.SpacingY = s.DX, s.DY
		in.OriginX, in.OriginY = s.X0, s.Y0
		for _, z := range s.Z {
			visit(z)
		}
	} else {
		for _, p := range f.Points {
			visit(p.Z)
		}
	}
	in.Points = total
	if total > 0 {
		in.NaNFraction = float64(missing) / float64(total)
	}
	if missing < total {
		in.HeightMin, in.HeightMax = &lo, &hi
	}
	if m := f.Mask; m != nil {
		in.Mask = &MaskInfo{PNG: m.PNG != nil, Link: m.Link, Background: m.Background, Annotations: m.Annotations}
	}
	return in
}
