package trinet

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

type listedPage struct {
	HasMore      bool              `json:"hasMore"`
	EmployeeData []json.RawMessage `json:"employeeData"`
}

func (f *fixture) listPage(tok, query string) (listedPage, *reply) {
	f.t.Helper()
	r := f.must(http.MethodGet, "/v1/company/"+coA+"/employees"+query, bearer(tok), nil)
	var p listedPage
	if r.status == http.StatusOK {
		r.data(f.t, &p)
	}
	return p, r
}

func ids(t *testing.T, recs []json.RawMessage) []string {
	t.Helper()
	out := make([]string, len(recs))
	for i, rec := range recs {
		var e struct {
			EmployeeID string `json:"employeeId"`
		}
		if err := json.Unmarshal(rec, &e); err != nil {
			t.Fatal(err)
		}
		out[i] = e.EmployeeID
	}
	return out
}

func TestListPaging(t *testing.T) {
	cases := []struct {
		employees int
		limit     int
		pages     []int // records per page, in order
		more      []bool
	}{
		{employees: 0, limit: 100, pages: []int{0}, more: []bool{false}},
		{employees: 1, limit: 100, pages: []int{1}, more: []bool{false}},
		{employees: 100, limit: 100, pages: []int{100}, more: []bool{false}},
		{employees: 101, limit: 100, pages: []int{100, 1}, more: []bool{true, false}},
		{employees: 3, limit: 1, pages: []int{1, 1, 1}, more: []bool{true, true, false}},
		{employees: 5, limit: 2, pages: []int{2, 2, 1}, more: []bool{true, true, false}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d employees by %d", tc.employees, tc.limit), func(t *testing.T) {
			f := newFixture(t)
			// Seeded in reverse to show the order is by id, not by arrival.
			for i := tc.employees; i >= 1; i-- {
				f.seed(coA, Employee{ID: fmt.Sprintf("%08d", i*7), FirstName: "P", LastName: fmt.Sprint(i), StartDate: "2020-01-01"})
			}
			tok := f.token(idA, secretA)
			var got []string
			offset := 1
			for page := 0; ; page++ {
				if page == len(tc.pages) {
					t.Fatalf("more pages than the expected %d", len(tc.pages))
				}
				p, r := f.listPage(tok, fmt.Sprintf("?viewType=All&offset=%d&limit=%d", offset, tc.limit))
				if r.status != http.StatusOK {
					t.Fatalf("status %d: %s", r.status, r.raw)
				}
				if len(p.EmployeeData) != tc.pages[page] || p.HasMore != tc.more[page] {
					t.Fatalf("page %d: %d records, hasMore %v; want %d, %v",
						page, len(p.EmployeeData), p.HasMore, tc.pages[page], tc.more[page])
				}
				got = append(got, ids(t, p.EmployeeData)...)
				if !p.HasMore {
					break
				}
				offset += len(p.EmployeeData)
			}
			if len(got) != tc.employees {
				t.Fatalf("listed %d, want %d", len(got), tc.employees)
			}
			for i, id := range got {
				if want := fmt.Sprintf("%08d", (i+1)*7); id != want {
					t.Fatalf("record %d is %s, want %s", i, id, want)
				}
			}
		})
	}
}

func TestListParams(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 3; i++ {
		f.seed(coA, Employee{FirstName: "P", LastName: fmt.Sprint(i)})
	}
	tok := f.token(idA, secretA)
	cases := []struct {
		query   string
		status  int
		field   string
		records int
	}{
		{"", http.StatusOK, "", 3},
		{"?viewType=All", http.StatusOK, "", 3},
		{"?viewType=All&offset=1&limit=100", http.StatusOK, "", 3},
		{"?viewType=All&offset=3", http.StatusOK, "", 1},
		{"?viewType=All&offset=4", http.StatusOK, "", 0},
		{"?viewType=All&offset=1000", http.StatusOK, "", 0},
		{"?viewType=All&limit=1", http.StatusOK, "", 1},
		{"?viewType=All&offset=0", http.StatusBadRequest, "offset", 0},
		{"?viewType=All&offset=-1", http.StatusBadRequest, "offset", 0},
		{"?viewType=All&offset=one", http.StatusBadRequest, "offset", 0},
		{"?viewType=All&offset=", http.StatusBadRequest, "offset", 0},
		{"?viewType=All&offset=1.5", http.StatusBadRequest, "offset", 0},
		{"?viewType=All&limit=0", http.StatusBadRequest, "limit", 0},
		{"?viewType=All&limit=101", http.StatusBadRequest, "limit", 0},
		{"?viewType=All&limit=ten", http.StatusBadRequest, "limit", 0},
		{"?viewType=Active", http.StatusBadRequest, "viewType", 0},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			p, r := f.listPage(tok, tc.query)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.field != "" && !contains(r.fields(), tc.field) {
				t.Errorf("errors %v do not name %s", r.fields(), tc.field)
			}
			if len(p.EmployeeData) != tc.records {
				t.Errorf("%d records, want %d", len(p.EmployeeData), tc.records)
			}
		})
	}
}

func TestListRecordShape(t *testing.T) {
	f := newFixture(t)
	boss := f.seed(coA, Employee{ID: "00001000", FirstName: "Grace", LastName: "Hopper", StartDate: "2020-01-01"})
	f.seed(coA, Employee{
		ID: "00001234", FirstName: "Ada", LastName: "Lovelace",
		Gender: "F", BirthDate: "1990-12-10", Ethnicity: "WHITE", MaritalStatus: "S", Country: "US",
		StartDate: "2024-01-08", Title: "Engineer", EmployeeType: "F", FLSACode: "T", StandardHours: "40",
		WorkEmail: "ada@example.com", WorkPhone: "+14155550100",
		LocationID: "SF1", DeptID: "D100", SupervisorID: boss.ID,
		Address1: "1 Main St", NationalID: "123456789",
	})
	p, _ := f.listPage(f.token(idA, secretA), "?viewType=All&offset=2&limit=1")
	if len(p.EmployeeData) != 1 {
		t.Fatalf("%d records", len(p.EmployeeData))
	}
	var got any
	if err := json.Unmarshal(p.EmployeeData[0], &got); err != nil {
		t.Fatal(err)
	}
	// The profile's example record, field for field.
	var want any
	if err := json.Unmarshal([]byte(`{
	  "employeeId": "00001234",
	  "names": [{"nameType": "primary", "firstName": "Ada", "middleName": "", "lastName": "Lovelace"}],
	  "biographicalInfo": {"gender": "F", "birthDate": "1990-12-10", "ethnicity": "WHITE",
	                       "maritalStatus": "S", "country": "US"},
	  "employmentInfo": {"employmentStatus": "A", "startDate": "2024-01-08", "businessTitle": "Engineer",
	    "employeeType": "F", "flsaCode": "T", "standardHours": "40", "workEmail": "ada@example.com",
	    "workPhone": "+14155550100", "customGroupA": "", "customGroupB": "",
	    "location": {"locationId": "SF1", "locationName": "San Francisco"},
	    "department": {"deptId": "D100", "deptName": "Engineering"},
	    "supervisor": {"supervisorId": "00001000", "supervisorName": "Grace Hopper"}}}`), &want); err != nil {
		t.Fatal(err)
	}
	if !equalJSON(t, got, want) {
		gj, _ := json.MarshalIndent(got, "", " ")
		t.Errorf("record:\n%s", gj)
	}
}

func TestListVisibility(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name   string
		e      Employee
		listed bool
	}{
		{"approved, started long ago", Employee{StartDate: "2020-01-01"}, true},
		{"approved, starts today", Employee{StartDate: f.today(0)}, true},
		{"approved explicitly", Employee{StartDate: f.today(-1), ApprovalStatus: "A"}, true},
		{"approved, starts tomorrow", Employee{StartDate: f.today(1)}, false},
		{"pending, started", Employee{StartDate: f.today(-1), ApprovalStatus: "I"}, false},
		{"pending, future", Employee{StartDate: f.today(5), ApprovalStatus: "I"}, false},
		{"terminated", Employee{StartDate: "2020-01-01", Status: "T"}, true},
		{"on leave", Employee{StartDate: "2020-01-01", Status: "L"}, true},
	}
	want := map[string]bool{}
	for _, tc := range cases {
		tc.e.LastName = tc.name
		e := f.seed(coA, tc.e)
		want[e.ID] = tc.listed
	}
	p, _ := f.listPage(f.token(idA, secretA), "?viewType=All")
	got := map[string]bool{}
	for _, id := range ids(t, p.EmployeeData) {
		got[id] = true
	}
	for i, tc := range cases {
		id := fmt.Sprintf("%08d", i+1)
		if got[id] != want[id] {
			t.Errorf("%s: listed %v, want %v", tc.name, got[id], want[id])
		}
	}
}

// A hire submitted through the API is listed only once it is approved AND
// its start date has come, whichever happens last.
func TestHireBecomesListed(t *testing.T) {
	f := newFixture(t)
	tok := f.token(idA, secretA)
	body := f.hireBody()
	setPath(body, "employmentInfo.startDate", f.today(2))
	r := f.must(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(tok), body)
	if r.status != http.StatusOK {
		t.Fatalf("hire: %d %s", r.status, r.raw)
	}
	var h struct{ EmployeeID string }
	r.data(t, &h)

	count := func() int {
		// The clock moves by days here, past the token's lifetime.
		p, r := f.listPage(f.token(idA, secretA), "?viewType=All")
		if r.status != http.StatusOK {
			t.Fatalf("list: %d", r.status)
		}
		return len(p.EmployeeData)
	}
	if n := count(); n != 0 {
		t.Fatalf("pending future hire listed (%d)", n)
	}
	f.clock.Add(72 * time.Hour)
	if n := count(); n != 0 {
		t.Fatalf("pending started hire listed (%d)", n)
	}
	if err := f.sb.Approve(coA, h.EmployeeID); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("approved started hire not listed (%d)", n)
	}

	// Approved first, listed only when the start date comes.
	setPath(body, "employmentInfo.startDate", f.today(1))
	r = f.must(http.MethodPost, "/v1/hire/"+coA+"/employees", bearer(f.token(idA, secretA)), body)
	if r.status != http.StatusOK {
		t.Fatalf("second hire: %d %s", r.status, r.raw)
	}
	r.data(t, &h)
	if err := f.sb.Approve(coA, h.EmployeeID); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("approved future starter listed (%d)", n)
	}
	f.clock.Add(24 * time.Hour)
	if n := count(); n != 2 {
		t.Fatalf("approved starter not listed on the start date (%d)", n)
	}
}
