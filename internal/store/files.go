package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// File is a file an agency holds: a firearm photo or a trace request
// attachment uploaded by one of its users, or one received from a peer.
// The bytes are the blob Ref; the row is what lets the agency's records
// name the file and its users open it.
type File struct {
	AgencyID    domain.AgencyID `json:"-"`
	Ref         blob.Ref        `json:"ref"`
	Name        string          `json:"name"`
	ContentType string          `json:"content_type"`
	Size        int64           `json:"size"`
	UploadedBy  domain.UserID   `json:"uploaded_by,omitempty"`
	UploadedAt  time.Time       `json:"uploaded_at"`
}

// MaxFileName bounds a file's name in bytes.
const MaxFileName = 255

// AddFile records that f.AgencyID holds the blob f.Ref. Adding a file the
// agency already holds changes nothing and returns the row as first stored
// with created false, so an upload repeated by a retry is one row.
func (s *Store) AddFile(ctx context.Context, f File) (File, bool, error) {
	const op = "store.AddFile"
	if err := checkIDs("agency id", string(f.AgencyID)); err != nil {
		return File{}, false, err
	}
	if f.UploadedBy != "" {
		if err := checkIDs("uploaded by", string(f.UploadedBy)); err != nil {
			return File{}, false, err
		}
	}
	switch {
	case f.Ref.IsZero():
		return File{}, false, errs.Errorf(op, errs.Invalid, "a file needs its blob ref")
	case strings.TrimSpace(f.Name) == "" || len(f.Name) > MaxFileName || !utf8.ValidString(f.Name):
		return File{}, false, errs.Errorf(op, errs.Invalid, "file name must be 1..%d bytes of UTF-8 text", MaxFileName)
	case f.ContentType == "" || len(f.ContentType) > 100:
		return File{}, false, errs.Errorf(op, errs.Invalid, "file content type must be 1..100 bytes")
	case f.Size < 0:
		return File{}, false, errs.Errorf(op, errs.Invalid, "file size %d is negative", f.Size)
	}
	f.UploadedAt = s.timestamp()
	res, err := s.db.ExecContext(ctx, `INSERT INTO files (agency_id, ref, name, content_type, size_bytes, uploaded_by, uploaded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (agency_id, ref) DO NOTHING`,
		f.AgencyID, f.Ref, f.Name, f.ContentType, f.Size, nullString(f.UploadedBy), f.UploadedAt)
	if err != nil {
		return File{}, false, s.classify(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return File{}, false, s.classify(op, err)
	}
	if n == 1 {
		return f, true, nil
	}
	held, err := s.File(ctx, f.AgencyID, f.Ref)
	return held, false, err
}

// File returns the file ref of agency; a file the agency does not hold
// (even if another agency does) is NotFound.
func (s *Store) File(ctx context.Context, agency domain.AgencyID, ref blob.Ref) (File, error) {
	const op = "store.File"
	if err := checkIDs("agency id", string(agency)); err != nil {
		return File{}, err
	}
	f := File{AgencyID: agency}
	var by sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT ref, name, content_type, size_bytes, uploaded_by, uploaded_at FROM files
		WHERE agency_id = $1 AND ref = $2`, agency, ref).Scan(&f.Ref, &f.Name, &f.ContentType, &f.Size, &by, &f.UploadedAt)
	if err == sql.ErrNoRows || ref.IsZero() {
		return File{}, notFound(op, "agency %s holds no file %s", agency, ref)
	}
	if err != nil {
		return File{}, s.classify(op, err)
	}
	f.UploadedBy = domain.UserID(by.String)
	f.UploadedAt = f.UploadedAt.UTC()
	return f, nil
}

// MissingFiles returns the refs, in the order given and each once, that
// agency holds no file for: a record may name only files of its agency.
func (s *Store) MissingFiles(ctx context.Context, agency domain.AgencyID, refs []blob.Ref) ([]blob.Ref, error) {
	const op = "store.MissingFiles"
	if err := checkIDs("agency id", string(agency)); err != nil {
		return nil, err
	}
	var missing []blob.Ref
	seen := map[blob.Ref]bool{}
	for _, r := range refs {
		if seen[r] {
			continue
		}
		seen[r] = true
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM files WHERE agency_id = $1 AND ref = $2`, agency, r).Scan(&n); err != nil {
			return nil, s.classify(op, err)
		}
		if n == 0 {
			missing = append(missing, r)
		}
	}
	return missing, nil
}
