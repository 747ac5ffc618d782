package tracing

import (
	"sort"
	"strings"
	"unicode"

	"github.com/tracemark/tracemark/internal/errs"
)

// glyphFold maps Cyrillic capitals that look exactly like a Latin capital
// to that Latin capital: on a stamped serial they are the same mark.
var glyphFold = map[rune]rune{
	'А': 'A', 'В': 'B', 'С': 'C', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O',
	'Р': 'P', 'Т': 'T', 'Х': 'X', 'У': 'Y', 'І': 'I', 'Ј': 'J', 'Ѕ': 'S', 'Ү': 'Y',
}

// SerialKey folds a serial number or other stamped marking for matching:
// upper case, separators (space, '-', '.', '/', '_') removed, Cyrillic
// capitals that look like Latin ones replaced by them ("АВ" → "AB").
// Other letters and digits are kept; '?' and '*' are kept (they mark
// unreadable positions in a recorded serial, and wildcards in a query).
func SerialKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '?' || r == '*':
			b.WriteRune(r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			u := unicode.ToUpper(r)
			if g, ok := glyphFold[u]; ok {
				u = g
			}
			b.WriteRune(u)
		}
	}
	return b.String()
}

// lookAlike gives each character of a folded serial its confusion class:
// characters of one class are easily misread for one another on a worn or
// partly obliterated stamp. Characters of no class are their own class.
// L is in the class of 1 because SerialKey upper-cases a typed 'l'.
var lookAlike = func() map[rune]rune {
	classes := []string{"0ODQ", "1IL7", "5S", "8B", "2Z", "6GБ", "3З"}
	m := map[rune]rune{}
	for _, c := range classes {
		rs := []rune(c)
		for _, r := range rs {
			m[r] = rs[0]
		}
	}
	return m
}()

func classOf(r rune) rune {
	if c, ok := lookAlike[r]; ok {
		return c
	}
	return r
}

// Credits for one serial position, chosen so that a match with a
// look-alike scores below an exact one and above one with a wildcard.
const (
	creditExact     = 1.0
	creditLookAlike = 0.6
	creditOne       = 0.3 // '?' in the query or the recorded serial
	creditRun       = 0.2 // each character covered by '*'
)

// SerialPattern is a parsed serial query: folded characters, '?' for one
// unknown character, '*' for any run (possibly empty).
type SerialPattern struct {
	key   []rune
	fixed int // characters that are neither '?' nor '*'
	star  bool
}

// ParseSerialPattern folds q with SerialKey and checks it has at least one
// readable character.
func ParseSerialPattern(q string) (SerialPattern, error) {
	k := []rune(SerialKey(q))
	p := SerialPattern{key: k}
	for _, r := range k {
		switch r {
		case '*':
			p.star = true
		case '?':
		default:
			p.fixed++
		}
	}
	if p.fixed == 0 {
		return p, errs.Errorf("tracing.ParseSerialPattern", errs.Invalid, "serial query %q has no readable character; give at least one letter or digit", clip(q))
	}
	if len(k) > 128 {
		return p, errs.Errorf("tracing.ParseSerialPattern", errs.Invalid, "serial query is %d characters long; the limit is 128", len(k))
	}
	return p, nil
}

// String returns the folded pattern.
func (p SerialPattern) String() string { return string(p.key) }

// Match scores serial (a folded key, see SerialKey) against p: 0 when it
// does not match, else a score in (0, 1], 1 only for an exact match.
// The score is the best alignment's mean credit per serial character
// (exact 1, look-alike 0.6, '?' 0.3, '*' 0.2). A '?' in the recorded serial
// (an unreadable position) matches any query character at the '?' credit.
func (p SerialPattern) Match(serial string) float64 {
	return matchRunes(p.key, []rune(serial))
}

func matchRunes(pat, s []rune) float64 {
	if len(s) == 0 {
		return 0
	}
	// best[i][j]: best credit aligning pat[:i] with s[:j]; -1 = impossible.
	n, m := len(pat), len(s)
	prev := make([]float64, m+1)
	cur := make([]float64, m+1)
	for j := 1; j <= m; j++ {
		prev[j] = -1
	}
	for i := 1; i <= n; i++ {
		pc := pat[i-1]
		if pc == '*' {
			cur[0] = prev[0]
		} else {
			cur[0] = -1
		}
		for j := 1; j <= m; j++ {
			best := -1.0
			if pc == '*' {
				if prev[j] >= 0 { // empty run
					best = prev[j]
				}
				if cur[j-1] >= 0 && cur[j-1]+creditRun > best { // extend the run
					best = cur[j-1] + creditRun
				}
			} else if prev[j-1] >= 0 {
				if c := credit(pc, s[j-1]); c > 0 {
					best = prev[j-1] + c
				}
			}
			cur[j] = best
		}
		prev, cur = cur, prev
	}
	if prev[m] < 0 {
		return 0
	}
	return prev[m] / float64(m)
}

func credit(q, s rune) float64 {
	switch {
	case q == '?' || s == '?':
		return creditOne
	case q == s:
		return creditExact
	case classOf(q) == classOf(s):
		return creditLookAlike
	}
	return 0
}

// SerialHit is one result of a serial search.
type SerialHit struct {
	ID     FirearmID `json:"id"`
	Serial string    `json:"serial"` // the folded recorded serial
	Score  float64   `json:"score"`
}

// SerialIndex answers serial queries over many firearms. Serials are
// folded with SerialKey and indexed by trigrams of look-alike classes, so
// a query finds candidates through any look-alike reading; each candidate
// is then scored with SerialPattern.Match. Add is not safe concurrently
// with Search; Search is safe for concurrent use.
type SerialIndex struct {
	ids     []FirearmID
	keys    []string
	classes []string            // keys with every character replaced by its look-alike class
	post    map[uint64][]uint32 // class trigram → entry numbers, ascending
	byLen   map[int][]uint32    // serial length → entries (for queries without trigrams)
	unknown []uint32            // serials with a '?' position: always verified
}

// NewSerialIndex returns an empty index.
func NewSerialIndex() *SerialIndex {
	return &SerialIndex{post: map[uint64][]uint32{}, byLen: map[int][]uint32{}}
}

// Len returns the number of entries.
func (x *SerialIndex) Len() int { return len(x.ids) }

// Add indexes a firearm's serial. Empty serials are skipped.
func (x *SerialIndex) Add(id FirearmID, serial string) {
	key := SerialKey(serial)
	if key == "" {
		return
	}
	n := uint32(len(x.ids))
	x.ids = append(x.ids, id)
	x.keys = append(x.keys, key)
	x.classes = append(x.classes, classString(key))
	rs := []rune(key)
	if strings.ContainsAny(key, "?*") {
		x.unknown = append(x.unknown, n)
		return
	}
	x.byLen[len(rs)] = append(x.byLen[len(rs)], n)
	for i := 0; i+3 <= len(rs); i++ {
		g := trigram(rs[i : i+3])
		l := x.post[g]
		if len(l) > 0 && l[len(l)-1] == n {
			continue // trigram repeated within this serial
		}
		x.post[g] = append(l, n)
	}
}

func trigram(rs []rune) uint64 {
	return uint64(classOf(rs[0]))<<42 | uint64(classOf(rs[1]))<<21 | uint64(classOf(rs[2]))
}

// Search returns the entries matching p with a score of at least minScore,
// best first (ties by ID), at most limit (≤ 0: all).
func (x *SerialIndex) Search(p SerialPattern, minScore float64, limit int) []SerialHit {
	var hits []SerialHit
	consider := func(n uint32) {
		if s := matchRunes(p.key, []rune(x.keys[n])); s > 0 && s >= minScore {
			hits = append(hits, SerialHit{ID: x.ids[n], Serial: x.keys[n], Score: s})
		}
	}
	cands, ok := x.candidates(p)
	switch {
	case ok:
		for _, n := range cands {
			consider(n)
		}
	case !p.star:
		need := fixedClasses(p)
		for _, n := range x.byLen[len(p.key)] {
			if subsequence(need, x.classes[n]) {
				consider(n)
			}
		}
	default:
		need := fixedClasses(p)
		for n := range x.ids {
			if subsequence(need, x.classes[n]) && !strings.ContainsAny(x.keys[n], "?*") {
				consider(uint32(n))
			}
		}
	}
	for _, n := range x.unknown {
		consider(n)
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].ID < hits[j].ID
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

func classString(key string) string {
	var b strings.Builder
	b.Grow(len(key))
	for _, r := range key {
		b.WriteRune(classOf(r))
	}
	return b.String()
}

// fixedClasses returns the classes of p's readable characters, in order:
// any serial p matches holds them as a subsequence.
func fixedClasses(p SerialPattern) []rune {
	var out []rune
	for _, r := range p.key {
		if r != '?' && r != '*' {
			out = append(out, classOf(r))
		}
	}
	return out
}

func subsequence(need []rune, s string) bool {
	i := 0
	for _, r := range s {
		if i == len(need) {
			break
		}
		if r == need[i] {
			i++
		}
	}
	return i == len(need)
}

// candidates intersects the posting lists of the query's class trigrams
// (taken from its runs of readable characters). ok is false when the
// query has no trigram.
func (x *SerialIndex) candidates(p SerialPattern) ([]uint32, bool) {
	var lists [][]uint32
	run := 0
	for i, r := range p.key {
		if r == '?' || r == '*' {
			run = 0
			continue
		}
		run++
		if run >= 3 {
			l := x.post[trigram(p.key[i-2:i+1])]
			if len(l) == 0 {
				return nil, true
			}
			lists = append(lists, l)
		}
	}
	if len(lists) == 0 {
		return nil, false
	}
	sort.Slice(lists, func(i, j int) bool { return len(lists[i]) < len(lists[j]) })
	out := append([]uint32(nil), lists[0]...)
	for _, l := range lists[1:] {
		out = intersect(out, l)
		if len(out) == 0 {
			break
		}
	}
	if !p.star {
		want := len(p.key)
		kept := out[:0]
		for _, n := range out {
			if len([]rune(x.keys[n])) == want {
				kept = append(kept, n)
			}
		}
		out = kept
	}
	return out, true
}

// intersect keeps the elements of a (ascending) that are in b (ascending), in place.
func intersect(a, b []uint32) []uint32 {
	out := a[:0]
	j := 0
	for _, v := range a {
		for j < len(b) && b[j] < v {
			j++
		}
		if j < len(b) && b[j] == v {
			out = append(out, v)
		}
	}
	return out
}
