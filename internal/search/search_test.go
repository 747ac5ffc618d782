package search

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tracemark/tracemark/internal/surface"
	"github.com/tracemark/tracemark/internal/synth"
)

func TestClassCompatible(t *testing.T) {
	tests := []struct {
		name string
		a, b Class
		want bool
	}{
		{"all unknown", Class{}, Class{}, true},
		{"kind differs", Class{Kind: KindCartridge}, Class{Kind: KindBullet}, false},
		{"kind unknown on one side", Class{Kind: KindCartridge}, Class{}, true},
		{"calibre case and spaces", Class{Calibre: "9mm Luger"}, Class{Calibre: " 9MM  luger"}, true},
		{"calibre differs", Class{Calibre: "9mm Luger"}, Class{Calibre: ".45 ACP"}, false},
		{"calibre unknown", Class{Calibre: "9mm Luger"}, Class{FiringPin: "hemispherical"}, true},
		{"firing pin differs", Class{FiringPin: "hemispherical"}, Class{FiringPin: "rectangular"}, false},
		{"breech face differs", Class{BreechFace: "granular"}, Class{BreechFace: "arched"}, false},
		{"ejector differs", Class{EjectorClock: 3}, Class{EjectorClock: 9}, false},
		{"ejector unknown", Class{EjectorClock: 3}, Class{}, true},
		{"lands differ", Class{Lands: 6}, Class{Lands: 5}, false},
		{"twist differs", Class{Twist: "right"}, Class{Twist: "left"}, false},
		{"land width within 10 %", Class{LandWidthUM: 2000}, Class{LandWidthUM: 2190}, true},
		{"land width beyond 10 %", Class{LandWidthUM: 2000}, Class{LandWidthUM: 2250}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Compatible(tc.b); got != tc.want {
				t.Errorf("Compatible = %v, want %v", got, tc.want)
			}
			if got := tc.b.Compatible(tc.a); got != tc.want {
				t.Errorf("not symmetric: reversed = %v", got)
			}
		})
	}
}

// randomCartridge returns valid cartridge features with random content: a
// disc of white noise, and random polar harmonics (not those of the disc:
// withPolar computes them).
func randomCartridge(r *rand.Rand) *Features {
	f := &Features{Kind: KindCartridge, Map: make([]int8, MapSize*MapSize), MapScale: 0.05, Polar: make([]int8, PolarLen)}
	for y := range MapSize {
		for x := range MapSize {
			if dx, dy := x-MapSize/2, y-MapSize/2; dx*dx+dy*dy < 50*50 {
				f.Map[y*MapSize+x] = int8(max(-127, min(127, 30*r.NormFloat64())))
			}
		}
	}
	for i := range f.Polar {
		f.Polar[i] = int8(max(-127, min(127, 16*r.NormFloat64())))
	}
	return f
}

// withPolar sets f's polar harmonics to those the Signer computes from its
// map read as a 25 µm surface (zero = missing).
func withPolar(t testing.TB, f *Features) *Features {
	t.Helper()
	m := surface.New(MapSize, MapSize, MapSpacingUM, MapSpacingUM)
	for i, v := range f.Map {
		m.Z[i] = float64(v) * float64(f.MapScale)
		if v == 0 {
			m.Z[i] = math.NaN()
		}
	}
	g, err := NewSigner().Cartridge(m)
	if err != nil {
		t.Fatal(err)
	}
	f.Polar = g.Polar
	return f
}

func TestFeaturesRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	bf := &Features{Kind: KindBullet, Lands: [][]float32{make([]float32, LandDim), nil, make([]float32, LandDim)}}
	for _, l := range bf.Lands {
		for i := range l {
			l[i] = float32(r.NormFloat64())
		}
	}
	for _, f := range []*Features{randomCartridge(r), bf} {
		b, err := f.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var g Features
		if err := g.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		b2, _ := g.MarshalBinary()
		if !bytes.Equal(b, b2) {
			t.Errorf("%s: round trip changed the blob", f.Kind)
		}
		if f.Kind == KindBullet && g.Lands[1] != nil {
			t.Error("missing land came back")
		}
		// Every truncation is refused.
		for n := range len(b) {
			if err := new(Features).UnmarshalBinary(b[:n]); !errors.Is(err, ErrFormat) {
				t.Fatalf("%s truncated to %d bytes: err %v", f.Kind, n, err)
			}
		}
	}
	for _, sc := range []float32{float32(math.NaN()), 0, -1, float32(math.Inf(1))} {
		bad := &Features{Kind: KindCartridge, Map: make([]int8, MapSize*MapSize), MapScale: sc, Polar: make([]int8, PolarLen)}
		if _, err := bad.MarshalBinary(); err == nil {
			t.Errorf("map scale %g encoded", sc)
		}
	}
	if _, err := (&Features{Kind: KindCartridge, Map: make([]int8, 10), MapScale: 1, Polar: make([]int8, PolarLen)}).MarshalBinary(); err == nil {
		t.Error("short map encoded")
	}
	if _, err := (&Features{Kind: KindCartridge, Map: make([]int8, MapSize*MapSize), MapScale: 1, Polar: make([]int8, 10)}).MarshalBinary(); err == nil {
		t.Error("short polar harmonics encoded")
	}
}

func FuzzFeaturesUnmarshal(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	b, _ := randomCartridge(r).MarshalBinary()
	f.Add(b)
	bf := &Features{Kind: KindBullet, Lands: [][]float32{nil, make([]float32, LandDim)}}
	bf.Lands[1][0] = 1
	b2, _ := bf.MarshalBinary()
	f.Add(b2)
	f.Add([]byte("TMSF\x02\x02\x00\x00"))
	f.Add([]byte("TMSF\x01\x01\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var g Features
		if err := g.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error not wrapping ErrFormat: %v", err)
			}
			return
		}
		out, err := g.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded features do not re-encode: %v", err)
		}
		want := data
		if Kind(data[5]) == KindBullet && data[4] != formatVersion {
			// An older bullet blob of the same layout re-encodes at the
			// current version.
			want = append([]byte(nil), data...)
			want[4] = formatVersion
		}
		if !bytes.Equal(out, want) {
			t.Fatal("decode/encode is not the identity")
		}
	})
}

func TestIndexAddRemoveQuery(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	idx := NewIndex(2)
	feats := map[string]*Features{}
	for i := range 600 {
		id := fmt.Sprintf("e%d", i)
		feats[id] = randomCartridge(r)
		cls := Class{Calibre: "9mm"}
		if i%2 == 1 {
			cls.Calibre = ".45 ACP"
		}
		if err := idx.Add(id, cls, feats[id]); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	// An exhibit finds itself first, with correlation 1.
	got, st, err := idx.Query(ctx, Query{Features: feats["e42"], K: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].ID != "e42" || math.Abs(got[0].Score-1) > 0.01 || got[0].RotationDeg != 0 || got[0].ShiftXUM != 0 || st.Compatible != 600 {
		t.Fatalf("self query: top %+v, compatible %d", got[0], st.Compatible)
	}
	// The prefilter drops the other calibre, Exclude the exhibit itself.
	got, st, err = idx.Query(ctx, Query{Features: feats["e42"], Class: Class{Calibre: ".45 acp"}, K: 10,
		Exclude: func(id string) bool { return id == "e43" }})
	if err != nil {
		t.Fatal(err)
	}
	if st.Compatible != 299 {
		t.Errorf("compatible %d, want 299", st.Compatible)
	}
	for _, c := range got {
		var n int
		fmt.Sscanf(c.ID, "e%d", &n)
		if n%2 == 0 || c.ID == "e43" {
			t.Errorf("%s passed the prefilter or the exclusion", c.ID)
		}
	}
	// Remove moves the last row into place and keeps ids consistent.
	if !idx.Remove("e42") || idx.Remove("e42") || idx.Len() != 599 {
		t.Fatal("remove")
	}
	got, _, _ = idx.Query(ctx, Query{Features: feats["e599"], K: 1})
	if got[0].ID != "e599" || got[0].Score < 0.99 {
		t.Errorf("after remove the moved row is %+v", got[0])
	}
	if err := idx.Add("x", Class{Kind: KindBullet}, feats["e1"]); err == nil {
		t.Error("class kind contradicting the features accepted")
	}
}

// TestSignatureMates: firings of one synthetic firearm, turned by up to
// ±15° and shifted by up to ±200 µm each, find each other first among
// other firearms, with the coarse rotation close to the true one.
func TestSignatureMates(t *testing.T) {
	const firearms = 12
	scans, err := synth.Cartridges(synth.CartridgeConfig{Firearms: firearms, Shots: 2, Seed: 9, SizePX: 200, SpacingUM: 12.5, RotationRangeDeg: 15})
	if err != nil {
		t.Fatal(err)
	}
	sg := NewSigner()
	idx := NewIndex(2)
	feats := make([]*Features, len(scans))
	found := 0
	for i, s := range scans {
		if feats[i], err = sg.Cartridge(s.Surface); err != nil {
			t.Fatal(err)
		}
		if err := idx.Add(s.Name, Class{}, feats[i]); err != nil {
			t.Fatal(err)
		}
	}
	for g := range firearms {
		q, mate := scans[2*g], scans[2*g+1]
		got, st, err := idx.Query(context.Background(), Query{Features: feats[2*g], K: 3, MaxRotationDeg: 33,
			Exclude: func(id string) bool { return id == q.Name }})
		if err != nil {
			t.Fatal(err)
		}
		if st.Compatible != 2*firearms-1 {
			t.Fatalf("compatible %d", st.Compatible)
		}
		if got[0].ID != mate.Name {
			// A firing pair with little common contact area scores like
			// the best of many unrelated ones (measured: the bench).
			t.Logf("%s: top %s (%.3f), not its mate %s", q.Name, got[0].ID, got[0].Score, mate.Name)
			continue
		}
		found++
		want := mate.Truth.RotationDeg - q.Truth.RotationDeg
		if math.Abs(got[0].RotationDeg-want) > 3 {
			t.Errorf("%s: rotation %.1f°, want %.1f° ± 3°", q.Name, got[0].RotationDeg, want)
		}
	}
	if found < firearms-2 {
		t.Errorf("%d of %d queries found their mate first, want at least %d", found, firearms, firearms-2)
	}
}

// TestSignatureBadInput: bad surfaces are refused with an error, not a
// panic.
func TestSignatureBadInput(t *testing.T) {
	sg := NewSigner()
	// Bad input is refused, not a panic.
	if _, err := sg.Cartridge(surface.New(4, 4, 6.25, 6.25)); err == nil {
		t.Error("tiny surface accepted")
	}
	empty := surface.New(100, 100, 6.25, 6.25)
	for i := range empty.Z {
		empty.Z[i] = math.NaN()
	}
	if _, err := sg.Cartridge(empty); !errors.Is(err, ErrNoSignal) {
		t.Errorf("all-missing surface: %v", err)
	}
	if _, err := sg.Cartridge(surface.New(100, 100, 40, 40)); err == nil {
		t.Error("40 µm pixels accepted")
	}
}

func TestBulletScorePhase(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	lands := make([][]float32, 6)
	for i := range lands {
		lands[i] = make([]float32, LandDim)
		for j := range lands[i] {
			lands[i][j] = float32(r.NormFloat64())
		}
		normalise(lands[i])
	}
	shifted := make([][]float32, 6)
	for i := range lands {
		shifted[(i+2)%6] = lands[i]
	}
	shifted[4] = nil // a missing land does not break the vote
	s, ph := bulletScore(lands, shifted)
	if ph != 2 || math.Abs(float64(s)-1) > 1e-5 {
		t.Errorf("phase %d score %.4f, want 2 and 1", ph, s)
	}
	if _, err := LandDescriptor([]float64{1, 2, 3}, 1); err == nil {
		t.Error("3-point signature accepted")
	}
}

// TestPipelineExclude: Request.ID drops one scan and Request.Exclude every
// scan it names (a whole exhibit), together.
func TestPipelineExclude(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	idx := NewIndex(2)
	f := randomCartridge(r)
	ids := []string{"ex1/s1", "ex1/s2", "ex1/s3", "ex2/s1", "ex3/s1"}
	for _, id := range ids {
		if err := idx.Add(id, Class{}, f); err != nil {
			t.Fatal(err)
		}
	}
	pipe, err := NewPipeline(idx, nil, nil, PipelineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		id      string
		exclude func(string) bool
		want    int
	}{
		{"none", "", nil, 5},
		{"one scan", "ex2/s1", nil, 4},
		{"whole exhibit", "", func(id string) bool { return id[:3] == "ex1" }, 2},
		{"both", "ex3/s1", func(id string) bool { return id[:3] == "ex1" }, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := pipe.Search(context.Background(), Request{ID: tc.id, Exclude: tc.exclude, Features: f, Full: -1})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) != tc.want || res.Compatible != tc.want {
				t.Fatalf("%d hits, %d compatible, want %d", len(res.Hits), res.Compatible, tc.want)
			}
			for _, h := range res.Hits {
				if h.ID == tc.id || (tc.exclude != nil && tc.exclude(h.ID)) || h.Compared {
					t.Errorf("hit %+v should have been left out or not compared", h)
				}
			}
		})
	}
}

// TestSweepKeepsSeed: the rotation sweep never ends below the exhaustive
// scan's registration it is seeded with, and finds a rotation on an odd
// angle cell (which its every-second-cell pass skips) when the
// registration peak is narrow (white noise: about one cell wide).
func TestSweepKeepsSeed(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	d := newDeriver()
	for trial := range 6 {
		qf := withPolar(t, randomCartridge(r))
		cells := 2*trial - 5 // −5, −3, … 5: odd cells
		cand := &Features{Kind: KindCartridge, Map: make([]int8, MapSize*MapSize), MapScale: qf.MapScale}
		// The candidate is the query turned by cells angle steps in
		// regMap's convention (sampled at 25 µm, nearest neighbour: the
		// registration works at 50 µm).
		sn, cs := math.Sincos(float64(cells) * AngleStepDeg * math.Pi / 180)
		const c = float64(MapSize-1) / 2
		for y := range MapSize {
			for x := range MapSize {
				ux, uy := float64(x)-c, float64(y)-c
				sx, sy := int(math.Round(cs*ux-sn*uy+c)), int(math.Round(sn*ux+cs*uy+c))
				if sx >= 0 && sy >= 0 && sx < MapSize && sy < MapSize {
					cand.Map[y*MapSize+x] = qf.Map[sy*MapSize+sx]
				}
			}
		}
		row, err := d.derive(withPolar(t, cand))
		if err != nil {
			t.Fatal(err)
		}
		q, err := newCartQuery(qf, 33)
		if err != nil {
			t.Fatal(err)
		}
		sc := newScorer(q)
		seed := sc.filter(row, 2)
		got := sc.sweep(row, seed)
		if got.score < seed.score {
			t.Errorf("turn %d cells: sweep %.3f below its seed %.3f", cells, got.score, seed.score)
		}
		if got.angle != cells {
			t.Errorf("turn %d cells: sweep found %d cells (score %.3f)", cells, got.angle, got.score)
		}
		if got.score < 0.5 {
			t.Errorf("turn %d cells: score %.3f for a turned copy", cells, got.score)
		}
	}
}

// TestFeaturesStaleVersion: a blob of an older format version is told
// apart (ErrStaleFormat: recompute) from a newer or foreign one.
func TestFeaturesStaleVersion(t *testing.T) {
	b, err := randomCartridge(rand.New(rand.NewPCG(7, 8))).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		version byte
		stale   bool
	}{{formatVersion - 1, true}, {0, true}, {formatVersion + 1, false}} {
		old := bytes.Clone(b)
		old[4] = tc.version
		var f Features
		err := f.UnmarshalBinary(old)
		if !errors.Is(err, ErrFormat) || errors.Is(err, ErrStaleFormat) != tc.stale {
			t.Errorf("version %d: err %v, want stale %v", tc.version, err, tc.stale)
		}
		if tc.stale && f.Kind != KindCartridge {
			t.Errorf("version %d: stale blob's kind %v, want the header's %v (what to recompute)", tc.version, f.Kind, KindCartridge)
		}
	}
	if err := new(Features).UnmarshalBinary(b); err != nil {
		t.Errorf("current version refused: %v", err)
	}
}
