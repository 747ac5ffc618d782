package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// Filter selects entries to list or export; zero fields do not filter.
type Filter struct {
	Agency   domain.AgencyID
	Case     domain.CaseID
	AfterSeq int64
}

// List returns up to limit entries matching f in seq order (limit ≤ 0: 50).
func (l *Log) List(ctx context.Context, f Filter, limit int) ([]Entry, error) {
	rows, err := l.st.AuditRows(ctx, store.AuditFilter{Agency: f.Agency, Case: f.Case, AfterSeq: f.AfterSeq, Limit: limit})
	return rows, errs.E("audit.List", errs.Other, err)
}

// JSONEntry is the export form of an entry: one JSON object per line,
// details inline as JSON, with every field needed to recompute the hash.
type JSONEntry struct {
	Seq        int64           `json:"seq"`
	At         time.Time       `json:"at"`
	Agency     string          `json:"agency,omitempty"`
	Actor      string          `json:"actor,omitempty"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type,omitempty"`
	ObjectID   string          `json:"object_id,omitempty"`
	CaseID     string          `json:"case_id,omitempty"`
	Details    json.RawMessage `json:"details"`
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`
}

// ToJSON converts an entry to its export form. Details that are not
// valid JSON (a tampered row) are exported as a JSON string.
func ToJSON(e Entry) JSONEntry {
	d := json.RawMessage(e.Details)
	if !json.Valid(d) {
		d, _ = json.Marshal(e.Details)
	}
	return JSONEntry{Seq: e.Seq, At: e.At, Agency: e.Agency, Actor: e.Actor, Action: e.Action, ObjectType: e.ObjectType,
		ObjectID: e.ObjectID, CaseID: e.CaseID, Details: d, PrevHash: e.PrevHash, Hash: e.Hash}
}

// Export writes every entry matching f to w as JSON lines and returns how
// many. An export of the whole log (zero Filter) can be checked offline:
// each line's hash is Hash of its fields and links to the line before.
func (l *Log) Export(ctx context.Context, w io.Writer, f Filter) (int64, error) {
	const op = "audit.Export"
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	var n int64
	for {
		rows, err := l.st.AuditRows(ctx, store.AuditFilter{Agency: f.Agency, Case: f.Case, AfterSeq: f.AfterSeq, Limit: 1000})
		if err != nil {
			return n, errs.E(op, errs.Other, err)
		}
		for _, e := range rows {
			if err := enc.Encode(ToJSON(e)); err != nil {
				return n, errs.E(op, errs.Other, err)
			}
			n++
			f.AfterSeq = e.Seq
		}
		if len(rows) < 1000 {
			break
		}
	}
	return n, errs.E(op, errs.Other, bw.Flush())
}
