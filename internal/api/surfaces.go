package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/render"
	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/x3p"
)

// HeightMap is a decimated height map of a scan for WebGL. Heights are
// little-endian, row-major (row 0 at y = y0_um), base64: Float32 µm
// ("f32", NaN where missing) or Uint16 ("u16": height = offset_um + value ×
// scale_um). Mask is a bitset (bit i of byte i/8, LSB first: point i is
// valid), empty when every point is valid.
type HeightMap struct {
	ScanID   domain.ScanID `json:"scan_id"`
	Source   string        `json:"source" enum:"processed,original" doc:"the processed cartridge surface the engine compares, or the original topography"`
	NX       int           `json:"nx"`
	NY       int           `json:"ny"`
	DX       float64       `json:"dx_um"`
	DY       float64       `json:"dy_um"`
	X0       float64       `json:"x0_um" doc:"position of point (0, 0) in the full-resolution frame (block centre)"`
	Y0       float64       `json:"y0_um"`
	Factor   int           `json:"factor" doc:"decimation factor (block mean of factor × factor valid points)"`
	FullNX   int           `json:"full_nx"`
	FullNY   int           `json:"full_ny"`
	FullDX   float64       `json:"full_dx_um"`
	FullDY   float64       `json:"full_dy_um"`
	ZMin     float64       `json:"z_min_um"`
	ZMax     float64       `json:"z_max_um"`
	Valid    int           `json:"valid" doc:"number of valid points"`
	Encoding string        `json:"encoding" enum:"u16,f32"`
	Scale    float64       `json:"scale_um"`
	Offset   float64       `json:"offset_um"`
	Heights  string        `json:"heights" doc:"base64 of nx·ny little-endian values"`
	Mask     string        `json:"mask" doc:"base64 validity bitset; empty when all points are valid"`
	Cached   bool          `json:"cached"`
}

type surfaceInput struct {
	ID       string `path:"id" doc:"scan ID"`
	Max      int    `query:"max" minimum:"16" maximum:"1024" default:"256" doc:"largest side of the decimated map, points"`
	Encoding string `query:"encoding" enum:"u16,f32" default:"u16"`
}

type heightMapOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         HeightMap
}

type reliefInput struct {
	ID        string  `path:"id" doc:"scan ID"`
	Width     int     `query:"width" minimum:"16" maximum:"4096" default:"1024" doc:"image width at most, pixels"`
	Azimuth   float64 `query:"azimuth" minimum:"0" maximum:"360" default:"315" doc:"light direction, degrees clockwise from the top"`
	Elevation float64 `query:"elevation" minimum:"1" maximum:"90" default:"45" doc:"light height above the horizon, degrees"`
	Colour    bool    `query:"colour" default:"true" doc:"tint with the height colour map"`
}

func (h *handler) surfaceRoutes() []route {
	tags := []string{"surfaces"}
	png := map[string]*huma.Response{"200": {Description: "PNG image", Content: map[string]*huma.MediaType{"image/png": {}}}}
	return []route{
		newRoute(Read, huma.Operation{OperationID: "get-surface", Method: http.MethodGet, Path: "/api/scans/{id}/surface",
			Summary: "A decimated height map of the scan for 3D display (µm; Uint16 or Float32 with a validity mask)",
			Tags:    tags}, h.getSurface),
		newRoute(Read, huma.Operation{OperationID: "get-surface-relief", Method: http.MethodGet, Path: "/api/scans/{id}/relief",
			Summary: "A shaded-relief PNG of the scan with a movable light", Tags: tags, Responses: png}, h.getRelief),
		newRoute(Read, huma.Operation{OperationID: "get-pair-view", Method: http.MethodGet, Path: "/api/pair-view",
			Summary: "The engine's registration and congruent cells (cartridge cases) or aligned land signatures and striae (bullets) of two scans",
			Tags:    tags}, h.getPairView),
		newRoute(Read, huma.Operation{OperationID: "get-candidate-pair-view", Method: http.MethodGet, Path: "/api/candidates/{id}/pair-view",
			Summary: "The pair view of a candidate: the run's query scan (A) against the candidate scan (B)",
			Tags:    tags}, h.getCandidatePairView),
	}
}

// Cache keys carry a version: bump it when a view's content changes.
const (
	surfaceCacheVersion = "v1"
	pairCacheVersion    = "v1"
)

// maxCachedBytes bounds one cached view.
const maxCachedBytes = 64 << 20

// cached returns the bytes cached under key, computing and caching them on
// a miss. Without a blob store that can receive, it computes every time.
// A cache that fails to write costs speed, not the answer.
func (h *handler) cached(ctx context.Context, key string, compute func() ([]byte, error)) ([]byte, bool, error) {
	if ref, err := h.Store.DerivedRef(ctx, key); err == nil {
		if r, perr := blob.Parse(ref); perr == nil {
			if b, err := blob.ReadAll(ctx, h.Blobs, r); err == nil {
				return b, true, nil
			}
		}
	}
	b, err := compute()
	if err != nil {
		return nil, false, err
	}
	if rc, ok := h.Blobs.(blob.Receiver); ok {
		ref, _, err := rc.Receive(ctx, bytes.NewReader(b), maxCachedBytes)
		if err == nil {
			err = h.Store.PutDerivedRef(ctx, key, ref.String())
		}
		if err != nil {
			h.Log.WarnContext(ctx, "derived view not cached", "key", key, "err", err)
		}
	}
	return b, false, nil
}

// scanSurface returns the height map shown for a scan: the processed
// surface of a cartridge case (the frame of the engine's registration), or
// the original topography (a bullet land, or a scan not processed yet).
func (h *handler) scanSurface(ctx context.Context, sc domain.Scan) (*surface.Map, string, error) {
	const op = "api.surface"
	if sc.Format.Is2D() {
		return nil, "", errs.Errorf(op, errs.Invalid, "scan %s is a 2D microscope image; it has no height map (use its relief or thumbnail)", sc.ID)
	}
	if !sc.Preprocessed.IsZero() {
		if data, err := blob.ReadAll(ctx, h.Blobs, sc.Preprocessed); err == nil {
			if m, err := ingest.DecodeSurface(data); err == nil {
				return m, "processed", nil
			}
		}
	}
	data, err := blob.ReadAll(ctx, h.Blobs, sc.Original)
	if err != nil {
		return nil, "", err
	}
	f, err := x3p.Read(bytes.NewReader(data), int64(len(data)), x3p.Options{})
	if err != nil {
		return nil, "", errs.E(op, errs.Internal, err)
	}
	if f.Surface == nil {
		return nil, "", errs.Errorf(op, errs.Invalid, "scan %s holds a point cloud, which has no height map", sc.ID)
	}
	return f.Surface, "original", nil
}

// surfaceRef names the content a scan's surface comes from, for cache keys.
func surfaceRef(sc domain.Scan) string {
	if !sc.Preprocessed.IsZero() {
		return sc.Preprocessed.String()
	}
	return sc.Original.String()
}

func (h *handler) getSurface(ctx context.Context, in *surfaceInput) (*heightMapOutput, error) {
	a := actor(ctx)
	sc, err := h.Store.Scan(ctx, a.Agency, domain.ScanID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	maxSide, enc := in.Max, in.Encoding
	if maxSide == 0 {
		maxSide = 256
	}
	if enc == "" {
		enc = "u16"
	}
	key := fmt.Sprintf("surface/%s/%s/%d/%s", surfaceCacheVersion, surfaceRef(sc), maxSide, enc)
	data, hit, err := h.cached(ctx, key, func() ([]byte, error) {
		m, source, err := h.scanSurface(ctx, sc)
		if err != nil {
			return nil, err
		}
		hm := EncodeHeightMap(m, maxSide, enc)
		hm.ScanID, hm.Source = sc.ID, source
		return json.Marshal(hm)
	})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &heightMapOutput{CacheControl: "private, max-age=86400"}
	if err := json.Unmarshal(data, &out.Body); err != nil {
		return nil, h.fail(ctx, errs.E("api.getSurface", errs.Internal, err))
	}
	out.Body.Cached = hit
	return out, nil
}

// EncodeHeightMap decimates m by block means of valid points until both
// sides are at most maxSide, and encodes it ("u16" or "f32").
func EncodeHeightMap(m *surface.Map, maxSide int, encoding string) HeightMap {
	f := max(1, (max(m.NX, m.NY)+maxSide-1)/maxSide)
	d := blockMean(m, f)
	hm := HeightMap{NX: d.NX, NY: d.NY, DX: d.DX, DY: d.DY, X0: d.X0, Y0: d.Y0, Factor: f,
		FullNX: m.NX, FullNY: m.NY, FullDX: m.DX, FullDY: m.DY, Encoding: encoding, Scale: 1}
	n := d.NX * d.NY
	zmin, zmax := math.Inf(1), math.Inf(-1)
	mask := make([]byte, (n+7)/8)
	for i, z := range d.Z {
		if !math.IsNaN(z) {
			hm.Valid++
			mask[i/8] |= 1 << (i % 8)
			zmin, zmax = math.Min(zmin, z), math.Max(zmax, z)
		}
	}
	if hm.Valid == 0 {
		zmin, zmax = 0, 0
	}
	hm.ZMin, hm.ZMax = zmin, zmax
	if hm.Valid < n {
		hm.Mask = base64.StdEncoding.EncodeToString(mask)
	}
	var raw []byte
	switch encoding {
	case "f32":
		raw = make([]byte, 4*n)
		for i, z := range d.Z {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(z)))
		}
	default:
		hm.Encoding = "u16"
		hm.Offset = zmin
		if zmax > zmin {
			hm.Scale = (zmax - zmin) / 65535
		}
		raw = make([]byte, 2*n)
		for i, z := range d.Z {
			var q uint16
			if !math.IsNaN(z) {
				q = uint16(math.Round(math.Max(0, math.Min(65535, (z-zmin)/hm.Scale))))
			}
			binary.LittleEndian.PutUint16(raw[2*i:], q)
		}
	}
	hm.Heights = base64.StdEncoding.EncodeToString(raw)
	return hm
}

// blockMean averages the valid points of every f×f block (NaN when a
// block has none). Point (0, 0) of the result sits at the centre of the
// first block.
func blockMean(m *surface.Map, f int) *surface.Map {
	if f <= 1 {
		return m
	}
	nx, ny := (m.NX+f-1)/f, (m.NY+f-1)/f
	out := surface.New(nx, ny, m.DX*float64(f), m.DY*float64(f))
	out.X0, out.Y0 = m.X0+m.DX*float64(f-1)/2, m.Y0+m.DY*float64(f-1)/2
	sum := make([]float64, nx)
	cnt := make([]int, nx)
	for by := range ny {
		clear(sum)
		clear(cnt)
		for y := by * f; y < min(m.NY, (by+1)*f); y++ {
			row := m.Z[y*m.NX : (y+1)*m.NX]
			for x, z := range row {
				if !math.IsNaN(z) {
					sum[x/f] += z
					cnt[x/f]++
				}
			}
		}
		for bx := range nx {
			if cnt[bx] > 0 {
				out.Z[by*nx+bx] = sum[bx] / float64(cnt[bx])
			}
		}
	}
	return out
}

func (h *handler) getRelief(ctx context.Context, in *reliefInput) (*pngOutput, error) {
	a := actor(ctx)
	sc, err := h.Store.Scan(ctx, a.Agency, domain.ScanID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	width := in.Width
	if width == 0 {
		width = 1024
	}
	if sc.Format.Is2D() { // a calibrated image is its own relief
		img, err := h.scanImage(ctx, sc, width)
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		var buf bytes.Buffer
		if err := render.WritePNG(&buf, img); err != nil {
			return nil, h.fail(ctx, err)
		}
		return &pngOutput{ContentType: "image/png", CacheControl: "private, max-age=86400", Body: buf.Bytes()}, nil
	}
	key := fmt.Sprintf("relief/%s/%s/%d/%s/%s/%t", surfaceCacheVersion, surfaceRef(sc), width,
		strconv.FormatFloat(in.Azimuth, 'g', 6, 64), strconv.FormatFloat(in.Elevation, 'g', 6, 64), in.Colour)
	data, _, err := h.cached(ctx, key, func() ([]byte, error) {
		m, _, err := h.scanSurface(ctx, sc)
		if err != nil {
			return nil, err
		}
		img := render.Relief(m, render.Options{Colour: in.Colour, MaxWidth: width, AzimuthDeg: in.Azimuth, ElevationDeg: in.Elevation})
		var buf bytes.Buffer
		if err := render.WritePNG(&buf, img); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &pngOutput{ContentType: "image/png", CacheControl: "private, max-age=86400", Body: data}, nil
}

// elapsedMS returns the milliseconds since start.
func elapsedMS(start time.Time) float64 { return float64(time.Since(start).Microseconds()) / 1000 }
