package server

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/tracemark/tracemark/internal/api"
	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/blob/local"
	"github.com/tracemark/tracemark/internal/blob/s3"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/federation"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/jobs"
	"github.com/tracemark/tracemark/internal/report"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/web"
)

// Config says where everything lives. Empty fields take embedded defaults
// under DataDir.
type Config struct {
	// DataDir holds the embedded defaults: tracemark.db (SQLite), blobs/
	// (local blob folder) and nats/ (embedded JetStream). Default
	// ./tracemark-data.
	DataDir string
	// DBURL: postgres://… or a SQLite path (default DataDir/tracemark.db).
	DBURL string
	// BlobsURL: http(s)://ACCESS:SECRET@host:port/bucket[/prefix] for S3,
	// or a folder (default DataDir/blobs).
	BlobsURL string
	// NATSURL of an external NATS cluster; empty starts an embedded server
	// under DataDir/nats.
	NATSURL string
	// NATSListen is the loopback address on which the embedded NATS server
	// accepts worker processes (default 127.0.0.1:0, a free port; its URL
	// is written to DataDir/nats/client.url). "off" disables it.
	NATSListen string
	// Addr is the HTTP listen address (default 127.0.0.1:8080).
	Addr string
	// Workers is the number of correlation jobs this process runs at once
	// (default GOMAXPROCS; negative: none, for an API-only node).
	Workers int
	// K is the number of candidates compared in full and listed (default 20).
	K int
	// Shard "i/n" makes this process shard worker i of n (ParseShard): it
	// indexes only the entries of its shard (search.ShardOf) and answers
	// their coarse queries on the queue (Correlator.ServeShard); it runs
	// no correlation jobs (Workers must be negative). Empty: not a shard.
	Shard string
	// RemoteShards n > 0 runs this node's coarse stage on n shard workers
	// through the queue (WithRemoteShards); the full comparison stays here.
	RemoteShards int
	// ReportTemplates are the laboratory's report templates (nil: built in),
	// the same that `tracemark report --templates` reads.
	ReportTemplates *report.Templates
	// MaxUploadBytes bounds one scan file (default ingest.DefaultMaxFileBytes).
	MaxUploadBytes int64
	// MaxBodyBytes bounds every other request body (default 1 MiB).
	MaxBodyBytes int64
	// TLSCert and TLSKey are PEM files of the HTTPS certificate and key.
	// Without them, TLS (or SelfSigned) serves HTTPS with a self-signed
	// certificate kept under DataDir/tls. A non-loopback Addr always
	// serves HTTPS unless InsecureHTTP is set.
	TLSCert, TLSKey string
	TLS             bool
	InsecureHTTP    bool
	// CheckpointEvery is how often Serve signs an audit checkpoint
	// (default 10 min; one is also signed at shutdown).
	CheckpointEvery time.Duration
	// Auth tunes sign-in (throttling, lockout, session lifetimes); its
	// Record and Log are set by Open.
	Auth auth.Config
	// Jobs overrides queue settings (URL, DataDir and ListenAddr are set
	// from the fields above).
	Jobs    jobs.Config
	Log     *slog.Logger
	Version string
	// Federation sets up exchange and federation with peer nodes.
	Federation FederationConfig
	// DefaultCountry is the ISO 3166-1 alpha-2 country given to the default
	// agency when this start creates it (default: Federation.Country). An
	// agency that exists already keeps its own.
	DefaultCountry string
}

// DefaultDataDir is the data folder when none is given.
const DefaultDataDir = "tracemark-data"

// The default agency and its console account, created at first start.
// The console account acts for commands run on the server's console
// (tracemark ingest, the demo loader) in the audit trail; it has no roles
// and no password, so nobody can sign in with it.
const (
	DefaultAgencyCode = "LAB"
	ConsoleUser       = "console"
)

func (c Config) withDefaults() Config {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.DBURL == "" {
		c.DBURL = filepath.Join(c.DataDir, "tracemark.db")
	}
	if c.BlobsURL == "" {
		c.BlobsURL = filepath.Join(c.DataDir, "blobs")
	}
	if c.NATSListen == "" {
		c.NATSListen = "127.0.0.1:0"
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.K <= 0 {
		c.K = 20
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = ingest.DefaultMaxFileBytes
	}
	if c.CheckpointEvery <= 0 {
		c.CheckpointEvery = 10 * time.Minute
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// Node is an opened tracemark node: store, blobs, queue, corpus, ingest.
type Node struct {
	Cfg      Config
	Store    *store.Store
	Blobs    blob.Storage
	Queue    *jobs.Queue // nil for a node opened without a queue (OpenLocal)
	Corr     *Correlator
	Ingester *ingest.Ingester
	Worker   *Worker
	Agency   domain.Agency // the default agency
	User     domain.User   // the console account of the default agency
	Auth     *auth.Service // signs users in, identifies requests
	Audit    *audit.Log    // the hash-chained audit trail, signing with the node's key
	// Federation exchanges bundles and searches with peer nodes (nil: off; see FederationConfig).
	Federation *federation.Node
	log        *slog.Logger
}

// Open opens the store, the blob store and the queue of cfg, creates the
// default agency and user on first start, loads the search corpus and puts
// unfinished correlation runs back on the queue.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	n, err := open(ctx, cfg, true)
	if err != nil {
		return nil, err
	}
	if k, err := Requeue(ctx, n.Store, n.Queue); err != nil {
		n.Close()
		return nil, err
	} else if k > 0 {
		n.log.Info("unfinished correlation runs requeued", "runs", k)
	}
	return n, nil
}

// OpenLocal opens the store and blob store of cfg without a queue (for
// tracemark search and offline ingest: runs are queued in the store and
// picked up by the next server start).
func OpenLocal(ctx context.Context, cfg Config) (*Node, error) { return open(ctx, cfg, false) }

func open(ctx context.Context, cfg Config, withQueue bool) (*Node, error) {
	cfg = cfg.withDefaults()
	n := &Node{Cfg: cfg, log: cfg.Log}
	var err error
	if n.Store, err = store.Open(ctx, cfg.DBURL); err != nil {
		return nil, fmt.Errorf("opening the database %s: %w", redact(cfg.DBURL), err)
	}
	if n.Blobs, err = OpenBlobs(ctx, cfg.BlobsURL); err != nil {
		n.Close()
		return nil, err
	}
	if withQueue {
		jc := cfg.Jobs
		jc.URL, jc.Logger = cfg.NATSURL, cfg.Log
		if jc.URL == "" {
			jc.DataDir = filepath.Join(cfg.DataDir, "nats")
			if cfg.NATSListen != "off" {
				jc.ListenAddr = cfg.NATSListen
			}
		}
		if n.Queue, err = jobs.Open(ctx, jc); err != nil {
			n.Close()
			return nil, fmt.Errorf("opening the job queue: %w", err)
		}
	}
	country := cfg.DefaultCountry
	if country == "" {
		country = cfg.Federation.Country
	}
	if n.Agency, n.User, err = bootstrap(ctx, n.Store, country); err != nil {
		n.Close()
		return nil, err
	}
	key, err := audit.LoadOrCreateKey(cfg.DataDir)
	if err != nil {
		n.Close()
		return nil, fmt.Errorf("loading the audit signing key: %w", err)
	}
	n.Audit = audit.New(n.Store, key, audit.WithLogger(cfg.Log))
	ac := cfg.Auth
	ac.Record, ac.Log = n.Audit.RecordAuth, cfg.Log
	n.Auth = auth.NewService(n.Store, ac)
	corrOpts, err := n.shardOptions()
	if err != nil {
		n.Close()
		return nil, err
	}
	if n.Corr, err = NewCorrelator(n.Store, n.Blobs, cfg.Log, corrOpts...); err != nil {
		n.Close()
		return nil, err
	}
	n.Corr.K = cfg.K
	if err := n.Corr.Load(ctx); err != nil {
		n.Close()
		return nil, err
	}
	n.Ingester = &ingest.Ingester{Store: n.Store, Blobs: n.Blobs, MaxFileBytes: cfg.MaxUploadBytes, Log: cfg.Log,
		OnIndexed: func(ctx context.Context, sc domain.Scan) {
			if err := n.Corr.Add(ctx, sc); err != nil {
				n.log.Warn("search corpus: scan not added", "scan", sc.ID, "err", err)
			}
		}}
	maxAttempts := jobs.DefaultMaxDeliver
	if cfg.Jobs.MaxDeliver > 0 {
		maxAttempts = cfg.Jobs.MaxDeliver
	}
	n.Worker = &Worker{Store: n.Store, Corr: n.Corr, Log: cfg.Log, MaxAttempts: maxAttempts, RefreshEvery: 10 * time.Minute}
	if n.Federation, err = n.openFederation(); err != nil {
		n.Close()
		return nil, err
	}
	if n.Queue != nil {
		n.Ingester.Queue = n.Queue
	}
	return n, nil
}

// OpenBlobs opens the blob store named by url: S3 for http(s)://, else a
// local folder (a path or file://path).
func OpenBlobs(ctx context.Context, url string) (blob.Storage, error) {
	if strings.HasPrefix(url, "http://") || strings.HasPrefix(url, "https://") {
		s, err := s3.Open(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("opening the S3 blob store %s: %w", redact(url), err)
		}
		return s, nil
	}
	s, err := local.New(strings.TrimPrefix(url, "file://"))
	if err != nil {
		return nil, fmt.Errorf("opening the blob folder %s: %w", url, err)
	}
	return s, nil
}

// redact hides the password of a URL for messages.
func redact(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, _, hasPass := strings.Cut(rest[:at], ":"); hasPass {
			return scheme + "://" + user + ":***@" + rest[at+1:]
		}
	}
	return u
}

// bootstrap makes sure the default agency (created in country, which may
// be empty) and its console account exist.
func bootstrap(ctx context.Context, st *store.Store, country string) (domain.Agency, domain.User, error) {
	username := ConsoleUser
	ag, err := st.AgencyByCode(ctx, DefaultAgencyCode)
	if errs.Is(errs.NotFound, err) {
		ag, err = st.CreateAgency(ctx, domain.Agency{Code: DefaultAgencyCode, Name: "Local laboratory", Country: country})
		if errs.Is(errs.Conflict, err) { // created meanwhile by another process
			ag, err = st.AgencyByCode(ctx, DefaultAgencyCode)
		}
	}
	if err != nil {
		return ag, domain.User{}, fmt.Errorf("setting up the default agency: %w", err)
	}
	u, err := st.UserByName(ctx, username)
	if errs.Is(errs.NotFound, err) {
		u, err = st.CreateUser(ctx, domain.User{AgencyID: ag.ID, Username: username, DisplayName: "Server console", Roles: []domain.Role{}})
		if errs.Is(errs.Conflict, err) {
			u, err = st.UserByName(ctx, username)
		}
	}
	if err != nil {
		return ag, u, fmt.Errorf("setting up the user %s: %w", username, err)
	}
	return ag, u, nil
}

// Close releases everything (the queue first, so no job runs on a closed
// store).
func (n *Node) Close() {
	if n.Queue != nil {
		n.Queue.Close()
	}
	if n.Store != nil {
		n.Store.Close()
	}
}

// Handler returns the node's HTTP handler: the API under /api/, the web workstation elsewhere.
func (n *Node) Handler() http.Handler {
	secure, _ := n.Cfg.useTLS()
	return web.Mount(api.New(api.Deps{Store: n.Store, Blobs: n.Blobs, Ingest: n.Ingester, Engine: engine{n.Corr},
		Auth: n.Auth, Audit: n.Audit, AuditKeys: n.auditKeys(), SecureCookies: secure,
		MaxUploadBytes: n.Cfg.MaxUploadBytes, MaxBodyBytes: n.Cfg.MaxBodyBytes, Version: n.Cfg.Version, Log: n.log,
		Health: n.health, Federation: n.Federation, ReportTemplates: n.Cfg.ReportTemplates}))
}

// auditKeys are the public keys whose audit checkpoints this node trusts:
// its own.
func (n *Node) auditKeys() []ed25519.PublicKey {
	if k, err := audit.LoadKey(filepath.Join(n.Cfg.DataDir, audit.KeyFile)); err == nil {
		return []ed25519.PublicKey{k.Public().(ed25519.PublicKey)}
	}
	return nil
}

func (n *Node) health(ctx context.Context) map[string]any {
	d := map[string]any{"database": string(n.Store.Dialect()), "corpus": n.Corr.Len()}
	if n.Queue != nil {
		if st, err := n.Queue.Stats(ctx, ingest.JobKind); err == nil {
			d["queue_pending"], d["queue_in_flight"], d["queue_dead"] = st.Pending, st.InFlight, st.Dead
		}
	}
	return d
}

// Work runs the correlation worker until ctx ends.
func (n *Node) Work(ctx context.Context, concurrency int) error {
	if n.Queue == nil {
		return errors.New("server: this node has no job queue")
	}
	return n.Queue.Work(ctx, ingest.JobKind, concurrency, n.Worker.Handle)
}

// Serve serves the API on cfg.Addr (HTTPS when the configuration asks
// for it or the address is not loopback; see Config.TLS) and runs the
// correlation worker until ctx ends, then shuts down gracefully: the
// listener stops, requests in flight get up to 15 s, the worker finishes
// or releases its jobs, and an audit checkpoint is signed. Every
// CheckpointEvery meanwhile it signs a checkpoint and prunes old sessions.
// ready, if not nil, receives the URL it serves on.
func (n *Node) Serve(ctx context.Context, ready func(url string)) error {
	useTLS, err := n.Cfg.useTLS()
	if err != nil {
		return err
	}
	var tlsCfg *tls.Config
	if useTLS {
		if tlsCfg, err = n.tlsConfig(); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", n.Cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", n.Cfg.Addr, err)
	}
	scheme := "http"
	if tlsCfg != nil {
		ln, scheme = tls.NewListener(ln, tlsCfg), "https"
	}
	srv := &http.Server{Handler: n.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: 64 << 10, TLSConfig: tlsCfg, ErrorLog: slog.NewLogLogger(n.log.Handler(), slog.LevelWarn)}
	workCtx, stopWork := context.WithCancel(context.Background())
	workDone := make(chan error, 1)
	switch {
	case n.Cfg.Shard != "":
		go func() { workDone <- n.Corr.ServeShard(workCtx, n.Queue, runtime.GOMAXPROCS(0)) }()
	case n.Cfg.Workers > 0 && n.Queue != nil:
		go func() { workDone <- n.Work(workCtx, n.Cfg.Workers) }()
	default:
		workDone <- nil
	}
	maintDone := make(chan struct{})
	go func() {
		defer close(maintDone)
		n.maintain(workCtx)
	}()
	defer n.startFederation(workCtx)()
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.Serve(ln) }()
	url := scheme + "://" + ln.Addr().String()
	n.log.Info("serving", "url", url, "data", n.Cfg.DataDir, "corpus", n.Corr.Len())
	if ready != nil {
		ready(url)
	}
	select {
	case <-ctx.Done():
	case err = <-serveDone:
	}
	n.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shutCtx); serr != nil && err == nil {
		err = serr
	}
	stopWork()
	if werr := <-workDone; werr != nil && err == nil {
		err = werr
	}
	<-maintDone
	if seq, cerr := n.Audit.Checkpoint(shutCtx); cerr != nil {
		n.log.Error("signing the audit checkpoint at shutdown failed", "err", cerr)
	} else if seq > 0 {
		n.log.Info("audit checkpoint signed", "seq", seq)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// maintain signs an audit checkpoint and prunes ended sessions every
// CheckpointEvery until ctx ends.
func (n *Node) maintain(ctx context.Context) {
	t := time.NewTicker(n.Cfg.CheckpointEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := n.Audit.Checkpoint(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("signing a periodic audit checkpoint failed", "err", err)
		}
		if _, err := n.Auth.Prune(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("pruning ended sessions failed", "err", err)
		}
	}
}

// WorkerDataURL finds the embedded queue's URL that a serving process on
// this machine wrote under dataDir.
func WorkerDataURL(dataDir string) (string, error) {
	u, err := jobs.ReadURL(filepath.Join(dataDir, "nats"))
	if err != nil {
		return "", fmt.Errorf("no running tracemark serve found under %s (give --nats): %w", dataDir, err)
	}
	return u, nil
}
