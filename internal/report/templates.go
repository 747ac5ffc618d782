package report

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tracemark/tracemark/internal/i18n"
)

//go:embed templates/template.json
var defaultTemplate []byte

// Templates is a laboratory's adaptation of the documents.
type Templates struct {
	Header    string `json:"header"`    // text above every page's title, e.g. the ministry's name
	Numbering string `json:"numbering"` // e.g. "{agency}-{year}-{seq}"
	LogoFile  string `json:"logo"`      // PNG file next to template.json; "" for none
	Font      string `json:"font"`      // "sans" or "serif"
	Logo      []byte `json:"-"`
	catalog   *i18n.Catalog
}

// DefaultTemplates returns the embedded templates.
func DefaultTemplates() (*Templates, error) { return LoadTemplates("") }

// LoadTemplates reads a template directory over the embedded defaults: dir
// may hold template.json, the logo it names and messages/<lang>.json. An
// empty dir gives the defaults.
func LoadTemplates(dir string) (*Templates, error) {
	t := &Templates{}
	if err := json.Unmarshal(defaultTemplate, t); err != nil {
		return nil, fmt.Errorf("report: embedded template.json: %w", err)
	}
	var overrides fs.FS
	if dir != "" {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("report: templates directory: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("report: templates %s is not a directory", dir)
		}
		data, err := os.ReadFile(filepath.Join(dir, "template.json"))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("report: %w", err)
		default:
			dec := json.NewDecoder(strings.NewReader(string(data)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(t); err != nil {
				return nil, fmt.Errorf("report: %s: %w (fields: header, numbering, logo, font)", filepath.Join(dir, "template.json"), err)
			}
		}
		if t.LogoFile != "" {
			p := filepath.Join(dir, filepath.Clean("/" + t.LogoFile)[1:])
			if t.Logo, err = os.ReadFile(p); err != nil {
				return nil, fmt.Errorf("report: logo named in template.json: %w", err)
			}
			if len(t.Logo) < 8 || string(t.Logo[1:4]) != "PNG" {
				return nil, fmt.Errorf("report: logo %s is not a PNG file", p)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "messages")); err == nil {
			overrides = os.DirFS(filepath.Join(dir, "messages"))
		}
	}
	if t.Font != "sans" && t.Font != "serif" {
		return nil, fmt.Errorf("report: template font %q: want sans or serif", t.Font)
	}
	if !strings.Contains(t.Numbering, "{seq}") {
		return nil, fmt.Errorf("report: numbering scheme %q must contain {seq}", t.Numbering)
	}
	c, err := i18n.Load(overrides)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	t.catalog = c
	return t, nil
}

// Number makes a document number from the numbering scheme: {agency},
// {year} and {seq} (at least four digits).
func (t *Templates) Number(agency string, at time.Time, seq int) string {
	r := strings.NewReplacer("{agency}", agency, "{year}", strconv.Itoa(at.Year()), "{seq}", fmt.Sprintf("%04d", seq))
	return r.Replace(t.Numbering)
}
