package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/blob/blobtest"
	"github.com/tracemark/tracemark/internal/errs"
)

// envURL names the S3 server the tests use; .ci/services/s3.sh prints it.
const envURL = "TRACEMARK_TEST_S3"

func testURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv(envURL)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must test the S3 back end against a real server (start it with .ci/services/s3.sh)", envURL)
		}
		t.Skipf("%s is not set; run `eval \"$(bash .ci/services/s3.sh)\"` to test against a real S3 server", envURL)
	}
	return u
}

// newStorage returns a storage under a fresh random prefix, emptied at the end.
func newStorage(t *testing.T) *Storage {
	cfg, err := ParseURL(testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	cfg.Prefix += "test-" + hex.EncodeToString(b[:]) + "/"
	cfg.TempDir = t.TempDir()
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("connecting to %s: %v", cfg.Endpoint, err)
	}
	t.Cleanup(func() {
		for {
			page, err := s.Enumerate(context.Background(), blob.Ref{}, 1000)
			if err != nil || len(page) == 0 {
				return
			}
			for _, sr := range page {
				s.Remove(context.Background(), sr.Ref)
			}
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	testURL(t) // skip (or fail under CI) once, not in every subtest
	blobtest.Test(t, func(t *testing.T) blob.Storage { return newStorage(t) })
}

func TestNoTempFilesLeft(t *testing.T) {
	s := newStorage(t)
	if _, _, err := s.Receive(context.Background(), strings.NewReader("abc"), 10); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Receive(context.Background(), strings.NewReader("abcdefghijkl"), 10); err == nil {
		t.Fatal("oversized receive succeeded")
	}
	if entries, _ := os.ReadDir(s.tempDir); len(entries) != 0 {
		t.Errorf("spool files left behind: %v", entries)
	}
}

func TestWrongCredentials(t *testing.T) {
	cfg, err := ParseURL(testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.SecretKey = "wrong"
	_, err = New(context.Background(), cfg)
	if !errs.Is(errs.Permission, err) {
		t.Errorf("wrong secret: error %v has kind %v, want permission", err, errs.KindOf(err))
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		in      string
		want    Config
		wantErr string
	}{
		{in: "http://k:s@127.0.0.1:7070/bucket", want: Config{Endpoint: "127.0.0.1:7070", AccessKey: "k", SecretKey: "s", Bucket: "bucket"}},
		{in: "https://k:s@s3.example:443/b/lab1/scans/?region=eu-1", want: Config{Endpoint: "s3.example:443", Secure: true, AccessKey: "k", SecretKey: "s", Bucket: "b", Prefix: "lab1/scans/", Region: "eu-1"}},
		{in: "ftp://k:s@h/b", wantErr: "scheme"},
		{in: "http://h:1/b", wantErr: "credentials"},
		{in: "http://k:s@h:1/", wantErr: "no bucket"},
		{in: "http://k:s@/b", wantErr: "no host"},
		{in: "http://k:s@h:1/b\x7f", wantErr: "S3 URL"},
	}
	for _, tt := range tests {
		got, err := ParseURL(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errs.Is(errs.Invalid, err) {
				t.Errorf("ParseURL(%q) error = %v, want an invalid-kind error containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// corruptingTransport flips one byte of every PUT body on its way out.
type corruptingTransport struct{}

func (corruptingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut && req.Body != nil && req.ContentLength > 0 {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		b[len(b)/2] ^= 0xff
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestServerRefusesDamagedUpload shows that the digest is verified on write:
// bytes changed in transit are refused and nothing is stored under the Ref.
func TestServerRefusesDamagedUpload(t *testing.T) {
	s := newStorage(t)
	cfg, _ := ParseURL(testURL(t))
	cfg.Prefix = s.prefix
	cfg.TempDir = t.TempDir()
	cfg.Transport = corruptingTransport{}
	bad, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("striae "), 1000)
	if _, _, err := bad.Receive(context.Background(), bytes.NewReader(data), 1<<20); err == nil {
		t.Fatal("an upload damaged in transit was accepted")
	}
	if _, err := s.Stat(context.Background(), blob.RefOf(data)); !errs.Is(errs.NotFound, err) {
		t.Errorf("damaged upload stored under its ref: Stat = %v", err)
	}
}

func FuzzParseURL(f *testing.F) {
	f.Add("http://k:s@127.0.0.1:7070/bucket/prefix?region=x")
	f.Add("https://k:s@h/b")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := ParseURL(raw)
		if err != nil {
			if !errs.Is(errs.Invalid, err) {
				t.Fatalf("error kind %v for %q", errs.KindOf(err), raw)
			}
			return
		}
		if c.Bucket == "" || c.Endpoint == "" || c.AccessKey == "" || c.SecretKey == "" {
			t.Fatalf("accepted %q without bucket, endpoint or credentials: %+v", raw, c)
		}
		if c.Prefix != "" && !strings.HasSuffix(c.Prefix, "/") {
			t.Fatalf("prefix %q lacks its trailing slash", c.Prefix)
		}
	})
}
