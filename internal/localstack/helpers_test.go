package localstack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"trinetsync/internal/store"
)

// syncBuffer collects the progress lines, written from several goroutines.
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

// testLogger shows the service's warnings and errors in the test's output.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// envLookup reads an environment given as KEY=value lines.
func envLookup(env []string) func(string) string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

// testStore reads and writes the stack's table behind the service's back,
// for a test that sets a scene or checks what was stored.
func (st *Stack) testStore() *store.Store {
	return store.New(st.Infra.AWS.DynamoDB, store.Config{Table: TableName})
}

// keepEnv restores, after the test, the variables the functions' environment
// (Infra.Env) names: a stack must leave them as they were.
func keepEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{
		"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER", "TABLE_NAME", "QUEUE_URL", "SECRET_PREFIX", "TRINET_BASE_URL",
		"LEAPSOME_BASE_URL", "LEAPSOME_SCIM_URL", "SYNC_INTERVAL", "QUEUE_VISIBILITY_TIMEOUT",
		"QUEUE_MAX_RECEIVE_COUNT", "WORKER_TIMEOUT",
	} {
		if v, ok := os.LookupEnv(k); ok {
			t.Setenv(k, v)
		} else {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

func startStack(t *testing.T, ctx context.Context, cfg Config) *Stack {
	t.Helper()
	st, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start the stack: %v", err)
	}
	return st
}

// apiClient speaks to the stack's HTTP API with one token.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (st *Stack) client(t *testing.T, tenant string, admin bool) apiClient {
	t.Helper()
	tok, err := st.Token(tenant, admin, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return apiClient{t: t, base: st.APIURL, token: tok}
}

// call sends one request and decodes the answer into out when it has the
// wanted status; any other status fails the test.
func (c apiClient) call(method, path string, body any, want int, out any) {
	c.t.Helper()
	status, raw := httpJSON(c.t, method, c.base+path, c.token, body)
	if status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

func httpJSON(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// wireRun is a run as the API shows it.
type wireRun struct {
	SyncID  string         `json:"syncId"`
	Trigger string         `json:"trigger"`
	DryRun  bool           `json:"dryRun"`
	Status  string         `json:"status"`
	Counts  map[string]int `json:"counts"`
	Error   *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (r wireRun) final() bool {
	switch r.Status {
	case "succeeded", "partial", "failed", "skipped":
		return true
	}
	return false
}

// poll calls check until it reports done, failing the test at the deadline.
func poll(t *testing.T, what string, within time.Duration, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		<-tick.C
	}
}

// waitRun polls a run until it is final.
func (c apiClient) waitRun(tenant, syncID string) wireRun {
	c.t.Helper()
	var r wireRun
	poll(c.t, "sync "+syncID+" to finish", 60*time.Second, func() bool {
		c.call(http.MethodGet, "/v1/tenants/"+tenant+"/syncs/"+syncID, nil, http.StatusOK, &r)
		return r.final()
	})
	return r
}

// trigger starts a manual sync and waits for it.
func (c apiClient) trigger(tenant string, body map[string]any) wireRun {
	c.t.Helper()
	var q struct {
		SyncID string `json:"syncId"`
		Status string `json:"status"`
	}
	c.call(http.MethodPost, "/v1/tenants/"+tenant+"/syncs", body, http.StatusAccepted, &q)
	if q.SyncID == "" {
		c.t.Fatalf("trigger answered no syncId")
	}
	return c.waitRun(tenant, q.SyncID)
}

// trinetWrite is one write in the TriNet sandbox's record.
type trinetWrite struct {
	Method   string          `json:"method"`
	Path     string          `json:"path"`
	Endpoint string          `json:"endpoint"`
	Body     json.RawMessage `json:"body"`
	Status   int             `json:"status"`
}

// trinetWrites reads the sandbox's record of writes over its admin surface.
func trinetWrites(t *testing.T, base, company string) []trinetWrite {
	t.Helper()
	status, raw := httpJSON(t, http.MethodGet, base+"/_admin/companies/"+company+"/writes", "", nil)
	if status != http.StatusOK {
		t.Fatalf("TriNet writes: %d %s", status, raw)
	}
	var env struct {
		Data []trinetWrite `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("TriNet writes: %v: %s", err, raw)
	}
	return env.Data
}

func countEndpoint(ws []trinetWrite, endpoint string) int {
	n := 0
	for _, w := range ws {
		if w.Endpoint == endpoint {
			n++
		}
	}
	return n
}

func containsLine(out, substr string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, substr) {
			return true
		}
	}
	return false
}
