package tracing

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestSerialKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"АВ 1234", "AB1234"}, // Cyrillic А, В
		{"ab-12.34/5", "AB12345"},
		{"КМ 0?1*", "KM0?1*"},
		{"БГ 77", "БГ77"}, // no Latin twin: kept
		{"", ""},
	}
	for _, tt := range tests {
		if got := SerialKey(tt.in); got != tt.want {
			t.Errorf("SerialKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSerialMatch(t *testing.T) {
	tests := []struct {
		query, serial string
		want          string // "exact", "lookalike", "wildcard", "none"
	}{
		{"AB1234", "AB1234", "exact"},
		{"АВ1234", "AB1234", "exact"}, // Cyrillic query, Latin record
		{"ab 1234", "АВ1234", "exact"},
		{"AB1234", "AB12345", "none"},
		{"AB1234", "A81234", "lookalike"}, // 8/B
		{"0O1234", "OD1234", "lookalike"}, // 0/O, O/D
		{"QI5SZ2", "O15S22", "lookalike"}, // Q/O, I/1, 5/S, Z/2
		{"l234", "1234", "lookalike"},     // typed lowercase l
		{"7234", "1234", "lookalike"},
		{"6G", "GБ", "lookalike"},
		{"З3", "33", "lookalike"},
		{"AB12?4", "AB1234", "wildcard"},
		{"AB*", "AB1234", "wildcard"},
		{"*34", "AB1234", "wildcard"},
		{"A*4", "AB1234", "wildcard"},
		{"AB1234*", "AB1234", "exact"}, // an empty run costs nothing
		{"*12*", "AB1234", "wildcard"},
		{"AB1234", "AB12?4", "wildcard"}, // unreadable position in the record
		{"AB??34", "AB1234", "wildcard"},
		{"AB???34", "AB1234", "none"},
		{"AB1235", "AB1234", "none"},
		{"X*Y", "AB1234", "none"},
		{"AB1234", "", "none"},
	}
	for _, tt := range tests {
		p, err := ParseSerialPattern(tt.query)
		if err != nil {
			t.Fatalf("ParseSerialPattern(%q): %v", tt.query, err)
		}
		s := p.Match(SerialKey(tt.serial))
		var got string
		switch {
		case s == 0:
			got = "none"
		case s == 1:
			got = "exact"
		case s >= creditLookAlike*0.99 && !containsWild(tt.query+tt.serial):
			got = "lookalike"
		default:
			got = "wildcard"
		}
		if got != tt.want {
			t.Errorf("Match(%q, %q) = %.3f (%s), want %s", tt.query, tt.serial, s, got, tt.want)
		}
		if s < 0 || s > 1 {
			t.Errorf("Match(%q, %q) = %v outside [0, 1]", tt.query, tt.serial, s)
		}
	}
}

func containsWild(s string) bool {
	for _, r := range s {
		if r == '?' || r == '*' {
			return true
		}
	}
	return false
}

func TestSerialScoreOrder(t *testing.T) {
	score := func(q, s string) float64 {
		p, err := ParseSerialPattern(q)
		if err != nil {
			t.Fatal(err)
		}
		return p.Match(SerialKey(s))
	}
	exact := score("KM123456", "KM123456")
	look := score("KM12345G", "KM123456") // 6 read as G
	wild := score("KM12345?", "KM123456")
	if !(exact > look && look > wild && wild > 0) {
		t.Errorf("scores exact %.3f, look-alike %.3f, wildcard %.3f: want strictly decreasing and positive", exact, look, wild)
	}
}

func TestParseSerialPatternErrors(t *testing.T) {
	for _, q := range []string{"", "??*", "- -"} {
		if _, err := ParseSerialPattern(q); err == nil {
			t.Errorf("ParseSerialPattern(%q): no error", q)
		}
	}
}

func TestSerialIndexFindsWhatScanFinds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	serials := make([]string, 5000)
	x := NewSerialIndex()
	for i := range serials {
		serials[i] = randomSerial(rng)
		x.Add(FirearmID(fmt.Sprintf("f%05d", i)), serials[i])
	}
	x.Add("obliterated", "KM12?456")
	serials = append(serials, "KM12?456")
	queries := []string{serials[10], serials[20][:4] + "*", "*" + serials[30][3:], "KM123456", "KM1Z3456", "K?1234*", "12", "*7*", "ОО1"}
	for _, q := range queries {
		p, err := ParseSerialPattern(q)
		if err != nil {
			t.Fatal(err)
		}
		want := map[FirearmID]float64{}
		for i, s := range serials {
			if sc := p.Match(SerialKey(s)); sc > 0 {
				id := FirearmID(fmt.Sprintf("f%05d", i))
				if i == len(serials)-1 {
					id = "obliterated"
				}
				want[id] = sc
			}
		}
		got := x.Search(p, 0, 0)
		if len(got) != len(want) {
			t.Errorf("Search(%q): %d hits, brute force %d", q, len(got), len(want))
		}
		for i, h := range got {
			if want[h.ID] != h.Score {
				t.Errorf("Search(%q): %s scored %.3f, brute force %.3f", q, h.ID, h.Score, want[h.ID])
			}
			if i > 0 && got[i-1].Score < h.Score {
				t.Errorf("Search(%q): results not sorted by score", q)
			}
		}
	}
	p, _ := ParseSerialPattern("KM123456")
	if hits := x.Search(p, 0, 1); len(hits) != 1 || hits[0].ID != "obliterated" {
		t.Errorf("Search(KM123456) = %v, want the obliterated KM12?456 first", hits)
	}
	x.Add("cyrillic", "АВ 777 123")
	p, _ = ParseSerialPattern("ab-777-123")
	if hits := x.Search(p, 0.99, 0); len(hits) != 1 || hits[0].ID != "cyrillic" || hits[0].Score != 1 {
		t.Errorf("Latin query for a Cyrillic serial: %v, want one exact hit", hits)
	}
	p, _ = ParseSerialPattern("A8-7?7-1Z3")
	if hits := x.Search(p, 0, 0); len(hits) != 1 || hits[0].ID != "cyrillic" || hits[0].Score >= 1 {
		t.Errorf("look-alike and wildcard query: %v, want the Cyrillic serial below 1", hits)
	}
}

func randomSerial(rng *rand.Rand) string {
	const letters = "ABCEHKMNPTX"
	const digits = "0123456789"
	b := []byte{letters[rng.IntN(len(letters))], letters[rng.IntN(len(letters))]}
	for range 4 + rng.IntN(3) {
		b = append(b, digits[rng.IntN(len(digits))])
	}
	return string(b)
}

func BenchmarkSerialIndex1M(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := NewSerialIndex()
	serials := make([]string, 1_000_000)
	for i := range serials {
		serials[i] = randomSerial(rng)
		x.Add(FirearmID(fmt.Sprintf("%07d", i)), serials[i])
	}
	cases := map[string]string{
		"exact":     serials[123456],
		"lookalike": serials[777][:2] + strings.NewReplacer("0", "O", "1", "I", "5", "S", "8", "B", "2", "Z", "6", "G").Replace(serials[777][2:]),
		"one?":      serials[4242][:3] + "?" + serials[4242][4:],
		"prefix*":   serials[99][:5] + "*",
		"*suffix":   "*" + serials[5][2:],
		"sparse":    serials[31][:2] + "?" + serials[31][3:4] + "?" + serials[31][5:6] + "*", // no trigram: scans all serials
	}
	for name, q := range cases {
		p, err := ParseSerialPattern(q)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				n = len(x.Search(p, 0, 50))
			}
			b.ReportMetric(float64(n), "hits")
		})
	}
}

// BenchmarkSerialIndexAdd reports the cost of indexing one serial (time
// and allocated bytes per serial, which approximates the index's memory).
func BenchmarkSerialIndexAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	serials := make([]string, 1<<16)
	for i := range serials {
		serials[i] = randomSerial(rng)
	}
	x := NewSerialIndex()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		x.Add(FirearmID("f"), serials[i&(len(serials)-1)])
		i++
	}
}
