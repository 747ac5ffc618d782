package cartridge

import (
	"bytes"
	"testing"
)

func FuzzParseTruth(f *testing.F) {
	f.Add([]byte("file,source_id\na.x3p,s1\nb.x3p,s1\n"))
	f.Add([]byte("source_id,role,file\ns,known,x\n"))
	f.Add([]byte("\"file\",\"source_id\"\n\"a,b\",\"\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := parseTruth(bytes.NewReader(b), "fuzz.csv")
		if err == nil && len(rows) < 2 {
			t.Fatalf("accepted %d rows", len(rows))
		}
		for _, r := range rows {
			if r.File == "" || r.Source == "" {
				t.Fatalf("accepted an empty field: %+v", r)
			}
		}
	})
}

func FuzzParseCalibration(f *testing.F) {
	f.Add(calibrationJSON)
	f.Add([]byte(`{"features":[],"weights":[]}`))
	f.Add([]byte(`{"intercept":1e400}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCalibration(b)
		if err != nil {
			return
		}
		s, lr := c.Score(Features{HighCMC: 3, OriginalMin: 2, HighShare: 0.1, CMCCorr: 0.6, GlobalCorr: 0.3, ThetaAgree: 1})
		if s != s || lr != lr {
			t.Fatalf("NaN score from an accepted calibration")
		}
	})
}

func TestParseTruthErrors(t *testing.T) {
	for _, in := range []string{"", "file\nx\n", "file,source_id\na,1\n", "file,source_id\na,\nb,2\n"} {
		if _, err := parseTruth(bytes.NewReader([]byte(in)), "t.csv"); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// TestFitCalibrationRecovers: on features drawn from a known logistic model
// the fit recovers the ordering and keeps weights non-negative.
func TestFitCalibrationRecovers(t *testing.T) {
	var feats []Features
	var same []bool
	for i := range 400 {
		s := i%4 == 0
		f := Features{HighCMC: float64(i % 7), OriginalMin: float64(i % 5), CMCCorr: 0.3, GlobalCorr: 0.2}
		if s {
			f.HighCMC += 6 + float64(i%5)
			f.OriginalMin += 3
		}
		feats = append(feats, f)
		same = append(same, s)
	}
	c, err := FitCalibration(feats, same, 1, "test", "test")
	if err != nil {
		t.Fatal(err)
	}
	for j, w := range c.Weights {
		if w < 0 {
			t.Errorf("weight %s = %g < 0", featureNames[j], w)
		}
	}
	hi, _ := c.Score(Features{HighCMC: 12, OriginalMin: 6})
	lo, _ := c.Score(Features{HighCMC: 1, OriginalMin: 1})
	if !(hi > lo) {
		t.Errorf("score of a strong pair %g ≤ weak pair %g", hi, lo)
	}
}
