package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"trinetsync/internal/fault"
)

// The contract's error codes.
const (
	CodeBadRequest          = "bad_request"
	CodeUnauthorized        = "unauthorized"
	CodeForbidden           = "forbidden"
	CodeNotFound            = "not_found"
	CodeMethodNotAllowed    = "method_not_allowed"
	CodeNotConnected        = "not_connected"
	CodeConflict            = "conflict"
	CodeCredentialsRejected = "credentials_rejected"
	CodePayloadTooLarge     = "payload_too_large"
	CodeUpstreamUnavailable = "upstream_unavailable"
	CodeInternal            = "internal"
)

// apiError is an answer the edge has decided on; its message is safe to show.
type apiError struct {
	Status  int
	Code    string
	Message string
	Field   string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func badRequest(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: CodeBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

var errInternal = &apiError{Status: http.StatusInternalServerError, Code: CodeInternal,
	Message: "something went wrong on our side; try again, and contact support if it persists"}

// errorFor turns a Backend error into the contract's answer. Only the message of
// a fault.Error is shown (fault promises it carries no secret or personal data);
// the causes it wraps, which may hold upstream bodies, are never shown.
// credentialCheck is true on PUT …/connection, the one operation where an
// upstream's Auth or Forbidden means the tenant's credentials were rejected;
// elsewhere those classes mean our own access failed, which is internal.
func errorFor(err error, credentialCheck bool) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, ErrNotConnected) || errors.Is(err, fault.ErrCredentialsRevoked) {
		return &apiError{Status: http.StatusConflict, Code: CodeNotConnected,
			Message: messageOr(err, ErrNotConnected.(*fault.Error).Message)}
	}
	class, ok := fault.ClassOf(err)
	if !ok {
		return errInternal
	}
	switch class {
	case fault.Validation:
		return &apiError{Status: http.StatusBadRequest, Code: CodeBadRequest,
			Field: fault.FieldOf(err), Message: messageOr(err, "the request is invalid")}
	case fault.NotFound:
		// A thing named in the body that does not exist (the employee of a
		// manual link) is that field's fault; a path's resource names none.
		return &apiError{Status: http.StatusNotFound, Code: CodeNotFound,
			Field: fault.FieldOf(err), Message: messageOr(err, "not found")}
	case fault.Conflict:
		return &apiError{Status: http.StatusConflict, Code: CodeConflict,
			Field: fault.FieldOf(err), Message: messageOr(err, "the current state does not allow this")}
	case fault.Auth, fault.Forbidden:
		if credentialCheck {
			return &apiError{Status: http.StatusUnprocessableEntity, Code: CodeCredentialsRejected,
				Field: fault.FieldOf(err), Message: messageOr(err, "the credentials were rejected")}
		}
		return errInternal
	case fault.Internal:
		// A permission, quota or request of ours that AWS or an upstream
		// refused: nothing the caller can fix, so never their 400.
		return errInternal
	case fault.Throttled, fault.Transient, fault.OutcomeUnknown:
		return &apiError{Status: http.StatusBadGateway, Code: CodeUpstreamUnavailable,
			Message: messageOr(err, "a service we depend on is unavailable; try again shortly")}
	}
	return errInternal
}

// messageOr returns the message of the first fault.Error in err's chain that
// has one, else def.
func messageOr(err error, def string) string {
	var fe *fault.Error
	for errors.As(err, &fe) {
		if fe.Message != "" {
			return fe.Message
		}
		err = fe.Err
	}
	return def
}

// logFailure logs what the client will not see.
func logFailure(ctx context.Context, log *slog.Logger, r *http.Request, err error, ae *apiError) {
	level := slog.LevelInfo
	if ae.Status >= 500 {
		level = slog.LevelError
	}
	attrs := []any{"method", r.Method, "route", r.Pattern, "status", ae.Status, "code", ae.Code,
		"requestId", RequestIDFrom(ctx), "err", err.Error()}
	if t := r.PathValue("tenant"); ValidTenantID(t) {
		attrs = append(attrs, "tenant", t)
	}
	log.Log(ctx, level, "request failed", attrs...)
}
