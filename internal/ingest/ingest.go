package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// DefaultMaxFileBytes is the default upload limit for one scan file. The
// largest Fadul scan is 1.1 MB, a full-resolution raw breech face about 60
// MB.
const DefaultMaxFileBytes = 256 << 20

// JobKind is the jobs kind of correlation jobs.
const JobKind = "correlate"

// Job is the payload of a correlation job: one queued run.
type Job struct {
	Agency domain.AgencyID `json:"agency"`
	Run    domain.RunID    `json:"run"`
}

// DecodeJob parses a job payload.
func DecodeJob(b []byte) (Job, error) {
	var j Job
	if err := json.Unmarshal(b, &j); err != nil {
		return j, errs.E("ingest.DecodeJob", errs.Invalid, fmt.Errorf("correlation job payload: %w", err))
	}
	if err := domain.CheckID("job agency", string(j.Agency)); err != nil {
		return j, err
	}
	return j, domain.CheckID("job run", string(j.Run))
}

// Enqueuer puts jobs on the queue (jobs.Queue).
type Enqueuer interface {
	Enqueue(ctx context.Context, kind string, payload []byte, dedupID string) error
}

// Blobs is what ingest needs of the blob store.
type Blobs interface {
	blob.Receiver
	blob.Statter
}

// Ingester stores scans: validation, the original in the blob store, the
// record, the derived data and a queued correlation run. It is safe for
// concurrent use.
type Ingester struct {
	Store *store.Store
	Blobs Blobs
	// Queue receives a correlation job per new searchable scan; nil queues
	// nothing (runs stay queued until a server puts them on a queue).
	Queue Enqueuer
	// MaxFileBytes bounds one file (DefaultMaxFileBytes when 0).
	MaxFileBytes int64
	// OnIndexed, if set, is called with every scan whose search features
	// were stored (so that an in-process search corpus can add it at once).
	OnIndexed func(ctx context.Context, sc domain.Scan)
	Log       *slog.Logger
}

// Request is one file to ingest into an existing exhibit.
type Request struct {
	Agency  domain.AgencyID
	Actor   domain.UserID // who uploads; recorded as created_by and acquired_by
	Exhibit domain.ExhibitID
	// Kind is how to process the file; "" decides from the exhibit's kind
	// (cartridge case → cartridge, bullet → bullet-land) or, for images,
	// from the format.
	Kind       Kind
	Name       string  // original file name, for people only
	UMPerPixel float64 // calibration of a 2D image
	Instrument string  // overrides the instrument named in the X3P file
	AcquiredAt time.Time
	Body       io.Reader
}

// Result reports an ingest.
type Result struct {
	Scan domain.Scan
	// Created is false when the agency already held this very file (same
	// SHA-256): nothing new was stored and Scan is the earlier record.
	Created bool
	// Run is the correlation run queued for the scan, nil for an image or
	// when the scan had a run already.
	Run *domain.CorrelationRun
	// ElapsedMS is the ingest time without correlation.
	ElapsedMS float64
}

// Ingest validates and stores one file. A file that cannot be ingested is
// refused with an errs.Invalid (or errs.TooLarge) error naming the reason,
// and nothing is stored. Ingesting a file the agency already holds returns
// the existing scan (Created false); missing derived data or a missing
// correlation run, left by an earlier crash, are completed on the way.
func (in *Ingester) Ingest(ctx context.Context, req Request) (*Result, error) {
	const op = "ingest.Ingest"
	start := time.Now()
	ex, err := in.Store.Exhibit(ctx, req.Agency, req.Exhibit)
	if err != nil {
		return nil, err
	}
	kind := req.Kind
	if kind == "" {
		switch ex.Kind {
		case domain.KindCartridgeCase:
			kind = KindCartridge
		case domain.KindBullet:
			kind = KindBulletLand
		}
	}
	limit := in.MaxFileBytes
	if limit <= 0 {
		limit = DefaultMaxFileBytes
	}
	data, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err != nil {
		return nil, errs.E(op, errs.Invalid, fmt.Errorf("reading %s: %w", req.Name, err))
	}
	if int64(len(data)) > limit {
		return nil, errs.Errorf(op, errs.TooLarge, "%s is larger than the %d MiB limit for one scan file", req.Name, limit>>20)
	}
	if len(data) == 0 {
		return nil, errs.Errorf(op, errs.Invalid, "%s is empty", req.Name)
	}
	ref := blob.RefOf(data)
	if prev, err := in.Store.ScanByOriginal(ctx, req.Agency, ref); err == nil {
		return in.complete(ctx, prev, false, req, start)
	} else if !errs.Is(errs.NotFound, err) {
		return nil, err
	}
	if f, _ := Detect(data); f.Is2D() && req.Kind == "" {
		kind = KindImage // a photograph of any exhibit
	} else if kind == "" {
		kind = KindCartridge // an X3P scan of a test fire or firearm: most are cartridge cases
	}
	a, err := Analyse(data, req.Name, kind, req.UMPerPixel)
	if err != nil {
		return nil, err
	}
	// Validated: only now does anything get stored. The blob first, so a
	// record never points to a missing file; a crash in between leaves an
	// unreferenced blob that the next ingest of the file reuses.
	if _, _, err := in.Blobs.Receive(ctx, bytes.NewReader(data), limit); err != nil {
		return nil, fmt.Errorf("storing the original of %s: %w", req.Name, err)
	}
	var pre, feat blob.Ref
	if a.Features != nil {
		if pre, feat, err = in.storeDerived(ctx, a); err != nil {
			return nil, err
		}
	}
	instrument := a.Instrument
	if req.Instrument != "" {
		instrument = req.Instrument
	}
	sc := domain.Scan{
		AgencyID: req.Agency, ExhibitID: req.Exhibit, Original: ref, Size: int64(len(data)), Format: a.Format,
		OriginalName: clipName(req.Name), Instrument: instrument, Warnings: a.Warnings, AcquiredBy: req.Actor,
		AcquiredAt: req.AcquiredAt, Preprocessed: pre, Features: feat, CreatedBy: req.Actor,
	}
	if a.Format.Is2D() {
		sc.UMPerPixel = a.ResolutionUM
	} else {
		sc.ResolutionUM = a.ResolutionUM
	}
	stored, created, err := in.Store.PutScan(ctx, sc)
	if err != nil {
		return nil, err
	}
	return in.complete(ctx, stored, created, req, start)
}

// complete makes sure a stored scan has its derived data and a correlation
// run, and reports the ingest.
func (in *Ingester) complete(ctx context.Context, sc domain.Scan, created bool, req Request, start time.Time) (*Result, error) {
	res := &Result{Scan: sc, Created: created}
	if sc.Format.Is2D() {
		res.ElapsedMS = ms(start)
		return res, nil
	}
	if sc.Features.IsZero() {
		// A crash between the record and its derived data: redo them.
		if err := in.rederive(ctx, &sc, req); err != nil {
			return nil, err
		}
		res.Scan = sc
	}
	if in.OnIndexed != nil {
		in.OnIndexed(ctx, sc)
	}
	run, err := in.ensureRun(ctx, sc, req.Actor)
	if err != nil {
		return nil, err
	}
	res.Run = run
	res.ElapsedMS = ms(start)
	return res, nil
}

func (in *Ingester) storeDerived(ctx context.Context, a *Analysis) (pre, feat blob.Ref, err error) {
	fb, err := a.Features.MarshalBinary()
	if err != nil {
		return pre, feat, errs.E("ingest.storeDerived", errs.Internal, err)
	}
	if pre, _, err = in.Blobs.Receive(ctx, bytes.NewReader(a.Preprocessed), int64(len(a.Preprocessed))); err != nil {
		return pre, feat, fmt.Errorf("storing the processed scan: %w", err)
	}
	if feat, _, err = in.Blobs.Receive(ctx, bytes.NewReader(fb), int64(len(fb))); err != nil {
		return pre, feat, fmt.Errorf("storing the search features: %w", err)
	}
	return pre, feat, nil
}

// rederive recomputes the derived data of a stored scan from its original.
func (in *Ingester) rederive(ctx context.Context, sc *domain.Scan, req Request) error {
	f, ok := in.Blobs.(blob.Fetcher)
	if !ok {
		return errs.Errorf("ingest.rederive", errs.Internal, "the blob store cannot be read back")
	}
	data, err := blob.ReadAll(ctx, f, sc.Original)
	if err != nil {
		return fmt.Errorf("reading the original of scan %s: %w", sc.ID, err)
	}
	ex, err := in.Store.Exhibit(ctx, sc.AgencyID, sc.ExhibitID)
	if err != nil {
		return err
	}
	kind := req.Kind
	if kind == "" || kind == KindImage {
		kind = KindCartridge
		if ex.Kind == domain.KindBullet {
			kind = KindBulletLand
		}
	}
	a, err := Analyse(data, sc.OriginalName, kind, sc.UMPerPixel)
	if err != nil {
		return err
	}
	pre, feat, err := in.storeDerived(ctx, a)
	if err != nil {
		return err
	}
	if err := in.Store.SetScanDerived(ctx, sc.AgencyID, sc.ID, pre, feat); err != nil {
		return err
	}
	sc.Preprocessed, sc.Features = pre, feat
	return nil
}

// ensureRun queues a correlation run for sc unless it has one (queued,
// running or done), and puts it on the queue. The first run of a scan has an
// ID derived from the scan's, so concurrent ingests of one file create it
// once; after a failed run a new one with a fresh ID is made.
func (in *Ingester) ensureRun(ctx context.Context, sc domain.Scan, actor domain.UserID) (*domain.CorrelationRun, error) {
	runs, _, err := in.Store.ListRuns(ctx, store.RunFilter{Agency: sc.AgencyID, QueryScan: sc.ID}, store.Page{Limit: 10})
	if err != nil {
		return nil, err
	}
	var id domain.RunID
	if len(runs) == 0 {
		id = firstRunID(sc.ID)
	}
	for _, r := range runs {
		switch r.Status {
		case domain.RunDone:
			return nil, nil
		case domain.RunQueued, domain.RunRunning:
			// Queued by an earlier ingest that may have crashed before
			// Enqueue: enqueue again (the queue drops a duplicate).
			return nil, in.enqueue(ctx, r)
		}
	}
	run, err := in.Store.CreateRun(ctx, domain.CorrelationRun{ID: id, AgencyID: sc.AgencyID, QueryScan: sc.ID, CreatedBy: actor})
	if errs.Is(errs.Conflict, err) {
		return nil, nil // created meanwhile by a concurrent ingest of the same file, which enqueues it
	}
	if err != nil {
		return nil, err
	}
	if err := in.enqueue(ctx, run); err != nil {
		return nil, err
	}
	return &run, nil
}

// firstRunID derives the ID of a scan's first correlation run from the
// scan's ID (a UUID of version 8, "custom").
func firstRunID(scan domain.ScanID) domain.RunID {
	sum := sha256.Sum256([]byte("tracemark first run of scan " + scan))
	sum[6] = 0x80 | sum[6]&0x0f
	sum[8] = 0x80 | sum[8]&0x3f
	h := hex.EncodeToString(sum[:16])
	return domain.RunID(h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32])
}

func (in *Ingester) enqueue(ctx context.Context, r domain.CorrelationRun) error {
	if in.Queue == nil {
		return nil
	}
	payload, _ := json.Marshal(Job{Agency: r.AgencyID, Run: r.ID})
	if err := in.Queue.Enqueue(ctx, JobKind, payload, string(r.ID)); err != nil {
		return errs.E("ingest.enqueue", errs.Transient, fmt.Errorf("queueing the correlation of scan %s (the run stays queued and is requeued at the next start): %w", r.QueryScan, err))
	}
	return nil
}

func clipName(s string) string {
	if len(s) > 1024 {
		return s[:1024]
	}
	return s
}

func ms(start time.Time) float64 { return float64(time.Since(start).Microseconds()) / 1000 }
