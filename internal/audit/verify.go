package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// ProblemKind says what Verify found wrong.
type ProblemKind string

// Problem kinds.
const (
	Changed    ProblemKind = "changed"    // an entry's fields no longer match its hash, or it was rewritten
	Inserted   ProblemKind = "inserted"   // an entry was added into the chain
	Deleted    ProblemKind = "deleted"    // an entry is missing
	Checkpoint ProblemKind = "checkpoint" // a checkpoint is forged, unsigned by a trusted key, or no longer matches
)

// Problem is the first break Verify finds.
type Problem struct {
	Seq     int64       `json:"seq"`
	Kind    ProblemKind `json:"kind"`
	Message string      `json:"message"`
}

func (p *Problem) Error() string { return p.Message }

// Report is the result of Verify.
type Report struct {
	Entries     int64 `json:"entries"`     // entries read
	LastSeq     int64 `json:"last_seq"`    // newest seq
	Checkpoints int   `json:"checkpoints"` // signed checkpoints checked
	Unsigned    int64 `json:"unsigned"`    // entries after the newest checkpoint (protected by the chain only)
	// Problem is the first break found (nil: the log is intact).
	Problem *Problem `json:"problem,omitempty"`
}

// Verify walks the whole chain in seq order and checks every hash and
// link, and every checkpoint's signature and hash. It stops at the first
// problem and names the entry: changed (fields edited), inserted (an
// entry added and the later ones renumbered), deleted (a gap, or entries
// renumbered to close it, or entries cut off after a checkpoint), or a
// checkpoint that does not match (the chain was recomputed after an edit).
// trusted are the node keys whose checkpoints count; with none, each
// checkpoint is checked against the key it names (which proves nothing
// against someone able to write the database; say so to the user).
func Verify(ctx context.Context, st *store.Store, trusted ...ed25519.PublicKey) (Report, error) {
	const op = "audit.Verify"
	var rep Report
	cps, err := st.AuditCheckpoints(ctx)
	if err != nil {
		return rep, errs.E(op, errs.Other, err)
	}
	bySeq := map[int64]store.AuditCheckpoint{}
	for _, cp := range cps {
		if p := checkSignature(cp, trusted); p != nil {
			rep.Problem = p
			return rep, nil
		}
		bySeq[cp.Seq] = cp
	}
	rep.Checkpoints = len(cps)
	prevSeq, prevHash := int64(0), genesis
	lastCheckpoint := int64(0)
	for {
		rows, err := st.AuditRows(ctx, store.AuditFilter{AfterSeq: prevSeq, Limit: 1000})
		if err != nil {
			return rep, errs.E(op, errs.Other, err)
		}
		for _, e := range rows {
			if p := checkEntry(e, prevSeq, prevHash); p != nil {
				rep.Problem = p
				return rep, nil
			}
			if cp, ok := bySeq[e.Seq]; ok {
				if subtle.ConstantTimeCompare([]byte(cp.Hash), []byte(e.Hash)) != 1 {
					rep.Problem = &Problem{Seq: e.Seq, Kind: Checkpoint, Message: fmt.Sprintf(
						"entry %d no longer has the hash its signed checkpoint records: entries up to %d were changed and the chain recomputed", e.Seq, e.Seq)}
					return rep, nil
				}
				lastCheckpoint = e.Seq
			}
			prevSeq, prevHash = e.Seq, e.Hash
			rep.Entries++
		}
		if len(rows) < 1000 {
			break
		}
	}
	rep.LastSeq = prevSeq
	if n := len(cps); n > 0 && cps[n-1].Seq > prevSeq {
		rep.Problem = &Problem{Seq: prevSeq + 1, Kind: Deleted, Message: fmt.Sprintf(
			"entries %d to %d were deleted: the log ends at %d but a signed checkpoint covers %d", prevSeq+1, cps[n-1].Seq, prevSeq, cps[n-1].Seq)}
		return rep, nil
	}
	rep.Unsigned = prevSeq - lastCheckpoint
	return rep, nil
}

// checkEntry checks e against the entry before it (prevSeq, prevHash).
func checkEntry(e Entry, prevSeq int64, prevHash string) *Problem {
	if e.Seq != prevSeq+1 {
		first, last := prevSeq+1, e.Seq-1
		msg := fmt.Sprintf("entry %d was deleted", first)
		if last > first {
			msg = fmt.Sprintf("entries %d to %d were deleted", first, last)
		}
		return &Problem{Seq: first, Kind: Deleted, Message: msg}
	}
	own := Hash(e) == e.Hash
	if e.PrevHash == prevHash {
		if !own {
			return &Problem{Seq: e.Seq, Kind: Changed, Message: fmt.Sprintf("entry %d was changed: its fields no longer match its hash", e.Seq)}
		}
		return nil
	}
	// The link to the previous entry is broken. Renumbering shows as the
	// entry hashing right under a neighbouring seq.
	shifted := func(d int64) bool { s := e; s.Seq += d; return Hash(s) == e.Hash }
	switch {
	case e.Seq > 1 && shifted(-1):
		return &Problem{Seq: e.Seq - 1, Kind: Inserted, Message: fmt.Sprintf("entry %d was inserted (the entries after it were renumbered)", e.Seq-1)}
	case shifted(+1):
		return &Problem{Seq: e.Seq, Kind: Deleted, Message: fmt.Sprintf("an entry was deleted before entry %d (the entries after it were renumbered)", e.Seq)}
	case own:
		return &Problem{Seq: prevSeq, Kind: Changed, Message: fmt.Sprintf("entry %d was changed and given a new hash: entry %d no longer links to it", prevSeq, e.Seq)}
	}
	return &Problem{Seq: e.Seq, Kind: Changed, Message: fmt.Sprintf("entry %d was changed: its fields and its link no longer match", e.Seq)}
}

func checkSignature(cp store.AuditCheckpoint, trusted []ed25519.PublicKey) *Problem {
	bad := func(why string) *Problem {
		return &Problem{Seq: cp.Seq, Kind: Checkpoint, Message: fmt.Sprintf("checkpoint at entry %d %s", cp.Seq, why)}
	}
	pub, err := hex.DecodeString(cp.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return bad("names a malformed key")
	}
	if len(trusted) > 0 && !slices.ContainsFunc(trusted, func(k ed25519.PublicKey) bool { return k.Equal(ed25519.PublicKey(pub)) }) {
		return bad("is signed by a key that is not this node's")
	}
	sig, err := hex.DecodeString(cp.Signature)
	if err != nil || !ed25519.Verify(pub, checkpointMessage(cp.Seq, cp.Hash), sig) {
		return bad("has a bad signature (forged or altered)")
	}
	return nil
}
