package store

import (
	"encoding/json"
	"testing"
)

// FuzzAnnotations feeds arbitrary JSON to the annotation checks: they must
// never panic, and marks they accept must survive storage unchanged.
func FuzzAnnotations(f *testing.F) {
	f.Add(`[{"scan":"a","kind":"point","points_um":[[1,2]]}]`)
	f.Add(`[{"scan":"b","kind":"rect","points_um":[[0,0],[1e6,-1e6]],"label":"шов"}]`)
	f.Add(`[{"scan":"a","kind":"polyline","points_um":[[0,0]]}]`)
	f.Add(`[{"scan":"c","kind":"circle","points_um":[]}]`)
	f.Add(`[{"scan":"a","kind":"point","points_um":[[1e309,0]],"label":"\u0000"}]`)
	f.Fuzz(func(t *testing.T, in string) {
		var as []Annotation
		if json.Unmarshal([]byte(in), &as) != nil {
			return
		}
		if ValidateAnnotations("fuzz", as) != nil {
			return
		}
		back := decodeAnnotations(encodeAnnotations(as))
		if len(as) == 0 && len(back) == 0 {
			return
		}
		a, _ := json.Marshal(as)
		b, _ := json.Marshal(back)
		if string(a) != string(b) {
			t.Fatalf("stored %s, read back %s", a, b)
		}
	})
}
