package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"trinetsync/internal/api"
	"trinetsync/internal/fault"
	"trinetsync/internal/metrics"
	"trinetsync/internal/provision"
)

const connectBody = `{"trinet":{"companyId":"CJ6","clientId":"client-123","clientSecret":"s3cr3t-trinet"},` +
	`"leapsome":{"apiSecret":"s3cr3t-leapsome","scimToken":"s3cr3t-scim"}}`

const settingsBody = `{"autoCreateNewHires":true,"massCreateMaxPercent":30,"mappings":[` +
	`{"target":"firstName","source":"firstname"},{"target":"lastName","source":"lastname"},` +
	`{"target":"employeeType","source":"scim.employmentType","valueMap":{"internal":"F"}}]}`

// TestEndpoints calls every operation of the contract successfully, as the
// tenant itself and as an admin; the harness holds each answer to the spec.
func TestEndpoints(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		check  func(t *testing.T, h *harness, res result)
	}{
		{"healthz", "GET", "/healthz", "", 200, func(t *testing.T, _ *harness, res result) {
			if at(res.body, "status") != "ok" {
				t.Fatalf("body %s", res.raw)
			}
		}},
		{"fields", "GET", "/v1/fields", "", 200, func(t *testing.T, _ *harness, res result) {
			if at(res.body, "targets", 0, "required") != true || at(res.body, "targets", 0, "codes") != nil {
				t.Fatalf("firstName: %s", res.raw)
			}
			if at(res.body, "targets", 1, "codes", 1) != "F" {
				t.Fatalf("gender codes: %s", res.raw)
			}
			// An empty code list means free text, answered null like none.
			if !has(at(res.body, "targets", 2), "codes") || at(res.body, "targets", 2, "codes") != nil {
				t.Fatalf("workEmail codes: %s", res.raw)
			}
		}},
		{"get connection", "GET", "/v1/tenants/demo/connection", "", 200, func(t *testing.T, _ *harness, res result) {
			if at(res.body, "status") != "connected" || at(res.body, "companyId") != "CJ6" {
				t.Fatalf("body %s", res.raw)
			}
			if at(res.body, "revokedAt") != nil || !has(res.body, "revokedAt") || at(res.body, "backoff") != nil {
				t.Fatalf("unset values must be null: %s", res.raw)
			}
			if at(res.body, "lastRun", "startedAt") != "2025-11-30T07:50:00Z" {
				t.Fatalf("lastRun.startedAt must be RFC 3339 UTC: %s", res.raw)
			}
		}},
		{"get connection never connected", "GET", "/v1/tenants/acme/connection", "", 200, func(t *testing.T, _ *harness, res result) {
			for _, k := range []string{"companyId", "clientIdMasked", "connectedAt", "revokedAt", "lastRun", "nextRunAt", "backoff"} {
				if !has(res.body, k) || at(res.body, k) != nil {
					t.Fatalf("%s must be null: %s", k, res.raw)
				}
			}
			if at(res.body, "status") != "not_connected" || at(res.body, "scimConfigured") != false {
				t.Fatalf("body %s", res.raw)
			}
		}},
		{"get connection revoked in back-off", "GET", "/v1/tenants/slow/connection", "", 200, func(t *testing.T, _ *harness, res result) {
			if at(res.body, "status") != "revoked" || at(res.body, "revokedAt") != "2025-11-30T07:00:00Z" {
				t.Fatalf("body %s", res.raw)
			}
			if at(res.body, "backoff", "until") != "2025-11-30T12:00:00Z" || at(res.body, "backoff", "failures") != 5.0 ||
				at(res.body, "backoff", "reason") != "credentials_revoked" || at(res.body, "nextRunAt") != "2025-11-30T12:00:00Z" {
				t.Fatalf("backoff: %s", res.raw)
			}
		}},
		{"put connection", "PUT", "/v1/tenants/acme/connection", connectBody, 200, func(t *testing.T, h *harness, res result) {
			want := api.ConnectRequest{
				TriNet:   api.TriNetCredentials{CompanyID: "CJ6", ClientID: "client-123", ClientSecret: "s3cr3t-trinet"},
				Leapsome: api.LeapsomeCredentials{APISecret: "s3cr3t-leapsome", SCIMToken: "s3cr3t-scim"},
			}
			if h.b.lastConnect != want {
				t.Fatalf("backend got %+v", h.b.lastConnect)
			}
			if c := h.b.lastCaller; c.Subject == "" || (c.TenantID != "acme" && !c.Admin) {
				t.Fatalf("the backend cannot see the caller: %+v", c)
			}
			if strings.Contains(string(res.raw), "s3cr3t") {
				t.Fatalf("a secret is in the answer: %s", res.raw)
			}
			if at(res.body, "status") != "connected" || at(res.body, "scimConfigured") != true {
				t.Fatalf("body %s", res.raw)
			}
		}},
		{"delete connection", "DELETE", "/v1/tenants/demo/connection", "", 204, func(t *testing.T, h *harness, res result) {
			if len(res.raw) != 0 {
				t.Fatalf("204 with a body: %s", res.raw)
			}
			if h.b.tenants["demo"].conn.Status != api.StatusNotConnected {
				t.Fatal("backend not told")
			}
		}},
		{"get settings", "GET", "/v1/tenants/demo/settings", "", 200, func(t *testing.T, _ *harness, res result) {
			if at(res.body, "massCreateMaxPercent") != 20.0 || at(res.body, "mappings", 1, "target") != "lastName" {
				t.Fatalf("body %s", res.raw)
			}
			if at(res.body, "schedule", "interval") != "10m" || at(res.body, "schedule", "paused") != false {
				t.Fatalf("the default schedule: %s", res.raw)
			}
		}},
		{"put settings with a schedule", "PUT", "/v1/tenants/demo/settings", `{"mappings":[{"target":"firstName","source":"firstname"},` +
			`{"target":"lastName","source":"lastname"}],"schedule":{"interval":"2h","paused":true}}`, 200, func(t *testing.T, h *harness, res result) {
			if sc := h.b.lastSettings.Schedule; sc == nil || *sc != (provision.Schedule{Interval: "2h", Paused: true}) {
				t.Fatalf("backend got %+v", h.b.lastSettings)
			}
			if at(res.body, "schedule", "interval") != "2h" || at(res.body, "schedule", "paused") != true {
				t.Fatalf("body %s", res.raw)
			}
		}},
		{"put settings", "PUT", "/v1/tenants/demo/settings", settingsBody, 200, func(t *testing.T, h *harness, res result) {
			got := h.b.lastSettings
			if !got.AutoCreateNewHires || got.MassCreateMaxPercent != 30 || len(got.Mappings) != 3 ||
				got.Mappings[2].ValueMap["internal"] != "F" {
				t.Fatalf("backend got %+v", got)
			}
			if at(res.body, "mappings", 2, "valueMap", "internal") != "F" {
				t.Fatalf("body %s", res.raw)
			}
		}},
		{"trigger", "POST", "/v1/tenants/demo/syncs", `{"dryRun":false,"confirmCreates":true}`, 202, func(t *testing.T, h *harness, res result) {
			if at(res.body, "status") != "queued" || at(res.body, "syncId") != "manual-0101" {
				t.Fatalf("body %s", res.raw)
			}
			if r := h.b.tenants["demo"].runs[0]; r.DryRun || !r.ConfirmCreates {
				t.Fatalf("backend got flags %+v", r)
			}
		}},
		{"trigger joins the queued run with the same flags", "POST", "/v1/tenants/demo/syncs", `{"dryRun":true}`, 202, func(t *testing.T, _ *harness, res result) {
			if at(res.body, "syncId") != "manual-0001" {
				t.Fatalf("body %s", res.raw)
			}
		}},
		{"trigger a subset with approvals", "POST", "/v1/tenants/demo/syncs", `{"dryRun":true,"people":["u2","u1","u2"],"approveCreates":["u1"]}`, 202, func(t *testing.T, h *harness, res result) {
			got := h.b.lastTrigger
			if !slices.Equal(got.People, []string{"u2", "u1"}) || !slices.Equal(got.ApproveCreates, []string{"u1"}) || !got.DryRun || got.Settings != nil {
				t.Fatalf("backend got %+v", got)
			}
			if at(res.body, "syncId") == "manual-0001" {
				t.Fatalf("a subset trigger joined the plain dry run: %s", res.raw)
			}
		}},
		{"trigger only the failed", "POST", "/v1/tenants/demo/syncs", `{"onlyFailed":true,"approveCreates":["u9"]}`, 202, func(t *testing.T, h *harness, _ result) {
			if got := h.b.lastTrigger; !got.OnlyFailed || got.People != nil || !slices.Equal(got.ApproveCreates, []string{"u9"}) {
				t.Fatalf("backend got %+v", got)
			}
		}},
		{"trigger a settings preview", "POST", "/v1/tenants/demo/syncs", `{"dryRun":true,"settings":{"autoCreateNewHires":true,` +
			`"mappings":[{"target":"firstName","source":"firstname"},{"target":"lastName","source":"displayedName"}]}}`, 202, func(t *testing.T, h *harness, _ result) {
			got := h.b.lastTrigger.Settings
			if got == nil || !got.AutoCreateNewHires || got.MassCreateMaxPercent != 20 || len(got.Mappings) != 2 || got.Mappings[1].Source != "displayedName" {
				t.Fatalf("backend got %+v", got)
			}
		}},
		{"trigger with no body", "POST", "/v1/tenants/demo/syncs", "", 202, func(t *testing.T, h *harness, res result) {
			if r := h.b.tenants["demo"].runs[0]; r.DryRun || r.ConfirmCreates || at(res.body, "syncId") != r.SyncID {
				t.Fatalf("body %s, run %+v", res.raw, r)
			}
		}},
		{"list syncs", "GET", "/v1/tenants/demo/syncs", "", 200, func(t *testing.T, h *harness, res result) {
			if h.b.lastPage != (api.Page{Limit: api.DefaultLimit}) {
				t.Fatalf("backend got page %+v", h.b.lastPage)
			}
			if n := len(at(res.body, "items").([]any)); n != 3 || !has(res.body, "nextToken") || at(res.body, "nextToken") != nil {
				t.Fatalf("body %s", res.raw)
			}
			if at(res.body, "items", 0, "startedAt") != nil || at(res.body, "items", 0, "error") != nil {
				t.Fatalf("queued run must have null times and error: %s", res.raw)
			}
			if at(res.body, "items", 2, "error", "code") != "credentials_revoked" {
				t.Fatalf("failed run error: %s", res.raw)
			}
		}},
		{"get sync", "GET", "/v1/tenants/demo/syncs/sched-20251130t075000z-demo", "", 200, func(t *testing.T, _ *harness, res result) {
			if at(res.body, "status") != "partial" || at(res.body, "counts", "warnings") != 2.0 ||
				at(res.body, "finishedAt") != "2025-11-30T07:51:00Z" {
				t.Fatalf("body %s", res.raw)
			}
		}},
		{"get plan", "GET", "/v1/tenants/demo/syncs/sched-20251130t075000z-demo/plan", "", 200, func(t *testing.T, _ *harness, res result) {
			if at(res.body, "items", 0, "code") != nil || !has(at(res.body, "items", 0), "code") {
				t.Fatalf("create must have code null: %s", res.raw)
			}
			if at(res.body, "items", 0, "fields", 0, "from") != nil || at(res.body, "items", 0, "fields", 0, "to") != "Ada" {
				t.Fatalf("create field: %s", res.raw)
			}
			if at(res.body, "items", 1, "fields", 0, "from") != "Engineer" {
				t.Fatalf("update field: %s", res.raw)
			}
			if at(res.body, "items", 2, "code") != "missing_email" || at(res.body, "items", 2, "email") != nil {
				t.Fatalf("excluded item: %s", res.raw)
			}
		}},
		{"a dry run's plan: an update keeps its drift", "GET", "/v1/tenants/demo/syncs/manual-0001/plan", "", 200, func(t *testing.T, _ *harness, res result) {
			if len(at(res.body, "items").([]any)) != 1 {
				t.Fatalf("the plan without ?drift=true must be the plan: %s", res.raw)
			}
			if it := at(res.body, "items", 0); at(it, "action") != "update" || at(it, "drift", 0, "field") != "workEmail" {
				t.Fatalf("drift of a listed item: %s", res.raw)
			}
		}},
		{"a dry run's drift, opted in", "GET", "/v1/tenants/demo/syncs/manual-0001/plan?drift=true", "", 200, func(t *testing.T, h *harness, res result) {
			if h.b.lastSyncID != "manual-0001" || at(res.body, "items", 0, "action") != "update" {
				t.Fatalf("drift list: %s", res.raw)
			}
			it := at(res.body, "items", 1)
			if at(it, "action") != "unchanged" || len(at(it, "fields").([]any)) != 0 ||
				at(it, "drift", 0, "field") != "hireDate" || at(it, "drift", 0, "from") != "2024-01-08" || at(it, "drift", 0, "to") != "2024-02-01" {
				t.Fatalf("drift: %s", res.raw)
			}
			if d := at(it, "drift", 1); at(d, "sensitive") != true || has(d, "from") || has(d, "to") || strings.Contains(string(res.raw), "Old St") {
				t.Fatalf("sensitive drift with values: %s", res.raw)
			}
		}},
		{"a plan without drift has no drift key", "GET", "/v1/tenants/demo/syncs/sched-20251130t075000z-demo/plan", "", 200, func(t *testing.T, _ *harness, res result) {
			for _, it := range at(res.body, "items").([]any) {
				if has(it, "drift") {
					t.Fatalf("drift key without drift: %s", res.raw)
				}
			}
		}},
		{"explain a person", "GET", "/v1/tenants/demo/people/u1", "", 200, func(t *testing.T, h *harness, res result) {
			if h.b.lastUserID != "u1" || at(res.body, "userId") != "u1" || at(res.body, "email") != "ada@example.com" || at(res.body, "name") != nil {
				t.Fatalf("body %s", res.raw)
			}
			if at(res.body, "link", "employeeId") != "00001001" || at(res.body, "hire") != nil {
				t.Fatalf("link and hire: %s", res.raw)
			}
			latest := at(res.body, "latest")
			if at(latest, "syncId") != "sched-20251130t075000z-demo" || at(latest, "at") != "2025-11-30T07:50:00Z" ||
				at(latest, "action") != "create" || at(latest, "userId") != "u1" || len(at(latest, "issues").([]any)) != 0 {
				t.Fatalf("latest: %s", res.raw)
			}
			if f := at(latest, "fields", 2); at(f, "sensitive") != true || has(f, "from") {
				t.Fatalf("sensitive field of the latest plan: %s", res.raw)
			}
			// The queued dry run planned an update: in the history, marked dry;
			// latest stays the real run's.
			if at(res.body, "history", 0, "syncId") != "manual-0001" || at(res.body, "history", 0, "dryRun") != true ||
				at(res.body, "history", 1, "action") != "create" || at(res.body, "history", 1, "code") != nil ||
				at(res.body, "history", 1, "dryRun") != false || len(at(res.body, "history").([]any)) != 2 {
				t.Fatalf("history: %s", res.raw)
			}
		}},
		{"explain a person with an issue", "GET", "/v1/tenants/demo/people/u4", "", 200, func(t *testing.T, _ *harness, res result) {
			if at(res.body, "link") != nil || at(res.body, "latest", "code") != "unsupported_gender" ||
				at(res.body, "latest", "issues", 0, "field") != "gender" || at(res.body, "latest", "issues", 0, "severity") != "error" {
				t.Fatalf("body %s", res.raw)
			}
		}},
		{"explain a person with a hire only", "GET", "/v1/tenants/demo/people/u9", "", 200, func(t *testing.T, _ *harness, res result) {
			if at(res.body, "hire", "state") != "pending" || at(res.body, "latest") != nil || len(at(res.body, "history").([]any)) != 0 {
				t.Fatalf("body %s", res.raw)
			}
		}},
		{"a person nobody knows", "GET", "/v1/tenants/demo/people/nobody", "", 404, func(t *testing.T, _ *harness, res result) {
			if at(res.body, "error", "code") != "not_found" {
				t.Fatalf("body %s", res.raw)
			}
		}},
		{"errors of the latest finished run", "GET", "/v1/tenants/demo/errors", "", 200, func(t *testing.T, h *harness, res result) {
			if h.b.lastSyncID != "" || at(res.body, "syncId") != "sched-20251130t075000z-demo" {
				t.Fatalf("body %s", res.raw)
			}
			person := at(res.body, "items", 0)
			if at(person, "userId") != "u4" || at(person, "name") != "X Y" || at(person, "field") != "gender" || at(person, "severity") != "error" {
				t.Fatalf("person item: %s", res.raw)
			}
			tenantItem := at(res.body, "items", 1)
			for _, k := range []string{"userId", "email", "name", "field"} {
				if !has(tenantItem, k) || at(tenantItem, k) != nil {
					t.Fatalf("tenant-level item must have %s null: %s", k, res.raw)
				}
			}
		}},
		{"errors of a given run", "GET", "/v1/tenants/demo/errors?syncId=sched-20251130t074000z-demo", "", 200, func(t *testing.T, h *harness, res result) {
			if h.b.lastSyncID != "sched-20251130t074000z-demo" || at(res.body, "syncId") != "sched-20251130t074000z-demo" ||
				len(at(res.body, "items").([]any)) != 0 {
				t.Fatalf("body %s", res.raw)
			}
		}},
		{"errors before any run", "GET", "/v1/tenants/acme/errors", "", 200, func(t *testing.T, _ *harness, res result) {
			if !has(res.body, "syncId") || at(res.body, "syncId") != nil || len(at(res.body, "items").([]any)) != 0 {
				t.Fatalf(`want {"syncId":null,"items":[]}, got %s`, res.raw)
			}
		}},
		{"hires", "GET", "/v1/tenants/demo/hires", "", 200, func(t *testing.T, h *harness, res result) {
			if h.b.lastState != "" || len(at(res.body, "items").([]any)) != 2 {
				t.Fatalf("body %s", res.raw)
			}
			if at(res.body, "items", 0, "employeeId") != "00001234" || at(res.body, "items", 1, "employeeId") != nil {
				t.Fatalf("employeeId: %s", res.raw)
			}
			if at(res.body, "items", 1, "submittedAt") != "2025-11-30T06:00:00Z" {
				t.Fatalf("submittedAt: %s", res.raw)
			}
		}},
		{"hires by state", "GET", "/v1/tenants/demo/hires?state=unknown", "", 200, func(t *testing.T, h *harness, res result) {
			if h.b.lastState != provision.HireUnknown || at(res.body, "items", 0, "userId") != "u10" {
				t.Fatalf("body %s", res.raw)
			}
		}},
		{"release unknown hire", "DELETE", "/v1/tenants/demo/hires/u10", "", 204, func(t *testing.T, h *harness, _ result) {
			if len(h.b.tenants["demo"].hires) != 1 {
				t.Fatal("hire not released")
			}
		}},
		{"links", "GET", "/v1/tenants/demo/links", "", 200, func(t *testing.T, h *harness, res result) {
			if h.b.lastPage != (api.Page{Limit: api.DefaultLimit}) || len(at(res.body, "items").([]any)) != 3 {
				t.Fatalf("body %s", res.raw)
			}
			if at(res.body, "items", 1, "employeeId") != "00001001" || at(res.body, "items", 1, "origin") != "email" ||
				at(res.body, "items", 1, "linkedAt") != "2025-11-30T07:00:00Z" || at(res.body, "items", 1, "email") != "ada@example.com" {
				t.Fatalf("email link: %s", res.raw)
			}
			keptOut := at(res.body, "items", 2)
			if at(keptOut, "origin") != "manual" || !has(keptOut, "employeeId") || at(keptOut, "employeeId") != nil || at(keptOut, "email") != nil {
				t.Fatalf("keep-out decision: %s", res.raw)
			}
		}},
		{"set a link", "PUT", "/v1/tenants/demo/links/u2", `{"employeeId":" 00001002 "}`, 200, func(t *testing.T, h *harness, res result) {
			if at(res.body, "userId") != "u2" || at(res.body, "employeeId") != "00001002" || at(res.body, "origin") != "manual" {
				t.Fatalf("body %s", res.raw)
			}
			if l := h.b.tenants["demo"].links; len(l) != 4 || l[2].UserID != "u2" || l[2].EmployeeID != "00001002" {
				t.Fatalf("backend got %+v", l)
			}
		}},
		{"keep a person out", "PUT", "/v1/tenants/demo/links/u2", `{"employeeId":null}`, 200, func(t *testing.T, h *harness, res result) {
			if at(res.body, "employeeId") != nil || !has(res.body, "employeeId") || at(res.body, "origin") != "manual" {
				t.Fatalf("body %s", res.raw)
			}
			if l := h.b.tenants["demo"].links; len(l) != 4 || l[2].UserID != "u2" || !l[2].Excluded() {
				t.Fatalf("backend got %+v", l)
			}
		}},
		{"remove a link", "DELETE", "/v1/tenants/demo/links/u1", "", 204, func(t *testing.T, h *harness, _ result) {
			if l := h.b.tenants["demo"].links; len(l) != 2 || l[1].UserID != "u5" {
				t.Fatalf("backend has %+v", l)
			}
		}},
		{"audit trail", "GET", "/v1/tenants/demo/audit?limit=2", "", 200, func(t *testing.T, h *harness, res result) {
			if h.b.lastPage != (api.Page{Limit: 2}) || len(at(res.body, "items").([]any)) != 2 || at(res.body, "nextToken") != "2" {
				t.Fatalf("body %s", res.raw)
			}
			first := at(res.body, "items", 0)
			if at(first, "at") != "2025-11-30T08:00:00Z" || at(first, "actor") != "ops@example.com" ||
				at(first, "action") != "link_set" || at(first, "requestId") != "req-3" ||
				!has(at(first, "details"), "employeeId") || at(first, "details", "employeeId") != nil {
				t.Fatalf("entry: %s", res.raw)
			}
			if at(res.body, "items", 1, "details", "changed", 1) != "mappings.jobTitle" {
				t.Fatalf("settings entry: %s", res.raw)
			}
		}},
	}
	for _, tt := range tests {
		for _, who := range []string{"tenant", "admin"} {
			t.Run(tt.name+" as "+who, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t)
				tok := adminToken(t)
				if parts := strings.Split(tt.path, "/"); who == "tenant" && len(parts) > 3 {
					tok = tenantToken(t, strings.SplitN(parts[3], "?", 2)[0])
				}
				res := h.do(call{method: tt.method, path: tt.path, body: tt.body, token: tok})
				if res.status != tt.status {
					t.Fatalf("status %d, want %d\n%s", res.status, tt.status, res.raw)
				}
				if res.header.Get("Cache-Control") != "no-store" && tt.status != 204 {
					t.Fatalf("Cache-Control %q", res.header.Get("Cache-Control"))
				}
				tt.check(t, h, res)
			})
		}
	}
}

// TestEveryDocumentedOperationIsServed checks the other direction: each
// operation in docs/openapi.yaml reaches a route (401 without a token, not the
// router's 404/405).
func TestEveryDocumentedOperationIsServed(t *testing.T) {
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			n++
			p := strings.NewReplacer("{tenant}", "demo", "{syncId}", "s1", "{userId}", "u1").Replace(path)
			res := h.do(call{method: method, path: p, invalid: true})
			want := http.StatusUnauthorized
			if op.Security != nil && len(*op.Security) == 0 {
				want = http.StatusOK
			}
			if res.status != want {
				t.Errorf("%s %s: status %d, want %d", method, p, res.status, want)
			}
		}
	}
	// The contract's operations: 14, the links' three, the audit trail and
	// GET …/people/{userId}.
	if n != 19 {
		t.Fatalf("docs/openapi.yaml has %d operations, want 19", n)
	}
}

func TestTenantIDIsCheckedFirst(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		id string
		ok bool
	}{
		{"demo", true},
		{"a", true},
		{"0-tenant-9", true},
		{strings.Repeat("a", 63), true},
		{strings.Repeat("a", 64), false},
		{"Demo", false},
		{"-demo", false},
		{"de_mo", false},
		{"de.mo", false},
		{"a%2Fb", false},
		{"%C3%A9t%C3%A9", false},
		{"demo%00", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			// No token at all: a bad id is 400 before authentication, a good one 401.
			res := h.do(call{method: "GET", path: "/v1/tenants/" + tt.id + "/connection", invalid: true})
			if tt.ok {
				wantError(t, res, 401, "unauthorized", "")
				return
			}
			wantError(t, res, 400, "bad_request", "tenant")
			// And with the admin token, before the backend is asked.
			res = h.do(call{method: "PUT", path: "/v1/tenants/" + tt.id + "/settings", body: settingsBody,
				token: adminToken(t), invalid: true})
			wantError(t, res, 400, "bad_request", "tenant")
		})
	}
}

func TestAuthentication(t *testing.T) {
	h := newHarness(t)
	other := func(secret string) string {
		tok, err := api.MintToken(secret, "x", "demo", "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tests := []struct {
		name   string
		header string
	}{
		{"no header", ""},
		{"basic auth", "Basic dXNlcjpwYXNz"},
		{"bearer without token", "Bearer "},
		{"garbage", "Bearer not-a-jwt"},
		{"expired", "Bearer " + mustToken(t, "x", "demo", "", -time.Minute)},
		{"other secret", "Bearer " + other("another-secret")},
		{"alg none", "Bearer " + unsignedToken(t)},
		{"HS512", "Bearer " + signed(t, "HS512", `{"sub":"x","tenant_id":"demo","exp":4102444800}`)},
		{"no exp", "Bearer " + signed(t, "HS256", `{"sub":"x","tenant_id":"demo"}`)},
		{"no sub", "Bearer " + signed(t, "HS256", `{"tenant_id":"demo","exp":4102444800}`)},
		{"scope not a string", "Bearer " + signed(t, "HS256", `{"sub":"x","scope":["trinet-sync:admin"],"exp":4102444800}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", h.srv.URL+"/v1/tenants/demo/connection", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := h.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("status %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	// The same answers through the harness, held to the spec.
	res := h.do(call{method: "GET", path: "/v1/fields"})
	wantError(t, res, 401, "unauthorized", "")
	res = h.do(call{method: "GET", path: "/v1/fields", token: mustToken(t, "x", "demo", "", -time.Minute)})
	wantError(t, res, 401, "unauthorized", "")
	if !strings.Contains(at(res.body, "error", "message").(string), "expired") {
		t.Fatalf("an expired token should be told so: %s", res.raw)
	}
	// A well-formed token with valid HS256 signature is accepted.
	res = h.do(call{method: "GET", path: "/v1/tenants/demo/connection",
		token: signed(t, "HS256", `{"sub":"x","tenant_id":"demo","exp":4102444800}`)})
	if res.status != 200 {
		t.Fatalf("status %d: %s", res.status, res.raw)
	}
}

func TestTenancy(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name   string
		token  string
		path   string
		status int
	}{
		{"tenant reaches itself", tenantToken(t, "demo"), "/v1/tenants/demo/connection", 200},
		{"tenant is kept out of another", tenantToken(t, "demo"), "/v1/tenants/acme/connection", 403},
		{"tenant is kept out of another's runs", tenantToken(t, "acme"), "/v1/tenants/demo/syncs/manual-0001", 403},
		{"tenant reads the catalog", tenantToken(t, "demo"), "/v1/fields", 200},
		{"admin reaches every tenant", adminToken(t), "/v1/tenants/acme/connection", 200},
		{"admin among other scopes", mustToken(t, "ops", "", "openid "+api.AdminScope+" email", time.Hour), "/v1/tenants/acme/connection", 200},
		{"a look-alike scope is not admin", mustToken(t, "ops", "", "trinet-sync:admins trinet-sync", time.Hour), "/v1/tenants/acme/connection", 403},
		{"no tenant and no scope", mustToken(t, "nobody", "", "", time.Hour), "/v1/tenants/demo/connection", 403},
		{"no tenant and no scope reads the catalog", mustToken(t, "nobody", "", "", time.Hour), "/v1/fields", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.do(call{method: "GET", path: tt.path, token: tt.token})
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.raw)
			}
			if tt.status == 403 {
				wantError(t, res, 403, "forbidden", "")
			}
		})
	}
}

func TestRequestBodies(t *testing.T) {
	big := `{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"` + strings.Repeat("x", 5000) + `"},"leapsome":{"apiSecret":"a"}}`
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		code   string
		field  string
	}{
		{"unknown top-level field", "PUT", "/v1/tenants/demo/connection",
			`{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"s"},"leapsome":{"apiSecret":"a"},"extra":1}`, 400, "bad_request", "extra"},
		{"unknown nested field", "PUT", "/v1/tenants/demo/connection",
			`{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"s","region":"us"},"leapsome":{"apiSecret":"a"}}`, 400, "bad_request", "trinet.region"},
		{"malformed JSON", "PUT", "/v1/tenants/demo/connection", `{"trinet":`, 400, "bad_request", ""},
		{"not JSON", "PUT", "/v1/tenants/demo/settings", `autoCreateNewHires=true`, 400, "bad_request", ""},
		{"trailing data", "PUT", "/v1/tenants/demo/settings",
			`{"autoCreateNewHires":true,"massCreateMaxPercent":20,"mappings":[]} {}`, 400, "bad_request", ""},
		{"wrong type names the field", "PUT", "/v1/tenants/demo/settings",
			`{"autoCreateNewHires":"yes","massCreateMaxPercent":20,"mappings":[]}`, 400, "bad_request", "autoCreateNewHires"},
		{"wrong nested type names the path", "PUT", "/v1/tenants/demo/connection",
			`{"trinet":{"companyId":42,"clientId":"c","clientSecret":"s"},"leapsome":{"apiSecret":"a"}}`, 400, "bad_request", "trinet.companyId"},
		{"fraction for an integer", "PUT", "/v1/tenants/demo/settings",
			`{"autoCreateNewHires":true,"massCreateMaxPercent":20.5,"mappings":[]}`, 400, "bad_request", "massCreateMaxPercent"},
		{"array for an object", "PUT", "/v1/tenants/demo/settings", `[]`, 400, "bad_request", ""},
		{"missing body", "PUT", "/v1/tenants/demo/connection", "", 400, "bad_request", ""},
		{"missing section", "PUT", "/v1/tenants/demo/connection",
			`{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"s"}}`, 400, "bad_request", "leapsome"},
		{"missing secret", "PUT", "/v1/tenants/demo/connection",
			`{"trinet":{"companyId":"CJ6","clientId":"c"},"leapsome":{"apiSecret":"a"}}`, 400, "bad_request", "trinet.clientSecret"},
		{"blank API secret", "PUT", "/v1/tenants/demo/connection",
			`{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"s"},"leapsome":{"apiSecret":"  "}}`, 400, "bad_request", "leapsome.apiSecret"},
		{"long company id", "PUT", "/v1/tenants/demo/connection",
			`{"trinet":{"companyId":"` + strings.Repeat("C", 65) + `","clientId":"c","clientSecret":"s"},"leapsome":{"apiSecret":"a"}}`, 400, "bad_request", "trinet.companyId"},
		{"oversized body", "PUT", "/v1/tenants/demo/connection", big, 413, "payload_too_large", ""},
		{"settings without mappings", "PUT", "/v1/tenants/demo/settings",
			`{"autoCreateNewHires":true,"massCreateMaxPercent":20}`, 400, "bad_request", "mappings"},
		{"settings with null mappings", "PUT", "/v1/tenants/demo/settings",
			`{"autoCreateNewHires":true,"massCreateMaxPercent":20,"mappings":null}`, 400, "bad_request", "mappings"},
		{"mapping without source", "PUT", "/v1/tenants/demo/settings",
			`{"autoCreateNewHires":true,"massCreateMaxPercent":20,"mappings":[{"target":"firstName","source":"firstname"},{"target":"lastName"}]}`,
			400, "bad_request", "mappings[1].source"},
		{"unknown mapping field", "PUT", "/v1/tenants/demo/settings",
			`{"autoCreateNewHires":true,"massCreateMaxPercent":20,"mappings":[{"target":"firstName","source":"firstname","mode":"x"}]}`,
			400, "bad_request", "mappings[0].mode"},
		{"backend rejects a source", "PUT", "/v1/tenants/demo/settings",
			`{"autoCreateNewHires":true,"massCreateMaxPercent":20,"mappings":[{"target":"firstName","source":"firstname"},{"target":"lastName","source":"nonsense"}]}`,
			400, "bad_request", "mappings[1].source"},
		{"trigger unknown flag", "POST", "/v1/tenants/demo/syncs", `{"dryrun2":true}`, 400, "bad_request", "dryrun2"},
		// encoding/json would take these: the last key wins, names match in any case.
		{"duplicate key", "POST", "/v1/tenants/demo/syncs", `{"dryRun":true,"dryRun":false}`, 400, "bad_request", "dryRun"},
		{"duplicate nested key", "PUT", "/v1/tenants/demo/connection",
			`{"trinet":{"companyId":"CJ6","companyId":"XY1","clientId":"c","clientSecret":"s"},"leapsome":{"apiSecret":"a"}}`, 400, "bad_request", "trinet.companyId"},
		{"duplicate section", "PUT", "/v1/tenants/demo/connection",
			`{"trinet":{"companyId":"CJ6","clientId":"c","clientSecret":"s"},"leapsome":{"apiSecret":"a"},"trinet":{"companyId":"X"}}`, 400, "bad_request", "trinet"},
		{"duplicate key in a mapping", "PUT", "/v1/tenants/demo/settings",
			`{"mappings":[{"target":"firstName","source":"firstname","source":"lastname"}]}`, 400, "bad_request", "mappings[0].source"},
		{"duplicate value map key", "PUT", "/v1/tenants/demo/settings",
			`{"mappings":[{"target":"firstName","source":"firstname","valueMap":{"a":"b","a":"c"}}]}`, 400, "bad_request", "mappings[0].valueMap.a"},
		{"field name in another case", "POST", "/v1/tenants/demo/syncs", `{"CONFIRMCREATES":true}`, 400, "bad_request", "CONFIRMCREATES"},
		{"nested field name in another case", "PUT", "/v1/tenants/demo/connection",
			`{"trinet":{"CompanyID":"CJ6","clientId":"c","clientSecret":"s"},"leapsome":{"apiSecret":"a"}}`, 400, "bad_request", "trinet.CompanyID"},
		{"section name in another case", "PUT", "/v1/tenants/demo/connection",
			`{"TriNet":{"companyId":"CJ6","clientId":"c","clientSecret":"s"},"leapsome":{"apiSecret":"a"}}`, 400, "bad_request", "TriNet"},
		{"trigger wrong type", "POST", "/v1/tenants/demo/syncs", `{"dryRun":"yes"}`, 400, "bad_request", "dryRun"},
		{"trigger with no people", "POST", "/v1/tenants/demo/syncs", `{"people":[]}`, 400, "bad_request", "people"},
		{"trigger with a blank person", "POST", "/v1/tenants/demo/syncs", `{"people":["u1",""]}`, 400, "bad_request", "people[1]"},
		{"trigger with a person not a string", "POST", "/v1/tenants/demo/syncs", `{"people":["u1",2]}`, 400, "bad_request", "people"},
		{"trigger with too many people", "POST", "/v1/tenants/demo/syncs", `{"people":[` + strings.Repeat(`"u",`, 1000) + `"u"]}`, 400, "bad_request", "people"},
		{"trigger people and only the failed", "POST", "/v1/tenants/demo/syncs", `{"people":["u1"],"onlyFailed":true}`, 400, "bad_request", "onlyFailed"},
		{"trigger approving someone the subset lacks", "POST", "/v1/tenants/demo/syncs", `{"people":["u1"],"approveCreates":["u1","u2"]}`, 400, "bad_request", "approveCreates[1]"},
		{"trigger approving a control character", "POST", "/v1/tenants/demo/syncs", `{"approveCreates":["u\u0001"]}`, 400, "bad_request", "approveCreates[0]"},
		{"trigger a preview without dryRun", "POST", "/v1/tenants/demo/syncs", `{"settings":{"mappings":[]}}`, 400, "bad_request", "settings"},
		{"trigger a preview without mappings", "POST", "/v1/tenants/demo/syncs", `{"dryRun":true,"settings":{"autoCreateNewHires":true}}`, 400, "bad_request", "settings.mappings"},
		{"trigger a preview with a mapping without source", "POST", "/v1/tenants/demo/syncs", `{"dryRun":true,"settings":{"mappings":[{"target":"firstName"}]}}`, 400, "bad_request", "settings.mappings[0].source"},
		{"settings with an interval not a string", "PUT", "/v1/tenants/demo/settings", `{"mappings":[],"schedule":{"interval":10}}`, 400, "bad_request", "schedule.interval"},
		{"settings with an unknown schedule field", "PUT", "/v1/tenants/demo/settings", `{"mappings":[],"schedule":{"every":"10m"}}`, 400, "bad_request", "schedule.every"},
		// An unknown key inside an object is named by its JSON path, as a wrong
		// type or a duplicate is: inside a preview, the preview is at fault.
		{"trigger a preview with an unknown field", "POST", "/v1/tenants/demo/syncs", `{"dryRun":true,"settings":{"mappings":[],"paused":true}}`, 400, "bad_request", "settings.paused"},
		{"person id too long", "GET", "/v1/tenants/demo/people/" + strings.Repeat("x", 257), "", 400, "bad_request", "userId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			res := h.do(call{method: tt.method, path: tt.path, body: tt.body, token: adminToken(t),
				invalid: tt.name != "backend rejects a source"})
			wantError(t, res, tt.status, tt.code, tt.field)
			if strings.Contains(string(res.raw), `"s"`) || strings.Contains(string(res.raw), "xxxx") {
				t.Fatalf("the answer echoes a secret: %s", res.raw)
			}
		})
	}
}

func TestUnmatchedRoutes(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/", 404, "not_found", ""},
		{"GET", "/v2/fields", 404, "not_found", ""},
		{"GET", "/v1/tenants/demo", 404, "not_found", ""},
		{"GET", "/v1/tenants/demo/syncs/s1/plan/extra", 404, "not_found", ""},
		{"PATCH", "/v1/tenants/demo/connection", 405, "method_not_allowed", "GET, HEAD, PUT, DELETE"},
		{"POST", "/v1/fields", 405, "method_not_allowed", "GET, HEAD"},
		{"DELETE", "/v1/tenants/demo/syncs", 405, "method_not_allowed", "GET, HEAD, POST"},
		{"PUT", "/healthz", 405, "method_not_allowed", "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res := h.do(call{method: tt.method, path: tt.path, token: adminToken(t), invalid: true})
			wantError(t, res, tt.status, tt.code, "")
			if got := res.header.Get("Allow"); got != tt.allow {
				t.Fatalf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
}

// TestErrorMapping is the table of how a Backend error class becomes the
// contract's status and code.
func TestErrorMapping(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.1:443: secret-internal-detail")
	tests := []struct {
		name   string
		op     string
		method string
		path   string
		body   string
		err    error
		status int
		code   string
		field  string
		msg    string // a part of the message the client must see
	}{
		{"validation names the field", "PutSettings", "PUT", "/v1/tenants/demo/settings", settingsBody,
			fmt.Errorf("save: %w", fault.Invalid("mappings[0].source", "scim.gender needs a SCIM token")), 400, "bad_request", "mappings[0].source", "SCIM token"},
		{"bad page token", "Runs", "GET", "/v1/tenants/demo/syncs?nextToken=zzz", "",
			fault.Invalid("nextToken", "is not a token this service gave out"), 400, "bad_request", "nextToken", ""},
		{"not found", "Run", "GET", "/v1/tenants/demo/syncs/nope", "", fault.New(fault.NotFound, "no such sync"), 404, "not_found", "", "no such sync"},
		{"conflict", "ReleaseHire", "DELETE", "/v1/tenants/demo/hires/u9", "", fault.New(fault.Conflict, "the hire is pending"), 409, "conflict", "", "pending"},
		{"not connected", "Trigger", "POST", "/v1/tenants/acme/syncs", "{}", fmt.Errorf("x: %w", api.ErrNotConnected), 409, "not_connected", "", ""},
		{"revoked", "Trigger", "POST", "/v1/tenants/demo/syncs", "{}", fault.Wrap(fault.CredentialsRevoked, cause, "the secret was deleted"), 409, "not_connected", "", ""},
		{"TriNet 401 on connect", "Connect", "PUT", "/v1/tenants/demo/connection", connectBody,
			&fault.Error{Class: fault.Auth, Field: "trinet.clientSecret", Message: "TriNet rejected the client id or secret", Err: cause},
			422, "credentials_rejected", "trinet.clientSecret", "TriNet rejected"},
		{"TriNet 403 on connect", "Connect", "PUT", "/v1/tenants/demo/connection", connectBody,
			&fault.Error{Class: fault.Forbidden, Field: "trinet.companyId", Message: "the credentials do not belong to this company"},
			422, "credentials_rejected", "trinet.companyId", ""},
		{"SCIM 401 on connect", "Connect", "PUT", "/v1/tenants/demo/connection", connectBody,
			fmt.Errorf("check scim: %w", &fault.Error{Class: fault.Auth, Field: "leapsome.scimToken", Message: "Leapsome rejected the SCIM token"}),
			422, "credentials_rejected", "leapsome.scimToken", ""},
		{"upstream down on connect", "Connect", "PUT", "/v1/tenants/demo/connection", connectBody,
			fault.Wrap(fault.Transient, cause, "TriNet did not answer"), 502, "upstream_unavailable", "", "TriNet did not answer"},
		{"throttled", "Runs", "GET", "/v1/tenants/demo/syncs", "", fault.Wrap(fault.Throttled, cause, "DynamoDB throttled"), 502, "upstream_unavailable", "", ""},
		{"our own access denied is internal", "Connection", "GET", "/v1/tenants/demo/connection", "",
			fault.Wrap(fault.Forbidden, cause, "AccessDeniedException"), 500, "internal", "", ""},
		{"unclassified is internal", "Settings", "GET", "/v1/tenants/demo/settings", "", cause, 500, "internal", "", ""},
		{"unclassified on connect is internal", "Connect", "PUT", "/v1/tenants/demo/connection", connectBody, cause, 500, "internal", "", ""},
		{"catalog failure", "Fields", "GET", "/v1/fields", "", cause, 500, "internal", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.b.fail[tt.op] = tt.err
			res := h.do(call{method: tt.method, path: tt.path, body: tt.body, token: adminToken(t)})
			wantError(t, res, tt.status, tt.code, tt.field)
			msg := at(res.body, "error", "message").(string)
			if !strings.Contains(msg, tt.msg) {
				t.Fatalf("message %q lacks %q", msg, tt.msg)
			}
			if strings.Contains(string(res.raw), "secret-internal-detail") || strings.Contains(string(res.raw), "s3cr3t") {
				t.Fatalf("the answer leaks a cause or secret: %s", res.raw)
			}
			if tt.status >= 500 && !strings.Contains(h.logs.String(), "secret-internal-detail") {
				t.Fatalf("the cause of a %d must be logged:\n%s", tt.status, h.logs.String())
			}
		})
	}
}

func TestPanicIsAnsweredJSON(t *testing.T) {
	h := newHarness(t)
	h.b.panicOn = "Connection"
	res := h.do(call{method: "GET", path: "/v1/tenants/demo/connection", token: adminToken(t)})
	wantError(t, res, 500, "internal", "")
	if strings.Contains(string(res.raw), "boom") || strings.Contains(string(res.raw), "goroutine") {
		t.Fatalf("panic details leaked: %s", res.raw)
	}
	// Logged with its type and stack, never its value: a panic's value may
	// quote a request's credentials or a person's data.
	if logs := h.logs.String(); !strings.Contains(logs, "panic serving request") || strings.Contains(logs, "boom") {
		t.Fatalf("the panic must be logged, without its value:\n%s", logs)
	}
	// The server keeps serving.
	if res := h.do(call{method: "GET", path: "/healthz"}); res.status != 200 {
		t.Fatalf("status %d after a panic", res.status)
	}
}

func TestPaging(t *testing.T) {
	tests := []struct {
		query  string
		status int
		field  string
		page   api.Page
	}{
		{"", 200, "", api.Page{Limit: 100}},
		{"?limit=1", 200, "", api.Page{Limit: 1}},
		{"?limit=1000", 200, "", api.Page{Limit: 1000}},
		{"?limit=2&nextToken=1", 200, "", api.Page{Limit: 2, NextToken: "1"}},
		{"?limit=0", 400, "limit", api.Page{}},
		{"?limit=1001", 400, "limit", api.Page{}},
		{"?limit=-5", 400, "limit", api.Page{}},
		{"?limit=ten", 400, "limit", api.Page{}},
		{"?limit=1.5", 400, "limit", api.Page{}},
		{"?nextToken=" + strings.Repeat("t", 2049), 400, "nextToken", api.Page{}},
	}
	for _, path := range []string{"/v1/tenants/demo/syncs", "/v1/tenants/demo/syncs/sched-20251130t075000z-demo/plan",
		"/v1/tenants/demo/errors", "/v1/tenants/demo/hires"} {
		for _, tt := range tests {
			t.Run(path+tt.query, func(t *testing.T) {
				h := newHarness(t)
				res := h.do(call{method: "GET", path: path + tt.query, token: adminToken(t), invalid: tt.status != 200})
				if tt.status != 200 {
					wantError(t, res, tt.status, "bad_request", tt.field)
					return
				}
				if res.status != 200 || h.b.lastPage != tt.page {
					t.Fatalf("status %d, backend page %+v, want %+v: %s", res.status, h.b.lastPage, tt.page, res.raw)
				}
			})
		}
	}

	// Walking the pages with the tokens the answers give.
	h := newHarness(t)
	var ids []any
	next := ""
	for range 5 {
		q := "?limit=1"
		if next != "" {
			q += "&nextToken=" + next
		}
		res := h.do(call{method: "GET", path: "/v1/tenants/demo/syncs" + q, token: adminToken(t)})
		ids = append(ids, at(res.body, "items", 0, "syncId"))
		if at(res.body, "nextToken") == nil {
			break
		}
		next = at(res.body, "nextToken").(string)
	}
	if fmt.Sprint(ids) != "[manual-0001 sched-20251130t075000z-demo sched-20251130t074000z-demo]" {
		t.Fatalf("pages gave %v", ids)
	}
}

func TestQueryAndPathParameters(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name, method, path, field string
	}{
		{"unknown hire state", "GET", "/v1/tenants/demo/hires?state=linked", "state"},
		{"long sync id", "GET", "/v1/tenants/demo/syncs/" + strings.Repeat("s", 257), "syncId"},
		{"control character in sync id", "GET", "/v1/tenants/demo/syncs/a%0Ab/plan", "syncId"},
		{"drift neither true nor false", "GET", "/v1/tenants/demo/syncs/manual-0001/plan?drift=yes", "drift"},
		{"empty syncId query", "GET", "/v1/tenants/demo/errors?syncId=", "syncId"},
		{"control character in user id", "DELETE", "/v1/tenants/demo/hires/u%001", "userId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.do(call{method: tt.method, path: tt.path, token: adminToken(t), invalid: true})
			wantError(t, res, 400, "bad_request", tt.field)
		})
	}
	// Release: pending is a conflict, none is 404.
	res := h.do(call{method: "DELETE", path: "/v1/tenants/demo/hires/u9", token: adminToken(t)})
	wantError(t, res, 409, "conflict", "")
	res = h.do(call{method: "DELETE", path: "/v1/tenants/demo/hires/nobody", token: adminToken(t)})
	wantError(t, res, 404, "not_found", "")
	// Trigger on a tenant that never connected.
	res = h.do(call{method: "POST", path: "/v1/tenants/acme/syncs", body: `{"dryRun":true}`, token: adminToken(t)})
	wantError(t, res, 409, "not_connected", "")
	// A run that does not exist, and its plan.
	res = h.do(call{method: "GET", path: "/v1/tenants/demo/syncs/nope/plan", token: adminToken(t)})
	wantError(t, res, 404, "not_found", "")
}

func TestSensitiveValuesNeverLeave(t *testing.T) {
	h := newHarness(t)
	res := h.do(call{method: "GET", path: "/v1/tenants/demo/syncs/sched-20251130t075000z-demo/plan", token: adminToken(t)})
	if strings.Contains(string(res.raw), "1990-") {
		t.Fatalf("a sensitive value is in the plan: %s", res.raw)
	}
	f := at(res.body, "items", 0, "fields", 2)
	if at(f, "field") != "birthDate" || at(f, "sensitive") != true || has(f, "from") || has(f, "to") {
		t.Fatalf("sensitive field rendered as %v", f)
	}
}

func TestRequestLog(t *testing.T) {
	h := newHarness(t)
	tok := adminToken(t)
	h.do(call{method: "PUT", path: "/v1/tenants/demo/connection", body: connectBody, token: tok})
	h.do(call{method: "GET", path: "/v1/tenants/Bad/connection", token: tok, invalid: true})
	logs := h.logs.String()
	for _, want := range []string{`"method":"PUT"`, `"route":"PUT /v1/tenants/{tenant}/connection"`, `"status":200`,
		`"tenant":"demo"`, `"durationMs":`, `"status":400`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	for _, secret := range []string{tok, "s3cr3t", "client-123", `"tenant":"Bad"`} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
}

// TestEngineCatalogMatchesTheSpec serves the engine's real field catalog and
// holds it to docs/openapi.yaml and to the contract's rules for labels and
// required targets.
func TestEngineCatalogMatchesTheSpec(t *testing.T) {
	h := newHarness(t)
	h.b.catalog = func() api.Catalog { return api.CatalogFrom(provision.Fields()) }
	res := h.do(call{method: "GET", path: "/v1/fields", token: tenantToken(t, "demo")})
	if res.status != 200 {
		t.Fatalf("status %d: %s", res.status, res.raw)
	}
	labels := map[string]string{"every_sync": "Every sync", "new_hire_only": "New hire only", "update_only": "Profile updates"}
	targets := at(res.body, "targets").([]any)
	if len(targets) == 0 || len(at(res.body, "sources").([]any)) == 0 {
		t.Fatalf("empty catalog: %s", res.raw)
	}
	for _, tg := range targets {
		name := at(tg, "target").(string)
		if want := labels[at(tg, "mode").(string)]; at(tg, "label") != want {
			t.Errorf("%s: label %v, want %q", name, at(tg, "label"), want)
		}
		if req := name == "firstName" || name == "lastName"; at(tg, "required") != req {
			t.Errorf("%s: required %v", name, at(tg, "required"))
		}
	}
}

// TestSettingsOptionalFields: only mappings is required in a PUT; an absent
// or null autoCreateNewHires is off and massCreateMaxPercent is the
// contract's default 20. Every mapping is answered as
// {"target","source","valueMap"}, valueMap {} when it translates nothing.
func TestSettingsOptionalFields(t *testing.T) {
	const maps = `"mappings":[{"target":"firstName","source":"firstname"},{"target":"lastName","source":"lastname","valueMap":null},` +
		`{"target":"employeeType","source":"scim.employmentType","valueMap":{"internal":"F"}}]`
	tests := []struct {
		name       string
		body       string
		autoCreate bool
		percent    int
	}{
		{"only mappings", `{` + maps + `}`, false, 20},
		{"nulls are absent", `{"autoCreateNewHires":null,"massCreateMaxPercent":null,` + maps + `}`, false, 20},
		{"auto-create without percent", `{"autoCreateNewHires":true,` + maps + `}`, true, 20},
		{"percent without auto-create", `{"massCreateMaxPercent":35,` + maps + `}`, false, 35},
		{"an explicit 0 is kept", `{"autoCreateNewHires":false,"massCreateMaxPercent":0,` + maps + `}`, false, 0},
		{"both given", `{"autoCreateNewHires":true,"massCreateMaxPercent":100,` + maps + `}`, true, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			res := h.do(call{method: "PUT", path: "/v1/tenants/demo/settings", body: tt.body, token: adminToken(t)})
			if res.status != 200 {
				t.Fatalf("status %d\n%s", res.status, res.raw)
			}
			got := h.b.lastSettings
			if got.AutoCreateNewHires != tt.autoCreate || got.MassCreateMaxPercent != tt.percent || len(got.Mappings) != 3 {
				t.Fatalf("backend got %+v, want autoCreate %v percent %d", got, tt.autoCreate, tt.percent)
			}
			if at(res.body, "autoCreateNewHires") != tt.autoCreate || at(res.body, "massCreateMaxPercent") != float64(tt.percent) {
				t.Fatalf("body %s", res.raw)
			}
			wantValueMaps(t, res, []map[string]string{{}, {}, {"internal": "F"}})
		})
	}
}

// TestSettingsValueMapAlwaysRendered: the stored defaults have no value maps;
// GET still answers valueMap {} on each mapping.
func TestSettingsValueMapAlwaysRendered(t *testing.T) {
	h := newHarness(t)
	res := h.do(call{method: "GET", path: "/v1/tenants/demo/settings", token: adminToken(t)})
	if res.status != 200 {
		t.Fatalf("status %d\n%s", res.status, res.raw)
	}
	n, _ := at(res.body, "mappings").([]any)
	if len(n) == 0 {
		t.Fatalf("no mappings: %s", res.raw)
	}
	want := make([]map[string]string, len(n))
	for i := range want {
		want[i] = map[string]string{}
	}
	wantValueMaps(t, res, want)
}

func wantValueMaps(t *testing.T, res result, want []map[string]string) {
	t.Helper()
	var doc struct {
		Mappings []struct {
			ValueMap *map[string]string `json:"valueMap"`
		} `json:"mappings"`
	}
	if err := json.Unmarshal(res.raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Mappings) != len(want) {
		t.Fatalf("%d mappings, want %d: %s", len(doc.Mappings), len(want), res.raw)
	}
	for i, m := range doc.Mappings {
		if m.ValueMap == nil || !reflect.DeepEqual(*m.ValueMap, want[i]) {
			t.Fatalf("mappings[%d].valueMap absent or null or wrong, want %v: %s", i, want[i], res.raw)
		}
	}
}

// TestLinkChecks: the body of PUT …/links/{userId} and the answers to the
// checks the backend makes (404, 409, not connected), all held to the spec.
func TestLinkChecks(t *testing.T) {
	tests := []struct {
		name, path, body string
		invalid          bool // the request breaks the spec on purpose
		status           int
		code, field      string
	}{
		{"employee not in the company", "/v1/tenants/demo/links/u2", `{"employeeId":"99999999"}`, false, 404, "not_found", "employeeId"},
		{"terminated employee", "/v1/tenants/demo/links/u2", `{"employeeId":"00001003"}`, false, 409, "conflict", "employeeId"},
		{"employee linked to another person", "/v1/tenants/demo/links/u2", `{"employeeId":"00001001"}`, false, 409, "conflict", "employeeId"},
		{"tenant not connected", "/v1/tenants/acme/links/u2", `{"employeeId":null}`, false, 409, "not_connected", ""},
		{"no employeeId", "/v1/tenants/demo/links/u2", `{}`, true, 400, "bad_request", "employeeId"},
		{"no body", "/v1/tenants/demo/links/u2", ``, true, 400, "bad_request", ""},
		{"a number", "/v1/tenants/demo/links/u2", `{"employeeId":7}`, true, 400, "bad_request", "employeeId"},
		{"blank", "/v1/tenants/demo/links/u2", `{"employeeId":"  "}`, true, 400, "bad_request", "employeeId"},
		{"an unknown field", "/v1/tenants/demo/links/u2", `{"employeeId":null,"origin":"email"}`, true, 400, "bad_request", "origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			res := h.do(call{method: "PUT", path: tt.path, body: tt.body, token: adminToken(t), invalid: tt.invalid})
			wantError(t, res, tt.status, tt.code, tt.field)
			if n := len(h.b.tenants["demo"].links); n != 3 {
				t.Fatalf("a refused link changed the links: %d", n)
			}
		})
	}
	h := newHarness(t)
	res := h.do(call{method: "DELETE", path: "/v1/tenants/demo/links/u9", token: adminToken(t)})
	wantError(t, res, 404, "not_found", "")
}

// TestRequestIDsAndMetrics: every answer carries a request id the backend
// sees too (so the audit trail can record it), a fresh one per request that
// no client can choose; and every request writes one EMF record with its
// route pattern (never the path with its ids) and status class.
func TestRequestIDsAndMetrics(t *testing.T) {
	h := newHarness(t)
	var out syncBuffer
	handler := api.New(h.b, api.HS256Authenticator{Secret: []byte(testSecret)},
		api.Options{Logger: slog.New(slog.DiscardHandler), Metrics: metrics.New(&out, "Test")})
	srv := httptest.NewServer(handler)
	defer srv.Close()

	send := func(method, path, token, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set(api.RequestIDHeader, "chosen-by-the-client")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	r1 := send("PUT", "/v1/tenants/acme/connection", adminToken(t), connectBody)
	r2 := send("GET", "/v1/tenants/demo/syncs/s1", tenantToken(t, "demo"), "")
	send("GET", "/v1/nowhere", "", "")
	h.b.fail["Runs"] = errors.New("boom")
	send("GET", "/v1/tenants/demo/syncs", adminToken(t), "")

	id1, id2 := r1.Header.Get(api.RequestIDHeader), r2.Header.Get(api.RequestIDHeader)
	if r1.StatusCode != 200 || id1 == "" || id1 == id2 || id1 == "chosen-by-the-client" {
		t.Fatalf("request ids %q and %q (status %d)", id1, id2, r1.StatusCode)
	}
	if h.b.lastRequestID != id1 {
		t.Fatalf("the backend saw request id %q, the client was answered %q", h.b.lastRequestID, id1)
	}

	pts, err := metrics.Decode(strings.NewReader(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ name, route, class string }
	got := map[key]metrics.Point{}
	for _, p := range pts {
		got[key{p.Name, p.Values[api.DimensionRoute], p.Values[api.DimensionStatusClass]}] = p
	}
	for _, want := range []key{
		{api.MetricRequests, "PUT /v1/tenants/{tenant}/connection", "2xx"},
		{api.MetricRequests, "", "2xx"},
		{api.MetricRequests, "GET /v1/tenants/{tenant}/syncs/{syncId}", "4xx"},
		{api.MetricRequests, "unmatched", "4xx"},
		{api.MetricRequests, "GET /v1/tenants/{tenant}/syncs", "5xx"},
		{api.MetricRequests, "", "5xx"},
		{api.MetricRequestLatency, "GET /v1/tenants/{tenant}/syncs", ""},
	} {
		p, ok := got[want]
		if !ok {
			t.Errorf("no %+v among %d points", want, len(pts))
			continue
		}
		if want.name == api.MetricRequests && (p.Unit != metrics.Count || p.Value != 1) {
			t.Errorf("%+v: %v %s", want, p.Value, p.Unit)
		}
		if want.name == api.MetricRequestLatency && p.Unit != metrics.Milliseconds {
			t.Errorf("%+v: unit %s", want, p.Unit)
		}
	}
	// The tenant and the request id are properties, never dimensions.
	p := got[key{api.MetricRequests, "PUT /v1/tenants/{tenant}/connection", "2xx"}]
	if p.Record["tenant"] != "acme" || p.Record["requestId"] != id1 {
		t.Errorf("properties %v", p.Record)
	}
	for _, p := range pts {
		for _, d := range p.Dimensions {
			if d != api.DimensionRoute && d != api.DimensionStatusClass {
				t.Errorf("dimension %s on %s", d, p.Name)
			}
		}
	}
}
