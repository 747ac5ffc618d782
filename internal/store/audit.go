package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// AuditRow is one stored entry of the hash-chained audit log. The store
// keeps rows as given; package audit computes and checks the hashes.
type AuditRow struct {
	Seq        int64
	At         time.Time
	Agency     string // "" for node-wide events
	Actor      string // user ID, "token:<id>", or "" for the system
	Action     string
	ObjectType string
	ObjectID   string
	CaseID     string
	Details    string // JSON text, exactly as hashed
	PrevHash   string // hex
	Hash       string // hex
}

// AuditBuilder makes the next entry from the last one (zero AuditRow when
// the log is empty). It runs inside the append transaction, so it sees the
// true last entry, and may run more than once on a retry.
type AuditBuilder func(last AuditRow) (AuditRow, error)

// auditLockKey is the PostgreSQL advisory lock that serialises appends.
const auditLockKey = 0x74726d61756474 // "trmaudt"

// AppendAudit appends the entry build makes. Appends are serialised (the
// write lock on SQLite, an advisory transaction lock on PostgreSQL), so the
// chain never forks; seq must be last.Seq+1.
func (s *Store) AppendAudit(ctx context.Context, build AuditBuilder) (AuditRow, error) {
	const op = "store.AppendAudit"
	var row AuditRow
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		var err error
		row, err = s.appendAudit(ctx, tx, op, build)
		return err
	})
	return row, err
}

func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, op string, build AuditBuilder) (AuditRow, error) {
	if s.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(auditLockKey)); err != nil {
			return AuditRow{}, err
		}
	}
	last, err := scanAudit(tx.QueryRowContext(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY seq DESC LIMIT 1`))
	if err != nil && err != sql.ErrNoRows {
		return AuditRow{}, err
	}
	row, err := build(last)
	if err != nil {
		return AuditRow{}, err
	}
	if row.Seq != last.Seq+1 {
		return AuditRow{}, errs.Errorf(op, errs.Internal, "audit entry seq %d does not follow %d", row.Seq, last.Seq)
	}
	row.At = row.At.UTC()
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (seq, at, agency_id, actor, action, object_type, object_id, case_id, details, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, row.Seq, row.At, row.Agency, row.Actor, row.Action, row.ObjectType,
		row.ObjectID, row.CaseID, row.Details, row.PrevHash, row.Hash)
	return row, err
}

const auditColumns = `seq, at, agency_id, actor, action, object_type, object_id, case_id, details, prev_hash, hash`

func scanAudit(r rowScanner) (AuditRow, error) {
	var a AuditRow
	err := r.Scan(&a.Seq, &a.At, &a.Agency, &a.Actor, &a.Action, &a.ObjectType, &a.ObjectID, &a.CaseID, &a.Details, &a.PrevHash, &a.Hash)
	a.At = a.At.UTC()
	return a, err
}

// AuditFilter selects audit entries. Zero fields do not filter.
type AuditFilter struct {
	Agency   domain.AgencyID
	Case     domain.CaseID
	AfterSeq int64 // entries with seq > AfterSeq
	Limit    int   // at most this many (0: DefaultLimit; capped at 10 000)
}

// AuditRows returns audit entries in seq order.
func (s *Store) AuditRows(ctx context.Context, f AuditFilter) ([]AuditRow, error) {
	const op = "store.AuditRows"
	var w where
	if f.Agency != "" {
		if err := checkIDs("agency id", string(f.Agency)); err != nil {
			return nil, err
		}
		w.add("agency_id = ?", string(f.Agency))
	}
	if f.Case != "" {
		if err := checkIDs("case id", string(f.Case)); err != nil {
			return nil, err
		}
		w.add("case_id = ?", string(f.Case))
	}
	w.add("seq > ?", f.AfterSeq)
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = DefaultLimit
	case limit > 10000:
		limit = 10000
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log`+w.String()+` ORDER BY seq LIMIT `+w.next(limit), w.args...)
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	var out []AuditRow
	for rows.Next() {
		a, err := scanAudit(rows)
		if err != nil {
			return nil, s.classify(op, err)
		}
		out = append(out, a)
	}
	return out, s.classify(op, rows.Err())
}

// LastAudit returns the newest audit entry (zero AuditRow if the log is empty).
func (s *Store) LastAudit(ctx context.Context) (AuditRow, error) {
	a, err := scanAudit(s.db.QueryRowContext(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY seq DESC LIMIT 1`))
	if err == sql.ErrNoRows {
		return AuditRow{}, nil
	}
	return a, s.classify("store.LastAudit", err)
}

// AuditCheckpoint is a signature by the node's key over (Seq, Hash).
type AuditCheckpoint struct {
	Seq       int64
	Hash      string // hex, the hash of entry Seq
	At        time.Time
	PublicKey string // hex Ed25519 public key
	Signature string // hex
}

// AddAuditCheckpoint stores a checkpoint; one per seq (Conflict otherwise).
func (s *Store) AddAuditCheckpoint(ctx context.Context, c AuditCheckpoint) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit_checkpoints (seq, hash, at, public_key, signature) VALUES ($1, $2, $3, $4, $5)`,
		c.Seq, c.Hash, c.At.UTC(), c.PublicKey, c.Signature)
	return s.classify("store.AddAuditCheckpoint", err)
}

// AuditCheckpoints returns every checkpoint in seq order.
func (s *Store) AuditCheckpoints(ctx context.Context) ([]AuditCheckpoint, error) {
	const op = "store.AuditCheckpoints"
	rows, err := s.db.QueryContext(ctx, `SELECT seq, hash, at, public_key, signature FROM audit_checkpoints ORDER BY seq`)
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	var out []AuditCheckpoint
	for rows.Next() {
		var c AuditCheckpoint
		if err := rows.Scan(&c.Seq, &c.Hash, &c.At, &c.PublicKey, &c.Signature); err != nil {
			return nil, s.classify(op, err)
		}
		c.At = c.At.UTC()
		out = append(out, c)
	}
	return out, s.classify(op, rows.Err())
}
