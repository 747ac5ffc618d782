package api

import (
	"bytes"
	"context"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/tracing"
)

// MaxFileBytes bounds one uploaded file (a firearm photo or a trace
// request attachment).
const MaxFileBytes = 20 << 20

// fileTypes are the content types a file may have, as sniffed from its
// first bytes (never as the client claims).
var fileTypes = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif", "application/pdf": ".pdf"}

const filesPath = "/api/files"

type uploadFileInput struct {
	Name       string `query:"name" maxLength:"1024" doc:"the file's name (default: from X-File-Name, else made from its hash)"`
	HeaderName string `header:"X-File-Name" maxLength:"1024" doc:"the file's name, percent-encoded (for clients that cannot set the query)"`
	RawBody    []byte `contentType:"application/octet-stream" doc:"the file: JPEG, PNG or TIFF image, or PDF; at most 20 MiB"`
}

// FileResult describes a stored file. Name its ref in a firearm's photos
// or a trace request's attachments.
type FileResult struct {
	Ref         blob.Ref `json:"ref"`
	Name        string   `json:"name"`
	ContentType string   `json:"content_type"`
	Size        int64    `json:"size"`
	// Created is false when the agency already held this file (same
	// SHA-256): nothing new was stored.
	Created bool `json:"created"`
}

type uploadFileOutput struct {
	Status int
	Body   FileResult
}

type fileRefInput struct {
	Ref string `path:"ref" doc:"the file's blob ref (sha256-…)"`
}

func (h *handler) fileRoutes() []route {
	return []route{
		newRoute(Write, huma.Operation{OperationID: "upload-file", Method: http.MethodPost, Path: filesPath,
			Summary: "Upload a firearm photo or a trace request attachment",
			Description: "The body is the file itself (JPEG, PNG, TIFF or PDF, at most 20 MiB; the type is read from its " +
				"first bytes). It is kept as a content-addressed blob for the caller's agency; the answer's ref is what " +
				"a firearm's photos or a trace request's attachments name. The same file uploaded again is stored once.",
			Tags: []string{"files"}, MaxBodyBytes: MaxFileBytes + 1, DefaultStatus: http.StatusCreated}, h.uploadFile),
		newRoute(Read, huma.Operation{OperationID: "get-file", Method: http.MethodGet, Path: filesPath + "/{ref}",
			Summary: "A file of the caller's agency, byte for byte", Tags: []string{"files"},
			Responses: map[string]*huma.Response{"200": {Description: "the file", Content: map[string]*huma.MediaType{"application/octet-stream": {}}}}},
			h.getFile),
	}
}

// cleanFileName makes a client's file name safe to store and to send back
// in Content-Disposition: the last path element, without control
// characters, trimmed. An empty result means "no name given".
func cleanFileName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", errs.Errorf("api.uploadFile", errs.Invalid, "file name is not UTF-8 text; send it percent-encoded")
	}
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "." || name == ".." {
		name = ""
	}
	if len(name) > store.MaxFileName {
		return "", errs.Errorf("api.uploadFile", errs.Invalid, "file name is %d bytes long; at most %d are allowed", len(name), store.MaxFileName)
	}
	return name, nil
}

func (h *handler) uploadFile(ctx context.Context, in *uploadFileInput) (*uploadFileOutput, error) {
	const op = "api.uploadFile"
	a := actor(ctx)
	raw := in.Name
	if raw == "" && in.HeaderName != "" {
		dec, err := url.PathUnescape(in.HeaderName)
		if err != nil {
			return nil, h.fail(ctx, errs.Errorf(op, errs.Invalid, "X-File-Name is not percent-encoded: %v", err))
		}
		raw = dec
	}
	name, err := cleanFileName(raw)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	switch {
	case len(in.RawBody) == 0:
		return nil, h.fail(ctx, errs.Errorf(op, errs.Invalid, "the file is empty: send its bytes as the request body"))
	case len(in.RawBody) > MaxFileBytes:
		return nil, h.fail(ctx, errs.Errorf(op, errs.TooLarge, "the file is larger than %s; reduce it (e.g. a smaller photo) and upload again", mib(MaxFileBytes)))
	}
	ct := blob.SniffType(in.RawBody)
	ext, ok := fileTypes[ct]
	if !ok {
		return nil, h.fail(ctx, errs.Errorf(op, errs.Invalid, "the file is %s; upload a JPEG, PNG or TIFF image or a PDF", ct))
	}
	recv, ok := h.Blobs.(blob.Receiver)
	if !ok {
		return nil, h.fail(ctx, errs.Errorf(op, errs.Internal, "the blob store of this node is read-only"))
	}
	ref, size, err := recv.Receive(ctx, bytes.NewReader(in.RawBody), MaxFileBytes)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if name == "" {
		name = "file-" + ref.Hex()[:12] + ext
	}
	f, created, err := h.Store.AddFile(ctx, store.File{AgencyID: a.Agency, Ref: ref, Name: name, ContentType: ct, Size: size, UploadedBy: a.User})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "file.upload", "file", ref.String(), "",
		map[string]any{"name": f.Name, "content_type": f.ContentType, "bytes": f.Size, "created": created}); err != nil {
		return nil, err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	return &uploadFileOutput{Status: status, Body: FileResult{Ref: f.Ref, Name: f.Name, ContentType: f.ContentType, Size: f.Size, Created: created}}, nil
}

func (h *handler) getFile(ctx context.Context, in *fileRefInput) (*huma.StreamResponse, error) {
	const op = "api.getFile"
	a := actor(ctx)
	ref, err := blob.Parse(in.Ref)
	if err != nil {
		return nil, h.fail(ctx, errs.Errorf(op, errs.Invalid, "file ref %q: %v", clip(in.Ref, 80), err))
	}
	f, err := h.Store.File(ctx, a.Agency, ref)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	rc, size, err := h.Blobs.Fetch(ctx, f.Ref)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if err := h.record(ctx, "file.view", "file", f.Ref.String(), "", map[string]any{"name": f.Name, "bytes": size}); err != nil {
		rc.Close()
		return nil, err
	}
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		defer rc.Close()
		// Files of the allowed types open in the browser (photos in <img>);
		// anything else (a file a peer sent) is only saved.
		ct, disposition := f.ContentType, "inline"
		if _, ok := fileTypes[ct]; !ok {
			ct, disposition = "application/octet-stream", "attachment"
		}
		hc.SetHeader("Content-Type", ct)
		hc.SetHeader("Content-Length", itoa(size))
		hc.SetHeader("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}))
		hc.SetHeader("X-Content-Type-Options", "nosniff")
		hc.SetHeader("Cache-Control", "private, max-age=300")
		hc.SetHeader("ETag", `"`+f.Ref.String()+`"`)
		hc.SetStatus(http.StatusOK)
		if _, err := copyCtx(ctx, hc.BodyWriter(), rc); err != nil {
			h.Log.WarnContext(ctx, "file download interrupted", "ref", f.Ref, "err", err)
		}
	}}, nil
}

// checkFiles refuses refs that the caller's agency holds no file for: a
// record may name only its agency's files (the federation sends them to
// peers). what names the field ("photo", "attachment").
func (h *handler) checkFiles(ctx context.Context, op, what string, refs []blob.Ref) error {
	if len(refs) == 0 {
		return nil
	}
	missing, err := h.Store.MissingFiles(ctx, actor(ctx).Agency, refs)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return errs.Errorf(op, errs.Invalid, "%s %s is not a file of your agency: upload it with POST %s first", what, missing[0], filesPath)
	}
	return nil
}

// shareTraceFiles gives the other party of a trace request between two
// agencies of this node the files attached to it (the request's and the
// answers'), once the request has left draft, so that its users can open
// them. Repeating it adds nothing. A request with another node's agency
// carries its files in the delivery instead (package federation).
func (h *handler) shareTraceFiles(ctx context.Context, t tracing.TraceRequest) error {
	if t.Status == tracing.TraceDraft || t.Requester.AgencyID == "" || t.Addressee.AgencyID == "" {
		return nil
	}
	refs := map[blob.Ref]domain.AgencyID{}
	for _, r := range t.Attachments {
		refs[r] = t.Requester.AgencyID
	}
	for _, an := range t.Answers {
		for _, r := range an.Attachments {
			if _, ok := refs[r]; !ok {
				refs[r] = t.Addressee.AgencyID
			}
		}
	}
	for ref, from := range refs {
		to := t.Addressee.AgencyID
		if from == to {
			to = t.Requester.AgencyID
		}
		f, err := h.Store.File(ctx, from, ref)
		if errs.Is(errs.NotFound, err) {
			continue // named before files were checked; nothing to share
		}
		if err != nil {
			return err
		}
		f.AgencyID, f.UploadedBy = to, ""
		if _, _, err := h.Store.AddFile(ctx, f); err != nil {
			return err
		}
	}
	return nil
}
