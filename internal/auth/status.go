package auth

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/tracemark/tracemark/internal/errs"
)

// HTTPStatus maps an error of this package to the HTTP status to answer:
// 401 for ErrUnauthenticated, 403 for other Permission errors, 404 for
// NotFound (Scope), 429 for throttling and lockout (Transient, with
// Retry-After advised), 400 for Invalid; 500 otherwise (log the error,
// answer without its text).
func HTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrUnauthenticated):
		return http.StatusUnauthorized
	}
	switch errs.KindOf(err) {
	case errs.Permission:
		return http.StatusForbidden
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Transient:
		return http.StatusTooManyRequests
	case errs.Invalid:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// Prune deletes sessions that expired or were revoked more than a day
// ago (run it now and then, e.g. hourly); it returns how many.
func (s *Service) Prune(ctx context.Context) (int64, error) {
	n, err := s.st.DeleteExpiredSessions(ctx, s.cfg.Now().Add(-24*time.Hour))
	return n, errs.E("auth.Prune", errs.Other, err)
}
