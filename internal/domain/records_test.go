package domain

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/errs"
)

const (
	agencyID = AgencyID("0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6b")
	caseID   = CaseID("0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6c")
	exID     = ExhibitID("0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6d")
	userID   = UserID("0193a5e2-7c1a-7b3e-9f00-1c2d3e4f5a6e")
)

func TestValidate(t *testing.T) {
	goodCase := Case{AgencyID: agencyID, Number: "№ 12/2025", Status: CaseOpen, Location: &GeoPoint{Lat: 41.31, Lon: 69.28}}
	goodExhibit := Exhibit{AgencyID: agencyID, CaseID: caseID, Label: "E1", Kind: KindBullet, Role: RoleCrimeScene,
		Class: ClassCharacteristics{Calibre: "9mm Luger", Lands: 6, Twist: "right", LandWidthUM: 1900}}
	goodScan := Scan{AgencyID: agencyID, ExhibitID: exID, Original: blob.RefOf([]byte("f")), Format: FormatX3P, ResolutionUM: 3.125}
	tests := []struct {
		name    string
		v       interface{ Validate() error }
		wantErr string // "" for valid
	}{
		{"agency", Agency{Code: "KZ-MIA", Name: "МВД", Country: "KZ"}, ""},
		{"agency code with space", Agency{Code: "KZ MIA", Name: "x"}, "spaces"},
		{"agency country lowercase", Agency{Code: "KZ", Name: "x", Country: "kz"}, "ISO 3166"},
		{"agency without name", Agency{Code: "KZ"}, "agency name is required"},
		{"user", User{AgencyID: agencyID, Username: "aliya", Roles: []Role{RoleExaminer}}, ""},
		{"user twice the same role", User{AgencyID: agencyID, Username: "a", Roles: []Role{RoleExaminer, RoleExaminer}}, "twice"},
		{"user unknown role", User{AgencyID: agencyID, Username: "a", Roles: []Role{"root"}}, "want one of"},
		{"user bad agency id", User{AgencyID: "42", Username: "a"}, "agency id"},
		{"case", goodCase, ""},
		{"case without number", Case{AgencyID: agencyID, Status: CaseOpen}, "case number is required"},
		{"case blank number", Case{AgencyID: agencyID, Number: "  ", Status: CaseOpen}, "case number is required"},
		{"case bad status", Case{AgencyID: agencyID, Number: "1", Status: "solved"}, "case status"},
		{"case latitude", Case{AgencyID: agencyID, Number: "1", Status: CaseOpen, Location: &GeoPoint{Lat: -90.5}}, "latitude"},
		{"case infinite longitude", Case{AgencyID: agencyID, Number: "1", Status: CaseOpen, Location: &GeoPoint{Lon: math.Inf(1)}}, "longitude"},
		{"case invalid UTF-8", Case{AgencyID: agencyID, Number: "\xff", Status: CaseOpen}, "UTF-8"},
		{"case control char", Case{AgencyID: agencyID, Number: "a\x1bb", Status: CaseOpen}, "control character"},
		{"case huge title", Case{AgencyID: agencyID, Number: "1", Status: CaseOpen, Title: strings.Repeat("x", 600)}, "limit"},
		{"exhibit", goodExhibit, ""},
		{"exhibit NaN land width", withLandWidth(goodExhibit, math.NaN()), "land width"},
		{"exhibit lands", Exhibit{AgencyID: agencyID, CaseID: caseID, Label: "E", Kind: KindBullet, Role: RoleReference, Class: ClassCharacteristics{Lands: 65}}, "lands"},
		{"exhibit twist", Exhibit{AgencyID: agencyID, CaseID: caseID, Label: "E", Kind: KindBullet, Role: RoleReference, Class: ClassCharacteristics{Twist: "up"}}, "twist"},
		{"exhibit role", Exhibit{AgencyID: agencyID, CaseID: caseID, Label: "E", Kind: KindBullet, Role: "found"}, "exhibit role"},
		{"scan", goodScan, ""},
		{"scan no file", Scan{AgencyID: agencyID, ExhibitID: exID, Format: FormatX3P}, "no original file"},
		{"scan 2D without calibration", Scan{AgencyID: agencyID, ExhibitID: exID, Original: blob.RefOf(nil), Format: FormatTIFF}, "µm per pixel"},
		{"scan 2D calibrated", Scan{AgencyID: agencyID, ExhibitID: exID, Original: blob.RefOf(nil), Format: FormatJPEG, UMPerPixel: 0.8}, ""},
		{"scan negative resolution", Scan{AgencyID: agencyID, ExhibitID: exID, Original: blob.RefOf(nil), Format: FormatX3P, ResolutionUM: -1}, "resolution"},
		{"scan empty warning", Scan{AgencyID: agencyID, ExhibitID: exID, Original: blob.RefOf(nil), Format: FormatX3P, Warnings: []string{""}}, "warning 1"},
		{"run", CorrelationRun{AgencyID: agencyID, QueryScan: ScanID(exID), Status: RunQueued, Params: json.RawMessage(`{"k":10}`)}, ""},
		{"run bad JSON", CorrelationRun{AgencyID: agencyID, QueryScan: ScanID(exID), Status: RunQueued, Params: json.RawMessage(`{k:10}`)}, "not valid JSON"},
		{"candidate", Candidate{Scan: ScanID(exID), Rank: 1, Score: 0.5}, ""},
		{"candidate rank 0", Candidate{Scan: ScanID(exID), Rank: 0}, "ranks start at 1"},
		{"candidate NaN score", Candidate{Scan: ScanID(exID), Rank: 1, Score: math.NaN()}, "finite"},
		{"review", CandidateReview{AgencyID: agencyID, CandidateID: CandidateID(exID), By: userID, Status: ReviewViewed}, ""},
		{"confirmed without reason", CandidateReview{AgencyID: agencyID, CandidateID: CandidateID(exID), By: userID, Status: ReviewConfirmed}, "needs a reason"},
		{"review without reviewer", CandidateReview{AgencyID: agencyID, CandidateID: CandidateID(exID), Status: ReviewViewed}, "reviewer id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
			if !errs.Is(errs.Invalid, err) {
				t.Errorf("error kind %v, want invalid", errs.KindOf(err))
			}
		})
	}
}

func TestScanFormat2D(t *testing.T) {
	for f, want := range map[ScanFormat]bool{FormatX3P: false, FormatPNG: true, FormatTIFF: true, FormatJPEG: true} {
		if f.Is2D() != want {
			t.Errorf("%s.Is2D() = %v", f, !want)
		}
	}
}

func withLandWidth(e Exhibit, w float64) Exhibit {
	e.Class.LandWidthUM = w
	return e
}
