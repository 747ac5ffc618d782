package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
)

// Batch ingests the rows of a manifest, several files at a time. A file
// that fails is reported and the others go on. Re-running a batch skips the
// files already stored (same content hash), so a batch interrupted by a
// crash resumes where it stopped.
type Batch struct {
	In      *Ingester
	Agency  domain.AgencyID
	Actor   domain.UserID
	Workers int // files in flight (default 2)
	// BaseDir resolves relative file paths (the manifest's folder).
	BaseDir string
	// OnDone, if set, is called after each file (from several goroutines,
	// one call at a time).
	OnDone func(Outcome)
}

// Outcome is the result of one manifest row.
type Outcome struct {
	Row    Row
	Path   string
	Result *Result // nil on error
	Err    error
}

// Summary counts a batch.
type Summary struct {
	Stored  int       `json:"stored"`  // new scans
	Present int       `json:"present"` // already stored before (skipped)
	Failed  int       `json:"failed"`
	Runs    int       `json:"runs"` // correlation runs queued
	Errors  []Outcome `json:"-"`
	Elapsed float64   `json:"elapsed_s"`
	// PerSecond is the ingest rate of new scans (excluding correlation).
	PerSecond float64 `json:"scans_per_second"`
}

// Path resolves a row's file against the base folder.
func (b *Batch) Path(r Row) string {
	if filepath.IsAbs(r.File) || b.BaseDir == "" {
		return filepath.Clean(r.File)
	}
	return filepath.Join(b.BaseDir, r.File)
}

// Run ingests rows in order of completion and returns the counts.
func (b *Batch) Run(ctx context.Context, rows []Row) Summary {
	start := time.Now()
	workers := b.Workers
	if workers <= 0 {
		workers = 2
	}
	var (
		mu  sync.Mutex
		sum Summary
		wg  sync.WaitGroup
	)
	next := make(chan Row)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				o := b.one(ctx, r)
				mu.Lock()
				switch {
				case o.Err != nil:
					sum.Failed++
					sum.Errors = append(sum.Errors, o)
				case o.Result.Created:
					sum.Stored++
				default:
					sum.Present++
				}
				if o.Result != nil && o.Result.Run != nil {
					sum.Runs++
				}
				if b.OnDone != nil {
					b.OnDone(o)
				}
				mu.Unlock()
			}
		}()
	}
	for _, r := range rows {
		if ctx.Err() != nil {
			break
		}
		next <- r
	}
	close(next)
	wg.Wait()
	sum.Elapsed = time.Since(start).Seconds()
	if sum.Elapsed > 0 {
		sum.PerSecond = float64(sum.Stored) / sum.Elapsed
	}
	return sum
}

func (b *Batch) one(ctx context.Context, r Row) Outcome {
	o := Outcome{Row: r, Path: b.Path(r)}
	fail := func(err error) Outcome { o.Err = err; return o }
	kind, err := ParseKind(r.Kind)
	if err != nil {
		return fail(err)
	}
	var acquired time.Time
	if r.AcquiredAt != "" {
		if acquired, err = time.Parse(time.RFC3339, r.AcquiredAt); err != nil {
			return fail(err)
		}
	}
	f, err := os.Open(o.Path)
	if err != nil {
		return fail(fmt.Errorf("opening the scan file: %w", err))
	}
	defer f.Close()
	cs, _, err := FindOrCreateCase(ctx, b.In.Store, r.Case(b.Agency, b.Actor))
	if err != nil {
		return fail(fmt.Errorf("case %s: %w", r.CaseNumber, err))
	}
	e := r.Exhibit(b.Agency, b.Actor)
	e.CaseID = cs.ID
	ex, _, err := FindOrCreateExhibit(ctx, b.In.Store, e)
	if err != nil {
		return fail(fmt.Errorf("exhibit %s/%s: %w", r.CaseNumber, r.ExhibitLabel, err))
	}
	o.Result, err = b.In.Ingest(ctx, Request{Agency: b.Agency, Actor: b.Actor, Exhibit: ex.ID, Kind: kind,
		Name: filepath.Base(o.Path), UMPerPixel: r.UMPerPixel, Instrument: r.Instrument, AcquiredAt: acquired, Body: f})
	if err != nil {
		return fail(err)
	}
	return o
}
