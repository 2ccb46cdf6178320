// Package fault owns the error classes that every layer of the service shares.
//
// Adapters (TriNet and Leapsome clients, DynamoDB, Secrets Manager, SQS) wrap what
// goes wrong in one of these classes where it arises; the engine and the HTTP API
// classify with errors.Is and errors.As and never look at an adapter's own types.
// The package imports nothing of the project so that every package may import it.
package fault

import (
	"errors"
	"fmt"
)

// Class is the kind of failure, which decides what a caller does about it.
type Class int

const (
	// Auth: the credentials were rejected (HTTP 401 after a token renewal).
	Auth Class = iota + 1
	// Forbidden: the credentials are valid but may not do this (HTTP 403).
	Forbidden
	// Validation: the input was rejected; Error.Field names the field when known.
	Validation
	// NotFound: the thing asked for does not exist.
	NotFound
	// Conflict: a conditional write lost, or the state forbids the change.
	Conflict
	// Throttled: rate limited and out of retries.
	Throttled
	// Transient: a 5xx, timeout or connection failure that may pass.
	Transient
	// OutcomeUnknown: a non-idempotent call may or may not have been applied.
	OutcomeUnknown
	// CredentialsRevoked: the tenant's stored credentials are gone.
	CredentialsRevoked
	// Internal: our own side failed in a way the caller cannot fix and an
	// early retry will not mend: a permission or key our role lacks, a quota,
	// a request we built wrong (an AWS validation error, a 400 from an API we
	// only read). It is never the API caller's 400 nor a tenant's rejected
	// credentials.
	Internal
)

var classNames = map[Class]string{
	Auth:               "auth",
	Forbidden:          "forbidden",
	Validation:         "validation",
	NotFound:           "not found",
	Conflict:           "conflict",
	Throttled:          "throttled",
	Transient:          "transient",
	OutcomeUnknown:     "outcome unknown",
	CredentialsRevoked: "credentials revoked",
	Internal:           "internal",
}

// String is the class's name as messages show it ("not found").
func (c Class) String() string {
	if s, ok := classNames[c]; ok {
		return s
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// Sentinels for errors.Is: errors.Is(err, fault.ErrNotFound) is true for any
// *Error of class NotFound anywhere in err's chain.
var (
	ErrAuth               = &Error{Class: Auth}
	ErrForbidden          = &Error{Class: Forbidden}
	ErrValidation         = &Error{Class: Validation}
	ErrNotFound           = &Error{Class: NotFound}
	ErrConflict           = &Error{Class: Conflict}
	ErrThrottled          = &Error{Class: Throttled}
	ErrTransient          = &Error{Class: Transient}
	ErrOutcomeUnknown     = &Error{Class: OutcomeUnknown}
	ErrCredentialsRevoked = &Error{Class: CredentialsRevoked}
	ErrInternal           = &Error{Class: Internal}
)

// Error is a classified failure. Message must never carry a secret or personal
// data: it may reach logs and API responses.
type Error struct {
	Class   Class
	Field   string // the input field at fault, for Validation; may be empty
	Message string
	Err     error // the cause, if any
}

// Error reads "field: message: cause", leaving out the parts that are empty;
// without a message the class's name stands in.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Class.String()
	}
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Unwrap gives the cause, so that errors.Is and errors.As see through e.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's class.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Field == "" && t.Err == nil && t.Class == e.Class
}

// New returns an error of class c.
func New(c Class, format string, args ...any) error {
	return &Error{Class: c, Message: fmt.Sprintf(format, args...)}
}

// Wrap classifies err, keeping it as the cause. A nil err gives nil.
func Wrap(c Class, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Class: c, Message: fmt.Sprintf(format, args...), Err: err}
}

// Invalid returns a Validation error naming field.
func Invalid(field, format string, args ...any) error {
	return &Error{Class: Validation, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ClassOf returns the class of the first *Error in err's chain.
func ClassOf(err error) (Class, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Class, true
	}
	return 0, false
}

// FieldOf returns the field named by the first *Error in err's chain that names one.
func FieldOf(err error) string {
	var e *Error
	for errors.As(err, &e) {
		if e.Field != "" {
			return e.Field
		}
		err = e.Err
	}
	return ""
}

// Retryable reports whether err may pass if the call is repeated later.
func Retryable(err error) bool {
	c, ok := ClassOf(err)
	return ok && (c == Throttled || c == Transient)
}
