package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"codeberg.org/go-fonts/liberation/liberationserifbold"
	"codeberg.org/go-fonts/liberation/liberationserifregular"
	"golang.org/x/image/font/sfnt"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/i18n"
)

// specimen holds every letter the seven languages add to the basic Latin
// and Russian alphabets; sample data carries it so the tests see it in the
// extracted text.
const specimen = "Әә Ққ Ңң Өө Ұұ Үү Һһ Ғғ Ҳҳ Ҷҷ Ӣӣ Ӯӯ Іі oʻ gʻ Oʻ Gʻ ň Ň ž Ž ş Ş ç Ç ý Ý ä Ä ö ü № µ ± ≤ ≥ « »"

var issued = time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)

func testPNG(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func sampleData(kind Kind) *Data {
	lr := 8.4
	p := 0.003
	class := domain.ClassCharacteristics{Calibre: "9×18 mm Makarov"}
	d := &Data{
		Kind: kind, Seq: 17, IssuedAt: issued,
		Lab:          Lab{Name: "Central Forensic Laboratory", Address: "Tashkent, Example street 1", Agency: "UZ-MIA"},
		Case:         domain.Case{Number: "2026/118", Title: "Shooting on Navoi street", OccurredAt: issued.Add(-96 * time.Hour), ReceivedAt: issued.Add(-72 * time.Hour), PlaceName: "Navoi street"},
		RequestedBy:  "Investigator R. Karimov",
		Examinations: "Were the cartridge cases fired in one firearm? Specimen: " + specimen,
		Exhibits: []domain.Exhibit{
			{Label: "E1", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene, Class: class, Description: "brass, headstamp 539"},
			{Label: "E2", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene, Class: class},
			{Label: "E3", Kind: domain.KindBullet, Role: domain.RoleCrimeScene, Class: class},
			{Label: "T1", Kind: domain.KindTestFire, Role: domain.RoleReference, Class: class},
		},
		Custody: []CustodyEvent{
			{Exhibit: "E1", Kind: "received", At: issued.Add(-72 * time.Hour), By: "Reception", Counterpart: "R. Karimov", Notes: "seal 0042 intact"},
			{Exhibit: "E1", Kind: "scanned", At: issued.Add(-70 * time.Hour), By: "Technician"},
			{Exhibit: "E1", Kind: "transferred", At: issued.Add(-60 * time.Hour), By: "Technician", Counterpart: "A. Examiner"},
		},
		Scans:    []ScanInfo{{Exhibit: "E1", File: "E1.x3p", SHA256: strings.Repeat("ab", 32), Instrument: "Sensofar S neox", ResolutionUM: 3.125}},
		Software: "tracemark", Version: "test",
		Params: []Param{{Name: "mode", Value: "fast"}},
		Comparisons: []Comparison{
			{A: "E1", B: "E2", Cartridge: &CartridgeScores{HighCMC: 23, OriginalMin: 15, CellsForward: 25, CellsBackward: 27, ThetaDeg: -24, DXUM: -44, DYUM: 19, Score: 17.33, Log10LR: &lr, Calibration: "v3"},
				Image: testPNG(400, 200), Conclusion: Identification, Notes: "Primer flow-back agrees.",
				Verification: &Verification{By: Person{Name: "B. Verifier"}, At: issued, Conclusion: Identification, Blind: true}},
			{A: "E3", B: "T1", Bullet: &BulletScores{SAM: 0.81, Phase: 2, Margin: 0.4, Pairs: 6, PValue: &p},
				Image: testPNG(500, 300), Conclusion: InconclusiveB},
		},
		Examiner: Person{Name: "A. Examiner", Position: "firearms examiner"},
		Verifier: Person{Name: "B. Verifier", Position: "head of section"},
		Review: &Review{Run: "run-01", Query: "E1 (2026/118)", Searched: 1234, At: issued, Candidates: []Candidate{
			{Rank: 1, Scan: "scan-9", Case: "2025/77", Exhibit: "E4", Score: 17.3, Status: domain.ReviewPotentialHit},
			{Rank: 2, Scan: "scan-3", Case: "2024/12", Exhibit: "E1", Score: 2.1, Status: domain.ReviewUnreviewed},
		}},
		Trace: &Trace{Urgent: true, Justification: "suspect in custody", Requester: "MIA Uzbekistan", Officer: "R. Karimov", Addressees: []string{"NCB Ankara"},
			Firearm:     Firearm{Serial: "AB1234", Make: "Izhmekh", Model: "PM", Type: "pistol", Calibre: "9×18 mm", Country: "RU", Markings: specimen},
			RecoveredAt: issued.Add(-96 * time.Hour), Place: "Navoi street", Circumstances: "found at the scene", Leads: []string{"2025/77"}},
		Receipt: &Receipt{DeliveredBy: Person{Name: "R. Karimov", Position: "investigator"}, ReceivedBy: Person{Name: "Reception"}, At: issued, Packaging: "paper envelope, seal 0042 intact", Condition: specimen},
	}
	if kind == KindComparison {
		d.Comparisons = d.Comparisons[:1]
	}
	return d
}

// needTool returns the path of a poppler tool, skipping the test when it
// is absent, except under CI=true where it fails.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (Debian package poppler-utils)", name)
		}
		t.Skipf("%s not installed (apt-get install poppler-utils); skipping", name)
	}
	return p
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	tool := needTool(t, "pdftotext")
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// squash removes all whitespace (line breaks of wrapped cells included)
// (pdftotext also drops some spaces between narrow glyphs, so the
// comparisons ignore spaces altogether).
func squash(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), "")
}

func fonts(t testing.TB) []*sfnt.Font {
	t.Helper()
	var out []*sfnt.Font
	for _, b := range [][]byte{liberationsansregular.TTF, liberationsansbold.TTF, liberationserifregular.TTF, liberationserifbold.TTF} {
		f, err := sfnt.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

// missingGlyphs lists the runes of s that a font maps to glyph 0 (.notdef,
// drawn as an empty box).
func missingGlyphs(t testing.TB, s string) []string {
	t.Helper()
	var buf sfnt.Buffer
	seen := map[rune]bool{}
	var missing []string
	for _, f := range fonts(t) {
		for _, r := range s {
			if unicode.IsSpace(r) || unicode.IsControl(r) || seen[r] {
				continue
			}
			g, err := f.GlyphIndex(&buf, r)
			if err != nil || g == 0 {
				seen[r] = true
				missing = append(missing, string(r))
			}
		}
	}
	return missing
}

func TestRenderEveryLanguageAndKind(t *testing.T) {
	tpl, err := DefaultTemplates()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	letters := map[string][]string{
		"ru": {"ё", "Э", "щ"}, "kk": {"ә", "қ", "ң", "ө", "ұ", "ү", "ғ", "і"}, "uz-Latn": {"oʻ", "gʻ", "Oʻ"},
		"ky": {"ң", "ө", "ү"}, "tg": {"ғ", "ӣ", "қ", "ӯ", "ҳ", "ҷ"}, "tk": {"ň", "ž", "ş", "ç", "ý", "ä", "ö", "ü"}, "en": {"Identification"},
	}
	for _, lang := range i18n.Languages {
		l, _ := cat.Localizer(lang)
		for _, kind := range Kinds {
			t.Run(lang+"/"+string(kind), func(t *testing.T) {
				out, err := Render(sampleData(kind), lang, tpl)
				if err != nil {
					t.Fatal(err)
				}
				raw := pdfText(t, out.PDF)
				text := squash(raw)
				want := []string{out.Number, l.T("footer.integrity", nil)}
				switch kind {
				case KindComparison, KindCase:
					want = append(want, strings.ToUpper(l.T("doc."+string(kind)+".title", nil)), l.T("section.items", nil), l.T("section.methods", nil),
						l.T("afte.identification", nil), l.T("conclusion.disclaimer", nil), l.T("verification.agree", nil), l.T("sign.examiner", nil),
						l.T("score.high_cmc", nil), l.Number(17.33, 2), l.TCount("plural.exhibits", 4, nil), specimen, "E1.x3p")
					if kind == KindCase {
						want = append(want, l.T("afte.inconclusive_b", nil), l.T("score.sam", nil), l.T("verification.none", nil))
					}
				case KindReviewSheet:
					want = append(want, strings.ToUpper(l.T("doc.review.title", nil)), l.T("status.potential_hit", nil), l.TCount("plural.scans", 1234, nil), "2025/77")
				case KindTraceRequest:
					want = append(want, strings.ToUpper(l.T("doc.trace.title", nil)), l.T("priority.urgent", nil), l.T("field.serial", nil), "AB1234", specimen)
				case KindReceipt:
					want = append(want, strings.ToUpper(l.T("doc.receipt.title", nil)), l.T("receipt.statement", nil), l.T("receipt.received_by", nil), specimen)
				}
				for _, w := range want {
					if !strings.Contains(text, squash(w)) {
						t.Errorf("extracted text lacks %q", squash(w))
					}
				}
				if kind == KindCase {
					for _, letter := range letters[lang] {
						if !strings.Contains(text, letter) {
							t.Errorf("extracted text lacks the letter %q", letter)
						}
					}
				}
				if m := missingGlyphs(t, text); len(m) > 0 {
					t.Errorf("runes without a glyph in the fonts: %q", m)
				}
				if strings.Contains(raw, "[") {
					for _, f := range strings.Fields(raw) {
						if strings.HasPrefix(f, "[") && strings.Contains(f, ".") && strings.HasSuffix(f, "]") {
							t.Errorf("untranslated message %s", f)
						}
					}
				}
			})
		}
	}
}

// TestCatalogGlyphs checks every rune of every catalog against the fonts,
// so a wording added later cannot bring a missing-glyph box.
func TestCatalogGlyphs(t *testing.T) {
	var all strings.Builder
	all.WriteString(specimen)
	for _, lang := range i18n.Languages {
		data, err := os.ReadFile(filepath.Join("..", "i18n", "locales", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		all.Write(data)
	}
	if m := missingGlyphs(t, all.String()); len(m) > 0 {
		t.Errorf("catalog runes without a glyph: %q", m)
	}
}

func TestPageImages(t *testing.T) {
	tool := needTool(t, "pdftoppm")
	dir := t.TempDir()
	for _, lang := range []string{"kk", "tg", "uz-Latn", "tk"} {
		out, err := Render(sampleData(KindCase), lang, nil)
		if err != nil {
			t.Fatal(err)
		}
		pdf := filepath.Join(dir, lang+".pdf")
		if err := os.WriteFile(pdf, out.PDF, 0o644); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command(tool, "-r", "50", "-png", pdf, filepath.Join(dir, lang)).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v: %s", err, b)
		}
		pages, _ := filepath.Glob(filepath.Join(dir, lang+"-*.png"))
		if len(pages) != out.Pages {
			t.Fatalf("%s: %d page images for %d pages", lang, len(pages), out.Pages)
		}
		for _, p := range pages {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			dark := 0
			b := img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
						dark++
					}
				}
			}
			if dark < 100 {
				t.Errorf("%s looks blank (%d dark pixels)", p, dark)
			}
		}
	}
	t.Logf("page images kept in %s", dir)
}

func TestDeterministic(t *testing.T) {
	a, err := Render(sampleData(KindCase), "ru", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(sampleData(KindCase), "ru", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.SHA256 != b.SHA256 || !bytes.Equal(a.PDF, b.PDF) {
		t.Fatal("same input gave different PDFs")
	}
	d := sampleData(KindCase)
	d.IssuedAt = d.IssuedAt.Add(time.Hour)
	c, err := Render(d, "ru", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SHA256 == a.SHA256 {
		t.Fatal("a different issue date gave the same hash")
	}
	if a.Number != "UZ-MIA-2026-0017" {
		t.Errorf("number %q, want UZ-MIA-2026-0017", a.Number)
	}
}

func TestTemplates(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "template.json"), []byte(`{"header": "Ministry of Internal Affairs", "numbering": "{seq}/{agency}/{year}", "logo": "logo.png", "font": "serif"}`), 0o644))
	must(os.WriteFile(filepath.Join(dir, "logo.png"), testPNG(60, 60), 0o644))
	must(os.MkdirAll(filepath.Join(dir, "messages"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "messages", "ru.json"), []byte(`{"sign.examiner": "Эксперт-баллист"}`), 0o644))
	tpl, err := LoadTemplates(dir)
	must(err)
	out, err := Render(sampleData(KindComparison), "ru", tpl)
	must(err)
	if out.Number != "0017/UZ-MIA/2026" {
		t.Errorf("number %q", out.Number)
	}
	text := squash(pdfText(t, out.PDF))
	for _, w := range []string{"Ministry of Internal Affairs", "Эксперт-баллист", "0017/UZ-MIA/2026"} {
		if !strings.Contains(text, squash(w)) {
			t.Errorf("text lacks %q", w)
		}
	}

	bad := []struct{ name, file, content string }{
		{"unknown field", "template.json", `{"colour": "red"}`},
		{"bad font", "template.json", `{"font": "comic"}`},
		{"no seq", "template.json", `{"numbering": "{agency}-{year}"}`},
		{"missing logo", "template.json", `{"logo": "none.png"}`},
		{"unsupported language", "messages/de.json", `{}`},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			d := t.TempDir()
			must(os.MkdirAll(filepath.Join(d, "messages"), 0o755))
			must(os.WriteFile(filepath.Join(d, b.file), []byte(b.content), 0o644))
			if _, err := LoadTemplates(d); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Data)
		lang string
	}{
		{"unknown kind", func(d *Data) { d.Kind = "memo" }, "en"},
		{"no date", func(d *Data) { d.IssuedAt = time.Time{} }, "en"},
		{"two comparisons in a comparison report", func(d *Data) { d.Comparisons = append(d.Comparisons, d.Comparisons[0]) }, "en"},
		{"both engines", func(d *Data) { d.Comparisons[0].Bullet = &BulletScores{} }, "en"},
		{"conclusion outside AFTE", func(d *Data) { d.Comparisons[0].Conclusion = "probable" }, "en"},
		{"unsupported language", func(d *Data) {}, "de"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := sampleData(KindComparison)
			tc.edit(d)
			if _, err := Render(d, tc.lang, nil); err == nil {
				t.Error("accepted")
			}
		})
	}
	d := sampleData(KindComparison)
	d.Comparisons[0].Image = []byte("not a png")
	if _, err := Render(d, "en", nil); err == nil {
		t.Error("a broken image was accepted")
	}
}
