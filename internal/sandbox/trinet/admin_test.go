package trinet

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAdminHTTP(t *testing.T) {
	f := newFixture(t)
	adm := func(method, path string, body any) *reply {
		t.Helper()
		return f.must(method, "/_admin"+path, nil, body)
	}
	expect := func(r *reply, status int) {
		t.Helper()
		if r.status != status {
			t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
		}
	}

	// Companies.
	expect(adm(http.MethodPost, "/companies", map[string]any{
		"id": "NEW", "name": "New Co", "clientId": "new-client", "clientSecret": "new-secret-value",
		"departments": []map[string]string{{"id": "D1", "name": "Ops"}},
		"locations":   []map[string]string{{"id": "L1", "name": "Berlin", "country": "DE"}},
	}), http.StatusCreated)
	expect(adm(http.MethodPost, "/companies", map[string]any{"id": "NEW", "clientId": "x", "clientSecret": "y"}), http.StatusBadRequest)
	expect(adm(http.MethodPost, "/companies", map[string]any{"id": "X", "bogus": 1}), http.StatusBadRequest)
	r := adm(http.MethodGet, "/companies", nil)
	expect(r, http.StatusOK)
	if strings.Contains(string(r.raw), "secret-value") {
		t.Errorf("company list leaks a secret: %s", r.raw)
	}
	var cos []struct{ ID string }
	r.data(t, &cos)
	if len(cos) != 3 || cos[0].ID != coB || cos[1].ID != coA || cos[2].ID != "NEW" {
		t.Errorf("companies %+v", cos)
	}
	// The new company works through the API with its own credentials.
	tok := f.token("new-client", "new-secret-value")
	if r := f.must(http.MethodGet, "/v1/company/NEW/locations", bearer(tok), nil); r.status != 200 || !strings.Contains(string(r.raw), "Berlin") {
		t.Fatalf("new company locations: %d %s", r.status, r.raw)
	}

	// Employees: create, partial edit, read, approve.
	r = adm(http.MethodPost, "/companies/NEW/employees", map[string]any{"firstName": "Ada", "lastName": "L", "approvalStatus": "I", "startDate": "2026-01-01"})
	expect(r, http.StatusCreated)
	var e struct{ ID, FirstName, LastName, Title, Status, ApprovalStatus string }
	r.data(t, &e)
	if e.ID != "00000001" || e.Status != "A" {
		t.Fatalf("created %+v", e)
	}
	r = adm(http.MethodPut, "/companies/NEW/employees/"+e.ID, map[string]any{"title": "Boss"})
	expect(r, http.StatusOK)
	r.data(t, &e)
	if e.Title != "Boss" || e.FirstName != "Ada" {
		t.Errorf("partial edit lost fields: %+v", e)
	}
	expect(adm(http.MethodPut, "/companies/NEW/employees/"+e.ID, map[string]any{"nope": "x"}), http.StatusBadRequest)
	expect(adm(http.MethodPut, "/companies/NEW/employees/00000077", map[string]any{"firstName": "Seeded"}), http.StatusOK)
	if got, found := f.sb.Employee("NEW", "00000077"); !found || got.FirstName != "Seeded" {
		t.Errorf("PUT did not create: %+v", got)
	}
	expect(adm(http.MethodGet, "/companies/NEW/employees/99999999", nil), http.StatusNotFound)
	expect(adm(http.MethodPost, "/companies/NEW/employees/99999999/approve", nil), http.StatusNotFound)
	expect(adm(http.MethodPost, "/companies/NEW/employees/"+e.ID+"/approve", nil), http.StatusOK)
	r = adm(http.MethodGet, "/companies/NEW/employees/"+e.ID, nil)
	r.data(t, &e)
	if e.ApprovalStatus != "A" {
		t.Errorf("not approved: %+v", e)
	}
	var list []struct{ ID string }
	adm(http.MethodGet, "/companies/NEW/employees", nil).data(t, &list)
	if len(list) != 2 || list[0].ID != "00000001" || list[1].ID != "00000077" {
		t.Errorf("employees %+v", list)
	}

	// Writes and calls.
	f.must(http.MethodPut, "/v1/manage-employee/NEW/"+e.ID+"/jobs", bearer(tok), map[string]any{"effectiveDate": "2026-03-10", "businessTitle": "CTO"})
	var writes []struct {
		Method, Endpoint string
		Status           int
		Body             map[string]any
	}
	adm(http.MethodGet, "/companies/NEW/writes", nil).data(t, &writes)
	if len(writes) != 1 || writes[0].Endpoint != "jobs" || writes[0].Status != 200 || writes[0].Body["businessTitle"] != "CTO" {
		t.Errorf("writes %+v", writes)
	}
	var calls map[string]int
	adm(http.MethodGet, "/companies/NEW/calls", nil).data(t, &calls)
	if calls["token"] != 1 || calls["locations"] != 1 || calls["jobs"] != 1 {
		t.Errorf("calls %v", calls)
	}
	expect(adm(http.MethodPost, "/companies/NEW/reset-counters", nil), http.StatusOK)
	var after map[string]int
	adm(http.MethodGet, "/companies/NEW/calls", nil).data(t, &after)
	if len(after) != 0 {
		t.Errorf("calls after reset %v", after)
	}

	// Faults.
	r = adm(http.MethodPut, "/companies/NEW/faults", map[string]any{"throttle": 1, "retryAfter": 3, "latency": "1ms", "endpoint": "locations"})
	expect(r, http.StatusOK)
	var fj struct {
		Latency              string
		Throttle, RetryAfter int
		Endpoint             string
	}
	r.data(t, &fj)
	if fj.Latency != "1ms" || fj.Throttle != 1 || fj.RetryAfter != 3 || fj.Endpoint != "locations" {
		t.Errorf("faults %+v", fj)
	}
	if r := f.must(http.MethodGet, "/v1/company/NEW/locations", bearer(tok), nil); r.status != 429 || r.header.Get("Retry-After") != "3" {
		t.Errorf("throttle via admin: %d", r.status)
	}
	expect(adm(http.MethodPut, "/companies/NEW/faults", map[string]any{"latency": 250}), http.StatusOK)
	f.sb.mu.Lock()
	lat := f.sb.companies["NEW"].faults.Latency
	f.sb.mu.Unlock()
	if lat != 250*time.Millisecond {
		t.Errorf("latency in ms: %v", lat)
	}
	expect(adm(http.MethodPut, "/companies/NEW/faults", map[string]any{"latency": "soon"}), http.StatusBadRequest)
	expect(adm(http.MethodPut, "/companies/NEW/faults", map[string]any{"drop": -1}), http.StatusBadRequest)
	expect(adm(http.MethodPut, "/companies/NEW/faults", map[string]any{}), http.StatusOK)

	// Tokens.
	expect(adm(http.MethodPost, "/expire-tokens", nil), http.StatusOK)
	if r := f.must(http.MethodGet, "/v1/company/NEW/locations", bearer(tok), nil); r.status != http.StatusUnauthorized {
		t.Errorf("token after expire-tokens: %d", r.status)
	}

	// Routing.
	expect(adm(http.MethodGet, "/companies/ZZZ/employees", nil), http.StatusNotFound)
	expect(adm(http.MethodGet, "/nothing", nil), http.StatusNotFound)
	r = adm(http.MethodDelete, "/companies", nil)
	expect(r, http.StatusMethodNotAllowed)
	if r.header.Get("Allow") != "GET, POST" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
}

// An employee an admin removes is no longer listed, cannot be a supervisor,
// and its id is never given to anyone else.
func TestAdminRemoveEmployee(t *testing.T) {
	f := newFixture(t)
	boss := f.seed(coA, Employee{FirstName: "Grace", LastName: "Hopper", StartDate: f.today(-400), ApprovalStatus: "A"})
	adm := func(method, path string) *reply {
		t.Helper()
		return f.must(method, "/_admin/companies/"+coA+"/employees/"+path, nil, nil)
	}
	if r := adm(http.MethodDelete, boss.ID); r.status != http.StatusOK {
		t.Fatalf("remove: %d %s", r.status, r.raw)
	}
	if r := adm(http.MethodDelete, boss.ID); r.status != http.StatusNotFound {
		t.Fatalf("second remove: %d, want 404", r.status)
	}
	if r := adm(http.MethodGet, boss.ID); r.status != http.StatusNotFound {
		t.Fatalf("read after remove: %d, want 404", r.status)
	}
	tok := f.token(idA, secretA)
	r := f.must(http.MethodGet, "/v1/company/"+coA+"/employees?viewType=All&offset=1&limit=100", bearer(tok), nil)
	if strings.Contains(string(r.raw), `"employeeId":"`+boss.ID+`"`) {
		t.Fatalf("the removed employee is still listed: %s", r.raw)
	}
	body := f.hireBody()
	setPath(body, "employmentInfo.supervisorId", boss.ID)
	if r := f.must(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(tok), body); r.status != http.StatusBadRequest {
		t.Fatalf("hire under the removed supervisor: %d %s, want 400", r.status, r.raw)
	}
	if next := f.seed(coA, Employee{FirstName: "New", LastName: "One"}); next.ID == boss.ID {
		t.Fatalf("the removed id %s was given out again", boss.ID)
	}
}
