package store

import (
	"context"
	"database/sql"

	"github.com/tracemark/tracemark/internal/domain"
)

// txRunner runs fn in a transaction: the store's own, retried on transient
// errors (Store.inTx), or the one a Tx already holds.
type txRunner func(ctx context.Context, op string, fn func(tx *sql.Tx) error) error

// Tx groups several writes into one transaction (see Store.InTx). Its
// methods behave like the Store methods of the same names.
type Tx struct {
	s  *Store
	tx *sql.Tx
}

// InTx runs fn with one transaction for all the writes it makes through tx,
// and commits if fn returns nil; otherwise nothing fn wrote is kept. Bulk
// loads use it to write thousands of records per commit. fn may be called
// again if the database reports a transient conflict, so it must not have
// effects outside tx. tx must not be used after fn returns. After a Tx method fails, return its
// error: on PostgreSQL the failed statement has aborted the transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	return s.inTx(ctx, "store.InTx", func(tx *sql.Tx) error {
		return fn(&Tx{s: s, tx: tx})
	})
}

func (t *Tx) run(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	return t.s.classify(op, fn(t.tx))
}

// CreateCase is Store.CreateCase within the transaction.
func (t *Tx) CreateCase(ctx context.Context, c domain.Case) (domain.Case, error) {
	return t.s.createCase(t.run, ctx, c)
}

// CreateExhibit is Store.CreateExhibit within the transaction.
func (t *Tx) CreateExhibit(ctx context.Context, e domain.Exhibit) (domain.Exhibit, error) {
	return t.s.createExhibit(t.run, ctx, e)
}

// PutScan is Store.PutScan within the transaction.
func (t *Tx) PutScan(ctx context.Context, sc domain.Scan) (domain.Scan, bool, error) {
	return t.s.putScan(t.run, ctx, sc)
}
