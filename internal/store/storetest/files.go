package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// fileTests are the store's cases for the files an agency holds (firearm
// photos, trace request attachments).
var fileTests = []struct {
	name string
	fn   func(t *testing.T, s *store.Store)
}{
	{"Files", testFiles},
	{"FilesBadInput", testFilesBadInput},
}

func testFiles(t *testing.T, s *store.Store) {
	a := newFixture(t, s, "KZ")
	b := newFixture(t, s, "UZ")
	photo := blob.RefOf([]byte("a photo"))
	scan := blob.RefOf([]byte("a scanned letter"))
	first, created, err := s.AddFile(ctx, store.File{AgencyID: a.agency.ID, Ref: photo, Name: "Макаров.jpg",
		ContentType: "image/jpeg", Size: 7, UploadedBy: a.user.ID})
	if err != nil || !created {
		t.Fatalf("AddFile = created %v, %v; want a new row", created, err)
	}
	if first.UploadedAt.IsZero() {
		t.Error("AddFile left uploaded_at unset")
	}
	// The same file again (a retried upload, another name) is the first row.
	again, created, err := s.AddFile(ctx, store.File{AgencyID: a.agency.ID, Ref: photo, Name: "copy.jpg",
		ContentType: "image/jpeg", Size: 7})
	if err != nil || created {
		t.Fatalf("AddFile of a held file = created %v, %v; want the held row", created, err)
	}
	if !again.UploadedAt.Equal(first.UploadedAt) || again.Name != "Макаров.jpg" || again.UploadedBy != a.user.ID {
		t.Errorf("AddFile of a held file returned %+v, want %+v", again, first)
	}
	got := get(s.File(ctx, a.agency.ID, photo)).must(t)
	if got.Ref != photo || got.Name != "Макаров.jpg" || got.ContentType != "image/jpeg" || got.Size != 7 ||
		got.UploadedBy != a.user.ID || !got.UploadedAt.Equal(first.UploadedAt) {
		t.Errorf("File = %+v, want %+v", got, first)
	}
	// Another agency does not hold it until it adds it itself.
	_, err = s.File(ctx, b.agency.ID, photo)
	wantKind(t, err, errs.NotFound, "file of another agency")
	_, created, err = s.AddFile(ctx, store.File{AgencyID: b.agency.ID, Ref: photo, Name: "received", ContentType: "image/jpeg", Size: 7})
	if err != nil || !created {
		t.Fatalf("AddFile of the same blob by another agency = created %v, %v; want its own row", created, err)
	}
	if got := get(s.File(ctx, b.agency.ID, photo)).must(t); got.Name != "received" || got.UploadedBy != "" {
		t.Errorf("other agency's row = %+v", got)
	}
	// MissingFiles: in order, each once.
	missing := get(s.MissingFiles(ctx, a.agency.ID, []blob.Ref{scan, photo, scan, {}})).must(t)
	if !slices.Equal(missing, []blob.Ref{scan, {}}) {
		t.Errorf("MissingFiles = %v, want [%v, zero]", missing, scan)
	}
	if m := get(s.MissingFiles(ctx, a.agency.ID, []blob.Ref{photo})).must(t); len(m) != 0 {
		t.Errorf("MissingFiles of a held file = %v", m)
	}
	if m := get(s.MissingFiles(ctx, a.agency.ID, nil)).must(t); len(m) != 0 {
		t.Errorf("MissingFiles(nil) = %v", m)
	}
}

func testFilesBadInput(t *testing.T, s *store.Store) {
	a := newFixture(t, s, "KZ")
	other := newFixture(t, s, "UZ")
	ref := blob.RefOf([]byte("x"))
	ok := store.File{AgencyID: a.agency.ID, Ref: ref, Name: "x.png", ContentType: "image/png", Size: 1}
	bad := []struct {
		what string
		kind errs.Kind
		edit func(f *store.File)
	}{
		{"no ref", errs.Invalid, func(f *store.File) { f.Ref = blob.Ref{} }},
		{"no name", errs.Invalid, func(f *store.File) { f.Name = " " }},
		{"long name", errs.Invalid, func(f *store.File) { f.Name = strings.Repeat("x", store.MaxFileName+1) }},
		{"name not UTF-8", errs.Invalid, func(f *store.File) { f.Name = "\xff.png" }},
		{"no content type", errs.Invalid, func(f *store.File) { f.ContentType = "" }},
		{"negative size", errs.Invalid, func(f *store.File) { f.Size = -1 }},
		{"bad agency id", errs.Invalid, func(f *store.File) { f.AgencyID = "nope" }},
		{"bad user id", errs.Invalid, func(f *store.File) { f.UploadedBy = "nope" }},
		{"uploader of another agency", errs.Invalid, func(f *store.File) { f.UploadedBy = other.user.ID }},
	}
	for _, c := range bad {
		f := ok
		c.edit(&f)
		_, _, err := s.AddFile(ctx, f)
		wantKind(t, err, c.kind, c.what)
	}
	if m := get(s.MissingFiles(ctx, a.agency.ID, []blob.Ref{ref})).must(t); len(m) != 1 {
		t.Errorf("refused files were stored: missing = %v", m)
	}
	_, err := s.File(ctx, "nope", ref)
	wantKind(t, err, errs.Invalid, "File with a bad agency id")
	_, err = s.MissingFiles(ctx, "nope", []blob.Ref{ref})
	wantKind(t, err, errs.Invalid, "MissingFiles with a bad agency id")
}
