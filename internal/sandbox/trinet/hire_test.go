package trinet

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestHireValidation(t *testing.T) {
	f := newFixture(t)
	pendingBoss := f.seed(coA, Employee{FirstName: "Pending", LastName: "Boss", ApprovalStatus: "I", StartDate: f.today(9)})
	activeBoss := f.seed(coA, Employee{FirstName: "Grace", LastName: "Hopper", StartDate: "2020-01-01"})
	tok := f.token(idA, secretA)

	type edit struct {
		path  string
		value any // nil deletes
	}
	cases := []struct {
		name  string
		edits []edit
		raw   string // sent instead of the JSON body when set
		field string // "" = accepted
	}{
		{name: "profile example"},
		// The 3-day rule, on UTC dates.
		{name: "start today", edits: []edit{{"employmentInfo.startDate", f.today(0)}}},
		{name: "start 3 days ago", edits: []edit{{"employmentInfo.startDate", f.today(-3)}}},
		{name: "start 4 days ago", edits: []edit{{"employmentInfo.startDate", f.today(-4)}}, field: "employmentInfo.startDate"},
		{name: "start a year ago", edits: []edit{{"employmentInfo.startDate", f.today(-365)}}, field: "employmentInfo.startDate"},
		{name: "start in the future", edits: []edit{{"employmentInfo.startDate", f.today(60)}}},
		{name: "no start date", edits: []edit{{"employmentInfo.startDate", nil}}, field: "employmentInfo.startDate"},
		{name: "blank start date", edits: []edit{{"employmentInfo.startDate", ""}}, field: "employmentInfo.startDate"},
		{name: "no employment info", edits: []edit{{"employmentInfo", nil}}, field: "employmentInfo.startDate"},
		{name: "start date not padded", edits: []edit{{"employmentInfo.startDate", "2027-3-1"}}, field: "employmentInfo.startDate"},
		{name: "start date impossible", edits: []edit{{"employmentInfo.startDate", "2027-02-30"}}, field: "employmentInfo.startDate"},
		{name: "start date US format", edits: []edit{{"employmentInfo.startDate", "03/10/2026"}}, field: "employmentInfo.startDate"},
		// Gender: M or F only, when sent.
		{name: "gender M", edits: []edit{{"biographicalInfo.gender", "M"}}},
		{name: "gender F", edits: []edit{{"biographicalInfo.gender", "F"}}},
		{name: "gender absent", edits: []edit{{"biographicalInfo.gender", nil}}},
		{name: "gender X", edits: []edit{{"biographicalInfo.gender", "X"}}, field: "biographicalInfo.gender"},
		{name: "gender lower case", edits: []edit{{"biographicalInfo.gender", "f"}}, field: "biographicalInfo.gender"},
		{name: "gender word", edits: []edit{{"biographicalInfo.gender", "Female"}}, field: "biographicalInfo.gender"},
		{name: "gender blank", edits: []edit{{"biographicalInfo.gender", ""}}, field: "biographicalInfo.gender"},
		{name: "gender number", edits: []edit{{"biographicalInfo.gender", 1}}, field: "biographicalInfo.gender"},
		// Names.
		{name: "no first name", edits: []edit{{"name.firstName", nil}}, field: "name.firstName"},
		{name: "blank first name", edits: []edit{{"name.firstName", "  "}}, field: "name.firstName"},
		{name: "no last name", edits: []edit{{"name.lastName", nil}}, field: "name.lastName"},
		{name: "no name", edits: []edit{{"name", nil}}, field: "name.lastName"},
		{name: "no middle name", edits: []edit{{"name.middleName", nil}}},
		// References must exist in the company.
		{name: "active supervisor", edits: []edit{{"employmentInfo.supervisorId", activeBoss.ID}}},
		{name: "pending supervisor", edits: []edit{{"employmentInfo.supervisorId", pendingBoss.ID}}},
		{name: "unknown supervisor", edits: []edit{{"employmentInfo.supervisorId", "99999999"}}, field: "employmentInfo.supervisorId"},
		{name: "unknown location", edits: []edit{{"employmentInfo.locationId", "XX9"}}, field: "employmentInfo.locationId"},
		{name: "unknown department", edits: []edit{{"employmentInfo.homeDepartment.deptId", "D999"}}, field: "employmentInfo.homeDepartment.deptId"},
		{name: "no location nor department", edits: []edit{{"employmentInfo.locationId", nil}, {"employmentInfo.homeDepartment", nil}}},
		// Code tables.
		{name: "ethnicity code", edits: []edit{{"biographicalInfo.ethnicity", "ASIAN"}}},
		{name: "ethnicity word", edits: []edit{{"biographicalInfo.ethnicity", "Asian"}}, field: "biographicalInfo.ethnicity"},
		{name: "employee type P", edits: []edit{{"employmentInfo.employeeType", "P"}}},
		{name: "employee type X", edits: []edit{{"employmentInfo.employeeType", "X"}}, field: "employmentInfo.employeeType"},
		{name: "flsa Z", edits: []edit{{"employmentInfo.compliance.flsaCode", "Z"}}},
		{name: "flsa E", edits: []edit{{"employmentInfo.compliance.flsaCode", "E"}}, field: "employmentInfo.compliance.flsaCode"},
		{name: "regular/temporary X", edits: []edit{{"employmentInfo.regularTemporary", "X"}}, field: "employmentInfo.regularTemporary"},
		{name: "reason REH", edits: []edit{{"employmentInfo.reasonCode", "REH"}}},
		{name: "reason XYZ", edits: []edit{{"employmentInfo.reasonCode", "XYZ"}}, field: "employmentInfo.reasonCode"},
		{name: "country CA", edits: []edit{{"biographicalInfo.country", "CA"}}},
		{name: "country alpha-3", edits: []edit{{"biographicalInfo.country", "USA"}}, field: "biographicalInfo.country"},
		{name: "country lower case", edits: []edit{{"biographicalInfo.country", "us"}}, field: "biographicalInfo.country"},
		{name: "address country", edits: []edit{{"homeContact.country", "ZZ"}}, field: "homeContact.country"},
		// Approval status: only Incomplete.
		{name: "approval A", edits: []edit{{"approvalStatus", "A"}}, field: "approvalStatus"},
		{name: "no approval status", edits: []edit{{"approvalStatus", nil}}, field: "approvalStatus"},
		// Other formats.
		{name: "birth date bad", edits: []edit{{"biographicalInfo.birthDate", "10/12/1990"}}, field: "biographicalInfo.birthDate"},
		{name: "birth date future", edits: []edit{{"biographicalInfo.birthDate", f.today(1)}}, field: "biographicalInfo.birthDate"},
		{name: "SSN with dashes", edits: []edit{{"biographicalInfo.nationalId", "123-45-6789"}}},
		{name: "SSN short", edits: []edit{{"biographicalInfo.nationalId", "12345"}}, field: "biographicalInfo.nationalId"},
		{name: "work email bad", edits: []edit{{"employmentInfo.workEmail", "ada at example"}}, field: "employmentInfo.workEmail"},
		{name: "work phone bad", edits: []edit{{"employmentInfo.workPhone", "call me"}}, field: "employmentInfo.workPhone"},
		{name: "hours as string", edits: []edit{{"employmentInfo.standardHoursPerWeek", "40"}}, field: "employmentInfo.standardHoursPerWeek"},
		{name: "hours zero", edits: []edit{{"employmentInfo.standardHoursPerWeek", 0}}, field: "employmentInfo.standardHoursPerWeek"},
		{name: "hours fractional", edits: []edit{{"employmentInfo.standardHoursPerWeek", 37.5}}},
		{name: "name not an object", edits: []edit{{"name", "Ada Lovelace"}}, field: "name"},
		// Update-only data is not accepted on create; unknown fields are refused.
		{name: "custom group on hire", edits: []edit{{"employmentInfo.customGroupA", "Blue"}}, field: "employmentInfo.customGroupA"},
		{name: "marital status on hire", edits: []edit{{"biographicalInfo.maritalStatus", "S"}}, field: "biographicalInfo.maritalStatus"},
		{name: "unknown field", edits: []edit{{"employmentInfo.nickname", "Ada"}}, field: "employmentInfo.nickname"},
		{name: "null counts as absent", edits: []edit{{"biographicalInfo.gender", jsonNull}, {"homeContact", jsonNull}}},
		{name: "null required field", edits: []edit{{"name.lastName", jsonNull}}, field: "name.lastName"},
		// Bodies that are not a JSON object.
		{name: "malformed JSON", raw: `{"approvalStatus": "I",`, field: "body"},
		{name: "array", raw: `[]`, field: "body"},
		{name: "empty body", raw: ` `, field: "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body any = f.hireBody()
			for _, e := range tc.edits {
				setPath(body.(map[string]any), e.path, e.value)
			}
			if tc.raw != "" {
				body = tc.raw
			}
			before := len(f.sb.Employees(coA))
			writes := len(f.sb.Writes(coA))
			r := f.must(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(tok), body)
			after := len(f.sb.Employees(coA))
			if w := f.sb.Writes(coA); len(w) != writes+1 || w[len(w)-1].Status != r.status || w[len(w)-1].Endpoint != "hire" {
				t.Errorf("write not recorded with status %d: %+v", r.status, w[len(w)-1])
			}
			if tc.field == "" {
				if r.status != http.StatusOK {
					t.Fatalf("status %d: %s", r.status, r.raw)
				}
				var d struct{ EmployeeID, ApprovalStatus string }
				r.data(t, &d)
				if !regexp.MustCompile(`^\d{8}$`).MatchString(d.EmployeeID) || d.ApprovalStatus != "I" {
					t.Errorf("data = %+v", d)
				}
				e, found := f.sb.Employee(coA, d.EmployeeID)
				if !found || e.ApprovalStatus != "I" || after != before+1 {
					t.Errorf("hire not stored pending: %+v (found %v)", e, found)
				}
				return
			}
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.raw)
			}
			if !contains(r.fields(), tc.field) {
				t.Errorf("errors %v do not name %s", r.fields(), tc.field)
			}
			if !strings.Contains(r.env.StatusMessage, tc.field) {
				t.Errorf("_statusMessage %q does not name %s", r.env.StatusMessage, tc.field)
			}
			if after != before {
				t.Errorf("a rejected hire was stored")
			}
		})
	}
}

func TestHireRejectionMessages(t *testing.T) {
	f := newFixture(t)
	tok := f.token(idA, secretA)
	body := f.hireBody()
	setPath(body, "biographicalInfo.nationalId", "987654321")
	setPath(body, "biographicalInfo.gender", "X")
	setPath(body, "employmentInfo.customGroupB", "x")
	setPath(body, "employmentInfo.startDate", f.today(-4))
	setPath(body, "name.firstName", nil)
	r := f.must(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(tok), body)
	want := []string{"biographicalInfo.gender", "employmentInfo.customGroupB", "employmentInfo.startDate", "name.firstName"}
	if got := r.fields(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("fields %v, want every problem at once: %v", got, want)
	}
	for field, msg := range map[string]string{
		"biographicalInfo.gender":     "must be one of M, F",
		"employmentInfo.startDate":    "must not be more than 3 days in the past (earliest " + f.today(-3) + ")",
		"name.firstName":              "is required",
		"employmentInfo.customGroupB": "not accepted on new hire (update only)",
	} {
		if got := r.errorMessage(field); got != msg {
			t.Errorf("%s: %q, want %q", field, got, msg)
		}
	}
	if strings.Contains(string(r.raw), "987654321") {
		t.Error("the answer echoes the SSN")
	}
}

func TestHireStoresFields(t *testing.T) {
	f := newFixture(t)
	boss := f.seed(coA, Employee{FirstName: "Grace", LastName: "Hopper"})
	body := f.hireBody()
	setPath(body, "employmentInfo.supervisorId", boss.ID)
	setPath(body, "name.middleName", "King")
	r := f.must(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(f.token(idA, secretA)), body)
	var d struct{ EmployeeID string }
	r.data(t, &d)
	got, _ := f.sb.Employee(coA, d.EmployeeID)
	want := Employee{
		ID: d.EmployeeID, FirstName: "Ada", MiddleName: "King", LastName: "Lovelace",
		Gender: "F", BirthDate: "1990-12-10", Ethnicity: "WHITE", Country: "US",
		Status: "A", StartDate: f.today(0), Title: "Engineer", EmployeeType: "F", FLSACode: "T", StandardHours: "40",
		WorkEmail: "ada@example.com", WorkPhone: "+14155550100",
		LocationID: "SF1", DeptID: "D100", SupervisorID: boss.ID,
		Address1: "1 Main St", City: "Austin", State: "TX", PostalCode: "78701", AddressCountry: "US",
		NationalID: "123456789", ApprovalStatus: "I",
	}
	if got != want {
		t.Errorf("stored\n%+v\nwant\n%+v", got, want)
	}
}

// Nothing is idempotent on TriNet's side: the same hire twice is two hires.
func TestHireNotIdempotent(t *testing.T) {
	f := newFixture(t)
	tok := f.token(idA, secretA)
	body := f.hireBody()
	seen := map[string]bool{}
	for i := 0; i < 2; i++ {
		r := f.must(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(tok), body)
		var d struct{ EmployeeID string }
		r.data(t, &d)
		seen[d.EmployeeID] = true
	}
	if len(seen) != 2 || len(f.sb.Employees(coA)) != 2 {
		t.Errorf("ids %v, employees %d; want two distinct hires", seen, len(f.sb.Employees(coA)))
	}
}

func TestHireConcurrentIDsUnique(t *testing.T) {
	f := newFixture(t)
	tok := f.token(idA, secretA)
	const n = 20
	got := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := f.hireBody()
			setPath(body, "name.lastName", fmt.Sprint("L", i))
			r, err := f.send(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(tok), body)
			if err != nil || r.status != http.StatusOK {
				t.Errorf("hire %d: %v", i, err)
				return
			}
			var d struct{ EmployeeID string }
			r.data(t, &d)
			got[i] = d.EmployeeID
		}(i)
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range got {
		if id == "" || seen[id] {
			t.Fatalf("ids not unique: %v", got)
		}
		seen[id] = true
	}
}

// A seeded employee with an explicit id moves the id counter past it, so a
// later hire never takes an id in use.
func TestHireIDsSkipSeededIDs(t *testing.T) {
	f := newFixture(t)
	f.seed(coA, Employee{ID: "00000001", FirstName: "A", LastName: "A"})
	f.seed(coA, Employee{ID: "00000500", FirstName: "B", LastName: "B"})
	r := f.must(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(f.token(idA, secretA)), f.hireBody())
	var d struct{ EmployeeID string }
	r.data(t, &d)
	if d.EmployeeID != "00000501" {
		t.Errorf("id %s, want 00000501", d.EmployeeID)
	}
}
