package tracing

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lang selects the Cyrillic→Latin scheme of ToLatin.
type Lang string

// Languages with a transliteration scheme. The schemes are documented in
// doc.go (Transliteration).
const (
	Russian Lang = "ru" // ICAO Doc 9303 (2015), part 3, section 6
	Kazakh  Lang = "kk" // Kazakh Latin alphabet of 2021
	Uzbek   Lang = "uz" // Uzbek Latin alphabet of 1995 (oʻ gʻ sh ch)
	Kyrgyz  Lang = "ky" // BGN/PCGN 1979 (no official Latin alphabet)
	Tajik   Lang = "tg" // Tajik national romanisation (ғ gh, ӣ ī, ӯ ū, ҷ j, ҳ h, қ q)
	Turkmen Lang = "tk" // Turkmen Latin alphabet of 1999
)

// Langs lists every supported language.
var Langs = []Lang{Russian, Kazakh, Uzbek, Kyrgyz, Tajik, Turkmen}

// icao is the Russian base table (lowercase letters, lowercase output).
var icao = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh",
	'з': "z", 'и': "i", 'й': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o",
	'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts",
	'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "ie", 'ы': "y", 'ь': "", 'э': "e", 'ю': "iu",
	'я': "ia",
	// Letters of the other Cyrillic alphabets, as ICAO 9303 romanises them
	// where it lists them, else by their closest Russian reading.
	'ә': "a", 'ғ': "g", 'қ': "k", 'ң': "n", 'ө': "o", 'ұ': "u", 'ү': "u", 'һ': "h",
	'і': "i", 'ҳ': "h", 'ҷ': "dzh", 'ӣ': "i", 'ӯ': "u", 'ў': "u", 'җ': "zh",
	'ї': "i", 'є': "ie", 'ґ': "g",
}

// national overrides icao per language.
var national = map[Lang]map[rune]string{
	Russian: {},
	Kazakh: {
		'ә': "ä", 'ғ': "ğ", 'ж': "j", 'и': "i", 'й': "i", 'і': "ı", 'ы': "y",
		'қ': "q", 'ң': "ñ", 'ө': "ö", 'ұ': "ū", 'ү': "ü", 'у': "u", 'һ': "h",
		'х': "h", 'ш': "ş", 'ч': "ch", 'щ': "şş", 'ё': "io", 'ю': "iu", 'я': "ia",
		'ц': "ts", 'ъ': "", 'ь': "",
	},
	Uzbek: {
		'ж': "j", 'й': "y", 'х': "x", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "sh",
		'ъ': "ʼ", 'ь': "", 'ё': "yo", 'ю': "yu", 'я': "ya", 'ў': "oʻ", 'қ': "q",
		'ғ': "gʻ", 'ҳ': "h", 'ы': "i",
	},
	Kyrgyz: {
		'ж': "j", 'й': "y", 'ң': "ng", 'ө': "ö", 'ү': "ü", 'ы': "y", 'ё': "yo",
		'ю': "yu", 'я': "ya", 'ъ': "", 'щ': "shch",
	},
	Tajik: {
		'ғ': "gh", 'ӣ': "ī", 'қ': "q", 'ӯ': "ū", 'ҳ': "h", 'ҷ': "j", 'ж': "zh",
		'й': "y", 'ё': "yo", 'ю': "yu", 'я': "ya", 'ъ': "ʼ",
	},
	Turkmen: {
		'ә': "ä", 'ж': "ž", 'җ': "j", 'ң': "ň", 'ө': "ö", 'ү': "ü", 'ч': "ç",
		'ш': "ş", 'й': "ý", 'ы': "y", 'в': "w", 'ё': "ýo", 'ю': "ýu", 'я': "ýa",
		'ц': "s", 'щ': "şç", 'ъ': "", 'ь': "", 'х': "h",
	},
}

// ToLatin transliterates the Cyrillic letters of s into the Latin scheme of
// lang and copies every other character unchanged. Capitalisation follows
// the source: an upper-case letter gives a capitalised digraph ("Ш" → "Sh")
// inside mixed-case words and an upper-case one inside upper-case words
// ("ШУ" → "SHU"), as on passports and firearm markings. An unknown lang
// falls back to Russian.
func ToLatin(lang Lang, s string) string {
	over := national[lang]
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range rs {
		lower := unicode.ToLower(r)
		lat, ok := over[lower]
		if !ok {
			lat, ok = icao[lower]
		}
		if !ok {
			b.WriteRune(r)
			continue
		}
		if lang == Uzbek && lower == 'е' && (i == 0 || !unicode.IsLetter(rs[i-1])) {
			lat = "ye" // Uzbek writes word-initial е as ye
		}
		if r == lower || lat == "" {
			b.WriteString(lat)
			continue
		}
		if upperContext(rs, i) {
			b.WriteString(upperLatin(lat))
			continue
		}
		first, rest := splitFirst(lat)
		b.WriteString(upperLatin(first))
		b.WriteString(rest)
	}
	return b.String()
}

// upperContext reports whether the capital at rs[i] stands in an upper-case
// run (a neighbouring letter is also upper case).
func upperContext(rs []rune, i int) bool {
	for _, j := range []int{i - 1, i + 1} {
		if j >= 0 && j < len(rs) && unicode.IsLetter(rs[j]) {
			return unicode.IsUpper(rs[j])
		}
	}
	return false
}

func splitFirst(s string) (string, string) {
	for i := range s {
		if i > 0 {
			return s[:i], s[i:]
		}
	}
	return s, ""
}

// upperLatin upper-cases a transliteration. Kazakh i/ı upper-case to the
// ASCII I (Kazakh 2021 writes İ/I; the search key folds both to I).
func upperLatin(s string) string { return strings.ToUpper(s) }

// ruFromLatin is the reverse of the Russian table, longest sequences first.
var ruFromLatin = []struct{ lat, cyr string }{
	{"shch", "щ"}, {"zh", "ж"}, {"kh", "х"}, {"ts", "ц"}, {"ch", "ч"}, {"sh", "ш"},
	{"iu", "ю"}, {"ia", "я"}, {"yu", "ю"}, {"ya", "я"}, {"yo", "ё"},
	{"a", "а"}, {"b", "б"}, {"v", "в"}, {"g", "г"}, {"d", "д"}, {"e", "е"},
	{"z", "з"}, {"i", "и"}, {"k", "к"}, {"l", "л"}, {"m", "м"}, {"n", "н"},
	{"o", "о"}, {"p", "п"}, {"r", "р"}, {"s", "с"}, {"t", "т"}, {"u", "у"},
	{"f", "ф"}, {"y", "ы"}, {"h", "х"}, {"j", "й"}, {"c", "к"}, {"q", "к"},
	{"w", "в"}, {"x", "кс"},
}

// ToCyrillic renders Latin text in Russian Cyrillic by the reverse of the
// ICAO table (longest match first). It is a reading aid for people who
// type Latin, not an inverse of ToLatin: ICAO merges е/ё/э and и/й.
func ToCyrillic(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		matched := false
		for _, p := range ruFromLatin {
			n := len(p.lat)
			if i+n <= len(s) && strings.EqualFold(s[i:i+n], p.lat) {
				cyr := p.cyr
				if s[i] >= 'A' && s[i] <= 'Z' {
					cyr = strings.ToUpper(cyr)
				}
				b.WriteString(cyr)
				i += n
				matched = true
				break
			}
		}
		if !matched {
			r, size := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += size
		}
	}
	return b.String()
}

// foldLatin maps the letters of the national Latin alphabets to the
// spelling the search key uses for the same sound, so that the Russian
// transliteration of a Cyrillic word and its national Latin spelling agree.
var foldLatin = map[rune]string{
	'ä': "A", 'á': "A", 'à': "A", 'â': "A", 'ã': "A", 'å': "A",
	'ç': "CH", 'č': "CH", 'ć': "C",
	'é': "E", 'è': "E", 'ê': "E", 'ë': "E",
	'ğ': "G", 'ǵ': "G",
	'ı': "I", 'í': "I", 'ì': "I", 'î': "I", 'ï': "I", 'ī': "I",
	'ñ': "N", 'ň': "N", 'ń': "N",
	'ö': "O", 'ó': "O", 'ò': "O", 'ô': "O", 'õ': "O", 'ø': "O",
	'ş': "SH", 'š': "SH", 'ś': "S", 'ß': "SS",
	'ü': "U", 'ú': "U", 'ù': "U", 'û': "U", 'ū': "U",
	'ý': "I", 'ÿ': "I",
	'ž': "ZH", 'ź': "Z", 'ż': "Z",
	'ł': "L", 'đ': "D", 'ř': "R",
}

// phonetic are the digraph folds applied to the upper-case Latin key, in
// order, after per-letter folding (see doc.go, Search keys).
var phonetic = strings.NewReplacer(
	"SHCH", "SH", "KH", "H", "ZH", "J", "DJ", "J", "DZH", "J", "TS", "C",
	"Y", "I", "W", "V", "Q", "K", "X", "H",
)

// SearchKey folds free text (makes, models, markings) in either script to
// one comparable form: upper-case ASCII letters and digits in tokens
// separated by single spaces, with a token break between letters and
// digits ("AK-47", "АК47" and "ak 47" all give "AK 47"). Cyrillic letters
// go through the Russian ICAO table, national Latin letters fold to the
// same spelling, and a few digraphs fold further (KH→H, ZH→J, Y→I, ...),
// so "Макаров", "Makarov" and "Makarow" agree. It is not reversible and
// is meant only for comparison.
func SearchKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	prevKind := 0 // 0 space, 1 letter, 2 digit
	emit := func(str string, kind int) {
		if prevKind != 0 && kind != prevKind {
			b.WriteByte(' ')
		}
		b.WriteString(str)
		prevKind = kind
	}
	for _, r := range s {
		lower := unicode.ToLower(r)
		switch {
		case r == 'ʻ' || r == 'ʼ' || r == '\'' || r == '`' || r == '’' || r == '‘' || r == 'ʹ' || r == 'ʺ' || r == '.':
			// apostrophes of oʻ, gʻ and the hard sign, and the dots of
			// abbreviations ("P.M."): not a word break
		case lower == 'ў':
			emit("O", 1) // Uzbek ў is written oʻ in Latin
		case r == 'İ':
			emit("I", 1)
		case lower >= 'a' && lower <= 'z':
			emit(string(unicode.ToUpper(lower)), 1)
		case r >= '0' && r <= '9':
			emit(string(r), 2)
		case icao[lower] != "" || lower == 'ь' || lower == 'ъ':
			if t := icao[lower]; t != "" {
				if lower == 'ъ' {
					continue
				}
				emit(strings.ToUpper(t), 1)
			}
		case foldLatin[lower] != "":
			emit(foldLatin[lower], 1)
		case unicode.IsLetter(r):
			emit(string(unicode.ToUpper(r)), 1)
		case unicode.IsDigit(r):
			emit(string(r), 2)
		default:
			if prevKind != 0 {
				b.WriteByte(' ')
				prevKind = 0
			}
		}
	}
	key := strings.TrimRight(b.String(), " ")
	return foldTokens(key)
}

func foldTokens(key string) string {
	toks := strings.Fields(key)
	for i, t := range toks {
		toks[i] = phonetic.Replace(t)
	}
	return strings.Join(toks, " ")
}
