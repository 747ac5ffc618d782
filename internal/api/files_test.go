package api_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/api"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/tracing"
)

func filePNG(t testing.TB, shade uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	img.Set(0, 0, color.Gray{Y: shade ^ 0xff})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (c client) uploadFile(name string, data []byte, out any) int {
	c.t.Helper()
	return c.do(http.MethodPost, "/api/files?name="+url.QueryEscape(name), bytes.NewReader(data), "application/octet-stream", out)
}

// TestFiles: upload, download, the agency scope, refused files, and
// firearm photos and trace request attachments that must be files of the
// agency (issue #8: a record naming another agency's blob would have the
// federation ship it).
func TestFiles(t *testing.T) {
	n, srv := testNode(t, 0)
	ctx := context.Background()
	other, err := n.Store.CreateAgency(ctx, domain.Agency{Code: "UZ-MFC", Name: "Main forensic centre", Country: "UZ"})
	if err != nil {
		t.Fatal(err)
	}
	ex := user(t, n, srv.URL, "examiner", domain.RoleExaminer)
	inv := user(t, n, srv.URL, "investigator", domain.RoleInvestigator)
	newUser(t, n, other.ID, "uz-examiner", domain.RoleExaminer)
	uz := signIn(t, srv.URL, "uz-examiner")

	photo := filePNG(t, 40)
	var up api.FileResult
	if st := ex.uploadFile(`C:\photos\Макаров ПМ.png`, photo, &up); st != http.StatusCreated {
		t.Fatalf("upload: %d", st)
	}
	if up.Ref != blob.RefOf(photo) || up.Name != "Макаров ПМ.png" || up.ContentType != "image/png" || up.Size != int64(len(photo)) || !up.Created {
		t.Errorf("upload = %+v", up)
	}
	var again api.FileResult
	if st := ex.uploadFile("again.png", photo, &again); st != http.StatusOK || again.Created || again.Name != up.Name {
		t.Errorf("same file again: %d %+v, want 200 with the first row", st, again)
	}
	// An investigator reads; only the agency's users get the file.
	resp := inv.raw(http.MethodGet, "/api/files/"+up.Ref.String(), nil, "")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, photo) || resp.Header.Get("Content-Type") != "image/png" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "inline") {
		t.Errorf("download: %d %q %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), len(body))
	}
	if st := uz.do(http.MethodGet, "/api/files/"+up.Ref.String(), nil, "", nil); st != http.StatusNotFound {
		t.Errorf("another agency downloading: %d, want 404", st)
	}
	if st := inv.uploadFile("x.png", filePNG(t, 1), nil); st != http.StatusForbidden {
		t.Errorf("investigator uploading: %d, want 403", st)
	}
	if st := ex.do(http.MethodGet, "/api/files/not-a-ref", nil, "", nil); st != http.StatusUnprocessableEntity {
		t.Errorf("bad ref: %d, want 422", st)
	}
	if st := ex.do(http.MethodGet, "/api/files/"+blob.RefOf([]byte("never uploaded")).String(), nil, "", nil); st != http.StatusNotFound {
		t.Errorf("unknown ref: %d, want 404", st)
	}

	// Refused files store nothing.
	exe := append([]byte("MZ\x90\x00"), bytes.Repeat([]byte{0}, 100)...)
	html := []byte("<html><script>alert(1)</script></html>")
	big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), api.MaxFileBytes)...)
	for _, c := range []struct {
		what string
		data []byte
		want int
	}{
		{"a program", exe, http.StatusUnprocessableEntity},
		{"HTML", html, http.StatusUnprocessableEntity},
		{"empty", nil, http.StatusBadRequest},
		{"too big", big, http.StatusRequestEntityTooLarge},
	} {
		var p problem
		if st := ex.uploadFile("f", c.data, &p); st != c.want {
			t.Errorf("%s: %d %q, want %d", c.what, st, p.Detail, c.want)
		}
		if _, _, err := n.Blobs.Fetch(ctx, blob.RefOf(c.data)); err == nil && len(c.data) > 0 {
			t.Errorf("%s: refused, yet its blob was stored", c.what)
		}
		if st := ex.do(http.MethodGet, "/api/files/"+blob.RefOf(c.data).String(), nil, "", nil); st != http.StatusNotFound {
			t.Errorf("%s: refused, yet served: %d", c.what, st)
		}
	}
	// PDF and TIFF are allowed; the name defaults to one made from the hash.
	for _, c := range []struct{ data, ct string }{{"%PDF-1.4\n%%EOF\n", "application/pdf"}, {"II*\x00\x08\x00\x00\x00", "image/tiff"}} {
		var r api.FileResult
		if st := ex.uploadFile("", []byte(c.data), &r); st != http.StatusCreated || r.ContentType != c.ct || !strings.HasPrefix(r.Name, "file-") {
			t.Errorf("upload %s: %d %+v", c.ct, st, r)
		}
	}

	// Photos of a firearm: a file of the agency, or refused with the way out.
	foreign := filePNG(t, 200)
	var uzFile api.FileResult
	if st := uz.uploadFile("uz.png", foreign, &uzFile); st != http.StatusCreated {
		t.Fatalf("UZ upload: %d", st)
	}
	in := api.FirearmInput{Make: "Izhevsk", Model: "PM", Type: tracing.TypePistol, Calibre: "9x18mm", SerialNumber: "AB 1", Photos: []blob.Ref{uzFile.Ref}}
	var p problem
	if st := ex.json(http.MethodPost, "/api/firearms", in, &p); st != http.StatusUnprocessableEntity ||
		!strings.Contains(p.Detail, uzFile.Ref.String()) || !strings.Contains(p.Detail, "POST /api/files") {
		t.Errorf("firearm with another agency's file: %d %q", st, p.Detail)
	}
	in.Photos = []blob.Ref{up.Ref}
	var f tracing.Firearm
	if st := ex.json(http.MethodPost, "/api/firearms", in, &f); st != http.StatusCreated || len(f.Photos) != 1 {
		t.Fatalf("firearm with its photo: %d %+v", st, f.Photos)
	}
	in.Photos = []blob.Ref{up.Ref, uzFile.Ref}
	if st := ex.json(http.MethodPut, "/api/firearms/"+string(f.ID), in, &p); st != http.StatusUnprocessableEntity || !strings.Contains(p.Detail, uzFile.Ref.String()) {
		t.Errorf("update adding another agency's file: %d %q", st, p.Detail)
	}
	if got, _ := n.Store.Firearm(ctx, n.Agency.ID, f.ID); len(got.Photos) != 1 {
		t.Errorf("refused update changed the photos: %v", got.Photos)
	}

	// Trace requests between two agencies of this node (each with a country).
	kz, err := n.Store.CreateAgency(ctx, domain.Agency{Code: "KZ-MIA", Name: "Forensic centre", Country: "KZ"})
	if err != nil {
		t.Fatal(err)
	}
	newUser(t, n, kz.ID, "liaison", domain.RoleLiaison)
	kzl := signIn(t, srv.URL, "liaison")
	newUser(t, n, other.ID, "uz-liaison", domain.RoleLiaison)
	uzl := signIn(t, srv.URL, "uz-liaison")
	letter := []byte("%PDF-1.4\nrequest letter\n%%EOF\n")
	var att api.FileResult
	if st := kzl.uploadFile("letter.pdf", letter, &att); st != http.StatusCreated {
		t.Fatalf("liaison upload: %d", st)
	}
	tr := api.TraceRequestInput{Addressee: tracing.Party{AgencyID: other.ID}, Firearm: &tracing.Firearm{Make: "Izhevsk", Model: "PM", Type: tracing.TypePistol, SerialNumber: "AB 1"},
		Reason: "r", LegalBasis: "ITI", Send: true, Attachments: []blob.Ref{uzFile.Ref}}
	if st := kzl.json(http.MethodPost, "/api/trace-requests", tr, &p); st != http.StatusUnprocessableEntity || !strings.Contains(p.Detail, "attachment "+uzFile.Ref.String()) {
		t.Errorf("trace request attaching another agency's file: %d %q", st, p.Detail)
	}
	tr.Attachments = []blob.Ref{att.Ref}
	var req tracing.TraceRequest
	if st := kzl.json(http.MethodPost, "/api/trace-requests", tr, &req); st != http.StatusCreated {
		t.Fatalf("trace request with its letter: %d", st)
	}
	// The addressee can open the letter once the request is sent.
	if st := uzl.do(http.MethodGet, "/api/files/"+att.Ref.String(), nil, "", nil); st != http.StatusOK {
		t.Errorf("addressee opening the request's attachment: %d", st)
	}
	answer := map[string]any{"text": "sold in 1996", "attachments": []blob.Ref{up.Ref}}
	if st := uzl.json(http.MethodPost, "/api/trace-requests/"+string(req.ID)+"/answers", answer, &p); st != http.StatusUnprocessableEntity || !strings.Contains(p.Detail, up.Ref.String()) {
		t.Errorf("answer attaching the requester's photo (not a UZ file): %d %q", st, p.Detail)
	}
	answer["attachments"] = []blob.Ref{uzFile.Ref}
	if st := uzl.json(http.MethodPost, "/api/trace-requests/"+string(req.ID)+"/answers", answer, &req); st != http.StatusOK || len(req.Answers) != 1 {
		t.Fatalf("answer with a UZ file: %d", st)
	}
	if st := kzl.do(http.MethodGet, "/api/files/"+uzFile.Ref.String(), nil, "", nil); st != http.StatusOK {
		t.Errorf("requester opening the answer's attachment: %d", st)
	}
}
