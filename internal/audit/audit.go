package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// Entry is one audit log entry as stored.
type Entry = store.AuditRow

// Record is what a caller logs: who did what to which record.
type Record struct {
	Agency     string // the actor's agency ("" for node-wide events)
	Actor      string // user ID, "token:<id>", or "" for the system
	Action     string // "case.create", "scan.download", "search", "auth.login", …
	ObjectType string // "case", "exhibit", "scan", "run", "candidate", "user", "token", …
	ObjectID   string
	CaseID     string // the case concerned, for listing per case
	Details    any    // marshalled to JSON (nil: {}); never put secrets here
}

// genesis is the previous hash of the first entry.
var genesis = hex.EncodeToString(make([]byte, sha256.Size))

// DefaultCheckpointEvery is how many entries pass between signed checkpoints.
const DefaultCheckpointEvery = 100

// Log appends to and reads the audit log of a store. It is safe for
// concurrent use (and across processes: the store serialises appends).
type Log struct {
	st    *store.Store
	key   ed25519.PrivateKey
	every int64
	now   func() time.Time
	log   *slog.Logger
}

// Option configures a Log.
type Option func(*Log)

// WithClock takes entry times from now.
func WithClock(now func() time.Time) Option { return func(l *Log) { l.now = now } }

// WithCheckpointEvery signs a checkpoint after every n entries (n ≤ 0: never automatically).
func WithCheckpointEvery(n int64) Option { return func(l *Log) { l.every = n } }

// WithLogger sets where failures of automatic checkpoints are logged.
func WithLogger(lg *slog.Logger) Option { return func(l *Log) { l.log = lg } }

// New returns a Log over st signing checkpoints with key (nil: no
// checkpoints, e.g. for a read-only verifier).
func New(st *store.Store, key ed25519.PrivateKey, opts ...Option) *Log {
	l := &Log{st: st, key: key, every: DefaultCheckpointEvery, now: time.Now, log: slog.Default()}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Hash returns the hash of an entry: hex SHA-256 over the canonical
// encoding of all its fields except Hash, prev hash included (so each
// entry commits to the whole chain before it).
//
// The encoding is the line "tracemark-audit-v1" followed by each field as
// <decimal byte length>:<bytes>, in the order seq, time (Unix µs, UTC),
// agency, actor, action, object type, object ID, case ID, details, prev
// hash. Lengths make it unambiguous whatever the fields contain.
func Hash(e Entry) string {
	h := sha256.New()
	h.Write([]byte("tracemark-audit-v1\n"))
	for _, f := range []string{strconv.FormatInt(e.Seq, 10), strconv.FormatInt(e.At.UnixMicro(), 10), e.Agency, e.Actor, e.Action,
		e.ObjectType, e.ObjectID, e.CaseID, e.Details, e.PrevHash} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Builder returns the store.AuditBuilder that chains r after the last
// entry; store methods that write a record and its audit entry in one
// transaction take it.
func (l *Log) Builder(r Record) (store.AuditBuilder, error) {
	const op = "audit.Record"
	if r.Action == "" {
		return nil, errs.Errorf(op, errs.Invalid, "audit record needs an action")
	}
	details := []byte("{}")
	if r.Details != nil {
		var err error
		if details, err = json.Marshal(r.Details); err != nil {
			return nil, errs.Errorf(op, errs.Invalid, "audit details of %s are not JSON-encodable: %v", r.Action, err)
		}
	}
	at := l.now().UTC().Truncate(time.Microsecond)
	return func(last store.AuditRow) (store.AuditRow, error) {
		prev := last.Hash
		if last.Seq == 0 {
			prev = genesis
		}
		e := Entry{Seq: last.Seq + 1, At: at, Agency: r.Agency, Actor: r.Actor, Action: r.Action, ObjectType: r.ObjectType,
			ObjectID: r.ObjectID, CaseID: r.CaseID, Details: string(details), PrevHash: prev}
		e.Hash = Hash(e)
		return e, nil
	}, nil
}

// Append adds r to the log and returns the entry. Every automatic
// checkpoint interval it also signs a checkpoint.
func (l *Log) Append(ctx context.Context, r Record) (Entry, error) {
	b, err := l.Builder(r)
	if err != nil {
		return Entry{}, err
	}
	e, err := l.st.AppendAudit(ctx, b)
	if err != nil {
		return Entry{}, errs.E("audit.Append", errs.Other, err)
	}
	l.Appended(ctx, e)
	return e, nil
}

// Appended is called after an entry was written through a Builder (Append
// calls it itself): it signs the automatic checkpoint when one is due.
func (l *Log) Appended(ctx context.Context, e Entry) {
	if l.key == nil || l.every <= 0 || e.Seq%l.every != 0 {
		return
	}
	if err := l.sign(ctx, e); err != nil {
		l.log.WarnContext(ctx, "signing an audit checkpoint failed; the next one will cover it", "seq", e.Seq, "err", err)
	}
}

// checkpointMessage is what a checkpoint signs.
func checkpointMessage(seq int64, hash string) []byte {
	return fmt.Appendf(nil, "tracemark-audit-checkpoint-v1\n%d\n%s", seq, hash)
}

func (l *Log) sign(ctx context.Context, e Entry) error {
	sig := ed25519.Sign(l.key, checkpointMessage(e.Seq, e.Hash))
	err := l.st.AddAuditCheckpoint(ctx, store.AuditCheckpoint{Seq: e.Seq, Hash: e.Hash, At: l.now().UTC().Truncate(time.Microsecond),
		PublicKey: hex.EncodeToString(l.key.Public().(ed25519.PublicKey)), Signature: hex.EncodeToString(sig)})
	if errs.Is(errs.Conflict, err) {
		return nil // already signed
	}
	return err
}

// Checkpoint signs the newest entry now (for shutdown, backups, and
// `tracemark audit checkpoint`). It returns the seq signed (0: empty log).
func (l *Log) Checkpoint(ctx context.Context) (int64, error) {
	const op = "audit.Checkpoint"
	if l.key == nil {
		return 0, errs.Errorf(op, errs.Invalid, "no signing key loaded")
	}
	last, err := l.st.LastAudit(ctx)
	if err != nil || last.Seq == 0 {
		return 0, errs.E(op, errs.Other, err)
	}
	return last.Seq, errs.E(op, errs.Other, l.sign(ctx, last))
}
