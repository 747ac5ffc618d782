package report

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

var fadulA, fadulB = filepath.Join("..", "x3p", "testdata", "Fadul 1-1.x3p"), filepath.Join("..", "x3p", "testdata", "Fadul 1-2.x3p")

// TestDemoFadul runs the real cartridge engine on two Fadul scans of the
// same slide and renders the report.
func TestDemoFadul(t *testing.T) {
	d, err := DemoData(fadulA, fadulB, issued)
	if err != nil {
		t.Fatal(err)
	}
	c := d.Comparisons[0]
	if c.Cartridge == nil || len(c.Image) == 0 {
		t.Fatal("demo comparison has no cartridge figures or image")
	}
	if c.Cartridge.HighCMC < 6 || c.Conclusion != Identification {
		t.Errorf("same-source Fadul pair: High-CMC %d, conclusion %q", c.Cartridge.HighCMC, c.Conclusion)
	}
	if len(d.Scans) != 2 || len(d.Scans[0].SHA256) != 64 {
		t.Errorf("scans %+v", d.Scans)
	}
	out, err := Render(d, "tg", nil)
	if err != nil {
		t.Fatal(err)
	}
	text := squash(pdfText(t, out.PDF))
	for _, w := range []string{"Fadul1-1.x3p", d.Scans[1].SHA256, "Айниятмуайянкунӣ"} {
		if !strings.Contains(text, w) {
			t.Errorf("demo report lacks %q", w)
		}
	}
	if _, err := DemoData("no-such.x3p", fadulB, issued); err == nil {
		t.Error("a missing scan was accepted")
	}
}

// BenchmarkCaseReport renders a case report with two real cartridge
// comparisons (overlay images from the engine); the target is ≤ 2 s.
func BenchmarkCaseReport(b *testing.B) {
	d, err := DemoData(fadulA, fadulB, issued)
	if err != nil {
		b.Fatal(err)
	}
	second := d.Comparisons[0]
	second.A, second.B = "E1", "E3"
	d.Comparisons = append(d.Comparisons, second)
	d.Kind = KindCase
	tpl, err := DefaultTemplates()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Render(d, "ru", tpl); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzRenderJSON feeds arbitrary report data (as the CLI reads it) to
// Render: it may refuse, but must not panic.
func FuzzRenderJSON(f *testing.F) {
	for _, k := range Kinds {
		d := sampleData(k)
		for i := range d.Comparisons {
			d.Comparisons[i].Image = nil
		}
		b, _ := json.Marshal(d)
		f.Add(b)
	}
	f.Add([]byte(`{"kind":"receipt","issued_at":"2026-01-01T00:00:00Z","receipt":{}}`))
	tpl, err := DefaultTemplates()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Data
		if json.Unmarshal(data, &d) != nil {
			return
		}
		_, _ = Render(&d, "ru", tpl)
	})
}
