package exchange

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/tracing"
)

// Limits bound what Open reads; the zero value of a field means its default.
type Limits struct {
	MaxBundleSize int64 // bytes of the zip file; default 8 GiB
	MaxEntries    int   // zip entries; default 10,000
	MaxMemberSize int64 // bytes of one member, uncompressed; default 2 GiB
	MaxTotalSize  int64 // bytes of all members, uncompressed; default 16 GiB
	MaxRecordSize int64 // bytes of one JSON record or the manifest; default 4 MiB
}

func (l Limits) withDefaults() Limits {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxBundleSize, 8<<30)
	def(&l.MaxMemberSize, 2<<30)
	def(&l.MaxTotalSize, 16<<30)
	def(&l.MaxRecordSize, 4<<20)
	if l.MaxEntries <= 0 {
		l.MaxEntries = 10_000
	}
	return l
}

// OpenOptions tune Open.
type OpenOptions struct {
	Trust  TrustStore
	Limits Limits
	// Imported, if set, reports whether a bundle ID was imported before;
	// such a bundle is refused with errs.Conflict.
	Imported func(BundleID) bool
	Now      time.Time // for revocation checks; default time.Now
}

// Origin is where imported records come from. It is kept with them.
type Origin struct {
	BundleID    BundleID        `json:"bundle_id"`
	Node        string          `json:"node"`
	AgencyID    domain.AgencyID `json:"agency_id"`
	Agency      string          `json:"agency"`
	Country     string          `json:"country"`
	Fingerprint string          `json:"fingerprint"`
	ExportedAt  time.Time       `json:"exported_at"`
}

// ScanEntry is an imported scan record with the member holding its file.
type ScanEntry struct {
	Record domain.Scan
	Member string // path of the original file in the bundle
}

// Bundle is a verified bundle: signature, every hash and size checked.
type Bundle struct {
	Manifest Manifest
	Origin   Origin
	Firearms []tracing.Firearm
	Cases    []domain.Case
	Exhibits []domain.Exhibit
	Scans    []ScanEntry
	files    map[string]*zip.File
}

// TamperError says why a bundle was refused: which member (or "" for the
// bundle as a whole) and what is wrong with it.
type TamperError struct {
	Member string
	Reason string
}

func (e *TamperError) Error() string {
	if e.Member == "" {
		return "bundle refused: " + e.Reason
	}
	return fmt.Sprintf("bundle refused: member %s: %s", e.Member, e.Reason)
}

func refuse(kind errs.Kind, member, format string, args ...any) error {
	return errs.E("exchange.Open", kind, &TamperError{Member: member, Reason: fmt.Sprintf(format, args...)})
}

// Open verifies the bundle in r (size bytes) and decodes its records. It
// refuses, with a *TamperError naming the member and the defect: a file
// that is not a zip or is truncated; too many entries or members larger
// than the limits; a path outside the bundle layout; a missing, unsigned,
// non-canonical or wrongly signed manifest; a key that is unknown or
// revoked; a member missing from the zip or not in the manifest; a size or
// SHA-256 mismatch; a record that does not decode or validate; and (with
// Imported) a bundle imported before. Nothing is allocated from a size
// the file declares before that size is checked against the limits.
// r must stay readable while the Bundle is used (StoreScans reads it).
func Open(r io.ReaderAt, size int64, opt OpenOptions) (*Bundle, error) {
	lim := opt.Limits.withDefaults()
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	if size > lim.MaxBundleSize {
		return nil, refuse(errs.TooLarge, "", "bundle is %d bytes; the limit is %d", size, lim.MaxBundleSize)
	}
	zr, err := zip.NewReader(r, size)
	if errors.Is(err, zip.ErrInsecurePath) {
		return nil, refuse(errs.Invalid, "", "a member has an unsafe path (absolute, .. or backslash)")
	}
	if err != nil {
		return nil, refuse(errs.Invalid, "", "not a readable zip archive (truncated or damaged?): %v", err)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, refuse(errs.TooLarge, "", "%d zip entries; the limit is %d", len(zr.File), lim.MaxEntries)
	}
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		if _, dup := files[f.Name]; dup {
			return nil, refuse(errs.Invalid, f.Name, "appears twice in the zip")
		}
		if f.Name != ManifestName && f.Name != SignatureName && kindOfPath(f.Name) == "" {
			return nil, refuse(errs.Invalid, clip(f.Name), "path is not part of the bundle layout (scans/<sha256>.<format> or records/<kind>/<id>.json)")
		}
		files[f.Name] = f
	}

	body, err := readSmall(files, ManifestName, lim.MaxRecordSize)
	if err != nil {
		return nil, err
	}
	sigText, err := readSmall(files, SignatureName, 1024)
	if err != nil {
		return nil, err
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, refuse(errs.Invalid, ManifestName, "does not decode: %v", err)
	}
	if canon, err := m.canonical(); err != nil || !bytes.Equal(canon, body) {
		return nil, refuse(errs.Invalid, ManifestName, "is not in canonical form (edited after signing?)")
	}
	if m.Format != Format {
		return nil, refuse(errs.Invalid, ManifestName, "format %q: want %q", clip(m.Format), Format)
	}

	// Whose key, and is it trusted?
	pub, err := base64.StdEncoding.DecodeString(m.Exporter.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, refuse(errs.Invalid, ManifestName, "exporter public key is not a base64 Ed25519 key")
	}
	fp := Fingerprint(pub)
	if fp != m.Exporter.Fingerprint {
		return nil, refuse(errs.Invalid, ManifestName, "exporter fingerprint %s does not belong to the exporter key (%s)", clip(m.Exporter.Fingerprint), fp)
	}
	peer, err := opt.Trust.Trusted(fp, now)
	if err != nil {
		return nil, refuse(errs.Permission, "", "%v", err)
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sigText)))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, refuse(errs.Invalid, SignatureName, "is not a base64 Ed25519 signature")
	}
	if !ed25519.Verify(peer.PublicKey, append([]byte(signingContext), body...), sig) {
		return nil, refuse(errs.Permission, ManifestName, "signature does not verify with the key of peer %q (%s): the manifest was changed or signed by another key", peer.Node, fp)
	}
	if err := domain.CheckID("bundle id", string(m.BundleID)); err != nil {
		return nil, refuse(errs.Invalid, ManifestName, "%v", err)
	}
	if opt.Imported != nil && opt.Imported(m.BundleID) {
		return nil, refuse(errs.Conflict, "", "bundle %s from %q was imported before", m.BundleID, m.Exporter.Node)
	}

	b := &Bundle{
		Manifest: m, files: files,
		Origin: Origin{BundleID: m.BundleID, Node: m.Exporter.Node, AgencyID: m.Exporter.AgencyID, Agency: m.Exporter.Agency,
			Country: m.Exporter.Country, Fingerprint: fp, ExportedAt: m.CreatedAt},
	}
	listed := map[string]bool{ManifestName: true, SignatureName: true}
	var total int64
	for _, mem := range m.Members {
		if err := b.verifyMember(mem, lim, &total, listed); err != nil {
			return nil, err
		}
	}
	for name := range files {
		if !listed[name] {
			return nil, refuse(errs.Invalid, clip(name), "is in the zip but not in the manifest")
		}
	}
	if err := b.checkScans(listed); err != nil {
		return nil, err
	}
	return b, nil
}

func kindOfPath(p string) string {
	for kind, re := range memberPath {
		if re.MatchString(p) {
			return kind
		}
	}
	return ""
}

func readSmall(files map[string]*zip.File, name string, max int64) ([]byte, error) {
	f, ok := files[name]
	if !ok {
		return nil, refuse(errs.Invalid, name, "is missing: this is not a signed bundle")
	}
	if f.UncompressedSize64 > uint64(max) {
		return nil, refuse(errs.TooLarge, name, "is %d bytes; the limit is %d", f.UncompressedSize64, max)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, refuse(errs.Invalid, name, "cannot be read: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, refuse(errs.Invalid, name, "cannot be read: %v", err)
	}
	if int64(len(b)) > max {
		return nil, refuse(errs.TooLarge, name, "is larger than the limit of %d bytes", max)
	}
	return b, nil
}

func (b *Bundle) verifyMember(mem Member, lim Limits, total *int64, listed map[string]bool) error {
	kind := kindOfPath(mem.Path)
	if kind == "" || kind != mem.Kind {
		return refuse(errs.Invalid, clip(mem.Path), "manifest kind %q does not fit the path", clip(mem.Kind))
	}
	if listed[mem.Path] {
		return refuse(errs.Invalid, mem.Path, "listed twice in the manifest")
	}
	listed[mem.Path] = true
	if mem.Size < 0 || mem.Size > lim.MaxMemberSize {
		return refuse(errs.TooLarge, mem.Path, "manifest size %d is outside [0, %d]", mem.Size, lim.MaxMemberSize)
	}
	if kind != KindScanFile && mem.Size > lim.MaxRecordSize {
		return refuse(errs.TooLarge, mem.Path, "record is %d bytes; the limit is %d", mem.Size, lim.MaxRecordSize)
	}
	if *total += mem.Size; *total > lim.MaxTotalSize {
		return refuse(errs.TooLarge, mem.Path, "members add up to more than %d bytes", lim.MaxTotalSize)
	}
	want, err := hex.DecodeString(mem.SHA256)
	if err != nil || len(want) != sha256.Size {
		return refuse(errs.Invalid, mem.Path, "manifest SHA-256 %q is not 64 hex digits", clip(mem.SHA256))
	}
	f, ok := b.files[mem.Path]
	if !ok {
		return refuse(errs.Invalid, mem.Path, "is listed in the manifest but missing from the zip")
	}
	if f.UncompressedSize64 != uint64(mem.Size) {
		return refuse(errs.Invalid, mem.Path, "size mismatch: zip says %d bytes, manifest says %d", f.UncompressedSize64, mem.Size)
	}
	rc, err := f.Open()
	if err != nil {
		return refuse(errs.Invalid, mem.Path, "cannot be read: %v", err)
	}
	defer rc.Close()
	h := sha256.New()
	var keep *bytes.Buffer
	dst := io.Writer(h)
	if kind != KindScanFile {
		keep = bytes.NewBuffer(make([]byte, 0, mem.Size)) // mem.Size ≤ MaxRecordSize, checked above
		dst = io.MultiWriter(h, keep)
	}
	n, err := io.Copy(dst, io.LimitReader(rc, mem.Size+1))
	if err != nil {
		return refuse(errs.Invalid, mem.Path, "cannot be read (damaged?): %v", err)
	}
	if n != mem.Size {
		return refuse(errs.Invalid, mem.Path, "size mismatch: read %d bytes, manifest says %d", n, mem.Size)
	}
	if got := h.Sum(nil); !bytes.Equal(got, want) {
		return refuse(errs.Invalid, mem.Path, "SHA-256 mismatch: content hashes to %x, manifest says %s", got, mem.SHA256)
	}
	if keep == nil {
		return nil
	}
	return b.decodeRecord(kind, mem.Path, keep.Bytes())
}

func (b *Bundle) decodeRecord(kind, path string, data []byte) error {
	decode := func(v interface{ Validate() error }) error {
		if err := json.Unmarshal(data, v); err != nil {
			return refuse(errs.Invalid, path, "record does not decode: %v", err)
		}
		if err := v.Validate(); err != nil {
			return refuse(errs.Invalid, path, "record is invalid: %v", err)
		}
		return nil
	}
	id := strings.TrimSuffix(path[strings.LastIndexByte(path, '/')+1:], ".json")
	var recID string
	switch kind {
	case KindFirearm:
		var v tracing.Firearm
		if err := decode(&v); err != nil {
			return err
		}
		recID = string(v.ID)
		b.Firearms = append(b.Firearms, v)
	case KindCase:
		var v domain.Case
		if err := decode(&v); err != nil {
			return err
		}
		recID = string(v.ID)
		b.Cases = append(b.Cases, v)
	case KindExhibit:
		var v domain.Exhibit
		if err := decode(&v); err != nil {
			return err
		}
		recID = string(v.ID)
		b.Exhibits = append(b.Exhibits, v)
	case KindScan:
		var v domain.Scan
		if err := decode(&v); err != nil {
			return err
		}
		recID = string(v.ID)
		b.Scans = append(b.Scans, ScanEntry{Record: v, Member: "scans/" + v.Original.Hex() + "." + string(v.Format)})
	}
	if recID != id {
		return refuse(errs.Invalid, path, "holds record %q, not the one its name says", clip(recID))
	}
	return nil
}

// checkScans makes sure every scan record's original file is in the bundle.
func (b *Bundle) checkScans(listed map[string]bool) error {
	for _, s := range b.Scans {
		if !listed[s.Member] {
			return refuse(errs.Invalid, "records/scans/"+string(s.Record.ID)+".json", "its original file %s is not in the bundle", s.Member)
		}
	}
	return nil
}

// StoreScans copies every scan's original file into dst (at most maxSize
// bytes each) and checks the stored ref is the record's. Storing is
// idempotent (content-addressed), so a retry after a failure duplicates
// nothing.
func (b *Bundle) StoreScans(ctx context.Context, dst blob.Receiver, maxSize int64) error {
	const op = "exchange.Bundle.StoreScans"
	for _, s := range b.Scans {
		rc, err := b.files[s.Member].Open()
		if err != nil {
			return errs.E(op, errs.Invalid, fmt.Errorf("%s: %w", s.Member, err))
		}
		ref, _, err := dst.Receive(ctx, rc, maxSize)
		rc.Close()
		if err != nil {
			return errs.E(op, errs.KindOf(err), fmt.Errorf("store %s: %w", s.Member, err))
		}
		if ref != s.Record.Original {
			return errs.Errorf(op, errs.Invalid, "%s stored as %s, want %s", s.Member, ref, s.Record.Original)
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
