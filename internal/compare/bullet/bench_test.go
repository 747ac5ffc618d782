package bullet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/realdata"
)

func TestReadTruthCSV(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     int
		errHas   string
	}{
		{"ok", "file,bullet_id,land,source_id,barrel_id\na.x3p,b1,1,s1,r1\nb.x3p,b1,2,,r1\n", 2, ""},
		{"reordered", "barrel_id,land,file,source_id,bullet_id\nr,3,a.x3p,s,b\n", 1, ""},
		{"missing column", "file,bullet_id,land,barrel_id\na,b,1,r\n", 0, `no "source_id" column`},
		{"bad land", "file,bullet_id,land,source_id,barrel_id\na,b,x,s,r\n", 0, "line 2: land"},
		{"empty", "file,bullet_id,land,source_id,barrel_id\n", 0, "no lands"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ReadTruthCSV(strings.NewReader(tc.in))
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("error %v, want one containing %q", err, tc.errHas)
				}
				return
			}
			if err != nil || len(rows) != tc.want {
				t.Fatalf("got %d rows, %v; want %d", len(rows), err, tc.want)
			}
		})
	}
}

func TestBenchHamby44(t *testing.T) {
	dir := realdata.Dir(t, "hamby44-lowres")
	f, err := os.Open(filepath.Join(dir, "ground_truth.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := ReadTruthCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewComparer()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.Bench(context.Background(), rows, BenchOptions{Dir: dir, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *rep)
	if rep.LandPairs != 36 || rep.LandSame != 6 || rep.BulletPairs != 1 || rep.PhasePairs != 1 {
		t.Fatalf("counted %d land pairs (%d same), %d bullet pairs, %d with a phase; want 36 (6), 1, 1", rep.LandPairs, rep.LandSame, rep.BulletPairs, rep.PhasePairs)
	}
	if rep.PhaseAccuracy != 1 || rep.LandTop1 != 1 || rep.LandAUC < 0.95 {
		t.Errorf("phase accuracy %v, land top-1 %v, land AUC %v; want 1, 1, ≥ 0.95", rep.PhaseAccuracy, rep.LandTop1, rep.LandAUC)
	}
}

func FuzzReadTruthCSV(f *testing.F) {
	f.Add("file,bullet_id,land,source_id,barrel_id\na.x3p,b1,1,s1,r1\n")
	f.Add("land,file\n1,a\n")
	f.Add("file,bullet_id,land,source_id,barrel_id\n\"a,b\",c,99,,\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ReadTruthCSV(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.File == "" || r.BulletID == "" || r.Land < 1 || r.Land > 64 {
				t.Fatalf("accepted an invalid row %+v", r)
			}
		}
	})
}
