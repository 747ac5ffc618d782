package surface

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randomMask(nx, ny int, p float64, seed uint64) *Mask {
	rng := rand.New(rand.NewPCG(seed, 7))
	k := NewMask(nx, ny)
	for i := range k.In {
		k.In[i] = rng.Float64() < p
	}
	return k
}

// bruteErode erodes by checking every point within the radius (outside the
// grid counts as false), with spacings dx, dy.
func bruteErode(k *Mask, radius, dx, dy float64) *Mask {
	out := NewMask(k.NX, k.NY)
	rc, rr := int(radius/dx)+1, int(radius/dy)+1
	for r := 0; r < k.NY; r++ {
		for c := 0; c < k.NX; c++ {
			keep := k.At(c, r)
			for j := -rr; j <= rr && keep; j++ {
				for i := -rc; i <= rc && keep; i++ {
					if math.Hypot(float64(i)*dx, float64(j)*dy) > radius {
						continue
					}
					cc, rw := c+i, r+j
					if cc < 0 || rw < 0 || cc >= k.NX || rw >= k.NY || !k.At(cc, rw) {
						keep = false
					}
				}
			}
			out.In[r*k.NX+c] = keep
		}
	}
	return out
}

func bruteDilate(k *Mask, radius float64) *Mask {
	out := NewMask(k.NX, k.NY)
	for r := 0; r < k.NY; r++ {
		for c := 0; c < k.NX; c++ {
			for i, in := range k.In {
				if in && math.Hypot(float64(c-i%k.NX), float64(r-i/k.NX)) <= radius {
					out.In[r*k.NX+c] = true
					break
				}
			}
		}
	}
	return out
}

func sameMask(t *testing.T, what string, want, got *Mask) {
	t.Helper()
	for i := range want.In {
		if want.In[i] != got.In[i] {
			t.Fatalf("%s: point (%d,%d) = %v, want %v", what, i%want.NX, i/want.NX, got.In[i], want.In[i])
		}
	}
}

func TestErodeDilateMatchBruteForce(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		k := randomMask(37, 29, 0.93, seed)
		for _, radius := range []float64{0, 0.5, 1, 1.5, 2, math.Sqrt(5), 3.7, 6} {
			sameMask(t, "erode", bruteErode(k, radius, 1, 1), k.Erode(radius))
			sparse := randomMask(23, 17, 0.02, seed)
			sameMask(t, "dilate", bruteDilate(sparse, radius), sparse.Dilate(radius))
		}
		// Anisotropic spacing through Map.Erode (radius in µm).
		m := New(37, 29, 2, 3)
		for i, in := range k.In {
			if in {
				m.Z[i] = float64(i)
			}
		}
		for _, radius := range []float64{2, 3, 6.5, 10} {
			e, err := m.Erode(radius)
			if err != nil {
				t.Fatal(err)
			}
			sameMask(t, "map erode", bruteErode(k, radius, 2, 3), e.ValidMask())
			for i, v := range e.Z {
				if !math.IsNaN(v) && v != m.Z[i] {
					t.Fatalf("erode changed a kept height at %d", i)
				}
			}
		}
	}
	if _, err := New(3, 3, 1, 1).Erode(-1); err == nil {
		t.Error("negative radius accepted")
	}
	empty := NewMask(5, 5)
	if empty.Dilate(3).Count() != 0 || empty.Erode(1).Count() != 0 {
		t.Error("empty mask grew")
	}
}

func TestErodeDiskRing(t *testing.T) {
	// A full 101×101 valid map eroded by 10 px keeps the 81×81 interior:
	// columns 10…90, more than 10 px from the virtual border at −1 and 101.
	m := fill(101, 101, 1, func(x, y float64) float64 { return 1 })
	e, err := m.Erode(10)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.ValidCount(); got != 81*81 {
		t.Errorf("eroded valid count %d, want %d", got, 81*81)
	}
}

func TestLabel(t *testing.T) {
	rows := []string{
		"##..#",
		"#...#",
		"..#..",
		".#.##",
		".#...",
	}
	k := NewMask(5, 5)
	for r, s := range rows {
		for c, ch := range s {
			k.In[r*5+c] = ch == '#'
		}
	}
	for _, tc := range []struct {
		conn  Connectivity
		sizes []int
	}{
		{Four, []int{3, 2, 1, 2, 2}},
		{Eight, []int{3, 2, 5}},
	} {
		cs, err := k.Label(tc.conn)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs.Parts) != len(tc.sizes) {
			t.Fatalf("%d-connectivity: %d components, want %d", tc.conn, len(cs.Parts), len(tc.sizes))
		}
		total := 0
		for i, p := range cs.Parts {
			if p.Size != tc.sizes[i] || p.Label != i+1 {
				t.Errorf("%d-connectivity: component %d size %d label %d, want size %d", tc.conn, i, p.Size, p.Label, tc.sizes[i])
			}
			if got := cs.Mask(p.Label).Count(); got != p.Size {
				t.Errorf("component %d mask has %d points, size %d", p.Label, got, p.Size)
			}
			total += p.Size
		}
		if total != k.Count() {
			t.Errorf("labelled %d points of %d", total, k.Count())
		}
	}
	cs, _ := k.Label(Four)
	p := cs.Parts[0] // (0,0), (1,0), (0,1)
	if p.MinCol != 0 || p.MaxCol != 1 || p.MinRow != 0 || p.MaxRow != 1 ||
		math.Abs(p.CentroidCol-1.0/3) > 1e-12 || math.Abs(p.CentroidRow-1.0/3) > 1e-12 {
		t.Errorf("component 1 %+v", p)
	}
	if cs.At(4, 1) != 2 || cs.At(2, 0) != 0 {
		t.Errorf("At wrong: %d %d", cs.At(4, 1), cs.At(2, 0))
	}
	if l, ok := cs.Largest(); !ok || l.Label != 1 {
		t.Errorf("Largest %+v %v", l, ok)
	}
	if _, err := k.Label(6); err == nil {
		t.Error("connectivity 6 accepted")
	}
	none, _ := NewMask(3, 3).Label(Eight)
	if _, ok := none.Largest(); ok || len(none.Parts) != 0 {
		t.Error("empty mask has components")
	}
}

func TestLabelFindsHoleAndExterior(t *testing.T) {
	// The cartridge use: label the missing region of an annulus scan; the
	// exterior touches the corners, the firing-pin hole sits at the centre.
	m := annulus(200, 5, 1)
	cs, err := m.ValidMask().Not().Label(Four)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Parts) != 2 {
		t.Fatalf("%d missing regions, want 2", len(cs.Parts))
	}
	ext, hole := cs.Parts[cs.At(0, 0)-1], cs.Parts[cs.At(100, 100)-1]
	if ext.Label == hole.Label || math.Abs(hole.CentroidCol-99.5) > 0.5 || math.Abs(hole.CentroidRow-99.5) > 0.5 {
		t.Errorf("exterior %+v, hole %+v", ext, hole)
	}
	if r := math.Sqrt(float64(hole.Size) / math.Pi); math.Abs(r-0.19*200) > 1.5 {
		t.Errorf("hole radius %.1f px, want ≈ 38", r)
	}
}

func TestApplyMask(t *testing.T) {
	m := fill(4, 3, 1, func(x, y float64) float64 { return x + y })
	k := NewMask(4, 3)
	k.In[5] = true
	out, err := m.ApplyMask(k)
	if err != nil || out.ValidCount() != 1 || out.Z[5] != m.Z[5] || m.ValidCount() != 12 {
		t.Fatalf("ApplyMask: %v %v", out, err)
	}
	if _, err := m.ApplyMask(NewMask(3, 4)); err == nil {
		t.Error("wrong-size mask accepted")
	}
}

func BenchmarkErode545(b *testing.B) {
	m := annulus(545, 6.25, 1)
	for b.Loop() {
		if _, err := m.Erode(75); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLabel545(b *testing.B) {
	k := annulus(545, 6.25, 1).ValidMask().Not()
	for b.Loop() {
		if _, err := k.Label(Eight); err != nil {
			b.Fatal(err)
		}
	}
}
