package search

import (
	"math"
	"strings"
)

// Class holds the class characteristics of an exhibit (algorithms.md §5.2):
// exact, indexable metadata that an examiner or the acquisition station
// records. The zero value of every field means "unknown".
type Class struct {
	Kind         Kind    `json:"kind"`
	Calibre      string  `json:"calibre,omitempty"`       // e.g. "9mm Luger"; compared case-insensitively, spaces ignored
	FiringPin    string  `json:"firing_pin,omitempty"`    // firing-pin shape: "hemispherical", "rectangular", ...
	BreechFace   string  `json:"breech_face,omitempty"`   // breech-face class: "granular", "arched", "parallel", "circular"
	EjectorClock int     `json:"ejector_clock,omitempty"` // ejector mark position, 1..12 o'clock
	Lands        int     `json:"lands,omitempty"`         // bullets: number of lands/grooves
	Twist        string  `json:"twist,omitempty"`         // bullets: "left" or "right"
	LandWidthUM  float64 `json:"land_width_um,omitempty"` // bullets: mean land-engraved-area width, µm
}

// LandWidthTolerance is the relative tolerance on land widths (IBIS: ±10 %).
const LandWidthTolerance = 0.10

// Compatible reports whether exhibits of classes c and o could come from the
// same firearm. The rule: every field known on both sides must agree, and a
// field unknown on either side matches anything. Strings agree when equal
// ignoring case and spaces; land widths agree within ±LandWidthTolerance of
// the larger one. Unknown (zero) fields never exclude: a search would rather
// correlate too much than miss a mate because a field was not recorded.
func (c Class) Compatible(o Class) bool {
	return normClass(c).compatible(normClass(o))
}

// compatible is Compatible on classes normalised by normClass.
func (c Class) compatible(o Class) bool {
	if c.Kind != KindUnknown && o.Kind != KindUnknown && c.Kind != o.Kind {
		return false
	}
	if !sameText(c.Calibre, o.Calibre) || !sameText(c.FiringPin, o.FiringPin) ||
		!sameText(c.BreechFace, o.BreechFace) || !sameText(c.Twist, o.Twist) {
		return false
	}
	if c.EjectorClock > 0 && o.EjectorClock > 0 && c.EjectorClock != o.EjectorClock {
		return false
	}
	if c.Lands > 0 && o.Lands > 0 && c.Lands != o.Lands {
		return false
	}
	if c.LandWidthUM > 0 && o.LandWidthUM > 0 &&
		math.Abs(c.LandWidthUM-o.LandWidthUM) > LandWidthTolerance*math.Max(c.LandWidthUM, o.LandWidthUM) {
		return false
	}
	return true
}

func sameText(a, b string) bool { return a == "" || b == "" || a == b }

func normText(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), ""))
}
