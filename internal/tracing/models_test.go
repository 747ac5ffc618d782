package tracing

import (
	"strings"
	"testing"
)

func TestResolveAliases(t *testing.T) {
	c, err := DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		want   string
		minTop float64
		exact  bool
	}{
		{"Makarov PM", "makarov-pm", 1, true},
		{"ПМ", "makarov-pm", 1, true},
		{"Pistolet Makarova", "makarov-pm", 1, true},
		{"ПМ Макарова", "makarov-pm", 1, true},
		{"пистолет макарова", "makarov-pm", 1, true},
		{"Pistolet Makarov", "makarov-pm", 0.8, false},
		{"Makarof", "makarov-pm", 0.7, false},
		{"ТТ", "tt-33", 1, true},
		{"Tokarev TT33", "tt-33", 1, true},
		{"АКМ", "akm", 1, true},
		{"ak74", "ak-74", 1, true},
		{"АКС-74У", "aks-74u", 1, true},
		{"Стечкин", "aps", 1, true},
		{"Grach", "mp-443", 1, true},
		{"Байкал ИЖ-27", "izh-27", 1, true},
		{"Glock 19", "glock-19", 1, true},
		{"Глок 17", "glock-17", 1, true},
		{"CZ-75", "cz-75", 1, true},
		{"Форт-12", "fort-12", 1, true},
		{"Кольт 1911", "colt-1911", 1, true},
		{"Smith & Wesson", "sw-model-10", 0.8, false},
		{"Вальтер ППК", "walther-pp", 1, true},
		{"SIG P226", "sig-p226", 1, true},
		{"Mosin-Nagant", "mosin", 1, true},
		{"Мосина", "mosin", 1, true},
		{"Browning HP", "browning-hp", 1, true},
		{"Ruger P95", "ruger-p95", 1, true},
		{"Сайга", "saiga-rifle", 1, true},
		{"ПКМ", "pkm", 1, true},
		{"РПК", "rpk", 1, true},
		{"СКС", "sks", 1, true},
		{"ПСМ", "psm", 1, true},
		{"Beretta 92FS", "beretta-92", 1, true},
	}
	for _, tt := range tests {
		got := c.Resolve(tt.name, 0.5, 3)
		if len(got) == 0 {
			t.Errorf("Resolve(%q): no match, want %s", tt.name, tt.want)
			continue
		}
		top := got[0]
		if top.Model.ID != tt.want || top.Score < tt.minTop {
			t.Errorf("Resolve(%q) top = %s (%.2f via %q), want %s with score ≥ %.2f", tt.name, top.Model.ID, top.Score, top.Alias, tt.want, tt.minTop)
		}
		if !tt.exact && top.Score >= 1 {
			t.Errorf("Resolve(%q): fuzzy match scored 1", tt.name)
		}
		if len(got) > 1 && got[1].Score >= top.Score && tt.exact {
			t.Errorf("Resolve(%q): tie between %s and %s at %.2f", tt.name, top.Model.ID, got[1].Model.ID, top.Score)
		}
	}
	if got := c.Resolve("Glock 17", 0.9, 0); len(got) != 1 || got[0].Model.ID != "glock-17" {
		t.Errorf("Resolve(Glock 17, 0.9) = %v, want only glock-17 (calibre digits must not fuzz)", got)
	}
	if got := c.Resolve("zzzz qqqq", 0.6, 0); len(got) != 0 {
		t.Errorf("Resolve(nonsense) = %v, want nothing", got)
	}
}

func TestLoadCatalogueErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"bad json", `{`, "models list"},
		{"version", `{"version":2,"models":[]}`, "version 2"},
		{"unknown field", `{"version":1,"models":[],"extra":1}`, "unknown field"},
		{"missing model", `{"version":1,"models":[{"id":"x","make":"m","type":"pistol"}]}`, "required"},
		{"duplicate id", `{"version":1,"models":[{"id":"x","make":"m","model":"a","type":"pistol"},{"id":"x","make":"m","model":"b","type":"pistol"}]}`, "used twice"},
		{"bad type", `{"version":1,"models":[{"id":"x","make":"m","model":"a","type":"laser"}]}`, "want one of"},
		{"empty alias", `{"version":1,"models":[{"id":"x","make":"m","model":"a","type":"pistol","aliases":["--"]}]}`, "no letters"},
	}
	for _, tt := range tests {
		_, err := LoadCatalogue(strings.NewReader(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}
