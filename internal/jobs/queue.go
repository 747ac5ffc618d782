package jobs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// URLFile is the file in DataDir where an embedded server that listens on
// loopback writes its client URL, so that worker processes on the same
// machine can find it (see ReadURL). It is removed by Close.
const URLFile = "client.url"

// Message header carrying the caller's dedupID (Nats-Msg-Id carries it
// prefixed by the kind).
const headerJobID = "Tracemark-Job-Id"

// Dead-letter headers.
const (
	headerDeadError    = "Tracemark-Dead-Error"
	headerDeadAttempts = "Tracemark-Dead-Attempts"
	headerDeadSeq      = "Tracemark-Dead-Seq"
	headerDeadEnqueued = "Tracemark-Dead-Enqueued"
)

// ErrClosed is returned by calls on a Queue after Close.
var ErrClosed = errors.New("jobs: queue is closed")

// Queue is a connection to the job streams, owning the embedded server in
// embedded mode. Its methods are safe for concurrent use.
type Queue struct {
	cfg  Config
	log  *slog.Logger
	srv  *server.Server // nil in external mode
	lock *dirLock       // nil in external mode
	nc   *nats.Conn
	js   jetstream.JetStream
	url  string

	// closing is cancelled by Close to stop every Work loop.
	closing context.Context
	stop    context.CancelFunc

	mu        sync.Mutex
	closed    bool
	workers   sync.WaitGroup
	consumers map[string]jetstream.Consumer // by kind

	// afterAck, if set (by tests), is called once the server confirmed a
	// job's ack.
	afterAck func(Job)
}

// Open connects to the queue: it starts the embedded server under
// cfg.DataDir (cfg.URL empty) or connects to cfg.URL, then creates or updates
// the job and dead-letter streams. The caller must Close the Queue.
func Open(ctx context.Context, cfg Config) (*Queue, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	q := &Queue{cfg: cfg, log: cfg.Logger.With("component", "jobs"), consumers: map[string]jetstream.Consumer{}}
	q.closing, q.stop = context.WithCancel(context.Background())

	var err error
	if cfg.URL == "" {
		err = q.startEmbedded()
	} else {
		err = q.connectExternal()
	}
	if err == nil {
		q.js, err = jetstream.New(q.nc)
	}
	if err == nil {
		err = q.createStreams(ctx)
	}
	if err != nil {
		q.Close()
		return nil, err
	}
	return q, nil
}

func (q *Queue) startEmbedded() error {
	dir := q.cfg.DataDir
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("jobs: create data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return err
	}
	q.lock = lock
	opts := &server.Options{
		ServerName: "tracemark-jobs",
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true,
		SyncAlways: q.cfg.SyncAlways,
		DontListen: q.cfg.ListenAddr == "",
	}
	if q.cfg.ListenAddr != "" {
		opts.Host, opts.Port, _ = loopbackAddr(q.cfg.ListenAddr) // validated in Open
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("jobs: configure embedded NATS server: %w", err)
	}
	srv.SetLoggerV2(serverLogger{q.log.With("nats", "server")}, false, false, false)
	q.srv = srv
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		return fmt.Errorf("jobs: embedded NATS server in %s not ready after 30s (is %s free?)", dir, q.cfg.ListenAddr)
	}
	if !srv.JetStreamEnabled() {
		return fmt.Errorf("jobs: embedded NATS server could not enable JetStream in %s (see the server log)", dir)
	}
	q.nc, err = nats.Connect("", nats.InProcessServer(srv), nats.Name("tracemark-jobs"))
	if err != nil {
		return fmt.Errorf("jobs: connect to embedded NATS server: %w", err)
	}
	if q.cfg.ListenAddr != "" {
		q.url = srv.ClientURL()
		if err := writeFileAtomic(filepath.Join(dir, URLFile), []byte(q.url+"\n")); err != nil {
			return fmt.Errorf("jobs: publish the client URL: %w", err)
		}
	}
	return nil
}

func (q *Queue) connectExternal() error {
	opts := append([]nats.Option{
		nats.Name("tracemark-jobs"),
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				q.log.Warn("disconnected from NATS", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { q.log.Info("reconnected to NATS", "url", nc.ConnectedUrlRedacted()) }),
	}, q.cfg.ConnectOptions...)
	nc, err := nats.Connect(q.cfg.URL, opts...)
	if err != nil {
		return fmt.Errorf("jobs: connect to NATS at %s: %w (is the server running and the URL right?)", q.cfg.URL, err)
	}
	q.nc = nc
	q.url = q.cfg.URL
	return nil
}

func (q *Queue) createStreams(ctx context.Context) error {
	err := untilReady(ctx, func(ctx context.Context) error {
		return q.ensureStream(ctx, jetstream.StreamConfig{
			Name:        q.cfg.Stream,
			Description: "tracemark background jobs; subject " + q.cfg.SubjectPrefix + ".queue.<kind>",
			Subjects:    []string{q.cfg.SubjectPrefix + ".queue.>"},
			Retention:   jetstream.WorkQueuePolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    q.cfg.Replicas,
			Duplicates:  q.cfg.DedupWindow,
		})
	})
	if err != nil {
		return fmt.Errorf("jobs: create stream %s: %w", q.cfg.Stream, err)
	}
	err = untilReady(ctx, func(ctx context.Context) error {
		return q.ensureStream(ctx, jetstream.StreamConfig{
			Name:        q.deadStream(),
			Description: "tracemark jobs that exhausted their attempts; subject " + q.cfg.SubjectPrefix + ".dead.<kind>",
			Subjects:    []string{q.cfg.SubjectPrefix + ".dead.>"},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    q.cfg.Replicas,
			Duplicates:  q.cfg.DedupWindow,
		})
	})
	if err != nil {
		return fmt.Errorf("jobs: create dead-letter stream %s: %w", q.deadStream(), err)
	}
	return nil
}

// ensureStream creates the stream, or updates it if it exists with another
// configuration. Creating an existing stream with the same configuration is
// a no-op on the server, unlike an update, which also races with consumer
// creation inside nats-server v2.15.2 (seen with -race when worker processes
// connect at the same time).
func (q *Queue) ensureStream(ctx context.Context, cfg jetstream.StreamConfig) error {
	_, err := q.js.CreateStream(ctx, cfg)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		q.log.Info("updating stream configuration", "stream", cfg.Name)
		_, err = q.js.UpdateStream(ctx, cfg)
	}
	return err
}

// Retry limits of untilReady.
const (
	readyCallTimeout = 2 * time.Second
	readyMaxWait     = 30 * time.Second
	readyRetryDelay  = 250 * time.Millisecond
)

// untilReady runs op, retrying for up to readyMaxWait while a JetStream
// cluster cannot answer yet (no meta leader after a start or a node loss:
// the API times out or answers 503).
func untilReady(ctx context.Context, op func(context.Context) error) error {
	giveUp := time.Now().Add(readyMaxWait)
	for {
		callCtx, cancel := context.WithTimeout(ctx, readyCallTimeout)
		err := op(callCtx)
		cancel()
		if err == nil || !transient(err) || ctx.Err() != nil || time.Now().After(giveUp) {
			return err
		}
		select {
		case <-time.After(readyRetryDelay):
		case <-ctx.Done():
			return err
		}
	}
}

func transient(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code == 503
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse)
}

// URL returns the client URL worker processes use to reach this queue: the
// embedded server's loopback URL, the external URL, or "" when the embedded
// server does not listen.
func (q *Queue) URL() string { return q.url }

// ReadURL returns the client URL that a running embedded queue on dataDir
// published in URLFile. The file may be stale if that process was killed; a
// failed connection then tells the caller so.
func ReadURL(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, URLFile))
	if err != nil {
		return "", fmt.Errorf("jobs: no queue URL published in %s (is the server running with a listen address?): %w", dataDir, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Enqueue stores a job of the given kind. It returns once JetStream has
// persisted it (or recognised it as a duplicate); from then on the job
// survives a crash of this process and of the server. While a cluster
// elects a leader, Enqueue retries for up to 30 s (bounded by ctx).
//
// A non-empty dedupID makes the job idempotent within Config.DedupWindow: a
// second Enqueue of the same kind and dedupID in that window is accepted and
// dropped, even if the first job already ran. After the window, or with an
// empty dedupID, every call enqueues a new job. Dedup is therefore a guard
// against quick retries and re-ingests, not a uniqueness constraint:
// handlers must still be idempotent.
//
// Payloads should be small (IDs, not scans); the NATS limit is 1 MiB by default.
func (q *Queue) Enqueue(ctx context.Context, kind string, payload []byte, dedupID string) error {
	if err := checkKind(kind); err != nil {
		return err
	}
	if strings.ContainsAny(dedupID, "\r\n") || len(dedupID) > 512 {
		return fmt.Errorf("jobs: dedupID %.40q must be at most 512 bytes without line breaks", dedupID)
	}
	if q.isClosed() {
		return ErrClosed
	}
	msg := nats.NewMsg(q.queueSubject(kind))
	msg.Data = payload
	msgID := kind + "/" + dedupID
	if dedupID != "" {
		msg.Header.Set(headerJobID, dedupID)
	} else {
		// A private ID still makes the retries below idempotent.
		msgID = kind + "/~" + rand.Text()
	}
	var ack *jetstream.PubAck
	err := untilReady(ctx, func(ctx context.Context) (err error) {
		ack, err = q.js.PublishMsg(ctx, msg, jetstream.WithMsgID(msgID), jetstream.WithExpectStream(q.cfg.Stream))
		return err
	})
	if err != nil {
		return fmt.Errorf("jobs: enqueue %s job %q: %w", kind, dedupID, err)
	}
	if ack.Duplicate {
		q.log.Debug("duplicate job dropped", "kind", kind, "id", dedupID)
	}
	return nil
}

// Stats describes one kind's queue at one instant.
type Stats struct {
	// Pending jobs are stored and not yet delivered to any worker.
	Pending uint64
	// InFlight jobs are delivered and not yet acked: running, waiting for
	// a retry after an error, or held by a worker that died (until AckWait).
	InFlight int
	// Redelivered counts the InFlight jobs delivered more than once.
	Redelivered int
	// Dead counts the jobs of this kind in the dead-letter stream.
	Dead uint64
}

// Stats reports the queue depth of kind. It creates the kind's consumer if
// no worker has yet.
func (q *Queue) Stats(ctx context.Context, kind string) (Stats, error) {
	cons, err := q.consumer(ctx, kind)
	if err != nil {
		return Stats{}, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("jobs: stats of %s: %w", kind, err)
	}
	st := Stats{Pending: info.NumPending, InFlight: info.NumAckPending, Redelivered: info.NumRedelivered}
	dead, err := q.js.Stream(ctx, q.deadStream())
	if err != nil {
		return Stats{}, fmt.Errorf("jobs: stats of %s dead letters: %w", kind, err)
	}
	dinfo, err := dead.Info(ctx, jetstream.WithSubjectFilter(q.deadSubject(kind)))
	if err != nil {
		return Stats{}, fmt.Errorf("jobs: stats of %s dead letters: %w", kind, err)
	}
	st.Dead = dinfo.State.Subjects[q.deadSubject(kind)]
	return st, nil
}

// consumer returns the durable pull consumer of kind, shared by every worker
// of every process, creating or updating it on first use in this Queue.
func (q *Queue) consumer(ctx context.Context, kind string) (jetstream.Consumer, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	if q.isClosed() {
		return nil, ErrClosed
	}
	q.mu.Lock()
	cons, ok := q.consumers[kind]
	q.mu.Unlock()
	if ok {
		return cons, nil
	}
	err := untilReady(ctx, func(ctx context.Context) (err error) {
		// As with streams, create (a no-op if unchanged) before updating.
		cons, err = q.js.CreateConsumer(ctx, q.cfg.Stream, q.consumerConfig(kind))
		if errors.Is(err, jetstream.ErrConsumerExists) {
			q.log.Info("updating consumer configuration", "consumer", consumerName(kind))
			cons, err = q.js.UpdateConsumer(ctx, q.cfg.Stream, q.consumerConfig(kind))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: create consumer for %s: %w", kind, err)
	}
	q.mu.Lock()
	q.consumers[kind] = cons
	q.mu.Unlock()
	return cons, nil
}

func (q *Queue) consumerConfig(kind string) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       consumerName(kind),
		Description:   "tracemark workers for " + kind + " jobs",
		FilterSubject: q.queueSubject(kind),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.AckWait,
		// Attempts are counted by Work (see handleMsg), so that a job whose
		// last attempt died with its worker is still dead-lettered rather
		// than left undeliverable in the stream.
		MaxDeliver: -1,
	}
}

// Close stops every Work loop of this Queue (each lets in-flight jobs finish
// for up to Config.ShutdownTimeout), closes the connection and shuts the
// embedded server down. It is safe to call more than once.
func (q *Queue) Close() {
	q.mu.Lock()
	already := q.closed
	q.closed = true
	q.mu.Unlock()
	if already {
		return
	}
	q.stop()
	q.workers.Wait()
	if q.nc != nil {
		q.nc.Close()
	}
	if q.srv != nil {
		if q.url != "" {
			_ = os.Remove(filepath.Join(q.cfg.DataDir, URLFile))
		}
		q.srv.Shutdown()
		q.srv.WaitForShutdown()
	}
	if q.lock != nil {
		q.lock.release()
	}
}

func (q *Queue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

func (q *Queue) queueSubject(kind string) string { return q.cfg.SubjectPrefix + ".queue." + kind }
func (q *Queue) deadSubject(kind string) string  { return q.cfg.SubjectPrefix + ".dead." + kind }
func (q *Queue) deadStream() string              { return q.cfg.Stream + "_DEAD" }
func consumerName(kind string) string            { return "work_" + kind }

func checkKind(kind string) error {
	if !validToken.MatchString(kind) {
		return fmt.Errorf("jobs: kind %q must be 1-64 letters, digits, '_' or '-'", kind)
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// serverLogger routes nats-server logs to slog; the server's start-up
// notices are debug-level noise for tracemark users.
type serverLogger struct{ log *slog.Logger }

func (l serverLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l serverLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }

// DeadJob is a dead letter: a job that failed Config.MaxDeliver times, failed
// permanently, or whose last attempt died with its worker.
type DeadJob struct {
	// Job is the job as last delivered: Attempt is the attempts made and
	// Seq its sequence in the job stream.
	Job
	Cause string
	Died  time.Time
}

// DeadJobs returns up to limit dead letters of kind, oldest first. They stay
// stored; to retry one, Enqueue its payload again.
func (q *Queue) DeadJobs(ctx context.Context, kind string, limit int) ([]DeadJob, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, fmt.Errorf("jobs: DeadJobs limit %d must be at least 1", limit)
	}
	if q.isClosed() {
		return nil, ErrClosed
	}
	cons, err := q.js.OrderedConsumer(ctx, q.deadStream(), jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{q.deadSubject(kind)},
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: read %s dead letters: %w", kind, err)
	}
	batch, err := cons.FetchNoWait(limit)
	if err != nil {
		return nil, fmt.Errorf("jobs: read %s dead letters: %w", kind, err)
	}
	var dead []DeadJob
	for msg := range batch.Messages() {
		h := msg.Headers()
		d := DeadJob{Job: Job{Kind: kind, ID: h.Get(headerJobID), Payload: msg.Data()}, Cause: h.Get(headerDeadError)}
		d.Attempt, _ = strconv.Atoi(h.Get(headerDeadAttempts))
		d.Seq, _ = strconv.ParseUint(h.Get(headerDeadSeq), 10, 64)
		d.Enqueued, _ = time.Parse(time.RFC3339Nano, h.Get(headerDeadEnqueued))
		if meta, err := msg.Metadata(); err == nil {
			d.Died = meta.Timestamp
		}
		dead = append(dead, d)
	}
	if err := batch.Error(); err != nil {
		return dead, fmt.Errorf("jobs: read %s dead letters: %w", kind, err)
	}
	return dead, nil
}
