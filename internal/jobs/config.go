package jobs

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// Defaults applied by Open to zero-valued Config fields.
const (
	DefaultStream          = "JOBS"
	DefaultSubjectPrefix   = "jobs"
	DefaultMaxDeliver      = 5
	DefaultAckWait         = 30 * time.Second
	DefaultDedupWindow     = 2 * time.Minute
	DefaultShutdownTimeout = 30 * time.Second
	DefaultPollWait        = time.Second
)

// defaultBackoff is the delay before the 2nd, 3rd, ... delivery of a job whose
// handler returned an error; the last value repeats.
var defaultBackoff = []time.Duration{time.Second, 10 * time.Second, time.Minute}

// Config selects the mode (embedded server or external NATS) and the queue's
// delivery parameters. The zero value of every field except DataDir/URL has a
// default (see the Default* constants).
type Config struct {
	// URL of an external NATS server or cluster ("nats://h1:4222,nats://h2:4222").
	// When set, no server is started and DataDir/ListenAddr are ignored.
	URL string
	// ConnectOptions are passed to nats.Connect in external mode
	// (credentials, TLS, ...).
	ConnectOptions []nats.Option

	// DataDir is the embedded server's JetStream store directory (for
	// example DATA/nats). Required when URL is empty. Only one process may
	// run an embedded server on a DataDir at a time.
	DataDir string
	// ListenAddr is the loopback host:port on which the embedded server
	// accepts worker processes; port 0 picks a free port. Empty means no
	// listener: only this process can use the queue. Non-loopback hosts are
	// refused because the embedded server has no authentication; machines on
	// a network connect to an external cluster instead.
	ListenAddr string

	// Stream is the JetStream stream holding pending jobs; the dead-letter
	// stream is Stream+"_DEAD".
	Stream string
	// SubjectPrefix P gives the subjects P.queue.<kind> (pending jobs) and
	// P.dead.<kind> (dead letters).
	SubjectPrefix string
	// Replicas of both streams; 1 for the embedded server, 3 on a cluster.
	Replicas int

	// DedupWindow is how long Enqueue remembers a dedupID.
	DedupWindow time.Duration
	// MaxDeliver is how many times a job is attempted before it is
	// dead-lettered.
	MaxDeliver int
	// AckWait is how long a delivered job may go without an ack or a
	// progress heartbeat before JetStream redelivers it. Work sends
	// heartbeats every AckWait/3 while a handler runs, so AckWait only bounds
	// how fast the work of a dead worker moves elsewhere.
	AckWait time.Duration
	// Backoff[i] is the delay before attempt i+2 after a handler error; the
	// last value repeats.
	Backoff []time.Duration
	// JobTimeout, if positive, cancels a handler's context after this long.
	JobTimeout time.Duration
	// ShutdownTimeout is how long Work lets in-flight handlers finish after
	// its context is cancelled before cancelling their contexts too.
	ShutdownTimeout time.Duration
	// PollWait is how long one pull request waits for jobs; it bounds how
	// long Work takes to notice cancellation while idle.
	PollWait time.Duration
	// SyncAlways makes the embedded server fsync every write (survives power
	// loss, not just a killed process) at a large cost in throughput.
	SyncAlways bool

	// OnDead, if set, is called by the worker that dead-letters a job, after
	// the dead letter is stored.
	OnDead func(job Job, cause error)
	// Logger receives queue and embedded-server logs; nil means slog.Default().
	Logger *slog.Logger
}

// validToken matches kinds and names usable as one NATS subject token and as
// part of a durable consumer name.
var validToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (c Config) withDefaults() Config {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.DedupWindow == 0 {
		c.DedupWindow = DefaultDedupWindow
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if len(c.Backoff) == 0 {
		c.Backoff = defaultBackoff
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.PollWait == 0 {
		c.PollWait = DefaultPollWait
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("jobs: config %s: "+format, append([]any{field}, args...)...))
	}
	if c.URL == "" && c.DataDir == "" {
		bad("DataDir", "required for the embedded server (or set URL to use an external NATS)")
	}
	if c.URL == "" && c.ListenAddr != "" {
		if _, _, err := loopbackAddr(c.ListenAddr); err != nil {
			bad("ListenAddr", "%v", err)
		}
	}
	if !validToken.MatchString(c.Stream) {
		bad("Stream", "%q must be 1-64 letters, digits, '_' or '-'", c.Stream)
	}
	if !validToken.MatchString(c.SubjectPrefix) {
		bad("SubjectPrefix", "%q must be 1-64 letters, digits, '_' or '-'", c.SubjectPrefix)
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		bad("Replicas", "%d is outside 1..5", c.Replicas)
	}
	if c.MaxDeliver < 1 {
		bad("MaxDeliver", "%d must be at least 1", c.MaxDeliver)
	}
	for name, d := range map[string]time.Duration{
		"DedupWindow": c.DedupWindow, "AckWait": c.AckWait, "ShutdownTimeout": c.ShutdownTimeout,
		"PollWait": c.PollWait,
	} {
		if d < 0 {
			bad(name, "%v is negative", d)
		}
	}
	if c.AckWait > 0 && c.AckWait < 300*time.Millisecond {
		bad("AckWait", "%v is too short for progress heartbeats (minimum 300ms)", c.AckWait)
	}
	if c.JobTimeout < 0 {
		bad("JobTimeout", "%v is negative", c.JobTimeout)
	}
	for i, d := range c.Backoff {
		if d < 0 {
			bad(fmt.Sprintf("Backoff[%d]", i), "%v is negative", d)
		}
	}
	return errors.Join(errs...)
}

// loopbackAddr checks that addr is host:port with a loopback host and returns
// the host and port (-1 for "any free port", as nats-server wants it).
func loopbackAddr(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return "", 0, fmt.Errorf("%q: host must be loopback (127.0.0.1, ::1 or localhost); the embedded server has no authentication, use an external NATS cluster across machines", addr)
		}
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("%q: port must be 0..65535", addr)
	}
	if port == 0 {
		port = -1
	}
	return host, port, nil
}

// backoff returns the delay before the next attempt after attempt n (1-based) failed.
func (c Config) backoff(attempt int) time.Duration {
	i := attempt - 1
	if i >= len(c.Backoff) {
		i = len(c.Backoff) - 1
	}
	if i < 0 {
		i = 0
	}
	return c.Backoff[i]
}
