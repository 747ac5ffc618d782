package i18n

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"strings"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

//go:embed locales/*.json
var localeFiles embed.FS

// Languages lists the supported language tags; the first is the fallback.
var Languages = []string{"en", "ru", "kk", "uz-Latn", "ky", "tg", "tk"}

// Catalog is the set of messages of every supported language.
type Catalog struct {
	bundle *goi18n.Bundle
}

// Load reads the embedded catalogs and then, when overrides is not nil,
// every <tag>.json file at its root (for example a laboratory's template
// directory), whose messages replace the embedded ones. An override file for
// an unsupported language is an error, as is a malformed file.
func Load(overrides fs.FS) (*Catalog, error) {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, tag := range Languages {
		name := "locales/" + tag + ".json"
		data, err := localeFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("i18n: embedded catalog %s: %w", name, err)
		}
		if _, err := b.ParseMessageFileBytes(data, tag+".json"); err != nil {
			return nil, fmt.Errorf("i18n: embedded catalog %s: %w", name, err)
		}
	}
	if overrides == nil {
		return &Catalog{bundle: b}, nil
	}
	entries, err := fs.ReadDir(overrides, ".")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("i18n: message overrides: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".json" {
			continue
		}
		tag := strings.TrimSuffix(e.Name(), ".json")
		if !slices.Contains(Languages, tag) {
			return nil, fmt.Errorf("i18n: message override %s: language %q is not supported (want one of %s)", e.Name(), tag, strings.Join(Languages, ", "))
		}
		data, err := fs.ReadFile(overrides, e.Name())
		if err != nil {
			return nil, fmt.Errorf("i18n: message override %s: %w", e.Name(), err)
		}
		if _, err := b.ParseMessageFileBytes(data, e.Name()); err != nil {
			return nil, fmt.Errorf("i18n: message override %s: %w (want a JSON object of message id to text)", e.Name(), err)
		}
	}
	return &Catalog{bundle: b}, nil
}

// Match returns the supported language that best fits a BCP 47 tag or an
// Accept-Language list ("uz" gives "uz-Latn"), and whether the match is
// certain.
func Match(lang string) (string, bool) {
	tags, _, err := language.ParseAcceptLanguage(lang)
	if err != nil || len(tags) == 0 {
		return Languages[0], false
	}
	supported := make([]language.Tag, len(Languages))
	for i, l := range Languages {
		supported[i] = language.MustParse(l)
	}
	_, idx, conf := language.NewMatcher(supported).Match(tags...)
	return Languages[idx], conf >= language.High
}

// Localizer gives the messages and formats of one language.
type Localizer struct {
	lang    string
	tag     language.Tag
	loc     *goi18n.Localizer
	printer *message.Printer
}

// Localizer returns the localizer for lang, one of Languages ("uz" is
// accepted for "uz-Latn"). An unsupported language is an error naming the
// supported ones.
func (c *Catalog) Localizer(lang string) (*Localizer, error) {
	if lang == "uz" {
		lang = "uz-Latn"
	}
	if !slices.Contains(Languages, lang) {
		return nil, fmt.Errorf("i18n: language %q is not supported (want one of %s)", lang, strings.Join(Languages, ", "))
	}
	tag := language.MustParse(lang)
	return &Localizer{
		lang:    lang,
		tag:     tag,
		loc:     goi18n.NewLocalizer(c.bundle, lang),
		printer: message.NewPrinter(tag),
	}, nil
}

// Lang returns the language tag of l.
func (l *Localizer) Lang() string { return l.lang }

// T returns message id filled with data (nil for none). A message missing in
// l's language falls back to English; a message missing everywhere gives
// "[id]" so that the gap shows instead of failing a document.
func (l *Localizer) T(id string, data map[string]any) string {
	s, err := l.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil && s == "" {
		return "[" + id + "]"
	}
	return s
}

// TCount returns the plural message id for count, with data (which may be
// nil) and {{.Count}} set to count formatted for the locale.
func (l *Localizer) TCount(id string, count int, data map[string]any) string {
	d := map[string]any{"Count": l.Int(count)}
	for k, v := range data {
		d[k] = v
	}
	s, err := l.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: d})
	if err != nil && s == "" {
		return "[" + id + "]"
	}
	return s
}

// Int formats n with the locale's thousands separator.
func (l *Localizer) Int(n int) string {
	return l.printer.Sprint(number.Decimal(n))
}

// Number formats v with exactly decimals fraction digits and the locale's
// separators; NaN and ±Inf give "—".
func (l *Localizer) Number(v float64, decimals int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	if v == 0 {
		v = 0 // no "-0"
	}
	return l.printer.Sprint(number.Decimal(v, number.MinFractionDigits(decimals), number.MaxFractionDigits(decimals)))
}

// Date formats the calendar date of t (in t's location).
func (l *Localizer) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if l.lang == "en" {
		return t.Format("2006-01-02")
	}
	return t.Format("02.01.2006")
}

// DateTime formats the date and the time of day (24 h, minutes) of t.
func (l *Localizer) DateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return l.Date(t) + " " + t.Format("15:04")
}

// Files returns the embedded catalogs (<tag>.json at the root), for
// serving the same wording to the browser.
func Files() fs.FS {
	sub, err := fs.Sub(localeFiles, "locales")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return sub
}
