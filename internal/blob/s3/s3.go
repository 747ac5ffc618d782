// Package s3 stores blobs in any S3-compatible object store (AWS S3, MinIO,
// versitygw, Ceph RGW, …) through minio-go.
//
// Each blob is one object named <prefix>sha256-<hex>. S3 makes an object
// visible only once its upload is complete, so a crash never exposes a
// partial blob. Receive first spools the upload to a temporary local file
// while hashing it and enforcing the size cap (the key is the digest, so it
// is known only at the end), then uploads it with the digest as the signed
// x-amz-content-sha256 header: the server recomputes the SHA-256 of the body
// it received and refuses the object on mismatch, so bytes damaged in
// transit are never stored under the Ref. Fetch re-hashes what it reads.
//
// Configuration comes as a URL:
//
//	http://ACCESS:SECRET@host:port/bucket[/prefix/]   (https for TLS)
//
// with an optional ?region=… query. The bucket is created when missing.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/errs"
)

// Config says where the blobs live.
type Config struct {
	Endpoint  string // host:port
	Secure    bool   // use https
	AccessKey string
	SecretKey string
	Region    string // optional
	Bucket    string
	Prefix    string // optional; object names start with it (e.g. "lab1/")

	// TempDir holds uploads while they are hashed; default os.TempDir().
	TempDir string
	// Transport, if set, carries the HTTP requests (tests inject faults).
	Transport http.RoundTripper
}

// ParseURL parses http(s)://ACCESS:SECRET@host:port/bucket[/prefix][?region=R].
func ParseURL(raw string) (Config, error) {
	const op = "s3.ParseURL"
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, errs.E(op, errs.Invalid, fmt.Errorf("S3 URL: %w", err))
	}
	var c Config
	switch u.Scheme {
	case "http":
	case "https":
		c.Secure = true
	default:
		return Config{}, errs.Errorf(op, errs.Invalid, "S3 URL scheme %q: want http or https", u.Scheme)
	}
	if u.Host == "" {
		return Config{}, errs.Errorf(op, errs.Invalid, "S3 URL has no host:port")
	}
	c.Endpoint = u.Host
	if u.User != nil {
		c.AccessKey = u.User.Username()
		c.SecretKey, _ = u.User.Password()
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return Config{}, errs.Errorf(op, errs.Invalid, "S3 URL lacks ACCESS:SECRET@ credentials")
	}
	path := strings.Trim(u.Path, "/")
	c.Bucket, c.Prefix, _ = strings.Cut(path, "/")
	if c.Bucket == "" {
		return Config{}, errs.Errorf(op, errs.Invalid, "S3 URL has no bucket: want …/bucket[/prefix]")
	}
	if c.Prefix != "" {
		c.Prefix += "/"
	}
	c.Region = u.Query().Get("region")
	return c, nil
}

// Storage is a blob store in an S3 bucket. It is safe for concurrent use.
type Storage struct {
	client  *minio.Client
	bucket  string
	prefix  string
	tempDir string
}

var (
	_ blob.Storage = (*Storage)(nil)
	_ blob.Remover = (*Storage)(nil)
)

// New connects to the bucket described by cfg, creating it if missing.
func New(ctx context.Context, cfg Config) (*Storage, error) {
	const op = "s3.New"
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errs.Errorf(op, errs.Invalid, "S3 endpoint and bucket are required")
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    cfg.Secure,
		Region:    cfg.Region,
		Transport: cfg.Transport,
	})
	if err != nil {
		return nil, errs.E(op, errs.Invalid, fmt.Errorf("S3 client for %s: %w", cfg.Endpoint, err))
	}
	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, classify(op, fmt.Errorf("checking bucket %q at %s: %w", cfg.Bucket, cfg.Endpoint, err))
	}
	if !exists {
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if err != nil && !isCode(err, "BucketAlreadyOwnedByYou", "BucketAlreadyExists") {
			return nil, classify(op, fmt.Errorf("creating bucket %q at %s: %w", cfg.Bucket, cfg.Endpoint, err))
		}
	}
	dir := cfg.TempDir
	if dir == "" {
		dir = os.TempDir()
	}
	return &Storage{client: client, bucket: cfg.Bucket, prefix: cfg.Prefix, tempDir: dir}, nil
}

// Open is ParseURL followed by New.
func Open(ctx context.Context, rawURL string) (*Storage, error) {
	cfg, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return New(ctx, cfg)
}

func (s *Storage) key(ref blob.Ref) string { return s.prefix + ref.String() }

// response finds the S3 error response in err's chain (minio.ToErrorResponse
// looks only at err itself).
func response(err error) minio.ErrorResponse {
	var r minio.ErrorResponse
	if errors.As(err, &r) {
		return r
	}
	return minio.ToErrorResponse(err)
}

func isCode(err error, codes ...string) bool {
	code := response(err).Code
	for _, c := range codes {
		if code == c {
			return true
		}
	}
	return false
}

func isNotFound(err error) bool {
	return isCode(err, "NoSuchKey", "NotFound") || response(err).StatusCode == http.StatusNotFound
}

// classify gives S3 failures an errs.Kind; context errors pass unchanged.
func classify(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	resp := response(err)
	switch {
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized ||
		isCode(err, "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId"):
		return errs.E(op, errs.Permission, err)
	case resp.StatusCode == http.StatusNotFound:
		return errs.E(op, errs.NotFound, err)
	case resp.StatusCode >= 500 || resp.StatusCode == 0:
		return errs.E(op, errs.Transient, err) // server trouble or no answer at all
	default:
		return errs.E(op, errs.Other, err)
	}
}

// Fetch implements blob.Fetcher.
func (s *Storage) Fetch(ctx context.Context, ref blob.Ref) (io.ReadCloser, int64, error) {
	const op = "s3.Fetch"
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if ref.IsZero() {
		return nil, 0, blob.NotFound(op, ref)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.key(ref), minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, classify(op, err)
	}
	info, err := obj.Stat()
	if err != nil {
		obj.Close()
		if isNotFound(err) {
			return nil, 0, blob.NotFound(op, ref)
		}
		return nil, 0, classify(op, err)
	}
	return blob.VerifyReader(obj, ref, info.Size), info.Size, nil
}

// Stat implements blob.Statter.
func (s *Storage) Stat(ctx context.Context, ref blob.Ref) (int64, error) {
	const op = "s3.Stat"
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if ref.IsZero() {
		return 0, blob.NotFound(op, ref)
	}
	info, err := s.client.StatObject(ctx, s.bucket, s.key(ref), minio.StatObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return 0, blob.NotFound(op, ref)
		}
		return 0, classify(op, err)
	}
	return info.Size, nil
}

// Receive implements blob.Receiver.
func (s *Storage) Receive(ctx context.Context, r io.Reader, maxSize int64) (blob.Ref, int64, error) {
	const op = "s3.Receive"
	if err := blob.CheckMaxSize(op, maxSize); err != nil {
		return blob.Ref{}, 0, err
	}
	if err := ctx.Err(); err != nil {
		return blob.Ref{}, 0, err
	}
	f, err := os.CreateTemp(s.tempDir, "tracemark-s3-*")
	if err != nil {
		return blob.Ref{}, 0, errs.E(op, errs.Other, fmt.Errorf("spooling upload: %w", err))
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	hr := blob.NewHashingReader(blob.ContextReader(ctx, r), maxSize)
	if _, err := io.Copy(f, hr); err != nil {
		return blob.Ref{}, 0, errs.E(op, errs.Other, fmt.Errorf("receiving blob: %w", err))
	}
	if hr.Exceeded() {
		return blob.Ref{}, 0, blob.TooLarge(op, maxSize)
	}
	ref, n := hr.Ref(), hr.Size()
	if size, err := s.Stat(ctx, ref); err == nil && size == n {
		return ref, n, nil // already stored
	} else if err != nil && !errs.Is(errs.NotFound, err) {
		return blob.Ref{}, 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return blob.Ref{}, 0, errs.E(op, errs.Other, err)
	}
	// x-amz-content-sha256 carries our digest and is signed: the server
	// recomputes the SHA-256 of the body it receives and refuses a mismatch.
	core := minio.Core{Client: s.client}
	info, err := core.PutObject(ctx, s.bucket, s.key(ref), f, n, "", ref.Hex(), minio.PutObjectOptions{
		ContentType: "application/octet-stream",
	})
	if err != nil {
		return blob.Ref{}, 0, classify(op, fmt.Errorf("uploading %s: %w", ref, err))
	}
	if info.Size != n {
		// The server stored something else: do not leave it under ref's name.
		s.client.RemoveObject(context.WithoutCancel(ctx), s.bucket, s.key(ref), minio.RemoveObjectOptions{})
		return blob.Ref{}, 0, errs.E(op, errs.Internal, fmt.Errorf("%w: server stored %d bytes for %s (%d bytes)", blob.ErrCorrupt, info.Size, ref, n))
	}
	return ref, n, nil
}

// Enumerate implements blob.Enumerator.
func (s *Storage) Enumerate(ctx context.Context, after blob.Ref, limit int) ([]blob.SizedRef, error) {
	const op = "s3.Enumerate"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = blob.DefaultEnumerateLimit
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine once we have enough
	opts := minio.ListObjectsOptions{Prefix: s.prefix + "sha256-", Recursive: true, MaxKeys: min(limit, 1000)}
	if !after.IsZero() {
		opts.StartAfter = s.key(after)
	}
	var out []blob.SizedRef
	for obj := range s.client.ListObjects(ctx, s.bucket, opts) {
		if obj.Err != nil {
			return nil, classify(op, obj.Err)
		}
		ref, err := blob.Parse(strings.TrimPrefix(obj.Key, s.prefix))
		if err != nil || !after.Less(ref) {
			continue // a foreign object in the bucket, or a server ignoring StartAfter
		}
		out = append(out, blob.SizedRef{Ref: ref, Size: obj.Size})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// Remove implements blob.Remover.
func (s *Storage) Remove(ctx context.Context, refs ...blob.Ref) error {
	const op = "s3.Remove"
	for _, ref := range refs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if ref.IsZero() {
			continue
		}
		err := s.client.RemoveObject(ctx, s.bucket, s.key(ref), minio.RemoveObjectOptions{})
		if err != nil && !isNotFound(err) {
			return classify(op, err)
		}
	}
	return nil
}
