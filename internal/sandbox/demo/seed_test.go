package demo

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"trinetsync/internal/sandbox/leapsome"
	"trinetsync/internal/sandbox/trinet"
)

var now = time.Date(2026, 3, 4, 15, 30, 0, 0, time.UTC)

func seeded(t *testing.T) (*leapsome.Server, *trinet.Server, Credentials) {
	t.Helper()
	ls := leapsome.New(leapsome.Options{Now: func() time.Time { return now }})
	tn := trinet.New(trinet.Options{Now: func() time.Time { return now }})
	c, err := Seed(ls, tn, now)
	if err != nil {
		t.Fatal(err)
	}
	return ls, tn, c
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// normPhone is E.164 for North American numbers, enough for the demo's data.
func normPhone(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if !strings.HasPrefix(s, "+") && len(d) == 10 {
		d = "1" + d
	}
	return "+" + d
}

func inScope(e leapsome.Employee) bool {
	return slices.Contains([]string{"created", "active", "invited", "preBoardingInvited", "preBoardingActive"}, e.Status) &&
		e.LifecycleStatus != "terminated" && e.LifecycleStatus != "deactivated"
}

func startDay(t *testing.T, e leapsome.Employee) (time.Time, bool) {
	if e.StartDate == "" {
		return time.Time{}, false
	}
	d, err := time.Parse(time.RFC3339, e.StartDate)
	if err != nil {
		t.Fatalf("%s: start date %q: %v", e.ID, e.StartDate, err)
	}
	return d, true
}

// The cases are counted from what the two sandboxes hold, the way the
// service will see them, not from the demo's own table.
func TestSeedCases(t *testing.T) {
	ls, tn, c := seeded(t)
	people := ls.Employees(c.LeapsomeTenant)
	staff := tn.Employees(c.TriNetCompanyID)
	today := now.Truncate(24 * time.Hour)

	byEmail := map[string][]trinet.Employee{}
	byTriNetID := map[string]trinet.Employee{}
	for _, e := range staff {
		byEmail[normEmail(e.WorkEmail)] = append(byEmail[normEmail(e.WorkEmail)], e)
		byTriNetID[e.ID] = e
	}
	leapsomeEmails := map[string]int{}
	for _, p := range people {
		if p.Email != "" {
			leapsomeEmails[normEmail(p.Email)]++
		}
	}
	// match is the active TriNet employee a person links to by email, if any.
	match := func(p leapsome.Employee) (trinet.Employee, bool) {
		for _, e := range byEmail[normEmail(p.Email)] {
			if p.Email != "" && e.Status != "T" {
				return e, true
			}
		}
		return trinet.Employee{}, false
	}
	locName := map[string]string{}
	for _, l := range ls.WorkLocations(c.LeapsomeTenant) {
		locName[l.ID] = l.Name
	}
	trinetLoc := map[string]string{"SF1": "San Francisco", "NY1": "New York", "TO1": "Toronto"}
	trinetDept := map[string]string{"D100": "Engineering", "D200": "Sales", "D300": "People", "D400": "Finance", "D500": "Executive"}

	count := func(pred func(p leapsome.Employee) bool) int {
		n := 0
		for _, p := range people {
			if pred(p) {
				n++
			}
		}
		return n
	}
	linked := func(f func(p leapsome.Employee, e trinet.Employee) bool) func(p leapsome.Employee) bool {
		return func(p leapsome.Employee) bool {
			e, ok := match(p)
			return ok && f(p, e)
		}
	}
	newHire := func(p leapsome.Employee) bool {
		_, ok := match(p)
		return inScope(p) && p.Email != "" && !ok && len(byEmail[normEmail(p.Email)]) == 0 && leapsomeEmails[normEmail(p.Email)] == 1
	}
	tests := []struct {
		name string
		got  int
		want int
	}{
		{"Leapsome people", len(people), 36},
		{"TriNet employees", len(staff), 22},
		{"in TriNet, matched by work email", count(linked(func(leapsome.Employee, trinet.Employee) bool { return true })), 20},
		{"matched only after trimming and lower-casing the email",
			count(linked(func(p leapsome.Employee, e trinet.Employee) bool { return p.Email != e.WorkEmail })), 1},
		{"title differs", count(linked(func(p leapsome.Employee, e trinet.Employee) bool { return p.Title != e.Title })), 2},
		{"last name differs", count(linked(func(p leapsome.Employee, e trinet.Employee) bool { return p.LastName != e.LastName })), 1},
		{"phone differs (E.164)", count(linked(func(p leapsome.Employee, e trinet.Employee) bool { return normPhone(p.Phone) != normPhone(e.WorkPhone) })), 1},
		{"department differs", count(linked(func(p leapsome.Employee, e trinet.Employee) bool {
			return p.Departments[0].Name != trinetDept[e.DeptID]
		})), 2},
		{"location differs", count(linked(func(p leapsome.Employee, e trinet.Employee) bool {
			return locName[p.WorkLocation.ID] != trinetLoc[e.LocationID]
		})), 1},
		{"birth date differs", count(linked(func(p leapsome.Employee, e trinet.Employee) bool { return p.Birthday != e.BirthDate })), 1},
		{"phone in national format", count(func(p leapsome.Employee) bool { return p.Phone != "" && !strings.HasPrefix(p.Phone, "+") }), 1},
		{"gender neither male nor female", count(func(p leapsome.Employee) bool { return p.Gender != "male" && p.Gender != "female" }), 1},
		{"without birthday", count(func(p leapsome.Employee) bool { return p.Birthday == "" }), 0},
		{"new, started more than 3 days ago", count(func(p leapsome.Employee) bool {
			d, ok := startDay(t, p)
			return newHire(p) && ok && d.Before(today.AddDate(0, 0, -3))
		}), 1},
		{"new, future starters", count(func(p leapsome.Employee) bool {
			d, ok := startDay(t, p)
			return newHire(p) && ok && d.After(today)
		}), 4},
		{"new, hireable (start within 3 days, male/female)", count(func(p leapsome.Employee) bool {
			d, ok := startDay(t, p)
			return newHire(p) && ok && !d.Before(today.AddDate(0, 0, -3)) && (p.Gender == "male" || p.Gender == "female")
		}), 6},
		{"new, no start date", count(func(p leapsome.Employee) bool { _, ok := startDay(t, p); return newHire(p) && !ok }), 1},
		{"terminated", count(func(p leapsome.Employee) bool { return p.LifecycleStatus == "terminated" }), 2},
		{"terminated, still active in TriNet", count(func(p leapsome.Employee) bool {
			_, ok := match(p)
			return p.LifecycleStatus == "terminated" && ok
		}), 1},
		{"removed account", count(func(p leapsome.Employee) bool { return p.Status == "removed" }), 1},
		{"deactivated account", count(func(p leapsome.Employee) bool { return p.Status == "deactivated" }), 1},
		{"on leave", count(func(p leapsome.Employee) bool { return p.LifecycleStatus == "leave" }), 1},
		{"no email", count(func(p leapsome.Employee) bool { return p.Email == "" }), 1},
		{"sharing an email", count(func(p leapsome.Employee) bool { return p.Email != "" && leapsomeEmails[normEmail(p.Email)] > 1 }), 2},
		{"email held only by a terminated TriNet employee", count(func(p leapsome.Employee) bool {
			es := byEmail[normEmail(p.Email)]
			return p.Email != "" && len(es) > 0 && !slices.ContainsFunc(es, func(e trinet.Employee) bool { return e.Status != "T" })
		}), 1},
		{"department TriNet lacks", count(func(p leapsome.Employee) bool {
			for _, name := range trinetDept {
				if name == p.Departments[0].Name {
					return false
				}
			}
			return true
		}), 1},
		{"without manager", count(func(p leapsome.Employee) bool { return p.Manager == nil }), 1},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, tt.got, tt.want)
		}
	}

	t.Run("references resolve", func(t *testing.T) {
		ids := map[string]leapsome.Employee{}
		for _, p := range people {
			ids[p.ID] = p
		}
		depth := 0
		for _, p := range people {
			if p.WorkLocation == nil || locName[p.WorkLocation.ID] == "" {
				t.Errorf("%s: work location not among the tenant's", p.ID)
			}
			d := 1
			for m := p.Manager; m != nil; d++ {
				boss, ok := ids[m.ID]
				if !ok || d > 10 {
					t.Fatalf("%s: manager chain broken at %s", p.ID, m.ID)
				}
				m = boss.Manager
			}
			depth = max(depth, d)
		}
		if depth < 3 {
			t.Errorf("org chart depth %d, want at least 3 levels", depth)
		}
		for _, e := range staff {
			if trinetLoc[e.LocationID] == "" || trinetDept[e.DeptID] == "" {
				t.Errorf("TriNet %s: location %q or department %q unknown", e.ID, e.LocationID, e.DeptID)
			}
			if _, ok := byTriNetID[e.SupervisorID]; e.SupervisorID != "" && !ok {
				t.Errorf("TriNet %s: supervisor %s unknown", e.ID, e.SupervisorID)
			}
			if e.Gender != "M" && e.Gender != "F" {
				t.Errorf("TriNet %s: gender %q", e.ID, e.Gender)
			}
		}
	})
	t.Run("work locations name their country as text, TriNet as a code", func(t *testing.T) {
		want := map[string]string{"San Francisco": "United States", "New York": "United States", "Toronto": "Canada"}
		got := map[string]string{}
		for _, l := range ls.WorkLocations(c.LeapsomeTenant) {
			got[l.Name] = l.Country
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %v", got)
		}
	})
}

func TestSeedDeterministic(t *testing.T) {
	ls1, tn1, c1 := seeded(t)
	ls2, tn2, c2 := seeded(t)
	if c1 != c2 ||
		!reflect.DeepEqual(ls1.Employees(c1.LeapsomeTenant), ls2.Employees(c2.LeapsomeTenant)) ||
		!reflect.DeepEqual(tn1.Employees(c1.TriNetCompanyID), tn2.Employees(c2.TriNetCompanyID)) {
		t.Fatal("two seeds at the same time differ")
	}
	if _, err := Seed(ls1, tn1, now); err == nil {
		t.Fatal("seeding the same sandboxes twice succeeded")
	}
	later := now.AddDate(0, 0, 10)
	ls3 := leapsome.New(leapsome.Options{})
	if _, err := Seed(ls3, trinet.New(trinet.Options{}), later); err != nil {
		t.Fatal(err)
	}
	if got, _ := ls3.Employee(c1.LeapsomeTenant, LeapsomeID(12)); !strings.HasPrefix(got.StartDate, "2026-03-12") {
		t.Fatalf("start dates are not relative to now: %q", got.StartDate)
	}
}

// The credentials work over HTTP on both sandboxes, and the lists are complete.
func TestSeedOverHTTP(t *testing.T) {
	ls, tn, c := seeded(t)
	lsSrv, tnSrv := httptest.NewServer(ls), httptest.NewServer(tn)
	t.Cleanup(lsSrv.Close)
	t.Cleanup(tnSrv.Close)
	get := func(url, auth string, basic []string, v any) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		if basic != nil {
			req.SetBasicAuth(basic[0], basic[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", url, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var tok struct{ Token string }
	get(lsSrv.URL+"/v1/token?secret="+c.LeapsomeAPISecret, "", nil, &tok)
	var list struct {
		Data []json.RawMessage
		Meta struct{ TotalCount int }
	}
	get(lsSrv.URL+"/v1/employees?page=1&pageSize=1000", tok.Token, nil, &list)
	if len(list.Data) != 36 || list.Meta.TotalCount != 36 {
		t.Fatalf("Leapsome lists %d of %d people", len(list.Data), list.Meta.TotalCount)
	}
	var users struct{ TotalResults int }
	get(lsSrv.URL+"/scim/v1/Users", c.LeapsomeSCIMToken, nil, &users)
	if users.TotalResults != 36 {
		t.Fatalf("SCIM lists %d users", users.TotalResults)
	}
	var tnTok struct {
		AccessToken string `json:"access_token"`
	}
	get(tnSrv.URL+"/oauth/accesstoken?grant_type=client_credentials", "", []string{c.TriNetClientID, c.TriNetClientSecret}, &tnTok)
	var emps struct {
		Data struct {
			HasMore      bool
			EmployeeData []json.RawMessage
		}
	}
	get(tnSrv.URL+"/v1/company/"+c.TriNetCompanyID+"/employees?viewType=All&offset=1&limit=100", tnTok.AccessToken, nil, &emps)
	if len(emps.Data.EmployeeData) != 22 || emps.Data.HasMore {
		t.Fatalf("TriNet lists %d employees (hasMore %v)", len(emps.Data.EmployeeData), emps.Data.HasMore)
	}
}
