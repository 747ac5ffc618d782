package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/store"
)

// BenchmarkPutScan measures storing one scan record (one committed, fsynced
// transaction on SQLite): the database's share of ingest.
func BenchmarkPutScan(b *testing.B) {
	ctx := context.Background()
	s := openSQLite(b)
	a, err := s.CreateAgency(ctx, domain.Agency{Code: "B", Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	c, err := s.CreateCase(ctx, domain.Case{AgencyID: a.ID, Number: "1"})
	if err != nil {
		b.Fatal(err)
	}
	e, err := s.CreateExhibit(ctx, domain.Exhibit{AgencyID: a.ID, CaseID: c.ID, Label: "E", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		_, _, err := s.PutScan(ctx, domain.Scan{AgencyID: a.ID, ExhibitID: e.ID, Original: blob.RefOf([]byte(fmt.Sprint(i))), Format: domain.FormatX3P})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBulkPutScan measures scan records written 1000 per transaction
// through Store.InTx (the bulk path for large synthetic databases).
func BenchmarkBulkPutScan(b *testing.B) {
	ctx := context.Background()
	s := openSQLite(b)
	a, err := s.CreateAgency(ctx, domain.Agency{Code: "B", Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	c, err := s.CreateCase(ctx, domain.Case{AgencyID: a.ID, Number: "1"})
	if err != nil {
		b.Fatal(err)
	}
	e, err := s.CreateExhibit(ctx, domain.Exhibit{AgencyID: a.ID, CaseID: c.ID, Label: "E", Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for done := 0; done < b.N; {
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for i := done; i < min(done+1000, b.N); i++ {
				if _, _, err := tx.PutScan(ctx, domain.Scan{AgencyID: a.ID, ExhibitID: e.ID, Original: blob.RefOf([]byte(fmt.Sprint(i))), Format: domain.FormatX3P}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		done = min(done+1000, b.N)
	}
}
