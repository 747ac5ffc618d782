package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/tracing"
)

// traceRecord is the JSON kept in trace_requests.record: the request
// without its answers (trace_answers holds them).
func traceRecord(t tracing.TraceRequest) (string, error) {
	t.Answers = nil
	b, err := json.Marshal(t)
	return string(b), err
}

// CreateTraceRequest stores a new trace request. At least one party must be
// an agency of this node (Requester.AgencyID or Addressee.AgencyID); an
// empty ID is assigned (a request received from another node keeps its
// own); an empty status becomes draft; times are set.
func (s *Store) CreateTraceRequest(ctx context.Context, t tracing.TraceRequest) (tracing.TraceRequest, error) {
	const op = "store.CreateTraceRequest"
	if t.ID == "" {
		t.ID = tracing.TraceRequestID(s.ids.New())
	}
	if t.Status == "" {
		t.Status = tracing.TraceDraft
	}
	if t.Requester.AgencyID == "" && t.Addressee.AgencyID == "" {
		return tracing.TraceRequest{}, errs.Errorf(op, errs.Invalid, "a trace request needs a requester or an addressee agency on this node")
	}
	for _, p := range []tracing.Party{t.Requester, t.Addressee} {
		if p.AgencyID != "" {
			if err := domain.CheckID("party agency id", string(p.AgencyID)); err != nil {
				return tracing.TraceRequest{}, err
			}
		}
	}
	if err := t.Validate(); err != nil {
		return tracing.TraceRequest{}, err
	}
	t.CreatedAt = s.timestamp()
	t.UpdatedAt = t.CreatedAt
	t.Deadline = stored(t.Deadline)
	rec, err := traceRecord(t)
	if err != nil {
		return tracing.TraceRequest{}, errs.E(op, errs.Internal, err)
	}
	err = s.inTx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO trace_requests (id, requester_agency_id, addressee_agency_id, requester_country,
				addressee_country, status, deadline, firearm_id, record, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			t.ID, nullString(t.Requester.AgencyID), nullString(t.Addressee.AgencyID), t.Requester.Country, t.Addressee.Country,
			t.Status, nullTime(t.Deadline), nullString(t.FirearmID), rec, t.CreatedAt, t.UpdatedAt)
		if errs.Is(errs.Conflict, s.classify(op, err)) {
			return errs.Errorf(op, errs.Conflict, "trace request %s already exists", t.ID)
		}
		if err != nil {
			return err
		}
		return s.putTraceAnswers(ctx, tx, t.ID, 0, t.Answers)
	})
	if err != nil {
		return tracing.TraceRequest{}, err
	}
	return t, nil
}

func (s *Store) putTraceAnswers(ctx context.Context, tx *sql.Tx, id tracing.TraceRequestID, from int, answers []tracing.TraceAnswer) error {
	for i := from; i < len(answers); i++ {
		a := answers[i]
		a.At = stored(a.At)
		b, err := json.Marshal(a)
		if err != nil {
			return errs.E("store.TraceAnswer", errs.Internal, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO trace_answers (request_id, seq, at, by_user, record) VALUES ($1, $2, $3, $4, $5)`,
			id, i+1, a.At, nullString(a.By), string(b)); err != nil {
			return err
		}
	}
	return nil
}

const traceColumns = `id, requester_agency_id, addressee_agency_id, record, created_at, updated_at`

func scanTrace(r rowScanner) (tracing.TraceRequest, error) {
	var (
		t              tracing.TraceRequest
		id, rec        string
		req, addr      sql.NullString
		created, upded time.Time
	)
	if err := r.Scan(&id, &req, &addr, &rec, &created, &upded); err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(rec), &t); err != nil {
		return t, errs.E("store.TraceRequest", errs.Internal, err)
	}
	t.ID = tracing.TraceRequestID(id)
	t.Requester.AgencyID, t.Addressee.AgencyID = domain.AgencyID(req.String), domain.AgencyID(addr.String)
	t.CreatedAt, t.UpdatedAt = created.UTC(), upded.UTC()
	return t, nil
}

// visibleTo is the condition under which agency sees a request: it sent
// it, or it is the addressee of a request that is no longer a draft.
const visibleTo = `(requester_agency_id = $2 OR (addressee_agency_id = $2 AND status <> 'draft'))`

func (s *Store) traceRequest(ctx context.Context, q querier, op string, agency domain.AgencyID, id tracing.TraceRequestID) (tracing.TraceRequest, error) {
	t, err := scanTrace(q.QueryRowContext(ctx, `SELECT `+traceColumns+` FROM trace_requests WHERE id = $1 AND `+visibleTo, id, agency))
	if err == sql.ErrNoRows {
		return t, notFound(op, "trace request %s not found for agency %s", id, agency)
	}
	if err != nil {
		return t, s.classify(op, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT record FROM trace_answers WHERE request_id = $1 ORDER BY seq`, id)
	if err != nil {
		return t, s.classify(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var rec string
		var a tracing.TraceAnswer
		if err := rows.Scan(&rec); err != nil {
			return t, s.classify(op, err)
		}
		if err := json.Unmarshal([]byte(rec), &a); err != nil {
			return t, errs.E(op, errs.Internal, err)
		}
		t.Answers = append(t.Answers, a)
	}
	return t, s.classify(op, rows.Err())
}

// TraceRequest returns a trace request that agency sent or received
// (another agency's, or a draft addressed to agency, is not found).
func (s *Store) TraceRequest(ctx context.Context, agency domain.AgencyID, id tracing.TraceRequestID) (tracing.TraceRequest, error) {
	const op = "store.TraceRequest"
	if err := checkIDs("agency id", string(agency), "trace request id", string(id)); err != nil {
		return tracing.TraceRequest{}, err
	}
	return s.traceRequest(ctx, s.db, op, agency, id)
}

// UpdateTraceRequest reads a request agency can see, lets change modify it
// (tracing.TraceRequest.Transition, Answer, edits of a draft) and stores it
// in the same transaction. Answers are append-only: change may add answers
// but not remove or rewrite earlier ones. ID, parties' agency IDs and
// CreatedAt cannot change; UpdatedAt is set.
func (s *Store) UpdateTraceRequest(ctx context.Context, agency domain.AgencyID, id tracing.TraceRequestID, change func(*tracing.TraceRequest) error) (tracing.TraceRequest, error) {
	const op = "store.UpdateTraceRequest"
	if err := checkIDs("agency id", string(agency), "trace request id", string(id)); err != nil {
		return tracing.TraceRequest{}, err
	}
	var out tracing.TraceRequest
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		t, err := s.traceRequest(ctx, tx, op, agency, id)
		if err != nil {
			return err
		}
		before := t
		before.Answers = append([]tracing.TraceAnswer(nil), t.Answers...)
		if err := change(&t); err != nil {
			return err
		}
		if len(t.Answers) < len(before.Answers) {
			return errs.Errorf(op, errs.Invalid, "answers of trace request %s cannot be removed", id)
		}
		t.ID, t.CreatedAt = id, before.CreatedAt
		t.Requester.AgencyID, t.Addressee.AgencyID = before.Requester.AgencyID, before.Addressee.AgencyID
		t.UpdatedAt = s.timestamp()
		t.Deadline = stored(t.Deadline)
		if err := t.Validate(); err != nil {
			return err
		}
		rec, err := traceRecord(t)
		if err != nil {
			return errs.E(op, errs.Internal, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE trace_requests SET requester_country = $1, addressee_country = $2, status = $3,
				deadline = $4, firearm_id = $5, record = $6, updated_at = $7 WHERE id = $8`,
			t.Requester.Country, t.Addressee.Country, t.Status, nullTime(t.Deadline), nullString(t.FirearmID), rec, t.UpdatedAt, id); err != nil {
			return err
		}
		if err := s.putTraceAnswers(ctx, tx, id, len(before.Answers), t.Answers); err != nil {
			return err
		}
		out, err = s.traceRequest(ctx, tx, op, agency, id)
		return err
	})
	return out, err
}

// TraceDirection selects trace requests by the agency's side.
type TraceDirection string

// Directions of ListTraceRequests.
const (
	TraceAll      TraceDirection = ""
	TraceIncoming TraceDirection = "incoming" // addressed to the agency (drafts excluded)
	TraceOutgoing TraceDirection = "outgoing" // sent by the agency
)

// TraceFilter selects trace requests of one agency.
type TraceFilter struct {
	Agency    domain.AgencyID // required
	Direction TraceDirection
	Status    tracing.TraceStatus // "" for any
	// OpenWithDeadlineBefore, when set, keeps open requests (sent or
	// acknowledged) whose deadline is before it: the reminder list.
	OpenWithDeadlineBefore time.Time
}

// ListTraceRequests returns the agency's trace requests matching f, newest
// first, a page at a time, with their answers.
func (s *Store) ListTraceRequests(ctx context.Context, f TraceFilter, page Page) ([]tracing.TraceRequest, string, error) {
	const op = "store.ListTraceRequests"
	if err := checkIDs("agency id", string(f.Agency)); err != nil {
		return nil, "", err
	}
	c, ok, err := decodeCursor(op, "traces", page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	switch f.Direction {
	case TraceIncoming:
		w.add("(addressee_agency_id = ? AND status <> 'draft')", f.Agency)
	case TraceOutgoing:
		w.add("requester_agency_id = ?", f.Agency)
	case TraceAll:
		p := w.next(f.Agency)
		w.conds = append(w.conds, "(requester_agency_id = "+p+" OR (addressee_agency_id = "+p+" AND status <> 'draft'))")
	default:
		return nil, "", errs.Errorf(op, errs.Invalid, "direction %q: want incoming, outgoing or empty for both", clip(string(f.Direction)))
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if !f.OpenWithDeadlineBefore.IsZero() {
		w.add("status IN ('sent', 'acknowledged') AND deadline IS NOT NULL AND deadline < ?", stored(f.OpenWithDeadlineBefore))
	}
	if ok {
		w.add("id < ?", c.ID)
	}
	limit := page.limit()
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM trace_requests`+w.String()+` ORDER BY id DESC LIMIT `+w.next(limit+1), w.args...)
	if err != nil {
		return nil, "", s.classify(op, err)
	}
	var ids []tracing.TraceRequestID
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, "", s.classify(op, err)
		}
		ids = append(ids, tracing.TraceRequestID(id))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", s.classify(op, err)
	}
	next := ""
	if len(ids) > limit {
		ids = ids[:limit]
		next = encodeCursor(cursor{List: "traces", ID: string(ids[limit-1])})
	}
	out := make([]tracing.TraceRequest, 0, len(ids))
	for _, id := range ids {
		t, err := s.traceRequest(ctx, s.db, op, f.Agency, id)
		if err != nil {
			return nil, "", err
		}
		out = append(out, t)
	}
	return out, next, nil
}

// AllTraceRequests returns every trace request the agency sent or received
// (for statistics and reminders).
func (s *Store) AllTraceRequests(ctx context.Context, agency domain.AgencyID) ([]tracing.TraceRequest, error) {
	var all []tracing.TraceRequest
	page := Page{Limit: MaxLimit}
	for {
		items, next, err := s.ListTraceRequests(ctx, TraceFilter{Agency: agency}, page)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		page.Cursor = next
	}
}

// TraceRequestParties returns the agencies of this node on either side of
// trace request id (empty for a party on another node), so that a change
// arriving from a peer can be applied as the local party. NotFound when
// the request is not here.
func (s *Store) TraceRequestParties(ctx context.Context, id tracing.TraceRequestID) (requester, addressee domain.AgencyID, err error) {
	const op = "store.TraceRequestParties"
	if err := checkIDs("trace request id", string(id)); err != nil {
		return "", "", err
	}
	var req, addr sql.NullString
	err = s.db.QueryRowContext(ctx, `SELECT requester_agency_id, addressee_agency_id FROM trace_requests WHERE id = $1`, id).Scan(&req, &addr)
	if err == sql.ErrNoRows {
		return "", "", notFound(op, "trace request %s not found", id)
	}
	if err != nil {
		return "", "", s.classify(op, err)
	}
	return domain.AgencyID(req.String), domain.AgencyID(addr.String), nil
}
