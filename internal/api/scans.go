package api

import (
	"bytes"
	"context"
	"image"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"golang.org/x/image/draw"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/render"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/x3p"
)

// UploadForm is the multipart form of a scan upload.
type UploadForm struct {
	File       huma.FormFile `form:"file" required:"true" doc:"the X3P topography or the PNG/TIFF/JPEG image"`
	Kind       string        `form:"kind" required:"false" enum:"cartridge,bullet-land,image," doc:"how to process the file (default: from the exhibit)"`
	UMPerPixel float64       `form:"um_per_pixel" required:"false" minimum:"0" doc:"calibration of a 2D image, µm per pixel"`
	Instrument string        `form:"instrument" required:"false" maxLength:"512" doc:"overrides the instrument named in the file"`
	AcquiredAt string        `form:"acquired_at" required:"false" doc:"when the scan was made (RFC 3339)"`
}

type uploadInput struct {
	ID      string `path:"id" doc:"exhibit ID"`
	RawBody huma.MultipartFormFiles[UploadForm]
}

// UploadResult reports an upload.
type UploadResult struct {
	Scan domain.Scan `json:"scan"`
	// Created is false when the agency already held this file (same
	// SHA-256): nothing new was stored.
	Created bool                   `json:"created"`
	Run     *domain.CorrelationRun `json:"run,omitempty" doc:"the correlation run queued for the scan"`
	Elapsed float64                `json:"elapsed_ms"`
}

type uploadOutput struct {
	Status int
	Body   UploadResult
}

type scansOutput struct {
	Body struct {
		Items      []domain.Scan `json:"items"`
		NextCursor string        `json:"next_cursor,omitempty"`
	}
}

type listScansInput struct {
	ID string `path:"id" doc:"exhibit ID"`
	pageInput
}

type scanIDInput struct {
	ID string `path:"id" doc:"scan ID"`
}

type scanOutput struct {
	Body domain.Scan
}

type thumbnailInput struct {
	ID    string `path:"id" doc:"scan ID"`
	Width int    `query:"width" minimum:"16" maximum:"2048" default:"320" doc:"image width in pixels"`
}

type pngOutput struct {
	ContentType  string `header:"Content-Type"`
	CacheControl string `header:"Cache-Control"`
	Body         []byte
}

const uploadPathSuffix = "/scans"

func isUploadPath(p string) bool {
	return strings.HasPrefix(p, "/api/exhibits/") && strings.HasSuffix(p, uploadPathSuffix) || p == "/api/search" ||
		p == "/api/exchange/import" || p == "/api/exchange/verify" || // bundles, up to the upload limit
		p == filesPath // photos and attachments, bounded again at MaxFileBytes
}

func (h *handler) scanRoutes() []route {
	return []route{
		newRoute(Read, huma.Operation{OperationID: "list-scans", Method: http.MethodGet, Path: "/api/exhibits/{id}/scans",
			Summary: "List the scans of an exhibit", Tags: []string{"scans"}}, h.listScans),
		newRoute(Write, huma.Operation{OperationID: "upload-scan", Method: http.MethodPost, Path: "/api/exhibits/{id}/scans",
			Summary: "Upload a scan of an exhibit (X3P, or a calibrated PNG/TIFF/JPEG)",
			Description: "The file is validated (refused with the reason, nothing stored), kept byte for byte, " +
				"processed once, and correlated in the background. The same file uploaded again returns the stored scan.",
			Tags: []string{"scans"}, MaxBodyBytes: -1}, h.uploadScan),
		newRoute(Read, huma.Operation{OperationID: "get-scan", Method: http.MethodGet, Path: "/api/scans/{id}",
			Summary: "A scan's record", Tags: []string{"scans"}}, h.getScan),
		newRoute(Read, huma.Operation{OperationID: "download-scan", Method: http.MethodGet, Path: "/api/scans/{id}/original",
			Summary: "The original file, byte for byte", Tags: []string{"scans"},
			Responses: map[string]*huma.Response{"200": {Description: "the original file", Content: map[string]*huma.MediaType{"application/octet-stream": {}}}}},
			h.downloadScan),
		newRoute(Read, huma.Operation{OperationID: "scan-thumbnail", Method: http.MethodGet, Path: "/api/scans/{id}/thumbnail",
			Summary: "A shaded-relief PNG of the scan", Tags: []string{"scans"},
			Responses: map[string]*huma.Response{"200": {Description: "PNG image", Content: map[string]*huma.MediaType{"image/png": {}}}}},
			h.thumbnail),
	}
}

func (h *handler) listScans(ctx context.Context, in *listScansInput) (*scansOutput, error) {
	a := actor(ctx)
	ex, err := h.Store.Exhibit(ctx, a.Agency, domain.ExhibitID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	items, next, err := h.Store.ListScans(ctx, a.Agency, ex.ID, store.Page{Limit: in.Limit, Cursor: in.Cursor})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "scan.list", "exhibit", string(ex.ID), ex.CaseID, nil); err != nil {
		return nil, err
	}
	out := &scansOutput{}
	out.Body.Items, out.Body.NextCursor = nonNil(items), next
	return out, nil
}

func (h *handler) uploadScan(ctx context.Context, in *uploadInput) (*uploadOutput, error) {
	a := actor(ctx)
	if in.RawBody.Form != nil {
		defer in.RawBody.Form.RemoveAll()
	}
	form := in.RawBody.Data()
	if form == nil || !form.File.IsSet {
		return nil, huma.Error422UnprocessableEntity("the form needs a file field")
	}
	defer form.File.Close()
	kind, err := ingest.ParseKind(form.Kind)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	var acquired time.Time
	if form.AcquiredAt != "" {
		if acquired, err = time.Parse(time.RFC3339, form.AcquiredAt); err != nil {
			return nil, huma.Error422UnprocessableEntity("acquired_at " + form.AcquiredAt + " is not an RFC 3339 time such as 2026-11-27T09:30:00Z")
		}
	}
	ex, err := h.Store.Exhibit(ctx, a.Agency, domain.ExhibitID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	name := baseName(form.File.Filename)
	res, err := h.Ingest.Ingest(ctx, ingest.Request{Agency: a.Agency, Actor: a.User, Exhibit: ex.ID,
		Kind: kind, Name: name, UMPerPixel: form.UMPerPixel, Instrument: form.Instrument,
		AcquiredAt: acquired, Body: form.File})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.recordScanned(ctx, ex, res); err != nil {
		return nil, err
	}
	out := &uploadOutput{Status: http.StatusCreated, Body: UploadResult{Scan: res.Scan, Created: res.Created, Run: res.Run, Elapsed: res.ElapsedMS}}
	if !res.Created {
		out.Status = http.StatusOK
	}
	return out, nil
}

func (h *handler) getScan(ctx context.Context, in *scanIDInput) (*scanOutput, error) {
	a := actor(ctx)
	sc, err := h.Store.Scan(ctx, a.Agency, domain.ScanID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "scan.view", "scan", string(sc.ID), h.caseOf(ctx, sc.ExhibitID), nil); err != nil {
		return nil, err
	}
	return &scanOutput{Body: sc}, nil
}

var contentTypes = map[domain.ScanFormat]string{
	domain.FormatX3P: "application/x-x3p+zip", domain.FormatPNG: "image/png",
	domain.FormatTIFF: "image/tiff", domain.FormatJPEG: "image/jpeg",
}

func (h *handler) downloadScan(ctx context.Context, in *scanIDInput) (*huma.StreamResponse, error) {
	a := actor(ctx)
	sc, err := h.Store.Scan(ctx, a.Agency, domain.ScanID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	rc, size, err := h.Blobs.Fetch(ctx, sc.Original)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "scan.export", "scan", string(sc.ID), h.caseOf(ctx, sc.ExhibitID),
		map[string]any{"sha256": sc.Original.String(), "bytes": size}); err != nil {
		rc.Close()
		return nil, err
	}
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		defer rc.Close()
		name := sc.OriginalName
		if name == "" {
			name = string(sc.ID) + "." + string(sc.Format)
		}
		hc.SetHeader("Content-Type", contentTypes[sc.Format])
		hc.SetHeader("Content-Length", itoa(size))
		hc.SetHeader("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		hc.SetHeader("ETag", `"`+sc.Original.String()+`"`)
		hc.SetStatus(http.StatusOK)
		if _, err := copyCtx(ctx, hc.BodyWriter(), rc); err != nil {
			h.Log.WarnContext(ctx, "download interrupted", "scan", sc.ID, "err", err)
		}
	}}, nil
}

func (h *handler) thumbnail(ctx context.Context, in *thumbnailInput) (*pngOutput, error) {
	a := actor(ctx)
	sc, err := h.Store.Scan(ctx, a.Agency, domain.ScanID(in.ID))
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	width := in.Width
	if width == 0 {
		width = 320
	}
	img, err := h.scanImage(ctx, sc, width)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	var buf bytes.Buffer
	if err := render.WritePNG(&buf, img); err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "scan.image", "scan", string(sc.ID), h.caseOf(ctx, sc.ExhibitID), map[string]any{"width": width}); err != nil {
		return nil, err
	}
	return &pngOutput{ContentType: "image/png", CacheControl: "private, max-age=86400", Body: buf.Bytes()}, nil
}

// scanImage renders a scan at most width pixels wide: the processed surface
// of a cartridge case, the original topography of a land, or the image.
func (h *handler) scanImage(ctx context.Context, sc domain.Scan, width int) (image.Image, error) {
	const op = "api.thumbnail"
	if sc.Format.Is2D() {
		data, err := blob.ReadAll(ctx, h.Blobs, sc.Original)
		if err != nil {
			return nil, err
		}
		src, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, errs.E(op, errs.Internal, err)
		}
		b := src.Bounds()
		w := min(width, b.Dx())
		hgt := max(1, b.Dy()*w/max(1, b.Dx()))
		dst := image.NewNRGBA(image.Rect(0, 0, w, hgt))
		draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
		return dst, nil
	}
	var m *surface.Map
	if !sc.Preprocessed.IsZero() {
		if data, err := blob.ReadAll(ctx, h.Blobs, sc.Preprocessed); err == nil {
			m, _ = ingest.DecodeSurface(data) // a land's derived blob is not a surface: fall back to the original
		}
	}
	if m == nil {
		data, err := blob.ReadAll(ctx, h.Blobs, sc.Original)
		if err != nil {
			return nil, err
		}
		f, err := x3p.Read(bytes.NewReader(data), int64(len(data)), x3p.Options{})
		if err != nil {
			return nil, errs.E(op, errs.Internal, err)
		}
		if f.Surface == nil {
			return nil, errs.Errorf(op, errs.Invalid, "scan %s holds a point cloud, which has no relief image", sc.ID)
		}
		m = f.Surface
	}
	return render.Relief(m, render.Options{Colour: true, MaxWidth: width}), nil
}

// recordScanned records an upload: for a new scan, the custody event
// "scanned" with the file's SHA-256 and the reader's warnings (X3P
// checksums among them), which is also its audit entry; for a file the
// agency held already, an audit entry naming the stored scan.
func (h *handler) recordScanned(ctx context.Context, ex domain.Exhibit, res *ingest.Result) error {
	sc := res.Scan
	if !res.Created {
		return h.record(ctx, "scan.upload", "scan", string(sc.ID), ex.CaseID, map[string]any{"created": false, "sha256": sc.Original.String()})
	}
	a := actor(ctx)
	notes := "uploaded as " + sc.OriginalName
	if sc.Instrument != "" {
		notes += "; instrument " + sc.Instrument
	}
	at := sc.AcquiredAt
	if at.IsZero() {
		at = sc.CreatedAt
	}
	if at.IsZero() {
		at = time.Now()
	}
	if _, err := h.Audit.AddCustody(ctx, a.AuditName(), string(ex.CaseID), store.CustodyEvent{Agency: a.Agency, Exhibit: ex.ID,
		Kind: store.CustodyScanned, At: at.UTC(), By: a.User, Notes: clip(notes, 4000), Scan: sc.ID,
		ScanHashes: []string{sc.Original.String()}, Warnings: sc.Warnings}); err != nil {
		return h.fail(ctx, err)
	}
	requestOf(ctx).audited = true
	return nil
}

// caseOf returns the case of an exhibit of the actor's agency ("" if it
// cannot be read: the audit entry then lacks only the case).
func (h *handler) caseOf(ctx context.Context, id domain.ExhibitID) domain.CaseID {
	ex, err := h.Store.Exhibit(ctx, actor(ctx).Agency, id)
	if err != nil {
		return ""
	}
	return ex.CaseID
}

// baseName keeps only the last element of an uploaded file name, whatever
// the client's path separator: the name is shown to people and offered
// back in downloads, never used as a path, but it must not look like one.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." || name == ".." {
		return "upload"
	}
	return name
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// copyCtx copies until done or ctx is cancelled.
func copyCtx(ctx context.Context, w io.Writer, r io.Reader) (int64, error) {
	return io.Copy(w, blob.ContextReader(ctx, r))
}
