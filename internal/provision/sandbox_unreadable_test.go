package provision_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"trinetsync/internal/leapsome"
	"trinetsync/internal/provision"
	trinetsb "trinetsync/internal/sandbox/trinet"
)

// oddLeapsome serves fixed Leapsome bodies with values of the wrong type,
// which the Leapsome sandbox refuses to store.
func oddLeapsome(t *testing.T, employees, scimUsers, locations string) *httptest.Server {
	t.Helper()
	bodies := map[string]string{
		"/v1/token":          `{"token":"tok","expiresIn":18000}`,
		"/v1/employees":      `{"data":[` + employees + `],"meta":{"page":1,"pageSize":1000}}`,
		"/v1/work-locations": `{"data":[` + locations + `],"meta":{"page":1,"pageSize":1000}}`,
		"/scim/v1/Users":     `{"Resources":[` + scimUsers + `]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestSandboxUnreadableLeapsomeData: over HTTP, Leapsome sends a title and
// a custom attribute of the wrong type and two records it cannot use. The
// people still sync without those values, and the admins get one warning
// per person and field plus the tenant-level warnings, none quoting a value.
func TestSandboxUnreadableLeapsomeData(t *testing.T) {
	w := newWorld(t)
	const secret = "CC-SECRET-7"
	ada, grace := hexID(1), hexID(2)
	start := w.clock.Now().Format(time.DateOnly)
	person := func(id, first, email, extra string) string {
		return `{"id":"` + id + `","email":"` + email + `","firstname":"` + first + `","lastname":"Test","status":"active",
			"lifecycleStatus":"active","startDate":"` + start + `","phone":"+14155550100",
			"departments":[{"id":"d1","name":"Engineering"}],"workLocation":{"id":"` + w.wlSF + `","name":"San Francisco"}` + extra + `}`
	}
	scim := func(id string) string {
		return `{"id":"` + id + `","active":true,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"gender":"female","birthday":"1990-12-10"}}`
	}
	srv := oddLeapsome(t,
		person(ada, "Ada", "ada@example.com", `,"title":{"text":"`+secret+`"}`)+","+
			person(grace, "Grace", "grace@example.com", `,"title":"Engineer","customAttributes":{"Cost center":["`+secret+`"]}`)+
			`,{"email":"ghost@example.com"},42`,
		scim(ada)+","+scim(grace),
		`{"id":"`+w.wlSF+`","name":"San Francisco","country":"United States"}`)
	var err error
	w.people, err = leapsome.New(leapsome.Config{BaseURL: srv.URL + "/v1", SCIMURL: srv.URL + "/scim/v1",
		APISecret: "ls-secret", SCIMToken: "scim-token", Now: w.clock.Now, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
	must(t, err)
	_, err = w.tn.PutEmployee(co, trinetsb.Employee{ID: "00000100", FirstName: "Grace", LastName: "Test", Gender: "F", BirthDate: "1990-12-10",
		Country: "US", StartDate: "2020-01-06", Title: "Engineer", WorkEmail: "grace@example.com", WorkPhone: "+14155550100",
		LocationID: "SF1", DeptID: "D100", CustomGroupA: "old", ApprovalStatus: "A"})
	must(t, err)

	res := w.run(settings())
	if it := item(res, ada); it.Action != provision.ActionCreate {
		t.Fatalf("ada %+v %+v", it, res.Issues)
	}
	if it := item(res, grace); it.Action != provision.ActionLink {
		t.Fatalf("grace %+v %+v", it, res.Issues)
	}
	type key struct{ user, code, field string }
	got := map[key]provision.Issue{}
	for _, is := range res.Issues {
		if is.Code == provision.CodeUnreadableValue || is.Code == provision.CodeUnreadableRecord {
			got[key{is.UserID, is.Code, is.Field}] = is
		}
	}
	want := []key{
		{ada, provision.CodeUnreadableValue, "jobTitle"},
		{grace, provision.CodeUnreadableValue, "customGroupA"},
		{"", provision.CodeUnreadableRecord, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("unreadable issues %+v", got)
	}
	for _, k := range want {
		is, ok := got[k]
		if !ok || is.Severity != provision.SeverityWarning {
			t.Errorf("no warning %+v in %+v", k, got)
		}
	}
	if is := got[want[0]]; is.Email != "ada@example.com" || is.Name != "Ada Test" || !strings.Contains(is.Message, "job title") {
		t.Errorf("ada's warning %+v", is)
	}
	tenantWarnings := 0
	for _, is := range res.Issues {
		if is.UserID == "" {
			tenantWarnings++
		}
	}
	if tenantWarnings != 2 { // one record without an id, one not an object
		t.Errorf("tenant-level issues %d: %+v", tenantWarnings, res.Issues)
	}
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), secret) {
		t.Fatalf("the result quotes an unreadable value: %s", b)
	}
	if res.Counts.Warnings < 4 || res.ErrorPeople != 0 {
		t.Errorf("counts %+v error people %d", res.Counts, res.ErrorPeople)
	}
	// The values read as absent were not written: no title in the hire, the
	// cost center untouched.
	hired := false
	for _, e := range w.tn.Employees(co) {
		switch {
		case e.WorkEmail == "ada@example.com":
			hired = true
			if e.Title != "" || e.FirstName != "Ada" {
				t.Errorf("hire %+v", e)
			}
		case e.ID == "00000100" && e.CustomGroupA != "old":
			t.Errorf("grace %+v", e)
		}
	}
	if !hired {
		t.Error("ada was not hired")
	}
	if n := w.tn.Calls(co)["hire"]; n != 1 {
		t.Errorf("hires %d", n)
	}
}
