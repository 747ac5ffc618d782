package exchange

import (
	"archive/zip"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/tracing"
)

// Format is the bundle format named in every manifest.
const Format = "tracemark-bundle/1"

// Names of the two members that describe a bundle.
const (
	ManifestName  = "manifest.json"
	SignatureName = "manifest.sig"
)

// signingContext is prepended to the manifest bytes before signing, so a
// bundle signature cannot be replayed as a signature of anything else.
const signingContext = "tracemark bundle manifest v1\n"

// Member kinds.
const (
	KindScanFile = "scan_file" // an original scan file (X3P or image), byte for byte
	KindFirearm  = "firearm"   // JSON of a tracing.Firearm
	KindCase     = "case"      // JSON of a domain.Case
	KindExhibit  = "exhibit"   // JSON of a domain.Exhibit
	KindScan     = "scan"      // JSON of a domain.Scan
)

// BundleID identifies a bundle: a UUIDv7 string as in internal/domain.
type BundleID string

// Member is one file of a bundle as the manifest lists it.
type Member struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	SHA256 string `json:"sha256"` // lowercase hex
	Size   int64  `json:"size"`   // bytes, uncompressed
}

// Exporter is the exporting node as the manifest names it.
type Exporter struct {
	NodeInfo
	PublicKey   string `json:"public_key"` // base64 (standard) of the Ed25519 key
	Fingerprint string `json:"fingerprint"`
}

// Manifest lists every member of a bundle. Its canonical form is the
// encoding/json encoding of this struct with Members sorted by Path; the
// exporter signs signingContext + those bytes.
type Manifest struct {
	Format    string    `json:"format"`
	BundleID  BundleID  `json:"bundle_id"`
	CreatedAt time.Time `json:"created_at"`
	Exporter  Exporter  `json:"exporter"`
	Members   []Member  `json:"members"`
}

// canonical returns the bytes that are stored and signed.
func (m Manifest) canonical() ([]byte, error) {
	sort.Slice(m.Members, func(i, j int) bool { return m.Members[i].Path < m.Members[j].Path })
	return json.Marshal(m)
}

// memberPath lists the paths a bundle may contain, one pattern per kind.
// Anything else is refused, which also rules out zip-slip names.
var memberPath = map[string]*regexp.Regexp{
	KindScanFile: regexp.MustCompile(`^scans/[0-9a-f]{64}\.(x3p|png|tiff|jpeg)$`),
	KindFirearm:  regexp.MustCompile(`^records/firearms/[0-9a-f-]{36}\.json$`),
	KindCase:     regexp.MustCompile(`^records/cases/[0-9a-f-]{36}\.json$`),
	KindExhibit:  regexp.MustCompile(`^records/exhibits/[0-9a-f-]{36}\.json$`),
	KindScan:     regexp.MustCompile(`^records/scans/[0-9a-f-]{36}\.json$`),
}

// Contents is what to export. Scans' original files are fetched by their
// Original ref.
type Contents struct {
	Firearms []tracing.Firearm
	Cases    []domain.Case
	Exhibits []domain.Exhibit
	Scans    []domain.Scan
}

func (c Contents) validate() error {
	var vs []interface{ Validate() error }
	for _, v := range c.Firearms {
		vs = append(vs, v)
	}
	for _, v := range c.Cases {
		vs = append(vs, v)
	}
	for _, v := range c.Exhibits {
		vs = append(vs, v)
	}
	for _, v := range c.Scans {
		vs = append(vs, v)
	}
	for _, v := range vs {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// ExportOptions tune Export.
type ExportOptions struct {
	BundleID BundleID  // default: a fresh UUIDv7
	Now      time.Time // default: time.Now
}

// Export writes a signed bundle of c to w: every record as JSON, every
// scan's original file fetched from originals, manifest.json and
// manifest.sig. It returns the manifest. A fetched original whose hash
// is not its ref fails the export.
func Export(ctx context.Context, w io.Writer, id *Identity, c Contents, originals blob.Fetcher, opt ExportOptions) (Manifest, error) {
	const op = "exchange.Export"
	if err := c.validate(); err != nil {
		return Manifest{}, errs.E(op, errs.Invalid, fmt.Errorf("refusing to export an invalid record (the importer would refuse the bundle): %w", err))
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	m := Manifest{
		Format: Format, BundleID: opt.BundleID, CreatedAt: now.UTC(),
		Exporter: Exporter{NodeInfo: id.NodeInfo, PublicKey: base64.StdEncoding.EncodeToString(id.PublicKey()), Fingerprint: id.Fingerprint()},
	}
	if m.BundleID == "" {
		var g domain.IDGen
		m.BundleID = BundleID(g.New())
	}
	zw := zip.NewWriter(w)
	seen := map[string]bool{}
	add := func(kind, path string, method uint16, write func(io.Writer) error) error {
		if seen[path] {
			return nil // the same record or file listed twice
		}
		seen[path] = true
		if err := ctx.Err(); err != nil {
			return err
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: path, Method: method, Modified: m.CreatedAt})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		h := sha256.New()
		cw := &countWriter{w: io.MultiWriter(fw, h)}
		if err := write(cw); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		m.Members = append(m.Members, Member{Path: path, Kind: kind, SHA256: hex.EncodeToString(h.Sum(nil)), Size: cw.n})
		return nil
	}
	record := func(kind, dir, id string, v any) error {
		return add(kind, "records/"+dir+"/"+id+".json", zip.Deflate, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		})
	}
	var err error
	for _, f := range c.Firearms {
		if err == nil {
			err = record(KindFirearm, "firearms", string(f.ID), f)
		}
	}
	for _, cs := range c.Cases {
		if err == nil {
			err = record(KindCase, "cases", string(cs.ID), cs)
		}
	}
	for _, e := range c.Exhibits {
		if err == nil {
			err = record(KindExhibit, "exhibits", string(e.ID), e)
		}
	}
	for _, s := range c.Scans {
		if err != nil {
			break
		}
		if err = record(KindScan, "scans", string(s.ID), s); err != nil {
			break
		}
		path := "scans/" + s.Original.Hex() + "." + string(s.Format)
		// Deflate, not Store: an X3P is itself a zip, and stored raw its
		// directory would make a truncated bundle read as the inner file.
		err = add(KindScanFile, path, zip.Deflate, func(w io.Writer) error {
			rc, _, err := originals.Fetch(ctx, s.Original)
			if err != nil {
				return fmt.Errorf("fetch original of scan %s: %w", s.ID, err)
			}
			defer rc.Close()
			h := sha256.New()
			if _, err := io.Copy(io.MultiWriter(w, h), rc); err != nil {
				return fmt.Errorf("copy original of scan %s: %w", s.ID, err)
			}
			if blob.RefFromHash(h) != s.Original {
				return fmt.Errorf("original of scan %s does not hash to %s", s.ID, s.Original)
			}
			return nil
		})
	}
	if err != nil {
		return Manifest{}, errs.E(op, errs.KindOf(err), err)
	}
	sort.Slice(m.Members, func(i, j int) bool { return m.Members[i].Path < m.Members[j].Path })
	body, err := m.canonical()
	if err != nil {
		return Manifest{}, errs.E(op, errs.Internal, err)
	}
	sig := ed25519.Sign(id.key, append([]byte(signingContext), body...))
	for _, f := range []struct {
		name string
		data []byte
	}{{ManifestName, body}, {SignatureName, []byte(base64.StdEncoding.EncodeToString(sig) + "\n")}} {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: m.CreatedAt})
		if err == nil {
			_, err = fw.Write(f.data)
		}
		if err != nil {
			return Manifest{}, errs.E(op, errs.Other, fmt.Errorf("write %s: %w", f.name, err))
		}
	}
	if err := zw.Close(); err != nil {
		return Manifest{}, errs.E(op, errs.Other, fmt.Errorf("finish bundle: %w", err))
	}
	return m, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
