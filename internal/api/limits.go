package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// maxJSONDepth is the deepest nesting of objects and arrays a JSON body may
// have. No request of this API nests deeper than a few levels; the limit
// keeps a hostile body from costing the decoder stack and time.
const maxJSONDepth = 32

// jsonBodyTimeout bounds the time to receive a JSON request body (at most
// MaxBodyBytes), against clients that send it byte by byte.
const jsonBodyTimeout = 30 * time.Second

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// readJSONBody reads a JSON request body of at most limit bytes and checks
// its nesting depth. It returns the body to hand on, or a status and a
// message to refuse it with.
func readJSONBody(body io.ReadCloser, limit int64) (io.ReadCloser, int, string) {
	data, err := io.ReadAll(body)
	body.Close()
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, http.StatusRequestEntityTooLarge, "request body is larger than the limit of " + mib(limit)
	case err != nil:
		return nil, http.StatusBadRequest, "reading the request body failed; send it again"
	}
	if d := jsonDepth(data); d > maxJSONDepth {
		return nil, http.StatusBadRequest, fmt.Sprintf("JSON body is nested %d levels deep; at most %d are allowed", d, maxJSONDepth)
	}
	return io.NopCloser(bytes.NewReader(data)), 0, ""
}

// jsonDepth returns the deepest nesting of objects and arrays in data,
// ignoring brackets inside strings. It does not validate the JSON (the
// decoder does); on malformed input it still returns a bound.
func jsonDepth(data []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}
