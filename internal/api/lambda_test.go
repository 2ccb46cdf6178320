package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"trinetsync/internal/api"
	"trinetsync/internal/provision"
)

// TestLambdaSampleEvents feeds each sample event under events/api through the
// Lambda adapter with GatewayAuthenticator, as API Gateway would, and holds
// the answers to docs/openapi.yaml.
func TestLambdaSampleEvents(t *testing.T) {
	want := map[string]int{
		"get-healthz":       200,
		"get-fields":        200,
		"put-connection":    200,
		"get-connection":    200,
		"delete-connection": 204,
		"get-settings":      200,
		"put-settings":      200,
		"post-syncs":        202,
		"get-syncs":         200,
		"get-sync":          200,
		"get-plan":          200,
		"get-errors":        200,
		"get-hires":         200,
		"delete-hire":       204,
		"get-links":         200,
		"put-link":          200,
		"delete-link":       204,
		"get-audit":         200,
		"get-person":        200,
	}
	files, err := filepath.Glob("../../events/api/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Fatalf("events/api has %d events, want one per route (%d)", len(files), len(want))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			status, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			ev := readEvent(t, f)
			h := newHarness(t)
			res, c := invoke(t, h, ev)
			if res.status != status {
				t.Fatalf("status %d, want %d: %s", res.status, status, res.raw)
			}
			// The audit trail's request id is API Gateway's, as in its access log.
			if got := res.header.Get(api.RequestIDHeader); got == "" || got != ev.RequestContext.RequestID {
				t.Fatalf("%s %q, want API Gateway's %q", api.RequestIDHeader, got, ev.RequestContext.RequestID)
			}
			h.checkSpec(c, res)
		})
	}
}

func TestLambdaTenancy(t *testing.T) {
	base := readEvent(t, "../../events/api/get-connection.json")
	tests := []struct {
		name   string
		edit   func(ev *events.APIGatewayV2HTTPRequest)
		status int
		code   string
	}{
		{"own tenant", func(*events.APIGatewayV2HTTPRequest) {}, 200, ""},
		{"another tenant", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RequestContext.Authorizer.JWT.Claims["tenant_id"] = "acme"
		}, 403, "forbidden"},
		{"admin scope claim", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RequestContext.Authorizer.JWT.Claims["tenant_id"] = "acme"
			ev.RequestContext.Authorizer.JWT.Claims["scope"] = "trinet-sync:admin"
		}, 200, ""},
		{"no authorizer", func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.Authorizer = nil }, 401, "unauthorized"},
		{"bad tenant id", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RawPath = "/v1/tenants/DEMO/connection"
		}, 400, "bad_request"},
		{"unknown route", func(ev *events.APIGatewayV2HTTPRequest) { ev.RawPath = "/v1/nothing" }, 404, "not_found"},
		{"wrong method", func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.HTTP.Method = "PATCH" }, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := base
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{}}}
			for k, v := range base.RequestContext.Authorizer.JWT.Claims {
				ev.RequestContext.Authorizer.JWT.Claims[k] = v
			}
			tt.edit(&ev)
			h := newHarness(t)
			res, c := invoke(t, h, ev)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.raw)
			}
			if tt.code != "" {
				wantError(t, res, tt.status, tt.code, fieldFor(tt.code))
			}
			h.checkSpec(call{method: c.method, path: c.path, body: c.body, invalid: tt.status != 200}, res)
		})
	}
}

func fieldFor(code string) string {
	if code == "bad_request" {
		return "tenant"
	}
	return ""
}

func readEvent(t *testing.T, path string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ev
}

// invoke runs ev through LambdaHandler over h's backend.
func invoke(t *testing.T, h *harness, ev events.APIGatewayV2HTTPRequest) (result, call) {
	t.Helper()
	handler := api.LambdaHandler(api.New(h.b, api.GatewayAuthenticator{}, api.Options{Logger: slog.New(slog.NewJSONHandler(h.logs, nil))}))
	resp, err := handler(context.Background(), ev)
	if err != nil {
		t.Fatalf("adapter: %v", err)
	}
	if resp.IsBase64Encoded {
		t.Fatalf("a JSON answer must not be base64: %+v", resp)
	}
	res := result{status: resp.StatusCode, header: http.Header{}, raw: []byte(resp.Body)}
	for k, v := range resp.Headers {
		res.header.Set(k, v)
	}
	if resp.Body != "" {
		if err := json.Unmarshal([]byte(resp.Body), &res.body); err != nil {
			t.Fatalf("answer is not JSON: %v: %s", err, resp.Body)
		}
		if res.header.Get("Content-Type") != "application/json" {
			t.Fatalf("Content-Type %q", res.header.Get("Content-Type"))
		}
	}
	path := ev.RawPath
	if ev.RawQueryString != "" {
		path += "?" + ev.RawQueryString
	}
	return res, call{method: ev.RequestContext.HTTP.Method, path: path, body: ev.Body}
}

// TestLambdaDecodedPaths: API Gateway's HTTP API hands the function the path
// percent-decoded. What the client encoded must stay inside its segment:
// never a Lambda error, never another person's hire.
func TestLambdaDecodedPaths(t *testing.T) {
	tests := []struct {
		name, method, rawPath, body string
		status                      int
		code                        string
		released                    string // the hire the backend was asked to release
	}{
		{"percent sign in a sync id", "GET", "/v1/tenants/demo/syncs/100%", "", 404, "not_found", ""},
		{"percent sign before hex digits", "GET", "/v1/tenants/demo/syncs/100%41", "", 404, "not_found", ""},
		{"hash in a user id", "DELETE", "/v1/tenants/demo/hires/u10#x", "", 404, "not_found", "u10#x"},
		{"question mark in a user id", "DELETE", "/v1/tenants/demo/hires/u10?x=1", "", 404, "not_found", "u10?x=1"},
		{"space in a user id", "DELETE", "/v1/tenants/demo/hires/u10 x", "", 404, "not_found", "u10 x"},
		{"slash splits a segment", "DELETE", "/v1/tenants/demo/hires/u10/x", "", 404, "not_found", ""},
		{"plain user id", "DELETE", "/v1/tenants/demo/hires/u10", "", 204, "", "u10"},
	}
	base := readEvent(t, "../../events/api/delete-hire.json")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := base
			ev.RawPath, ev.RequestContext.HTTP.Path, ev.RequestContext.HTTP.Method = tt.rawPath, tt.rawPath, tt.method
			h := newHarness(t)
			h.b.fail["ReleaseHire"] = nil
			res, _ := invoke(t, h, ev)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.raw)
			}
			if tt.code != "" {
				wantError(t, res, tt.status, tt.code, "")
			}
			h.b.mu.Lock()
			defer h.b.mu.Unlock()
			kept := slices.ContainsFunc(h.b.tenant("demo").hires, func(e provision.HireEntry) bool { return e.UserID == "u10" })
			if kept != (tt.released != "u10") {
				t.Fatalf("hire u10 kept = %t after %s %s", kept, tt.method, tt.rawPath)
			}
		})
	}
}

func TestLambdaUnreadableEventIsJSON(t *testing.T) {
	ev := readEvent(t, "../../events/api/put-settings.json")
	ev.IsBase64Encoded, ev.Body = true, "%%% not base64 %%%"
	h := newHarness(t)
	res, _ := invoke(t, h, ev)
	wantError(t, res, 400, "bad_request", "")
}
