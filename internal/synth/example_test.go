package synth_test

import (
	"fmt"
	"log"

	"github.com/tracemark/tracemark/internal/synth"
)

func ExampleBullets() {
	scans, err := synth.Bullets(synth.BulletConfig{
		Barrels: 1, Bullets: 2, Lands: 3, Seed: 1, SpacingUM: 8, LandHeightUM: 100, ShuffleLands: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range scans {
		fmt.Printf("%s is %s (%d×%d points)\n", s.Name, s.Truth.LandSourceID, s.Surface.NX, s.Surface.NY)
	}
	// Output:
	// barrel-001-bullet-001-land-1 is barrel-001-land-2 (250×13 points)
	// barrel-001-bullet-001-land-2 is barrel-001-land-3 (250×13 points)
	// barrel-001-bullet-001-land-3 is barrel-001-land-1 (250×13 points)
	// barrel-001-bullet-002-land-1 is barrel-001-land-2 (250×13 points)
	// barrel-001-bullet-002-land-2 is barrel-001-land-3 (250×13 points)
	// barrel-001-bullet-002-land-3 is barrel-001-land-1 (250×13 points)
}

func ExampleRelativePose() {
	// Where does the centre of shot a appear in shot b of the same firearm?
	// R(−θb)·(ta − tb) = R(20°)·(100, 0) = (100 cos 20°, 100 sin 20°).
	a := synth.Truth{RotationDeg: 10, ShiftXUM: 50}
	b := synth.Truth{RotationDeg: -20, ShiftXUM: -50}
	theta, dx, dy := synth.RelativePose(a, b)
	fmt.Printf("rotate by %.0f°, then shift by (%.1f, %.1f) µm\n", theta, dx, dy)
	// Output:
	// rotate by 30°, then shift by (94.0, 34.2) µm
}
