package synth

import (
	"math"
	"math/rand/v2"

	"github.com/tracemark/tracemark/internal/surface"
)

// Scan kinds.
const (
	KindCartridge  = "cartridge"
	KindBulletLand = "bullet-land"
)

// Scan is one synthetic measurement with its ground truth.
type Scan struct {
	Name    string // file-name stem, unique within a run
	Kind    string // KindCartridge or KindBulletLand
	Surface *surface.Map
	Truth   Truth
}

// Truth is the ground truth of a synthetic scan.
type Truth struct {
	SourceID string // firearm id (cartridges) or barrel id (bullets)
	ShotID   string // firing id (cartridges) or bullet id (bullets)
	BulletID string // bullet id; empty for cartridges

	// Bullets only.
	Land         int    // 1-based land index as scanned (position within the bullet's scan order)
	BarrelLand   int    // 1-based land of the barrel that engraved it
	LandSourceID string // same value ⇔ same land of the same barrel
	// GrooveLeftUM and GrooveRightUM are the x positions (µm from column 0)
	// where the land-engraved area meets the left and right groove
	// shoulders: the true groove cut of algorithms.md §4.3.
	GrooveLeftUM, GrooveRightUM float64
	BreakOffUM                  float64 // height above the base (the last row) below which a break-off left every row at least half missing; 0 if none

	// Cartridges: the pose of the breech-face template (see the package doc).
	// Bullets: ShiftXUM is the scan window's offset along the land, so a
	// stria at x in scan a lies at x + a.ShiftXUM − b.ShiftXUM in scan b of
	// the same barrel land (rows at the same height); the rest are 0.
	RotationDeg, ShiftXUM, ShiftYUM float64
}

// RelativePose returns the rigid transform that maps a point p_a of scan a
// (relative to its centre, µm) to the point p_b of scan b showing the same
// place of the breech face: p_b = R(thetaDeg)·p_a + (dx, dy). Both truths
// must come from the same firearm for this to mean anything.
func RelativePose(a, b Truth) (thetaDeg, dx, dy float64) {
	// R(θb)·pb + tb = R(θa)·pa + ta  ⇒  pb = R(θa−θb)·pa + R(−θb)·(ta − tb).
	s, c := math.Sincos(-b.RotationDeg * math.Pi / 180)
	ux, uy := a.ShiftXUM-b.ShiftXUM, a.ShiftYUM-b.ShiftYUM
	return a.RotationDeg - b.RotationDeg, c*ux - s*uy, s*ux + c*uy
}

// splitmix64 is a bijective 64-bit mixer used to derive independent streams.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Stream tags keep the random streams of different objects apart.
const (
	tagFirearm uint64 = iota + 1
	tagShared
	tagShot
	tagBarrelLand
	tagBullet
	tagBulletLand
)

// newRand returns a PCG generator determined by seed and the identity parts.
func newRand(seed uint64, parts ...uint64) *rand.Rand {
	h := splitmix64(seed)
	for _, p := range parts {
		h = splitmix64(h ^ p)
	}
	return rand.New(rand.NewPCG(seed, h))
}

// uniform draws from U(lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
