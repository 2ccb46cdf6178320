package trinet

import (
	"net/http"
	"testing"
)

func TestUpdates(t *testing.T) {
	base := Employee{
		ID: "00000042", Status: "A", FirstName: "Ada", MiddleName: "K", LastName: "Lovelace",
		Gender: "F", BirthDate: "1990-12-10", Ethnicity: "WHITE", MaritalStatus: "S", Country: "US",
		StartDate: "2024-01-08", Title: "Engineer", EmployeeType: "F", FLSACode: "T", StandardHours: "40",
		WorkEmail: "ada@example.com", WorkPhone: "+14155550100", CustomGroupA: "A1", CustomGroupB: "B1",
		LocationID: "SF1", DeptID: "D100", Address1: "1 Main St",
	}
	const eff = "2026-03-10"
	cases := []struct {
		name     string
		endpoint string
		body     any
		field    string // "" = accepted
		message  string // expected message for field, when set
		apply    func(*Employee)
	}{
		// names: always the whole name, PRI only.
		{name: "names", endpoint: "names",
			body:  map[string]any{"effectiveDate": eff, "nameType": "PRI", "firstName": "Augusta", "middleName": "", "lastName": "King"},
			apply: func(e *Employee) { e.FirstName, e.MiddleName, e.LastName = "Augusta", "", "King" }},
		{name: "names without middle keeps it", endpoint: "names",
			body:  map[string]any{"effectiveDate": eff, "nameType": "PRI", "firstName": "Augusta", "lastName": "King"},
			apply: func(e *Employee) { e.FirstName, e.LastName = "Augusta", "King" }},
		{name: "names other type", endpoint: "names",
			body:  map[string]any{"effectiveDate": eff, "nameType": "LEG", "firstName": "A", "lastName": "K"},
			field: "nameType"},
		{name: "names primary spelled as in lists", endpoint: "names",
			body:  map[string]any{"effectiveDate": eff, "nameType": "primary", "firstName": "A", "lastName": "K"},
			field: "nameType"},
		{name: "names no type", endpoint: "names",
			body:  map[string]any{"effectiveDate": eff, "firstName": "A", "lastName": "K"},
			field: "nameType"},
		{name: "names no last name", endpoint: "names",
			body:  map[string]any{"effectiveDate": eff, "nameType": "PRI", "firstName": "A"},
			field: "lastName"},
		{name: "names blank first name", endpoint: "names",
			body:  map[string]any{"effectiveDate": eff, "nameType": "PRI", "firstName": "", "lastName": "K"},
			field: "firstName"},
		{name: "names no effective date", endpoint: "names",
			body:  map[string]any{"nameType": "PRI", "firstName": "A", "lastName": "K"},
			field: "effectiveDate"},
		{name: "names bad effective date", endpoint: "names",
			body:  map[string]any{"effectiveDate": "10.03.2026", "nameType": "PRI", "firstName": "A", "lastName": "K"},
			field: "effectiveDate"},

		// personals: only the fields present change.
		{name: "personals gender only", endpoint: "personals",
			body:  map[string]any{"effectiveDate": eff, "gender": "M"},
			apply: func(e *Employee) { e.Gender = "M" }},
		{name: "personals all", endpoint: "personals",
			body: map[string]any{"effectiveDate": eff, "gender": "M", "birthDate": "1991-01-02", "ethnicity": "TWO",
				"country": "CA", "maritalStatus": "M"},
			apply: func(e *Employee) {
				e.Gender, e.BirthDate, e.Ethnicity, e.Country, e.MaritalStatus = "M", "1991-01-02", "TWO", "CA", "M"
			}},
		{name: "personals gender X", endpoint: "personals", body: map[string]any{"effectiveDate": eff, "gender": "X"}, field: "gender"},
		{name: "personals ethnicity", endpoint: "personals", body: map[string]any{"effectiveDate": eff, "ethnicity": "OTHER"}, field: "ethnicity"},
		{name: "personals country", endpoint: "personals", body: map[string]any{"effectiveDate": eff, "country": "Canada"}, field: "country"},
		{name: "personals marital", endpoint: "personals", body: map[string]any{"effectiveDate": eff, "maritalStatus": "X"}, field: "maritalStatus"},
		{name: "personals birth date", endpoint: "personals", body: map[string]any{"effectiveDate": eff, "birthDate": "1990-13-01"}, field: "birthDate"},
		{name: "personals SSN", endpoint: "personals", body: map[string]any{"effectiveDate": eff, "nationalId": "123456789"},
			field: "nationalId", message: "not updatable via API"},
		{name: "personals nothing", endpoint: "personals", body: map[string]any{"effectiveDate": eff}, field: "body"},
		{name: "personals no effective date", endpoint: "personals", body: map[string]any{"gender": "M"}, field: "effectiveDate"},

		// jobs.
		{name: "jobs all", endpoint: "jobs",
			body: map[string]any{"effectiveDate": eff, "businessTitle": "Staff Engineer", "deptId": "D200", "workPhone": "+1 415 555 0199",
				"employeeTransfer": map[string]any{"locationId": "TO1"},
				"optionalGrouping": map[string]any{"groupA": "A2", "groupB": ""}},
			apply: func(e *Employee) {
				e.Title, e.DeptID, e.WorkPhone, e.LocationID, e.CustomGroupA, e.CustomGroupB =
					"Staff Engineer", "D200", "+1 415 555 0199", "TO1", "A2", ""
			}},
		{name: "jobs group B only", endpoint: "jobs",
			body:  map[string]any{"effectiveDate": eff, "optionalGrouping": map[string]any{"groupB": "B2"}},
			apply: func(e *Employee) { e.CustomGroupB = "B2" }},
		{name: "jobs unknown dept", endpoint: "jobs", body: map[string]any{"effectiveDate": eff, "deptId": "D999"}, field: "deptId"},
		{name: "jobs unknown location", endpoint: "jobs",
			body: map[string]any{"effectiveDate": eff, "employeeTransfer": map[string]any{"locationId": "XX"}}, field: "employeeTransfer.locationId"},
		{name: "jobs empty transfer", endpoint: "jobs",
			body: map[string]any{"effectiveDate": eff, "employeeTransfer": map[string]any{}}, field: "body"},
		{name: "jobs no effective date", endpoint: "jobs", body: map[string]any{"businessTitle": "X"}, field: "effectiveDate"},
		{name: "jobs unknown field", endpoint: "jobs", body: map[string]any{"effectiveDate": eff, "title": "X"}, field: "title", message: "unknown field"},
	}
	// New-hire-only data has no update call.
	for _, field := range []string{"managerId", "supervisorId", "jobReclassification", "workEmail", "startDate",
		"standardHours", "employeeType", "flsaCode", "address1", "address2", "city", "state", "postalCode", "homeContact"} {
		var value any = "X"
		if field == "jobReclassification" || field == "homeContact" {
			value = map[string]any{"x": "y"}
		}
		cases = append(cases, struct {
			name     string
			endpoint string
			body     any
			field    string
			message  string
			apply    func(*Employee)
		}{name: "jobs " + field, endpoint: "jobs",
			body:  map[string]any{"effectiveDate": eff, "businessTitle": "Ok", field: value},
			field: field, message: "not updatable via API"})
	}
	cases = append(cases, []struct {
		name     string
		endpoint string
		body     any
		field    string
		message  string
		apply    func(*Employee)
	}{
		{name: "names malformed", endpoint: "names", body: `{"effectiveDate":`, field: "body"},
		{name: "jobs not an object", endpoint: "jobs", body: `"title"`, field: "body"},
	}...)

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.seed(coA, base)
			prefix := "/v1/identity/" + coA + "/"
			if tc.endpoint == "jobs" {
				prefix = "/v1/manage-employee/" + coA + "/"
			}
			r := f.must(http.MethodPut, prefix+base.ID+"/"+tc.endpoint, bearer(f.token(idA, secretA)), tc.body)
			got, _ := f.sb.Employee(coA, base.ID)
			if tc.field != "" {
				if r.status != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", r.status, r.raw)
				}
				if !contains(r.fields(), tc.field) {
					t.Errorf("errors %v do not name %s", r.fields(), tc.field)
				}
				if tc.message != "" && r.errorMessage(tc.field) != tc.message {
					t.Errorf("message %q, want %q", r.errorMessage(tc.field), tc.message)
				}
				if got != base {
					t.Errorf("a rejected update changed the employee: %+v", got)
				}
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			want := base
			tc.apply(&want)
			if got != want {
				t.Errorf("after update\n%+v\nwant\n%+v", got, want)
			}
			if w := f.sb.Writes(coA); len(w) != 1 || w[0].Endpoint != tc.endpoint || w[0].Status != http.StatusOK {
				t.Errorf("writes %+v", w)
			}
		})
	}
}

func TestUpdateUnknownOrPending(t *testing.T) {
	f := newFixture(t)
	pending := f.seed(coA, Employee{FirstName: "P", LastName: "Q", ApprovalStatus: "I", StartDate: f.today(0)})
	active := f.seed(coA, Employee{FirstName: "A", LastName: "B", StartDate: "2020-01-01"})
	tok := f.token(idA, secretA)
	bodies := map[string]map[string]any{
		"names":     {"effectiveDate": "2026-03-10", "nameType": "PRI", "firstName": "X", "lastName": "Y"},
		"personals": {"effectiveDate": "2026-03-10", "gender": "M"},
		"jobs":      {"effectiveDate": "2026-03-10", "businessTitle": "T"},
	}
	path := func(endpoint, id string) string {
		if endpoint == "jobs" {
			return "/v1/manage-employee/" + coA + "/" + id + "/jobs"
		}
		return "/v1/identity/" + coA + "/" + id + "/" + endpoint
	}
	for endpoint, body := range bodies {
		for _, tc := range []struct {
			who    string
			id     string
			status int
		}{
			{"unknown", "99999999", http.StatusNotFound},
			{"pending", pending.ID, http.StatusNotFound},
			{"active", active.ID, http.StatusOK},
		} {
			t.Run(endpoint+" "+tc.who, func(t *testing.T) {
				r := f.must(http.MethodPut, path(endpoint, tc.id), bearer(tok), body)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
				}
			})
		}
	}
	if e, _ := f.sb.Employee(coA, pending.ID); e.FirstName != "P" || e.Gender != "" {
		t.Errorf("pending hire changed: %+v", e)
	}
	// Once approved, the hire can be updated.
	if err := f.sb.Approve(coA, pending.ID); err != nil {
		t.Fatal(err)
	}
	if r := f.must(http.MethodPut, path("personals", pending.ID), bearer(tok), bodies["personals"]); r.status != http.StatusOK {
		t.Fatalf("approved hire: status %d", r.status)
	}
}
