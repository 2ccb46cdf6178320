package trinet

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestWritesAndCalls(t *testing.T) {
	f := newFixture(t)
	emp := f.seed(coA, Employee{FirstName: "A", LastName: "B", StartDate: "2020-01-01"})
	tok := f.token(idA, secretA)
	f.must(http.MethodGet, "/oauth/accesstoken?grant_type=client_credentials", basic(idA, "wrong"), nil)
	auth := bearer(tok)
	f.must(http.MethodGet, "/v1/manage-company/"+coA+"/org-details", auth, nil)
	f.must(http.MethodGet, "/v1/company/"+coA+"/departments", auth, nil)
	f.must(http.MethodGet, "/v1/company/"+coA+"/locations", auth, nil)
	f.must(http.MethodGet, "/v1/company/"+coA+"/employees?viewType=All", auth, nil)
	f.must(http.MethodGet, "/v1/company/"+coA+"/employees?viewType=All&offset=101", auth, nil)
	f.clock.Add(time.Second)
	f.must(http.MethodPost, "/v1/hire/"+coA+"/employees", auth, f.hireBody())
	f.must(http.MethodPost, "/v1/hire/"+coA+"/employees", auth, `not json`)
	f.must(http.MethodPut, "/v1/identity/"+coA+"/"+emp.ID+"/names", auth,
		map[string]any{"effectiveDate": "2026-03-10", "nameType": "PRI", "firstName": "C", "lastName": "D"})
	f.must(http.MethodPut, "/v1/identity/"+coA+"/"+emp.ID+"/personals", nil, map[string]any{"effectiveDate": "2026-03-10", "gender": "M"})
	f.must(http.MethodPut, "/v1/manage-employee/"+coA+"/"+emp.ID+"/jobs", auth, map[string]any{"effectiveDate": "2026-03-10", "businessTitle": "T"})
	f.must(http.MethodPut, "/v1/hire/"+coA+"/employees", auth, map[string]any{})

	wantCalls := map[string]int{
		"token": 2, "org-details": 1, "departments": 1, "locations": 1, "employees": 2,
		"hire": 3, "names": 1, "personals": 1, "jobs": 1,
	}
	if got := f.sb.Calls(coA); !equalJSON(t, got, wantCalls) {
		t.Errorf("calls %v, want %v", got, wantCalls)
	}
	if got := f.sb.Calls(coB); len(got) != 0 {
		t.Errorf("other company's calls %v", got)
	}

	w := f.sb.Writes(coA)
	want := []struct {
		method, path, endpoint string
		status                 int
	}{
		{"POST", "/v1/hire/" + coA + "/employees", "hire", 200},
		{"POST", "/v1/hire/" + coA + "/employees", "hire", 400},
		{"PUT", "/v1/identity/" + coA + "/" + emp.ID + "/names", "names", 200},
		{"PUT", "/v1/identity/" + coA + "/" + emp.ID + "/personals", "personals", 401},
		{"PUT", "/v1/manage-employee/" + coA + "/" + emp.ID + "/jobs", "jobs", 200},
		{"PUT", "/v1/hire/" + coA + "/employees", "hire", 405},
	}
	if len(w) != len(want) {
		t.Fatalf("%d writes, want %d: %+v", len(w), len(want), w)
	}
	for i, wt := range want {
		if w[i].Method != wt.method || w[i].Path != wt.path || w[i].Endpoint != wt.endpoint || w[i].Status != wt.status {
			t.Errorf("write %d = %s %s %s %d, want %+v", i, w[i].Method, w[i].Path, w[i].Endpoint, w[i].Status, wt)
		}
		if !w[i].At.Equal(epoch.Add(time.Second)) {
			t.Errorf("write %d at %v", i, w[i].At)
		}
	}
	var hire map[string]any
	if err := json.Unmarshal(w[0].Body, &hire); err != nil || hire["approvalStatus"] != "I" {
		t.Errorf("hire body %s", w[0].Body)
	}
	// A body that is not JSON is kept as a JSON string.
	var text string
	if err := json.Unmarshal(w[1].Body, &text); err != nil || text != "not json" {
		t.Errorf("raw body %s", w[1].Body)
	}
	if _, err := json.Marshal(w); err != nil {
		t.Errorf("writes do not marshal: %v", err)
	}

	f.sb.ResetCounters(coA)
	if len(f.sb.Calls(coA)) != 0 || len(f.sb.Writes(coA)) != 0 {
		t.Errorf("after reset: calls %v, writes %d", f.sb.Calls(coA), len(f.sb.Writes(coA)))
	}
	if len(f.sb.Employees(coA)) != 2 {
		t.Errorf("reset touched the employees")
	}
}

func TestGoAPIUnknownCompany(t *testing.T) {
	sb := New(Options{})
	if _, err := sb.PutEmployee("nope", Employee{}); err == nil {
		t.Error("PutEmployee accepted an unknown company")
	}
	if err := sb.Approve("nope", "1"); err == nil {
		t.Error("Approve accepted an unknown company")
	}
	if _, found := sb.Employee("nope", "1"); found {
		t.Error("Employee found in an unknown company")
	}
	if sb.Employees("nope") != nil || sb.Writes("nope") != nil || len(sb.Calls("nope")) != 0 {
		t.Error("unknown company has data")
	}
	sb.SetFaults("nope", Faults{Throttle: 1}) // must not panic
	sb.ResetCounters("nope")
}

func TestPutEmployeeDefaultsAndApprove(t *testing.T) {
	f := newFixture(t)
	e := f.seed(coA, Employee{FirstName: "A", LastName: "B", ApprovalStatus: "I"})
	if e.ID != "00000001" || e.Status != "A" {
		t.Errorf("stored %+v", e)
	}
	e.Title = "Edited"
	f.seed(coA, e)
	if got, _ := f.sb.Employee(coA, e.ID); got.Title != "Edited" || len(f.sb.Employees(coA)) != 1 {
		t.Errorf("edit did not replace: %+v", got)
	}
	if err := f.sb.Approve(coA, "99999999"); err == nil {
		t.Error("approved an unknown employee")
	}
	if err := f.sb.Approve(coA, e.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.sb.Employee(coA, e.ID); got.ApprovalStatus != "A" {
		t.Errorf("approval %q", got.ApprovalStatus)
	}
}
