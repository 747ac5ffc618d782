package tracing

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/tracemark/tracemark/internal/errs"
)

//go:embed models.json
var defaultModels []byte

// Model is one entry of the reference list of makes and models.
type Model struct {
	ID       string      `json:"id"` // stable, lowercase, e.g. "makarov-pm"
	Make     string      `json:"make"`
	Model    string      `json:"model"`
	Type     FirearmType `json:"type"`
	Calibres []string    `json:"calibres,omitempty"`
	Country  string      `json:"country,omitempty"` // ISO 3166-1 alpha-2 of the original maker
	Aliases  []string    `json:"aliases,omitempty"` // other names, any script
}

// Catalogue is a loaded reference list with its alias index. It is
// read-only after loading and safe for concurrent use.
type Catalogue struct {
	models  []Model
	byKey   map[string][]int // SearchKey of a name → models
	entries []aliasEntry
}

type aliasEntry struct {
	model  int
	key    string   // SearchKey
	tokens []string // key split on spaces
}

// ModelMatch is one result of Resolve.
type ModelMatch struct {
	Model Model   `json:"model"`
	Alias string  `json:"alias"` // the name that matched best
	Score float64 `json:"score"` // 1 = exact after normalisation
}

// DefaultCatalogue returns the embedded reference list (models.json).
func DefaultCatalogue() (*Catalogue, error) {
	return LoadCatalogue(strings.NewReader(string(defaultModels)))
}

// LoadCatalogue reads a reference list in the models.json format. It
// refuses duplicate IDs, unknown types and entries without a name.
func LoadCatalogue(r io.Reader) (*Catalogue, error) {
	const op = "tracing.LoadCatalogue"
	var doc struct {
		Version int     `json:"version"`
		Models  []Model `json:"models"`
	}
	dec := json.NewDecoder(io.LimitReader(r, 16<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&struct {
		Version *int     `json:"version"`
		Note    string   `json:"note"`
		Models  *[]Model `json:"models"`
	}{&doc.Version, "", &doc.Models}); err != nil {
		return nil, errs.E(op, errs.Invalid, fmt.Errorf("models list: %w (see internal/tracing/models.json for the format)", err))
	}
	if doc.Version != 1 {
		return nil, errs.Errorf(op, errs.Invalid, "models list version %d: want 1", doc.Version)
	}
	c := &Catalogue{models: doc.Models, byKey: map[string][]int{}}
	seen := map[string]bool{}
	for i, m := range doc.Models {
		where := fmt.Sprintf("models list entry %d (%q)", i+1, m.ID)
		if m.ID == "" || m.Model == "" || m.Make == "" {
			return nil, errs.Errorf(op, errs.Invalid, "%s: id, make and model are required", where)
		}
		if seen[m.ID] {
			return nil, errs.Errorf(op, errs.Invalid, "%s: id used twice", where)
		}
		seen[m.ID] = true
		if err := oneOf(op, where+" type", m.Type, FirearmTypes...); err != nil {
			return nil, err
		}
		names := append([]string{m.Model, m.Make + " " + m.Model}, m.Aliases...)
		for _, n := range names {
			key := SearchKey(n)
			if key == "" {
				return nil, errs.Errorf(op, errs.Invalid, "%s: alias %q has no letters or digits", where, n)
			}
			if !containsInt(c.byKey[key], i) {
				c.byKey[key] = append(c.byKey[key], i)
				c.entries = append(c.entries, aliasEntry{model: i, key: key, tokens: strings.Fields(key)})
			}
		}
	}
	return c, nil
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Models returns the list (a copy of the slice; do not modify the models).
func (c *Catalogue) Models() []Model { return append([]Model(nil), c.models...) }

// Lookup returns the model with the given ID.
func (c *Catalogue) Lookup(id string) (Model, bool) {
	for _, m := range c.models {
		if m.ID == id {
			return m, true
		}
	}
	return Model{}, false
}

// Resolve finds the models a free-text name refers to, best first, with
// scores in (0, 1]: 1 when the name equals a model name or alias after
// normalisation (SearchKey: case, punctuation, spacing, script), otherwise
// a fuzzy score from edit distance on the whole key and per token. Results
// below minScore are dropped; at most limit are returned (≤ 0: all).
func (c *Catalogue) Resolve(name string, minScore float64, limit int) []ModelMatch {
	key := SearchKey(name)
	if key == "" {
		return nil
	}
	best := map[int]ModelMatch{}
	consider := func(i int, alias string, s float64) {
		if s < minScore || s <= 0 {
			return
		}
		if cur, ok := best[i]; !ok || s > cur.Score {
			best[i] = ModelMatch{Model: c.models[i], Alias: alias, Score: s}
		}
	}
	for _, i := range c.byKey[key] {
		consider(i, key, 1)
	}
	qTokens := strings.Fields(key)
	for _, e := range c.entries {
		if e.key == key {
			continue
		}
		whole := similarity(strings.ReplaceAll(key, " ", ""), strings.ReplaceAll(e.key, " ", ""))
		tok := (tokenScore(qTokens, e.tokens) + tokenScore(e.tokens, qTokens)) / 2
		s := max(whole, tok)
		if s >= 1 {
			s = 0.99 // equal only up to spacing: not an exact alias
		}
		consider(e.model, e.key, s)
	}
	out := make([]ModelMatch, 0, len(best))
	for _, m := range best {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Model.ID < out[j].Model.ID
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// tokenScore is the mean, over the tokens of a, of the best similarity to
// a token of b. Digit tokens must match exactly ("17" is not "19").
func tokenScore(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	var sum float64
	for _, t := range a {
		var best float64
		for _, u := range b {
			var s float64
			if isDigits(t) || isDigits(u) {
				if t == u {
					s = 1
				}
			} else {
				s = similarity(t, u)
			}
			best = max(best, s)
		}
		sum += best
	}
	return sum / float64(len(a))
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// similarity is 1 − Levenshtein distance / longer length (ASCII keys).
func similarity(a, b string) float64 {
	if a == b {
		return 1
	}
	n := max(len(a), len(b))
	if n == 0 {
		return 0
	}
	return 1 - float64(levenshtein(a, b))/float64(n)
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
