package audit

import (
	"context"

	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// AddCustody records a chain-of-custody event of an exhibit together with
// its audit entry, in one transaction: neither exists without the other.
// actor is who records it (audit name: user ID or "token:<id>"); caseID
// the exhibit's case, so the entry lists with the case.
func (l *Log) AddCustody(ctx context.Context, actor, caseID string, e store.CustodyEvent) (store.CustodyEvent, error) {
	const op = "audit.AddCustody"
	var appended Entry
	out, err := l.st.AddCustodyEvent(ctx, e, func(ev store.CustodyEvent) store.AuditBuilder {
		return func(last store.AuditRow) (store.AuditRow, error) {
			b, err := l.Builder(Record{Agency: string(ev.Agency), Actor: actor, Action: "custody." + string(ev.Kind),
				ObjectType: "exhibit", ObjectID: string(ev.Exhibit), CaseID: caseID, Details: custodyDetails(ev)})
			if err != nil {
				return store.AuditRow{}, err
			}
			appended, err = b(last)
			return appended, err
		}
	})
	if err != nil {
		return store.CustodyEvent{}, errs.E(op, errs.Other, err)
	}
	l.Appended(ctx, appended)
	return out, nil
}

// custodyDetails is what the audit entry keeps of a custody event: all of
// it, so the log alone can rebuild the chain of custody.
func custodyDetails(e store.CustodyEvent) map[string]any {
	d := map[string]any{"event": e.ID, "at": e.At, "by": e.By, "place": e.Place, "counterpart": e.Counterpart, "notes": e.Notes}
	if e.Scan != "" {
		d["scan"] = e.Scan
	}
	if len(e.ScanHashes) > 0 {
		d["scan_hashes"] = e.ScanHashes
	}
	if len(e.Warnings) > 0 {
		d["warnings"] = e.Warnings
	}
	return d
}
