package exchange

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkBundle10Scans exports and imports a bundle of 10 X3P scans
// (small synthetic ones: this measures the bundle machinery, hashing and
// zip, not the size of real scans).
func BenchmarkBundle10Scans(b *testing.B) {
	id := kzIdentity(b)
	c, store := sampleContents(b, 10)
	data := exportBundle(b, id, c, store)
	b.Run("export", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if _, err := Export(context.Background(), &buf, id, c, store, ExportOptions{Now: exportTime}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("import", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		trust := trusting(id)
		for b.Loop() {
			if _, err := Open(bytes.NewReader(data), int64(len(data)), OpenOptions{Trust: trust, Now: importTime}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
