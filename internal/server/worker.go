package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/jobs"
	"github.com/tracemark/tracemark/internal/store"
)

// Worker runs correlation jobs: it searches the corpus for the run's query
// scan and stores the ranked candidate list.
type Worker struct {
	Store *store.Store
	Corr  *Correlator
	Log   *slog.Logger
	// MaxAttempts is the jobs queue's MaxDeliver: a run whose last attempt
	// fails is marked failed.
	MaxAttempts int
	// RefreshEvery reloads the whole corpus when it is older than this
	// (worker processes do not see other processes' ingests otherwise);
	// 0 never reloads (the serving process adds its own ingests).
	RefreshEvery time.Duration
}

// Handle is the jobs.Handler of correlation jobs. It is idempotent: a run
// that is already done or failed is left alone.
func (w *Worker) Handle(ctx context.Context, job jobs.Job) error {
	j, err := ingest.DecodeJob(job.Payload)
	if err != nil {
		return jobs.Permanent(err)
	}
	return w.Run(ctx, j.Agency, j.Run, job.Attempt)
}

// Run executes one correlation run.
func (w *Worker) Run(ctx context.Context, agency domain.AgencyID, id domain.RunID, attempt int) error {
	run, err := w.Store.Run(ctx, agency, id)
	if errs.Is(errs.NotFound, err) {
		return jobs.Permanent(err)
	}
	if err != nil {
		return err
	}
	if run.Status == domain.RunDone || run.Status == domain.RunFailed {
		return nil
	}
	if err := w.Store.StartRun(ctx, agency, id); err != nil {
		if errs.Is(errs.Conflict, err) {
			return nil // finished meanwhile by another worker
		}
		return err
	}
	if err := w.refresh(ctx); err != nil {
		return err
	}
	cands, st, err := w.search(ctx, agency, run.QueryScan)
	if err != nil {
		permanent := errs.Is(errs.Invalid, err) || errs.Is(errs.NotFound, err)
		if permanent || attempt >= w.MaxAttempts && w.MaxAttempts > 0 {
			if ferr := w.Store.FailRun(ctx, agency, id, err.Error()); ferr != nil && !errs.Is(errs.Conflict, ferr) {
				return ferr
			}
			w.Log.Warn("correlation run failed", "run", id, "scan", run.QueryScan, "err", err)
			return nil
		}
		return err
	}
	stats, _ := json.Marshal(st)
	if err := w.Store.CompleteRun(ctx, agency, id, stats, cands); err != nil {
		if errs.Is(errs.Conflict, err) {
			return nil // a redelivered job whose first run completed
		}
		return err
	}
	w.Log.Info("correlation run done", "run", id, "scan", run.QueryScan, "candidates", len(cands),
		"coarse_ms", st.CoarseMS, "full_ms", st.FullMS)
	return nil
}

func (w *Worker) search(ctx context.Context, agency domain.AgencyID, scan domain.ScanID) ([]domain.Candidate, Stats, error) {
	q, err := w.Corr.QueryForScan(ctx, agency, scan)
	if err != nil {
		return nil, Stats{}, err
	}
	return w.Corr.Search(ctx, q)
}

func (w *Worker) refresh(ctx context.Context) error {
	w.Corr.mu.RLock()
	loaded := w.Corr.loaded
	w.Corr.mu.RUnlock()
	if w.RefreshEvery > 0 && time.Since(loaded) > w.RefreshEvery {
		return w.Corr.Reload(ctx)
	}
	return w.Corr.Load(ctx)
}

// Requeue puts every queued or running run back on the queue (after a
// restart; the queue drops those it still holds within its dedup window,
// and the handler ignores finished ones).
func Requeue(ctx context.Context, st *store.Store, q ingest.Enqueuer) (int, error) {
	var after domain.RunID
	n := 0
	for {
		runs, err := st.UnfinishedRuns(ctx, after, store.MaxLimit)
		if err != nil {
			return n, err
		}
		for _, r := range runs {
			payload, _ := json.Marshal(ingest.Job{Agency: r.AgencyID, Run: r.ID})
			if err := q.Enqueue(ctx, ingest.JobKind, payload, string(r.ID)); err != nil {
				return n, fmt.Errorf("requeueing run %s: %w", r.ID, err)
			}
			after = r.ID
			n++
		}
		if len(runs) < store.MaxLimit {
			return n, nil
		}
	}
}
