package provision_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"trinetsync/internal/provision"
	leapsb "trinetsync/internal/sandbox/leapsome"
	trinetsb "trinetsync/internal/sandbox/trinet"
	"trinetsync/internal/trinet"
)

// The seed article's tables walked row by row over HTTP: the engine with the
// real TriNet and Leapsome clients against both sandboxes. Every assertion on
// what reached TriNet reads the bodies the TriNet sandbox recorded, decoded
// as JSON, so the rows state the wire contract rather than engine internals.

// seedCo is a TriNet company with more departments and locations than the
// shared world's, so that every field row can carry a value that differs
// from the baseline.
const seedCo = "SEED"

const (
	bossUser = "0000000000000000000003e7" // hexID(999)
	bossEmp  = "00000900"
)

func newSeedWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	must(t, w.tn.AddCompany(trinetsb.Company{ID: seedCo, Name: "Seed Co", ClientID: "seed-" + t.Name(), ClientSecret: "secret",
		Departments: []trinetsb.Department{{ID: "D100", Name: "Engineering"}, {ID: "D200", Name: "Sales"}},
		Locations: []trinetsb.Location{{ID: "SF1", Name: "San Francisco", Country: "US"}, {ID: "NY1", Name: "New York", Country: "US"},
			{ID: "TOR1", Name: "Toronto", Country: "CA"}}}))
	comp, err := trinet.New(trinet.Config{BaseURL: w.tnURL, CompanyID: seedCo, ClientID: "seed-" + t.Name(), ClientSecret: "secret",
		RPS: 1000, Now: w.clock.Now, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxElapsed: time.Second})
	must(t, err)
	w.comp = comp
	must(t, w.ls.PutWorkLocation(tenant, leapsb.WorkLocation{ID: hexID(901), Name: "New York", Country: "United States"}))
	must(t, w.ls.PutWorkLocation(tenant, leapsb.WorkLocation{ID: hexID(902), Name: "Toronto", Country: "Canada"}))
	return w
}

func (w *world) day(offset int) string {
	return w.clock.Now().UTC().AddDate(0, 0, offset).Format(time.DateOnly)
}

// baseAttrs are the custom attributes every baseline person carries; the
// mappings below read the unmapped-by-default targets from them.
func baseAttrs() map[string]any {
	return map[string]any{"Ethnicity": "WHITE", "Hours": "40", "Employee type": "Full time", "FLSA": "T",
		"Street": "9 Elm St", "Unit": "Suite 2", "City": "Boston", "State": "MA", "Home country": "United States",
		"ZIP": "02110", "SSN": "987-65-4321", "Marital": "S", "Group A": "CC-1", "Group B": "GB-1"}
}

// basePerson is a Leapsome person whose every mapped value equals
// baseEmployee's, so that a linked pair plans unchanged.
func (w *world) basePerson(id, email string) leapsb.Employee {
	return leapsb.Employee{ID: id, Email: email, FirstName: "Ada", LastName: "Lovelace", Status: "active", LifecycleStatus: "active",
		StartDate: w.day(0), Title: "Engineer", Phone: "+14155550100",
		Departments: []leapsb.Ref{{Name: "Engineering"}}, WorkLocation: &leapsb.Ref{ID: w.wlSF, Name: "San Francisco"},
		Gender: "female", Birthday: "1990-12-10", EmploymentType: "internal", CustomAttributes: baseAttrs()}
}

func baseEmployee(id, email string) trinetsb.Employee {
	return trinetsb.Employee{ID: id, FirstName: "Ada", LastName: "Lovelace", Gender: "F", BirthDate: "1990-12-10", Ethnicity: "WHITE",
		MaritalStatus: "S", Country: "US", StartDate: "2020-01-06", Title: "Engineer", EmployeeType: "F", FLSACode: "T",
		StandardHours: "40", WorkEmail: email, WorkPhone: "+14155550100", CustomGroupA: "CC-1", CustomGroupB: "GB-1",
		LocationID: "SF1", DeptID: "D100", Address1: "9 Elm St", Address2: "Suite 2", City: "Boston", State: "MA",
		PostalCode: "02110", AddressCountry: "US", ApprovalStatus: "A"}
}

// seedMappings maps every target of the contract: the default sources, and
// custom attributes for the targets unmapped by default.
func seedMappings() []provision.Mapping {
	return []provision.Mapping{
		{Target: "firstName", Source: "firstname"},
		{Target: "lastName", Source: "lastname"},
		{Target: "middleName", Source: "middlename"},
		{Target: "gender", Source: "scim.gender"},
		{Target: "birthDate", Source: "scim.birthday"},
		{Target: "jobTitle", Source: "title"},
		{Target: "department", Source: "department"},
		{Target: "country", Source: "workLocation.country"},
		{Target: "location", Source: "workLocation"},
		{Target: "phoneNumber", Source: "phone"},
		{Target: "ethnicity", Source: "customAttributes.Ethnicity"},
		{Target: "workEmail", Source: "email"},
		{Target: "hireDate", Source: "startDate"},
		{Target: "supervisor", Source: "manager"},
		{Target: "standardHours", Source: "customAttributes.Hours"},
		{Target: "employeeType", Source: "customAttributes.Employee type", ValueMap: map[string]string{"Full time": "F", "Part time": "P"}},
		{Target: "regularTemporary", Source: "scim.employmentType", ValueMap: map[string]string{"internal": "R", "external": "T"}},
		{Target: "flsaCode", Source: "customAttributes.FLSA"},
		{Target: "address1", Source: "customAttributes.Street"},
		{Target: "address2", Source: "customAttributes.Unit"},
		{Target: "city", Source: "customAttributes.City"},
		{Target: "state", Source: "customAttributes.State"},
		{Target: "addressCountry", Source: "customAttributes.Home country"},
		{Target: "postalCode", Source: "customAttributes.ZIP"},
		{Target: "ssn", Source: "customAttributes.SSN"},
		{Target: "maritalStatus", Source: "customAttributes.Marital"},
		{Target: "customGroupA", Source: "customAttributes.Group A"},
		{Target: "customGroupB", Source: "customAttributes.Group B"},
	}
}

func seedSettings() provision.Settings {
	// 100 %: the field table's world links more people than the brake's
	// threshold and creates half of its people on purpose.
	return provision.Settings{AutoCreateNewHires: true, MassCreateMaxPercent: 100, Mappings: seedMappings()}
}

// decodeBody decodes a recorded request body, numbers kept as written.
func decodeBody(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("recorded body is not a JSON object: %v", err)
	}
	return m
}

// jsonAt looks up a dotted path in a decoded body; a leaf is returned as
// its text (a number as written).
func jsonAt(m map[string]any, path string) (string, bool) {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if v, ok = obj[k]; !ok {
			return "", false
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case nil:
		return "", false
	default:
		return fmt.Sprint(x), true
	}
}

// walkJSON calls fn for every key and every scalar leaf of a decoded body.
func walkJSON(v any, fn func(key string, leaf string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			fn(k, "")
			walkJSON(c, fn)
		}
	case []any:
		for _, c := range x {
			walkJSON(c, fn)
		}
	case string:
		fn("", x)
	case json.Number:
		fn("", x.String())
	}
}

// acceptedHires are the hire bodies TriNet accepted, by their work email.
func acceptedHires(t *testing.T, w *world, co string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, wr := range w.tn.Writes(co) {
		if wr.Endpoint != "hire" || wr.Status/100 != 2 {
			continue
		}
		b := decodeBody(t, wr.Body)
		email, _ := jsonAt(b, "employmentInfo.workEmail")
		out[email] = b
	}
	return out
}

// writesTo are the update calls sent for one employee.
func writesTo(w *world, co, employeeID string) []trinetsb.Write {
	var out []trinetsb.Write
	for _, wr := range w.tn.Writes(co) {
		if strings.Contains(wr.Path, "/"+employeeID+"/") {
			out = append(out, wr)
		}
	}
	return out
}

func issuesOf(res provision.Result, user string) []provision.Issue {
	var out []provision.Issue
	for _, is := range res.Issues {
		if is.UserID == user {
			out = append(out, is)
		}
	}
	return out
}

func hasField(it provision.PlanItem, target string) bool {
	return slices.ContainsFunc(it.Fields, func(f provision.FieldChange) bool { return f.Field == target })
}

// seedFieldRow is one row of the contract's field table.
type seedFieldRow struct {
	target string
	mode   provision.Mode
	source string // the mapping that feeds the target (seedMappings)
	// leap gives a baseline Leapsome person the row's value, which differs
	// from the baseline on both sides.
	leap func(p *leapsb.Employee)
	// old, when set, aligns the existing TriNet employee with what the row's
	// value drags along (the work location of the country row).
	old  func(e *trinetsb.Employee)
	want string // what TriNet must receive; wantOf overrides it
	// wantOf computes it from the person when it depends on them (workEmail).
	wantOf func(p leapsb.Employee) string
	// createPath is the hire body's JSON path; "" = never on create.
	createPath string
	// updateCall and updatePath: the update call and its body path; "" =
	// never on update.
	updateCall, updatePath string
}

func setAttr(k, v string) func(p *leapsb.Employee) {
	return func(p *leapsb.Employee) { p.CustomAttributes[k] = v }
}

func seedFieldRows() []seedFieldRow {
	const (
		every  = provision.ModeEverySync
		hire   = provision.ModeNewHireOnly
		update = provision.ModeUpdateOnly
	)
	return []seedFieldRow{
		{target: "firstName", mode: every, source: "firstname", leap: func(p *leapsb.Employee) { p.FirstName = "Zelda" },
			want: "Zelda", createPath: "name.firstName", updateCall: "names", updatePath: "firstName"},
		{target: "lastName", mode: every, source: "lastname", leap: func(p *leapsb.Employee) { p.LastName = "Byron" },
			want: "Byron", createPath: "name.lastName", updateCall: "names", updatePath: "lastName"},
		{target: "middleName", mode: every, source: "middlename", leap: func(p *leapsb.Employee) { p.MiddleName = "Quinn" },
			want: "Quinn", createPath: "name.middleName", updateCall: "names", updatePath: "middleName"},
		{target: "gender", mode: every, source: "scim.gender", leap: func(p *leapsb.Employee) { p.Gender = "male" },
			want: "M", createPath: "biographicalInfo.gender", updateCall: "personals", updatePath: "gender"},
		{target: "birthDate", mode: every, source: "scim.birthday", leap: func(p *leapsb.Employee) { p.Birthday = "1985-03-04" },
			want: "1985-03-04", createPath: "biographicalInfo.birthDate", updateCall: "personals", updatePath: "birthDate"},
		{target: "jobTitle", mode: every, source: "title", leap: func(p *leapsb.Employee) { p.Title = "Staff Engineer" },
			want: "Staff Engineer", createPath: "employmentInfo.businessTitle", updateCall: "jobs", updatePath: "businessTitle"},
		{target: "department", mode: every, source: "department",
			leap: func(p *leapsb.Employee) { p.Departments = []leapsb.Ref{{Name: "Sales"}, {Name: "Engineering"}} },
			want: "D200", createPath: "employmentInfo.homeDepartment.deptId", updateCall: "jobs", updatePath: "deptId"},
		{target: "country", mode: every, source: "workLocation.country",
			leap: func(p *leapsb.Employee) { p.WorkLocation = &leapsb.Ref{ID: hexID(902), Name: "Toronto"} },
			old:  func(e *trinetsb.Employee) { e.LocationID = "TOR1" },
			want: "CA", createPath: "biographicalInfo.country", updateCall: "personals", updatePath: "country"},
		{target: "location", mode: every, source: "workLocation",
			leap: func(p *leapsb.Employee) { p.WorkLocation = &leapsb.Ref{ID: hexID(901), Name: "New York"} },
			want: "NY1", createPath: "employmentInfo.locationId", updateCall: "jobs", updatePath: "employeeTransfer.locationId"},
		{target: "phoneNumber", mode: every, source: "phone", leap: func(p *leapsb.Employee) { p.Phone = "(415) 555-0123" },
			want: "+14155550123", createPath: "employmentInfo.workPhone", updateCall: "jobs", updatePath: "workPhone"},
		{target: "ethnicity", mode: every, source: "customAttributes.Ethnicity", leap: setAttr("Ethnicity", "asian"),
			want: "ASIAN", createPath: "biographicalInfo.ethnicity", updateCall: "personals", updatePath: "ethnicity"},
		{target: "workEmail", mode: hire, source: "email", leap: func(p *leapsb.Employee) { p.Email = "new-" + p.Email },
			wantOf: func(p leapsb.Employee) string { return p.Email }, createPath: "employmentInfo.workEmail"},
		{target: "hireDate", mode: hire, source: "startDate", leap: func(p *leapsb.Employee) { p.StartDate = "2026-12-07" },
			want: "2026-12-07", createPath: "employmentInfo.startDate"},
		{target: "supervisor", mode: hire, source: "manager", leap: func(p *leapsb.Employee) { p.Manager = &leapsb.Ref{ID: bossUser} },
			want: bossEmp, createPath: "employmentInfo.supervisorId"},
		{target: "standardHours", mode: hire, source: "customAttributes.Hours", leap: setAttr("Hours", "37.5"),
			want: "37.5", createPath: "employmentInfo.standardHoursPerWeek"},
		{target: "employeeType", mode: hire, source: "customAttributes.Employee type", leap: setAttr("Employee type", "Part time"),
			want: "P", createPath: "employmentInfo.employeeType"},
		// Beyond the seed's table: TriNet's hire carries it (the profile's codes table).
		{target: "regularTemporary", mode: hire, source: "scim.employmentType", leap: func(p *leapsb.Employee) { p.EmploymentType = "external" },
			want: "T", createPath: "employmentInfo.regularTemporary"},
		{target: "flsaCode", mode: hire, source: "customAttributes.FLSA", leap: setAttr("FLSA", "n"),
			want: "N", createPath: "employmentInfo.compliance.flsaCode"},
		{target: "address1", mode: hire, source: "customAttributes.Street", leap: setAttr("Street", "1 Main St"),
			want: "1 Main St", createPath: "homeContact.address1"},
		{target: "address2", mode: hire, source: "customAttributes.Unit", leap: setAttr("Unit", "Apt 4"),
			want: "Apt 4", createPath: "homeContact.address2"},
		{target: "city", mode: hire, source: "customAttributes.City", leap: setAttr("City", "Austin"),
			want: "Austin", createPath: "homeContact.city"},
		{target: "state", mode: hire, source: "customAttributes.State", leap: setAttr("State", "TX"),
			want: "TX", createPath: "homeContact.state"},
		{target: "addressCountry", mode: hire, source: "customAttributes.Home country", leap: setAttr("Home country", "Canada"),
			want: "CA", createPath: "homeContact.country"},
		{target: "postalCode", mode: hire, source: "customAttributes.ZIP", leap: setAttr("ZIP", "78701"),
			want: "78701", createPath: "homeContact.postalCode"},
		{target: "ssn", mode: hire, source: "customAttributes.SSN", leap: setAttr("SSN", "123-45-6789"),
			want: "123456789", createPath: "biographicalInfo.nationalId"},
		{target: "maritalStatus", mode: update, source: "customAttributes.Marital", leap: setAttr("Marital", "D"),
			want: "D", updateCall: "personals", updatePath: "maritalStatus"},
		{target: "customGroupA", mode: update, source: "customAttributes.Group A", leap: setAttr("Group A", "CC-7"),
			want: "CC-7", updateCall: "jobs", updatePath: "optionalGrouping.groupA"},
		{target: "customGroupB", mode: update, source: "customAttributes.Group B", leap: setAttr("Group B", "GB-9"),
			want: "GB-9", updateCall: "jobs", updatePath: "optionalGrouping.groupB"},
	}
}

var seedLabels = map[provision.Mode]string{
	provision.ModeEverySync:   "Every sync",
	provision.ModeNewHireOnly: "New hire only",
	provision.ModeUpdateOnly:  "Profile updates",
}

// TestSeedFieldTableOverHTTP walks every row of the field table. One sync
// holds, per row, a new Leapsome person (a hire) and a person linked to an
// existing TriNet employee (an update), each differing from the baseline in
// the row's field only; the subtests then read what TriNet received.
func TestSeedFieldTableOverHTTP(t *testing.T) {
	rows := seedFieldRows()
	w := newSeedWorld(t)

	// The boss every supervisor row reports to: in TriNet and linked, unchanged.
	boss := w.basePerson(bossUser, "boss@example.com")
	boss.FirstName, boss.LastName = "Bea", "Boss"
	must(t, w.ls.PutEmployee(tenant, boss))
	bossE := baseEmployee(bossEmp, "boss@example.com")
	bossE.FirstName, bossE.LastName = "Bea", "Boss"
	_, err := w.tn.PutEmployee(seedCo, bossE)
	must(t, err)
	w.links.m[bossUser] = provision.Link{UserID: bossUser, EmployeeID: bossEmp}

	created := make([]leapsb.Employee, len(rows))
	updated := make([]leapsb.Employee, len(rows))
	empIDs := make([]string, len(rows))
	for i, r := range rows {
		name := strings.ToLower(r.target)
		c := w.basePerson(hexID(100+i), "c-"+name+"@example.com")
		r.leap(&c)
		must(t, w.ls.PutEmployee(tenant, c))
		created[i] = c

		u := w.basePerson(hexID(200+i), "u-"+name+"@example.com")
		e := baseEmployee(fmt.Sprintf("%08d", 5000+i), u.Email)
		r.leap(&u)
		if r.old != nil {
			r.old(&e)
		}
		must(t, w.ls.PutEmployee(tenant, u))
		_, err := w.tn.PutEmployee(seedCo, e)
		must(t, err)
		w.links.m[u.ID] = provision.Link{UserID: u.ID, EmployeeID: e.ID}
		updated[i], empIDs[i] = u, e.ID
	}

	res := w.run(seedSettings())
	if it := item(res, bossUser); it.Action != provision.ActionUnchanged {
		t.Fatalf("the baseline pair must plan unchanged, else every row's update check is muddled: %+v %+v", it, issuesOf(res, bossUser))
	}
	if len(res.Issues) != 0 {
		t.Errorf("no row should raise an issue: %+v", res.Issues)
	}
	hires := acceptedHires(t, w, seedCo)
	for _, wr := range w.tn.Writes(seedCo) {
		if wr.Status/100 != 2 {
			t.Errorf("TriNet refused %s %s: %d %s", wr.Method, wr.Path, wr.Status, wr.Body)
		}
	}

	fields := map[string]provision.Target{}
	for _, tg := range provision.Fields().Targets {
		fields[tg.Target] = tg
	}
	if len(fields) != len(rows) {
		t.Errorf("the catalog has %d targets, the table %d rows", len(fields), len(rows))
	}
	mapped := map[string]string{}
	for _, m := range seedMappings() {
		mapped[m.Target] = m.Source
	}

	for i, r := range rows {
		t.Run(r.target, func(t *testing.T) {
			want := r.want
			if r.wantOf != nil {
				want = r.wantOf(created[i])
			}
			t.Run("label", func(t *testing.T) {
				tg, ok := fields[r.target]
				if !ok {
					t.Fatalf("%s is not in provision.Fields()", r.target)
				}
				if tg.Mode != r.mode || tg.Label != seedLabels[r.mode] {
					t.Errorf("mode %q label %q, want %q %q", tg.Mode, tg.Label, r.mode, seedLabels[r.mode])
				}
				if wantReq := r.target == "firstName" || r.target == "lastName"; tg.Required != wantReq {
					t.Errorf("required %v, want %v", tg.Required, wantReq)
				}
				if tg.DefaultSource != "" && tg.DefaultSource != r.source {
					t.Errorf("default source %q, the contract's is %q", tg.DefaultSource, r.source)
				}
				if mapped[r.target] != r.source {
					t.Errorf("mapped from %q, row says %q", mapped[r.target], r.source)
				}
			})
			t.Run("create", func(t *testing.T) {
				p := created[i]
				it := item(res, p.ID)
				if it.Action != provision.ActionCreate {
					t.Fatalf("plan %+v, issues %+v", it, issuesOf(res, p.ID))
				}
				body, ok := hires[p.Email]
				if !ok {
					t.Fatalf("no accepted hire with employmentInfo.workEmail %q", p.Email)
				}
				if r.createPath != "" {
					if got, ok := jsonAt(body, r.createPath); !ok || got != want {
						t.Errorf("hire %s = %q (present %v), want %q", r.createPath, got, ok, want)
					}
					if !hasField(it, r.target) {
						t.Errorf("plan item lacks %s: %+v", r.target, it.Fields)
					}
					return
				}
				// Never on create: neither the value nor a key of the target.
				forbidden := []string{r.target, r.updatePath[strings.LastIndex(r.updatePath, ".")+1:]}
				walkJSON(body, func(k, leaf string) {
					if leaf == want || (k != "" && slices.Contains(forbidden, k)) {
						t.Errorf("hire carries %s (key %q, value %q)", r.target, k, leaf)
					}
				})
				if hasField(it, r.target) {
					t.Errorf("plan item lists %s on create", r.target)
				}
			})
			t.Run("update", func(t *testing.T) {
				u := updated[i]
				it := item(res, u.ID)
				ws := writesTo(w, seedCo, empIDs[i])
				if r.updateCall == "" {
					if it.Action != provision.ActionUnchanged || len(ws) != 0 {
						t.Errorf("new-hire-only %s reached an update: plan %+v, writes %+v", r.target, it, ws)
					}
					return
				}
				if it.Action != provision.ActionUpdate || !hasField(it, r.target) {
					t.Errorf("plan %+v, issues %+v", it, issuesOf(res, u.ID))
				}
				if len(ws) != 1 || ws[0].Endpoint != r.updateCall {
					t.Fatalf("want exactly one %s call, got %+v", r.updateCall, ws)
				}
				body := decodeBody(t, ws[0].Body)
				if got, ok := jsonAt(body, r.updatePath); !ok || got != want {
					t.Errorf("%s %s = %q (present %v), want %q; body %s", r.updateCall, r.updatePath, got, ok, want, ws[0].Body)
				}
				if eff, _ := jsonAt(body, "effectiveDate"); eff != w.day(0) {
					t.Errorf("effectiveDate %q, want the day of the sync %s", eff, w.day(0))
				}
				if r.updateCall == "names" {
					for _, part := range []string{"firstName", "middleName", "lastName"} {
						if _, ok := body[part]; !ok {
							t.Errorf("the names call must carry the whole name; %s missing: %s", part, ws[0].Body)
						}
					}
				}
			})
		})
	}
}

// addPerson puts a baseline Leapsome person, named first Lovelace, changed by mut.
func (w *world) addPerson(n int, first, email string, mut func(p *leapsb.Employee)) leapsb.Employee {
	w.t.Helper()
	p := w.basePerson(hexID(n), email)
	p.FirstName = first
	if mut != nil {
		mut(&p)
	}
	must(w.t, w.ls.PutEmployee(tenant, p))
	return p
}

// addEmployee puts a baseline TriNet employee for p, changed by mut, and
// links p to it unless byEmail (then the engine matches it by work email).
func (w *world) addEmployee(p leapsb.Employee, id string, byEmail bool, mut func(e *trinetsb.Employee)) trinetsb.Employee {
	w.t.Helper()
	e := baseEmployee(id, p.Email)
	e.FirstName = p.FirstName
	if mut != nil {
		mut(&e)
	}
	e, err := w.tn.PutEmployee(seedCo, e)
	must(w.t, err)
	if !byEmail {
		w.links.m[p.ID] = provision.Link{UserID: p.ID, EmployeeID: id}
	}
	return e
}

// wantPersonIssue checks that p has an issue with the code, naming them.
func wantPersonIssue(t *testing.T, res provision.Result, p leapsb.Employee, code, field string, sev provision.Severity) {
	t.Helper()
	for _, is := range issuesOf(res, p.ID) {
		if is.Code != code {
			continue
		}
		if is.Email != p.Email || is.Name != p.FirstName+" "+p.LastName || is.Severity != sev || is.Field != field || is.Message == "" {
			t.Errorf("issue %s of %s: %+v; want email %q, name %q, severity %s, field %q and a message",
				code, p.ID, is, p.Email, p.FirstName+" "+p.LastName, sev, field)
		}
		return
	}
	t.Errorf("%s (%s) has no %s issue: %+v", p.ID, p.Email, code, issuesOf(res, p.ID))
}

func wantAction(t *testing.T, res provision.Result, p leapsb.Employee, action provision.Action, code string) provision.PlanItem {
	t.Helper()
	it := item(res, p.ID)
	if it.Action != action || it.Code != code {
		t.Errorf("%s (%s): %s/%q, want %s/%q; issues %+v", p.ID, p.Email, it.Action, it.Code, action, code, issuesOf(res, p.ID))
	}
	return it
}

// wantOneCall checks that exactly one update call reached the employee and
// returns its decoded body.
func wantOneCall(t *testing.T, w *world, empID, endpoint string) map[string]any {
	t.Helper()
	ws := writesTo(w, seedCo, empID)
	if len(ws) != 1 || ws[0].Endpoint != endpoint || ws[0].Status/100 != 2 {
		t.Fatalf("employee %s: want one accepted %s call, got %+v", empID, endpoint, ws)
	}
	return decodeBody(t, ws[0].Body)
}

func wantAt(t *testing.T, body map[string]any, path, want string) {
	t.Helper()
	if got, ok := jsonAt(body, path); !ok || got != want {
		t.Errorf("%s = %q (present %v), want %q", path, got, ok, want)
	}
}

func wantNotAt(t *testing.T, body map[string]any, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if got, ok := jsonAt(body, p); ok {
			t.Errorf("%s is sent (%q), want absent", p, got)
		}
	}
}

func noHire(t *testing.T, w *world, email string) {
	t.Helper()
	for _, wr := range w.tn.Writes(seedCo) {
		if wr.Endpoint != "hire" {
			continue
		}
		if got, _ := jsonAt(decodeBody(t, wr.Body), "employmentInfo.workEmail"); strings.EqualFold(got, email) {
			t.Errorf("%s was sent as a hire (status %d)", email, wr.Status)
		}
	}
}

// TestSeedLimitationsAndFAQOverHTTP walks the seed's limitations and FAQ
// answers, one row each: the row puts its people in both sandboxes, one
// sync runs over HTTP, and the row reads the plan, the issues and what
// TriNet received.
func TestSeedLimitationsAndFAQOverHTTP(t *testing.T) {
	tests := []struct {
		name  string
		seed  string // the article's words
		check func(t *testing.T, w *world)
	}{
		{name: "gender other than male or female", seed: "only Male and Female genders can be mapped; other values cause a sync error for that individual user",
			check: func(t *testing.T, w *world) {
				kim := w.addPerson(1, "Kim", "kim@example.com", func(p *leapsb.Employee) { p.Gender = "diverse" })
				max := w.addPerson(2, "Max", "max@example.com", func(p *leapsb.Employee) { p.Gender = "male" })
				lee := w.addPerson(3, "Lee", "lee@example.com", func(p *leapsb.Employee) { p.Gender = "diverse"; p.Title = "Lead" })
				w.addEmployee(lee, "00005003", false, nil)
				res := w.run(seedSettings())

				wantAction(t, res, kim, provision.ActionError, provision.CodeUnsupportedGender)
				wantPersonIssue(t, res, kim, provision.CodeUnsupportedGender, "gender", provision.SeverityError)
				noHire(t, w, kim.Email)

				wantAction(t, res, max, provision.ActionCreate, "")
				if h, ok := acceptedHires(t, w, seedCo)[max.Email]; !ok {
					t.Errorf("max not hired")
				} else {
					wantAt(t, h, "biographicalInfo.gender", "M")
				}

				// An existing employee: the gender is dropped, the rest is written.
				wantAction(t, res, lee, provision.ActionUpdate, "")
				wantPersonIssue(t, res, lee, provision.CodeUnsupportedGender, "gender", provision.SeverityError)
				body := wantOneCall(t, w, "00005003", "jobs")
				wantAt(t, body, "businessTitle", "Lead")
				if e, _ := w.tn.Employee(seedCo, "00005003"); e.Gender != "F" || e.Title != "Lead" {
					t.Errorf("lee in TriNet %+v", e)
				}
				if res.ErrorPeople != 2 {
					t.Errorf("error people %d, want 2 (kim and lee)", res.ErrorPeople)
				}
			}},
		{name: "home address only on new hire", seed: "Home addresses can only be set during new hire creation",
			check: func(t *testing.T, w *world) {
				ada := w.addPerson(1, "Ada", "ada@example.com", func(p *leapsb.Employee) {
					p.CustomAttributes["Street"], p.CustomAttributes["Unit"], p.CustomAttributes["City"] = "1 Main St", "Apt 4", "Austin"
					p.CustomAttributes["State"], p.CustomAttributes["ZIP"], p.CustomAttributes["Home country"] = "TX", "78701", "USA"
				})
				eve := w.addPerson(2, "Eve", "eve@example.com", func(p *leapsb.Employee) {
					p.CustomAttributes["Street"], p.CustomAttributes["City"], p.CustomAttributes["ZIP"] = "42 New Rd", "Denver", "80202"
				})
				w.addEmployee(eve, "00005002", false, nil)
				res := w.run(seedSettings())

				wantAction(t, res, ada, provision.ActionCreate, "")
				h, ok := acceptedHires(t, w, seedCo)[ada.Email]
				if !ok {
					t.Fatal("ada not hired")
				}
				for path, want := range map[string]string{"homeContact.address1": "1 Main St", "homeContact.address2": "Apt 4",
					"homeContact.city": "Austin", "homeContact.state": "TX", "homeContact.postalCode": "78701", "homeContact.country": "US"} {
					wantAt(t, h, path, want)
				}
				wantAction(t, res, eve, provision.ActionUnchanged, "")
				if ws := writesTo(w, seedCo, "00005002"); len(ws) != 0 {
					t.Errorf("an address change reached an existing employee: %+v", ws)
				}
				if e, _ := w.tn.Employee(seedCo, "00005002"); e.Address1 != "9 Elm St" || e.City != "Boston" || e.PostalCode != "02110" {
					t.Errorf("eve's address in TriNet changed: %+v", e)
				}
			}},
		{name: "custom attributes only on update", seed: "custom fields are synced only for existing employees (updates), not during new-hire creation",
			check: func(t *testing.T, w *world) {
				custom := func(p *leapsb.Employee) {
					p.CustomAttributes["Group A"], p.CustomAttributes["Group B"] = "CC-7", "GB-9"
				}
				ada := w.addPerson(1, "Ada", "ada@example.com", custom)
				eve := w.addPerson(2, "Eve", "eve@example.com", custom)
				w.addEmployee(eve, "00005002", false, nil)
				res := w.run(seedSettings())

				wantAction(t, res, ada, provision.ActionCreate, "")
				h, ok := acceptedHires(t, w, seedCo)[ada.Email]
				if !ok {
					t.Fatal("ada not hired")
				}
				walkJSON(h, func(k, leaf string) {
					if k == "optionalGrouping" || k == "groupA" || k == "groupB" || k == "customGroupA" || k == "customGroupB" || leaf == "CC-7" || leaf == "GB-9" {
						t.Errorf("the hire carries a custom field (key %q, value %q)", k, leaf)
					}
				})
				wantAction(t, res, eve, provision.ActionUpdate, "")
				body := wantOneCall(t, w, "00005002", "jobs")
				wantAt(t, body, "optionalGrouping.groupA", "CC-7")
				wantAt(t, body, "optionalGrouping.groupB", "GB-9")
				if e, _ := w.tn.Employee(seedCo, "00005002"); e.CustomGroupA != "CC-7" || e.CustomGroupB != "GB-9" {
					t.Errorf("eve in TriNet %+v", e)
				}
			}},
		{name: "start date 4 days in the past", seed: "The start date provided must be no more than three days in the past",
			check: func(t *testing.T, w *world) {
				ada := w.addPerson(1, "Ada", "ada@example.com", func(p *leapsb.Employee) { p.StartDate = w.day(-4) })
				res := w.run(seedSettings())
				wantAction(t, res, ada, provision.ActionError, provision.CodeStartDateTooOld)
				wantPersonIssue(t, res, ada, provision.CodeStartDateTooOld, "hireDate", provision.SeverityError)
				if n := w.tn.Calls(seedCo)["hire"]; n != 0 {
					t.Errorf("%d hire calls, want none", n)
				}
				if e, ok := w.ledger.m[ada.ID]; ok {
					t.Errorf("ledger entry %+v for a hire never sent", e)
				}
			}},
		{name: "start date exactly 3 days in the past", seed: "The start date provided must be no more than three days in the past",
			check: func(t *testing.T, w *world) {
				ada := w.addPerson(1, "Ada", "ada@example.com", func(p *leapsb.Employee) { p.StartDate = w.day(-3) })
				res := w.run(seedSettings())
				wantAction(t, res, ada, provision.ActionCreate, "")
				h, ok := acceptedHires(t, w, seedCo)[ada.Email]
				if !ok {
					t.Fatalf("ada not hired: %+v", w.tn.Writes(seedCo))
				}
				wantAt(t, h, "employmentInfo.startDate", w.day(-3))
				if len(res.Issues) != 0 {
					t.Errorf("issues %+v", res.Issues)
				}
			}},
		{name: "future start date (FAQ 4)", seed: "a new hire with a future start date: the integration will create the record in TriNet ... Pending",
			check: func(t *testing.T, w *world) {
				ada := w.addPerson(1, "Ada", "ada@example.com", func(p *leapsb.Employee) { p.StartDate = w.day(30) })
				res := w.run(seedSettings())
				wantAction(t, res, ada, provision.ActionCreate, "")
				h, ok := acceptedHires(t, w, seedCo)[ada.Email]
				if !ok {
					t.Fatal("ada not hired")
				}
				wantAt(t, h, "employmentInfo.startDate", w.day(30))
				wantAt(t, h, "approvalStatus", "I")
				e, ok := w.ledger.m[ada.ID]
				if !ok || e.State != provision.HirePending || e.EmployeeID == "" {
					t.Fatalf("ledger %+v", e)
				}
				if emp, _ := w.tn.Employee(seedCo, e.EmployeeID); emp.ApprovalStatus != "I" || emp.StartDate != w.day(30) {
					t.Errorf("in TriNet %+v", emp)
				}
				// Not listed until approved: the next sync reports it pending and hires nobody.
				res = w.run(seedSettings())
				wantAction(t, res, ada, provision.ActionPending, provision.CodePendingApproval)
				wantPersonIssue(t, res, ada, provision.CodePendingApproval, "", provision.SeverityWarning)
				if n := w.tn.Calls(seedCo)["hire"]; n != 1 {
					t.Errorf("%d hire calls, want 1", n)
				}
			}},
		{name: "department changed (FAQ 2)", seed: "changes are pushed during the next sync; manual department changes in TriNet are overwritten",
			check: func(t *testing.T, w *world) {
				// Eve's department was changed by hand in TriNet; Finn's in Leapsome.
				eve := w.addPerson(1, "Eve", "eve@example.com", nil)
				w.addEmployee(eve, "00005001", true, func(e *trinetsb.Employee) { e.DeptID = "D200" })
				finn := w.addPerson(2, "Finn", "finn@example.com", func(p *leapsb.Employee) { p.Departments = []leapsb.Ref{{Name: "Sales"}} })
				w.addEmployee(finn, "00005002", false, nil)
				res := w.run(seedSettings())

				wantAction(t, res, eve, provision.ActionLink, "")
				wantAt(t, wantOneCall(t, w, "00005001", "jobs"), "deptId", "D100")
				wantAction(t, res, finn, provision.ActionUpdate, "")
				wantAt(t, wantOneCall(t, w, "00005002", "jobs"), "deptId", "D200")
				for id, want := range map[string]string{"00005001": "D100", "00005002": "D200"} {
					if e, _ := w.tn.Employee(seedCo, id); e.DeptID != want {
						t.Errorf("%s in TriNet has department %s, want %s", id, e.DeptID, want)
					}
				}
				n := len(w.tn.Writes(seedCo))
				res = w.run(seedSettings())
				wantAction(t, res, eve, provision.ActionUnchanged, "")
				wantAction(t, res, finn, provision.ActionUnchanged, "")
				if got := len(w.tn.Writes(seedCo)); got != n {
					t.Errorf("the next sync wrote again: %+v", w.tn.Writes(seedCo)[n:])
				}
			}},
		{name: "terminated in Leapsome (FAQ 5)", seed: "Terminated employees will no longer be synced; their records in TriNet must be terminated manually",
			check: func(t *testing.T, w *world) {
				gone := func(lifecycle string) func(p *leapsb.Employee) {
					return func(p *leapsb.Employee) { p.LifecycleStatus = lifecycle; p.Title = "Changed after leaving" }
				}
				tom := w.addPerson(1, "Tom", "tom@example.com", gone("terminated"))
				tomE := w.addEmployee(tom, "00005001", true, nil)
				dee := w.addPerson(2, "Dee", "dee@example.com", gone("deactivated"))
				deeE := w.addEmployee(dee, "00005002", false, nil)
				tia := w.addPerson(3, "Tia", "tia@example.com", gone("terminated")) // not in TriNet
				res := w.run(seedSettings())

				for _, p := range []leapsb.Employee{tom, dee, tia} {
					wantAction(t, res, p, provision.ActionExcluded, provision.CodeLifecycleNotSynced)
				}
				if ws := w.tn.Writes(seedCo); len(ws) != 0 {
					t.Errorf("terminated people reached TriNet: %+v", ws)
				}
				for _, want := range []trinetsb.Employee{tomE, deeE} {
					if got, _ := w.tn.Employee(seedCo, want.ID); got != want {
						t.Errorf("TriNet record changed\n got %+v\nwant %+v", got, want)
					}
				}
				if _, linked := w.links.m[tom.ID]; linked {
					t.Error("a terminated person was linked")
				}
				if len(w.ledger.m) != 0 {
					t.Errorf("ledger %+v", w.ledger.m)
				}
			}},
		{name: "all active users processed (FAQ 6)", seed: "The sync currently processes all active Leapsome users, and creates/updates their information in TriNet",
			check: func(t *testing.T, w *world) {
				type want struct {
					p      leapsb.Employee
					action provision.Action
					code   string
				}
				status := func(s, lifecycle string) func(p *leapsb.Employee) {
					return func(p *leapsb.Employee) { p.Status, p.LifecycleStatus = s, lifecycle }
				}
				wants := []want{
					{w.addPerson(1, "New", "new@example.com", nil), provision.ActionCreate, ""},
					{w.addPerson(2, "Invited", "invited@example.com", status("invited", "hired")), provision.ActionCreate, ""},
					{w.addPerson(3, "Pre", "pre@example.com", status("preBoardingActive", "preBoarding")), provision.ActionCreate, ""},
					{w.addPerson(4, "Same", "same@example.com", nil), provision.ActionUnchanged, ""},
					{w.addPerson(5, "Moved", "moved@example.com", func(p *leapsb.Employee) { p.Title = "Manager" }), provision.ActionUpdate, ""},
					{w.addPerson(6, "Leave", "leave@example.com", func(p *leapsb.Employee) { p.LifecycleStatus = "leave"; p.Title = "Manager" }), provision.ActionUpdate, ""},
					{w.addPerson(7, "Match", "match@example.com", nil), provision.ActionLink, ""},
					{w.addPerson(8, "Gone", "gone@example.com", status("active", "terminated")), provision.ActionExcluded, provision.CodeLifecycleNotSynced},
					{w.addPerson(9, "Removed", "removed@example.com", status("removed", "active")), provision.ActionExcluded, provision.CodeStatusNotSynced},
					{w.addPerson(10, "Off", "off@example.com", status("deactivated", "active")), provision.ActionExcluded, provision.CodeStatusNotSynced},
					{w.addPerson(11, "Nomail", "", nil), provision.ActionExcluded, provision.CodeMissingEmail},
				}
				w.addEmployee(wants[3].p, "00005004", false, nil)
				w.addEmployee(wants[4].p, "00005005", false, nil)
				w.addEmployee(wants[5].p, "00005006", false, nil)
				w.addEmployee(wants[6].p, "00005007", true, nil)
				res := w.run(seedSettings())

				if n := len(w.ls.Employees(tenant)); len(res.Plan) != n || n != len(wants) {
					t.Errorf("%d plan items for %d Leapsome people", len(res.Plan), n)
				}
				seen := map[string]int{}
				for _, it := range res.Plan {
					seen[it.UserID]++
				}
				for _, x := range wants {
					if seen[x.p.ID] != 1 {
						t.Errorf("%s has %d plan items, want exactly one", x.p.FirstName, seen[x.p.ID])
					}
					wantAction(t, res, x.p, x.action, x.code)
				}
				c := res.Counts
				if sum := c.Created + c.Updated + c.Linked + c.Unchanged + c.Suggested + c.Pending + c.Held + c.Errors + c.Excluded; sum != len(wants) {
					t.Errorf("counts %+v add up to %d, want %d", c, sum, len(wants))
				}
				if c.Created != 3 || c.Updated != 2 || c.Linked != 1 || c.Unchanged != 1 || c.Excluded != 4 {
					t.Errorf("counts %+v", c)
				}
				if n := len(acceptedHires(t, w, seedCo)); n != 3 {
					t.Errorf("%d hires, want 3", n)
				}
			}},
		{name: "errors per person, naming the user (FAQ 7)", seed: "errors will note which user the error is associated with",
			check: func(t *testing.T, w *world) {
				dept := w.addPerson(1, "Dora", "dora@example.com", func(p *leapsb.Employee) { p.Departments = []leapsb.Ref{{Name: "Marketing"}} })
				// TriNet refuses a birth date in the future: a failure at write time.
				born := w.addPerson(2, "Ben", "ben@example.com", func(p *leapsb.Employee) { p.Birthday = "2027-01-01" })
				good := w.addPerson(3, "Gil", "gil@example.com", nil)
				loc := w.addPerson(4, "Lou", "lou@example.com", func(p *leapsb.Employee) {
					p.WorkLocation = &leapsb.Ref{Name: "Atlantis"}
					p.Title = "Lead"
				})
				w.addEmployee(loc, "00005004", false, nil)
				same := w.addPerson(5, "Sam", "sam@example.com", nil)
				w.addEmployee(same, "00005005", false, nil)
				res := w.run(seedSettings())

				wantAction(t, res, dept, provision.ActionError, provision.CodeDepartmentNotFound)
				wantPersonIssue(t, res, dept, provision.CodeDepartmentNotFound, "department", provision.SeverityError)
				noHire(t, w, dept.Email)

				wantAction(t, res, born, provision.ActionError, provision.CodeTriNetRejected)
				wantPersonIssue(t, res, born, provision.CodeTriNetRejected, "birthDate", provision.SeverityError)
				for _, is := range issuesOf(res, born.ID) {
					if strings.Contains(is.Message, "2027") {
						t.Errorf("the issue carries the birth date: %q", is.Message)
					}
				}
				if _, ok := w.ledger.m[born.ID]; ok {
					t.Error("a rejected hire left a ledger entry")
				}

				wantAction(t, res, good, provision.ActionCreate, "")
				if _, ok := acceptedHires(t, w, seedCo)[good.Email]; !ok {
					t.Error("gil was not hired")
				}
				wantAction(t, res, loc, provision.ActionUpdate, "")
				wantPersonIssue(t, res, loc, provision.CodeLocationNotFound, "location", provision.SeverityError)
				body := wantOneCall(t, w, "00005004", "jobs")
				wantAt(t, body, "businessTitle", "Lead")
				wantNotAt(t, body, "employeeTransfer.locationId")
				wantAction(t, res, same, provision.ActionUnchanged, "")

				if res.ErrorPeople != 3 || res.Counts.Errors != 2 || res.Counts.Created != 1 || res.Counts.Updated != 1 {
					t.Errorf("error people %d, counts %+v", res.ErrorPeople, res.Counts)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Logf("seed: %s", tt.seed)
			tt.check(t, newSeedWorld(t))
		})
	}
}
