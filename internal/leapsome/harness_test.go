package leapsome

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"trinetsync/internal/retry"
	lsandbox "trinetsync/internal/sandbox/leapsome"
)

// The test harness: the Leapsome sandbox over real HTTP, behind a handler
// that validates every request the client sends against Leapsome's own
// OpenAPI documents (testdata/, the source of truth the Leapsome API profile
// docs/leapsome-api.md condenses) and records what it saw.

var (
	specOnce    sync.Once
	specContent routers.Router
	specSCIM    routers.Router
	specErr     error
)

// specRouters loads Leapsome's documents. Their servers are
// https://api.leapsome.com/v1 and …/scim/v1; requests are matched after
// rewriting their host to that one.
func specRouters(t testing.TB) (content, scim routers.Router) {
	t.Helper()
	specOnce.Do(func() {
		load := func(file string) (routers.Router, error) {
			doc, err := openapi3.NewLoader().LoadFromFile("testdata/" + file)
			if err != nil {
				return nil, fmt.Errorf("load %s: %w", file, err)
			}
			return gorillamux.NewRouter(doc)
		}
		if specContent, specErr = load("content-api.yml"); specErr != nil {
			return
		}
		specSCIM, specErr = load("scim-api.yml")
	})
	if specErr != nil {
		t.Fatal(specErr)
	}
	return specContent, specSCIM
}

// validateRequest checks one request against the document of its API and
// returns the operationId it matched.
func validateRequest(t testing.TB, r *http.Request) (string, error) {
	content, scim := specRouters(t)
	router := content
	if strings.HasPrefix(r.URL.Path, "/scim/v1/") {
		router = scim
	}
	rr := r.Clone(r.Context())
	rr.URL.Scheme, rr.URL.Host, rr.Host = "https", "api.leapsome.com", "api.leapsome.com"
	route, params, err := router.FindRoute(rr)
	if err != nil {
		return "", fmt.Errorf("%s %s: no such operation: %w", r.Method, r.URL.Path, err)
	}
	err = openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
		Request: rr, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: bearerAuth},
	})
	return route.Operation.OperationID, err
}

// bearerAuth accepts any non-empty bearer token: whether it is the right one
// is the sandbox's call; the document only says how it is sent.
func bearerAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	if s.Type != "http" || !strings.EqualFold(s.Scheme, "bearer") {
		return fmt.Errorf("unexpected security scheme %s/%s", s.Type, s.Scheme)
	}
	tok, ok := strings.CutPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return errors.New("no bearer token")
	}
	return nil
}

type env struct {
	t      *testing.T
	sb     *lsandbox.Server
	srv    *httptest.Server
	tenant lsandbox.Tenant

	mu        sync.Mutex
	ops       map[string]int // operationId → requests validated
	invalid   []string
	statuses  map[int]int
	onRequest func(*http.Request) // runs before the sandbox sees a request
	// shared is the tokens and rate limits of every client the test builds,
	// as app.APIClients holds them for a process.
	shared *Shared
}

func newEnv(t *testing.T, opts lsandbox.Options) *env {
	t.Helper()
	e := &env{t: t, sb: lsandbox.New(opts), ops: map[string]int{}, statuses: map[int]int{},
		shared: NewShared(Limits{ContentRPS: 1000, SCIMRPS: 1000})}
	e.tenant = lsandbox.Tenant{ID: "acme", APISecret: "s3cret-" + t.Name(), SCIMToken: "scim-" + t.Name()}
	if err := e.sb.AddTenant(e.tenant); err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(func() {
		e.srv.Close()
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, msg := range e.invalid {
			t.Errorf("request does not match Leapsome's OpenAPI document: %s", msg)
		}
	})
	return e
}

func (e *env) serve(w http.ResponseWriter, r *http.Request) {
	op, err := validateRequest(e.t, r)
	e.mu.Lock()
	if err != nil {
		e.invalid = append(e.invalid, err.Error())
	}
	e.ops[op]++
	hook := e.onRequest
	e.mu.Unlock()
	if hook != nil {
		hook(r)
	}
	rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	e.sb.ServeHTTP(rec, r)
	e.mu.Lock()
	e.statuses[rec.status]++
	e.mu.Unlock()
}

func (e *env) setHook(f func(*http.Request)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onRequest = f
}

func (e *env) status(code int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.statuses[code]
}

func (e *env) calls(name string) int { return e.sb.Calls(e.tenant.ID)[name] }

// config is a client configuration for this sandbox with test-speed knobs.
func (e *env) config() Config {
	return Config{
		BaseURL:    e.srv.URL + "/v1",
		SCIMURL:    e.srv.URL + "/scim/v1",
		APISecret:  e.tenant.APISecret,
		SCIMToken:  e.tenant.SCIMToken,
		BaseDelay:  time.Millisecond,
		MaxDelay:   4 * time.Millisecond,
		MaxElapsed: 10 * time.Second,
		Shared:     e.shared,
		Logger:     slog.New(slog.DiscardHandler),
	}
}

func newClient(t testing.TB, cfg Config) (*Client, *retry.Recorder) {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := &retry.Recorder{}
	c.sleep = w.Sleep
	return c, w
}

// seed puts n people into the sandbox, ids in order.
func (e *env) seed(n int) []string {
	e.t.Helper()
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("%024x", i+1)
		err := e.sb.PutEmployee(e.tenant.ID, lsandbox.Employee{
			ID: ids[i], Email: fmt.Sprintf("p%d@example.com", i+1), FirstName: "First", LastName: fmt.Sprintf("Last%d", i+1),
			Status: "active", LifecycleStatus: "active", Gender: "female", Birthday: "1990-01-02",
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return ids
}

// statusWriter records the status and passes Hijack through, which the
// sandbox needs to drop connections.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.status = 0
	return w.ResponseWriter.(http.Hijacker).Hijack()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logBuffer captures a client's logs at debug level.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
