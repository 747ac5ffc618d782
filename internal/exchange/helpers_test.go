package exchange

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"math"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/blob/memory"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/tracing"
	"github.com/tracemark/tracemark/internal/x3p"
)

var (
	exportTime = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	importTime = exportTime.Add(time.Hour)
)

// fixedKey returns a deterministic key so that generated bundles (and the
// fuzz seeds made from them) verify.
func fixedKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func kzIdentity(t testing.TB) *Identity {
	id, err := NewIdentity(NodeInfo{Node: "kz-mia-almaty", AgencyID: "0196a000-0000-7000-8000-000000000001", Agency: "KZ-MIA-ALA", Country: "KZ"}, fixedKey(1))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func trusting(ids ...*Identity) TrustStore {
	var ts TrustStore
	for _, id := range ids {
		if _, err := ts.Add(id.NodeInfo, id.PublicKey(), exportTime.Add(-time.Hour)); err != nil {
			panic(err)
		}
	}
	return ts
}

// makeX3P writes a small real X3P file whose heights depend on k.
func makeX3P(t testing.TB, k int) []byte {
	m := surface.New(24, 16, 3.125, 3.125)
	for r := 0; r < m.NY; r++ {
		for c := 0; c < m.NX; c++ {
			m.Set(c, r, math.Sin(float64(c*k+r))*2)
		}
	}
	var buf bytes.Buffer
	if err := x3p.Write(&buf, x3p.New(m)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sampleContents returns one case, n exhibits each with one X3P scan, and
// one firearm, with the originals stored in a memory blob store.
func sampleContents(t testing.TB, n int) (Contents, *memory.Storage) {
	var g domain.IDGen
	g.Now = func() time.Time { return exportTime }
	agency := domain.AgencyID("0196a000-0000-7000-8000-000000000001")
	store := memory.New()
	cs := domain.Case{ID: domain.CaseID(g.New()), AgencyID: agency, Number: "KZ-2026-17", Status: domain.CaseOpen, CreatedAt: exportTime, UpdatedAt: exportTime}
	c := Contents{Cases: []domain.Case{cs}}
	for i := range n {
		e := domain.Exhibit{ID: domain.ExhibitID(g.New()), AgencyID: agency, CaseID: cs.ID, Label: "E" + string(rune('1'+i%9)) + string(rune('a'+i/9)),
			Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene, CreatedAt: exportTime, UpdatedAt: exportTime}
		data := makeX3P(t, i+1)
		ref, size, err := store.Receive(context.Background(), bytes.NewReader(data), 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		s := domain.Scan{ID: domain.ScanID(g.New()), AgencyID: agency, ExhibitID: e.ID, Original: ref, Size: size, Format: domain.FormatX3P, CreatedAt: exportTime}
		c.Exhibits = append(c.Exhibits, e)
		c.Scans = append(c.Scans, s)
	}
	c.Firearms = []tracing.Firearm{{
		ID: tracing.FirearmID(g.New()), AgencyID: agency, Make: "Izhevsk", Model: "Makarov PM", Type: tracing.TypePistol,
		SerialNumber: "КМ 1234", Status: tracing.StatusSeized, CaseID: cs.ID, CreatedAt: exportTime, UpdatedAt: exportTime,
	}}
	return c, store
}

func exportBundle(t testing.TB, id *Identity, c Contents, store blob.Fetcher) []byte {
	var buf bytes.Buffer
	if _, err := Export(context.Background(), &buf, id, c, store, ExportOptions{Now: exportTime, BundleID: "0196a000-0000-7000-8000-0000000000b1"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rezip rebuilds a bundle, letting edit change, drop (return nil) or keep
// each member, and appending extra members.
func rezip(t testing.TB, b []byte, edit func(name string, data []byte) []byte, extra map[string][]byte) []byte {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	write := func(name string, data []byte) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		if edit != nil {
			data = edit(f.Name, data)
		}
		if data != nil {
			write(f.Name, data)
		}
	}
	for name, data := range extra {
		write(name, data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
