package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"trinetsync/internal/localstack"
	"trinetsync/internal/sandbox/demo"
)

// logSink collects the output of the services and processes under test and
// shows it only when the test fails: goroutines and child processes may
// still write after the test has returned, when t.Log would panic.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// newLogSink dumps what was written when t fails.
func newLogSink(t *testing.T) *logSink {
	s := &logSink{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("output of the services under test:\n%s", s.String())
		}
	})
	return s
}

// startInfra starts dynalite, goaws, the secrets stand-in and both sandboxes
// seeded with the demo company, and stops them when t ends.
func startInfra(t *testing.T, ctx context.Context, log *logSink) (*localstack.Infra, demo.Credentials) {
	t.Helper()
	inf, err := localstack.StartInfra(ctx, localstack.InfraConfig{EmulatorLog: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inf.Close)
	creds, err := inf.SeedDemo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return inf, creds
}

// eventPath is a sample event under the module's events/ folder.
func eventPath(rel string) string { return filepath.Join("..", "events", rel) }

// readEvent decodes a sample event into v strictly: a field the Lambda event
// type does not know is a typo in the sample, not something to ignore.
func readEvent(t *testing.T, rel string, v any) {
	t.Helper()
	raw, err := os.ReadFile(eventPath(rel))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// apiEvent reads an events/api sample.
func apiEvent(t *testing.T, rel string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	readEvent(t, filepath.Join("api", rel), &ev)
	return ev
}

// asAdmin gives the request an operator's verified claims with the admin scope.
func asAdmin(ev *events.APIGatewayV2HTTPRequest) {
	ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
			Claims: map[string]string{
				"iss": "https://auth.example.com/", "aud": "trinet-sync", "sub": "ops@example.com",
				"scope": "openid trinet-sync:admin",
			},
		},
	}
}

// route points the request at method and path (path may carry a query).
func route(ev *events.APIGatewayV2HTTPRequest, method, path, query string) {
	ev.RequestContext.HTTP.Method = method
	ev.RawPath, ev.RequestContext.HTTP.Path = path, path
	ev.RawQueryString = query
	ev.QueryStringParameters = nil
}

// connectBody is PUT …/connection's body for the demo company.
func connectBody(c demo.Credentials) string {
	b, _ := json.Marshal(map[string]any{
		"trinet":   map[string]string{"companyId": c.TriNetCompanyID, "clientId": c.TriNetClientID, "clientSecret": c.TriNetClientSecret},
		"leapsome": map[string]string{"apiSecret": c.LeapsomeAPISecret, "scimToken": c.LeapsomeSCIMToken},
	})
	return string(b)
}

// The API's wire format, as a client reads it.
type (
	runBody struct {
		SyncID     string         `json:"syncId"`
		Trigger    string         `json:"trigger"`
		DryRun     bool           `json:"dryRun"`
		Status     string         `json:"status"`
		StartedAt  *time.Time     `json:"startedAt"`
		FinishedAt *time.Time     `json:"finishedAt"`
		Counts     map[string]int `json:"counts"`
		Error      *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	runList struct {
		Items     []runBody `json:"items"`
		NextToken *string   `json:"nextToken"`
	}
	planList struct {
		Items []struct {
			UserID string  `json:"userId"`
			Email  string  `json:"email"`
			Action string  `json:"action"`
			Code   *string `json:"code"`
		} `json:"items"`
		NextToken *string `json:"nextToken"`
	}
	issuePage struct {
		SyncID *string `json:"syncId"`
		Items  []struct {
			UserID   *string `json:"userId"`
			Severity string  `json:"severity"`
			Code     string  `json:"code"`
			Field    *string `json:"field"`
			Message  string  `json:"message"`
		} `json:"items"`
	}
	connectionBody struct {
		Status         string   `json:"status"`
		CompanyID      string   `json:"companyId"`
		ClientIDMasked string   `json:"clientIdMasked"`
		SCIMConfigured bool     `json:"scimConfigured"`
		LastRun        *runBody `json:"lastRun"`
	}
	errorBody struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
)

// decodeBody decodes a JSON response body into v.
func decodeBody(t *testing.T, what, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%s: response is not the expected JSON: %v\n%s", what, err, body)
	}
}

// finalStatus reports whether a run status is final.
func finalStatus(s string) bool {
	switch s {
	case "succeeded", "partial", "failed", "skipped":
		return true
	}
	return false
}

// poll calls f until it reports done or the deadline passes.
func poll(t *testing.T, within time.Duration, what string, f func() (bool, error)) {
	t.Helper()
	deadline := time.After(within)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		done, err := f()
		if done && err == nil {
			return
		}
		select {
		case <-deadline:
			t.Fatalf("%s: not done within %s (last error: %v)", what, within, err)
		case <-tick.C:
		}
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err))
	}
	return string(b)
}
