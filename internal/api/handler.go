package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"trinetsync/internal/fault"
	"trinetsync/internal/metrics"
	"trinetsync/internal/provision"
)

// Options tune the handler; the zero value is usable.
type Options struct {
	// Logger receives one line per request (method, route, status, duration,
	// tenant) and the causes of failed requests; never bodies or tokens.
	// Default slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies; larger ones are 413. Default 64 KiB.
	MaxBodyBytes int64
	// Metrics receives one EMF record per request: its route pattern and
	// status class (nil: none).
	Metrics *metrics.Writer
}

type server struct {
	backend Backend
	auth    Authenticator
	log     *slog.Logger
	maxBody int64
	mux     *http.ServeMux
	metrics *metrics.Writer
}

// endpoint does one operation; it answers (status, body) or an error, which is
// either an *apiError or a Backend error still to be classified. A nil body is
// answered with the status alone (204).
type endpoint func(r *http.Request, tenant string) (int, any, error)

type route struct {
	pattern string
	public  bool // no authentication (healthz)
	tenant  bool // has {tenant}: validated, then authorized against the principal
	// credentialCheck: upstream Auth/Forbidden errors are the caller's
	// credentials being rejected (422), not our own access failing.
	credentialCheck bool
	do              endpoint
}

// New returns the API's handler. auth checks bearer tokens: HS256Authenticator
// locally, GatewayAuthenticator behind API Gateway.
func New(b Backend, auth Authenticator, opts Options) http.Handler {
	s := &server{backend: b, auth: auth, log: opts.Logger, maxBody: opts.MaxBodyBytes, mux: http.NewServeMux(), metrics: opts.Metrics}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	for _, rt := range s.routes() {
		s.mux.Handle(rt.pattern, s.endpoint(rt))
	}
	return s
}

func (s *server) routes() []route {
	return []route{
		{pattern: "GET /healthz", public: true, do: s.health},
		{pattern: "GET /v1/fields", do: s.fields},
		{pattern: "PUT /v1/tenants/{tenant}/connection", tenant: true, credentialCheck: true, do: s.putConnection},
		{pattern: "GET /v1/tenants/{tenant}/connection", tenant: true, do: s.getConnection},
		{pattern: "DELETE /v1/tenants/{tenant}/connection", tenant: true, do: s.deleteConnection},
		{pattern: "GET /v1/tenants/{tenant}/settings", tenant: true, do: s.getSettings},
		{pattern: "PUT /v1/tenants/{tenant}/settings", tenant: true, do: s.putSettings},
		{pattern: "POST /v1/tenants/{tenant}/syncs", tenant: true, do: s.trigger},
		{pattern: "GET /v1/tenants/{tenant}/syncs", tenant: true, do: s.listRuns},
		{pattern: "GET /v1/tenants/{tenant}/syncs/{syncId}", tenant: true, do: s.getRun},
		{pattern: "GET /v1/tenants/{tenant}/syncs/{syncId}/plan", tenant: true, do: s.getPlan},
		{pattern: "GET /v1/tenants/{tenant}/errors", tenant: true, do: s.listIssues},
		{pattern: "GET /v1/tenants/{tenant}/people/{userId}", tenant: true, do: s.getPerson},
		{pattern: "GET /v1/tenants/{tenant}/hires", tenant: true, do: s.listHires},
		{pattern: "DELETE /v1/tenants/{tenant}/hires/{userId}", tenant: true, do: s.releaseHire},
		{pattern: "GET /v1/tenants/{tenant}/links", tenant: true, do: s.listLinks},
		{pattern: "PUT /v1/tenants/{tenant}/links/{userId}", tenant: true, do: s.putLink},
		{pattern: "DELETE /v1/tenants/{tenant}/links/{userId}", tenant: true, do: s.deleteLink},
		{pattern: "GET /v1/tenants/{tenant}/audit", tenant: true, do: s.listAudit},
	}
}

// statusWriter remembers the status for the access log and whether anything
// was written, so a panic after the header went out is not answered twice.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP wraps the mux: every request gets an id (API Gateway's in AWS,
// a fresh one locally), answered in X-Request-Id and carried on the
// context for the audit trail; panics become a JSON 500, bodies are
// bounded, the mux's own plain-text 404 and 405 are replaced by the
// contract's JSON, and every request is logged and counted once.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := requestIDOf(r)
	w.Header().Set(RequestIDHeader, rid)
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, rid))
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// Only the panic's type: its value may quote a request's
			// credentials or a person's data, as the worker's may.
			s.log.ErrorContext(r.Context(), "panic serving request", "method", r.Method, "route", r.Pattern,
				"panic", fmt.Sprintf("%T", v), "stack", string(debug.Stack()))
			if sw.status == 0 {
				writeError(sw, errInternal)
			}
		}
		s.accessLog(r, sw.status, time.Since(start))
		s.count(r, sw.status, time.Since(start))
	}()

	if r.Body != nil {
		r.Body = http.MaxBytesReader(sw, r.Body, s.maxBody)
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.unmatched(sw, r)
		return
	}
	s.mux.ServeHTTP(sw, r)
}

func (s *server) accessLog(r *http.Request, status int, d time.Duration) {
	attrs := []any{"method", r.Method, "route", r.Pattern, "status", status,
		"durationMs", float64(d.Microseconds()) / 1000, "requestId", RequestIDFrom(r.Context())}
	if t := r.PathValue("tenant"); ValidTenantID(t) {
		attrs = append(attrs, "tenant", t)
	}
	s.log.InfoContext(r.Context(), "request", attrs...)
}

var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions}

// unmatched answers a request no route takes: 405 with Allow when the path
// exists under another method, else 404.
func (s *server) unmatched(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range probeMethods {
		probe := r.WithContext(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) == 0 {
		writeError(w, &apiError{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no such route"})
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
		Message: fmt.Sprintf("method %s is not allowed here; allowed: %s", r.Method, strings.Join(allowed, ", "))})
}

type principalKey struct{}

// PrincipalFrom returns the authenticated caller of a request, for a Backend
// that wants it (e.g. for audit).
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// endpoint runs one route: tenant id check first (nothing else may see a bad
// id), then authentication and tenancy, then the operation.
func (s *server) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var tenant string
		if rt.tenant {
			tenant = r.PathValue("tenant")
			if !ValidTenantID(tenant) {
				s.fail(w, r, badRequest("tenant", "must match %s", provision.TenantIDPattern), false)
				return
			}
		}
		if !rt.public {
			p, err := s.authenticate(r)
			if err != nil {
				s.fail(w, r, err, false)
				return
			}
			if rt.tenant && !p.Admin && p.TenantID != tenant {
				s.fail(w, r, &apiError{Status: http.StatusForbidden, Code: CodeForbidden,
					Message: "this token does not give access to this tenant"}, false)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		}
		status, body, err := rt.do(r, tenant)
		if err != nil {
			s.fail(w, r, err, rt.credentialCheck)
			return
		}
		if body == nil {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, body)
	})
}

func (s *server) authenticate(r *http.Request) (Principal, error) {
	if s.auth == nil {
		return Principal{}, errors.New("api: no authenticator configured")
	}
	p, err := s.auth.Authenticate(r)
	if err == nil {
		return p, nil
	}
	switch c, _ := fault.ClassOf(err); c {
	case fault.Auth:
		return Principal{}, &unauthorized{msg: messageOr(err, "a valid bearer token is required"), err: err}
	case fault.Forbidden:
		return Principal{}, &apiError{Status: http.StatusForbidden, Code: CodeForbidden,
			Message: messageOr(err, "this token does not give access here")}
	}
	return Principal{}, err
}

// unauthorized is a 401; kept apart from apiError so that the cause is logged.
type unauthorized struct {
	msg string
	err error
}

func (u *unauthorized) Error() string { return u.err.Error() }

// fail answers err as the contract's JSON error and logs its cause.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error, credentialCheck bool) {
	var (
		ae *apiError
		u  *unauthorized
	)
	if errors.As(err, &u) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="trinet-sync"`)
		ae = &apiError{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: u.msg}
	} else {
		ae = errorFor(err, credentialCheck)
	}
	logFailure(r.Context(), s.log, r, err, ae)
	writeError(w, ae)
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Status, errorJSON{Error: errorBodyJSON{Code: e.Code, Message: e.Message, Field: e.Field}})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorJSON{Error: errorBodyJSON{Code: errInternal.Code, Message: errInternal.Message}})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// Answers carry people's names and e-mails: no cache may keep them.
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
