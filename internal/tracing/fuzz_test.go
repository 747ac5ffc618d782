package tracing

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func FuzzSearchKey(f *testing.F) {
	for _, s := range []string{"ПМ Макарова", "Oʻzbekiston", "AK-47", "Şymkent", "ҶҲӢӮЎ", "P.M.", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := SearchKey(s)
		if strings.Contains(k, "  ") || strings.HasPrefix(k, " ") || strings.HasSuffix(k, " ") {
			t.Fatalf("SearchKey(%q) = %q: bad spacing", s, k)
		}
		for _, l := range Langs {
			ToLatin(l, s)
		}
		ToCyrillic(s)
	})
}

func FuzzSerialPattern(f *testing.F) {
	for _, s := range [][2]string{{"AB12?4", "AB1234"}, {"*34", "АВ1234"}, {"З?Б*", "33GG"}, {"?", "1"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, q, serial string) {
		p, err := ParseSerialPattern(q)
		if err != nil {
			return
		}
		s := p.Match(SerialKey(serial))
		if s < 0 || s > 1 || math.IsNaN(s) {
			t.Fatalf("Match(%q, %q) = %v", q, serial, s)
		}
		x := NewSerialIndex()
		x.Add("a", serial)
		hits := x.Search(p, 0, 0)
		if (s > 0) != (len(hits) == 1) || len(hits) == 1 && hits[0].Score != s {
			t.Fatalf("index disagrees with Match(%q, %q) = %v: %v", q, serial, s, hits)
		}
	})
}

func FuzzLoadCatalogue(f *testing.F) {
	f.Add(defaultModels)
	f.Add([]byte(`{"version":1,"models":[{"id":"x","make":"m","model":"a","type":"pistol","aliases":["ПМ"]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := LoadCatalogue(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, m := range c.Models() {
			if got := c.Resolve(m.Model, 0.99, 0); len(got) == 0 {
				t.Fatalf("model %q does not resolve to itself", m.Model)
			}
		}
	})
}
