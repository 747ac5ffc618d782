package blob

import (
	"bytes"
	"mime"
	"net/http"
)

// SniffType returns the media type of a file from its first bytes, without
// parameters: http.DetectContentType's answer, and image/tiff, which it
// does not know (photos from lab cameras and scanners often are TIFF).
func SniffType(b []byte) string {
	if bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*")) {
		return "image/tiff"
	}
	ct, _, _ := mime.ParseMediaType(http.DetectContentType(b))
	return ct
}
