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

// randomCartridge returns valid cartridge features with random content.
func randomCartridge(r *rand.Rand) *Features {
	polar := make([]float32, PolarLen)
	for i := range polar {
		polar[i] = float32(r.NormFloat64())
	}
	return newCartridgeFeatures(polar)
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
	bad := &Features{Kind: KindCartridge, Vector: make([]float32, VectorDim), Polar: make([]int8, PolarLen)}
	bad.Vector[3] = float32(math.NaN())
	if _, err := bad.MarshalBinary(); err == nil {
		t.Error("NaN feature encoded")
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
	f.Add([]byte("TMSF\x01\x02\x00\x00"))
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
		if !bytes.Equal(out, data) {
			t.Fatal("decode/encode is not the identity")
		}
	})
}

func TestIndexAddRemoveQuery(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	idx := NewIndex(2)
	feats := map[string]*Features{}
	for i := range 5000 {
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
	if got[0].ID != "e42" || math.Abs(got[0].Score-1) > 1e-9 || st.Compatible != 5000 {
		t.Fatalf("self query: top %+v, compatible %d", got[0], st.Compatible)
	}
	// The prefilter drops the other calibre, Exclude the exhibit itself.
	got, st, err = idx.Query(ctx, Query{Features: feats["e42"], Class: Class{Calibre: ".45 acp"}, K: 10,
		Exclude: func(id string) bool { return id == "e43" }})
	if err != nil {
		t.Fatal(err)
	}
	if st.Compatible != 2499 {
		t.Errorf("compatible %d, want 2499", st.Compatible)
	}
	for _, c := range got {
		var n int
		fmt.Sscanf(c.ID, "e%d", &n)
		if n%2 == 0 || c.ID == "e43" {
			t.Errorf("%s passed the prefilter or the exclusion", c.ID)
		}
	}
	// A circular shift of the polar spectrum (a rotation) is found.
	rot := &Features{Kind: KindCartridge, Polar: make([]int8, PolarLen)}
	src := feats["e7"].Polar
	for ring := range Rings {
		for a := range Angles {
			rot.Polar[ring*Angles+(a+5)%Angles] = src[ring*Angles+a]
		}
	}
	rot.Vector = feats["e7"].Vector
	got, _, _ = idx.Query(ctx, Query{Features: rot, K: 1})
	if got[0].ID != "e7" || math.Abs(math.Abs(got[0].RotationDeg)-5*AngleStepDeg) > 1e-9 {
		t.Errorf("rotated query: %+v, want e7 at ±%g°", got[0], 5*AngleStepDeg)
	}
	// Remove moves the last row into place and keeps ids consistent.
	if !idx.Remove("e42") || idx.Remove("e42") || idx.Len() != 4999 {
		t.Fatal("remove")
	}
	got, _, _ = idx.Query(ctx, Query{Features: feats["e4999"], K: 1})
	if got[0].ID != "e4999" || got[0].Score < 0.999 {
		t.Errorf("after remove the moved row is %+v", got[0])
	}
	if err := idx.Add("x", Class{Kind: KindBullet}, feats["e1"]); err == nil {
		t.Error("class kind contradicting the features accepted")
	}
}

// TestSignatureInvariance: a quarter turn and a shift of the same surface
// give nearly the same features (the polar spectrum shifted by 90°); an
// unrelated firearm does not.
func TestSignatureInvariance(t *testing.T) {
	scans, err := synth.Cartridges(synth.CartridgeConfig{Firearms: 2, Shots: 1, Seed: 9, SizePX: 200, SpacingUM: 12.5})
	if err != nil {
		t.Fatal(err)
	}
	m := scans[0].Surface
	turned := surface.New(m.NY, m.NX, m.DX, m.DY)
	for y := range m.NY {
		for x := range m.NX {
			// quarter turn plus a 7-point shift (wrapping into NaN)
			ty, tx := x, m.NY-1-y
			tx = (tx + 7)
			if tx < turned.NX {
				turned.Z[ty*turned.NX+tx] = m.Z[y*m.NX+x]
			}
		}
	}
	for i := 0; i < turned.NX*turned.NY; i += turned.NX {
		for j := range 7 {
			turned.Z[i+j] = math.NaN()
		}
	}
	sg := NewSigner()
	fa, err := sg.Cartridge(m)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := sg.Cartridge(turned)
	if err != nil {
		t.Fatal(err)
	}
	fo, err := sg.Cartridge(scans[1].Surface)
	if err != nil {
		t.Fatal(err)
	}
	same := float64(dot(fa.Vector, fb.Vector))
	other := float64(dot(fa.Vector, fo.Vector))
	if same < 0.9 || same < other+0.3 {
		t.Errorf("vector cosine: turned %.3f, other firearm %.3f", same, other)
	}
	c, s := polarCorrelation(fa.Polar, fb.Polar, Angles/2)
	if c < 0.8 || math.Abs(math.Abs(float64(s))*AngleStepDeg-90) > 2*AngleStepDeg {
		t.Errorf("polar correlation %.3f at shift %d (%.1f°), want ≥ 0.8 at 90°", c, s, float64(s)*AngleStepDeg)
	}
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
