package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
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

	"trinetsync/internal/api"
)

const (
	specPath   = "../../docs/openapi.yaml"
	testSecret = "local-test-secret"
)

var (
	loadSpec = sync.OnceValues(func() (*openapi3.T, error) {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(specPath)
		if err != nil {
			return nil, err
		}
		if err := doc.Validate(loader.Context); err != nil {
			return nil, err
		}
		// Match requests whatever host the test server listens on.
		doc.Servers = nil
		return doc, nil
	})
)

// syncBuffer collects log lines from concurrent requests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness serves the API over real HTTP and holds every answer to
// docs/openapi.yaml.
type harness struct {
	t      *testing.T
	b      *memBackend
	srv    *httptest.Server
	router routers.Router
	errSch *openapi3.Schema
	logs   *syncBuffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	doc, err := loadSpec()
	if err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	h := &harness{t: t, b: newMemBackend(), router: router, logs: &syncBuffer{},
		errSch: doc.Components.Schemas["Error"].Value}
	logger := slog.New(slog.NewJSONHandler(h.logs, nil))
	handler := api.New(h.b, api.HS256Authenticator{Secret: []byte(testSecret)}, api.Options{Logger: logger, MaxBodyBytes: 4096})
	h.srv = httptest.NewServer(handler)
	t.Cleanup(h.srv.Close)
	return h
}

type call struct {
	method, path string
	body         string
	token        string
	// invalid marks a request that breaks docs/openapi.yaml on purpose;
	// otherwise the request is held to the document too.
	invalid bool
}

type result struct {
	status int
	header http.Header
	raw    []byte
	body   any // decoded JSON, nil for an empty body
}

func mustToken(t *testing.T, sub, tenant, scope string, ttl time.Duration) string {
	t.Helper()
	tok, err := api.MintToken(testSecret, sub, tenant, scope, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func adminToken(t *testing.T) string {
	return mustToken(t, "ops@example.com", "", api.AdminScope, time.Hour)
}

func tenantToken(t *testing.T, tenant string) string {
	return mustToken(t, "leapsome-ui", tenant, "", time.Hour)
}

func (h *harness) do(c call) result {
	h.t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, h.srv.URL+c.path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	res := result{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(bytes.TrimSpace(raw)) > 0 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			h.t.Fatalf("%s %s: Content-Type %q, want application/json", c.method, c.path, ct)
		}
		if err := json.Unmarshal(raw, &res.body); err != nil {
			h.t.Fatalf("%s %s: answer is not JSON: %v\n%s", c.method, c.path, err, raw)
		}
	}
	h.checkSpec(c, res)
	return res
}

// checkSpec holds the exchange to docs/openapi.yaml: the answer always, the
// request unless the call is marked invalid.
func (h *harness) checkSpec(c call, res result) {
	h.t.Helper()
	req, _ := http.NewRequest(c.method, "http://api.test"+c.path, strings.NewReader(c.body))
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	route, params, err := h.router.FindRoute(req)
	if err != nil {
		// Not an operation of the document: only the router's own 404 and
		// 405 may answer, with the error envelope.
		if res.status != http.StatusNotFound && res.status != http.StatusMethodNotAllowed {
			h.t.Fatalf("%s %s is not in docs/openapi.yaml (%v) but was answered %d", c.method, c.path, err, res.status)
		}
		if err := h.errSch.VisitJSON(res.body); err != nil {
			h.t.Fatalf("%s %s: %d body is not the error envelope: %v\n%s", c.method, c.path, res.status, err, res.raw)
		}
		return
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if !c.invalid {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			h.t.Fatalf("%s %s: the test's request breaks docs/openapi.yaml: %v", c.method, c.path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 res.status,
		Header:                 res.header,
		Body:                   io.NopCloser(bytes.NewReader(res.raw)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		var me openapi3.MultiError
		if errors.As(err, &me) {
			err = me
		}
		h.t.Fatalf("%s %s: answer %d breaks docs/openapi.yaml: %v\n%s", c.method, c.path, res.status, err, res.raw)
	}
}

// at walks decoded JSON: keys for objects, ints for arrays.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func has(v any, key string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m[key]
	return ok
}

// wantError checks the error envelope's status, code and field.
func wantError(t *testing.T, res result, status int, code, field string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d\n%s", res.status, status, res.raw)
	}
	if got := at(res.body, "error", "code"); got != code {
		t.Fatalf("error.code %v, want %s\n%s", got, code, res.raw)
	}
	gotField, _ := at(res.body, "error", "field").(string)
	if gotField != field {
		t.Fatalf("error.field %q, want %q\n%s", gotField, field, res.raw)
	}
	if msg, _ := at(res.body, "error", "message").(string); msg == "" {
		t.Fatalf("error.message is empty\n%s", res.raw)
	}
}
