package blob

import "testing"

func TestSniffType(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"tiff little-endian", []byte("II*\x00\x08\x00\x00\x00"), "image/tiff"},
		{"tiff big-endian", []byte("MM\x00*\x00\x00\x00\x08"), "image/tiff"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), "image/png"},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), "image/jpeg"},
		{"pdf", []byte("%PDF-1.7\n"), "application/pdf"},
		{"text, parameters dropped", []byte("hello"), "text/plain"},
		{"empty", nil, "text/plain"},
	} {
		if got := SniffType(tc.in); got != tc.want {
			t.Errorf("%s: SniffType = %q, want %q", tc.name, got, tc.want)
		}
	}
}
