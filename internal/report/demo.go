package report

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/x3p"
)

// DemoData compares two real cartridge-case scans (X3P files a and b, such
// as the Fadul fixtures in internal/x3p/testdata) with the cartridge engine
// and returns the data of a comparison report around the result, with an
// illustrative case, custody and conclusion. issued is the report date.
func DemoData(a, b string, issued time.Time) (*Data, error) {
	cfg := cartridge.DefaultConfig()
	pa, err := demoLoad(a, cfg)
	if err != nil {
		return nil, err
	}
	pb, err := demoLoad(b, cfg)
	if err != nil {
		return nil, err
	}
	c, err := cartridge.NewComparer(cfg, nil)
	if err != nil {
		return nil, fmt.Errorf("report: demo: %w", err)
	}
	r, err := c.Compare(pa, pb)
	if err != nil {
		return nil, fmt.Errorf("report: demo: comparing %s and %s: %w", a, b, err)
	}
	cmp, err := FromCartridge("E1", "E2", r, pa, pb, c.Calibration().Version)
	if err != nil {
		return nil, err
	}
	cmp.Conclusion = InconclusiveA
	if r.Decision.HighCMC >= 6 {
		cmp.Conclusion = Identification
	}
	cmp.Verification = &Verification{By: Person{Name: "B. Verifier", Position: "senior examiner"}, At: issued, Conclusion: cmp.Conclusion, Blind: true}
	day := issued.Add(-72 * time.Hour)
	class := domain.ClassCharacteristics{Calibre: "9mm Luger"}
	d := &Data{
		Kind: KindComparison, Seq: 1, IssuedAt: issued,
		Lab:          Lab{Name: "Demonstration Ballistics Laboratory", Address: "1 Example Street", Agency: "DEMO"},
		Case:         domain.Case{Number: "DEMO-001", Title: "Fadul demonstration pair", Offence: "—", OccurredAt: day.Add(-24 * time.Hour), ReceivedAt: day},
		RequestedBy:  "Investigator A. Example",
		Examinations: "Were cartridge cases E1 and E2 fired in the same firearm?",
		Exhibits: []domain.Exhibit{
			{Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene, Class: class, Description: filepath.Base(a)},
			{Label: "E2", Kind: domain.KindCartridgeCase, Role: domain.RoleReference, Class: class, Description: filepath.Base(b)},
		},
		Custody: []CustodyEvent{
			{Exhibit: "E1", Kind: "received", At: day, By: "Reception", Counterpart: "Investigator A. Example", Notes: "sealed bag No. 1"},
			{Exhibit: "E2", Kind: "received", At: day, By: "Reception", Counterpart: "Investigator A. Example", Notes: "sealed bag No. 2"},
			{Exhibit: "E1", Kind: "scanned", At: day.Add(2 * time.Hour), By: "Technician"},
			{Exhibit: "E2", Kind: "scanned", At: day.Add(2 * time.Hour), By: "Technician"},
		},
		Software: "tracemark", Version: "dev",
		Params: []Param{
			{Name: "mode", Value: string(cfg.Mode)},
			{Name: "cells", Value: fmt.Sprintf("%d×%d", cfg.GridCells, cfg.GridCells)},
			{Name: "θ range, step", Value: fmt.Sprintf("%g…%g°, %g°", cfg.ThetaMin, cfg.ThetaMax, cfg.ThetaStep)},
			{Name: "T_x,y, T_θ, T_CCF", Value: fmt.Sprintf("%g µm, %g°, %g", cfg.TransUM, cfg.ThetaDeg, cfg.CorrThresh)},
			{Name: "calibration", Value: c.Calibration().Version},
		},
		Comparisons: []Comparison{cmp},
		Examiner:    Person{Name: "A. Examiner", Position: "firearms examiner"},
		Verifier:    Person{Name: "B. Verifier", Position: "senior examiner"},
	}
	for _, s := range []struct{ label, path string }{{"E1", a}, {"E2", b}} {
		f, err := x3p.ReadFile(s.path)
		if err != nil {
			return nil, err
		}
		info := ScanInfo{Exhibit: s.label, File: filepath.Base(s.path), ResolutionUM: f.Surface.DX}
		if sum, err := fileSHA256(s.path); err == nil {
			info.SHA256 = sum
		}
		d.Scans = append(d.Scans, info)
	}
	return d, nil
}

func demoLoad(path string, cfg cartridge.Config) (*cartridge.Prepared, error) {
	f, err := x3p.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: demo: %w", err)
	}
	if f.Surface == nil {
		return nil, fmt.Errorf("report: demo: %s is not a gridded surface", path)
	}
	pcfg, err := cartridge.PreprocessPreset("default")
	if err != nil {
		return nil, err
	}
	pcfg.Processed = cartridge.LooksProcessed(f.Surface)
	p, err := cartridge.Preprocess(f.Surface, pcfg)
	if err != nil {
		return nil, fmt.Errorf("report: demo: %s: %w", path, err)
	}
	return cartridge.Prepare(path, p.Map, cfg)
}
