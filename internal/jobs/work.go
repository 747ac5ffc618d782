package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ackTimeout bounds the round trips that settle a job (ack, dead-letter).
const ackTimeout = 10 * time.Second

// enter registers a long-running worker loop (Work, Respond) with the
// queue, so that Close waits for it, and returns a context cancelled when
// ctx ends or the queue closes; leave undoes both. op names the caller in
// errors.
func (q *Queue) enter(ctx context.Context, op string, concurrency int) (_ context.Context, leave func(), _ error) {
	if concurrency < 1 {
		return nil, nil, fmt.Errorf("jobs: %s: concurrency %d must be at least 1", op, concurrency)
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil, nil, ErrClosed
	}
	q.workers.Add(1)
	q.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(q.closing, cancel)
	return ctx, func() {
		stop()
		cancel()
		q.workers.Done()
	}, nil
}

// Job is one delivery of an enqueued job to a handler.
type Job struct {
	Kind string
	// ID is the dedupID given to Enqueue ("" if none).
	ID      string
	Payload []byte
	// Attempt is 1 on the first delivery and grows with every redelivery
	// (after a handler error, a shutdown or a dead worker).
	Attempt int
	// Seq is the job's sequence number in the stream, unique per enqueued job.
	Seq      uint64
	Enqueued time.Time
}

// Handler processes one job. Returning nil acks the job; an error retries it
// after Config.Backoff until Config.MaxDeliver attempts, then dead-letters
// it; an error wrapped by Permanent dead-letters it at once. ctx is
// cancelled by Config.JobTimeout and when a graceful shutdown runs out of
// time. A panic is recovered and treated as an error.
type Handler func(ctx context.Context, job Job) error

// Permanent marks a handler error as not worth retrying (for example an
// undecodable payload): the job is dead-lettered on this attempt.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

type permanentError struct{ err error }

func (e permanentError) Error() string { return "permanent: " + e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Work runs handle on jobs of kind, at most concurrency at a time in this
// process, until ctx is cancelled or the Queue is closed. All workers of a
// kind, in every process, share one durable consumer, so each job goes to one
// of them; a worker pulls only as many jobs as it has free slots, so fast and
// slow workers balance themselves.
//
// On cancellation Work stops pulling, waits up to Config.ShutdownTimeout
// for the running handlers, then cancels their contexts and waits for them
// to return; jobs they did not finish are released for redelivery at once.
// Work returns nil after such a stop and an error only if it cannot start.
// Work may be called several times, for several kinds, on one Queue.
func (q *Queue) Work(ctx context.Context, kind string, concurrency int, handle Handler) error {
	if handle == nil {
		return fmt.Errorf("jobs: Work %s: nil handler", kind)
	}
	ctx, leave, err := q.enter(ctx, "Work "+kind, concurrency)
	if err != nil {
		return err
	}
	defer leave()
	cons, err := q.consumer(ctx, kind)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return err
	}

	// Handlers outlive ctx by up to ShutdownTimeout.
	handlerCtx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	var running sync.WaitGroup
	slots := make(chan struct{}, concurrency)
	log := q.log.With("kind", kind)
	log.Debug("worker started", "concurrency", concurrency)

	q.pull(ctx, kind, cons, slots, log, func(msg jetstream.Msg) {
		running.Add(1)
		go func() {
			defer running.Done()
			defer func() { <-slots }()
			q.handleMsg(handlerCtx, kind, msg, handle, log)
		}()
	})

	finished := make(chan struct{})
	go func() { running.Wait(); close(finished) }()
	grace := time.NewTimer(q.cfg.ShutdownTimeout)
	defer grace.Stop()
	select {
	case <-finished:
	case <-grace.C:
		log.Warn("shutdown timeout: cancelling running jobs", "timeout", q.cfg.ShutdownTimeout)
		cancelHandlers()
		<-finished
	}
	log.Debug("worker stopped")
	return nil
}

// pull fetches jobs for free slots and dispatches them until ctx is done.
// Each dispatched message holds one slot, released by the dispatch function.
func (q *Queue) pull(ctx context.Context, kind string, cons jetstream.Consumer, slots chan struct{}, log *slog.Logger, dispatch func(jetstream.Msg)) {
	failing := false // log an outage once, not on every poll
	// A pull on a deleted consumer looks like an idle queue (nothing
	// answers), so an idle worker checks now and then that it still exists.
	checkEvery := 10 * q.cfg.PollWait
	lastCheck := time.Now()
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n := 1
	fill:
		for n < cap(slots) {
			select {
			case slots <- struct{}{}:
				n++
			default:
				break fill
			}
		}
		got := 0
		batch, err := cons.Fetch(n, jetstream.FetchMaxWait(q.cfg.PollWait))
		if err == nil {
			for msg := range batch.Messages() {
				got++
				dispatch(msg)
			}
			err = batch.Error()
		}
		for range n - got {
			<-slots
		}
		if ctx.Err() != nil {
			return
		}
		if got > 0 || ((err == nil || errors.Is(err, nats.ErrTimeout)) && time.Since(lastCheck) < checkEvery) {
			if err == nil && failing {
				log.Info("fetching jobs works again")
				failing = false
			}
			continue
		}
		lastCheck = time.Now()
		if err != nil && !errors.Is(err, nats.ErrTimeout) && !failing {
			// Disconnected, or the consumer was deleted: retry; NATS
			// reconnects by itself and the jobs stay in the stream.
			log.Warn("fetching jobs failed; retrying until it works", "err", err, "every", q.cfg.PollWait)
			failing = true
		}
		cons = q.recreateIfGone(ctx, kind, cons, log)
		if err != nil && !errors.Is(err, nats.ErrTimeout) {
			select {
			case <-time.After(q.cfg.PollWait):
			case <-ctx.Done():
				return
			}
		}
	}
}

// recreateIfGone returns cons, or a new consumer for kind if cons no longer
// exists on the server.
func (q *Queue) recreateIfGone(ctx context.Context, kind string, cons jetstream.Consumer, log *slog.Logger) jetstream.Consumer {
	_, err := cons.Info(ctx)
	if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return cons // exists, or the server cannot say now
	}
	q.mu.Lock()
	delete(q.consumers, kind)
	q.mu.Unlock()
	c, err := q.consumer(ctx, kind)
	if err != nil {
		log.Warn("recreating the deleted consumer failed; will retry", "err", err)
		return cons
	}
	log.Warn("consumer was deleted; recreated it", "consumer", consumerName(kind))
	return c
}

// handleMsg runs one delivery and settles it: ack, retry later, release now
// (shutdown) or dead-letter.
func (q *Queue) handleMsg(ctx context.Context, kind string, msg jetstream.Msg, handle Handler, log *slog.Logger) {
	meta, err := msg.Metadata()
	if err != nil {
		log.Error("job without JetStream metadata; dropping it", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	job := Job{
		Kind:     kind,
		ID:       msg.Headers().Get(headerJobID),
		Payload:  msg.Data(),
		Attempt:  int(meta.NumDelivered),
		Seq:      meta.Sequence.Stream,
		Enqueued: meta.Timestamp,
	}
	log = log.With("seq", job.Seq, "id", job.ID, "attempt", job.Attempt)
	if job.Attempt > q.cfg.MaxDeliver {
		settleCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
		defer cancel()
		q.deadLetter(settleCtx, msg, job, fmt.Errorf("jobs: attempt %d of %d did not finish (its worker died or its ack was lost)", job.Attempt-1, q.cfg.MaxDeliver), log)
		return
	}
	herr := q.runHandler(ctx, msg, job, handle, log)
	settleCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	defer cancel()
	var perm permanentError
	switch {
	case herr == nil:
		if err := msg.DoubleAck(settleCtx); err != nil {
			log.Warn("ack failed; the job will run again", "err", err)
		} else if q.afterAck != nil {
			q.afterAck(job)
		}
	case ctx.Err() != nil:
		log.Info("job interrupted by shutdown; released for redelivery", "err", herr)
		_ = msg.Nak()
	case errors.As(herr, &perm) || job.Attempt >= q.cfg.MaxDeliver:
		q.deadLetter(settleCtx, msg, job, herr, log)
	default:
		delay := q.cfg.backoff(job.Attempt)
		log.Info("job failed; will retry", "err", herr, "in", delay)
		if err := msg.NakWithDelay(delay); err != nil {
			log.Warn("nak failed; the job will be retried after the ack wait", "err", err)
		}
	}
}

// runHandler calls handle while telling JetStream every AckWait/3 that the
// job is still in progress, and turns a panic into an error.
func (q *Queue) runHandler(ctx context.Context, msg jetstream.Msg, job Job, handle Handler, log *slog.Logger) (err error) {
	if q.cfg.JobTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, q.cfg.JobTimeout)
		defer cancel()
	}
	stop := make(chan struct{})
	var beating sync.WaitGroup
	beating.Add(1)
	go func() {
		defer beating.Done()
		tick := time.NewTicker(q.cfg.AckWait / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if err := msg.InProgress(); err != nil {
					log.Warn("progress heartbeat failed", "err", err)
				}
			}
		}
	}()
	defer func() {
		close(stop)
		beating.Wait()
	}()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("jobs: %s handler panicked: %v\n%s", job.Kind, r, debug.Stack())
		}
	}()
	return handle(ctx, job)
}

// deadLetter copies the job to the dead-letter stream, then terminates its
// delivery, which removes it from the work queue. If storing the dead letter
// fails the job is retried later; the dead letter's message ID (its stream
// sequence) keeps a second attempt from storing it twice.
func (q *Queue) deadLetter(ctx context.Context, msg jetstream.Msg, job Job, cause error, log *slog.Logger) {
	dm := nats.NewMsg(q.deadSubject(job.Kind))
	dm.Data = job.Payload
	if job.ID != "" {
		dm.Header.Set(headerJobID, job.ID)
	}
	dm.Header.Set(headerDeadError, headerSafe(cause.Error(), 1000))
	dm.Header.Set(headerDeadAttempts, strconv.Itoa(job.Attempt))
	dm.Header.Set(headerDeadSeq, strconv.FormatUint(job.Seq, 10))
	dm.Header.Set(headerDeadEnqueued, job.Enqueued.Format(time.RFC3339Nano))
	_, err := q.js.PublishMsg(ctx, dm,
		jetstream.WithMsgID("dead/"+strconv.FormatUint(job.Seq, 10)),
		jetstream.WithExpectStream(q.deadStream()))
	if err != nil {
		log.Error("cannot store dead letter; will try again", "err", err, "cause", cause)
		_ = msg.NakWithDelay(q.cfg.backoff(q.cfg.MaxDeliver))
		return
	}
	if err := msg.TermWithReason(headerSafe(cause.Error(), 200)); err != nil {
		log.Warn("terminating dead job failed; it will be seen once more", "err", err)
	}
	log.Error("job dead-lettered", "cause", cause, "dead_subject", q.deadSubject(job.Kind))
	if q.cfg.OnDead != nil {
		q.cfg.OnDead(job, cause)
	}
}

// headerSafe makes s a single-line header value of at most n bytes.
func headerSafe(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}
