package x3p

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func readTestFile(p string) ([]byte, error) { return os.ReadFile(p) }

// BenchmarkReadFadul reads one committed Fadul scan (545×545 float64) from memory.
func BenchmarkReadFadul(b *testing.B) {
	data, err := readTestFile(filepath.Join("testdata", "Fadul 1-1.x3p"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), int64(len(data)), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWrite writes the same scan (data.bin deflated, MD5s computed).
func BenchmarkWrite(b *testing.B) {
	f, err := ReadFile(filepath.Join("testdata", "Fadul 1-1.x3p"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(f.Surface.Z) * 8))
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, f); err != nil {
			b.Fatal(err)
		}
	}
}
