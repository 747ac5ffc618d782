package storetest

import (
	"testing"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// testScanFeatures: SetScanFeatures replaces stale search features with
// recomputed ones only while they are still the stale ones, refuses an
// unknown scan, another agency's scan and empty refs, and leaves the
// processed surface alone.
func testScanFeatures(t *testing.T, s *store.Store) {
	f := newFixture(t, s, "KZ")
	other := newFixture(t, s, "UZ")
	sc := f.scan(t, s, f.exhibit.ID, "a scan with old features")
	pre, stale := blob.RefOf([]byte("processed")), blob.RefOf([]byte("features v1"))
	fresh, newer := blob.RefOf([]byte("features v2")), blob.RefOf([]byte("features v3"))
	if err := s.SetScanDerived(ctx, f.agency.ID, sc.ID, pre, stale); err != nil {
		t.Fatal(err)
	}
	if err := s.SetScanFeatures(ctx, f.agency.ID, sc.ID, stale, fresh); err != nil {
		t.Fatalf("SetScanFeatures: %v", err)
	}
	got := get(s.Scan(ctx, f.agency.ID, sc.ID)).must(t)
	if got.Features != fresh || got.Preprocessed != pre {
		t.Errorf("after SetScanFeatures: features %s, processed %s; want %s, %s", got.Features, got.Preprocessed, fresh, pre)
	}
	if es := get(s.SearchEntries(ctx, "", 10)).must(t); len(es) != 1 || es[0].Features != fresh {
		t.Errorf("SearchEntries after SetScanFeatures = %+v, want the fresh features", es)
	}
	// Again (another process recomputed the same features): no error, no change.
	if err := s.SetScanFeatures(ctx, f.agency.ID, sc.ID, stale, fresh); err != nil {
		t.Errorf("SetScanFeatures repeated: %v", err)
	}
	// The features are no longer the stale ones: refused, kept.
	wantKind(t, s.SetScanFeatures(ctx, f.agency.ID, sc.ID, stale, newer), errs.Conflict, "SetScanFeatures over changed features")
	if got := get(s.Scan(ctx, f.agency.ID, sc.ID)).must(t); got.Features != fresh {
		t.Errorf("a refused SetScanFeatures changed the features to %s", got.Features)
	}
	wantKind(t, s.SetScanFeatures(ctx, f.agency.ID, domain.ScanID(f.cas.ID), fresh, newer), errs.NotFound, "SetScanFeatures of an unknown scan")
	wantKind(t, s.SetScanFeatures(ctx, other.agency.ID, sc.ID, fresh, newer), errs.NotFound, "SetScanFeatures of another agency's scan")
	wantKind(t, s.SetScanFeatures(ctx, f.agency.ID, sc.ID, blob.Ref{}, newer), errs.Invalid, "SetScanFeatures with an empty stale ref")
	wantKind(t, s.SetScanFeatures(ctx, f.agency.ID, sc.ID, fresh, blob.Ref{}), errs.Invalid, "SetScanFeatures with an empty fresh ref")
	wantKind(t, s.SetScanFeatures(ctx, f.agency.ID, "not an id", fresh, newer), errs.Invalid, "SetScanFeatures with a malformed scan id")
	if got := get(s.Scan(ctx, f.agency.ID, sc.ID)).must(t); got.Features != fresh {
		t.Errorf("refused calls changed the features to %s", got.Features)
	}
}
