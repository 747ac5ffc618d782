package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Request-reply on core NATS (no JetStream, nothing stored): a query that
// must be answered now by whichever live process serves a name, e.g. one
// shard of the search corpus. Subject: <SubjectPrefix>.rpc.<name>; all
// responders of a name share the queue group "responders", so each request
// goes to one of them.

// headerReplyError carries a responder's error in place of a payload.
const headerReplyError = "Tracemark-Reply-Error"

// DefaultRequestTimeout bounds a Request whose context has no deadline.
const DefaultRequestTimeout = 30 * time.Second

// ErrNoResponder is wrapped by Request when no process serves the name.
var ErrNoResponder = errors.New("jobs: no responder")

// RemoteError is a responder's error, as returned by Request.
type RemoteError struct {
	Name string // the request's name
	Msg  string // the responder's error text
}

func (e *RemoteError) Error() string { return fmt.Sprintf("jobs: %s responder: %s", e.Name, e.Msg) }

// Responder answers one request's payload.
type Responder func(ctx context.Context, data []byte) ([]byte, error)

func (q *Queue) rpcSubject(name string) (string, error) {
	for _, tok := range strings.Split(name, ".") {
		if !validToken.MatchString(tok) {
			return "", fmt.Errorf("jobs: request name %q: each dot-separated part must be 1-64 letters, digits, '_' or '-'", name)
		}
	}
	return q.cfg.SubjectPrefix + ".rpc." + name, nil
}

// Respond answers requests for name with h, at most concurrency at a time
// in this process, until ctx is cancelled or the Queue is closed; it then
// waits for the running handlers (their context is cancelled) and returns
// nil. A handler's error travels to the requester as a RemoteError; a
// reply larger than the connection's maximum payload is replaced by such
// an error. Respond returns an error only if it cannot start.
func (q *Queue) Respond(ctx context.Context, name string, concurrency int, h Responder) error {
	subject, err := q.rpcSubject(name)
	if err != nil {
		return err
	}
	if h == nil {
		return fmt.Errorf("jobs: Respond %s: nil handler", name)
	}
	ctx, leave, err := q.enter(ctx, "Respond "+name, concurrency)
	if err != nil {
		return err
	}
	defer leave()
	log := q.log.With("respond", name)
	slots := make(chan struct{}, concurrency)
	var running sync.WaitGroup
	sub, err := q.nc.QueueSubscribe(subject, "responders", func(msg *nats.Msg) {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		running.Add(1)
		go func() {
			defer running.Done()
			defer func() { <-slots }()
			q.reply(ctx, msg, h, log)
		}()
	})
	if err != nil {
		return fmt.Errorf("jobs: Respond %s: subscribe to %s: %w", name, subject, err)
	}
	if err := q.nc.FlushTimeout(10 * time.Second); err != nil { // the server has the subscription
		_ = sub.Unsubscribe()
		return fmt.Errorf("jobs: Respond %s: subscribe to %s: %w", name, subject, err)
	}
	<-ctx.Done()
	_ = sub.Drain() // no new requests; the ones delivered run to the end
	running.Wait()
	return nil
}

func (q *Queue) reply(ctx context.Context, msg *nats.Msg, h Responder, log *slog.Logger) {
	if msg.Reply == "" {
		return // a publish, not a request: nobody waits
	}
	out, err := h(ctx, msg.Data)
	if err == nil && int64(len(out)) > q.nc.MaxPayload() {
		err = fmt.Errorf("reply of %d bytes exceeds the NATS max payload of %d bytes (raise max_payload on the server or return less)", len(out), q.nc.MaxPayload())
	}
	resp := nats.NewMsg(msg.Reply)
	if err != nil {
		resp.Header.Set(headerReplyError, err.Error())
	} else {
		resp.Data = out
	}
	if err := msg.RespondMsg(resp); err != nil {
		log.Warn("reply not sent", "err", err)
	}
}

// Request sends data to a responder of name and returns its reply. It
// waits until ctx ends, or DefaultRequestTimeout when ctx has no deadline.
// A responder's error comes back as a *RemoteError; no live responder
// gives an error wrapping ErrNoResponder; data larger than the
// connection's maximum payload is refused before sending.
func (q *Queue) Request(ctx context.Context, name string, data []byte) ([]byte, error) {
	subject, err := q.rpcSubject(name)
	if err != nil {
		return nil, err
	}
	if q.isClosed() {
		return nil, ErrClosed
	}
	if limit := q.nc.MaxPayload(); int64(len(data)) > limit {
		return nil, fmt.Errorf("jobs: request %s: %d bytes exceed the NATS max payload of %d bytes", name, len(data), limit)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultRequestTimeout)
		defer cancel()
	}
	resp, err := q.nc.RequestMsgWithContext(ctx, &nats.Msg{Subject: subject, Data: data})
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return nil, fmt.Errorf("%w for %s (is a process serving it running?)", ErrNoResponder, name)
	case err != nil:
		return nil, fmt.Errorf("jobs: request %s: %w", name, err)
	}
	if e := resp.Header.Get(headerReplyError); e != "" {
		return nil, &RemoteError{Name: name, Msg: e}
	}
	return resp.Data, nil
}
