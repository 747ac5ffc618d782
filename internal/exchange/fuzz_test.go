package exchange

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to Open with the key of the generated
// bundles trusted, so mutations of a valid bundle reach the member checks.
// Open must refuse with a *TamperError or succeed; never panic. The seed
// corpus in testdata/fuzz/FuzzOpen holds generated bundles; regenerate it
// with TRACEMARK_WRITE_FUZZ_SEEDS=1 go test -run TestWriteFuzzSeeds.
func FuzzOpen(f *testing.F) {
	id := kzIdentity(f)
	for _, s := range seedBundles(f) {
		f.Add(s)
	}
	trust := trusting(id)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Open(bytes.NewReader(b), int64(len(b)), OpenOptions{Trust: trust, Now: importTime,
			Limits: Limits{MaxMemberSize: 1 << 20, MaxTotalSize: 4 << 20, MaxRecordSize: 64 << 10}})
		if err != nil {
			var te *TamperError
			if !errors.As(err, &te) {
				t.Fatalf("error is not a *TamperError: %v", err)
			}
			return
		}
		if got.Origin.Fingerprint != id.Fingerprint() {
			t.Fatalf("accepted a bundle from %s", got.Origin.Fingerprint)
		}
	})
}

func seedBundles(tb testing.TB) [][]byte {
	id := kzIdentity(tb)
	c, store := sampleContents(tb, 1)
	full := exportBundle(tb, id, c, store)
	empty := exportBundle(tb, id, Contents{}, store)
	return [][]byte{full, empty, full[:len(full)/2]}
}

func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("TRACEMARK_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set TRACEMARK_WRITE_FUZZ_SEEDS=1 to regenerate testdata/fuzz/FuzzOpen")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range seedBundles(t) {
		body := "go test fuzz v1\n[]byte(" + quoteBytes(s) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, "generated-"+string(rune('a'+i))), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// quoteBytes writes b as a Go interpreted string literal (the corpus format).
func quoteBytes(b []byte) string {
	var sb bytes.Buffer
	sb.WriteByte('"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			sb.WriteString(`\x`)
			sb.WriteByte("0123456789abcdef"[c>>4])
			sb.WriteByte("0123456789abcdef"[c&15])
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
