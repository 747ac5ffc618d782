package i18n

import (
	"encoding/json"
	"io/fs"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

func readCatalog(t *testing.T, tag string) map[string]any {
	t.Helper()
	data, err := localeFiles.ReadFile("locales/" + tag + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s.json: %v", tag, err)
	}
	return m
}

// pluralForms returns the plural categories go-i18n uses for tag, found by
// localizing a probe message that names every category.
func pluralForms(t *testing.T, tag string) map[string]bool {
	t.Helper()
	b := goi18n.NewBundle(language.English)
	cats := []string{"zero", "one", "two", "few", "many", "other"}
	msg := &goi18n.Message{ID: "probe", Zero: "zero", One: "one", Two: "two", Few: "few", Many: "many", Other: "other"}
	if err := b.AddMessages(language.MustParse(tag), msg); err != nil {
		t.Fatal(err)
	}
	loc := goi18n.NewLocalizer(b, tag)
	seen := map[string]bool{}
	for n := 0; n <= 1000; n++ {
		s, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: "probe", PluralCount: n})
		if err != nil {
			t.Fatal(err)
		}
		seen[s] = true
	}
	for _, f := range []string{"0.5", "1.5", "2.5"} {
		s, _ := loc.Localize(&goi18n.LocalizeConfig{MessageID: "probe", PluralCount: f})
		seen[s] = true
	}
	for k := range seen {
		if !strings.Contains(strings.Join(cats, " "), k) {
			t.Fatalf("unexpected plural output %q", k)
		}
	}
	return seen
}

func TestEveryMessageInEveryLanguage(t *testing.T) {
	en := readCatalog(t, "en")
	for _, tag := range Languages {
		cat := readCatalog(t, tag)
		forms := pluralForms(t, tag)
		for id, v := range en {
			got, ok := cat[id]
			if !ok {
				t.Errorf("%s: message %q is missing", tag, id)
				continue
			}
			switch ev := v.(type) {
			case string:
				s, ok := got.(string)
				if !ok || strings.TrimSpace(s) == "" {
					t.Errorf("%s: message %q must be a non-empty string", tag, id)
				}
				if ev != "" && tag != "en" && s == ev && len(ev) > 12 && !strings.Contains(ev, "{{") {
					t.Errorf("%s: message %q is not translated (same as English)", tag, id)
				}
			case map[string]any:
				pm, ok := got.(map[string]any)
				if !ok {
					t.Errorf("%s: message %q must be a plural object", tag, id)
					continue
				}
				for f := range forms {
					if s, _ := pm[f].(string); !strings.Contains(s, "{{.Count}}") {
						t.Errorf("%s: plural message %q lacks category %q (with {{.Count}})", tag, id, f)
					}
				}
			}
		}
		for id := range cat {
			if _, ok := en[id]; !ok {
				t.Errorf("%s: message %q is not in the English catalog", tag, id)
			}
		}
	}
}

func TestPluralCategories(t *testing.T) {
	want := map[string]string{"en": "one other", "ru": "few many one other", "kk": "one other",
		"uz-Latn": "one other", "ky": "one other", "tg": "one other", "tk": "one other"}
	for _, tag := range Languages {
		var got []string
		for f := range pluralForms(t, tag) {
			got = append(got, f)
		}
		sort.Strings(got)
		if g := strings.Join(got, " "); g != want[tag] {
			t.Errorf("%s: plural categories %q, want %q", tag, g, want[tag])
		}
	}
}

func TestLocalizer(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 27, 14, 5, 0, 0, time.UTC)
	tests := []struct {
		lang, number, date, cells5, cells21, afte string
	}{
		{"en", "1,234,567.89", "2026-11-27", "5 cells", "21 cells", "Identification"},
		{"ru", "1\u00a0234\u00a0567,89", "27.11.2026", "5 ячеек", "21 ячейка", "Идентификация"},
		{"kk", "1\u00a0234\u00a0567,89", "27.11.2026", "5 ұяшық", "21 ұяшық", "Сәйкестендіру"},
		{"uz-Latn", "1\u00a0234\u00a0567,89", "27.11.2026", "5 ta yacheyka", "21 ta yacheyka", "Identifikatsiya"},
		{"ky", "1\u00a0234\u00a0567,89", "27.11.2026", "5 уяча", "21 уяча", "Идентификациялоо"},
		{"tg", "1\u00a0234\u00a0567,89", "27.11.2026", "5 ҳуҷайра", "21 ҳуҷайра", "Айниятмуайянкунӣ"},
		{"tk", "1\u00a0234\u00a0567,89", "27.11.2026", "5 öýjük", "21 öýjük", "Identifikasiýa"},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			l, err := c.Localizer(tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Number(1234567.891, 2); got != tc.number {
				t.Errorf("Number = %q, want %q", got, tc.number)
			}
			if got := l.Date(day); got != tc.date {
				t.Errorf("Date = %q, want %q", got, tc.date)
			}
			if got := l.TCount("plural.cells", 5, nil); got != tc.cells5 {
				t.Errorf("5 cells = %q, want %q", got, tc.cells5)
			}
			if got := l.TCount("plural.cells", 21, nil); got != tc.cells21 {
				t.Errorf("21 cells = %q, want %q", got, tc.cells21)
			}
			if got := l.T("afte.identification", nil); got != tc.afte {
				t.Errorf("afte = %q, want %q", got, tc.afte)
			}
			if got := l.Number(nan(), 2); got != "—" {
				t.Errorf("NaN = %q", got)
			}
			if got := l.T("no.such.message", nil); got != "[no.such.message]" {
				t.Errorf("missing message = %q", got)
			}
		})
	}
	if _, err := c.Localizer("de"); err == nil {
		t.Error("unsupported language accepted")
	}
}

func nan() float64 { var z float64; return z / z }

func TestOverrides(t *testing.T) {
	fsys := fstest.MapFS{"ru.json": {Data: []byte(`{"sign.examiner": "Эксперт-баллист"}`)}}
	c, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := c.Localizer("ru")
	if got := l.T("sign.examiner", nil); got != "Эксперт-баллист" {
		t.Errorf("override not applied: %q", got)
	}
	if got := l.T("sign.verifier", nil); got != "Проверяющий" {
		t.Errorf("other messages lost: %q", got)
	}
	bad := fstest.MapFS{"de.json": {Data: []byte(`{}`)}}
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "de.json") {
		t.Errorf("unsupported override language: err = %v", err)
	}
	broken := fstest.MapFS{"ru.json": {Data: []byte(`{"a": `)}}
	if _, err := Load(broken); err == nil {
		t.Error("malformed override accepted")
	}
}

func TestMatch(t *testing.T) {
	for in, want := range map[string]string{"ru-RU": "ru", "uz": "uz-Latn", "kk-KZ,ru;q=0.8": "kk", "tk": "tk"} {
		if got, _ := Match(in); got != want {
			t.Errorf("Match(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFiles(t *testing.T) {
	for _, tag := range Languages {
		b, err := fs.ReadFile(Files(), tag+".json")
		if err != nil || !json.Valid(b) {
			t.Errorf("%s.json: %v", tag, err)
		}
	}
}
