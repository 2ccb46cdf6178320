package leapsome

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"trinetsync/internal/fault"
)

func TestToken(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name   string
		method string
		path   string
		want   int
	}{
		{"good secret", "GET", "/v1/token?secret=" + secretA, 200},
		{"other tenant's secret", "GET", "/v1/token?secret=" + secretB, 200},
		{"wrong secret", "GET", "/v1/token?secret=nope", 401},
		{"SCIM token is not a secret", "GET", "/v1/token?secret=" + scimTokenA, 401},
		{"no secret", "GET", "/v1/token", 401},
		{"wrong method", "POST", "/v1/token?secret=" + secretA, 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.method, tt.path, "", nil)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			if tt.want != 200 {
				return
			}
			var body struct {
				Token     string `json:"token"`
				ExpiresIn int    `json:"expiresIn"`
			}
			r.decode(t, &body)
			if body.ExpiresIn != 18000 || len(body.Token) < 20 {
				t.Fatalf("token body %s", r.body)
			}
		})
	}
}

func TestContentAuth(t *testing.T) {
	f := newFixture(t, Options{TokenTTL: time.Hour})
	good := f.token(t, secretA)
	if second := f.token(t, secretA); good == second {
		t.Fatal("two token calls gave the same token")
	}
	var fresh string
	// Steps run in order: the clock and the token table carry over.
	steps := []struct {
		name   string
		before func()
		auth   func() string
		want   int
	}{
		{"valid token", nil, func() string { return good }, 200},
		{"no token", nil, func() string { return "" }, 401},
		{"unknown token", nil, func() string { return "eyJhbGciOiJIUzI1NiJ9.e30.bad" }, 401},
		{"SCIM token on the Content API", nil, func() string { return scimTokenA }, 401},
		{"a second before expiry", func() { f.clock.Advance(time.Hour - time.Second) }, func() string { return good }, 200},
		{"at expiry", func() { f.clock.Advance(time.Second) }, func() string { return good }, 401},
		{"fresh token after expiry", func() { fresh = f.token(t, secretA) }, func() string { return fresh }, 200},
		{"ExpireTokens", f.s.ExpireTokens, func() string { return fresh }, 401},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.before != nil {
				st.before()
			}
			if r := f.do(t, "GET", "/v1/employees", st.auth(), nil); r.status != st.want {
				t.Fatalf("status %d, want %d: %s", r.status, st.want, r.body)
			}
		})
	}
}

// page fetches one page of employees and returns its ids and meta.
func (f *fixture) employeesPage(t testing.TB, tok, query string) ([]string, wireMeta, response) {
	t.Helper()
	r := f.do(t, "GET", "/v1/employees"+query, tok, nil)
	if r.status != 200 {
		return nil, wireMeta{}, r
	}
	var body struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
		Meta wireMeta `json:"meta"`
	}
	r.decode(t, &body)
	ids := make([]string, len(body.Data))
	for i, d := range body.Data {
		ids[i] = d.ID
	}
	return ids, body.Meta, r
}

func TestEmployeesPaging(t *testing.T) {
	tests := []struct {
		people    int
		query     string
		wantPages []int // sizes of pages 1, 2, … until an empty page
	}{
		{0, "pageSize=1000", []int{0}},
		{1, "pageSize=1000", []int{1, 0}},
		{1000, "pageSize=1000", []int{1000, 0}},
		{1001, "pageSize=1000", []int{1000, 1, 0}},
		{250, "", []int{100, 100, 50, 0}}, // the document's default pageSize is 100
		{3, "pageSize=1", []int{1, 1, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d people %s", tt.people, tt.query), func(t *testing.T) {
			f := newFixture(t, Options{})
			var want []string
			for i := range tt.people {
				e := f.put(t, tenantA, Employee{Email: fmt.Sprintf("p%04d@acme.test", i), FirstName: "P", LastName: fmt.Sprint(i)})
				want = append(want, e.ID)
			}
			f.put(t, tenantB, Employee{Email: "other@globex.test", FirstName: "O", LastName: "Ther"})
			tok := f.token(t, secretA)
			var got []string
			for i, size := range tt.wantPages {
				q := fmt.Sprintf("?page=%d", i+1)
				if tt.query != "" {
					q += "&" + tt.query
				}
				ids, meta, r := f.employeesPage(t, tok, q)
				if r.status != 200 {
					t.Fatalf("page %d: %d %s", i+1, r.status, r.body)
				}
				if len(ids) != size || meta.Page != i+1 || meta.TotalCount != tt.people {
					t.Fatalf("page %d: %d ids, meta %+v; want %d ids, total %d", i+1, len(ids), meta, size, tt.people)
				}
				got = append(got, ids...)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("pages together are not every person once in id order")
			}
		})
	}
}

func TestEmployeesParameters(t *testing.T) {
	f := newFixture(t, Options{})
	f.put(t, tenantA, Employee{Email: "a@acme.test", FirstName: "A", LastName: "A"})
	tok := f.token(t, secretA)
	tests := []struct {
		query string
		want  int
	}{
		{"?page=1&pageSize=1000", 200},
		{"?page=999999999999&pageSize=1000", 200},
		{"?page=0", 400},
		{"?page=-1", 400},
		{"?page=one", 400},
		{"?pageSize=0", 400},
		{"?pageSize=1001", 400},
		{"?pageSize=1.5", 400},
		{"?status=retired", 400},
		{"?employeeId=42", 400},
		{"?employeeId=ABCDEF0123456789ABCDEF01", 400},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			if r := f.do(t, "GET", "/v1/employees"+tt.query, tok, nil); r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
		})
	}
}

func TestEmployeesFilters(t *testing.T) {
	f := newFixture(t, Options{})
	ada := f.put(t, tenantA, Employee{Email: "Ada@Acme.test", FirstName: "Ada", LastName: "Lovelace", DisplayedName: "Ada L."})
	grace := f.put(t, tenantA, Employee{Email: "grace@acme.test", FirstName: "Grace", LastName: "Hopper", Status: "invited"})
	gone := f.put(t, tenantA, Employee{Email: "gone@acme.test", FirstName: "Gone", LastName: "Away", Status: "removed"})
	f.put(t, tenantB, Employee{Email: "ada@acme.test", FirstName: "Ada", LastName: "Elsewhere"})
	tok := f.token(t, secretA)
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{ada.ID, grace.ID, gone.ID}},
		{"?status=active", []string{ada.ID}},
		{"?status=invited", []string{grace.ID}},
		{"?status=removed", []string{gone.ID}},
		{"?status=deactivated", nil},
		{"?email=" + url.QueryEscape("ada@acme.test"), []string{ada.ID}},
		{"?email=" + url.QueryEscape("GRACE@ACME.TEST"), []string{grace.ID}},
		{"?email=" + url.QueryEscape("nobody@acme.test"), nil},
		{"?employeeId=" + grace.ID, []string{grace.ID}},
		{"?employeeId=" + grace.ID + "&status=active", nil},
		{"?displayedName=ada", []string{ada.ID}},
		{"?displayedName=hop", []string{grace.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			ids, meta, r := f.employeesPage(t, tok, tt.query)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if !slices.Equal(ids, tt.want) || meta.TotalCount != len(tt.want) {
				t.Fatalf("got %v (total %d), want %v", ids, meta.TotalCount, tt.want)
			}
		})
	}
}

func TestEmployeeRendering(t *testing.T) {
	f := newFixture(t, Options{})
	sf := WorkLocation{ID: "aaaaaaaaaaaaaaaaaaaaaaa1", Name: "San Francisco", Country: "United States"}
	if err := f.s.PutWorkLocation(tenantA, sf); err != nil {
		t.Fatal(err)
	}
	boss := f.put(t, tenantA, Employee{Email: "grace@acme.test", FirstName: "Grace", LastName: "Hopper"})
	full := f.put(t, tenantA, Employee{
		Email: "ada@acme.test", FirstName: "Ada", MiddleName: "King", LastName: "Lovelace", DisplayedName: "Ada L.",
		Status: "active", LifecycleStatus: "active", Manager: &Ref{ID: boss.ID},
		StartDate: "2024-01-08", EndDate: "2026-12-31T23:59:59Z", Phone: "+14155550100", Title: "Engineer",
		Departments: []Ref{{Name: "Engineering"}}, Teams: []Ref{{Name: "Platform"}},
		WorkLocation:     &Ref{Name: "san francisco"},
		CustomAttributes: map[string]any{"Employee type": "Full time", "Hours": 40.0, "Unset": nil},
		Gender:           "female", Birthday: "1990-12-10",
	})
	bare := f.put(t, tenantA, Employee{FirstName: "No", LastName: "Email"})
	tok := f.token(t, secretA)

	byID := map[string]map[string]json.RawMessage{}
	var body struct {
		Data []map[string]json.RawMessage `json:"data"`
	}
	f.do(t, "GET", "/v1/employees", tok, nil).decode(t, &body)
	for _, d := range body.Data {
		var id string
		_ = json.Unmarshal(d["id"], &id)
		byID[id] = d
	}

	t.Run("every field under the document's name", func(t *testing.T) {
		want := map[string]string{
			"id": `"` + full.ID + `"`, "email": `"ada@acme.test"`, "firstname": `"Ada"`, "middlename": `"King"`,
			"lastname": `"Lovelace"`, "fullname": `"Ada King Lovelace"`, "displayedName": `"Ada L."`,
			"status": `"active"`, "lifecycleStatus": `"active"`,
			"manager":   `{"id":"` + boss.ID + `","name":"Grace Hopper"}`,
			"startDate": `"2024-01-08T00:00:00.000Z"`, "endDate": `"2026-12-31T23:59:59.000Z"`,
			"phone": `"+14155550100"`, "title": `"Engineer"`,
			"departments":      `[{"id":"` + derivedID(tenantA, "departments", "Engineering") + `","name":"Engineering"}]`,
			"teams":            `[{"id":"` + derivedID(tenantA, "teams", "Platform") + `","name":"Platform"}]`,
			"workLocation":     `{"id":"` + sf.ID + `","name":"San Francisco"}`,
			"customAttributes": `{"Employee type":"Full time","Hours":40,"Unset":null}`,
		}
		got := byID[full.ID]
		for k, v := range want {
			if string(got[k]) != v {
				t.Errorf("%s = %s, want %s", k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected field %s (SCIM-only data must not leak into the Content API)", k)
			}
		}
	})
	t.Run("empty fields left out, nullable workLocation null", func(t *testing.T) {
		got := byID[bare.ID]
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range got {
				if !yield(k) {
					return
				}
			}
		})
		want := []string{"firstname", "fullname", "id", "lastname", "status", "workLocation"}
		if !slices.Equal(keys, want) || string(got["workLocation"]) != "null" {
			t.Fatalf("fields %v (workLocation %s), want %v with workLocation null", keys, got["workLocation"], want)
		}
	})
	t.Run("manager name follows the manager's record", func(t *testing.T) {
		boss.LastName = "Hopper-Murray"
		f.put(t, tenantA, boss)
		var one struct {
			Data []wireEmployee `json:"data"`
		}
		f.do(t, "GET", "/v1/employees?employeeId="+full.ID, tok, nil).decode(t, &one)
		if len(one.Data) != 1 || one.Data[0].Manager.Name != "Grace Hopper-Murray" {
			t.Fatalf("got %+v", one.Data)
		}
	})
}

func TestWorkLocations(t *testing.T) {
	f := newFixture(t, Options{})
	locs := []WorkLocation{
		{ID: "bbbbbbbbbbbbbbbbbbbbbbb2", Name: "Toronto", Country: "Canada", City: "Toronto", AdministrativeDivision: "Ontario"},
		{ID: "bbbbbbbbbbbbbbbbbbbbbbb1", Name: "San Francisco", Country: "United States", Street: "1 Market St", Zip: "94105", City: "San Francisco", AdministrativeDivision: "CA"},
		{ID: "bbbbbbbbbbbbbbbbbbbbbbb3", Name: "Old office", Status: "inactive"},
	}
	for _, l := range locs {
		if err := f.s.PutWorkLocation(tenantA, l); err != nil {
			t.Fatal(err)
		}
	}
	tok := f.token(t, secretA)
	tests := []struct {
		query   string
		want    int
		wantIDs []string
	}{
		{"", 200, []string{locs[1].ID, locs[0].ID, locs[2].ID}},
		{"?pageSize=2&page=2", 200, []string{locs[2].ID}},
		{"?status=inactive", 200, []string{locs[2].ID}},
		{"?page=0", 400, nil},
		{"?page=1001", 400, nil},
		{"?pageSize=1001", 400, nil},
		{"?status=closed", 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := f.do(t, "GET", "/v1/work-locations"+tt.query, tok, nil)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			if r.status != 200 {
				return
			}
			var body wireList[map[string]any]
			r.decode(t, &body)
			var ids []string
			for _, d := range body.Data {
				ids = append(ids, d["id"].(string))
			}
			if !slices.Equal(ids, tt.wantIDs) {
				t.Fatalf("ids %v, want %v", ids, tt.wantIDs)
			}
		})
	}
	t.Run("nullable address fields are null when empty", func(t *testing.T) {
		var body wireList[map[string]any]
		f.do(t, "GET", "/v1/work-locations?status=inactive", tok, nil).decode(t, &body)
		d := body.Data[0]
		for _, k := range []string{"country", "street", "zip", "city", "administrativeDivision"} {
			if v, ok := d[k]; !ok || v != nil {
				t.Errorf("%s = %v (present %v), want null", k, v, ok)
			}
		}
		if d["status"] != "inactive" || d["name"] != "Old office" {
			t.Errorf("got %v", d)
		}
	})
}

func TestUnknownRoutes(t *testing.T) {
	f := newFixture(t, Options{})
	tok := f.token(t, secretA)
	for _, tc := range []struct {
		method, path, auth string
		want               int
	}{
		{"GET", "/v1/", tok, 200},
		{"GET", "/v1/nothing-here", tok, 404},
		{"GET", "/elsewhere", "", 404},
		{"DELETE", "/v1/employees", tok, 405},
		{"GET", "/scim/v1/Groups", scimTokenA, 404},
	} {
		if r := f.do(t, tc.method, tc.path, tc.auth, nil); r.status != tc.want {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, r.status, tc.want, r.body)
		}
	}
}

func TestPutEmployeeValidation(t *testing.T) {
	s := New(Options{})
	if err := s.AddTenant(Tenant{ID: tenantA, APISecret: secretA}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		e     Employee
		field string
	}{
		{"id not hex", Employee{ID: "xyz"}, "id"},
		{"email with space", Employee{Email: "a b@c.test"}, "email"},
		{"email without @", Employee{Email: "ab.test"}, "email"},
		{"unknown status", Employee{Status: "retired"}, "status"},
		{"unknown lifecycle", Employee{LifecycleStatus: "gone"}, "lifecycleStatus"},
		{"gender outside SCIM's list", Employee{Gender: "m"}, "gender"},
		{"employment type", Employee{EmploymentType: "contractor"}, "employmentType"},
		{"birthday format", Employee{Birthday: "10/12/1990"}, "birthday"},
		{"start date format", Employee{StartDate: "next monday"}, "startDate"},
		{"end date format", Employee{EndDate: "2024-13-01"}, "endDate"},
		{"manager without id", Employee{Manager: &Ref{Name: "Boss"}}, "manager.id"},
		{"department without name", Employee{Departments: []Ref{{Name: "Eng"}, {ID: "aaaaaaaaaaaaaaaaaaaaaaaa"}}}, "departments[1].name"},
		{"team id not hex", Employee{Teams: []Ref{{ID: "t1", Name: "Platform"}}}, "teams[0].id"},
		{"work location empty", Employee{WorkLocation: &Ref{}}, "workLocation"},
		{"custom attribute object", Employee{CustomAttributes: map[string]any{"Nested": map[string]any{}}}, "customAttributes.Nested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.PutEmployee(tenantA, tt.e)
			if !errors.Is(err, fault.ErrValidation) || fault.FieldOf(err) != tt.field {
				t.Fatalf("err %v (field %q), want a validation error on %q", err, fault.FieldOf(err), tt.field)
			}
		})
	}
	if len(s.Employees(tenantA)) != 0 {
		t.Fatal("a rejected person was stored")
	}
	if err := s.PutEmployee("nobody", Employee{}); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("unknown tenant: %v", err)
	}
	if err := s.DeleteEmployee(tenantA, "aaaaaaaaaaaaaaaaaaaaaaaa"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("delete unknown: %v", err)
	}
}

func TestAddTenantConflicts(t *testing.T) {
	s := New(Options{})
	if err := s.AddTenant(Tenant{ID: "a", APISecret: "s1", SCIMToken: "t1"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		t    Tenant
		want error
	}{
		{"same id", Tenant{ID: "a", APISecret: "s2"}, fault.ErrConflict},
		{"same secret", Tenant{ID: "b", APISecret: "s1"}, fault.ErrConflict},
		{"same SCIM token", Tenant{ID: "b", APISecret: "s2", SCIMToken: "t1"}, fault.ErrConflict},
		{"no id", Tenant{APISecret: "s3"}, fault.ErrValidation},
		{"no secret", Tenant{ID: "c"}, fault.ErrValidation},
		{"two tenants without SCIM", Tenant{ID: "d", APISecret: "s4"}, nil},
		{"and another", Tenant{ID: "e", APISecret: "s5"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.AddTenant(tt.t); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
		})
	}
}

// The person's data is copied in and out: a caller's later edits change nothing.
func TestEmployeeCopies(t *testing.T) {
	s := New(Options{})
	_ = s.AddTenant(Tenant{ID: tenantA, APISecret: secretA})
	in := Employee{FirstName: "A", Departments: []Ref{{Name: "Eng"}}, CustomAttributes: map[string]any{"k": "v"}}
	got, err := s.CreateEmployee(tenantA, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Departments[0].Name = "changed"
	in.CustomAttributes["k"] = "changed"
	got.Departments[0].Name = "changed too"
	stored, _ := s.Employee(tenantA, got.ID)
	if stored.Departments[0].Name != "Eng" || stored.CustomAttributes["k"] != "v" {
		t.Fatalf("stored person changed through a caller's copy: %+v", stored)
	}
	if stored.Status != "active" {
		t.Fatalf("default status %q, want active", stored.Status)
	}
}
