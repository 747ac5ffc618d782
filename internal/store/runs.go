package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// CreateRun queues a correlation run for a scan of the same agency. An
// empty ID is assigned; Status becomes queued and QueuedAt is set.
func (s *Store) CreateRun(ctx context.Context, r domain.CorrelationRun) (domain.CorrelationRun, error) {
	const op = "store.CreateRun"
	r.Status = domain.RunQueued
	r.Stats, r.Error, r.StartedAt, r.FinishedAt = nil, "", time.Time{}, time.Time{}
	if err := r.Validate(); err != nil {
		return domain.CorrelationRun{}, err
	}
	if r.ID == "" {
		r.ID = domain.RunID(s.ids.New())
	} else if err := domain.CheckID("run id", string(r.ID)); err != nil {
		return domain.CorrelationRun{}, err
	}
	r.QueuedAt = s.timestamp()
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, op, `SELECT 1 FROM scans WHERE id = $1 AND agency_id = $2`, "scan %s not found in agency %s", r.QueryScan, r.AgencyID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO correlation_runs (id, agency_id, query_scan, status, params, created_by, queued_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			r.ID, r.AgencyID, r.QueryScan, r.Status, string(r.Params), nullString(r.CreatedBy), r.QueuedAt)
		return err
	})
	if err != nil {
		return domain.CorrelationRun{}, err
	}
	return r, nil
}

const runColumns = `id, agency_id, query_scan, status, params, stats, error, created_by, queued_at, started_at, finished_at`

func scanRun(r rowScanner) (domain.CorrelationRun, error) {
	var (
		run               domain.CorrelationRun
		params, stats     string
		createdBy         sql.NullString
		started, finished sql.NullTime
	)
	err := r.Scan(&run.ID, &run.AgencyID, &run.QueryScan, &run.Status, &params, &stats, &run.Error, &createdBy,
		&run.QueuedAt, &started, &finished)
	if params != "" {
		run.Params = json.RawMessage(params)
	}
	if stats != "" {
		run.Stats = json.RawMessage(stats)
	}
	run.CreatedBy = domain.UserID(createdBy.String)
	run.QueuedAt = run.QueuedAt.UTC()
	run.StartedAt, run.FinishedAt = fromNullTime(started), fromNullTime(finished)
	return run, err
}

// Run returns a run of agency.
func (s *Store) Run(ctx context.Context, agency domain.AgencyID, id domain.RunID) (domain.CorrelationRun, error) {
	const op = "store.Run"
	if err := checkIDs("agency id", string(agency), "run id", string(id)); err != nil {
		return domain.CorrelationRun{}, err
	}
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runColumns+` FROM correlation_runs WHERE id = $1 AND agency_id = $2`, id, agency))
	if err == sql.ErrNoRows {
		return r, notFound(op, "run %s not found in agency %s", id, agency)
	}
	return r, s.classify(op, err)
}

// runStatus reads the status of a run inside tx.
func runStatus(ctx context.Context, tx *sql.Tx, op string, agency domain.AgencyID, id domain.RunID) (domain.RunStatus, error) {
	var st domain.RunStatus
	err := tx.QueryRowContext(ctx, `SELECT status FROM correlation_runs WHERE id = $1 AND agency_id = $2`, id, agency).Scan(&st)
	if err == sql.ErrNoRows {
		return "", notFound(op, "run %s not found in agency %s", id, agency)
	}
	return st, err
}

// StartRun marks a queued run as running. Starting a running run again is
// allowed (a worker that took over a job after a crash); starting a done or
// failed run is an errs.Conflict.
func (s *Store) StartRun(ctx context.Context, agency domain.AgencyID, id domain.RunID) error {
	const op = "store.StartRun"
	if err := checkIDs("agency id", string(agency), "run id", string(id)); err != nil {
		return err
	}
	now := s.timestamp()
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		st, err := runStatus(ctx, tx, op, agency, id)
		if err != nil {
			return err
		}
		if st != domain.RunQueued && st != domain.RunRunning {
			return errs.Errorf(op, errs.Conflict, "run %s is %s and cannot start again", id, st)
		}
		_, err = tx.ExecContext(ctx, `UPDATE correlation_runs SET status = $1, started_at = $2 WHERE id = $3`, domain.RunRunning, now, id)
		return err
	})
}

// CompleteRun stores the ranked candidates of a run and marks it done, in
// one transaction: readers see either no list or the whole list. stats may
// be nil. Completing a run that is already done is an errs.Conflict (so a
// redelivered job cannot store a second list).
func (s *Store) CompleteRun(ctx context.Context, agency domain.AgencyID, id domain.RunID, stats json.RawMessage, cands []domain.Candidate) error {
	const op = "store.CompleteRun"
	if err := checkIDs("agency id", string(agency), "run id", string(id)); err != nil {
		return err
	}
	check := domain.CorrelationRun{AgencyID: agency, QueryScan: domain.ScanID(id), Status: domain.RunDone, Stats: stats}
	if err := check.Validate(); err != nil {
		return err
	}
	ranks := map[int]bool{}
	for i, c := range cands {
		if err := c.Validate(); err != nil {
			return err
		}
		if ranks[c.Rank] {
			return errs.Errorf(op, errs.Invalid, "candidate %d repeats rank %d", i+1, c.Rank)
		}
		ranks[c.Rank] = true
	}
	now := s.timestamp()
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		// The status changes first and only if not done yet: of two
		// concurrent completions, PostgreSQL makes the second wait for the
		// first and then finds nothing to update.
		res, err := tx.ExecContext(ctx, `UPDATE correlation_runs SET status = $1, stats = $2, error = '',
				started_at = COALESCE(started_at, $3), finished_at = $4
			WHERE id = $5 AND agency_id = $6 AND status <> $7`,
			domain.RunDone, string(stats), now, now, id, agency, domain.RunDone)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if _, err := runStatus(ctx, tx, op, agency, id); err != nil {
				return err
			}
			return errs.Errorf(op, errs.Conflict, "run %s is already done", id)
		}
		for _, c := range cands {
			cid := c.ID
			if cid == "" {
				cid = domain.CandidateID(s.ids.New())
			} else if err := domain.CheckID("candidate id", string(cid)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO candidates (id, agency_id, run_id, scan_id, rank, score, calibrated, registration, review_status)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				cid, agency, id, c.Scan, c.Rank, c.Score, c.Calibrated, string(c.Registration), domain.ReviewUnreviewed); err != nil {
				return err
			}
		}
		return nil
	})
}

// FailRun marks a run as failed with the reason. Failing a done run is an
// errs.Conflict.
func (s *Store) FailRun(ctx context.Context, agency domain.AgencyID, id domain.RunID, reason string) error {
	const op = "store.FailRun"
	if err := checkIDs("agency id", string(agency), "run id", string(id)); err != nil {
		return err
	}
	check := domain.CorrelationRun{AgencyID: agency, QueryScan: domain.ScanID(id), Status: domain.RunFailed, Error: reason}
	if err := check.Validate(); err != nil {
		return err
	}
	now := s.timestamp()
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		st, err := runStatus(ctx, tx, op, agency, id)
		if err != nil {
			return err
		}
		if st == domain.RunDone {
			return errs.Errorf(op, errs.Conflict, "run %s is already done and cannot fail", id)
		}
		_, err = tx.ExecContext(ctx, `UPDATE correlation_runs SET status = $1, error = $2, finished_at = $3 WHERE id = $4`,
			domain.RunFailed, reason, now, id)
		return err
	})
}

// RunFilter selects runs of one agency.
type RunFilter struct {
	Agency    domain.AgencyID  // required
	Status    domain.RunStatus // "" for any
	QueryScan domain.ScanID    // "" for any
}

// ListRuns returns the runs that match f, newest first, a page at a time.
func (s *Store) ListRuns(ctx context.Context, f RunFilter, page Page) ([]domain.CorrelationRun, string, error) {
	const op = "store.ListRuns"
	if err := checkIDs("agency id", string(f.Agency)); err != nil {
		return nil, "", err
	}
	c, ok, err := decodeCursor(op, "runs", page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("agency_id = ?", f.Agency)
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.QueryScan != "" {
		if err := checkIDs("query scan id", string(f.QueryScan)); err != nil {
			return nil, "", err
		}
		w.add("query_scan = ?", f.QueryScan)
	}
	if ok {
		w.add("id < ?", c.ID)
	}
	limit := page.limit()
	out, err := s.queryRuns(ctx, op, `SELECT `+runColumns+` FROM correlation_runs`+w.String()+` ORDER BY id DESC LIMIT `+w.next(limit+1), w.args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(cursor{List: "runs", ID: string(out[limit-1].ID)})
	}
	return out, next, nil
}

func (s *Store) queryRuns(ctx context.Context, op, query string, args ...any) ([]domain.CorrelationRun, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.classify(op, err)
	}
	defer rows.Close()
	var out []domain.CorrelationRun
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, s.classify(op, err)
		}
		out = append(out, r)
	}
	return out, s.classify(op, rows.Err())
}

// UnfinishedRuns lists queued and running runs of every agency, oldest
// first, after the given run ("" from the start), at most limit (capped at
// MaxLimit). A restarted server uses it to put pending work back on the
// queue.
func (s *Store) UnfinishedRuns(ctx context.Context, after domain.RunID, limit int) ([]domain.CorrelationRun, error) {
	const op = "store.UnfinishedRuns"
	var w where
	w.conds = append(w.conds, "status IN ('queued', 'running')")
	if after != "" {
		if err := checkIDs("cursor run id", string(after)); err != nil {
			return nil, err
		}
		w.add("id > ?", after)
	}
	limit = Page{Limit: limit}.limit()
	return s.queryRuns(ctx, op, `SELECT `+runColumns+` FROM correlation_runs`+w.String()+` ORDER BY id LIMIT `+w.next(limit), w.args...)
}
