package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/errs"
)

// fail maps an error to the HTTP answer, in this one place: the error's
// kind (package errs) chooses the status. Client errors carry their message
// (which names the field or record at fault); server errors carry only an
// incident number, and the error itself goes to the log. The result is a
// huma.StatusError, with headers where the status needs them (401:
// WWW-Authenticate, 429: Retry-After).
func (h *handler) fail(ctx context.Context, err error) error {
	var se huma.StatusError
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		h.Log.WarnContext(ctx, "request cancelled or timed out", "err", err, "context", context.Cause(ctx))
		return huma.NewError(http.StatusServiceUnavailable, "the request was cancelled or timed out; try again")
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return huma.NewError(http.StatusRequestEntityTooLarge, "request body is larger than the limit of "+mib(mbe.Limit))
	}
	if errors.Is(err, auth.ErrUnauthenticated) {
		return huma.ErrorWithHeaders(huma.NewError(http.StatusUnauthorized, auth.ErrUnauthenticated.Error()),
			http.Header{"Www-Authenticate": {`Bearer realm="tracemark"`}})
	}
	var te *auth.ThrottleError
	if errors.As(err, &te) {
		return huma.ErrorWithHeaders(huma.NewError(http.StatusTooManyRequests, te.Error()),
			http.Header{"Retry-After": {strconv.Itoa(int(te.RetryAfter.Seconds()))}})
	}
	msg := errs.Message(err)
	switch errs.KindOf(err) {
	case errs.Invalid:
		return huma.NewError(http.StatusUnprocessableEntity, msg)
	case errs.NotFound:
		return huma.NewError(http.StatusNotFound, msg)
	case errs.Conflict:
		return huma.NewError(http.StatusConflict, msg)
	case errs.Permission:
		return huma.NewError(http.StatusForbidden, msg)
	case errs.TooLarge:
		return huma.NewError(http.StatusRequestEntityTooLarge, msg)
	case errs.Transient:
		h.Log.WarnContext(ctx, "transient failure", "err", err)
		return huma.NewError(http.StatusServiceUnavailable, "the service is busy; try again shortly")
	}
	incident := incidentID()
	h.Log.ErrorContext(ctx, "request failed", "incident", incident, "err", err)
	return huma.NewError(http.StatusInternalServerError, "internal error; the administrator can find it in the log as incident "+incident)
}

func incidentID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func mib(n int64) string { return fmt.Sprintf("%d MiB", n>>20) }

// writeProblem answers with an RFC 9457 problem document outside huma
// (body limits, panics).
func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": detail})
}

// recoverPanics turns a panic in a handler into a 500 without a stack trace
// in the answer (the stack goes to the log).
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				incident := incidentID()
				log.Error("handler panic", "incident", incident, "panic", v, "path", r.URL.Path)
				writeProblem(w, http.StatusInternalServerError, "internal error; the administrator can find it in the log as incident "+incident)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
