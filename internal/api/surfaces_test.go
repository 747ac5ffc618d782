package api_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"image/png"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/api"
	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/surface"
)

// fadulPair uploads the two Fadul fixture scans (same firearm) to exhibits
// of two cases.
func fadulPair(t testing.TB, c client, a, b []byte) (api.UploadResult, api.UploadResult) {
	t.Helper()
	ex1, ex2 := newExhibit(t, c, "C-1"), newExhibit(t, c, "C-2")
	var up1, up2 api.UploadResult
	if st := c.upload(ex1.ID, "Fadul 1-1.x3p", a, nil, &up1); st != http.StatusCreated {
		t.Fatalf("upload 1: %d", st)
	}
	if st := c.upload(ex2.ID, "Fadul 1-2.x3p", b, nil, &up2); st != http.StatusCreated {
		t.Fatalf("upload 2: %d", st)
	}
	return up1, up2
}

func decodeHeights(t *testing.T, hm api.HeightMap) []float64 {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(hm.Heights)
	if err != nil {
		t.Fatal(err)
	}
	mask, err := base64.StdEncoding.DecodeString(hm.Mask)
	if err != nil {
		t.Fatal(err)
	}
	n := hm.NX * hm.NY
	out := make([]float64, n)
	for i := range out {
		if hm.Mask != "" && mask[i/8]&(1<<(i%8)) == 0 {
			out[i] = math.NaN()
			continue
		}
		switch hm.Encoding {
		case "f32":
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		default:
			out[i] = hm.Offset + float64(binary.LittleEndian.Uint16(raw[2*i:]))*hm.Scale
		}
	}
	return out
}

// blockAt is the mean of the valid points of block (bx, by) of m.
func blockAt(m *surface.Map, f, bx, by int) float64 {
	s, n := 0.0, 0
	for y := by * f; y < min(m.NY, (by+1)*f); y++ {
		for x := bx * f; x < min(m.NX, (bx+1)*f); x++ {
			if z := m.Z[y*m.NX+x]; !math.IsNaN(z) {
				s += z
				n++
			}
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

func TestSurfaceAndPairView(t *testing.T) {
	n, srv := testNode(t, 0)
	c := user(t, n, srv.URL, "ex", domain.RoleExaminer)
	up1, up2 := fadulPair(t, c, fixture(t, "Fadul 1-1.x3p"), fixture(t, "Fadul 1-2.x3p"))
	data, err := blob.ReadAll(context.Background(), n.Blobs, up1.Scan.Preprocessed)
	if err != nil {
		t.Fatal(err)
	}
	full, err := ingest.DecodeSurface(data)
	if err != nil {
		t.Fatal(err)
	}

	for _, enc := range []string{"u16", "f32"} {
		var hm api.HeightMap
		if st := c.json(http.MethodGet, "/api/scans/"+string(up1.Scan.ID)+"/surface?max=128&encoding="+enc, nil, &hm); st != http.StatusOK {
			t.Fatalf("surface %s: %d", enc, st)
		}
		if hm.NX > 128 || hm.NY > 128 || hm.FullNX != full.NX || hm.Source != "processed" || hm.Cached {
			t.Fatalf("surface %s: %dx%d of %dx%d, source %s, cached %v", enc, hm.NX, hm.NY, hm.FullNX, hm.FullNY, hm.Source, hm.Cached)
		}
		if math.Abs(hm.DX-full.DX*float64(hm.Factor)) > 1e-9 {
			t.Errorf("spacing %g µm, want %g × %d", hm.DX, full.DX, hm.Factor)
		}
		z := decodeHeights(t, hm)
		tol := 1e-3 + hm.Scale // float32 or one quantisation step
		checked := 0
		for by := 0; by < hm.NY; by += 7 {
			for bx := 0; bx < hm.NX; bx += 5 {
				want := blockAt(full, hm.Factor, bx, by)
				got := z[by*hm.NX+bx]
				if math.IsNaN(want) != math.IsNaN(got) || !math.IsNaN(want) && math.Abs(want-got) > tol {
					t.Fatalf("%s point (%d, %d): %g µm, want %g", enc, bx, by, got, want)
				}
				checked++
			}
		}
		var again api.HeightMap
		c.json(http.MethodGet, "/api/scans/"+string(up1.Scan.ID)+"/surface?max=128&encoding="+enc, nil, &again)
		if !again.Cached || again.Heights != hm.Heights || again.Mask != hm.Mask {
			t.Errorf("second request of %s: cached %v, same content %v", enc, again.Cached, again.Heights == hm.Heights)
		}
	}

	resp := c.raw(http.MethodGet, "/api/scans/"+string(up1.Scan.ID)+"/relief?width=200&azimuth=90", nil, "")
	img, err := png.Decode(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || img.Bounds().Dx() > 200 {
		t.Fatalf("relief: %d %v", resp.StatusCode, err)
	}

	var v api.PairView
	path := "/api/pair-view?a=" + string(up1.Scan.ID) + "&b=" + string(up2.Scan.ID)
	if st := c.json(http.MethodGet, path, nil, &v); st != http.StatusOK || v.Kind != "cartridge" || v.Cartridge == nil {
		t.Fatalf("pair view: %d %+v", st, v)
	}
	congruent := 0
	for _, cell := range v.Cartridge.Cells {
		if cell.Congruent {
			congruent++
		}
		if cell.XUM < 0 || cell.XUM >= float64(full.NX)*full.DX || cell.WUM <= 0 {
			t.Errorf("cell %+v lies outside scan A (%g µm wide)", cell, float64(full.NX)*full.DX)
		}
	}
	if congruent == 0 || congruent > v.Cartridge.CellsCompared || v.A.CaseNumber != "C-1" || v.B.CaseNumber != "C-2" {
		t.Errorf("pair view of a same-source pair: %d congruent of %d cells, CMC %d, cases %s/%s",
			congruent, v.Cartridge.CellsCompared, v.Cartridge.CMCHigh, v.A.CaseNumber, v.B.CaseNumber)
	}
	t.Logf("pair view: %d cells, %d congruent, registration %+v, %.0f ms", v.Cartridge.CellsCompared, congruent, v.Cartridge.Registration, v.ElapsedMS)
	var cached api.PairView
	c.json(http.MethodGet, path, nil, &cached)
	if !cached.Cached || len(cached.Cartridge.Cells) != len(v.Cartridge.Cells) || cached.Cartridge.Registration != v.Cartridge.Registration {
		t.Errorf("second pair view: cached %v", cached.Cached)
	}

	var p problem
	if st := c.json(http.MethodGet, "/api/pair-view?a="+string(up1.Scan.ID)+"&b="+string(up1.Scan.ID), nil, &p); st != http.StatusUnprocessableEntity {
		t.Errorf("pair view of one scan with itself: %d %q", st, p.Detail)
	}
	if st := c.json(http.MethodGet, "/api/candidates/0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6b/pair-view", nil, &p); st != http.StatusNotFound {
		t.Errorf("pair view of a deleted candidate: %d %q", st, p.Detail)
	}
	if st := c.json(http.MethodGet, "/api/scans/0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6b/surface", nil, &p); st != http.StatusNotFound {
		t.Errorf("surface of a missing scan: %d %q", st, p.Detail)
	}
}

// BenchmarkWorkstationViews measures what the comparison view of a Fadul
// pair loads: the pair view and both height maps (512², u16). The first
// round is cold (engine comparison, decimation; reported as cold-ms), the
// timed rounds are warm (derived-view cache).
func BenchmarkWorkstationViews(b *testing.B) {
	n, srv := benchNode(b)
	c := user(b, n, srv.URL, "ex", domain.RoleExaminer)
	a, err := os.ReadFile(filepath.Join("..", "x3p", "testdata", "Fadul 1-1.x3p"))
	if err != nil {
		b.Skip(err)
	}
	bb, err := os.ReadFile(filepath.Join("..", "x3p", "testdata", "Fadul 1-2.x3p"))
	if err != nil {
		b.Skip(err)
	}
	up1, up2 := fadulPair(b, c, a, bb)
	get := func(path string) {
		resp := c.raw(http.MethodGet, path, nil, "")
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
	views := []string{"/api/pair-view?a=" + string(up1.Scan.ID) + "&b=" + string(up2.Scan.ID),
		"/api/scans/" + string(up1.Scan.ID) + "/surface?max=512", "/api/scans/" + string(up2.Scan.ID) + "/surface?max=512"}
	start := time.Now()
	get(views[0])
	coldPair := time.Since(start)
	get(views[1])
	get(views[2])
	coldSurfaces := time.Since(start) - coldPair
	b.ResetTimer()
	for range b.N {
		for _, v := range views {
			get(v)
		}
	}
	b.ReportMetric(float64(coldPair.Milliseconds()), "cold-pair-ms")
	b.ReportMetric(float64(coldSurfaces.Milliseconds()), "cold-2surfaces-ms")
}

// benchNode is testNode for benchmarks.
func benchNode(b *testing.B) (*server.Node, *httptest.Server) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := server.Open(ctx, server.Config{DataDir: b.TempDir(), NATSListen: "off", K: 5,
		Auth: auth.Config{Params: fastHash, IPRate: 1000, IPBurst: 1000, UserRate: 1000, UserBurst: 1000},
		Log:  slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler())
	b.Cleanup(func() { srv.Close(); n.Close() })
	return n, srv
}
